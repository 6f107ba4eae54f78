#!/bin/bash
# How policies find devices: one target vs every device matching IDs, a
# device bound later picking up the ID match, chain order by priority, trap
# policies refused on an open device, EPOLLHUP when the target goes away, a
# policy for a device not bound yet attaching when it binds,
# and an atomic hot swap under a client reading in a loop.
. "$(dirname "$0")/lib.sh"

check "module loads" load_module
check "bind edu0" bind "$EDU0" vfio-pci-bpf
check "bind edu1" bind "$EDU1" vfio-pci-bpf
create_vfs 1
vf=$(vf_list | head -n1)
check "bind VF" bind "$vf" vfio-pci-bpf

# --- target vs ID match ----------------------------------------------------
check "trace on edu0 only" "$CTL" attach "$POLICIES/trace.bpf.o" --target "$EDU0" \
	--name trace_edu0 --pin /sys/fs/bpf/t0
check "trace on every igb VF" "$CTL" attach "$POLICIES/trace.bpf.o" --vendor 0x8086 \
	--device 0x10ca --name trace_vfs --pin /sys/fs/bpf/tvf
check "guard on every edu" "$CTL" attach "$POLICIES/cfg_guard.bpf.o" --vendor 0x1234 \
	--device 0x11e8 --name guard_edu --pin /sys/fs/bpf/ge
check_eq "edu0 chain" "trace_edu0 guard_edu" "$(policies_of "$EDU0")"
check_eq "edu1 chain" "guard_edu" "$(policies_of "$EDU1")"
check_eq "VF chain" "trace_vfs" "$(policies_of "$vf")"
DRIVER_POLICIES=/sys/bus/pci/drivers/vfio-pci-bpf/policies
check "the driver lists every policy: target, IDs, devices" diff -u - "$DRIVER_POLICIES" <<EOF
trace_edu0 $EDU0 devices=1
trace_vfs 8086:10ca devices=1
guard_edu 1234:11e8 devices=2
EOF
check "VF counters name its PF" grep -qx "pf $IGB_PF" "/sys/bus/pci/devices/$vf/vfio_bpf/counters"
check "VF counters give its index" grep -qx "vf_index 0" "/sys/bus/pci/devices/$vf/vfio_bpf/counters"

unbind "$EDU1"
check "edu1 rebound" bind "$EDU1" vfio-pci-bpf
check_eq "a device bound after registration gets the ID-match policy" "guard_edu" \
	"$(policies_of "$EDU1")"
echo 2 >"/sys/bus/pci/devices/$IGB_PF/sriov_numvfs" 2>/dev/null ||
	{ unbind "$vf"; echo 0 >"/sys/bus/pci/devices/$IGB_PF/sriov_numvfs"; create_vfs 2; }
for v in $(vf_list); do bind "$v" vfio-pci-bpf; done
check_eq "a VF created after registration gets the VF policy" "trace_vfs" \
	"$(policies_of "$(vf_list | tail -n1)")"
detach_pin /sys/fs/bpf/t0
detach_pin /sys/fs/bpf/tvf

detach_pin /sys/fs/bpf/ge
check_eq "nothing behind once the ID-match policy is gone" "" "$(policies_of "$EDU1")"

# --- chain order: lower priority first, first non-PASS verdict wins ---------
check "guard A (priority 10, vendor 0xaaaa)" "$CTL" attach "$POLICIES/cfg_guard.bpf.o" \
	--target "$EDU0" --priority 10 --name guard_a --set vendor_id=0xaaaa --pin /sys/fs/bpf/a
check "guard B (priority -5, vendor 0xbbbb)" "$CTL" attach "$POLICIES/cfg_guard.bpf.o" \
	--target "$EDU0" --priority -5 --name guard_b --set vendor_id=0xbbbb --pin /sys/fs/bpf/b
