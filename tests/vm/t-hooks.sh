#!/bin/bash
# Each hook and verdict, observed through the real VFIO uAPI: config reads
# rewritten, config writes denied or dropped (hardware unchanged), ioctls
# denied with the policy's errno, trapped BAR reads emulated, sparse mmap
# exactly as declared, mmap and dma-buf export of a trapped range refused,
# untrapped mmap intact, invalid verdicts counted and harmless, kfunc
# bounds enforced.
. "$(dirname "$0")/lib.sh"

check "module loads" load_module
check "bind edu0" bind "$EDU0" vfio-pci-bpf
check "bind edu1" bind "$EDU1" vfio-pci-bpf
hw_config_byte() { od -An -tx1 -j "$(($2))" -N1 "/sys/bus/pci/devices/$1/config" | tr -d ' '; }

# --- config_read / config_write through cfg_guard --------------------------
# hw_bus_master BDF OPS...: the bus master bit of the device's real command
# register (0x4 or 0x0) while a client
# that ran OPS still holds it open (vfio-pci clears it again on close).
hw_bus_master() {
	local bdf=$1 out=$SCRATCH/hold.out
	shift
	"$CLIENT" --hold 30 "$bdf" "$@" >"$out" &
	local holder=$!
	wait_for_line "$out" holding
	printf '0x%x\n' $((0x$(od -An -tx2 -j 4 -N2 "/sys/bus/pci/devices/$bdf/config" | tr -d ' ') & 0x4))
	kill "$holder"
	wait "$holder" 2>/dev/null
}

cap_ptr=$(op "$EDU0" cfg-read 0x34 1)
check "edu has a capability list before the guard" test "$cap_ptr" != 0x0
check_eq "bus master bit reaches the device without a policy" 0x4 "$(hw_bus_master "$EDU0" cfg-write 4 2 0x7)"
check "attach cfg_guard" "$CTL" attach "$POLICIES/cfg_guard.bpf.o" --target "$EDU0" \
	--set vendor_id=0xabcd --set subsys_id=0x4242 --set hide_cap_id=0x05 \
	--set deny_write_offsets=0xc --set deny_write_count=1 --set deny_errno=13 \
	--set drop_write_offsets=0x4 --set drop_write_count=1 --pin /sys/fs/bpf/guard
check_eq "vendor ID rewritten (dword read)" 0x11e8abcd "$(op "$EDU0" cfg-read 0 4)"
check_eq "vendor ID rewritten (word read)" 0xabcd "$(op "$EDU0" cfg-read 0 2)"
check_eq "vendor ID rewritten (byte read)" 0xab "$(op "$EDU0" cfg-read 1 1)"
check_eq "subsystem ID rewritten" 0x4242 "$(op "$EDU0" cfg-read 0x2e 2)"
check_eq "MSI capability hidden" 0x0 "$(op "$EDU0" cfg-read 0x34 1)"
check_eq "status no longer claims a capability list" 0x0 \
	"$(printf '0x%x' $(($(op "$EDU0" cfg-read 6 2) & 0x10)))"
check_eq "write to cache line size denied with the policy's errno" "error EACCES" \
	"$(op "$EDU0" cfg-write 0xc 1 0x10)"
check_eq "write to the command register dropped, the device never sees it" 0x0 \
	"$(hw_bus_master "$EDU0" cfg-write 4 2 0x7)"
check_eq "...while the write itself succeeds" 0x7 "$(op "$EDU0" cfg-write 4 2 0x7)"
check_eq "edu1 (not targeted) keeps its vendor ID" 0x1234 "$(op "$EDU1" cfg-read 0 2)"
detach_pin /sys/fs/bpf/guard
check_eq "detach restores the vendor ID" 0x1234 "$(op "$EDU0" cfg-read 0 2)"
check_eq "detach restores the capability list" "$cap_ptr" "$(op "$EDU0" cfg-read 0x34 1)"

# --- ioctl -----------------------------------------------------------------
reset_cmd=$(printf '0x%x' $(((0x3b << 8) | (100 + 11)))) # _IO(VFIO_TYPE, VFIO_BASE + 11)
check_eq "VFIO_DEVICE_RESET without a policy: edu has no reset" "error EINVAL" "$(op "$EDU0" reset)"
check "attach deny (ioctl)" "$CTL" attach "$TEST_POLICIES/deny.bpf.o" --target "$EDU0" \
	--set deny_cmd="$reset_cmd" --set deny_errno=95 --pin /sys/fs/bpf/ioctl
