// SPDX-License-Identifier: GPL-2.0-only
/* The smallest policy: attaches to every vfio-pci-bpf device, hooks nothing. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"

#ifndef TRIVIAL_VENDOR
#define TRIVIAL_VENDOR VFIO_PCI_BPF_ANY_ID
#define TRIVIAL_DEVICE VFIO_PCI_BPF_ANY_ID
#endif

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/attach")
int BPF_PROG(trivial_attach, struct vfio_pci_bpf_dev *dev)
{
	return 0;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops trivial = {
	.attach = (void *)trivial_attach,
	.name = "trivial",
	.vendor = TRIVIAL_VENDOR,
	.device = TRIVIAL_DEVICE,
};
