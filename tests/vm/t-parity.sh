#!/bin/bash
# With nothing attached, vfio-pci-bpf is indistinguishable from vfio-pci:
# the client's full report (device, region and IRQ info, config space, BAR
# access, mmap, reset and the errors of bad requests) is identical, field by
# field, for each edu device bound to either driver, and the edu behaviour
# checks pass through both.
. "$(dirname "$0")/lib.sh"

check "module loads" load_module
for dev in "$EDU0" "$EDU1"; do
	for drv in vfio-pci vfio-pci-bpf; do
		check "$dev binds to $drv" bind "$dev" "$drv"
		"$CLIENT" --report "$dev" >"$SCRATCH/$dev.$drv.report" 2>&1
		check_eq "$dev report through $drv" 0 "$?"
		check "$dev edu checks through $drv" "$CLIENT" --edu "$dev"
	done
	if diff -u "$SCRATCH/$dev.vfio-pci.report" "$SCRATCH/$dev.vfio-pci-bpf.report" \
		>"$SCRATCH/diff"; then
		ok "$dev: vfio-pci-bpf report identical to vfio-pci ($(wc -l <"$SCRATCH/$dev.vfio-pci.report") lines)"
	else
		fail "$dev: vfio-pci-bpf report differs from vfio-pci"
		head -n 40 "$SCRATCH/diff" | sed 's/^/    /'
	fi
done
check_eq "migration not advertised (feature probe)" \
	"feature migration probe: ENOTTY" \
	"$(grep '^feature migration probe' "$SCRATCH/$EDU0.vfio-pci-bpf.report")"
finish
