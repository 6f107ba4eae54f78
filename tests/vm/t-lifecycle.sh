#!/bin/bash
# Policy lifetimes under misuse: a hot swap that fails half way, maps and
# links used twice, a device unbound while a VMM still holds it, a swap
# that keeps all its traps or changes the priority, a refused open, the
# feature an ioctl hook sees, and a slow attach on one device while another
# device opens.
. "$(dirname "$0")/lib.sh"
RACE=$BUILD/tests/vfio-race

check "module loads" load_module
check "bind edu0" bind "$EDU0" vfio-pci-bpf
check "bind edu1" bind "$EDU1" vfio-pci-bpf
edu1_addr=$(printf "0x%x" $((0x11 << 3))) # VFIO_PCI_BPF_ADDR(0, 0, 0x11, 0)

# --- a swap refused by the second device is undone on the first ----------------
check "attach swap_victim v1 (refuses a device it saw before) to every edu" "$CTL" attach \
	"$TEST_POLICIES/swap_victim.bpf.o" --vendor 0x1234 --device 0x11e8 --set refuse_again=1 \
	--set vendor_id=0x1111 --pin /sys/fs/bpf/victim
check_eq "both devices run v1" "0x1111 0x1111" "$(op "$EDU0" cfg-read 0 2) $(op "$EDU1" cfg-read 0 2)"
out=$("$CTL" swap /sys/fs/bpf/victim "$TEST_POLICIES/swap_victim.bpf.o" --vendor 0x1234 \
	--device 0x11e8 --set vendor_id=0x2222 --set refuse_addr="$edu1_addr" 2>&1)
check "a swap to v2, which refuses edu1, fails" test $? -ne 0
check "...with the refusal's EPERM" grep -q "Operation not permitted" <<<"$out"
check_eq "edu0, swapped before edu1 refused, runs v1 again" 0x1111 "$(op "$EDU0" cfg-read 0 2)"
check_eq "edu1 kept v1" 0x1111 "$(op "$EDU1" cfg-read 0 2)"
check_eq "both chains hold v1 alone" "swap_victim swap_victim" \
	"$(policies_of "$EDU0") $(policies_of "$EDU1")"
check "a later swap to a v2 both accept works" "$CTL" swap /sys/fs/bpf/victim \
	"$TEST_POLICIES/swap_victim.bpf.o" --vendor 0x1234 --device 0x11e8 --set vendor_id=0x2222
check_eq "both devices run v2" "0x2222 0x2222" "$(op "$EDU0" cfg-read 0 2) $(op "$EDU1" cfg-read 0 2)"
detach_pin /sys/fs/bpf/victim

# --- one map behind two links, one name for two policies ------------------------------
out=$("$BUILD/tests/link-misuse" "$POLICIES/trace.bpf.o" "$EDU0")
check_eq "a second registration of one map is refused" "second registration of a map: EEXIST" \
	"$(sed -n 1p <<<"$out")"
check_eq "a link update onto a map another link holds is refused" \
	"link update onto another link's map: EEXIST" "$(sed -n 2p <<<"$out")"
check_eq "a link update onto its own map is refused" "link update onto its own map: EEXIST" \
	"$(sed -n 3p <<<"$out")"
check_eq "a second policy under a name in use is refused" \
	"a second policy with a name in use: EEXIST" "$(sed -n 4p <<<"$out")"
check_eq "...leaving each policy on the device once" "policies: first second" "$(sed -n 5p <<<"$out")"
wait_links_below 1
check_eq "...and nothing behind once their links are gone" "" "$(policies_of "$EDU0")"

# --- unbind while a VMM holds the device: the rules hold until it lets go ---------------
check "attach bar_trap to edu1" "$CTL" attach "$POLICIES/bar_trap.bpf.o" --target "$EDU1" \
	--pin /sys/fs/bpf/trap
check "attach race_guard to edu1" "$CTL" attach "$TEST_POLICIES/race_guard.bpf.o" \
	--target "$EDU1" --pin /sys/fs/bpf/guard
"$RACE" "$EDU1" script wait mmap 0 0 4096 cfg-write 0xc 1 0x20 cfg-read 0 2 \
	>"$SCRATCH/holder" 2>&1 &
holder=$!
wait_for_line "$SCRATCH/holder" holding
unbind "$EDU1" &
unbinder=$!
relayed() { dmesg | grep -qE "$EDU1: (No device request channel registered|Relaying device request)"; }
check "unbind waits for the VMM (vfio asks it to let go)" eventually 60 relayed
kill -USR1 "$holder"
wait "$holder"
check_eq "meanwhile mmap of the trapped page is still refused" "mmap 0 0 4096 = error EINVAL" \
	"$(sed -n 2p "$SCRATCH/holder")"
check_eq "...the denied write still denied" "cfg-write 0xc 1 0x20 = error EPERM" \
	"$(sed -n 3p "$SCRATCH/holder")"
check_eq "...and the vendor ID still the policy's" "cfg-read 0 2 = 0xaaaa" \
	"$(sed -n 4p "$SCRATCH/holder")"
