#!/bin/bash
# SR-IOV: the igb PF (driver igb) creates VFs through sriov_numvfs; each VF
# binds to vfio-pci-bpf, reports exactly what vfio-pci reports, and passes
# the generic client checks; a policy for every VF of the PF finds each new
# VF at its bind, and nothing stays behind when the VFs go.
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

# --- a policy for every VF of one PF ------------------------------------------------
DRIVER_POLICIES=/sys/bus/pci/drivers/vfio-pci-bpf/policies
check "bind edu0 (no VF)" bind "$EDU0" vfio-pci-bpf
check "attach trace to every VF of the PF, before it has any" "$CTL" attach \
	"$POLICIES/trace.bpf.o" --vfs-of "$IGB_PF" --name trace_pf --pin /sys/fs/bpf/pf
check "the driver lists its match" grep -qx "trace_pf ffff:ffff,vfs_of=$IGB_PF devices=0" \
	"$DRIVER_POLICIES"
create_vfs 3
for vf in $(vf_list); do bind "$vf" vfio-pci-bpf; done
check_eq "each new VF has it from its bind on" "trace_pf trace_pf trace_pf" \
	"$(for vf in $(vf_list); do echo "$(policies_of "$vf")"; done | paste -sd' ')"
check_eq "a device that is no VF of that PF does not" "" "$(policies_of "$EDU0")"
check "devices=3" grep -qx "trace_pf ffff:ffff,vfs_of=$IGB_PF devices=3" "$DRIVER_POLICIES"
check "vfio-bpfctl policies shows the match" sh -c "'$CTL' policies | grep -q 'trace_pf .*vfs:$IGB_PF'"
# By class: network controllers (0x02xxxx) are the VFs, edu is 0x00ff00.
check "attach guard to every network controller" "$CTL" attach "$POLICIES/cfg_guard.bpf.o" \
	--class 0x020000/0xff0000 --name guard_net --pin /sys/fs/bpf/net
check_eq "the VFs have it after trace_pf" "trace_pf,guard_net" \
	"$(for vf in $(vf_list); do echo "$(policies_of "$vf" | tr ' ' ,)"; done | sort -u)"
check_eq "edu0 does not" "" "$(policies_of "$EDU0")"
check "the counters file names the class" grep -qx "class 0x00ff00" \
	"/sys/bus/pci/devices/$EDU0/vfio_bpf/counters"
check "the driver lists the class match" grep -qx \
	"guard_net ffff:ffff,class=020000/ff0000 devices=3" "$DRIVER_POLICIES"
refuses_class=$("$CTL" attach "$POLICIES/cfg_guard.bpf.o" --class 0x020001/0xff0000 2>&1)
check "a class no device can have is refused" grep -q "bad class '0x020001/0xff0000'" \
	<<<"$refuses_class"
detach_pin /sys/fs/bpf/net
for vf in $(vf_list); do unbind "$vf"; done
echo 0 >"/sys/bus/pci/devices/$IGB_PF/sriov_numvfs"
check "the VFs' removal leaves it on no device" grep -qx \
	"trace_pf ffff:ffff,vfs_of=$IGB_PF devices=0" "$DRIVER_POLICIES"
detach_pin /sys/fs/bpf/pf
unbind "$EDU0"
finish
