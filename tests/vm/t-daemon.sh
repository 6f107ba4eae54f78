#!/bin/bash
# vfio-bpfd keeps a config directory's policies attached: a policy for a
# device not bound yet is there at its first open, a restart changes
# nothing, a reload hot-swaps under a reading client, bad files are refused
# with file, line and key while what ran keeps running, and a crash leaves
# nothing the next start cannot clean up.  systemd is played by a listener
# on the daemon's NOTIFY_SOCKET.
. "$(dirname "$0")/lib.sh"

BPFD=$BUILD/loader/vfio-bpfd
CONF=$SCRATCH/policies.d
PINS=/sys/fs/bpf/vfio-pci-bpf
STATE=$SCRATCH/state
DRIVER_POLICIES=/sys/bus/pci/drivers/vfio-pci-bpf/policies
CONTROL=$SCRATCH/run/control.sock
mkdir -p "$CONF"
# An unprivileged user must reach the control socket to be refused by it.
chmod 0711 "$SCRATCH"
# The metrics endpoint listens on 127.0.0.1; the test VM's init leaves lo down.
ip link set lo up

python3 "$REPO/tests/vm/sd-notify-listen.py" "$SCRATCH/notify.sock" "$SCRATCH/notify" &
listener=$!
wait_for_line "$SCRATCH/notify" listening

daemon=
# start_daemon [VAR=VALUE...]: in the foreground of a background job, as systemd runs it.
start_daemon() {
	env NOTIFY_SOCKET="$SCRATCH/notify.sock" "$@" "$BPFD" --config-dir "$CONF" \
		--state-dir "$STATE" --control "$CONTROL" >>"$SCRATCH/bpfd.log" 2>&1 &
	daemon=$!
}
# stop_daemon [SIGNAL]: its exit status is in $stopped.
stop_daemon() {
	kill "${1:--TERM}" "$daemon"
	wait "$daemon" 2>/dev/null
	stopped=$?
}
# readies: how many READY=1 the daemon sent so far.
readies() { grep -c '^READY=1$' "$SCRATCH/notify"; }
# wait_ready N: until the Nth READY=1 (each reconcile ends with one).
ready_count_at_least() { [ "$(readies)" -ge "$1" ]; }
wait_ready() { eventually 60 ready_count_at_least "$1"; }
link_id() { "$BPFTOOL" link show pinned "$PINS/$1" 2>/dev/null | sed -n 's/^\([0-9]*\): .*/\1/p'; }
logged() { grep -q -- "$1" "$SCRATCH/bpfd.log"; }
# said COMMAND...: its exit status and what it printed, on one line.
said() {
	local out rc
	out=$("$@" 2>&1)
	rc=$?
	echo "$rc $out"
}
reconciles() { grep -c "reconciled:" "$SCRATCH/bpfd.log"; }
last_reconcile() { grep 'reconciled:' "$SCRATCH/bpfd.log" | tail -n1 | sed 's/.*reconciled: //'; }
reconciled_since() { [ "$(reconciles)" -gt "$1" ]; }
# after_change COMMAND...: run it and wait for a reconcile that saw it.
after_change() {
	local n
	n=$(reconciles)
	"$@"
	eventually 60 reconciled_since "$n"
}

check "module loads" load_module
check "bind edu0" bind "$EDU0" vfio-pci-bpf

cat >"$CONF/guard.conf" <<EOF
# Every edu reads vendor 0x1111.
[policy]
object = $POLICIES/cfg_guard.bpf.o
vendor = 0x1234
device = 0x11e8
[parameters]
vendor_id = 0x1111
EOF
cat >"$CONF/trap1.conf" <<EOF
[policy]
object = $POLICIES/bar_trap.bpf.o
target = $EDU1
[parameters]
trap_len = 0x1000
EOF
check "--check-config accepts the config" "$BPFD" --check-config --config-dir "$CONF"

# --- start: every entry registered, edu1's pending until it binds -------------------
start_daemon
wait_ready 1
check "READY=1 after the first reconcile" test "$(readies)" = 1
check "STATUS names the policies and devices" grep -q "^STATUS=2 policies from $CONF, 1 devices bound" \
	"$SCRATCH/notify"
check_eq "edu0 has guard" guard "$(policies_of "$EDU0")"
check_eq "edu0 reads vendor 0x1111" 0x1111 "$(op "$EDU0" cfg-read 0 2)"
check "trap1 waits for edu1" grep -qx "trap1 $EDU1 pending" "$DRIVER_POLICIES"
bind_while_opened "$EDU1"
check_eq "the VMM's first open already found trap1's trap" "sparse 0 = 0x1000+0xff000" \
	"$(cat "$SCRATCH/first")"
