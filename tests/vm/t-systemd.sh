#!/bin/bash
# vfio-bpfd as systemd runs it: the guest boots the host's systemd as PID 1,
# make install lays the daemon, its policies and its unit out under /run
# (the root is read-only), and systemd starts, reloads, stops and restarts
# the service with the unit's hardening in force.
# vm-env: VM_INIT=systemd
. "$(dirname "$0")/lib.sh"

# make install stages into DESTDIR; the PREFIX part is then put in place,
# as a package would be, under /run (PREFIX=/run/vpb), and what goes to /etc
# is used from the stage.
STAGE=/run/vpb-stage
PREFIX=/run/vpb
UNIT=vfio-bpfd.service
CONF=$STAGE/etc/vfio-pci-bpf/policies.d
main_pid() { systemctl show -p MainPID --value $UNIT; }
status_text() { systemctl show -p StatusText --value $UNIT; }
journal() { journalctl -u $UNIT -o cat --no-pager; }
# reconciled: the daemon's last "reconciled: ..." journal line.
reconciled() { journal | grep 'reconciled:' | tail -n1 | sed 's/.*reconciled: //'; }
# Predicates for eventually, which calls them again and again.
policies_are() { [ "$(policies_of "$EDU_A")" = "$1" ]; }
status_has() { grep -q "$1" <<<"$(status_text)"; }
restarted_from() {
	[ "$(systemctl is-active $UNIT)" = active ] && [ "$(main_pid)" != "$1" ] &&
		[ "$(main_pid)" != 0 ]
}

check_eq "systemd is PID 1" systemd "$(cat /proc/1/comm)"
check "module loads" load_module
check "bind edu A ($EDU_A)" bind "$EDU_A" vfio-pci-bpf
check "make install lays out the daemon, policies and unit" \
	make -s -C "$REPO" -o bpf -o loader -o tools install-userspace BUILD="$BUILD" DESTDIR=$STAGE PREFIX=$PREFIX
cp -a "$STAGE$PREFIX" "$PREFIX"
cp "$STAGE/etc/systemd/system/$UNIT" /run/systemd/system/
# The operator's only change: where the configuration lives.
mkdir -p /run/systemd/system/$UNIT.d
printf '%s\n' '[Service]' ExecStart= "ExecStart=$PREFIX/bin/vfio-bpfd --config-dir $CONF" \
	>/run/systemd/system/$UNIT.d/config-dir.conf
cat >"$CONF/guard.conf" <<EOF
[policy]
object = $PREFIX/lib/vfio-pci-bpf/cfg_guard.bpf.o
target = $EDU_A
[parameters]
vendor_id = 0x1af4
EOF
systemctl daemon-reload

# --- start: Type=notify, so start returns once the daemon said READY ----------------
# start: systemctl start, and on failure what the daemon said.
start() { systemctl start $UNIT || { journal | tail -n 15 | sed 's/^/    | /' && false; }; }
check "systemctl start returns once the daemon is ready" start
check_eq "the service is active" active "$(systemctl is-active $UNIT)"
check_eq "...and the policy is attached before start returned" guard "$(policies_of "$EDU_A")"
echo "    STATUS: $(status_text)"
check "systemd shows the daemon's STATUS" status_has "^1 policies from $CONF, 1 devices bound"
check_eq "the VMM reads the guarded vendor ID" "cfg-read 0 2 = 0x1af4" \
	"$("$CLIENT" "$EDU_A" cfg-read 0 2)"
check "the journal has its log lines, levels taken off" grep -q "^vfio-bpfd: reconciled: 1 attached" \
	<(journal)
check_eq "...and none with a raw <N> level prefix" "" "$(journal | grep '^<[0-7]>')"

# An object the sandboxed daemon cannot see: the CLI says why.
mkdir -p /tmp/objs
cp "$PREFIX/lib/vfio-pci-bpf/trace.bpf.o" /tmp/objs/
out=$("$PREFIX/bin/vfio-bpfctl" attach /tmp/objs/trace.bpf.o --target "$EDU_A" --name tmpobj 2>&1)
check_eq "vfio-bpfctl attach of an object in /tmp fails" "1" "$?"
check "...saying that the daemon cannot read it, and what to do" grep -q \
	"vfio-bpfd cannot read /tmp/objs/trace.bpf.o, which this command can: under its unit" <<<"$out"

# --- the unit's confinement, seen from the running daemon -------------------------------
pid=$(main_pid)
check_eq "capability bounding set: CAP_SYS_ADMIN, CAP_PERFMON and CAP_BPF only" \
	000000c000200000 "$(awk '/^CapBnd/ {print $2}' "/proc/$pid/status")"
check_eq "no new privileges" 1 "$(awk '/^NoNewPrivs/ {print $2}' "/proc/$pid/status")"
touch /root/outside
check_eq "ProtectHome: its /root is empty" "" "$(nsenter -t "$pid" -m ls -A /root)"
check_eq "ProtectSystem=strict: it cannot write /var/lib" \
	"touch: cannot touch '/var/lib/written': Read-only file system" \
	"$(nsenter -t "$pid" -m touch /var/lib/written 2>&1)"
check_eq "ReadOnlyPaths=/run: nor where it is installed" \
	"touch: cannot touch '$PREFIX/written': Read-only file system" \
	"$(nsenter -t "$pid" -m touch $PREFIX/written 2>&1)"
