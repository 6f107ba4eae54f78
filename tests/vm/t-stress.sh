#!/bin/bash
# Policies coming and going under load: attach/detach cycles and device
# unbind/rebind cycles while clients hammer config space and a trapped BAR.
# No access may fail, and the kernel log must stay clean.
. "$(dirname "$0")/lib.sh"

check "module loads" load_module
check "bind edu0" bind "$EDU0" vfio-pci-bpf
check "bind edu1" bind "$EDU1" vfio-pci-bpf

# Readers: config reads on edu0 and BAR reads (untrapped path) on edu1,
# running from before the first attach to after the last detach.
start_loop cfg "$EDU0" cfg-read 0 4
start_loop bar "$EDU1" bar-read 0 0 4
for cycles in $(seq 5); do
	"$CTL" attach "$POLICIES/trace.bpf.o" --vendor 0x1234 --pin /sys/fs/bpf/s-trace &&
		"$CTL" attach "$POLICIES/cfg_guard.bpf.o" --target "$EDU0" --priority -1 \
			--set subsys_id=0x77 --pin /sys/fs/bpf/s-guard || break
	detach_pin /sys/fs/bpf/s-trace /sys/fs/bpf/s-guard
done
stop_loop cfg
stop_loop bar
cfg=$(tail -n1 "$SCRATCH/cfg")
bar=$(tail -n1 "$SCRATCH/bar")
echo "    $cfg; $bar; $cycles attach/detach cycles"
check_eq "5 attach/detach cycles ran during the reads" 5 "$cycles"
check "no config read failed" grep -q ": 0 failed" <<<"$cfg"
check "every config read saw the real IDs" grep -qE "^repeat [0-9]+ cfg-read: 0 failed, values 0x11e81234x[0-9]+$" <<<"$cfg"
check "no BAR read failed" grep -qE "^repeat [0-9]+ bar-read: 0 failed, values 0x10000edx[0-9]+$" <<<"$bar"

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
