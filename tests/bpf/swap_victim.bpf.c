// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test policy for hot-swap rollback: presents vendor_id and can refuse
 * devices in attach -- one chosen device (refuse_addr), or any device it
 * has attached to before (refuse_again), which is what a rollback that
 * re-ran the old policy's attach would run into.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/pci_regs.h>
#include <asm-generic/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"
#include "../../bpf/patch.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u16 vendor_id = 0x1111;
const volatile __u32 refuse_addr = 0;
const volatile bool refuse_again = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} attached SEC(".maps");

SEC("struct_ops.s/attach")
int BPF_PROG(victim_attach, struct vfio_pci_bpf_dev *dev)
{
	__u32 addr = dev->addr, one = 1;
	bool before = bpf_map_lookup_elem(&attached, &addr);

	if (refuse_addr && dev->addr == refuse_addr)
		return -EPERM;
	if (refuse_again && before)
		return -EPERM;
	bpf_map_update_elem(&attached, &addr, &one, BPF_ANY);
	return 0;
}

SEC("struct_ops/config_read")
int BPF_PROG(victim_read, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	vpb_patch(acc, PCI_VENDOR_ID, 2, vendor_id);
	return VFIO_PCI_BPF_PASS;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops swap_victim = {
	.attach = (void *)victim_attach,
	.config_read = (void *)victim_read,
	.name = "swap_victim",
};
