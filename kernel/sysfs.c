// SPDX-License-Identifier: GPL-2.0-only
/*
 * The per-device view under /sys/bus/pci/devices/BDF/vfio_bpf/, readable
 * without any BPF tooling: "policies" (one name per line, call order) and
 * "counters" (one "name value" line per counter, format in docs/hooks.md);
 * and the driver's "policies" under /sys/bus/pci/drivers/vfio-pci-bpf/:
 * every registered policy, the devices it is on, or "pending".
 */
#include <linux/pci.h>
#include <linux/sysfs.h>

#include "vpb.h"

const char *const vpb_hook_names[VFIO_PCI_BPF_NR_HOOKS] = { VFIO_PCI_BPF_HOOK_NAMES };
static const char *const vpb_stat_names[VPB_NR_STATS] = { VFIO_PCI_BPF_STAT_NAMES };

static struct vpb_device *vpb_from_dev(struct device *dev)
{
	return vpb_from_core(dev_get_drvdata(dev));
}

static int vpb_emit_policies(struct vpb_device *vdev, char *buf, int len,
			     const char *sep)
{
	struct vpb_chain *chain;
	unsigned int i;

	mutex_lock(&vdev->lock);
	chain = vpb_chain_locked(vdev);
	for (i = 0; chain && i < chain->len; i++)
		len += sysfs_emit_at(buf, len, "%s%s", i ? sep : "",
				     chain->policy[i]->ops->name);
	if (!chain && *sep == ',')
		len += sysfs_emit_at(buf, len, "-");
	mutex_unlock(&vdev->lock);
	return len;
}

static ssize_t policies_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	int len = vpb_emit_policies(vpb_from_dev(dev), buf, 0, "\n");

	return len ? len + sysfs_emit_at(buf, len, "\n") : 0;
}
static DEVICE_ATTR_RO(policies);

static u64 vpb_sum(struct vpb_device *vdev, size_t offset)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *(u64 *)((char *)per_cpu_ptr(vdev->stats, cpu) + offset);
	return sum;
}

#define VPB_SUM(vdev, field) vpb_sum(vdev, offsetof(struct vpb_counters, field))

static int vpb_emit_bdf(char *buf, int len, u32 addr)
{
	return sysfs_emit_at(buf, len, "%04x:%02x:%02x.%x", VFIO_PCI_BPF_ADDR_DOMAIN(addr),
			     VFIO_PCI_BPF_ADDR_BUS(addr), VFIO_PCI_BPF_ADDR_DEV(addr),
			     VFIO_PCI_BPF_ADDR_FN(addr));
}

static int vpb_emit_addr(char *buf, int len, const char *name, u32 addr)
{
	int n = sysfs_emit_at(buf, len, "%s ", name);

	n += vpb_emit_bdf(buf, len + n, addr);
	return n + sysfs_emit_at(buf, len + n, "\n");
}

