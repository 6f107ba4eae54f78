// SPDX-License-Identifier: GPL-2.0-only
/* Must be rejected: declares a hook that may not sleep as sleepable. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/config_write")
int BPF_PROG(sleepy_write, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return VFIO_PCI_BPF_PASS;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops bad_sleepable_hook = {
	.config_write = (void *)sleepy_write,
	.name = "bad_sleepable_hook",
};
