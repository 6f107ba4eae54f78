#!/bin/bash
# The shipped trace policy registered with bpftool alone counts exactly the
# accesses a client makes, in its maps and in the always-on sysfs counters;
# its optional ring buffer streams each access.
. "$(dirname "$0")/lib.sh"

check "module loads" load_module
check "bind edu0" bind "$EDU0" vfio-pci-bpf
check "bind edu1" bind "$EDU1" vfio-pci-bpf

bpftool_register "$POLICIES/trace.bpf.o" /sys/fs/bpf/trace
check_eq "trace attached to edu0 by bpftool alone" trace "$(policies_of "$EDU0")"
check_eq "trace attached to edu1 by bpftool alone" trace "$(policies_of "$EDU1")"
check "bpftool lists the struct_ops map" sh -c "$BPFTOOL map show | grep -q 'struct_ops  name trace'"
check "bpftool lists the struct_ops link" sh -c "$BPFTOOL link show | grep -q struct_ops"
check "bpftool struct_ops list names the module's type" sh -c \
	"$BPFTOOL struct_ops list | grep -qE '^[0-9]+: trace +vfio_pci_bpf_ops'"
# vfio-bpfctl reads the same maps through the module's BTF.
"$CTL" policies >"$SCRATCH/policies"
check "vfio-bpfctl policies lists trace with every hook it implements" grep -qE \
	"^[0-9]+ +trace +- +0000:0000 +0 +- +attach=[0-9]+,open=[0-9]+,close=[0-9]+,ioctl=[0-9]+,config_read=[0-9]+,config_write=[0-9]+,bar_read=[0-9]+,bar_write=[0-9]+$" \
	"$SCRATCH/policies"

# delta BDF COUNTER COMMAND...: how much COUNTER grows while COMMAND runs.
delta() {
	local bdf=$1 name=$2 before
	shift 2
	before=$(counter "$bdf" "$name")
	"$@" >/dev/null
	echo $(($(counter "$bdf" "$name") - before))
}
trace_count() { # trace_count HOOK OFFSET: the policy's own count for edu0
	"$BPFTOOL" -j map dump name trace_counts | python3 -c "
import json, sys
for e in json.load(sys.stdin):
    k = e['formatted']['key'] if 'formatted' in e else None
    if k and k['hook'] == $1 and k['offset'] == $2 and k['addr'] == 0x0010 << 3 | 0:
        print(e['formatted']['value']); break
else:
    print(0)"
}

base=$(delta "$EDU0" hook.config_read.calls "$CLIENT" "$EDU0" repeat 0 cfg-read 0x2c 2)
got=$(delta "$EDU0" hook.config_read.calls "$CLIENT" "$EDU0" repeat 250 cfg-read 0x2c 2)
check_eq "config_read calls: exactly the 250 reads made (beyond the open's own)" 250 $((got - base))
got=$(delta "$EDU0" hook.config_read.pass "$CLIENT" "$EDU0" repeat 250 cfg-read 0x2c 2)
check_eq "config_read pass verdicts: 250" 250 $((got - base))
before=$(trace_count 5 0x2c)
"$CLIENT" "$EDU0" repeat 40 cfg-read 0x2c 2 >/dev/null
check_eq "trace's own map counted the 40 reads at offset 0x2c" $((before + 40)) "$(trace_count 5 0x2c)"
base=$(delta "$EDU0" ioctls "$CLIENT" "$EDU0")
got=$(delta "$EDU0" ioctls "$CLIENT" "$EDU0" reset reset reset)
check_eq "ioctls: the 3 resets beyond the open's own" 3 $((got - base))
got=$(delta "$EDU0" hook.ioctl.calls "$CLIENT" "$EDU0" reset)
check_eq "ioctl hook ran for each ioctl" "$((base + 1))" "$got"
check "time spent in BPF is accounted" test "$(counter "$EDU0" hook.config_read.ns)" -gt 0
check_eq "open and close hooks ran once per client" "$(counter "$EDU0" hook.open.calls)" \
	"$(counter "$EDU0" hook.close.calls)"