wait "$unbinder"
check_eq "once the VMM let go, unbind finished" "" "$(driver_of "$EDU1")"
rm -f /sys/fs/bpf/trap /sys/fs/bpf/guard
wait_links_below 1
check "edu1 rebinds" bind "$EDU1" vfio-pci-bpf

# --- a swap keeps all 16 traps: the replaced policy's do not count twice ----------------
check "attach many_traps (16 ranges, the most a device has)" "$CTL" attach \
	"$TEST_POLICIES/many_traps.bpf.o" --target "$EDU1" --pin /sys/fs/bpf/many
check "swap it for another with 16 ranges" "$CTL" swap /sys/fs/bpf/many \
	"$TEST_POLICIES/many_traps.bpf.o" --target "$EDU1"
check_eq "the 16 pages stay out of mmap" "0x10000+0xf0000" "$(op "$EDU1" sparse 0)"
detach_pin /sys/fs/bpf/many

# --- a swap that changes the priority moves the policy in the chain --------------------
check "guard A (priority 10)" "$CTL" attach "$POLICIES/cfg_guard.bpf.o" --target "$EDU0" \
	--priority 10 --name guard_a --set vendor_id=0xaaaa --pin /sys/fs/bpf/a
check "guard B (priority -5)" "$CTL" attach "$POLICIES/cfg_guard.bpf.o" --target "$EDU0" \
	--priority -5 --name guard_b --set vendor_id=0xbbbb --pin /sys/fs/bpf/b
check_eq "B runs first, A rewrites last" "guard_b guard_a 0xaaaa" \
	"$(policies_of "$EDU0") $(op "$EDU0" cfg-read 0 2)"
check "swap A for itself at priority -10" "$CTL" swap /sys/fs/bpf/a "$POLICIES/cfg_guard.bpf.o" \
	--target "$EDU0" --priority -10 --name guard_a --set vendor_id=0xaaaa
check_eq "now A runs first and B rewrites last" "guard_a guard_b 0xbbbb" \
	"$(policies_of "$EDU0") $(op "$EDU0" cfg-read 0 2)"
detach_pin /sys/fs/bpf/a /sys/fs/bpf/b

# --- a refused open: the policies that accepted it get close ----------------------------
check "open_count (priority 0)" "$CTL" attach "$TEST_POLICIES/open_count.bpf.o" --target "$EDU0" \
	--pin /sys/fs/bpf/count
check "deny (priority 10) refuses every open" "$CTL" attach "$TEST_POLICIES/deny.bpf.o" \
	--target "$EDU0" --priority 10 --set deny_open=1 --pin /sys/fs/bpf/deny
"$CLIENT" "$EDU0" get-info >/dev/null 2>&1
check_eq "the open fails" 2 "$?"
detach_pin /sys/fs/bpf/deny
check_eq "open_count saw two opens and the refused one's close" "0x2 0x1" \
	"$("$CLIENT" "$EDU0" cfg-read 0xc0 4 cfg-read 0xc4 4 | sed 's/.* = //' | tr '\n' ' ' | sed 's/ $//')"
detach_pin /sys/fs/bpf/count

# --- the ioctl hook sees which feature ------------------------------------------------
lpe=3  # VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY
lpx=5  # VFIO_DEVICE_FEATURE_LOW_POWER_EXIT
exit_probe=$(op "$EDU0" feature-probe $lpx)
feature_cmd=$(printf '0x%x' $(((0x3b << 8) | (100 + 17))))
check "deny VFIO_DEVICE_FEATURE for low-power entry only" "$CTL" attach \
	"$TEST_POLICIES/deny.bpf.o" --target "$EDU0" --set deny_cmd="$feature_cmd" \
	--set deny_feature=$lpe --set deny_errno=13 --pin /sys/fs/bpf/feature
check_eq "low-power entry is denied" "error EACCES" "$(op "$EDU0" feature-probe $lpe)"
check_eq "low-power exit still answers as before" "$exit_probe" "$(op "$EDU0" feature-probe $lpx)"
detach_pin /sys/fs/bpf/feature

# --- a slow attach on one device does not hold up another device's open ---------------
"$CLIENT" --hold 60 "$EDU0" >"$SCRATCH/hold0" &
holder=$!
wait_for_line "$SCRATCH/hold0" holding
"$CTL" attach "$TEST_POLICIES/slow_attach.bpf.o" --target "$EDU0" --set trap_len=0 \
	--set spin_rounds=0 --set poll_rounds=20 --pin /sys/fs/bpf/slow >/dev/null 2>&1 &
slow=$!
# A moment for the attach to start; without it the check below only gets weaker.
sleep 0.5
check_eq "edu1 opens and answers" 0x1234 "$(op "$EDU1" cfg-read 0 2)"
echo "vfio-pci-bpf test: edu1 done" >/dev/kmsg
wait "$slow"
check "the slow attach on edu0 completed" test -e /sys/fs/bpf/slow
check_eq "...after edu1 had opened, answered and closed" "edu1 done,attached" \
	"$(dmesg | grep -oE "edu1 done|'slow_attach' attached" | sed "s/'slow_attach' //" | paste -sd,)"
kill "$holder"
wait "$holder" 2>/dev/null
detach_pin /sys/fs/bpf/slow
finish