check_eq "VFIO_DEVICE_RESET denied with the policy's EOPNOTSUPP" "error EOPNOTSUPP" "$(op "$EDU0" reset)"
check_eq "other ioctls pass (GET_INFO: 9 regions)" 0x9 "$(op "$EDU0" get-info)"
detach_pin /sys/fs/bpf/ioctl
check_eq "reset reaches the core again after detach" "error EINVAL" "$(op "$EDU0" reset)"
feature_cmd=$(printf '0x%x' $(((0x3b << 8) | (100 + 17)))) # VFIO_DEVICE_FEATURE
check "attach deny (VFIO_DEVICE_FEATURE)" "$CTL" attach "$TEST_POLICIES/deny.bpf.o" \
	--target "$EDU0" --set deny_cmd="$feature_cmd" --set deny_errno=13 --pin /sys/fs/bpf/ioctl
check_eq "feature ioctls that reach the driver hit the hook too" "feature low_power_entry probe: EACCES" \
	"$("$CLIENT" --report "$EDU0" | grep '^feature low_power_entry probe')"
detach_pin /sys/fs/bpf/ioctl

# --- open ------------------------------------------------------------------
check "attach deny (open)" "$CTL" attach "$TEST_POLICIES/deny.bpf.o" --target "$EDU0" \
	--set deny_open=1 --set deny_errno=1 --pin /sys/fs/bpf/open
"$CLIENT" --generic "$EDU0" >/dev/null 2>"$SCRATCH/open"
check_eq "open refused by the policy: the client cannot get the device fd" 2 "$?"
check "...with the policy's EPERM" grep -q "VFIO_GROUP_GET_DEVICE_FD.*EPERM" "$SCRATCH/open"
check_eq "the refused open was counted as denied" 1 "$(counter "$EDU0" hook.open.denied)"
detach_pin /sys/fs/bpf/open
check "the device opens again after detach, fully working" "$CLIENT" --edu "$EDU0"

# --- BAR traps through bar_trap --------------------------------------------
check_eq "liveness register works untrapped" 0xffffaaaa \
	"$(op "$EDU1" bar-write 0 4 4 0x5555 >/dev/null; op "$EDU1" bar-read 0 4 4)"
check_eq "no sparse mmap before a trap" " none" "$("$CLIENT" "$EDU1" sparse 0 | sed 's/^sparse 0 =//')"
check "attach bar_trap emulating the liveness register" "$CTL" attach \
	"$POLICIES/bar_trap.bpf.o" --target "$EDU1" --set trap_offset=0 --set trap_len=0x100 \
	--set emulate_offset=4 --set emulate_initial=0x77 --pin /sys/fs/bpf/trap
check_eq "sparse mmap lists only the untrapped pages" "0x1000+0xff000" "$(op "$EDU1" sparse 0)"
check_eq "mmap over the trapped page refused" "error EINVAL" "$(op "$EDU1" mmap 0 0 4096)"
check_eq "mmap of the untrapped rest works" 0x0 "$(op "$EDU1" mmap 0 0x1000 0xff000)"
# A dma-buf of BAR ranges (VFIO_DEVICE_FEATURE_DMA_BUF, 11: kernels that
# have it say so to a probe) would reach the trapped page around the hooks.
if [ "$(op "$EDU1" feature-probe 11)" = 0x0 ]; then
	check_eq "dma-buf over the trapped page refused" "error EACCES" \
		"$(op "$EDU1" dmabuf 0 0 0x1000)"
	check_eq "...and over a range that merely shares its page" "error EACCES" \
		"$(op "$EDU1" dmabuf 0 0 0x3000)"
	untrapped=$(op "$EDU1" dmabuf 0 0x1000 0x1000)
	check "dma-buf of an untrapped page is not refused for the trap ($untrapped)" \
		test "$untrapped" != "error EACCES"
else
	check_eq "dma-buf over the trapped page refused (no BAR dma-bufs on this kernel)" \
		"error ENOTTY" "$(op "$EDU1" dmabuf 0 0 0x1000)"
fi
check_eq "untrapped mmap reads the device (DMA buffer page)" \
	"$(op "$EDU1" bar-read 0 0x40000 4)" "$(op "$EDU1" mmap-read 0 0x40000 4)"
