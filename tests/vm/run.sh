#!/usr/bin/env bash
# Boot Debian's 6.12 test kernel under QEMU with the host root shared
# read-only, run one command inside as root and return its exit status.
#
# usage: run.sh [--shell] [--] COMMAND...
# env:   KVER (test kernel), VM_ACCEL (default tcg), VM_ACCEL_OPTS (with
#        tcg, default thread=single; VM_ACCEL_OPTS= for a thread per vCPU),
#        VM_MEM, VM_SMP,
#        VM_TIMEOUT (seconds), BUILD (build folder), VM_KEEP (keep results),
#        VM_LOCK (the one-VM-at-a-time lock file; default in BUILD),
#        VM_APPEND (more kernel parameters), VM_QEMU_ARGS (more QEMU options),
#        VM_INIT (systemd: boot the host's systemd as PID 1, which runs the
#        command as the service vmtest.service; default: a plain shell),
#        VM_DEBUG (1: boot with the bug detectors below; 0: without, for
#        benchmarks),
#        VM_ENV (host variables passed to the command; default FUZZ_SECONDS
#        FUZZ_SEED VERBOSE), VM_QEMU_WRAPPER (e.g. "gdb -batch -ex run -ex bt
#        --args" to see where QEMU itself fails)
#
# The guest boots with the memory and hang detectors Debian's kernel has
# (see DEBUG_APPEND); a hang or an allocator report panics it, with every
# CPU's stack on the console.  If it still has not finished by VM_TIMEOUT,
# it gets an NMI, which panics it the same way, and the run fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$repo/build}
KVER=${KVER:-$(cat "$BUILD/kver" 2>/dev/null || true)}
VM_ACCEL=${VM_ACCEL:-tcg}
# TCG runs both vCPUs on one thread unless told otherwise.  With a thread per
# vCPU (QEMU 10's default), a halted vCPU now and then misses its wake-up:
# CI saw a guest's timer not fire for 60 s (an RCU stall panic, one vCPU
# idle with "timer wakeup didn't happen"), a 9p reply never taken (t-races)
# and an assertion in QEMU when BARs are switched on and off (t-fuzz).
if [ "$VM_ACCEL" = tcg ]; then
	VM_ACCEL_OPTS=${VM_ACCEL_OPTS-thread=single}
fi
VM_MEM=${VM_MEM:-2G}
VM_SMP=${VM_SMP:-2}
VM_TIMEOUT=${VM_TIMEOUT:-420}
# slub_debug: red zones, poisoning and sanity checks on every slab; kfence
# samples often; freed pages are poisoned; an oops, a WARN, a task blocked
# for a minute, a soft lockup or an RCU stall panics instead of leaving a
# hung or half-broken guest.  RCU stalls count from 60 s: on a host whose
# cores are all busy, QEMU's TCG sometimes leaves an idle vCPU's timer
# unserviced for over 21 s (the default), which is the emulator, not a stall.
DEBUG_APPEND="sysrq_always_enabled=1 slub_debug=FZPU kfence.sample_interval=5 init_on_free=1 page_poison=1
 oops=panic panic_on_warn=1
 hung_task_panic=1 sysctl.kernel.hung_task_timeout_secs=60 softlockup_panic=1
 sysctl.kernel.panic_on_rcu_stall=1 rcupdate.rcu_cpu_stall_timeout=60
 unknown_nmi_panic=1 panic_print=0x41"

# A bookworm kernel is installed on the host; a trixie one, unpacked by
# make deps, boots from $BUILD/kernels/KVER with its modules shared into
# the guest's /lib/modules/KVER.
unpacked=$BUILD/kernels/$KVER
if [ -n "$KVER" ] && [ -e "/boot/vmlinuz-$KVER" ]; then
	vmlinuz=/boot/vmlinuz-$KVER
	moddir=/lib/modules/$KVER
elif [ -n "$KVER" ] && [ -e "$unpacked/vmlinuz" ]; then
	vmlinuz=$unpacked/vmlinuz
	moddir=$unpacked/lib/modules/$KVER
else
	echo "run.sh: no test kernel '$KVER' in /boot or $unpacked (run 'make deps KVER=...')" >&2
	exit 2
fi

shell=0
if [ "${1:-}" = --shell ]; then
	shell=1
	shift