check_eq "edu1 has guard and trap1" "guard trap1" "$(policies_of "$EDU1")"

# --- metrics: Prometheus text, the numbers sysfs has -------------------------------
"$CLIENT" "$EDU0" repeat 50 cfg-read 0 4 >/dev/null
check "the metrics parse as Prometheus text and match sysfs" /usr/bin/python3 \
	"$REPO/tests/vm/metrics-check.py" http://127.0.0.1:9477/metrics "$EDU0" "$EDU1"
/usr/bin/python3 "$REPO/tests/vm/metrics-check.py" http://127.0.0.1:9477/metrics "$EDU0" "$EDU1" |
	sed 's/^/    /'
check_eq "anything but GET /metrics is 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' \
	http://127.0.0.1:9477/other)"

# --- the control socket: anyone reads, root reloads -----------------------------------
# ask [USER] JSON: the daemon's answer, one line of JSON.
ask() {
	local as=()
	[ $# = 2 ] && as=(setpriv --reuid="$1" --regid="$1" --clear-groups) && shift
	echo "$1" | "${as[@]}" socat -t 5 - "UNIX-CONNECT:$CONTROL"
}
field() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }
check_eq "status: two entries, none refused" "True 2 []" \
	"$(ask '{"command": "status"}' | field 'd["ok"], d["status"]["entries"], d["status"]["refused_files"]')"
check_eq "devices: each with its chain" "$EDU0=guard $EDU1=guard,trap1" \
	"$(ask '{"command": "devices"}' | field '" ".join(x["device"] + "=" + x["policies"] for x in d["devices"])')"
check_eq "policies: as the driver lists them" "guard:devices=2 trap1:devices=1" \
	"$(ask '{"command": "policies"}' | field '" ".join(p["name"] + ":" + p["state"] for p in d["policies"])')"
check_eq "counters: the sysfs numbers" "$(counter "$EDU0" hook.config_read.pass)" \
	"$(ask '{"command": "counters"}' | field '[x for x in d["counters"] if x["device"] == "'"$EDU0"'"][0]["hook.config_read.pass"]')"
check_eq "an unprivileged user may read" True "$(ask 65534 '{"command": "status"}' | field 'd["ok"]')"
check_eq "...but a reload is refused, saying why" "False reload: permission denied (uid 65534 is not root)" \
	"$(ask 65534 '{"command": "reload"}' | field 'd["ok"], d["error"]')"
n=$(reconciles)
check_eq "root may reload" True "$(ask '{"command": "reload"}' | field 'd["ok"]')"
check "...and it reconciles" eventually 30 reconciled_since "$n"
check_eq "a request that is no command is refused" "False" \
	"$(ask 'not json' | field 'd["ok"]')"
python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"{\"command\": \"counters\"}")' "$CONTROL"
check_eq "a client that leaves before the answer does not end the daemon" True \
	"$(ask '{"command": "status"}' | field 'd["ok"]')"
# hostile_control IDLE SPLIT: a status request after IDLE idle connections, sent
# in two parts SPLIT seconds apart; fails unless it is answered while they are
# all still connected.
hostile_control() {
	python3 - "$CONTROL" "$1" "$2" <<'EOF'
import json, socket, sys, time
def conn():
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    return s
idle = [conn() for _ in range(int(sys.argv[2]))]
s = conn()
s.sendall(b'{"command": ')
time.sleep(float(sys.argv[3]))
s.sendall(b'"status"}')
s.settimeout(60)
answer = json.loads(s.makefile().readline())
assert answer["ok"], answer
for i in idle:
    i.setblocking(False)
    try:
        assert i.recv(1) != b"", "an idle client was dropped before the answer came"
    except BlockingIOError:
        pass
EOF
}
check "a request written in two parts is answered" hostile_control 0 1
check "20 idle clients do not hold up another's request" hostile_control 20 0

# --- a hostile client of the metrics port: 1100 idle connections --------------------
python3 - "$SCRATCH/held" <<'EOF' &
import resource, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held = []
for _ in range(1100):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", 9477))
    held.append(s)
open(sys.argv[1], "w").write("holding %d\n" % len(held))
time.sleep(600)
EOF
holder=$!
wait_for_line "$SCRATCH/held" holding
sleep 2
fds=$(ls "/proc/$daemon/fd" | wc -l)
echo "    the daemon holds $fds file descriptors under 1100 idle metrics connections"
check "...far from its limit: libmicrohttpd takes at most 64 connections" test "$fds" -lt 128
check_eq "...its control socket answers" True "$(ask '{"command": "status"}' | field 'd["ok"]')"
check "...it reconciles" after_change kill -HUP "$daemon"
check "...with nothing failed, every link counted alive" grep -q ' 0 detached, 0 kept from refused files, 0 failed$' \
	<<<"$(last_reconcile)"
