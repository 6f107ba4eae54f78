/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal interfaces of vfio-pci-bpf shared by the driver, the struct_ops
 * type and the sysfs view.
 */
#ifndef VPB_H
#define VPB_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/vfio_pci_core.h>

#include "vfio_pci_bpf.h"

/* Most policies a single device chains; bounds the chain's cost. */
#define VPB_MAX_CHAIN 8

struct vpb_policy;

/* The policies attached to a device, in call order; replaced whole (RCU). */
struct vpb_chain {
	struct rcu_head rcu;
	unsigned int len;
	struct vpb_policy *policy[];
};

struct vpb_device {
	struct vfio_pci_core_device core; /* must stay first: vfio_alloc_device */
	struct vfio_pci_bpf_dev info; /* the handle policies see */
	struct list_head node; /* in vpb_devices, under vpb_lock */
	struct vpb_chain __rcu *chain;
};

/* A registered struct_ops instance. */
struct vpb_policy {
	struct list_head node; /* in vpb_policies, under vpb_lock */
	struct vfio_pci_bpf_ops *ops; /* the map's kernel copy */
};

/* vpb_lock orders every change of devices, policies and chains. */
extern struct mutex vpb_lock;
extern struct list_head vpb_devices;

static inline struct vpb_device *vpb_from_core(struct vfio_pci_core_device *core)
{
	return container_of(core, struct vpb_device, core);
}

/* policy.c */
int vpb_policy_init(void);
void vpb_policy_device_added(struct vpb_device *vdev);
void vpb_policy_device_removed(struct vpb_device *vdev);

/* sysfs.c */
extern const struct attribute_group vpb_attr_group;

#endif /* VPB_H */
