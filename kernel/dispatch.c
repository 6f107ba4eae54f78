// SPDX-License-Identifier: GPL-2.0-only
/*
 * Running a device's policy chain: verdict rules and the per-device
 * counters of every hook call.
 */
#include <linux/timekeeping.h>

#include "vpb.h"

/*
 * Count one hook call and turn its return value into a verdict: PASS,
 * HANDLED (when @can_handle) or a negative errno.  Anything else is an
 * error, counted and treated as PASS so that a broken policy cannot wedge
 * the device.
 */
static int vpb_verdict(struct vpb_device *vdev, enum vfio_pci_bpf_hook hook,
		       int ret, u64 ns, bool can_handle)
{
	enum vpb_stat kind;

	if (ret == VFIO_PCI_BPF_PASS)
		kind = VPB_STAT_PASS;
	else if (ret == VFIO_PCI_BPF_HANDLED && can_handle)
		kind = VPB_STAT_HANDLED;
	else if (ret < 0 && ret >= -VFIO_PCI_BPF_MAX_ERRNO)
		kind = VPB_STAT_DENIED;
	else
		kind = VPB_STAT_ERROR;

	this_cpu_inc(vdev->stats->hook[hook][VPB_STAT_CALLS]);
	this_cpu_inc(vdev->stats->hook[hook][kind]);
	this_cpu_add(vdev->stats->hook[hook][VPB_STAT_NS], ns);
	return kind == VPB_STAT_ERROR ? VFIO_PCI_BPF_PASS : ret;
}

static int vpb_call(struct vfio_pci_bpf_ops *ops, enum vfio_pci_bpf_hook hook,
		    struct vfio_pci_bpf_dev *dev, void *arg)
{
	switch (hook) {
	case VFIO_PCI_BPF_HOOK_ATTACH:
		return ops->attach(dev);
	case VFIO_PCI_BPF_HOOK_DETACH:
		ops->detach(dev);
		return 0;
	case VFIO_PCI_BPF_HOOK_OPEN:
		return ops->open(dev);
	case VFIO_PCI_BPF_HOOK_CLOSE:
		ops->close(dev);
		return 0;
	case VFIO_PCI_BPF_HOOK_IOCTL:
		return ops->ioctl(dev, arg);
	case VFIO_PCI_BPF_HOOK_CONFIG_READ:
		return ops->config_read(dev, arg);
	case VFIO_PCI_BPF_HOOK_CONFIG_WRITE:
		return ops->config_write(dev, arg);
	case VFIO_PCI_BPF_HOOK_BAR_READ:
		return ops->bar_read(dev, arg);
	case VFIO_PCI_BPF_HOOK_BAR_WRITE:
		return ops->bar_write(dev, arg);
	default:
		return 0;
	}
}

static int vpb_call_counted(struct vpb_device *vdev, struct vpb_policy *policy,
			    enum vfio_pci_bpf_hook hook, void *arg, bool can_handle)
{
	u64 start = ktime_get_ns();
	int ret = vpb_call(policy->ops, hook, &vdev->info, arg);

	return vpb_verdict(vdev, hook, ret, ktime_get_ns() - start, can_handle);
}

/* First verdict other than PASS ends the chain. */
static int vpb_run_chain(struct vpb_device *vdev, struct vpb_chain *chain,
			 enum vfio_pci_bpf_hook hook, void *arg, bool can_handle)
{
	unsigned int i;
	int ret;

	if (!chain || !(chain->hooks & BIT(hook)))
		return VFIO_PCI_BPF_PASS;
	for (i = 0; i < chain->len; i++) {
		if (!(chain->policy[i]->hooks & BIT(hook)))
			continue;
		ret = vpb_call_counted(vdev, chain->policy[i], hook, arg, can_handle);
		if (ret != VFIO_PCI_BPF_PASS)
			return ret;
	}
	return VFIO_PCI_BPF_PASS;
}

int vpb_run_access(struct vpb_device *vdev, struct vpb_chain *chain,
		   enum vfio_pci_bpf_hook hook, struct vfio_pci_bpf_access *acc)
{
	return vpb_run_chain(vdev, chain, hook, acc, true);
}

/*
 * close hooks of the first @n policies of @chain, last first: close
 * returns nothing, so each one runs (a void hook always counts as PASS).
 */
static void vpb_close_first(struct vpb_device *vdev, struct vpb_chain *chain,
			    unsigned int n)
{
	while (n--)
		if (chain->policy[n]->hooks & BIT(VFIO_PCI_BPF_HOOK_CLOSE))
			vpb_call_counted(vdev, chain->policy[n], VFIO_PCI_BPF_HOOK_CLOSE,
					 NULL, false);
}

/*
 * open, with the device enabled and its lock held: a policy may refuse the
 * open with -errno; the policies before it, which accepted, get close.
 */
int vpb_run_open(struct vpb_device *vdev)
{
	struct vpb_chain *chain = vpb_chain_locked(vdev);
	unsigned int i;
	int ret;

	lockdep_assert_held(&vdev->lock);
	for (i = 0; chain && i < chain->len; i++) {
		if (!(chain->policy[i]->hooks & BIT(VFIO_PCI_BPF_HOOK_OPEN)))
			continue;
		ret = vpb_call_counted(vdev, chain->policy[i], VFIO_PCI_BPF_HOOK_OPEN, NULL,
				       false);
		if (ret != VFIO_PCI_BPF_PASS) {
			vpb_close_first(vdev, chain, i);
			return ret;
		}
	}
	return 0;
}

void vpb_run_close(struct vpb_device *vdev)
{
	struct vpb_chain *chain = vpb_chain_locked(vdev);

	lockdep_assert_held(&vdev->lock);
	if (chain)
		vpb_close_first(vdev, chain, chain->len);
}

/* @feature: the VFIO_DEVICE_FEATURE flags word, for that ioctl only. */
int vpb_run_ioctl(struct vpb_device *vdev, unsigned int cmd, u32 feature,
		  unsigned long arg)
{
	struct vfio_pci_bpf_ioctl io = { .cmd = cmd, .feature = feature, .arg = arg };
	int idx, ret;

	this_cpu_inc(vdev->stats->ioctls);
	if (!vpb_hot(vdev, BIT(VFIO_PCI_BPF_HOOK_IOCTL)))
		return 0;
	idx = srcu_read_lock(&vdev->srcu);
	ret = vpb_run_chain(vdev, srcu_dereference(vdev->chain, &vdev->srcu),
			    VFIO_PCI_BPF_HOOK_IOCTL, &io, false);
	srcu_read_unlock(&vdev->srcu, idx);
	return ret;
}

/* Under the device's lock, while @policy is not yet (or no longer) chained. */
int vpb_call_attach(struct vpb_device *vdev, struct vpb_policy *policy)
{
	lockdep_assert_held(&vdev->lock);
	if (!policy->ops->attach)
		return 0;
	return vpb_call_counted(vdev, policy, VFIO_PCI_BPF_HOOK_ATTACH, NULL, false);
}

void vpb_call_detach(struct vpb_device *vdev, struct vpb_policy *policy)
{
	lockdep_assert_held(&vdev->lock);
	if (policy->ops->detach)
		vpb_call_counted(vdev, policy, VFIO_PCI_BPF_HOOK_DETACH, NULL, false);
}
