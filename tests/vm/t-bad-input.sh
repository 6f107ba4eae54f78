#!/bin/bash
# Bad input gets the same clear error from vfio-pci-bpf as from vfio-pci:
# binding a device another driver is using, opening a device twice, and
# unloading the driver module while a device fd is open.  Nothing is lost:
# the holder keeps working and dmesg stays clean.
. "$(dirname "$0")/lib.sh"

module_of() { [ "$1" = vfio-pci ] && echo vfio_pci || echo vfio_pci_bpf; }

check "module loads" load_module
modprobe vfio-pci
modprobe igb
eventually 30 is_driver "$IGB_PF" igb

for drv in vfio-pci vfio-pci-bpf; do
	# Binding a device igb is driving, even when told to by driver_override.
	echo "$drv" >"/sys/bus/pci/devices/$IGB_PF/driver_override"
	err=$( (echo "$IGB_PF" >"/sys/bus/pci/drivers/$drv/bind") 2>&1)
	echo "${err##*: }" >"$SCRATCH/bind-busy.$drv"
	echo >"/sys/bus/pci/devices/$IGB_PF/driver_override"
	check_eq "$drv: PF still on igb after refused bind" igb "$(driver_of "$IGB_PF")"

	check "$drv: edu0 binds" bind "$EDU0" "$drv"
	"$CLIENT" --edu --hold 60 "$EDU0" >"$SCRATCH/hold.$drv" 2>&1 &
	holder=$!
	if ! wait_for_line "$SCRATCH/hold.$drv" holding; then
		fail "$drv: holder opened the device" "$(cat "$SCRATCH/hold.$drv")"
		kill "$holder"
		continue
	fi
	# A second open of the same device (its group is already in use).
	"$CLIENT" --generic "$EDU0" >/dev/null 2>"$SCRATCH/twice.$drv"
	echo "exit $?: $(cat "$SCRATCH/twice.$drv")" >"$SCRATCH/twice.$drv"
	# Unloading the driver while the device fd is open.
	err=$(rmmod "$(module_of "$drv")" 2>&1)
	echo "exit $?: ${err/$(module_of "$drv")/MODULE}" >"$SCRATCH/rmmod.$drv"
	check_eq "$drv: device still bound after refused unload" "$drv" "$(driver_of "$EDU0")"
	check "$drv: holder still alive" kill -0 "$holder"
	kill "$holder"
	wait "$holder" 2>/dev/null
done

for what in bind-busy twice rmmod; do
	check_eq "$what: vfio-pci-bpf error equals vfio-pci's ($(cat "$SCRATCH/$what.vfio-pci"))" \
		"$(cat "$SCRATCH/$what.vfio-pci")" "$(cat "$SCRATCH/$what.vfio-pci-bpf")"
done
check "bind of a busy device is refused" grep -q 'busy' "$SCRATCH/bind-busy.vfio-pci-bpf"
check "second open is refused with EBUSY" grep -q 'EBUSY' "$SCRATCH/twice.vfio-pci-bpf"
check "unload while open is refused" grep -q 'in use' "$SCRATCH/rmmod.vfio-pci-bpf"
unbind "$EDU0"
check "module unloads once the device is closed" rmmod vfio_pci_bpf
finish
