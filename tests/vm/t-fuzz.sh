#!/bin/bash
# Randomized stress: VMM processes (vfio-fuzz, three threads each) hammer
# two edu devices and an igb VF with random config, BAR, mmap and ioctl
# requests, while policies with random verdicts (chaos), and the shipped
# ones with random parameters, attach, detach and hot-swap, devices unbind
# and rebind, and VMM processes are killed in the middle of an access.
# edu1 has a migration owner (sometimes one that fails arcs at random), and
# its VMMs fuzz the migration uAPI too.
# Nothing may crash, warn or leak (the harness checks dmesg, finish checks
# the module's slab caches and unloads it), and every failed request must
# fail with a documented errno.
#   FUZZ_SECONDS (default 60) how long; FUZZ_SEED (default: random) replays a run.
# It needs the test VM's one TCG thread for both vCPUs (run.sh's default):
# with a thread each, QEMU 10 itself trips over BARs switched on and off
# under it (an assertion in iotlb_to_section), which the fuzzers' config
# writes do all the time.
. "$(dirname "$0")/lib.sh"
FUZZ=$BUILD/tests/vfio-fuzz
SECONDS_TOTAL=${FUZZ_SECONDS:-60}
SEED=${FUZZ_SEED:-$(od -An -tu2 -N2 /dev/urandom | tr -d ' ')}
RANDOM=$SEED
echo "    seed $SEED (FUZZ_SEED=$SEED replays the policy actions), $SECONDS_TOTAL s"

check "module loads" load_module
check "bind edu0" bind "$EDU0" vfio-pci-bpf
check "bind edu1" bind "$EDU1" vfio-pci-bpf
create_vfs 1
VF=$(vf_list | head -n1)
check "bind the VF" bind "$VF" vfio-pci-bpf
DEVICES=("$EDU0" "$EDU1" "$VF")
# edu1's VMMs also walk its migration state machine and abuse its data fds.
# Its owner goes with the device at unbind, so it is registered again while
# edu1 is unbound, and attaches as edu1 binds, before a VMM can open it:
# edu_migrate, or every other time an owner whose hooks fail a quarter of
# the time, at random.
own_edu1_migration() {
	rm -f /sys/fs/bpf/fuzz-mig
	if [ $((RANDOM % 2)) = 0 ]; then
		"$CTL" attach "$POLICIES/edu_migrate.bpf.o" --target "$EDU1" --pin /sys/fs/bpf/fuzz-mig
	else
		"$CTL" attach "$TEST_POLICIES/mig_flaky.bpf.o" --target "$EDU1" \
			--set fail_percent=25 --pin /sys/fs/bpf/fuzz-mig
	fi
}
check "attach edu_migrate to edu1" own_edu1_migration
end=$((SECONDS + SECONDS_TOTAL))

# One VMM per device, started again whenever it exits or is killed; its
# results are appended to $SCRATCH/fuzz.<device>.
vmm_loop() {
	local bdf=$1 n=0
	while [ "$SECONDS" -lt "$end" ]; do
		n=$((n + 1))
		"$FUZZ" "$bdf" $((end - SECONDS > 0 ? end - SECONDS : 1)) 3 "$SEED$n" \
			>>"$SCRATCH/fuzz.$bdf" 2>/dev/null &
		echo $! >"$SCRATCH/pid.$bdf"
		wait $! 2>/dev/null
		[ -e "/sys/bus/pci/devices/$bdf/driver" ] || sleep 0.2
	done
}
loops=()
for d in "${DEVICES[@]}"; do
	vmm_loop "$d" &
	loops+=($!)
done