check_eq "chain ordered by priority" "guard_b guard_a" "$(policies_of "$EDU0")"
check_eq "both pass: the later policy rewrites last" 0xaaaa "$(op "$EDU0" cfg-read 0 2)"
check "deny-all (priority 0) between them" "$CTL" attach "$POLICIES/cfg_guard.bpf.o" \
	--target "$EDU0" --priority 0 --name deny_cls --set deny_write_offsets=0xc \
	--set deny_write_count=1 --set deny_errno=1 --pin /sys/fs/bpf/d
check_eq "chain with three" "guard_b deny_cls guard_a" "$(policies_of "$EDU0")"
check_eq "first non-PASS verdict ends the chain" "error EPERM" "$(op "$EDU0" cfg-write 0xc 1 8)"
for i in 4 5 6 7 8; do
	"$CTL" attach "$POLICIES/trace.bpf.o" --target "$EDU0" --name "fill$i" \
		--pin "/sys/fs/bpf/fill$i" || fail "policy $i of 8 attaches"
done
check_eq "a chain holds 8 policies" 8 "$(policies_of "$EDU0" | wc -w)"
"$CTL" attach "$POLICIES/trace.bpf.o" --target "$EDU0" --priority -100 --name ninth \
	--pin /sys/fs/bpf/ninth 2>"$SCRATCH/err" && fail "a 9th policy is refused" "it attached"
check "a 9th policy is refused, even at the front of the chain (E2BIG)" \
	grep -q "Argument list too long" "$SCRATCH/err"
check_eq "the 8 stay as they were, priority order (fills have 0)" "guard_b deny_cls fill4 fill5 fill6 fill7 fill8 guard_a" \
	"$(policies_of "$EDU0")"
detach_pin /sys/fs/bpf/a /sys/fs/bpf/b /sys/fs/bpf/d /sys/fs/bpf/fill[4-8]

# --- trap policies only before open -----------------------------------------
"$CLIENT" --hold 30 "$EDU1" >"$SCRATCH/hold" &
holder=$!
wait_for_line "$SCRATCH/hold" holding
if "$CTL" attach "$POLICIES/bar_trap.bpf.o" --target "$EDU1" --pin /sys/fs/bpf/trap \
	2>"$SCRATCH/err"; then
	fail "trap policy refused while the device is open" "attach succeeded"
else
	check "trap policy refused while the device is open (EBUSY)" grep -q "busy" "$SCRATCH/err"
fi
check "non-trap policy attaches to the open device" "$CTL" attach "$POLICIES/trace.bpf.o" \
	--target "$EDU1" --pin /sys/fs/bpf/t1
kill "$holder"
wait "$holder" 2>/dev/null
detach_pin /sys/fs/bpf/t1
check "trap policy attaches once the device is closed" "$CTL" attach \
	"$POLICIES/bar_trap.bpf.o" --target "$EDU1" --pin /sys/fs/bpf/trap
detach_pin /sys/fs/bpf/trap

# --- unbind detaches, the link owner sees EPOLLHUP ----------------------------
"$CTL" attach "$POLICIES/trace.bpf.o" --target "$EDU1" >"$SCRATCH/fg" 2>&1 &
fg=$!
wait_for_line "$SCRATCH/fg" attached
unbind "$EDU1"
gone() { ! kill -0 "$1" 2>/dev/null; }
eventually 30 gone "$fg"
check "foreground owner exits on unbind" gone "$fg"
check "...because the link reported EPOLLHUP" grep -q "detached by the kernel" "$SCRATCH/fg"
wait "$fg" 2>/dev/null

# --- a policy for a device not bound yet waits for it --------------------------
check "register bar_trap for edu1, which is not bound" "$CTL" attach "$POLICIES/bar_trap.bpf.o" \
	--target "$EDU1" --name trap_later --set trap_len=0x1000 --pin /sys/fs/bpf/later
check "the driver lists it as pending" grep -qx "trap_later $EDU1 pending" "$DRIVER_POLICIES"
check "...and the kernel log says so" \
	grep -q "policy 'trap_later' is pending: $EDU1 is not bound to vfio-pci-bpf yet" <(dmesg)