check "...but its pins under /sys/fs/bpf/vfio-pci-bpf are there" test -e /sys/fs/bpf/vfio-pci-bpf/guard
check_eq "ProtectKernelModules: the module tree it sees is empty" "full 0" \
	"$([ -n "$(ls -A /usr/lib/modules)" ] && echo full) $(nsenter -t "$pid" -m ls -A /usr/lib/modules | wc -l)"
# ProtectKernelTunables= would make its pins read-only too: /sys and /proc/sys are made so by hand.
check_eq "/sys is read-only" \
	"sh: 1: cannot create /sys/module/vfio_pci_bpf/uevent: Read-only file system" \
	"$(nsenter -t "$pid" -m sh -c 'echo change >/sys/module/vfio_pci_bpf/uevent' 2>&1)"
check_eq "ProcSubset=pid: no /proc/sys" \
	"ls: cannot access '/proc/sys/kernel': No such file or directory" \
	"$(nsenter -t "$pid" -m ls /proc/sys/kernel 2>&1)"
check_eq "LimitNOFILE: 1024 file descriptors" "1024 1024" \
	"$(awk '/^Max open files/ {print $4, $5}' "/proc/$pid/limits")"
check_eq "ordered before libvirtd" libvirtd.service \
	"$(systemctl show -p Before --value $UNIT | tr ' ' '\n' | grep -x libvirtd.service)"
ip link set lo up
check "metrics answer on 127.0.0.1:9477" grep -q "device=\"$EDU_A\"" \
	<(curl -sf http://127.0.0.1:9477/metrics)

# --- reload: SIGHUP through ExecReload ---------------------------------------------------
cat >"$CONF/trace.conf" <<EOF
[policy]
object = $PREFIX/lib/vfio-pci-bpf/trace.bpf.o
target = $EDU_A
priority = 10
EOF
check "systemctl reload" systemctl reload $UNIT
check "the new entry attaches" eventually 30 policies_are "guard trace"
check_eq "...the service stays active with the same process" "active $pid" \
	"$(systemctl is-active $UNIT) $(main_pid)"
check "...and the STATUS follows" eventually 10 status_has "^2 policies from"

# --- stop and start: the policies stay, nothing is attached twice -------------------------
check "systemctl stop" systemctl stop $UNIT
check_eq "stopped, the policies stay attached" "guard trace" "$(policies_of "$EDU_A")"
check "systemctl start again" start
check_eq "the new daemon leaves both entries as they are" \
	"0 attached, 0 swapped, 0 replaced, 2 unchanged, 0 detached" \
	"$(reconciled | cut -d, -f1-5)"

# --- Restart=on-failure -------------------------------------------------------------------
pid=$(main_pid)
[ "$pid" -gt 0 ] && kill -9 "$pid"
check "a killed daemon is started again" eventually 60 restarted_from "$pid"
check_eq "...and the devices kept their policies throughout" "guard trace" \
	"$(policies_of "$EDU_A")"
echo "    $(systemd-analyze security $UNIT --no-pager 2>/dev/null | tail -n1)"

# --- VMs wait for the daemon: enabled, it is required by libvirtd ----------------------
# A stand-in for libvirtd that notes what policies a VM it starts would find.
printf '%s\n' '[Service]' Type=oneshot RemainAfterExit=yes \
	"ExecStart=/bin/sh -c 'cat /sys/bus/pci/devices/$EDU_A/vfio_bpf/policies >/run/libvirtd-saw'" \
	>/run/systemd/system/libvirtd.service
systemctl stop $UNIT
check "systemctl enable vfio-bpfd (for this boot)" systemctl enable --runtime $UNIT
# A broken daemon: a state directory anyone may write, which it refuses.
mkdir -m 0777 /run/vpb-shared
printf '%s\n' '[Service]' ExecStart= \
	"ExecStart=$PREFIX/bin/vfio-bpfd --config-dir $CONF --state-dir /run/vpb-shared" \
	>/run/systemd/system/$UNIT.d/zz-broken.conf
systemctl daemon-reload
check "with the daemon failing, libvirtd does not start" sh -c "! systemctl start libvirtd.service"
check_eq "...and saw no device" "inactive" \
	"$(systemctl is-active libvirtd.service)$(test -e /run/libvirtd-saw && echo ', yet it ran')"
rm /run/systemd/system/$UNIT.d/zz-broken.conf
systemctl daemon-reload
# Stopped, not only reset: a restart systemd scheduled for the failed daemon may run meanwhile.
systemctl stop $UNIT
systemctl reset-failed $UNIT
# No policy left attached: what libvirtd sees, the daemon attached before it started.
rm -rf /sys/fs/bpf/vfio-pci-bpf
wait_links_below 1
check "with the daemon working, libvirtd starts" systemctl start libvirtd.service
check_eq "...after the daemon attached the policies" "guard trace" \
	"$(tr '\n' ' ' </run/libvirtd-saw | sed 's/ $//')"
# What a crash of the daemon does to libvirt: reported, for docs/daemon.md.
since=$(systemctl show -p ActiveEnterTimestampMonotonic --value libvirtd.service)
pid=$(main_pid)
kill -9 "$pid"
eventually 60 restarted_from "$pid"
[ "$(systemctl show -p ActiveEnterTimestampMonotonic --value libvirtd.service)" = "$since" ] &&
	echo "    a crashed daemon, restarted by systemd, left libvirtd running" ||
	echo "    a crashed daemon, restarted by systemd, restarted libvirtd too"
systemctl stop libvirtd.service

systemctl stop $UNIT
rm -rf /sys/fs/bpf/vfio-pci-bpf
wait_links_below 1
unbind "$EDU_A"
finish