check "...and /metrics answers a scrape from another address (8 connections per address)" \
	curl -sf --max-time 30 --interface 127.0.0.2 -o /dev/null http://127.0.0.1:9477/metrics
kill "$holder"
wait "$holder" 2>/dev/null
check "once they are gone, /metrics answers 127.0.0.1 again" eventually 60 \
	curl -sf --max-time 10 -o /dev/null http://127.0.0.1:9477/metrics

# --- runtime entries: attached and detached through the control socket -----------
# attach_req NAME OBJECT TARGET [MORE-MEMBERS]: an attach request.
attach_req() {
	printf '{"command": "attach", "name": "%s", "object": "%s", "target": "%s"%s}' \
		"$1" "$2" "$3" "${4:-}"
}
answer() { field 'd["ok"], d.get("error", "")' | sed 's/ $//'; }
owners() {
	ask '{"command": "policies"}' |
		field '" ".join(sorted(p["name"] + ":" + str(p["owner"]) for p in d["policies"]))'
}
# everything: what the daemon and the kernel hold, to see that a refusal changed nothing.
everything() { ls "$PINS" "$STATE"; sort "$DRIVER_POLICIES"; }
n=$(reconciles)
check_eq "root attaches a runtime entry" "True rt1 target=$EDU0" \
	"$(ask "$(attach_req rt1 "$POLICIES/trace.bpf.o" "$EDU0")" | field 'd["ok"], d["attach"]["name"], d["attach"]["match"]')"
check_eq "...on its device" "guard rt1" "$(policies_of "$EDU0")"
check "...pinned and recorded as the daemon's" test -e "$PINS/rt1" -a -e "$STATE/rt1" -a -e "$STATE/rt1.conf"
check "...and the daemon reconciles after it" eventually 30 reconciled_since "$n"
check_eq "policies: rt1 is runtime, the others config" \
	"guard:config rt1:runtime trap1:config" "$(owners)"
check_eq "status lists the runtime entries" "['rt1'] 3" \
	"$(ask '{"command": "status"}' | field 'd["status"]["runtime_entries"], d["status"]["entries"]')"
before=$(everything)
check_eq "an unprivileged user may not attach" "False attach: permission denied (uid 65534 is not root)" \
	"$(ask 65534 "$(attach_req rt2 "$POLICIES/trace.bpf.o" "$EDU0")" | answer)"
check_eq "...nor detach" "False detach: permission denied (uid 65534 is not root)" \
	"$(ask 65534 '{"command": "detach", "name": "rt1"}' | answer)"
check_eq "...and nothing changed" "$before" "$(everything)"
# refused WHAT WANT REQUEST: the daemon's error matches WANT (a grep -E pattern), nothing changes.
refused() {
	local got
	got=$(ask "$3" | answer)
	check "attach refused: $1" grep -qE "^False $2" <<<"$got"
	check_eq "...and nothing changed" "$before" "$(everything)"
}
refused "missing object" "attach: object: /nowhere/x.bpf.o: No such file or directory" \
	"$(attach_req bad1 /nowhere/x.bpf.o "$EDU0")"
# Any path can be asked for: one that never ends or blocks open() is refused at once.
refused "/dev/zero as the object" "attach: object: /dev/zero: not a regular file" \
	"$(attach_req zero /dev/zero "$EDU0")"
mkfifo "$SCRATCH/fifo.bpf.o"
refused "a FIFO as the object" "attach: object: $SCRATCH/fifo.bpf.o: not a regular file" \
	"$(attach_req fifo "$SCRATCH/fifo.bpf.o" "$EDU0")"
refused "unknown key" "attach: colour: unknown key in \[policy\]" \
	"$(attach_req bad2 "$POLICIES/trace.bpf.o" "$EDU0" ', "colour": "red"')"
refused "bad address" "attach: target: '0000:zz:00.0' is no PCI address" \
	"$(attach_req bad3 "$POLICIES/trace.bpf.o" 0000:zz:00.0)"
refused "verifier failure" "attach: runtime entry bad4: object: cannot load bad4: .*infinite loop detected" \
	"$(attach_req bad4 "$TEST_POLICIES/bad_loop.bpf.o" "$EDU0")"
refused "bad parameter" "attach: runtime entry bad5: parameters: cannot load bad5: parameter 'nosuch'" \
	"$(attach_req bad5 "$POLICIES/bar_trap.bpf.o" "$EDU0" ', "parameters": {"nosuch": 1}')"
