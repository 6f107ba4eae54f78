// SPDX-License-Identifier: GPL-2.0-only
/*
 * A migration owner that fails where it is told to: fail_save makes
 * mig_save return -EIO, fail_quiesce makes RUNNING -> STOP return -EBUSY,
 * overfill makes mig_save write past its mig_size and return what the
 * kfunc said.
 */
#include <linux/bpf.h>
#include <asm-generic/errno.h>
#include <linux/vfio.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 fail_save = 0;
const volatile __u32 fail_quiesce = 0;
const volatile __u32 overfill = 0;

SEC("struct_ops.s/mig_state")
int BPF_PROG(mig_fail_state, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_mig *mig)
{
	if (fail_quiesce && mig->from == VFIO_DEVICE_STATE_RUNNING)
		return -EBUSY;
	return 0;
}

SEC("struct_ops.s/mig_save")
int BPF_PROG(mig_fail_save, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_mig *mig)
{
	__u64 word = 0x1122334455667788ULL;
	int ret;

	if (fail_save)
		return -EIO;
	ret = vfio_pci_bpf_mig_write(mig, &word, sizeof(word));
	/* The second word is past mig_size: the kfunc says -ENOSPC. */
	if (!ret && overfill)
		ret = vfio_pci_bpf_mig_write(mig, &word, sizeof(word));
	return ret;
}

SEC("struct_ops.s/mig_load")
int BPF_PROG(mig_fail_load, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_mig *mig)
{
	__u64 word;

	return vfio_pci_bpf_mig_read(mig, &word, sizeof(word));
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops mig_fail = {
	.mig_state = (void *)mig_fail_state,
	.mig_save = (void *)mig_fail_save,
	.mig_load = (void *)mig_fail_load,
	.name = "mig_fail",
	.flags = VFIO_PCI_BPF_F_MIGRATION,
	.mig_size = 8,
};
