#!/bin/bash
# The project's bpftool (Debian's with the fix in tools/bpftool) drives
# policies with no other tool: register and pin, list, show, dump the
# struct_ops and dump its map, unpin to detach; register a policy without
# a link and unregister it.  The module then unloads cleanly.
. "$(dirname "$0")/lib.sh"

POLICY=$BUILD/tests/bpf/trivial.bpf.o
PIN=/sys/fs/bpf/vpb-trivial

check "module loads" load_module
check "bind edu0" bind "$EDU0" vfio-pci-bpf
check "bind edu1" bind "$EDU1" vfio-pci-bpf

bpftool_register "$POLICY" "$PIN"
check "the link is pinned as DIR/<struct_ops variable>" test -e "$PIN/trivial"
check_eq "edu0 policies" trivial "$(cat /sys/bus/pci/devices/$EDU0/vfio_bpf/policies)"
check_eq "edu1 policies" trivial "$(cat /sys/bus/pci/devices/$EDU1/vfio_bpf/policies)"
check "struct_ops list shows it with its type" sh -c \
	"$BPFTOOL struct_ops list | grep -qE '^[0-9]+: trivial +vfio_pci_bpf_ops *$'"
id=$("$BPFTOOL" struct_ops list | awk -F: '/ trivial /{print $1}')
check_eq "struct_ops show by id, as JSON" \
	"{\"id\":$id,\"name\":\"trivial\",\"kernel_struct_ops\":\"vfio_pci_bpf_ops\"}" \
	"$("$BPFTOOL" -j struct_ops show id "$id" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[0], separators=(",", ":")))')"
"$BPFTOOL" -j struct_ops dump name trivial >"$SCRATCH/dump"
check_eq "struct_ops dump: the module's value type with the policy's name" trivial \
	"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[1]["bpf_struct_ops_vfio_pci_bpf_ops"]["data"]["name"])' "$SCRATCH/dump")"
check "map dump of the struct_ops map works" sh -c "$BPFTOOL map dump id $id | grep -q '\"name\": \"trivial\"'"
check "the map is pinned against the module" sh -c "! rmmod vfio_pci_bpf 2>/dev/null"

rm -rf "$PIN"
no_policies() { [ -z "$(policies_of "$1")" ]; }
eventually 30 no_policies "$EDU0"
check_eq "unpin detaches edu0" "" "$(cat /sys/bus/pci/devices/$EDU0/vfio_bpf/policies)"
check_eq "unpin detaches edu1" "" "$(cat /sys/bus/pci/devices/$EDU1/vfio_bpf/policies)"
check "dmesg logs attach and detach" sh -c \
	"dmesg | grep -q \"$EDU0: policy 'trivial' attached\" && dmesg | grep -q \"$EDU0: policy 'trivial' detached\""

out=$("$BPFTOOL" struct_ops register "$TEST_POLICIES/unlinked.bpf.o" 2>&1)
check "a policy without a link registers" grep -qE '^Registered vfio_pci_bpf_ops unlinked id [0-9]+$' <<<"$out"
check_eq "...and stays after bpftool exits" unlinked "$(policies_of "$EDU0")"
out=$("$BPFTOOL" struct_ops unregister name unlinked 2>&1)
check "struct_ops unregister removes it" grep -qE '^Unregistered vfio_pci_bpf_ops unlinked id [0-9]+$' <<<"$out"
eventually 30 no_policies "$EDU0"
check_eq "...from every device" " " "$(policies_of "$EDU0") $(policies_of "$EDU1")"

check "module unloads with nothing attached" unload_module
check_eq "edu0 unbound after unload" "" "$(driver_of "$EDU0")"
finish
