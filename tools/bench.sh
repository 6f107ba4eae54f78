#!/bin/bash
# Runs inside the test VM (make bench): the cost of each device-fd path on
# one edu device under stock vfio-pci, vfio-pci-bpf without a policy, with
# an empty policy, a chain of 8 of them, trace, an emulating bar_trap, and
# the same two policies written as a plain C variant driver
# (tests/native).  Every configuration runs in this one boot.
#
# With BENCH_CLOCK=icount (make bench's default) QEMU counts guest
# instructions (-icount shift=0): a guest nanosecond is one instruction, so
# the figures are instructions per operation and repeat exactly.  With
# BENCH_CLOCK=wall they are nanoseconds, for KVM or bare metal.
. "$(dirname "$0")/../tests/vm/lib.sh"

BENCH=$BUILD/tools/vfio-bench
NATIVE=$BUILD/tests/native/vfio_pci_native.ko
DEV=$EDU0
CLOCK=${BENCH_CLOCK:-icount}
if [ "$CLOCK" = icount ]; then
	BATCHES=${BENCH_BATCHES:-3} PER_BATCH=${BENCH_OPS:-200} UNIT=instructions
else
	BATCHES=${BENCH_BATCHES:-31} PER_BATCH=${BENCH_OPS:-2000} UNIT=ns
fi
OPS=(config_read bar_read bar_write ioctl_get_info mmap_read)
declare -A result

# measure CONFIG: the fastest batch of each operation (under icount every
# batch gives the same figure; on real time the fastest is the least
# disturbed).
measure() {
	local op median min
	while read -r op median min; do
		result[$1.$op]=$min
	done < <("$BENCH" "$DEV" "$BATCHES" "$PER_BATCH")
}

# attach OBJECT ARGS...: onto DEV, bound to vfio-pci-bpf first if need be.
attach() { bind "$DEV" vfio-pci-bpf && "$CTL" attach "$@" --target "$DEV" >/dev/null; }

load_module || exit 1
modprobe vfio-pci
run_config() {
	case $1 in
	vfio-pci) bind "$DEV" vfio-pci && measure "$1" ;;
	no-policy) bind "$DEV" vfio-pci-bpf && measure "$1" ;;
	empty)
		attach "$TEST_POLICIES/empty.bpf.o" --set trap_len=0x1000 --pin /sys/fs/bpf/b0 &&
			measure "$1"
		;;
	chain-8)
		attach "$TEST_POLICIES/empty.bpf.o" --set trap_len=0x1000 --pin /sys/fs/bpf/b0
		for i in 1 2 3 4 5 6 7; do
			attach "$TEST_POLICIES/empty.bpf.o" --name "empty$i" --pin "/sys/fs/bpf/b$i"
		done
		measure "$1"
		;;
	trace)
		attach "$POLICIES/trace.bpf.o" --set trap_len=0x1000 --pin /sys/fs/bpf/b0 &&
			measure "$1"
		;;
	emulating-trap)
		attach "$POLICIES/bar_trap.bpf.o" --set trap_len=0x1000 --set emulate_offset=4 \
			--pin /sys/fs/bpf/b0 && measure "$1"
		;;
	native-trace | native-emulate)
		unbind "$DEV"
		insmod "$NATIVE" policy="${1#native-}" && bind "$DEV" vfio-pci-native && measure "$1"
		unbind "$DEV"
		rmmod vfio_pci_native
		;;
	esac
	detach_pin /sys/fs/bpf/b[0-7] 2>/dev/null
}
configs=(vfio-pci no-policy empty chain-8 trace native-trace emulating-trap native-emulate)
for c in "${configs[@]}"; do
	run_config "$c"
done
# The kernel's parts of a policy call, measured by the C peer (callcost).
declare -A cost
if insmod "$NATIVE" policy=trace; then
	while read -r name value; do
		cost[$name]=$value
	done </sys/kernel/debug/vfio_pci_native/callcost
	rmmod vfio_pci_native
fi

