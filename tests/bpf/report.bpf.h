/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test policies report what they saw through config space: a dword read
 * at VPB_REPORT_AT + 4 * i is handled with report[i], so a plain VFIO
 * client can read any result back.
 */
#ifndef VPB_REPORT_BPF_H
#define VPB_REPORT_BPF_H

#include "vfio_pci_bpf.h"

#define VPB_REPORT_AT 0xc0
#define VPB_REPORT_SLOTS 16

__s32 report[VPB_REPORT_SLOTS];

/* Whether @acc read a report slot; if so its value is filled in. */
static __always_inline bool vpb_report(struct vfio_pci_bpf_access *acc)
{
	__u64 slot = (acc->offset - VPB_REPORT_AT) / 4;

	if (acc->offset < VPB_REPORT_AT || acc->size != 4 || slot >= VPB_REPORT_SLOTS)
		return false;
	acc->value = (__u32)report[slot];
	return true;
}

#endif /* VPB_REPORT_BPF_H */
