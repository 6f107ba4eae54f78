# Shared helpers of the VM tests; sourced inside the guest.
# Each check prints "ok NAME", "FAIL NAME: why" or "skip NAME: why";
# finish() turns the tally into the exit status.
set -u
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$REPO/build}
CLIENT=$BUILD/tools/vfio-client
MODULE=$BUILD/kernel/vfio_pci_bpf.ko
EDU0=0000:00:10.0
EDU1=0000:00:11.0
IGB_PF=0000:01:00.0
# Alone behind their root ports, so that VFIO_DEVICE_RESET works (bus reset).
EDU_A=0000:02:00.0
EDU_B=0000:03:00.0
SCRATCH=$(mktemp -d)
FAILURES=0

ok() { echo "ok $1"; }
fail() {
	echo "FAIL $1${2:+: $2}"
	FAILURES=$((FAILURES + 1))
}
skip() { echo "skip $1: $2"; }

# check NAME COMMAND...: ok when COMMAND succeeds; its output is shown on failure.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		fail "$name" "'$*' exited $?"
		printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /'
	fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1" "expected '$2', got '$3'"
	fi
}

# slab_live CACHE: objects in use in one of the module's slab caches.
slab_live() { awk -v c="$1" '$1 == c { print $2 }' /proc/slabinfo; }
module_idle() {
	[ "$(slab_live vfio_pci_bpf_policy)" = 0 ] && [ "$(slab_live vfio_pci_bpf_chain)" = 0 ]
}

# finish: nothing a test attached may outlive it.  Once its pins are gone
# the module holds no policy and no chain, and it unloads; destroying its
# caches would report any object still allocated.
finish() {
	if lsmod | grep -q '^vfio_pci_bpf '; then
		if eventually 30 module_idle; then
			ok "no policy or chain left behind"
		else
			fail "no policy or chain left behind" "$(grep vfio_pci_bpf_ /proc/slabinfo | awk '{print $1, $2}' | tr '\n' ' ')"
		fi
		check "module unloads" unload_module
	fi
	rm -rf "$SCRATCH"
	[ "$FAILURES" = 0 ]
	exit $?
}

# A kernel message the test provokes on purpose (extended regex).
expect_dmesg() { echo "$1" >>"$VMTEST_RESULTS/dmesg-allow"; }

load_module() {
	local built_for
	modprobe vfio-pci-core || return 1
	modprobe vfio_iommu_type1 || return 1
	lsmod | grep -q '^vfio_pci_bpf ' && return 0
	built_for=$(modinfo -F vermagic "$MODULE" | cut -d' ' -f1)
	if [ "$built_for" != "$(uname -r)" ]; then
		echo "$MODULE is built for $built_for, the VM runs $(uname -r) (make module KDIR=...)"
		return 1
	fi
	insmod "$MODULE"
}

driver_of() {
	local link
	link=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null) || return 0
	basename "$link"
}

unbind() {
	[ -e "/sys/bus/pci/devices/$1/driver" ] &&
		echo "$1" >"/sys/bus/pci/devices/$1/driver/unbind"
	return 0
}

# bind BDF DRIVER: rebind through driver_override, as an operator would.
bind() {
	local bdf=$1 drv=$2
	[ "$(driver_of "$bdf")" = "$drv" ] && return 0
	[ "$drv" = vfio-pci ] && modprobe vfio-pci
	unbind "$bdf"
	echo "$drv" >"/sys/bus/pci/devices/$bdf/driver_override"
	echo "$bdf" >/sys/bus/pci/drivers_probe
	[ "$(driver_of "$bdf")" = "$drv" ]
}

# create_vfs N: VFs of the igb PF, left unbound for the test to place.
create_vfs() {
	modprobe igb
	eventually 30 is_driver "$IGB_PF" igb
	echo 0 >"/sys/bus/pci/devices/$IGB_PF/sriov_drivers_autoprobe"
	echo "$1" >"/sys/bus/pci/devices/$IGB_PF/sriov_numvfs"
}

vf_list() {
	local v
	for v in /sys/bus/pci/devices/$IGB_PF/virtfn*; do
		[ -e "$v" ] && basename "$(readlink "$v")"
	done
}

