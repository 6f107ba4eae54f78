// SPDX-License-Identifier: GPL-2.0-only
/*
 * Running a device's policy chain: verdict rules and the per-device
 * counters of every hook call.  The access hooks run on every trapped or
 * hooked access, so their runner reads no clock on most runs, keeps its
 * tallies in registers and updates the per-CPU counters once at the end.
 */
#include <linux/timekeeping.h>

#include "vpb.h"

/*
 * What a hook's return value counts as: PASS, HANDLED (where handling
 * means something), a deny (-errno), or an error -- any other value, which
 * is treated as PASS so that a broken policy cannot wedge the device.
 */
static __always_inline enum vpb_stat vpb_kind(int ret, bool can_handle)
{
	if (likely(ret == VFIO_PCI_BPF_PASS))
		return VPB_STAT_PASS;
	if (ret == VFIO_PCI_BPF_HANDLED && can_handle)
		return VPB_STAT_HANDLED;
	if (ret < 0 && ret >= -VFIO_PCI_BPF_MAX_ERRNO)
		return VPB_STAT_DENIED;
	return VPB_STAT_ERROR;
}

/*
 * Time spent in hooks is sampled: one run of a chain in VPB_TIME_EVERY
 * (per CPU) is timed and counted that many times, so that the others read
 * no clock.  Lifecycle hooks are rare and always timed.
 */
#define VPB_TIME_EVERY 16

static __always_inline u64 vpb_sample_start(struct vpb_device *vdev)
{
	if (likely(this_cpu_inc_return(vdev->stats->runs) % VPB_TIME_EVERY))
		return 0;
	return ktime_get_ns();
}

/*
 * Count one run of @hook's chain: @passed and @erred policies, the
 * verdict @last that ended it (PASS when it ran through), and its time.
 */
static __always_inline void vpb_count(struct vpb_device *vdev, enum vfio_pci_bpf_hook hook,
				      unsigned int passed, unsigned int erred,
				      enum vpb_stat last, u64 start, unsigned int weight)
{
	if (unlikely(start))
		this_cpu_add(vdev->stats->hook[hook][VPB_STAT_NS],
			     (ktime_get_ns() - start) * weight);
	if (passed)
		this_cpu_add(vdev->stats->hook[hook][VPB_STAT_PASS], passed);
	if (unlikely(erred))
		this_cpu_add(vdev->stats->hook[hook][VPB_STAT_ERROR], erred);
	if (last != VPB_STAT_PASS)
		this_cpu_inc(vdev->stats->hook[hook][last]);
}

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
 * First verdict other than PASS ends the chain.  @hook is an access hook;
 * the chain holds the programs that implement it, so that an access to a
 * chain without one costs a load and a test.
 */
int vpb_run_access(struct vpb_device *vdev, struct vpb_chain *chain,
		   enum vfio_pci_bpf_hook hook, struct vfio_pci_bpf_access *acc)
{
	const vpb_access_hook_t *call = chain->calls[VPB_ACCESS(hook)];
	unsigned int i, n = chain->nr_calls[VPB_ACCESS(hook)], erred = 0;
	enum vpb_stat kind = VPB_STAT_PASS;
	int ret = VFIO_PCI_BPF_PASS;
	u64 start;

	if (!n)
		return VFIO_PCI_BPF_PASS;
	start = vpb_sample_start(vdev);
	for (i = 0; i < n; i++) {
		ret = call[i](&vdev->info, acc);
		kind = vpb_kind(ret, true);
		if (likely(kind == VPB_STAT_PASS))
			continue;
		if (kind != VPB_STAT_ERROR)
			break;
		erred++;
		ret = VFIO_PCI_BPF_PASS;
		kind = VPB_STAT_PASS;
	}
	/* The @i policies before the one that ended it (if any) passed or erred. */
	vpb_count(vdev, hook, i - erred, erred, kind, start, VPB_TIME_EVERY);
	return ret;
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
	unsigned int i, passed = 0, erred = 0;
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
		kind = vpb_kind(ret, false);
		if (likely(kind == VPB_STAT_PASS)) {
			passed++;
			continue;
		}
		if (kind != VPB_STAT_ERROR)
			break;
		erred++;
		ret = VFIO_PCI_BPF_PASS;
		kind = VPB_STAT_PASS;
	}
	vpb_count(vdev, VFIO_PCI_BPF_HOOK_IOCTL, passed, erred, kind, start, VPB_TIME_EVERY);
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
