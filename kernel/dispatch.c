// SPDX-License-Identifier: GPL-2.0-only
/*
 * Running a device's policy chain for the lifecycle, ioctl and migration
 * hooks; the access hooks' runner is in run.h.
 */
#include "run.h"

/* One lifecycle or migration hook of one policy, counted on its own. */
static int vpb_call_one(struct vpb_device *vdev, struct vpb_policy *policy,
			enum vfio_pci_bpf_hook hook, struct vfio_pci_bpf_mig *mig)
{
	struct vfio_pci_bpf_ops *ops = policy->ops;
	struct vfio_pci_bpf_dev *dev = &vdev->info;
	u64 start = ktime_get_ns();
	enum vpb_stat kind;
	int ret = 0;

	switch (hook) {
	case VFIO_PCI_BPF_HOOK_ATTACH:
		ret = ops->attach(dev);
		break;
	case VFIO_PCI_BPF_HOOK_DETACH:
		ops->detach(dev);
		break;
	case VFIO_PCI_BPF_HOOK_OPEN:
		ret = ops->open(dev);
		break;
	case VFIO_PCI_BPF_HOOK_CLOSE:
		ops->close(dev);
		break;
	case VFIO_PCI_BPF_HOOK_MIG_STATE:
		ret = ops->mig_state(dev, mig);
		break;
	case VFIO_PCI_BPF_HOOK_MIG_SAVE:
		ret = ops->mig_save(dev, mig);
		break;
	case VFIO_PCI_BPF_HOOK_MIG_LOAD:
		ret = ops->mig_load(dev, mig);
		break;
	default:
		break;
	}
	kind = vpb_kind(ret, false);
	vpb_count(vdev, hook, kind == VPB_STAT_PASS, kind == VPB_STAT_ERROR,
		  kind == VPB_STAT_DENIED ? kind : VPB_STAT_PASS, start, 1);
	if (kind != VPB_STAT_ERROR)
		return ret;
	/* A lifecycle hook's stray value is ignored; a migration step fails. */
	return mig ? -EIO : VFIO_PCI_BPF_PASS;
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
			vpb_call_one(vdev, chain->policy[n], VFIO_PCI_BPF_HOOK_CLOSE, NULL);
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
		ret = vpb_call_one(vdev, chain->policy[i], VFIO_PCI_BPF_HOOK_OPEN, NULL);
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

/*
 * The ioctl chain, under the device's SRCU (ioctl hooks may sleep).
 * @feature: the VFIO_DEVICE_FEATURE flags word, for that ioctl only.
 * HANDLED means nothing for an ioctl: it counts as an error, like any
 * value that is no verdict.
 */
int vpb_run_ioctl(struct vpb_device *vdev, unsigned int cmd, u32 feature,
		  unsigned long arg)
{
	struct vfio_pci_bpf_ioctl io = { .cmd = cmd, .feature = feature, .arg = arg };
	unsigned int i, called = 0, erred = 0;
	enum vpb_stat kind = VPB_STAT_PASS;
	int idx, ret = VFIO_PCI_BPF_PASS;
	struct vpb_chain *chain;
	u64 start;

	if (!vpb_hot(vdev, BIT(VFIO_PCI_BPF_HOOK_IOCTL)))
		return 0;
	this_cpu_inc(vdev->stats->ioctls);
	idx = srcu_read_lock(&vdev->srcu);
	chain = srcu_dereference(vdev->chain, &vdev->srcu);
	start = vpb_sample_start(vdev);
	for (i = 0; chain && i < chain->len; i++) {
		struct vpb_policy *policy = chain->policy[i];

		if (!(policy->hooks & BIT(VFIO_PCI_BPF_HOOK_IOCTL)))
			continue;
		ret = policy->ops->ioctl(&vdev->info, &io);
		called++;
		if (vpb_verdict_ends(&ret, &kind, &erred, false))
			break;
	}
	vpb_count_run(vdev, VFIO_PCI_BPF_HOOK_IOCTL, called, erred, kind, start);
	srcu_read_unlock(&vdev->srcu, idx);
	return ret;
}

/* Under the device's lock, while @policy is not yet (or no longer) chained. */
int vpb_call_attach(struct vpb_device *vdev, struct vpb_policy *policy)
{
	lockdep_assert_held(&vdev->lock);
	if (!policy->ops->attach)
		return 0;
	return vpb_call_one(vdev, policy, VFIO_PCI_BPF_HOOK_ATTACH, NULL);
}

/* A migration hook of the device's owner, under its migration lock. */
int vpb_call_mig(struct vpb_device *vdev, struct vpb_policy *policy,
		 enum vfio_pci_bpf_hook hook, struct vfio_pci_bpf_mig *mig)
{
	lockdep_assert_held(&vdev->mig.lock);
	return vpb_call_one(vdev, policy, hook, mig);
}

void vpb_call_detach(struct vpb_device *vdev, struct vpb_policy *policy)
{
	lockdep_assert_held(&vdev->lock);
	if (policy->ops->detach)
		vpb_call_one(vdev, policy, VFIO_PCI_BPF_HOOK_DETACH, NULL);
}