v() { echo "${result[$1.$2]:-?}"; }
over() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "?" || b == "?") print "?"; else printf "%+d", a - b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "?" || b == "?" || b == 0) print "?"; else printf "%.3f", a / b }'; }

echo "vfio-bench on $DEV, $(uname -r), $UNIT per operation (fastest of $BATCHES batches of $PER_BATCH)"
printf '%-15s' op
for c in "${configs[@]}"; do printf ' %14s' "$c"; done
echo
for op in "${OPS[@]}"; do
	printf '%-15s' "$op"
	for c in "${configs[@]}"; do printf ' %14s' "$(v "$c" "$op")"; done
	echo
done
echo
echo "added over stock vfio-pci:"
for op in "${OPS[@]}"; do
	printf '%-15s' "$op"
	for c in "${configs[@]}"; do printf ' %14s' "$(over "$(v "$c" "$op")" "$(v vfio-pci "$op")")"; done
	echo
done
echo

# target TEXT FIGURE LIMIT: one target line with its figure and the verdict.
target() {
	local verdict
	verdict=$(awk -v f="$2" -v l="$3" 'BEGIN { if (f == "?") print "not measured"; else print (f + 0 <= l + 0) ? "met" : "not met" }')
	printf '%-62s %10s  (limit %s)  %s\n' "$1" "$2" "$3" "$verdict"
}
# One struct_ops call of the empty program: what each of the 7 policies
# a chain of 8 has beyond the first adds to a config read (the call
# through its trampoline, and the chain loop's step).
call=$(awk -v a="$(v chain-8 config_read)" -v b="$(v empty config_read)" \
	'BEGIN { if (a == "?" || b == "?") print "?"; else printf "%.1f", (a - b) / 7 }')
echo "one struct_ops call, config_read's signature ($UNIT):"
printf '  %-66s %8s\n' "the empty program through its trampoline (chain-8 - empty) / 7" "$call" \
	"the trace program through its trampoline (that + trace - empty)" \
	"$(awk -v c="$call" -v a="$(v trace config_read)" -v b="$(v empty config_read)" \
		'BEGIN { if (c == "?" || a == "?" || b == "?") print "?"; else printf "%.1f", c + a - b }')" \
	"a C function of the same type, through a pointer" "${cost[c_indirect_call]:-?}" \
	"srcu_read_lock + srcu_read_unlock" "${cost[srcu_read_lock_unlock]:-?}" \
	"rcu_read_lock + rcu_read_unlock" "${cost[rcu_read_lock_unlock]:-?}" \
	"migrate_disable + migrate_enable" "${cost[migrate_disable_enable]:-?}" \
	"ktime_get_ns" "${cost[ktime_get_ns]:-?}"
echo

echo "targets:"
for op in config_read bar_read bar_write ioctl_get_info; do
	base=$(v vfio-pci "$op")
	target "no policy over vfio-pci, $op (instructions)" "$(over "$(v no-policy "$op")" "$base")" \
		"$(awk -v b="$base" 'BEGIN { printf "%d", b / 100 }')"
done
target "empty policy over no policy, config_read" \
	"$(over "$(v empty config_read)" "$(v no-policy config_read)")" 150
target "trace over no policy, config_read" \
	"$(over "$(v trace config_read)" "$(v no-policy config_read)")" 350
for op in config_read bar_read bar_write ioctl_get_info; do
	base=$(v vfio-pci "$op")
	target "trace: BPF's added cost / the C peer's, $op" \
		"$(ratio "$(over "$(v trace "$op")" "$base")" "$(over "$(v native-trace "$op")" "$base")")" 1.3
done
for op in bar_read bar_write; do
	target "emulating trap: BPF / the C peer, emulated $op" \
		"$(ratio "$(v emulating-trap "$op")" "$(v native-emulate "$op")")" 1.3
done
target "mmap'd read, vfio-pci-bpf without policy minus vfio-pci" \
	"$(over "$(v no-policy mmap_read)" "$(v vfio-pci mmap_read)")" 0
