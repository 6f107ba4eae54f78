// SPDX-License-Identifier: GPL-2.0-only
/* Must be rejected: writes a field of the access other than its value. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/config_read")
int BPF_PROG(forge_offset, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	acc->offset = 0;
	return VFIO_PCI_BPF_PASS;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops bad_access_write = {
	.config_read = (void *)forge_offset,
	.name = "bad_access_write",
};