refused "the name of a config entry" "attach: name: 'guard' is the name of $CONF/guard.conf's entry" \
	"$(attach_req guard "$POLICIES/trace.bpf.o" "$EDU0")"
refused "the name of a runtime entry" "attach: name: 'rt1' is a runtime entry already" \
	"$(attach_req rt1 "$POLICIES/trace.bpf.o" "$EDU1")"
refused "no name" "attach: name: missing" \
	"{\"command\": \"attach\", \"object\": \"$POLICIES/trace.bpf.o\"}"
check_eq "detach of a config entry is refused" \
	"False detach: 'guard' is an entry of the config: remove its file instead" \
	"$(ask '{"command": "detach", "name": "guard"}' | answer)"
check_eq "detach of no entry is refused" "False detach: 'nosuch' is no runtime entry of vfio-bpfd" \
	"$(ask '{"command": "detach", "name": "nosuch"}' | answer)"
# A name is a path under the state folder: one that climbs out is no name.
decoy=$(dirname "$SCRATCH")/decoy.conf # what $STATE/../../decoy.conf is
echo "[policy]" >"$decoy"
check_eq "detach of a name that is a path is refused" \
	"False detach: name: '../../decoy' is no entry name" \
	"$(ask '{"command": "detach", "name": "../../decoy"}' | answer)"
check "...and the file it pointed at is still there" test -e "$decoy"
rm -f "$decoy"
check_eq "...and nothing changed" "$before" "$(everything)"
rt1=$(link_id rt1)
after_change kill -HUP "$daemon"
check_eq "a reload keeps the runtime entry, the same link" "$rt1 guard rt1" \
	"$(link_id rt1) $(policies_of "$EDU0")"

# --- restart: nothing detached or re-attached -----------------------------------
ids="$(link_id guard) $(link_id trap1) $(link_id rt1)"
attaches="$(counter "$EDU0" attaches) $(counter "$EDU1" attaches)"
stop_daemon
check_eq "stopping the daemon leaves its policies attached" "guard trap1" "$(policies_of "$EDU1")"
after_change start_daemon
check_eq "after a restart the links are the same ones (the runtime entry's too)" "$ids" \
	"$(link_id guard) $(link_id trap1) $(link_id rt1)"
check_eq "...and no device saw an attach" "$attaches" \
	"$(counter "$EDU0" attaches) $(counter "$EDU1" attaches)"
check "...the daemon found all three unchanged" grep -q '0 attached, 0 swapped, 0 replaced, 3 unchanged' \
	<<<"$(last_reconcile)"
# A link the daemon cannot look at, having no file descriptor left, is no detached link.
touch "$SCRATCH/emfile"
stop_daemon
after_change start_daemon LD_PRELOAD="$BUILD/tests/fail-obj-get.so" VPB_FAIL_OBJ_GET="$SCRATCH/emfile"
check "a start where bpf_obj_get() fails with EMFILE says it cannot tell" logged \
	"guard: cannot tell whether the link pinned at $PINS/guard is attached (Too many open files); left as it is"
check_eq "...and leaves every link pinned and attached, the same ones" "$ids guard trap1" \
	"$(link_id guard) $(link_id trap1) $(link_id rt1) $(policies_of "$EDU1")"
rm "$SCRATCH/emfile"
after_change kill -HUP "$daemon"
check "...once it can look, it finds all three unchanged" grep -q ' 0 replaced, 3 unchanged, 0 detached' \
	<<<"$(last_reconcile)"

# --- one daemon per state directory, in folders of its own ---------------------------
check_eq "a second vfio-bpfd on the state directory is refused (--once while it runs)" \
	"1 <3>vfio-bpfd: $STATE: another vfio-bpfd runs on this state directory (ask it to reload instead: SIGHUP, or systemctl reload vfio-bpfd)" \
	"$(said "$BPFD" --once --config-dir "$CONF" --state-dir "$STATE")"
OTHER=$SCRATCH/other
mkdir -p "$SCRATCH/empty.d"
# other ARGS...: a daemon with an empty config, its pins and state apart from the first's.
other() {
	"$BPFD" --config-dir "$SCRATCH/empty.d" --pin-dir /sys/fs/bpf/vpb-other --metrics off "$@"
}
other --state-dir "$OTHER/entries" --control "$OTHER/control.sock" >"$SCRATCH/other.log" 2>&1 &
other_pid=$!
check "a daemon that makes its folders starts" eventually 30 test -S "$OTHER/control.sock"
check_eq "...the socket's folder 0755, its state 0700" "755 700" \
	"$(stat -c %a "$OTHER" "$OTHER/entries" | paste -sd' ')"
