// SPDX-License-Identifier: GPL-2.0-only
/* Claims migration without a mig_load: registration must refuse it. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/mig_save")
int BPF_PROG(half_save, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_mig *mig)
{
	return 0;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops mig_no_load = {
	.mig_save = (void *)half_save,
	.name = "mig_no_load",
	.flags = VFIO_PCI_BPF_F_MIGRATION,
	.mig_size = 8,
};
