// SPDX-License-Identifier: GPL-2.0-only
/*
 * A migration owner with every optional state whose mig_state refuses,
 * with -EBUSY, every other arc out of the states in refuse_from (a mask of
 * 1 << enum vfio_device_mig_state): the first try of such an arc fails, the
 * VMM's retry goes through.  fail_save_from makes mig_save fail (-EIO)
 * after mig_state took an arc out of one of those states.  fail_percent
 * makes every hook fail that often, at random (mig_state with -EBUSY, the
 * others with -EIO), for the fuzz test.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <asm-generic/errno.h>
#include <linux/vfio.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 refuse_from = 0;
const volatile __u32 fail_save_from = 0;
const volatile __u32 fail_percent = 0;

/* Per state: whether the last arc out of it was refused. */
__u8 refused_last[8];

static bool in(__u32 mask, __u32 state)
{
	return state < 8 && (mask & (1U << state));
}

static bool unlucky(void)
{
	return fail_percent && bpf_get_prandom_u32() % 100 < fail_percent;
}

SEC("struct_ops.s/mig_state")
int BPF_PROG(flaky_state, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_mig *mig)
{
	__u32 from = mig->from;

	if (unlucky())
		return -EBUSY;
	if (!in(refuse_from, from) || from >= 8)
		return 0;
	refused_last[from] = !refused_last[from];
	return refused_last[from] ? -EBUSY : 0;
}

SEC("struct_ops.s/mig_save")
int BPF_PROG(flaky_save, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_mig *mig)
{
	__u64 word = mig->flags;

	if (in(fail_save_from, mig->from) || unlucky())
		return -EIO;
	return vfio_pci_bpf_mig_write(mig, &word, sizeof(word));
}

SEC("struct_ops.s/mig_load")
int BPF_PROG(flaky_load, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_mig *mig)
{
	__u64 word;

	if (unlucky())
		return -EIO;
	return vfio_pci_bpf_mig_read(mig, &word, sizeof(word));
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops mig_flaky = {
	.mig_state = (void *)flaky_state,
	.mig_save = (void *)flaky_save,
	.mig_load = (void *)flaky_load,
	.name = "mig_flaky",
	.flags = VFIO_PCI_BPF_F_MIGRATION | VFIO_PCI_BPF_F_MIG_P2P | VFIO_PCI_BPF_F_MIG_PRE_COPY,
	.mig_size = 8,
};
