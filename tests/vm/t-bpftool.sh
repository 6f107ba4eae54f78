#!/bin/bash
# bpftool alone registers a trivial struct_ops policy against the module,
# the policy attaches to every vfio-pci-bpf device, and removing the pin
# detaches it; the module then unloads cleanly.
. "$(dirname "$0")/lib.sh"

POLICY=$BUILD/tests/bpf/trivial.bpf.o
PIN=/sys/fs/bpf/vpb-trivial

check "module loads" load_module
check "bind edu0" bind "$EDU0" vfio-pci-bpf
check "bind edu1" bind "$EDU1" vfio-pci-bpf

bpftool_register "$POLICY" "$PIN"
check "link pinned in bpffs" test -e "$PIN/trivial"
check "bpftool sees the struct_ops map" sh -c "bpftool map show | grep -q 'struct_ops  name trivial'"
check_eq "edu0 policies" trivial "$(cat /sys/bus/pci/devices/$EDU0/vfio_bpf/policies)"
check_eq "edu1 policies" trivial "$(cat /sys/bus/pci/devices/$EDU1/vfio_bpf/policies)"
check "module pinned while a policy is registered" sh -c "! rmmod vfio_pci_bpf 2>/dev/null"

rm -rf "$PIN"
# The link is released once the last reference goes; give the RCU grace
# period that frees the map a moment.
no_policies() { [ -z "$(policies_of "$1")" ]; }
eventually 30 no_policies "$EDU0"
check_eq "unpin detaches edu0" "" "$(cat /sys/bus/pci/devices/$EDU0/vfio_bpf/policies)"
check_eq "unpin detaches edu1" "" "$(cat /sys/bus/pci/devices/$EDU1/vfio_bpf/policies)"
check "dmesg logs attach and detach" sh -c \
	"dmesg | grep -q \"$EDU0: policy 'trivial' attached\" && dmesg | grep -q \"$EDU0: policy 'trivial' detached\""

check "module unloads with nothing attached" unload_module
check_eq "edu0 unbound after unload" "" "$(driver_of "$EDU0")"
finish