check_eq "...so an unprivileged user reaches the socket" True \
	"$(echo '{"command": "status"}' | setpriv --reuid=65534 --regid=65534 --clear-groups \
		socat -t 5 - "UNIX-CONNECT:$OTHER/control.sock" | field 'd["ok"]')"
kill "$other_pid"
wait "$other_pid"
mkdir -m 0777 "$SCRATCH/shared"
check_eq "a state directory others may write is refused" \
	"1 <3>vfio-bpfd: $SCRATCH/shared: owned by uid 0, mode 0777: it must be this user's (uid 0) and writable by no one else" \
	"$(said other --once --state-dir "$SCRATCH/shared")"
rm -rf /sys/fs/bpf/vpb-other
check_eq "root detaches the runtime entry" "True rt1" \
	"$(ask '{"command": "detach", "name": "rt1"}' | field 'd["ok"], d["detach"]["name"]')"
check_eq "...from its device, its pin and records gone" "guard 0 0" \
	"$(policies_of "$EDU0") $(ls "$PINS" | grep -c rt1) $(ls "$STATE" | grep -c rt1)"

# --- vfio-bpfctl: through the daemon when it answers, alone with --no-daemon --------
ctl() { "$CTL" --control "$CONTROL" "$@"; }
check "vfio-bpfctl attach goes through the daemon" ctl attach "$POLICIES/trace.bpf.o" \
	--target "$EDU1" --name ctl1
check_eq "...which owns it as a runtime entry" "ctl1:runtime" "$(owners | tr ' ' '\n' | grep '^ctl1:')"
check "...pinned and kept by the daemon" test -e "$PINS/ctl1" -a -e "$STATE/ctl1.conf"
check "vfio-bpfctl policies says so" sh -c "'$CTL' --control '$CONTROL' policies |
	grep -qE '^[0-9]+ +ctl1 +$EDU1 .* runtime +attach='"
check "...and guard is the config's" sh -c "'$CTL' --control '$CONTROL' policies |
	grep -qE '^[0-9]+ +guard +- .* config +'"
check_eq "vfio-bpfctl attach as nobody: the daemon's refusal, status 1" \
	"1 vfio-bpfctl: vfio-bpfd refused the attach: attach: permission denied (uid 65534 is not root)" \
	"$(said setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" --control "$CONTROL" \
		attach "$POLICIES/trace.bpf.o" --target "$EDU1" --name ctl2)"
check_eq "vfio-bpfctl stats BDF --json: an array of one, as for every device; policies a string" \
	"list 1 str int" "$("$CTL" stats "$EDU0" --json | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(type(d).__name__, len(d), type(d[0]["policies"]).__name__, type(d[0]["ioctls"]).__name__)')"
mkdir -p "$SCRATCH/objs"
cp "$POLICIES/trace.bpf.o" "$SCRATCH/objs/"
check "vfio-bpfctl attach ./OBJECT, from the object's folder, goes through the daemon" sh -c \
	"cd '$SCRATCH/objs' && '$CTL' --control '$CONTROL' attach ./trace.bpf.o --target $EDU0 --name rel"
check "...which keeps the object's full path" grep -qx "object = $SCRATCH/objs/trace.bpf.o" \
	"$STATE/rel.conf"
ctl detach rel >/dev/null
check "vfio-bpfctl detach NAME goes through the daemon" ctl detach ctl1
check_eq "...and it is gone" "guard trap1 0 0" \
	"$(policies_of "$EDU1") $(ls "$PINS" | grep -c ctl1) $(ls "$STATE" | grep -c ctl1)"
check_eq "vfio-bpfctl detach of a config entry's pin asks the daemon, which refuses" \
	"1 vfio-bpfctl: vfio-bpfd refused the detach: detach: 'guard' is an entry of the config: remove its file instead" \
	"$(said ctl detach "$PINS/guard")"
check "...and the pin stays" test -e "$PINS/guard"
# Its own process (not a function's subshell), and SIGTERM: a background job ignores SIGINT.
"$CTL" --control "$CONTROL" --no-daemon attach "$POLICIES/trace.bpf.o" --target "$EDU1" \
	--name alone >"$SCRATCH/alone" 2>&1 &
alone=$!
check "--no-daemon attaches alone, in the foreground" wait_for_line "$SCRATCH/alone" "attached; interrupt"
check_eq "...on the device, not the daemon's" "guard trap1 alone alone:None" \
	"$(policies_of "$EDU1") $(owners | tr ' ' '\n' | grep '^alone')"
