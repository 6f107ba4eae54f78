#!/bin/bash
# SR-IOV: the igb PF (driver igb) creates VFs through sriov_numvfs; each VF
# binds to vfio-pci-bpf, reports exactly what vfio-pci reports, and passes
# the generic client checks.
. "$(dirname "$0")/lib.sh"

NUMVFS=2
check "module loads" load_module
create_vfs "$NUMVFS"
check_eq "PF stays on igb" igb "$(driver_of "$IGB_PF")"
vfs=$(vf_list)
check_eq "VFs created" "$NUMVFS" "$(echo "$vfs" | grep -c .)"
for vf in $vfs; do
	check_eq "$vf is an igb VF" 0x10ca "$(cat /sys/bus/pci/devices/$vf/device)"
	for drv in vfio-pci vfio-pci-bpf; do
		check "$vf binds to $drv" bind "$vf" "$drv"
		"$CLIENT" --report "$vf" >"$SCRATCH/$vf.$drv.report" 2>&1
		check_eq "$vf report through $drv" 0 "$?"
	done
	if diff -u "$SCRATCH/$vf.vfio-pci.report" "$SCRATCH/$vf.vfio-pci-bpf.report" >"$SCRATCH/diff"; then
		ok "$vf: vfio-pci-bpf report identical to vfio-pci"
	else
		fail "$vf: vfio-pci-bpf report differs from vfio-pci"
		head -n 40 "$SCRATCH/diff" | sed 's/^/    /'
	fi
	check "$vf generic checks through vfio-pci-bpf" "$CLIENT" --generic "$vf"
done
for vf in $vfs; do unbind "$vf"; done
echo 0 >"/sys/bus/pci/devices/$IGB_PF/sriov_numvfs"
check_eq "VFs removed" "" "$(vf_list)"
finish