# eventually SECONDS COMMAND...: poll COMMAND until it succeeds.  The
# limits are generous: a loaded machine slows TCG guests several times, and
# a wait that succeeds returns at once.
eventually() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" 2>/dev/null; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# wait_for_line FILE TEXT: a background client reached a point.
wait_for_line() { eventually 60 grep -q "$2" "$1"; }

# bind_while_opened BDF: bind BDF to vfio-pci-bpf while a VMM keeps trying
# to open it; what that VMM's first successful open saw (BAR0's sparse mmap
# areas, "sparse 0 = ...") is then in $SCRATCH/first.
bind_while_opened() {
	local racer
	"$BUILD/tests/vfio-race" "$1" first-open 0 >"$SCRATCH/first" 2>&1 &
	racer=$!
	check "bind $1 while a VMM keeps trying to open it" bind "$1" vfio-pci-bpf
	wait "$racer"
}

declare -A LOOP_PIDS
# start_loop NAME BDF OP ARGS...: a client repeating OP in the background
# until stop_loop NAME; its tally lands in $SCRATCH/NAME.
start_loop() {
	local name=$1 bdf=$2
	shift 2
	"$CLIENT" "$bdf" loop "$@" >"$SCRATCH/$name" 2>&1 &
	LOOP_PIDS[$name]=$!
	wait_for_line "$SCRATCH/$name" looping
}

# stop_loop NAME: stop it; the last line of $SCRATCH/NAME is then its tally
# ("repeat N OP: F failed, values ...").  Not in a subshell: only this shell
# can wait for it.
stop_loop() {
	kill -TERM "${LOOP_PIDS[$1]}"
	wait "${LOOP_PIDS[$1]}"
}

is_driver() { [ "$(driver_of "$1")" = "$2" ]; }

CTL=$BUILD/tools/vfio-bpfctl
# The project's bpftool, with the fix for module struct_ops types.
BPFTOOL=$BUILD/tools/bpftool
POLICIES=$BUILD/bpf
TEST_POLICIES=$BUILD/tests/bpf

# op BDF OP ARGS...: the client's answer to one access ("0x.." or "error E..").
op() {
	local bdf=$1
	shift
	"$CLIENT" "$bdf" "$@" | sed -n 's/.* = //p'
}

# counter BDF NAME: one line of the device's sysfs counters.
counter() { awk -v n="$2" '$1 == n { print $2 }' "/sys/bus/pci/devices/$1/vfio_bpf/counters"; }

policies_of() { tr '\n' ' ' <"/sys/bus/pci/devices/$1/vfio_bpf/policies" | sed 's/ $//'; }

struct_ops_links() { "$BPFTOOL" link show 2>/dev/null | grep -c struct_ops; }

# wait_links_below N: the kernel frees a link's last reference from a work
# item, so a policy detaches shortly after its pin goes; wait for it.
links_below() { [ "$(struct_ops_links)" -lt "$1" ]; }
wait_links_below() { eventually 30 links_below "$1"; }

# detach_pin PIN...: remove pinned policies and wait until the kernel let go.
detach_pin() {
	local before
	before=$(struct_ops_links)
	rm -rf "$@"
	wait_links_below $((before - $# + 1))
}

# bpftool_register OBJECT PIN-DIR: `bpftool struct_ops register`, checked:
# it exits 0 and names the module's struct_ops type.
bpftool_register() {
	local rc
	"$BPFTOOL" struct_ops register "$1" "$2" >"$SCRATCH/bpftool.out" 2>&1
	rc=$?
	check_eq "bpftool struct_ops register exits 0" 0 "$rc"
	check "...and names the type (vfio_pci_bpf_ops)" \
		grep -qE '^Registered vfio_pci_bpf_ops [a-z_]+ map id [0-9]+ link id [0-9]+$' "$SCRATCH/bpftool.out"
}

# unload_module: rmmod vfio_pci_bpf, waiting up to 10 s for detached
# policies' maps, which the kernel frees after RCU grace periods and which
# hold the module until then.
unload_module() {
	eventually 30 rmmod vfio_pci_bpf || rmmod vfio_pci_bpf
}
