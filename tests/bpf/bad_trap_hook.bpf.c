// SPDX-License-Identifier: GPL-2.0-only
/* Must be rejected: declares a trap outside attach. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/config_read")
int BPF_PROG(late_trap, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return vfio_pci_bpf_trap_bar(dev, 0, 0, 4);
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops bad_trap_hook = {
	.config_read = (void *)late_trap,
	.name = "bad_trap_hook",
};
