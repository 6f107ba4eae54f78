#!/bin/bash
# Runs inside the test VM (make bench): measures each device-fd operation
# on one edu device under stock vfio-pci, vfio-pci-bpf without a policy,
# with trace on every hook (BAR0's register page trapped and passed), and
# with bar_trap emulating the register, and prints medians and ratios.
. "$(dirname "$0")/../tests/vm/lib.sh"

BENCH=$BUILD/tools/vfio-bench
DEV=$EDU0
BATCHES=${BENCH_BATCHES:-31}
PER_BATCH=${BENCH_OPS:-2000}
ROUNDS=${BENCH_ROUNDS:-6}
declare -A result

# Each round measures every configuration once, so that drift of the
# emulated machine spreads over all of them.  A round's figure is its
# fastest batch (the one least disturbed by the emulator and the host);
# the reported figure is the median over rounds.
measure() {
	local name=$1 op median min
	while read -r op median min; do
		result[$name.$op]+="$min "
	done < <("$BENCH" "$DEV" "$BATCHES" "$PER_BATCH")
}

median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

load_module || exit 1
modprobe vfio-pci
run_config() {
	case $1 in
	vfio-pci) bind "$DEV" vfio-pci && measure vfio-pci ;;
	no-policy) bind "$DEV" vfio-pci-bpf && measure no-policy ;;
	trace)
		bind "$DEV" vfio-pci-bpf &&
			"$CTL" attach "$POLICIES/trace.bpf.o" --target "$DEV" --set trap_len=0x1000 \
				--pin /sys/fs/bpf/bench-trace && measure trace
		detach_pin /sys/fs/bpf/bench-trace
		;;
	emulating-trap)
		bind "$DEV" vfio-pci-bpf &&
			"$CTL" attach "$POLICIES/bar_trap.bpf.o" --target "$DEV" --set trap_len=0x1000 \
				--set emulate_offset=4 --pin /sys/fs/bpf/bench-trap && measure emulating-trap
		detach_pin /sys/fs/bpf/bench-trap
		;;
	esac

}

# Odd rounds run the configurations forward, even rounds backward, so that
# none always comes first after a rebind.
configs=(vfio-pci no-policy trace emulating-trap)
for round in $(seq "$ROUNDS"); do
	order=("${configs[@]}")
	[ $((round % 2)) = 0 ] && order=(emulating-trap trace no-policy vfio-pci)
	for c in "${order[@]}"; do
		run_config "$c"
	done
done
for key in "${!result[@]}"; do
	result[$key]=$(median "${result[$key]}")
done

echo "vfio-bench on $DEV ($(uname -r), ns/op: median over $ROUNDS rounds of the fastest of $BATCHES batches x $PER_BATCH ops;"
echo "ratio = time / stock vfio-pci time; emulated bar_read ratio vs the hardware path)"
printf '%-16s %10s %10s %8s %10s %8s %14s %8s\n' op vfio-pci no-policy ratio trace ratio emulating-trap ratio
for op in config_read bar_read bar_write ioctl_get_info mmap_read; do
	base=${result[vfio-pci.$op]}
	printf '%-16s %10s' "$op" "$base"
	for s in no-policy trace emulating-trap; do
		v=${result[$s.$op]}
		printf ' %*s %8s' $([ "$s" = emulating-trap ] && echo 14 || echo 10) "$v" \
			"$(awk -v a="$v" -v b="$base" 'BEGIN { printf "%.3f", a / b }')"
	done
	echo
done
