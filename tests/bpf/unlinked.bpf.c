// SPDX-License-Identifier: GPL-2.0-only
/*
 * A policy registered without a link (SEC(".struct_ops")): it stays
 * registered after the program that registered it exits, until
 * `bpftool struct_ops unregister` removes it.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/config_read")
int BPF_PROG(unlinked_read, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return VFIO_PCI_BPF_PASS;
}

SEC(".struct_ops")
struct vfio_pci_bpf_ops unlinked = {
	.config_read = (void *)unlinked_read,
	.name = "unlinked",
};
