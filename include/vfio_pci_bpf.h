/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * vfio-pci-bpf policy ABI: the one header shared by the kernel module, BPF
 * policies and userspace.  A policy is written against this file alone.
 *
 * Build a policy with:  clang -target bpf -I include ... policy.bpf.c
 */
#ifndef VFIO_PCI_BPF_H
#define VFIO_PCI_BPF_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <linux/types.h>
#endif

#define VFIO_PCI_BPF_DRIVER_NAME "vfio-pci-bpf"
#define VFIO_PCI_BPF_OPS_NAME "vfio_pci_bpf_ops"
#define VFIO_PCI_BPF_NAME_LEN 32
#define VFIO_PCI_BPF_NUM_BARS 6

/* Match-any value for the vendor/device fields of struct vfio_pci_bpf_ops. */
#define VFIO_PCI_BPF_ANY_ID 0

/*
 * A PCI address packed as domain:16 | bus:8 | device:5 | function:3, the
 * form of the `target` field and of the address fields below.
 */
#define VFIO_PCI_BPF_ADDR(domain, bus, dev, fn)                                \
	(((__u32)(domain) << 16) | ((__u32)(bus) << 8) |                       \
	 (((__u32)(dev) & 0x1f) << 3) | ((__u32)(fn) & 0x7))
#define VFIO_PCI_BPF_ADDR_DOMAIN(a) ((a) >> 16)
#define VFIO_PCI_BPF_ADDR_BUS(a) (((a) >> 8) & 0xff)
#define VFIO_PCI_BPF_ADDR_DEV(a) (((a) >> 3) & 0x1f)
#define VFIO_PCI_BPF_ADDR_FN(a) ((a) & 0x7)

/*
 * The hooked device as a policy sees it.  Read-only: the verifier refuses
 * writes to every field.
 */
struct vfio_pci_bpf_dev {
	__u32 addr; /* VFIO_PCI_BPF_ADDR() of this function */
	__u16 vendor;
	__u16 device;
	__u16 subsystem_vendor;
	__u16 subsystem_device;
	__u8 is_vf;
	__u8 __pad0;
	__u16 vf_index; /* 0-based VF number when is_vf */
	__u32 pf_addr; /* address of the PF when is_vf, else 0 */
	__u32 __pad1;
	__u64 bar_size[VFIO_PCI_BPF_NUM_BARS];
};

/*
 * The struct_ops type a policy fills in.  Data fields select the devices:
 * `target` one device by address, or 0 for every device (current and
 * future) whose vendor/device match (VFIO_PCI_BPF_ANY_ID matches all).
 */
struct vfio_pci_bpf_ops {
	/* Lifecycle.  attach may refuse the device with a negative errno. */
	int (*attach)(struct vfio_pci_bpf_dev *dev);
	void (*detach)(struct vfio_pci_bpf_dev *dev);

	char name[VFIO_PCI_BPF_NAME_LEN];
	__u32 target;
	__u32 vendor;
	__u32 device;
	__u32 flags;
};

#endif /* VFIO_PCI_BPF_H */
