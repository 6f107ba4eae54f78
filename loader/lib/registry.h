/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The vfio_pci_bpf_ops policies registered in the kernel, found among all
 * struct_ops maps through the module's BTF (released bpftools cannot name
 * module-defined struct_ops types; see tools/bpftool).
 */
#ifndef VPB_REGISTRY_H
#define VPB_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "vfio_pci_bpf.h"

struct vpb_registered {
	uint32_t map_id;
	struct vfio_pci_bpf_ops ops;		 /* data fields; hook members hold prog IDs */
	uint32_t prog_id[VFIO_PCI_BPF_NR_HOOKS]; /* 0 when the hook is unset */
};

/* Calls @fn for each registered policy; returns how many, or -errno. */
int vpb_for_each_registered(int (*fn)(const struct vpb_registered *r, void *ctx), void *ctx);

/*
 * Whether the bpffs object pinned at @pin is the link of a vfio-pci-bpf
 * policy: 1; 0 when it is anything else, -errno when it cannot be told,
 * both with the reason in @why.
 */
int vpb_pinned_policy(const char *pin, char *why, size_t whylen);

#endif /* VPB_REGISTRY_H */
