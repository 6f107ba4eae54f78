// SPDX-License-Identifier: GPL-2.0-only
/* Must be rejected: a sleepable kfunc from a hook that may not sleep. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/bar_read")
int BPF_PROG(poll_in_bar_read, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return vfio_pci_bpf_bar_poll(dev, 0, 0x20, VFIO_PCI_BPF_POLL_MATCH(1, 0), 1000);
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops bad_sleep = {
	.bar_read = (void *)poll_in_bar_read,
	.name = "bad_sleep",
};
