#!/bin/bash
# make bench, second part: 64 devices in one VM (edu devices behind PCI
# bridges, plus igb VFs).  Registering one ID-match policy on all of them,
# hot-swapping it and detaching it (the kernel's side, timed by vpb-scale),
# at 16, 32 and 64 bound devices to show how the cost grows; and the
# module's own memory per device (slab and per-CPU), from the sizes in BTF.
#
# On the host, "bench-scale.sh --qemu-args" prints the QEMU options that
# add the devices; inside the VM it runs the measurements.
EDU_BRIDGES=2
EDUS_PER_BRIDGE=28
VFS=6

if [ "${1:-}" = --qemu-args ]; then
	for b in $(seq "$EDU_BRIDGES"); do
		printf -- '-device pci-bridge,id=br%d,chassis_nr=%d,addr=0x%x ' "$b" "$((b + 1))" "$((0x12 + b))"
		for s in $(seq "$EDUS_PER_BRIDGE"); do
			printf -- '-device edu,bus=br%d,addr=0x%x ' "$b" "$s"
		done
	done
	exit 0
fi

. "$(dirname "$0")/../tests/vm/lib.sh"
SCALE=$BUILD/tests/vpb-scale
POLICY=$TEST_POLICIES/empty.bpf.o

load_module || exit 1
modprobe vfio-pci
# The bridges come first on the bus, which moves the igb PF.
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x8086:0x10c9 ] && IGB_PF=$(basename "$d")
done
create_vfs "$VFS"
mapfile -t DEVICES < <(
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x1234 ] && basename "$d"
	done
	vf_list
)
echo "devices: ${#DEVICES[@]} (edu: $((${#DEVICES[@]} - $(vf_list | wc -l))), igb VFs: $(vf_list | wc -l))"

bind_first() { # bind_first N DRIVER: the first N devices to DRIVER, the rest unbound
	local i
	for i in "${!DEVICES[@]}"; do
		if [ "$i" -lt "$1" ]; then bind "${DEVICES[$i]}" "$2"; else unbind "${DEVICES[$i]}"; fi
	done
}
# size_of BTF STRUCT: the struct's size in bytes, from the kernel's BTF.
size_of() {
	"$BPFTOOL" btf dump file "/sys/kernel/btf/$1" 2>/dev/null |
		awk -v n="'$2'" '$2 == "STRUCT" && $3 == n { sub("size=", "", $4); print $4; exit }'
}
# The slab size class kmalloc serves an object of N bytes from.
kmalloc_class() { local c=8; while [ "$c" -lt "$1" ]; do c=$((c * 2)); done; echo "$c"; }

# The module's memory per device, exactly, from the sizes of what it
# allocates: its device struct around vfio-pci-core's (one kmalloc), the
# per-CPU counters and SRCU data, SRCU's shared part, and a chain while a
# policy is attached.
core=$(size_of vfio_pci_core vfio_pci_core_device)
ours=$(size_of vfio_pci_bpf vpb_device)
counters=$(size_of vfio_pci_bpf vpb_counters)
srcu_data=$(size_of vmlinux srcu_data)
srcu_usage=$(size_of vmlinux srcu_usage)
chain=$(size_of vfio_pci_bpf vpb_chain)
cpus=$(nproc --all)
echo "memory per device: struct vpb_device $ours B (vfio-pci's struct: $core B;" \
	"kmalloc classes $(kmalloc_class "$ours") B and $(kmalloc_class "$core") B);" \
	"per CPU: counters $counters B + SRCU $srcu_data B, x $cpus CPUs;" \
	"SRCU shared $srcu_usage B; a chain while attached $chain B"
echo "the module's own, per device: slab $(($(kmalloc_class "$ours") - $(kmalloc_class "$core") + srcu_usage)) B" \
	"(+ $chain B with a policy), per-CPU $((counters + srcu_data)) B per CPU"

declare -A cost
n=${#DEVICES[@]}
for count in 16 32 "$n"; do
	bind_first "$count" vfio-pci-bpf
	out=$("$SCALE" "$POLICY")
	echo "$count devices: $(tr '\n' ';' <<<"$out")"
	for what in attach swap detach; do
		cost[$what.$count]=$(awk -v w="$what" '$1 == w { print $2 }' <<<"$out")
	done
done
echo
echo "targets:"
for what in attach swap detach; do
	v=${cost[$what.$n]}
	printf '%-50s %10s  (limit 5000000)  %s\n' "$what, $n devices (guest ns = instructions)" "$v" \
		"$([ -n "$v" ] && [ "$v" -le 5000000 ] && echo met || echo "not met")"
	growth=$(awk -v a="${cost[$what.$n]}" -v b="${cost[$what.16]}" -v n="$n" \
		'BEGIN { printf "%.2f", (a / b) / (n / 16) }')
	printf '%-50s %10s  (linear: 1, quadratic: %d)  %s\n' "$what, cost per device at $n vs at 16" \
		"$growth" "$((n / 16))" "$(awk -v g="$growth" 'BEGIN { print (g <= 1.5) ? "met" : "not met" }')"
done
