#!/bin/bash
# Bad policies are refused at load or registration with a message that
# names the problem, and leave every device as it was.
. "$(dirname "$0")/lib.sh"

check "module loads" load_module
check "bind edu0" bind "$EDU0" vfio-pci-bpf

# refused NAME OBJECT EXPECTED-TEXT [OPTIONS...]
refused() {
	local name=$1 object=$2 want=$3
	shift 3
	if "$CTL" attach "$object" --pin "/sys/fs/bpf/$name" "$@" >"$SCRATCH/out" 2>&1; then
		fail "$name refused" "it was accepted"
		rm -f "/sys/fs/bpf/$name"
		return
	fi
	if grep -qF -- "$want" "$SCRATCH/out"; then
		ok "$name refused: $(grep -F -- "$want" "$SCRATCH/out" | head -n1 | cut -c1-150)"
	else
		fail "$name refused with a message naming the problem" "wanted '$want'"
		sed 's/^/    /' "$SCRATCH/out"
	fi
}

T=$TEST_POLICIES
refused write-dev-field "$T/bad_ctx_write.bpf.o" \
	"struct vfio_pci_bpf_dev is read-only (write at offset 4 size 2); the one writable field is vfio_pci_bpf_access.value" --target "$EDU0"
refused write-access-field "$T/bad_access_write.bpf.o" \
	"struct vfio_pci_bpf_access is read-only (write at offset 0 size 8)" --target "$EDU0"
refused kfunc-not-the-device "$T/bad_kfunc_arg.bpf.o" "expected pointer to STRUCT vfio_pci_bpf_dev" --target "$EDU0"
refused sleepable-kfunc "$T/bad_sleep.bpf.o" "program must be sleepable to call sleepable kfunc vfio_pci_bpf_bar_poll" --target "$EDU0"
refused sleepable-access-hook "$T/bad_sleepable_hook.bpf.o" \
	"config_write cannot be sleepable (SEC(\"struct_ops.s/config_write\")); only attach, detach, open, close, ioctl and the mig_* hooks may sleep" --target "$EDU0"
refused trap-outside-attach "$T/bad_trap_hook.bpf.o" \
	"calling kernel function vfio_pci_bpf_trap_bar is not allowed (vfio_pci_bpf_trap_bar may be called from attach only)" --target "$EDU0"
# bpftool loads without those hints; the kernel log gives the reason.
"$BPFTOOL" struct_ops register "$T/bad_sleepable_hook.bpf.o" >"$SCRATCH/out" 2>&1
check "bpftool's refusal of a sleepable config_write names the member" \
	grep -q "attach to unsupported member config_write of struct vfio_pci_bpf_ops" "$SCRATCH/out"
check "...and the kernel log says why" sh -c \
	"dmesg | grep -q 'vfio_pci_bpf: program [a-z_]*: config_write cannot be sleepable'"
"$BPFTOOL" struct_ops register "$T/bad_trap_hook.bpf.o" >"$SCRATCH/out" 2>&1
check "bpftool's refusal of trap_bar outside attach" \
	grep -q "calling kernel function vfio_pci_bpf_trap_bar is not allowed" "$SCRATCH/out"
check "...and the kernel log says it is for attach only" sh -c \
	"dmesg | grep -q 'trap_bar and vfio_pci_bpf_untrap_bar may be called from attach only'"
refused non-gpl "$T/bad_license.bpf.o" "must have a GPL compatible license" --target "$EDU0"
refused unknown-member "$T/bad_member.bpf.o" "frobnicate"
refused unbounded-loop "$T/bad_loop.bpf.o" "infinite loop detected" --target "$EDU0"
refused bad-name "$POLICIES/trace.bpf.o" "letters, digits" --target "$EDU0" --name "no spaces"
refused unknown-parameter "$POLICIES/bar_trap.bpf.o" "no such parameter" --set nosuch=1
refused parameter-out-of-range "$POLICIES/cfg_guard.bpf.o" "bad value" --set vendor_id=0x10000
refused too-many-values "$POLICIES/cfg_guard.bpf.o" "too many values" --set deny_write_offsets=1,2,3,4,5,6,7,8,9

check_eq "edu0 still has no policy" "" "$(policies_of "$EDU0")"
check "edu0 still works" "$CLIENT" --edu "$EDU0"
check "no policy left registered" sh -c "! $BPFTOOL map show | grep -q struct_ops"
finish