static ssize_t counters_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct vpb_device *vdev = vpb_from_dev(dev);
	const struct vfio_pci_bpf_dev *info = &vdev->info;
	int hook, stat, len = 0;

	len += vpb_emit_addr(buf, len, "device", info->addr);
	len += sysfs_emit_at(buf, len, "ids %04x:%04x\n", info->vendor, info->device);
	len += sysfs_emit_at(buf, len, "class 0x%06x\n", info->class_code);
	if (info->is_vf) {
		len += vpb_emit_addr(buf, len, "pf", info->pf_addr);
		len += sysfs_emit_at(buf, len, "vf_index %u\n", info->vf_index);
	}
	len += sysfs_emit_at(buf, len, "policies ");
	len = vpb_emit_policies(vdev, buf, len, ",");
	len += sysfs_emit_at(buf, len, "\n");
	len += sysfs_emit_at(buf, len, "ioctls %llu\n", VPB_SUM(vdev, ioctls));
	len += sysfs_emit_at(buf, len, "trapped_reads %llu\n", VPB_SUM(vdev, trapped_reads));
	len += sysfs_emit_at(buf, len, "trapped_writes %llu\n", VPB_SUM(vdev, trapped_writes));
	len += sysfs_emit_at(buf, len, "attaches %llu\n", VPB_SUM(vdev, attaches));
	len += sysfs_emit_at(buf, len, "detaches %llu\n", VPB_SUM(vdev, detaches));
	len += sysfs_emit_at(buf, len, "migration.arcs %llu\n", VPB_SUM(vdev, mig_arcs));
	len += sysfs_emit_at(buf, len, "migration.saved_bytes %llu\n", VPB_SUM(vdev, mig_saved));
	len += sysfs_emit_at(buf, len, "migration.loaded_bytes %llu\n", VPB_SUM(vdev, mig_loaded));
	len += sysfs_emit_at(buf, len, "migration.refused %llu\n", VPB_SUM(vdev, mig_refused));
	for (hook = 0; hook < VFIO_PCI_BPF_NR_HOOKS; hook++) {
		u64 sum[VPB_NR_STATS];

		for (stat = 0; stat < VPB_NR_STATS; stat++)
			sum[stat] = VPB_SUM(vdev, hook[hook][stat]);
		sum[VPB_STAT_CALLS] = sum[VPB_STAT_PASS] + sum[VPB_STAT_HANDLED] +
				      sum[VPB_STAT_DENIED] + sum[VPB_STAT_ERROR];
		for (stat = 0; stat < VPB_NR_STATS; stat++)
			len += sysfs_emit_at(buf, len, "hook.%s.%s %llu\n",
					     vpb_hook_names[hook], vpb_stat_names[stat],
					     sum[stat]);
	}
	return len;
}
static DEVICE_ATTR_RO(counters);

static struct attribute *vpb_attrs[] = {
	&dev_attr_policies.attr,
	&dev_attr_counters.attr,
	NULL,
};

static const struct attribute_group vpb_attr_group = {
	.name = "vfio_bpf",
	.attrs = vpb_attrs,
};

/* "NAME MATCH STATE": MATCH a target address or vendor:device (ffff: any). */
static ssize_t vpb_driver_policies_show(struct device_driver *drv, char *buf)
{
	struct vpb_policy *policy;
	struct vpb_device *vdev;
	int len = 0;

	mutex_lock(&vpb_lock);
	list_for_each_entry(policy, &vpb_policies, node) {
		const struct vfio_pci_bpf_ops *ops = policy->ops;
		unsigned int on = 0;

		list_for_each_entry(vdev, &vpb_devices, node)
			on += vpb_chain_has(vpb_chain_locked_by_list(vdev), policy);
		len += sysfs_emit_at(buf, len, "%s ", ops->name);
		if (ops->target) {
			len += vpb_emit_bdf(buf, len, ops->target);
		} else {
			len += sysfs_emit_at(buf, len, "%04x:%04x", ops->vendor ?: 0xffff,
					     ops->device ?: 0xffff);
			if (ops->vfs_of) {
				len += sysfs_emit_at(buf, len, ",vfs_of=");
				len += vpb_emit_bdf(buf, len, ops->vfs_of);
			}
			if (ops->class_mask)
				len += sysfs_emit_at(buf, len, ",class=%06x/%06x", ops->class_code,
						     ops->class_mask);
		}
		if (ops->target && !on)
			len += sysfs_emit_at(buf, len, " pending\n");
		else
			len += sysfs_emit_at(buf, len, " devices=%u\n", on);
	}
	mutex_unlock(&vpb_lock);
	return len;
}

static struct driver_attribute vpb_driver_attr_policies =
	__ATTR(policies, 0444, vpb_driver_policies_show, NULL);

static struct attribute *vpb_driver_attrs[] = {
	&vpb_driver_attr_policies.attr,
	NULL,
};

static const struct attribute_group vpb_driver_group = {
	.attrs = vpb_driver_attrs,
};

const struct attribute_group *vpb_driver_groups[] = {
	&vpb_driver_group,
	NULL,
};

/* Added by the driver core once probe succeeded, removed before remove. */
const struct attribute_group *vpb_dev_groups[] = {
	&vpb_attr_group,
	NULL,
};
