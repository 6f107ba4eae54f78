// SPDX-License-Identifier: GPL-2.0-only
/*
 * bar_trap: traps a range of one BAR, counts and optionally streams every
 * access to it, and can emulate one register of the range: a scratch
 * register whose reads and writes never reach the hardware.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"
#include "events.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define NO_REGISTER ((__u64)-1)

const volatile __u32 trap_bar = 0;
const volatile __u64 trap_offset = 0;
const volatile __u64 trap_len = 0x1000;
/* Offset (within the BAR) of the emulated register, or NO_REGISTER. */
const volatile __u64 emulate_offset = NO_REGISTER;
const volatile __u64 emulate_initial = 0;

struct access_key {
	__u32 addr;
	__u32 write;
	__u64 offset;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct access_key);
	__type(value, __u64);
} accesses SEC(".maps");

/* The emulated register of each device. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} scratch SEC(".maps");

static void count(struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc, bool write)
{
	struct access_key key = { .addr = dev->addr, .write = write, .offset = acc->offset };
	__u64 one = 1, *n = bpf_map_lookup_elem(&accesses, &key);

	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&accesses, &key, &one, BPF_NOEXIST);
}

static bool emulated(struct vfio_pci_bpf_access *acc)
{
	return emulate_offset != NO_REGISTER && acc->bar == trap_bar &&
	       acc->offset == emulate_offset;
}

SEC("struct_ops.s/attach")
int BPF_PROG(bar_trap_attach, struct vfio_pci_bpf_dev *dev)
{
	__u64 initial = emulate_initial;
	__u32 addr = dev->addr;

	if (emulate_offset != NO_REGISTER)
		bpf_map_update_elem(&scratch, &addr, &initial, BPF_ANY);
	return vfio_pci_bpf_trap_bar(dev, trap_bar, trap_offset, trap_len);
}

SEC("struct_ops/detach")
void BPF_PROG(bar_trap_detach, struct vfio_pci_bpf_dev *dev)
{
	__u32 addr = dev->addr;

	bpf_map_delete_elem(&scratch, &addr);
}

SEC("struct_ops/bar_read")
int BPF_PROG(bar_trap_read, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	__u32 addr = dev->addr;
	__u64 *reg;

	count(dev, acc, false);
	if (emulated(acc)) {
		reg = bpf_map_lookup_elem(&scratch, &addr);
		acc->value = reg ? *reg : 0;
		vpb_emit(dev, VFIO_PCI_BPF_HOOK_BAR_READ, acc, 1);
		return VFIO_PCI_BPF_HANDLED;
	}
	vpb_emit(dev, VFIO_PCI_BPF_HOOK_BAR_READ, acc, 0);
	return VFIO_PCI_BPF_PASS;
}

SEC("struct_ops/bar_write")
int BPF_PROG(bar_trap_write, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	__u64 value = acc->value, *reg;
	__u32 addr = dev->addr;

	count(dev, acc, true);
	if (emulated(acc)) {
		/* In place: attach made the entry; replacing it costs an allocation. */
		reg = bpf_map_lookup_elem(&scratch, &addr);
		if (reg)
			*reg = value;
		else
			bpf_map_update_elem(&scratch, &addr, &value, BPF_ANY);
		vpb_emit(dev, VFIO_PCI_BPF_HOOK_BAR_WRITE, acc, 1);
		return VFIO_PCI_BPF_HANDLED;
	}
	vpb_emit(dev, VFIO_PCI_BPF_HOOK_BAR_WRITE, acc, 0);
	return VFIO_PCI_BPF_PASS;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops bar_trap = {
	.attach = (void *)bar_trap_attach,
	.detach = (void *)bar_trap_detach,
	.bar_read = (void *)bar_trap_read,
	.bar_write = (void *)bar_trap_write,
	.name = "bar_trap",
};
