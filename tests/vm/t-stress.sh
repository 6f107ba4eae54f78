#!/bin/bash
# Policies coming and going under load: attach/detach cycles and device
# unbind/rebind cycles while clients hammer config space and a trapped BAR.
# No access may fail, and the kernel log must stay clean.
. "$(dirname "$0")/lib.sh"

check "module loads" load_module
check "bind edu0" bind "$EDU0" vfio-pci-bpf
check "bind edu1" bind "$EDU1" vfio-pci-bpf

# Readers: config reads on edu0 and BAR reads (untrapped path) on edu1.
"$CLIENT" "$EDU0" repeat 1000000 cfg-read 0 4 >"$SCRATCH/cfg" &
r1=$!
"$CLIENT" "$EDU1" repeat 1000000 bar-read 0 0 4 >"$SCRATCH/bar" &
r2=$!
cycles=0
while kill -0 "$r1" 2>/dev/null && [ $cycles -lt 15 ]; do
	"$CTL" attach "$POLICIES/trace.bpf.o" --vendor 0x1234 --pin /sys/fs/bpf/s-trace &&
		"$CTL" attach "$POLICIES/cfg_guard.bpf.o" --target "$EDU0" --priority -1 \
			--set subsys_id=0x77 --pin /sys/fs/bpf/s-guard || break
	detach_pin /sys/fs/bpf/s-trace /sys/fs/bpf/s-guard
	cycles=$((cycles + 1))
done
wait "$r1"
wait "$r2"
echo "    $(tail -n1 "$SCRATCH/cfg"); $(tail -n1 "$SCRATCH/bar"); $cycles attach/detach cycles"
check "attach/detach cycles ran during the reads" test "$cycles" -ge 2
check "no config read failed" grep -q ": 0 failed" "$SCRATCH/cfg"
check "every config read saw the real IDs" grep -q "values 0x11e81234x1000000$" "$SCRATCH/cfg"
check "no BAR read failed" grep -q ": 0 failed, values 0x10000edx1000000$" "$SCRATCH/bar"

# Unbind and rebind with an ID-match policy and a trap policy attached.
check "ID-match trace" "$CTL" attach "$POLICIES/trace.bpf.o" --vendor 0x1234 --pin /sys/fs/bpf/s-trace
for i in $(seq 10); do
	unbind "$EDU1"
	bind "$EDU1" vfio-pci-bpf || break
	"$CTL" attach "$POLICIES/bar_trap.bpf.o" --target "$EDU1" --set trap_len=0x100 \
		--set emulate_offset=4 --pin /sys/fs/bpf/s-trap || break
	"$CLIENT" "$EDU1" bar-write 0 4 4 "$i" bar-read 0 4 4 >"$SCRATCH/trap" || break
	unbind "$EDU1" # the trap policy goes with the device
	rm -f /sys/fs/bpf/s-trap
	bind "$EDU1" vfio-pci-bpf || break
done
check_eq "10 unbind/rebind cycles with policies attached" 10 "$i"
check_eq "the emulated register worked in the last cycle" "bar-read 0 4 4 = 0xa" "$(tail -n1 "$SCRATCH/trap")"
check_eq "the ID-match policy is back on the rebound device" trace "$(policies_of "$EDU1")"
detach_pin /sys/fs/bpf/s-trace
check_eq "all policies gone" "" "$(policies_of "$EDU0")$(policies_of "$EDU1")"
unbind "$EDU0"
unbind "$EDU1"
check "module unloads" unload_module
finish
