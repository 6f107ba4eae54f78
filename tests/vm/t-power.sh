#!/bin/bash
# vfio-pci-core's power rules hold on the paths the module adds.  After a
# VMM puts the igb PF in a low-power state (VFIO_DEVICE_FEATURE
# LOW_POWER_ENTRY), a trapped BAR read wakes the device first, as
# vfio-pci does for any device-fd access, instead of reading a function
# in D3; a kfunc that may not sleep refuses with EIO, and the sleepable
# poll wakes it.
. "$(dirname "$0")/lib.sh"
RACE=$BUILD/tests/vfio-race
LOW_POWER_ENTRY=3
power_state() { cat "/sys/bus/pci/devices/$IGB_PF/power_state"; }
in_d3() { case "$(power_state)" in D3*) return 0 ;; *) return 1 ;; esac; }

check "module loads" load_module
modprobe igb
echo 0 >"/sys/bus/pci/devices/$IGB_PF/sriov_numvfs" 2>/dev/null
check "bind the igb PF" bind "$IGB_PF" vfio-pci-bpf
check "trap BAR0's first page (the status register at 0x8)" "$CTL" attach \
	"$POLICIES/bar_trap.bpf.o" --target "$IGB_PF" --pin /sys/fs/bpf/trap
"$RACE" "$IGB_PF" script bar-read 0 8 4 bar-read 0 0x2000 4 feature-set $LOW_POWER_ENTRY wait \
	bar-read 0 8 4 bar-read 0 0x2000 4 cfg-read 0xc0 4 cfg-read 0xc4 4 cfg-read 0xc8 4 \
	cfg-read 0xcc 4 >"$SCRATCH/vmm" 2>&1 &
vmm=$!
wait_for_line "$SCRATCH/vmm" holding
check_eq "the VMM's low-power entry was accepted" "feature-set 3 = 0x0" "$(sed -n 3p "$SCRATCH/vmm")"
check "the PF went to D3 (power_state $(power_state))" eventually 30 in_d3
check "attach power_probe to the open, sleeping PF" "$CTL" attach \
	"$TEST_POLICIES/power_probe.bpf.o" --target "$IGB_PF" --pin /sys/fs/bpf/probe
check "...and the PF went back to D3 after its poll" eventually 30 in_d3
kill -USR1 "$vmm"
wait "$vmm"
status=$(sed -n 1p "$SCRATCH/vmm" | sed 's/.* = //')
untrapped=$(sed -n 2p "$SCRATCH/vmm" | sed 's/.* = //')
check "the status register reads as a live device's" test "$status" != 0xffffffff
check_eq "a trapped read in low power wakes the device and reads it" \
	"bar-read 0 8 4 = $status" "$(sed -n 5p "$SCRATCH/vmm")"
check_eq "...as an untrapped read does" "bar-read 0 0x2000 4 = $untrapped" \
	"$(sed -n 6p "$SCRATCH/vmm")"
check_eq "bar_read kfunc on the sleeping device: EIO" "cfg-read 0xc0 4 = 0xfffffffb" \
	"$(sed -n 7p "$SCRATCH/vmm")"
check_eq "bar_poll kfunc woke it and read it" "cfg-read 0xc4 4 = 0x0" "$(sed -n 8p "$SCRATCH/vmm")"
check_eq "config_write kfunc on the sleeping device: EIO, never written" \
	"cfg-read 0xc8 4 = 0xfffffffb" "$(sed -n 9p "$SCRATCH/vmm")"
check_eq "config_read kfunc of the function in D3hot works" "cfg-read 0xcc 4 = 0x0" \
	"$(sed -n 10p "$SCRATCH/vmm")"
detach_pin /sys/fs/bpf/trap /sys/fs/bpf/probe
finish
