/* SPDX-License-Identifier: GPL-2.0-only */
/* Rewriting part of an access value: the bytes where a field overlaps it. */
#ifndef VPB_PATCH_BPF_H
#define VPB_PATCH_BPF_H

#include "vfio_pci_bpf.h"

/*
 * Replace the bytes of @acc that fall inside the @width-byte field at
 * @field with the matching bytes of @value (little-endian, as config space
 * and the access value are).  Returns whether anything changed.
 */
static __always_inline bool vpb_patch(struct vfio_pci_bpf_access *acc, __u64 field,
				      __u32 width, __u64 value)
{
	bool hit = false;
	__u32 i;

	for (i = 0; i < 8; i++) {
		__u64 at = acc->offset + i;
		__u32 shift = i * 8;

		if (i >= acc->size)
			break;
		if (at < field || at >= field + width)
			continue;
		acc->value &= ~(0xffULL << shift);
		acc->value |= ((value >> ((at - field) * 8)) & 0xff) << shift;
		hit = true;
	}
	return hit;
}

#endif /* VPB_PATCH_BPF_H */
