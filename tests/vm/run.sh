#!/usr/bin/env bash
# Boot Debian's 6.12 test kernel under QEMU with the host root shared
# read-only, run one command inside as root and return its exit status.
#
# usage: run.sh [--shell] [--] COMMAND...
# env:   KVER (test kernel), VM_ACCEL (default tcg), VM_MEM, VM_SMP,
#        VM_TIMEOUT (seconds), BUILD (build folder), VM_KEEP (keep results)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$repo/build}
KVER=${KVER:-$(cat "$BUILD/kver" 2>/dev/null || true)}
VM_ACCEL=${VM_ACCEL:-tcg}
VM_MEM=${VM_MEM:-2G}
VM_SMP=${VM_SMP:-2}
VM_TIMEOUT=${VM_TIMEOUT:-600}

if [ -z "$KVER" ] || [ ! -e "/boot/vmlinuz-$KVER" ]; then
	echo "run.sh: no test kernel '/boot/vmlinuz-$KVER' (run 'make deps')" >&2
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
	"$here/mkinitramfs.sh" "$KVER" "$initrd"
fi

results=$(mktemp -d "$BUILD/vm/run.XXXXXX")
cleanup() { [ -n "${VM_KEEP:-}" ] || rm -rf "$results"; }
trap cleanup EXIT
if [ "$shell" = 1 ]; then
	echo --shell >"$results/cmd"
else
	printf '%q ' "$@" >"$results/cmd"
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

qemu_args=(
	-machine q35,accel="$VM_ACCEL" -cpu max -smp "$VM_SMP" -m "$VM_MEM"
	-device intel-iommu,intremap=on
	-kernel "/boot/vmlinuz-$KVER" -initrd "$initrd"
	-append "console=ttyS0 intel_iommu=on panic=-1 loglevel=4 vmtest.init=$here/guest-init.sh"
	-nographic -no-reboot -nodefaults -serial stdio
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
	-virtfs "local,path=$results,mount_tag=results,security_model=none"
	"${shares[@]}"
	-device edu,addr=0x10 -device edu,addr=0x11
	-device pcie-root-port,id=rp0,chassis=1,addr=0x1c
	-device igb,bus=rp0,netdev=nic0 -netdev user,id=nic0,restrict=on
)

# One VM at a time: the machine has two cores and TCG wants both.
exec 9>"$BUILD/vm/lock"
flock 9

if [ "$shell" = 1 ]; then
	qemu-system-x86_64 "${qemu_args[@]}"
	exit 0
fi

console=$results/console
set +e
timeout --foreground "$VM_TIMEOUT" qemu-system-x86_64 "${qemu_args[@]}" \
	</dev/null >"$console" 2>&1
qemu_rc=$?
set -e

rc=$(cat "$results/rc" 2>/dev/null || echo "")
problem=
if [ -z "$rc" ]; then
	problem="the guest did not finish (qemu exit $qemu_rc)"
	rc=1
elif ! "$here/dmesg-check.sh" "$results/dmesg" "$results/dmesg-allow"; then
	problem="the guest dmesg shows a problem the test did not expect"
	rc=1
fi
cat "$results/output" 2>/dev/null || true
if [ "$rc" != 0 ]; then
	echo "vmtest: FAILED (exit $rc)${problem:+: $problem}" >&2
	echo "----- console tail -----" >&2
	tail -n 40 "$console" >&2
	if [ -e "$results/dmesg" ]; then
		echo "----- guest dmesg tail -----" >&2
		tail -n 60 "$results/dmesg" >&2
	fi
fi
exit "$rc"
