#!/bin/bash
# QEMU, started inside the guest as a real VMM, realizes devices bound to
# vfio-pci-bpf with its stock -device vfio-pci: an edu device and an igb VF.
. "$(dirname "$0")/lib.sh"

# realize NAME BDF VENDOR DEVICE: boot-less QEMU (-S) with the device
# assigned; QMP query-pci must list it with its IDs.
realize() {
	local name=$1 bdf=$2 vendor=$3 device=$4 sock=$SCRATCH/qmp-$1.sock
	qemu-system-x86_64 -machine q35,accel=tcg -m 256 -nodefaults -display none \
		-S -qmp "unix:$sock,server=on,wait=off" \
		-device "vfio-pci,host=$bdf,id=assigned" >"$SCRATCH/qemu-$name.log" 2>&1 &
	local qemu=$!
	if python3 "$REPO/tests/vm/qmp.py" "$sock" query-pci quit >"$SCRATCH/pci-$name.json"; then
		check "$name realized with its IDs (query-pci)" python3 -c "
import json, sys
buses = json.load(open('$SCRATCH/pci-$name.json'))
devs = [d for b in buses for d in b['devices'] if d.get('qdev_id') == 'assigned']
assert devs, 'no device with id assigned'
d = devs[0]['id']
assert (d['vendor'], d['device']) == ($vendor, $device), d
"
	else
		fail "$name realized" "QMP failed: $(tail -n1 "$SCRATCH/pci-$name.json")"
		kill -9 "$qemu" 2>/dev/null
	fi
	wait "$qemu"
	check_eq "$name qemu exit status" 0 "$?"
	if grep -q . "$SCRATCH/qemu-$name.log"; then
		sed 's/^/    qemu: /' "$SCRATCH/qemu-$name.log"
	fi
}

check "module loads" load_module
check "bind edu0 to vfio-pci-bpf" bind "$EDU0" vfio-pci-bpf
realize edu "$EDU0" 0x1234 0x11e8

create_vfs 1
vf=$(vf_list | head -n1)
check "bind VF $vf to vfio-pci-bpf" bind "$vf" vfio-pci-bpf
realize igb-vf "$vf" 0x8086 0x10ca
unbind "$vf"
echo 0 >"/sys/bus/pci/devices/$IGB_PF/sriov_numvfs"
finish
