// SPDX-License-Identifier: GPL-2.0-only
/*
 * cfg_guard: shapes the config space a VMM sees.  It hides one capability
 * from the capability list, presents chosen vendor/device/subsystem IDs,
 * and denies or silently drops writes to chosen registers.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/pci_regs.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"
#include "events.bpf.h"
#include "patch.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define MAX_REGS 8
/* A capability list longer than this is malformed. */
#define MAX_CAPS 48

/* Parameters; 0 leaves the item alone. */
const volatile __u8 hide_cap_id = 0;
const volatile __u16 vendor_id = 0;
const volatile __u16 device_id = 0;
const volatile __u16 subsys_vendor_id = 0;
const volatile __u16 subsys_id = 0;
/* Writes touching these config offsets fail with -deny_errno... */
const volatile __u16 deny_write_offsets[MAX_REGS] = {};
const volatile __u32 deny_write_count = 0;
const volatile __s32 deny_errno = 1; /* EPERM */
/* ...and writes touching these are absorbed without reaching the device. */
const volatile __u16 drop_write_offsets[MAX_REGS] = {};
const volatile __u32 drop_write_count = 0;

/* Where the pointer to the hidden capability sits, and what replaces it. */
struct hidden_cap {
	__u16 pointer_at;
	__u8 next;
	__u8 list_empty;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct hidden_cap);
} hidden SEC(".maps");

static __u64 cfg_byte(struct vfio_pci_bpf_dev *dev, __u32 offset)
{
	__u64 v = 0;

	vfio_pci_bpf_config_read(dev, offset, 1, &v);
	return v;
}

/* Walk the standard capability list once to find the capability to hide. */
SEC("struct_ops.s/attach")
int BPF_PROG(guard_attach, struct vfio_pci_bpf_dev *dev)
{
	struct hidden_cap h = {};
	__u32 addr = dev->addr;
	__u32 pointer_at = PCI_CAPABILITY_LIST, i;
	__u8 at;

	if (!hide_cap_id || !(cfg_byte(dev, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	at = cfg_byte(dev, PCI_CAPABILITY_LIST) & ~3;
	for (i = 0; i < MAX_CAPS && at; i++) {
		__u8 next = cfg_byte(dev, at + PCI_CAP_LIST_NEXT) & ~3;

		if (cfg_byte(dev, at) == hide_cap_id) {
			h.pointer_at = pointer_at;
			h.next = next;
			h.list_empty = pointer_at == PCI_CAPABILITY_LIST && !next;
			bpf_map_update_elem(&hidden, &addr, &h, BPF_ANY);
			return 0;
		}
		pointer_at = at + PCI_CAP_LIST_NEXT;
		at = next;
	}
	return 0;
}

SEC("struct_ops/detach")
void BPF_PROG(guard_detach, struct vfio_pci_bpf_dev *dev)
{
	__u32 addr = dev->addr;

	bpf_map_delete_elem(&hidden, &addr);
}

SEC("struct_ops/config_read")
int BPF_PROG(guard_config_read, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	__u32 addr = dev->addr;
	struct hidden_cap *h = bpf_map_lookup_elem(&hidden, &addr);

	if (vendor_id)
		vpb_patch(acc, PCI_VENDOR_ID, 2, vendor_id);
	if (device_id)
		vpb_patch(acc, PCI_DEVICE_ID, 2, device_id);
	if (subsys_vendor_id)
		vpb_patch(acc, PCI_SUBSYSTEM_VENDOR_ID, 2, subsys_vendor_id);
	if (subsys_id)
		vpb_patch(acc, PCI_SUBSYSTEM_ID, 2, subsys_id);
	if (h) {
		vpb_patch(acc, h->pointer_at, 1, h->next);
		/* With its only capability hidden, the device has no list. */
		if (h->list_empty && acc->offset <= PCI_STATUS &&
		    acc->offset + acc->size > PCI_STATUS)
			acc->value &= ~((__u64)PCI_STATUS_CAP_LIST << ((PCI_STATUS - acc->offset) * 8));
	}
	vpb_emit(dev, VFIO_PCI_BPF_HOOK_CONFIG_READ, acc, 0);
	return VFIO_PCI_BPF_PASS;
}

static bool touches(const volatile __u16 *offsets, __u32 count,
		    struct vfio_pci_bpf_access *acc)
{
	__u32 i;

	for (i = 0; i < MAX_REGS && i < count; i++)
		if (offsets[i] >= acc->offset && offsets[i] < acc->offset + acc->size)
			return true;
	return false;
}

SEC("struct_ops/config_write")
int BPF_PROG(guard_config_write, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	if (touches(deny_write_offsets, deny_write_count, acc)) {
		vpb_emit(dev, VFIO_PCI_BPF_HOOK_CONFIG_WRITE, acc, 2);
		return -deny_errno;
	}
	if (touches(drop_write_offsets, drop_write_count, acc)) {
		vpb_emit(dev, VFIO_PCI_BPF_HOOK_CONFIG_WRITE, acc, 1);
		return VFIO_PCI_BPF_DROP;
	}
	return VFIO_PCI_BPF_PASS;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops cfg_guard = {
	.attach = (void *)guard_attach,
	.detach = (void *)guard_detach,
	.config_read = (void *)guard_config_read,
	.config_write = (void *)guard_config_write,
	.name = "cfg_guard",
};
