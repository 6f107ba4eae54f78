#!/bin/bash
# A VMM whose memory faults forever (userfaultfd, as QEMU's postcopy uses,
# or a FUSE file that never answers) stalls its own accesses, and nothing
# else: while one of its threads waits in a hooked config write and another
# in a read of a migration data fd, policies attach, swap and detach on
# another device and on the stalled one, the driver's policies file reads,
# a device binds, and the migration arc that ends the data fd goes
# through.  Each step must finish within 30 s; the figures are what they
# took.  Then the faults are resolved and everything unwinds.
. "$(dirname "$0")/lib.sh"

STALL=$BUILD/tests/vfio-stall

# timed NAME COMMAND...: ok when COMMAND (a function too) succeeds within
# 30 s; prints the time it took.
timed() {
	local name=$1 job i rc
	shift
	(
		start=$(date +%s%N)
		"$@"
		rc=$?
		echo $((($(date +%s%N) - start) / 1000000)) >"$SCRATCH/ms"
		exit $rc
	) >"$SCRATCH/timed" 2>&1 &
	job=$!
	for ((i = 0; i < 300; i++)); do
		kill -0 "$job" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$job" 2>/dev/null; then
		fail "$name" "still running after 30 s"
		return
	fi
	wait "$job"
	rc=$?
	if [ "$rc" = 0 ]; then
		ok "$name"
		echo "    $name: $(cat "$SCRATCH/ms") ms"
	else
		fail "$name" "exit $rc: $(tail -n1 "$SCRATCH/timed")"
	fi
}

check "module loads" load_module
check "bind edu A ($EDU_A), the stalled VMM's" bind "$EDU_A" vfio-pci-bpf
check "bind edu0, another device" bind "$EDU0" vfio-pci-bpf
check "A gets a migration owner" "$CTL" attach "$TEST_POLICIES/mig_flaky.bpf.o" \
	--target "$EDU_A" --pin /sys/fs/bpf/owner
check "...and trace, which hooks config writes" "$CTL" attach "$POLICIES/trace.bpf.o" \
	--target "$EDU_A" --name trace_a --pin /sys/fs/bpf/trace_a

mkfifo "$SCRATCH/cmd"
"$STALL" "$EDU_A" cfg-write 0x40 mig-read <"$SCRATCH/cmd" >"$SCRATCH/stall" 2>&1 &
stall=$!
exec 7>"$SCRATCH/cmd"
check "a config write and a data-fd read wait in their faults" \
	wait_for_line "$SCRATCH/stall" "stalled 2"

for dev in "$EDU0" "$EDU_A"; do
	where=$([ "$dev" = "$EDU0" ] && echo "another device" || echo "the stalled device")
	timed "attach on $where" "$CTL" attach "$POLICIES/cfg_guard.bpf.o" --target "$dev" \
		--name guard --pin /sys/fs/bpf/guard
	timed "swap on $where" "$CTL" swap /sys/fs/bpf/guard "$POLICIES/cfg_guard.bpf.o" \
		--target "$dev" --name guard2 --set vendor_id=0x1af4
	check_eq "...the swapped policy is on $where" "guard2" \
		"$(policies_of "$dev" | tr ' ' '\n' | grep guard)"
	timed "detach on $where" detach_pin /sys/fs/bpf/guard
done
timed "the driver's policies file reads" cat /sys/bus/pci/drivers/vfio-pci-bpf/policies
timed "a device binds (probe)" bind "$EDU1" vfio-pci-bpf
echo "mig-set STOP" >&7
timed "the arc that ends the stalled data fd" wait_for_line "$SCRATCH/stall" "mig-set STOP = STOP"

echo resolve >&7
exec 7>&-
wait "$stall"
check_eq "once the faults are resolved the VMM's threads return" 0 $?
check_eq "the stalled config write went through" "cfg-write: 4 bytes" \
	"$(grep '^cfg-write:' "$SCRATCH/stall")"
check_eq "the stalled read got the bytes it was copying" "mig-read: 64 bytes" \
	"$(grep '^mig-read:' "$SCRATCH/stall")"
detach_pin /sys/fs/bpf/owner /sys/fs/bpf/trace_a
unbind "$EDU_A"
unbind "$EDU1"
unbind "$EDU0"
finish