kill "$alone"
wait "$alone"
check_eq "...and it ends with the command" "guard trap1" "$(policies_of "$EDU1")"
"$BPFTOOL" map create /sys/fs/bpf/not-ours type array key 4 value 4 entries 1 name not_ours
check_eq "vfio-bpfctl detach of a pinned object that is no policy's link is refused" \
	"1 vfio-bpfctl: /sys/fs/bpf/not-ours is no struct_ops link (another kind of BPF object): not removed" \
	"$(said "$CTL" --no-daemon detach /sys/fs/bpf/not-ours)"
check "...and it stays" test -e /sys/fs/bpf/not-ours
rm -f /sys/fs/bpf/not-ours
check_eq "vfio-bpfctl detach NAME with no daemon says what to do" \
	"1 vfio-bpfctl: detach x: no vfio-bpfd answers on /nowhere.sock; detach a pin by its path" \
	"$(said "$CTL" --control /nowhere.sock detach x)"

# --- a device that unbinds and comes back --------------------------------------------
# The kernel detaches a target policy's link when its device unbinds; the
# daemon hears the unbind and registers the policy again, to wait for it.
after_change unbind "$EDU1"
check "the unbind is noticed" logged "$EDU1: unbind"
check "...and trap1 is registered again, pending" grep -qx "trap1 $EDU1 pending" \
	"$DRIVER_POLICIES"
check "bind edu1 again" bind "$EDU1" vfio-pci-bpf
check_eq "edu1 has guard and trap1 again" "guard trap1" "$(policies_of "$EDU1")"
ids="$(link_id guard) $(link_id trap1)"

# --- reload: a new parameter is a hot swap under a reading client ------------------
start_loop reads "$EDU0" cfg-read 0 2
r=$(readies)
after_change sed -i 's/^vendor_id = 0x1111/vendor_id = 0x2222/' "$CONF/guard.conf"
check "the edited file is noticed and reloaded (RELOADING=1, READY=1)" wait_ready $((r + 1))
check "...RELOADING=1 came first" grep -q '^RELOADING=1$' "$SCRATCH/notify"
stop_loop reads
summary=$(tail -n1 "$SCRATCH/reads")
echo "    $summary"
check "no read failed during the swap" grep -q ": 0 failed" <<<"$summary"
check "reads saw the old and the new value" grep -qE '0x1111x[0-9]+ 0x2222x' <<<"$summary"
check_eq "it was a swap: the link is the same" "$ids" "$(link_id guard) $(link_id trap1)"
check "...as the log says" logged "swapped guard"

# --- bad files: refused with file, line and key; what ran keeps running -----------
bad() {
	local name=$1 want=$2
	cat >"$SCRATCH/$name.conf"
	mv "$SCRATCH/$name.conf" "$CONF/"
	check "$name.conf refused: $want" eventually 60 logged "$want"
	check_eq "$name.conf: edu0 still has guard only, reading 0x2222" "guard 0x2222" \
		"$(policies_of "$EDU0") $(op "$EDU0" cfg-read 0 2)"
	after_change rm -f "$CONF/$name.conf"
}
bad syntax "$CONF/syntax.conf:2: syntax error" <<EOF
[policy]
this is no setting
EOF
bad unknown "$CONF/unknown.conf:3: colour: unknown key in \[policy\]" <<EOF
[policy]
object = $POLICIES/trace.bpf.o
colour = red
EOF
bad missing "$CONF/missing.conf:2: object: /nowhere/x.bpf.o: No such file" <<EOF
[policy]
object = /nowhere/x.bpf.o
EOF
bad address "$CONF/address.conf:3: target: '0000:zz:00.0' is no PCI address" <<EOF
[policy]
object = $POLICIES/trace.bpf.o
target = 0000:zz:00.0
EOF
bad param "$CONF/param.conf:5: parameters: cannot load param: parameter 'nosuch'" <<EOF
[policy]
object = $POLICIES/bar_trap.bpf.o
target = $EDU0
[parameters]
nosuch = 1
EOF
bad verifier "$CONF/verifier.conf:2: object: cannot load verifier: .*infinite loop detected" <<EOF
[policy]
object = $TEST_POLICIES/bad_loop.bpf.o
target = $EDU0
EOF
# Two migration owners for one device: the kernel refuses the second, and
# the daemon's error carries the kernel's reason.
cat >"$SCRATCH/mig1.conf" <<EOF
[policy]
object = $POLICIES/edu_migrate.bpf.o
target = $EDU0
migration = yes
EOF
after_change mv "$SCRATCH/mig1.conf" "$CONF/"
check_eq "a migration owner from the config attaches to edu0" "guard mig1" "$(policies_of "$EDU0")"
sed 's/^migration = yes$/priority = 5\nmigration = yes/' "$CONF/mig1.conf" >"$SCRATCH/mig2.conf"
mv "$SCRATCH/mig2.conf" "$CONF/"
check "a second owner, mig2.conf, is refused with the kernel's reason" eventually 60 logged \
	"mig2.conf: cannot attach mig2: register: .*(kernel: .*policy 'mig2': 'mig1' already owns the device's migration)"