check "vfio-bpfctl devices says it waits" sh -c \
	"'$CTL' devices | grep -qx 'pending: trap_later waits for $EDU1 to bind'"
# A VMM that opens edu1 the moment it can already finds BAR0's first page trapped.
bind_while_opened "$EDU1"
check_eq "the VMM's first open already saw the trap" "sparse 0 = 0x1000+0xff000" \
	"$(cat "$SCRATCH/first")"
check_eq "edu1 has the policy from its bind on" trap_later "$(policies_of "$EDU1")"
check "the driver lists it on one device" grep -qx "trap_later $EDU1 devices=1" \
	"$DRIVER_POLICIES"
bound=$(ls /sys/bus/pci/drivers/vfio-pci-bpf | grep -c :)
check_eq "vfio-bpfctl devices --json: every bound device, edu1 with its chain, none pending" \
	"$bound trap_later []" "$("$CTL" devices --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
mine = [x["policies"] for x in d["devices"] if x["device"] == "'"$EDU1"'"]
print(len(d["devices"]), mine[0], d["pending"])')"
check_eq "vfio-bpfctl stats --json: every device, the sysfs numbers" \
	"$bound $(counter "$EDU1" hook.ioctl.calls)" "$("$CTL" stats --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(len(d), [x for x in d if x["device"] == "'"$EDU1"'"][0]["hook.ioctl.calls"])')"
detach_pin /sys/fs/bpf/later
check "gone from the driver's list once unpinned" sh -c "! grep -q trap_later $DRIVER_POLICIES"

# --- hot swap while a client reads in a loop -----------------------------------
check "guard v1" "$CTL" attach "$POLICIES/cfg_guard.bpf.o" --target "$EDU0" \
	--set vendor_id=0x1111 --pin /sys/fs/bpf/swap
start_loop swap "$EDU0" cfg-read 0 2
swaps=0
for i in $(seq 8); do
	"$CTL" swap /sys/fs/bpf/swap "$POLICIES/cfg_guard.bpf.o" --target "$EDU0" \
		--set vendor_id=$((i % 2 ? 0x2222 : 0x1111)) && swaps=$((swaps + 1))
done
stop_loop swap
summary=$(tail -n1 "$SCRATCH/swap")
echo "    $summary ($swaps swaps)"
check_eq "8 swaps while the client read" 8 "$swaps"
check "no read failed during hot swaps" grep -q ": 0 failed" <<<"$summary"
check "reads saw both policies" grep -qE ' 0x1111x[0-9]+ 0x2222x| 0x2222x[0-9]+ 0x1111x' <<<"$summary"
check "every read saw the old or the new policy" \
	test -z "$(grep -o '0x[0-9a-f]*x' <<<"$summary" | grep -vE '^0x(1111|2222)x$')"
check_eq "policy kept across swaps" "cfg_guard" "$(policies_of "$EDU0")"
# A swap replaces code on the same devices; it does not move the policy.
vendor=$(op "$EDU0" cfg-read 0 2)
out=$("$CTL" swap /sys/fs/bpf/swap "$POLICIES/cfg_guard.bpf.o" --target "$EDU1" 2>&1)
check "a swap onto another target is refused" test $? -ne 0
check "...saying why" grep -q "must keep the pinned policy's target" <<<"$out"
check "...and the kernel log names both policies" sh -c \
	"dmesg | grep -q \"policy 'cfg_guard' cannot replace 'cfg_guard': a swap keeps target\""
check_eq "the refused swap left edu0's policy in place" "$vendor" "$(op "$EDU0" cfg-read 0 2)"
check_eq "...and edu1 without it" "" "$(policies_of "$EDU1")"
detach_pin /sys/fs/bpf/swap

for v in $(vf_list); do unbind "$v"; done
echo 0 >"/sys/bus/pci/devices/$IGB_PF/sriov_numvfs"
finish