declare -A tally targets
act() { tally[$1]=$((${tally[$1]:-0} + 1)); }
pins=()
policy_args() {
	case $((RANDOM % 5)) in
	0) echo "$POLICIES/trace.bpf.o" ;;
	1) echo "$POLICIES/cfg_guard.bpf.o --set vendor_id=$((RANDOM)) --set hide_cap_id=$((RANDOM % 20)) --set deny_write_offsets=$((RANDOM % 64)) --set deny_write_count=1" ;;
	2) echo "$POLICIES/bar_trap.bpf.o --set trap_offset=$(((RANDOM % 16) * 256)) --set trap_len=$((RANDOM % 4096 + 1)) --set emulate_offset=$(((RANDOM % 64) * 4))" ;;
	*) echo "$TEST_POLICIES/chaos.bpf.o" ;;
	esac
}
target_args() {
	local d=${DEVICES[$((RANDOM % 3))]}
	case $((RANDOM % 3)) in
	0) echo "--vendor 0x1234 --device 0x11e8" ;;
	*) echo "--target $d" ;;
	esac
}
detach_one() {
	local i=$((RANDOM % ${#pins[@]}))
	rm -f "${pins[$i]}"
	pins=("${pins[@]:0:$i}" "${pins[@]:$((i + 1))}")
	act detached
}
# Actions take turns (each kind comes up within eight), with random targets
# and parameters.  At most five policies at a time, so that chains (eight
# policies at most) keep room for edu1's migration owner.
turn=0
while [ "$SECONDS" -lt "$end" ]; do
	turn=$((turn + 1))
	case $((turn % 8)) in
	0 | 1 | 5)
		if [ ${#pins[@]} -ge 5 ]; then
			detach_one
			continue
		fi
		pin=/sys/fs/bpf/fz$RANDOM
		where=$(target_args)
		# shellcheck disable=SC2046
		if "$CTL" attach $(policy_args) $where --priority $((RANDOM % 7 - 3)) \
			--name "${pin##*/}" --pin "$pin" >/dev/null 2>&1; then
			act attached
			pins+=("$pin")
			targets[$pin]=$where
		else
			act "attach refused"
		fi
		;;
	2)
		if [ ${#pins[@]} -gt 0 ]; then
			detach_one
		fi
		;;
	3 | 6)
		if [ ${#pins[@]} -gt 0 ]; then
			pin=${pins[$((RANDOM % ${#pins[@]}))]}
			# A swap keeps the devices: the same target or IDs.
			# shellcheck disable=SC2046
			if "$CTL" swap "$pin" $(policy_args) ${targets[$pin]} --name "${pin##*/}" \
				>/dev/null 2>&1; then
				act swapped
			else
				act "swap refused"
			fi
		fi
		;;
	4)
		d=${DEVICES[$((RANDOM % 3))]}
		unbind "$d" &
		unbinder=$!
		# The unbind waits for the VMM: kill it mid-access.
		kill -9 "$(cat "$SCRATCH/pid.$d" 2>/dev/null)" 2>/dev/null
		wait "$unbinder"
		[ "$d" = "$EDU1" ] && own_edu1_migration >/dev/null 2>&1
		bind "$d" vfio-pci-bpf && act "unbound and rebound" || act "rebind failed"
		;;
	*)
		d=${DEVICES[$((RANDOM % 3))]}
		kill -9 "$(cat "$SCRATCH/pid.$d" 2>/dev/null)" 2>/dev/null && act "VMMs killed"
		;;
	esac
done
for l in "${loops[@]}"; do wait "$l"; done
for d in "${DEVICES[@]}"; do kill -9 "$(cat "$SCRATCH/pid.$d")" 2>/dev/null; done
rm -f /sys/fs/bpf/fz* /sys/fs/bpf/fuzz-mig
wait_links_below 1

summary=""
for k in "${!tally[@]}"; do summary+="${summary:+, }${tally[$k]} $k"; done
echo "    policy actions: $summary"
cat "$SCRATCH"/fuzz.* | awk '/^fuzz /{ops += $2; failed += $4; unexpected += $6}
	END {printf "    VMM requests: %d, %d failed with documented errnos, %d unexpected\n", ops, failed - unexpected, unexpected}'
check "the VMMs made requests" test "$(cat "$SCRATCH"/fuzz.* | awk '/^fuzz /{n += $2} END{print n + 0}')" -gt 0
check_eq "every failed request failed with a documented errno" "" \
	"$(grep -h '^unexpected' "$SCRATCH"/fuzz.* | sort | uniq -c | head -n 20)"
mig_ok=$(awk '/^migration /{n += $4} END{print n + 0}' "$SCRATCH/fuzz.$EDU1")
echo "    edu1's migration: $(awk '/^migration /{n += $2} END{print n + 0}' "$SCRATCH/fuzz.$EDU1") requests, $mig_ok ok"
check "edu1's VMMs drove its migration (some requests worked)" test "$mig_ok" -gt 0
check "policies attached and detached" test "${tally[attached]:-0}" -gt 0
check "devices unbound and rebound under load" test "${tally[unbound and rebound]:-0}" -gt 0
check_eq "every device is bound again" "vfio-pci-bpf vfio-pci-bpf vfio-pci-bpf" \
	"$(for d in "${DEVICES[@]}"; do driver_of "$d"; done | paste -sd' ')"
unbind "$VF"
echo 0 >"/sys/bus/pci/devices/$IGB_PF/sriov_numvfs"
finish