check_eq "the attach event is counted" 1 "$(counter "$EDU0" attaches)"
check "counters readable through vfio-bpfctl stats" sh -c "'$CTL' stats $EDU0 | grep -q '^hook.config_read.calls '"

detach_pin /sys/fs/bpf/trace
check_eq "removing the pin detaches trace" "" "$(policies_of "$EDU0")"
check_eq "the detach event is counted" 1 "$(counter "$EDU0" detaches)"
calls=$(counter "$EDU0" hook.config_read.calls)
"$CLIENT" "$EDU0" repeat 10 cfg-read 0 4 >/dev/null
check_eq "no hook runs without a policy" "$calls" "$(counter "$EDU0" hook.config_read.calls)"

# --- the event stream ----------------------------------------------------------
"$CTL" attach "$POLICIES/trace.bpf.o" --target "$EDU1" --set emit_events=1 --events \
	>"$SCRATCH/events" 2>&1 &
fg=$!
wait_for_line "$SCRATCH/events" attached
"$CLIENT" "$EDU1" cfg-read 0x2c 2 >/dev/null
wait_for_line "$SCRATCH/events" "config_read bar=255 off=0x2c size=2"
kill "$fg"
wait "$fg" 2>/dev/null
check "the ring buffer streamed the access with its value" \
	grep -q "0000:00:11.0 config_read bar=255 off=0x2c size=2 value=0x1af4" "$SCRATCH/events"

# --- vfio-bpfctl top: rates while a client reads ------------------------------------
check "attach trace to edu1 again" "$CTL" attach "$POLICIES/trace.bpf.o" --target "$EDU1" \
	--pin /sys/fs/bpf/top
start_loop top "$EDU1" cfg-read 0 4
"$CTL" top --interval 1 --count 2 >"$SCRATCH/top"
stop_loop top
sed 's/^/    /' "$SCRATCH/top"
check "top's first frame has no rates yet" grep -qE "^$EDU1 +trace +- +-" "$SCRATCH/top"
check "its second shows edu1's config reads per second" \
	sh -c "grep '^$EDU1 ' '$SCRATCH/top' | tail -n1 | awk '{ exit !(\$4 > 0) }'"
check "...and none on edu0, which nobody read" \
	sh -c "grep '^$EDU0 ' '$SCRATCH/top' | tail -n1 | awk '{ exit !(\$4 == 0) }'"
detach_pin /sys/fs/bpf/top
# --- vfio-bpfctl trace: the events of registered policies, for one device ------------
check "attach trace with events to every edu" "$CTL" attach "$POLICIES/trace.bpf.o" \
	--vendor 0x1234 --device 0x11e8 --set emit_events=1 --name trace_ev --pin /sys/fs/bpf/ev
"$CTL" trace --device "$EDU1" --count 3 --seconds 30 >"$SCRATCH/trace" 2>&1 &
tracer=$!
sleep 1
"$CLIENT" "$EDU0" cfg-read 0x2c 2 >/dev/null
"$CLIENT" "$EDU1" cfg-read 0x2c 2 cfg-read 0x2c 2 cfg-read 0x2c 2 >/dev/null
wait "$tracer"
check_eq "trace --device prints that device's accesses only" \
	"3 $EDU1 config_read bar=255 off=0x2c size=2" \
	"$(grep -c "off=0x2c" "$SCRATCH/trace") $(grep -m1 "off=0x2c" "$SCRATCH/trace" | cut -d' ' -f2-6)"
detach_pin /sys/fs/bpf/ev
out=$("$CTL" trace 2>&1)
check_eq "without a streaming policy trace fails, saying how to get one" \
	"1 attach one with --set emit_events=1" "$? $(grep -o 'attach one with --set emit_events=1' <<<"$out")"
check "per-verb --help says what the verb takes" sh -c \
	"'$CTL' stats --help | grep -qx 'usage: vfio-bpfctl stats \[BDF\] \[--json\]'"
check_eq "--version" "vfio-bpfctl $(make -s -C "$REPO" --no-print-directory print-version)" \
	"$("$CTL" --version)"
finish