check_eq "...and edu0 keeps guard and mig1" "guard mig1" "$(policies_of "$EDU0")"
after_change rm -f "$CONF/mig1.conf" "$CONF/mig2.conf"
check_eq "with both files gone edu0 has guard only" guard "$(policies_of "$EDU0")"
bad duplicate "duplicate.conf: name: 'guard' is also the name of $CONF/guard.conf's entry" <<EOF
[policy]
name = guard
object = $POLICIES/trace.bpf.o
EOF
after_change sed -i 's/^vendor_id = 0x2222/vendor_id 0x3333/' "$CONF/guard.conf"
check "a broken guard.conf is refused" logged "guard.conf:7: syntax error"
check_eq "...and guard keeps running as it was" "guard 0x2222 $ids" \
	"$(policies_of "$EDU0") $(op "$EDU0" cfg-read 0 2) $(link_id guard) $(link_id trap1)"
after_change sed -i 's/^vendor_id 0x3333/vendor_id = 0x2222/' "$CONF/guard.conf"

# --- a new version is proven before the old one goes ---------------------------------
# mv_conf BODY: mv.conf's [policy] lines after its name, as one edit.
mv_conf() {
	printf '[policy]\nname = mv\n%s\n' "$1" >"$SCRATCH/mv.conf"
	after_change mv "$SCRATCH/mv.conf" "$CONF/mv.conf"
}
mv_conf "object = $POLICIES/trace.bpf.o
target = $EDU1
priority = 50"
check_eq "mv attaches to edu1" "guard trap1 mv" "$(policies_of "$EDU1")"
mv_id=$(link_id mv)
# still_on_edu1 WHY WANT: the edit's refusal is logged, and mv runs on edu1 as it did.
still_on_edu1() {
	check "moving mv to edu0 with $1 is refused" eventually 30 logged "$2"
	check_eq "...and mv keeps running on edu1, the same link" "guard trap1 mv $mv_id guard" \
		"$(policies_of "$EDU1") $(link_id mv) $(policies_of "$EDU0")"
}
mv_conf "object = $POLICIES/trace.bpf.o
target = $EDU0
priority = 50
[parameters]
nosuch = 1"
still_on_edu1 "a bad parameter" "mv.conf:7: parameters: cannot load the new version of mv: parameter 'nosuch'"
mv_conf "object = $TEST_POLICIES/bad_loop.bpf.o
target = $EDU0"
still_on_edu1 "an object the verifier refuses" \
	"mv.conf:3: object: cannot load the new version of mv: .*infinite loop detected"
mv_conf "object = $POLICIES/trace.bpf.o
target = $EDU0
migration = yes"
still_on_edu1 "the wrong migration ownership" "mv.conf: migration: the object does not own migration"
# What only the kernel can refuse: a second migration owner of edu0.
printf '[policy]\nobject = %s\ntarget = %s\nmigration = yes\n' "$POLICIES/edu_migrate.bpf.o" \
	"$EDU0" >"$SCRATCH/owner.conf"
after_change mv "$SCRATCH/owner.conf" "$CONF/"
check_eq "edu0 has a migration owner" "guard owner" "$(policies_of "$EDU0")"
mv_conf "object = $POLICIES/edu_migrate.bpf.o
target = $EDU0
migration = yes"
check "the kernel refuses mv as edu0's second owner; the old version runs again" eventually 30 \
	logged "mv.conf: cannot attach mv: register: .*already owns.*; the old version runs again"
check_eq "...on edu1, and not on edu0" "guard trap1 mv guard owner" \
	"$(policies_of "$EDU1") $(policies_of "$EDU0")"
after_change rm "$CONF/owner.conf"
check_eq "with no other owner, mv moves to edu0" "guard trap1 guard mv" \
	"$(policies_of "$EDU1") $(policies_of "$EDU0")"
check "...replaced, as the log says" logged "replaced mv .*target=$EDU0"
after_change rm "$CONF/mv.conf"

