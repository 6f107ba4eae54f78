// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark policy: every hook returns PASS at once, so that its cost is
 * the module's and the BPF machinery's alone.  With trap_len set, attach
 * traps that much of BAR0 so that the BAR hooks run too.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u64 trap_len = 0;

SEC("struct_ops.s/attach")
int BPF_PROG(empty_attach, struct vfio_pci_bpf_dev *dev)
{
	return trap_len ? vfio_pci_bpf_trap_bar(dev, 0, 0, trap_len) : 0;
}

SEC("struct_ops/detach")
void BPF_PROG(empty_detach, struct vfio_pci_bpf_dev *dev)
{
}

SEC("struct_ops.s/open")
int BPF_PROG(empty_open, struct vfio_pci_bpf_dev *dev)
{
	return VFIO_PCI_BPF_PASS;
}

SEC("struct_ops/close")
void BPF_PROG(empty_close, struct vfio_pci_bpf_dev *dev)
{
}

SEC("struct_ops/ioctl")
int BPF_PROG(empty_ioctl, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_ioctl *io)
{
	return VFIO_PCI_BPF_PASS;
}

SEC("struct_ops/config_read")
int BPF_PROG(empty_config_read, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return VFIO_PCI_BPF_PASS;
}

SEC("struct_ops/config_write")
int BPF_PROG(empty_config_write, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return VFIO_PCI_BPF_PASS;
}

SEC("struct_ops/bar_read")
int BPF_PROG(empty_bar_read, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return VFIO_PCI_BPF_PASS;
}

SEC("struct_ops/bar_write")
int BPF_PROG(empty_bar_write, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return VFIO_PCI_BPF_PASS;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops empty = {
	.attach = (void *)empty_attach,
	.detach = (void *)empty_detach,
	.open = (void *)empty_open,
	.close = (void *)empty_close,
	.ioctl = (void *)empty_ioctl,
	.config_read = (void *)empty_config_read,
	.config_write = (void *)empty_config_write,
	.bar_read = (void *)empty_bar_read,
	.bar_write = (void *)empty_bar_write,
	.name = "empty",
};
