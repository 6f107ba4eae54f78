// SPDX-License-Identifier: GPL-2.0-only
/*
 * trace: counts every hooked access per device, by hook and by register
 * offset, and optionally streams each access to a ring buffer.  It passes
 * everything: attaching it never changes what the VMM sees, except that a
 * BAR range it is asked to trap (trap_len > 0) leaves mmap, so that the
 * BAR hooks see device-fd access there.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"
#include "events.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 trap_bar = 0;
const volatile __u64 trap_offset = 0;
const volatile __u64 trap_len = 0;

/* Key of the per-offset counts; offset is 0 for ioctl (cmd goes there). */
struct trace_key {
	__u32 addr;
	__u32 hook;
	__u64 offset;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct trace_key);
	__type(value, __u64);
} trace_counts SEC(".maps");

static __always_inline void count(struct vfio_pci_bpf_dev *dev, __u32 hook, __u64 offset)
{
	struct trace_key key = { .addr = dev->addr, .hook = hook, .offset = offset };
	__u64 one = 1, *n;

	n = bpf_map_lookup_elem(&trace_counts, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&trace_counts, &key, &one, BPF_NOEXIST);
}

static __always_inline int trace_access(struct vfio_pci_bpf_dev *dev, __u32 hook,
					struct vfio_pci_bpf_access *acc)
{
	count(dev, hook, acc->offset);
	vpb_emit(dev, hook, acc, 0);
	return VFIO_PCI_BPF_PASS;
}

SEC("struct_ops.s/attach")
int BPF_PROG(trace_attach, struct vfio_pci_bpf_dev *dev)
{
	return trap_len ? vfio_pci_bpf_trap_bar(dev, trap_bar, trap_offset, trap_len) : 0;
}

SEC("struct_ops/open")
int BPF_PROG(trace_open, struct vfio_pci_bpf_dev *dev)
{
	count(dev, VFIO_PCI_BPF_HOOK_OPEN, 0);
	return VFIO_PCI_BPF_PASS;
}

SEC("struct_ops/close")
void BPF_PROG(trace_close, struct vfio_pci_bpf_dev *dev)
{
	count(dev, VFIO_PCI_BPF_HOOK_CLOSE, 0);
}

SEC("struct_ops/ioctl")
int BPF_PROG(trace_ioctl, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_ioctl *io)
{
	count(dev, VFIO_PCI_BPF_HOOK_IOCTL, io->cmd);
	return VFIO_PCI_BPF_PASS;
}

SEC("struct_ops/config_read")
int BPF_PROG(trace_config_read, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return trace_access(dev, VFIO_PCI_BPF_HOOK_CONFIG_READ, acc);
}

SEC("struct_ops/config_write")
int BPF_PROG(trace_config_write, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return trace_access(dev, VFIO_PCI_BPF_HOOK_CONFIG_WRITE, acc);
}

SEC("struct_ops/bar_read")
int BPF_PROG(trace_bar_read, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return trace_access(dev, VFIO_PCI_BPF_HOOK_BAR_READ, acc);
}

SEC("struct_ops/bar_write")
int BPF_PROG(trace_bar_write, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return trace_access(dev, VFIO_PCI_BPF_HOOK_BAR_WRITE, acc);
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops trace = {
	.attach = (void *)trace_attach,
	.open = (void *)trace_open,
	.close = (void *)trace_close,
	.ioctl = (void *)trace_ioctl,
	.config_read = (void *)trace_config_read,
	.config_write = (void *)trace_config_write,
	.bar_read = (void *)trace_bar_read,
	.bar_write = (void *)trace_bar_write,
	.name = "trace",
};