fi
[ "${1:-}" = -- ] && shift
if [ "$shell" = 0 ] && [ $# = 0 ]; then
	echo "usage: run.sh [--shell] [--] COMMAND..." >&2
	exit 2
fi

mkdir -p "$BUILD/vm"
initrd=$BUILD/vm/initramfs-$KVER.img
if [ ! -e "$initrd" ] || [ "$here/initramfs-init" -nt "$initrd" ] ||
	[ "$here/mkinitramfs.sh" -nt "$initrd" ]; then
	"$here/mkinitramfs.sh" "$KVER" "$initrd" "$moddir"
fi

results=$(mktemp -d "$BUILD/vm/run.XXXXXX")
cleanup() { [ -n "${VM_KEEP:-}" ] || rm -rf "$results"; }
trap cleanup EXIT
# Settings a test takes from the host's environment (VM_ENV names them).
forward=()
for v in ${VM_ENV:-FUZZ_SECONDS FUZZ_SEED VERBOSE}; do
	[ -n "${!v:-}" ] && forward+=("$v=${!v}")
done
if [ "$shell" = 1 ]; then
	echo --shell >"$results/cmd"
else
	printf '%q ' ${forward[@]+env "${forward[@]}"} "$@" >"$results/cmd"
fi
pwd >"$results/cwd"
realpath -m "$BUILD" >"$results/build"
# The guest puts tmpfs on /tmp and friends; a checkout or build folder
# living there comes in through shares of its own, mounted at the same path.
shares=()
share_path() {
	local tag=share${#shares[@]}
	shares+=(-virtfs "local,path=$1,mount_tag=$tag,security_model=none,readonly=on")
	echo "$tag $1" >>"$results/mounts"
}
: >"$results/mounts"
share_path "$repo"
case "$(realpath -m "$BUILD")/" in
"$repo"/*) ;;
*) mkdir -p "$BUILD" && share_path "$(realpath "$BUILD")" ;;
esac
# An unpacked kernel's modules: the initramfs mounts them at /lib/modules/KVER.
modules_share=()
modules_append=
if [ "$moddir" != "/lib/modules/$KVER" ]; then
	modules_share=(-virtfs "local,path=$moddir,mount_tag=modules,security_model=none,readonly=on")
	modules_append="vmtest.modules=$KVER"
fi

qemu_args=(
	-machine q35 -accel "$VM_ACCEL${VM_ACCEL_OPTS:+,$VM_ACCEL_OPTS}"
	-cpu max -smp "$VM_SMP" -m "$VM_MEM"
	-device intel-iommu,intremap=on
	-kernel "$vmlinuz" -initrd "$initrd"
	-append "console=ttyS0 intel_iommu=on panic=-1 loglevel=4 $([ "${VM_DEBUG:-1}" = 0 ] || echo $DEBUG_APPEND) ${VM_APPEND:-} vmtest.init=$here/guest-init.sh $([ "${VM_INIT:-}" != systemd ] || echo vmtest.systemd=1) $modules_append"
	-nographic -no-reboot -nodefaults -serial stdio
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
	-virtfs "local,path=$results,mount_tag=results,security_model=none"
	"${shares[@]}" "${modules_share[@]}"
	-device edu,addr=0x10 -device edu,addr=0x11
	-device pcie-root-port,id=rp0,chassis=1,addr=0x1c
	-device igb,bus=rp0,netdev=nic0 -netdev user,id=nic0,restrict=on
	-device pcie-root-port,id=rp1,chassis=2,addr=0x1d -device edu,bus=rp1
	-device pcie-root-port,id=rp2,chassis=3,addr=0x1e -device edu,bus=rp2
	-qmp "unix:$results/qmp.sock,server=on,wait=off"
)
# shellcheck disable=SC2206
[ -n "${VM_QEMU_ARGS:-}" ] && qemu_args+=($VM_QEMU_ARGS)

# One VM at a time: the machine has two cores and TCG wants both.  Checkouts
# sharing the machine share the lock when VM_LOCK names one file.
exec 9>"${VM_LOCK:-$BUILD/vm/lock}"
flock 9

if [ "$shell" = 1 ]; then
	qemu-system-x86_64 "${qemu_args[@]}"
	exit 0
fi

console=$results/console
set +e
# shellcheck disable=SC2086
${VM_QEMU_WRAPPER:-} qemu-system-x86_64 "${qemu_args[@]}" </dev/null >"$console" 2>&1 &
qemu=$!
hung=
deadline=$((SECONDS + VM_TIMEOUT))
while kill -0 "$qemu" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
	sleep 1
done
if kill -0 "$qemu" 2>/dev/null; then
	# Still running: make the guest panic and print its stacks, then stop it.
	# First what its blocked tasks and 9p queues wait for (hang-dump.py).
	hung=1
	timeout 30 python3 "$here/hang-dump.py" "$results/qmp.sock" >"$results/hang" 2>&1
	timeout 10 python3 "$here/qmp.py" "$results/qmp.sock" inject-nmi >/dev/null 2>&1
	for _ in $(seq 30); do kill -0 "$qemu" 2>/dev/null || break; sleep 1; done
	kill -9 "$qemu" 2>/dev/null
fi
wait "$qemu"
qemu_rc=$?
set -e

rc=$(cat "$results/rc" 2>/dev/null || echo "")
problem=
if [ -n "$hung" ]; then
	problem="the guest was still running after ${VM_TIMEOUT} s; it got an NMI (stacks in the console)"
	rc=1
elif [ -z "$rc" ]; then
	problem="the guest did not finish (qemu exit $qemu_rc; a panic shows in the console)"
	rc=1
elif ! "$here/dmesg-check.sh" "$results/dmesg" "$results/dmesg-allow"; then
	problem="the guest dmesg shows a problem the test did not expect"
	rc=1
fi
cat "$results/output" 2>/dev/null || true
if [ "$rc" != 0 ]; then
	echo "vmtest: FAILED (exit $rc)${problem:+: $problem}" >&2
	# The first kernel report, where the trouble started, then the end.
	first=$(grep -n -E "$("$here/dmesg-check.sh" --patterns)" "$console" |
		grep -v -E 'ommand line:' | head -n1 | cut -d: -f1)
	if [ -n "$first" ]; then
		echo "----- console from the first kernel report (line $first) -----" >&2
		sed -n "$((first > 5 ? first - 5 : 1)),$((first + 60))p" "$console" >&2
	fi
	if [ -n "$hung" ]; then
		echo "----- blocked tasks (sysrq-w) and virtio-9p queues -----" >&2
		sed -n '/Show Blocked State/,/Show backtrace of all/p' "$console" | head -n 80 >&2
		cat "$results/hang" >&2
	fi
	# What QEMU itself reported (a dropped interrupt, a device error).
	if grep -q '^qemu-system' "$console"; then
		echo "----- QEMU's own messages -----" >&2
		grep '^qemu-system' "$console" | head -n 20 >&2
	fi
	echo "----- console tail -----" >&2
	tail -n 40 "$console" >&2
	if [ -e "$results/dmesg" ]; then
		echo "----- guest dmesg tail -----" >&2
		tail -n 60 "$results/dmesg" >&2
	fi
fi
exit "$rc"
