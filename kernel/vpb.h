/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal interfaces of vfio-pci-bpf shared by the driver, the struct_ops
 * type, the kfuncs, the traps and the sysfs view.
 */
#ifndef VPB_H
#define VPB_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/srcu.h>
#include <linux/vfio_pci_core.h>

#include "vfio_pci_bpf.h"

/* Most policies a single device chains; bounds the chain's cost. */
#define VPB_MAX_CHAIN 8

struct bpf_link;

/* A registered struct_ops instance. */
struct vpb_policy {
	struct list_head node; /* in vpb_policies, under vpb_lock */
	struct vfio_pci_bpf_ops *ops; /* the map's kernel copy */
	struct bpf_link *link; /* NULL when registered without a link */
	unsigned long hooks; /* BIT(hook) for every member it implements */
};

/* A BAR range whose device-fd accesses run the BAR hooks. */
struct vpb_trap {
	struct vpb_policy *owner;
	u64 start;
	u64 end; /* exclusive */
	u8 bar;
};

/*
 * What the hot path needs of a device's policies, replaced whole under
 * vpb_lock and read under vpb_srcu: the policies in call order, the union
 * of their hooks and the trapped ranges.
 */
struct vpb_chain {
	struct rcu_head rcu;
	unsigned long hooks;
	unsigned int nr_traps;
	struct vpb_trap traps[VFIO_PCI_BPF_MAX_TRAPS];
	unsigned int len;
	struct vpb_policy *policy[VPB_MAX_CHAIN];
};

enum vpb_stat {
	VPB_STAT_CALLS,
	VPB_STAT_PASS,
	VPB_STAT_HANDLED,
	VPB_STAT_DENIED,
	VPB_STAT_ERROR,
	VPB_STAT_NS,
	VPB_NR_STATS,
};

/* Per-CPU, always on. */
struct vpb_counters {
	u64 hook[VFIO_PCI_BPF_NR_HOOKS][VPB_NR_STATS];
	u64 ioctls;
	u64 trapped_reads;
	u64 trapped_writes;
	u64 attaches;
	u64 detaches;
};

/* Bits of vpb_device.hot: BIT(hook) for hooks, these for trapped BARs. */
#define VPB_HOT_BAR(bar) BIT(VFIO_PCI_BPF_NR_HOOKS + (bar))

struct vpb_device {
	struct vfio_pci_core_device core; /* must stay first: vfio_alloc_device */
	struct vfio_pci_bpf_dev info; /* the handle policies see */
	struct list_head node; /* in vpb_devices, under vpb_lock */
	struct vpb_chain __rcu *chain;
	/*
	 * What the chain hooks, read without a lock so that paths no policy
	 * hooks never enter SRCU; a racing attach is seen by the next access.
	 */
	unsigned long hot;
	struct vpb_counters __percpu *stats;
	bool open; /* under vpb_lock */
	/* The policy whose attach runs now, and the traps it declared. */
	struct vpb_policy *attaching;
	unsigned int nr_pending;
	struct vpb_trap pending[VFIO_PCI_BPF_MAX_TRAPS];
};

static inline bool vpb_hot(struct vpb_device *vdev, unsigned long bits)
{
	return READ_ONCE(vdev->hot) & bits;
}

/* vpb_lock orders every change of devices, policies and chains. */
extern struct mutex vpb_lock;
extern struct list_head vpb_devices;
extern struct srcu_struct vpb_srcu;

static inline struct vpb_device *vpb_from_core(struct vfio_pci_core_device *core)
{
	return container_of(core, struct vpb_device, core);
}

static inline struct vpb_device *vpb_from_info(struct vfio_pci_bpf_dev *info)
{
	return container_of(info, struct vpb_device, info);
}

/* bind.c: policies on devices */
int vpb_bind_policy(struct vpb_policy *policy);
void vpb_unbind_policy(struct vpb_policy *policy);
int vpb_rebind_policy(struct vpb_policy *old, struct vpb_policy *new);
void vpb_device_added(struct vpb_device *vdev);
void vpb_device_removed(struct vpb_device *vdev);
struct vpb_policy *vpb_find_policy(const void *ops);
extern struct list_head vpb_policies;

/* dispatch.c: running the chain */
int vpb_run_lifecycle(struct vpb_device *vdev, enum vfio_pci_bpf_hook hook);
int vpb_run_ioctl(struct vpb_device *vdev, unsigned int cmd, unsigned long arg);
int vpb_run_access(struct vpb_device *vdev, struct vpb_chain *chain,
		   enum vfio_pci_bpf_hook hook, struct vfio_pci_bpf_access *acc);
int vpb_call_attach(struct vpb_device *vdev, struct vpb_policy *policy);
void vpb_call_detach(struct vpb_device *vdev, struct vpb_policy *policy);

/* access.c: config and BAR access through the device fd */
ssize_t vpb_read(struct vfio_device *core_vdev, char __user *buf, size_t count,
		 loff_t *ppos);
ssize_t vpb_write(struct vfio_device *core_vdev, const char __user *buf,
		  size_t count, loff_t *ppos);
int vpb_bar_io(struct vpb_device *vdev, unsigned int bar, u64 off, u32 size,
	       u64 *val, bool write, bool may_sleep);

/* traps.c */
const struct vpb_trap *vpb_trap_find(struct vpb_chain *chain, unsigned int bar,
				     u64 start, u64 end);
int vpb_trap_region_info(struct vpb_device *vdev, unsigned long arg);
int vpb_trap_check_mmap(struct vpb_device *vdev, struct vm_area_struct *vma);
int vpb_trap_add(struct vpb_device *vdev, u32 bar, u64 offset, u64 len);
int vpb_trap_clear(struct vpb_device *vdev, u32 bar);

/* struct_ops.c and kfuncs.c */
int vpb_struct_ops_init(void);
int vpb_kfuncs_init(void);
struct btf;
void vpb_kfuncs_set_btf(struct btf *btf, u32 ops_type_id);
/* A struct_ops program's expected_attach_type is its member's index. */
#define VPB_ATTACH_MEMBER 0

/* sysfs.c */
extern const struct attribute_group vpb_attr_group;

#endif /* VPB_H */
