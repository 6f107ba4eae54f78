// SPDX-License-Identifier: GPL-2.0-only
/*
 * Must be rejected: fills in a member the kernel's vfio_pci_bpf_ops does
 * not have, as a policy built against a newer or foreign header would.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct vfio_pci_bpf_dev;

struct vfio_pci_bpf_ops {
	int (*frobnicate)(struct vfio_pci_bpf_dev *dev);
	char name[32];
};

SEC("struct_ops/frobnicate")
int BPF_PROG(frob, struct vfio_pci_bpf_dev *dev)
{
	return 0;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops bad_member = {
	.frobnicate = (void *)frob,
	.name = "bad_member",
};
