// SPDX-License-Identifier: GPL-2.0-only
/* Must be rejected: writes a read-only field of the device handle. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/config_read")
int BPF_PROG(forge_vendor, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	dev->vendor = 0x8086;
	return VFIO_PCI_BPF_PASS;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops bad_ctx_write = {
	.config_read = (void *)forge_vendor,
	.name = "bad_ctx_write",
};