# An entry without IDs takes the object's: new built-in IDs are a new match, not a swap.
printf '[policy]\nobject = %s\npriority = 70\n' "$TEST_POLICIES/trivial.bpf.o" >"$SCRATCH/ids.conf"
after_change mv "$SCRATCH/ids.conf" "$CONF/"
check_eq "an entry without IDs attaches where the object's own match says" "guard ids" \
	"$(policies_of "$EDU0")"
after_change sed -i "s|/trivial.bpf.o|/trivial_edu.bpf.o|" "$CONF/ids.conf"
check "an object with other built-in IDs replaces it" logged "replaced ids .*vendor=1234,device=11e8"
after_change kill -HUP "$daemon"
check "...and the next reconcile has nothing left to do: it converged" grep -q ', 0 failed$' \
	<<<"$(last_reconcile)"
after_change rm "$CONF/ids.conf"

# A renamed file's entry is that file's: refusing the file later keeps the entry.
printf '[policy]\nname = ren\nobject = %s\ntarget = %s\npriority = 60\n' \
	"$POLICIES/trace.bpf.o" "$EDU0" >"$SCRATCH/ren-a.conf"
after_change mv "$SCRATCH/ren-a.conf" "$CONF/"
ren_id=$(link_id ren)
after_change mv "$CONF/ren-a.conf" "$CONF/ren-b.conf"
after_change sed -i 's/^priority = 60/priority 60/' "$CONF/ren-b.conf"
check "the renamed file, broken, is refused" logged "ren-b.conf:5: syntax error"
check_eq "...and its entry kept as it was" "guard ren $ren_id" \
	"$(policies_of "$EDU0") $(link_id ren)"
after_change rm "$CONF/ren-b.conf"

# --- removal, and a crash mid-attach -------------------------------------------------
after_change rm "$CONF/trap1.conf"
check_eq "a removed file's policy is detached" guard "$(policies_of "$EDU1")"
check "...and its pin is gone" test ! -e "$PINS/trap1"
stop_daemon -KILL
# What a kill -9 between pinning and renaming leaves: a +new- pin.
check "a half-done attach's pin (as a crash leaves it)" "$CTL" attach "$POLICIES/trace.bpf.o" \
	--target "$EDU1" --name leftover --pin "$PINS/+new-leftover"
sed 's/^vendor = 0x1234/name = guard2\nvendor = 0x1234/' "$CONF/guard.conf" >"$CONF/guard2.conf"
after_change start_daemon
check "the next start removes the leftover" test ! -e "$PINS/+new-leftover"
check "...and says so" logged "removed $PINS/+new-leftover, left by an attach that did not finish"
check_eq "...and converges to the config" "guard guard2" "$(policies_of "$EDU1")"
# A pin the daemon did not make is never touched.
"$CTL" attach "$POLICIES/trace.bpf.o" --target "$EDU1" --name foreign --pin "$PINS/foreign"
after_change kill -HUP "$daemon"
check "SIGHUP reloads (the daemon is still there)" kill -0 "$daemon"
check "a pin it did not make is left alone" test -e "$PINS/foreign"
rm -f "$PINS/foreign"

# --- every VF of a PF -----------------------------------------------------------------
cat >"$SCRATCH/vfs.conf" <<EOF
[policy]
object = $POLICIES/trace.bpf.o
vfs_of = $IGB_PF
EOF
after_change mv "$SCRATCH/vfs.conf" "$CONF/"
check "an entry for every VF of the PF waits for VFs" grep -qx \
	"vfs ffff:ffff,vfs_of=$IGB_PF devices=0" "$DRIVER_POLICIES"
create_vfs 2
for vf in $(vf_list); do bind "$vf" vfio-pci-bpf; done
check_eq "each new VF has it" "vfs vfs" \
	"$(for vf in $(vf_list); do echo "$(policies_of "$vf")"; done | paste -sd' ')"
for vf in $(vf_list); do unbind "$vf"; done
echo 0 >"/sys/bus/pci/devices/$IGB_PF/sriov_numvfs"
check "removing the VFs leaves it registered, on no device" grep -qx \
	"vfs ffff:ffff,vfs_of=$IGB_PF devices=0" "$DRIVER_POLICIES"
check "...and the daemon still runs" kill -0 "$daemon"

stop_daemon
check_eq "SIGTERM stops it with status 0" 0 "$stopped"
check "...saying the policies stay" logged "stopping; the policies stay attached"
kill "$listener"
check_eq "the policies outlive the daemon" "guard guard2" "$(policies_of "$EDU0")"
rm -f "$CONF/vfs.conf"
rm -rf "$PINS"
wait_links_below 1
sed 's/^/    bpfd: /' "$SCRATCH/bpfd.log" | tail -n 12
unbind "$EDU1"
finish
