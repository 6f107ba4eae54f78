// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test policy: denies one device-fd ioctl (for VFIO_DEVICE_FEATURE, only
 * the feature deny_feature when it is set), or every open, with a chosen
 * errno.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <linux/vfio.h>

#include "vfio_pci_bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 deny_cmd = 0;
const volatile bool deny_open = false;
const volatile __s32 deny_errno = 1;
const volatile __u32 deny_feature = 0;

SEC("struct_ops.s/ioctl")
int BPF_PROG(deny_ioctl, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_ioctl *io)
{
	if (io->cmd != deny_cmd)
		return VFIO_PCI_BPF_PASS;
	if (deny_feature && (io->feature & VFIO_DEVICE_FEATURE_MASK) != deny_feature)
		return VFIO_PCI_BPF_PASS;
	return -deny_errno;
}

SEC("struct_ops.s/open")
int BPF_PROG(deny_opening, struct vfio_pci_bpf_dev *dev)
{
	return deny_open ? -deny_errno : VFIO_PCI_BPF_PASS;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops deny = {
	.ioctl = (void *)deny_ioctl,
	.open = (void *)deny_opening,
	.name = "deny",
};
