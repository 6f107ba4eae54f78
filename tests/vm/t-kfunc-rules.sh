#!/bin/bash
# What a policy can and cannot reach through the kfuncs: nothing on a
# closed device's BARs, no offset that wraps, and no config register that
# vfio-pci-core virtualizes or guards; the raw rest works.  Each answer is
# the kfunc's return value, reported by kfunc_edges through config space.
. "$(dirname "$0")/lib.sh"

check "module loads" load_module
check "bind edu0" bind "$EDU0" vfio-pci-bpf
regions_before=$(grep -c vfio /proc/iomem)
check "attach kfunc_edges (its attach runs on the closed device)" "$CTL" attach \
	"$TEST_POLICIES/kfunc_edges.bpf.o" --target "$EDU0" --pin /sys/fs/bpf/edges
check_eq "attach mapped no BAR of the closed device" "$regions_before" "$(grep -c vfio /proc/iomem)"

# report SLOT: report[SLOT] as a signed number, read in the client's session.
errno_of() { printf '%d' $((($1 ^ 0x80000000) - 0x80000000)); }
reports=$("$CLIENT" "$EDU0" $(for i in $(seq 0 11); do echo cfg-read $((0xc0 + 4 * i)) 4; done) |
	sed 's/.* = //')
report() { errno_of "$(sed -n "$(($1 + 1))p" <<<"$reports")"; }
ENXIO=-6 EINVAL=-22 EPERM=-1
check_eq "bar_read on the closed device: ENXIO" $ENXIO "$(report 0)"
check_eq "bar_poll on the closed device: ENXIO" $ENXIO "$(report 1)"
check_eq "config_read at 0xfffffffc (offset + size wraps): EINVAL" $EINVAL "$(report 2)"
check_eq "config_write at 0xfffffffc: EINVAL" $EINVAL "$(report 3)"
check_eq "config_write while closed: ENXIO" $ENXIO "$(report 4)"
check_eq "config_write to COMMAND (memory and bus master): EPERM" $EPERM "$(report 5)"
check_eq "config_write to BAR0: EPERM" $EPERM "$(report 6)"
check_eq "config_write into the MSI capability: EPERM" $EPERM "$(report 7)"
check_eq "config_write to space no capability claims: done" 0 "$(report 8)"
check_eq "bar_read at 2^64-4 (wraps): EINVAL" $EINVAL "$(report 9)"
check_eq "bar_read of edu's ID register on the open device" $((0x010000ed)) "$(report 10)"
check_eq "bar_poll for that value: matched" 0 "$(report 11)"
detach_pin /sys/fs/bpf/edges
check_eq "no BAR stays mapped after the VMM closed" "$regions_before" "$(grep -c vfio /proc/iomem)"

# A hostile policy hands each kfunc a context it made up instead of the one
# its hook got (tests/bpf/forged_arg.bpf.c); the verifier refuses each at
# load, with the message docs/hooks.md explains.  The same program with the
# hook's own pointer loads, so what is refused is the forgery alone.
# (Regular expressions: 7.x's verifier words the memory refusal as "R1 is
# fp expected STRUCT ...".)
refusal_of() {
	case $1 in
	kptr | walked) echo "must be referenced or trusted" ;;
	obj_new) echo "expected pointer to STRUCT vfio_pci_bpf_" ;;
	*) echo "must point to scalar, or struct with scalar|R[0-9] is [a-z_]+ expected STRUCT vfio_pci_bpf_" ;;
	esac
}
NOWHERE=0000:ff:1f.7
for obj in "$TEST_POLICIES"/forged/*.genuine.bpf.o; do
	kfunc=$(basename "$obj" .genuine.bpf.o)
	check "$kfunc with the hook's own pointer loads" "$CTL" attach "$obj" --target "$NOWHERE" \
		--pin /sys/fs/bpf/genuine
	rm -f /sys/fs/bpf/genuine
	for forged in "$TEST_POLICIES/forged/$kfunc".*.bpf.o; do
		kind=${forged#*/"$kfunc".}
		kind=${kind%.bpf.o}
		[ "$kind" = genuine ] && continue
		if "$CTL" attach "$forged" --target "$NOWHERE" --pin /sys/fs/bpf/forged \
			>"$SCRATCH/out" 2>&1; then
			fail "$kfunc on a forged context ($kind) refused" "it loaded"
			rm -f /sys/fs/bpf/forged
		elif grep -qE "$(refusal_of "$kind")" "$SCRATCH/out"; then
			ok "$kfunc on a forged context ($kind) refused: $(refusal_of "$kind")"
		else
			fail "$kfunc on a forged context ($kind) refused by the verifier" \
				"$(tail -n 2 "$SCRATCH/out")"
		fi
	done
done
check_eq "no forged policy left registered" "" "$(grep forged_arg /sys/bus/pci/drivers/vfio-pci-bpf/policies)"
finish
