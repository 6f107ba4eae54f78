// SPDX-License-Identifier: GPL-2.0-only
/*
 * The per-device view under /sys/bus/pci/devices/BDF/vfio_bpf/, readable
 * without any BPF tooling.
 */
#include <linux/pci.h>
#include <linux/sysfs.h>

#include "vpb.h"

static struct vpb_device *vpb_from_dev(struct device *dev)
{
	return vpb_from_core(dev_get_drvdata(dev));
}

/* One attached policy name per line, in call order. */
static ssize_t policies_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct vpb_device *vdev = vpb_from_dev(dev);
	struct vpb_chain *chain;
	unsigned int i;
	int len = 0;

	mutex_lock(&vpb_lock);
	chain = rcu_dereference_protected(vdev->chain, lockdep_is_held(&vpb_lock));
	for (i = 0; chain && i < chain->len; i++)
		len += sysfs_emit_at(buf, len, "%s\n", chain->policy[i]->ops->name);
	mutex_unlock(&vpb_lock);
	return len;
}
static DEVICE_ATTR_RO(policies);

static struct attribute *vpb_attrs[] = {
	&dev_attr_policies.attr,
	NULL,
};

const struct attribute_group vpb_attr_group = {
	.name = "vfio_bpf",
	.attrs = vpb_attrs,
};
