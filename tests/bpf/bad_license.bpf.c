// SPDX-License-Identifier: GPL-2.0-only
/* Must be rejected: hook programs need a GPL-compatible license. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"

char LICENSE[] SEC("license") = "Proprietary";

SEC("struct_ops/config_read")
int BPF_PROG(closed, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return VFIO_PCI_BPF_PASS;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops bad_license = {
	.config_read = (void *)closed,
	.name = "bad_license",
};