check_eq "emulated register starts at emulate_initial" 0x77 "$(op "$EDU1" bar-read 0 4 4)"
check_eq "write to the emulated register is handled" 0x1234 "$(op "$EDU1" bar-write 0 4 4 0x1234)"
check_eq "read returns the emulated value, not ~value" 0x1234 "$(op "$EDU1" bar-read 0 4 4)"
check_eq "trapped but passed registers reach the device (ID)" 0x10000ed "$(op "$EDU1" bar-read 0 0 4)"
# edu computes in a thread of its own; status bit 0 says it is still busy.
fact_idle() { [ $(($(op "$1" bar-read 0 0x20 4) & 1)) = 0 ]; }
op "$EDU1" bar-write 0 8 4 5 >/dev/null
# The status polls are trapped reads the hook passes, so they are counted.
polls=$(counter "$EDU1" trapped_reads)
eventually 30 fact_idle "$EDU1"
polls=$(($(counter "$EDU1" trapped_reads) - polls))
check_eq "factorial computed through the trapped path" 0x78 "$(op "$EDU1" bar-read 0 8 4)"
check_eq "trapped reads counted" $((4 + polls)) "$(counter "$EDU1" trapped_reads)"
check_eq "trapped writes counted" 2 "$(counter "$EDU1" trapped_writes)"
check_eq "bar_read handled twice" 2 "$(counter "$EDU1" hook.bar_read.handled)"
check_eq "bar_read passed for the ID, status polls and result" $((2 + polls)) \
	"$(counter "$EDU1" hook.bar_read.pass)"
check_eq "bar_write handled once" 1 "$(counter "$EDU1" hook.bar_write.handled)"
detach_pin /sys/fs/bpf/trap
check_eq "hardware never saw the emulated write" 0xffffaaaa "$(op "$EDU1" bar-read 0 4 4)"
check_eq "detach gives the page back to mmap" " none" "$("$CLIENT" "$EDU1" sparse 0 | sed 's/^sparse 0 =//')"
untrapped_end=$(op "$EDU1" bar-read 0 0xffffc 8)
check "attach bar_trap at the end of BAR0" "$CTL" attach "$POLICIES/bar_trap.bpf.o" \
	--target "$EDU1" --set trap_offset=0xffff0 --set trap_len=0x10 --pin /sys/fs/bpf/trap
before=$(counter "$EDU1" trapped_reads)
check_eq "a trapped read across the BAR end is short, as on vfio-pci" "$untrapped_end" \
	"$(op "$EDU1" bar-read 0 0xffffc 8)"
check_eq "...and went through the trap" $((before + 1)) "$(counter "$EDU1" trapped_reads)"
check_eq "a trapped read past the end fails as on vfio-pci" "error EINVAL" \
	"$(op "$EDU1" bar-read 0 0x100000 4)"
detach_pin /sys/fs/bpf/trap

# --- invalid verdicts and kfunc bounds -------------------------------------
check "attach bad_verdict" "$CTL" attach "$TEST_POLICIES/bad_verdict.bpf.o" --target "$EDU0" \
	--pin /sys/fs/bpf/bad
before=$(counter "$EDU0" hook.config_read.error)
check_eq "invalid verdict treated as PASS" 0x1234 "$(op "$EDU0" cfg-read 0 2)"
check_eq "invalid verdict counted as an error" $((before + 1)) "$(counter "$EDU0" hook.config_read.error)"
detach_pin /sys/fs/bpf/bad
# The kernel's own codes (ERESTARTSYS 512, ENOIOCTLCMD 515, ... 4095) must
# never reach the VMM: a hook that returns one erred; its access passes.
for code in -512 -515 -4095; do
	"$CTL" attach "$TEST_POLICIES/bad_verdict.bpf.o" --target "$EDU0" --set verdict=$code \
		--pin /sys/fs/bpf/bad >/dev/null
	before=$(counter "$EDU0" hook.config_read.error)
	check_eq "a hook's $code is no deny: the read passes" 0x1234 "$(op "$EDU0" cfg-read 0 2)"
	check_eq "...and counts as an error" $((before + 1)) "$(counter "$EDU0" hook.config_read.error)"
	detach_pin /sys/fs/bpf/bad
done
"$CTL" attach "$TEST_POLICIES/bad_verdict.bpf.o" --target "$EDU0" --set verdict=-511 \
	--pin /sys/fs/bpf/bad >/dev/null
check_eq "the deepest deny, -511, reaches the VMM" "error E511" "$(op "$EDU0" cfg-read 0 2)"
detach_pin /sys/fs/bpf/bad
check "attach kfunc_probe" "$CTL" attach "$TEST_POLICIES/kfunc_probe.bpf.o" --target "$EDU0" \
	--pin /sys/fs/bpf/probe
op "$EDU0" bar-write 0 4 4 0x1111 >/dev/null
check_eq "out-of-range, misaligned and bad-BAR kfunc calls all get EINVAL" 0x16161616 \
	"$(op "$EDU0" cfg-read 0x50 4)"
check_eq "a valid kfunc BAR read returns the ID register" 0x10000ed "$(op "$EDU0" cfg-read 0x54 4)"
check_eq "the refused misaligned write never touched the device" 0xffffeeee \
	"$(op "$EDU0" bar-read 0 4 4)"
detach_pin /sys/fs/bpf/probe
finish
