// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test policy for VMM races on config space: denies writing one value to
 * one register, presents another vendor ID and counts every vendor ID it
 * is shown that is not the device's (report[0]), and denies reads of one
 * register.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/pci_regs.h>
#include <asm-generic/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"
#include "report.bpf.h"
#include "../../bpf/patch.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 deny_write_offset = PCI_CACHE_LINE_SIZE;
const volatile __u32 deny_write_value = 0x20;
const volatile __u16 device_vendor = 0x1234;
const volatile __u16 shown_vendor = 0xaaaa;
const volatile __u32 deny_read_offset = PCI_SUBSYSTEM_VENDOR_ID;

SEC("struct_ops/config_read")
int BPF_PROG(guard_read, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	if (vpb_report(acc))
		return VFIO_PCI_BPF_HANDLED;
	if (acc->offset == deny_read_offset)
		return -EACCES;
	if (acc->offset == PCI_VENDOR_ID && acc->size >= 2) {
		if ((acc->value & 0xffff) != device_vendor)
			__sync_fetch_and_add(&report[0], 1);
		vpb_patch(acc, PCI_VENDOR_ID, 2, shown_vendor);
	}
	return VFIO_PCI_BPF_PASS;
}

SEC("struct_ops/config_write")
int BPF_PROG(guard_write, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	if (acc->offset == deny_write_offset && acc->size == 1 && acc->value == deny_write_value)
		return -EPERM;
	return VFIO_PCI_BPF_PASS;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops race_guard = {
	.config_read = (void *)guard_read,
	.config_write = (void *)guard_write,
	.name = "race_guard",
};
