// SPDX-License-Identifier: GPL-2.0-only
/*
 * Binding policies to devices: by target address or by vendor/device
 * match, into per-device chains ordered by priority, then attach order.
 */
#include <linux/bpf.h>
#include <linux/slab.h>

#include "vpb.h"

LIST_HEAD(vpb_policies);

static bool vpb_matches(const struct vfio_pci_bpf_ops *ops,
			const struct vfio_pci_bpf_dev *info)
{
	if (ops->target)
		return ops->target == info->addr;
	return (ops->vendor == VFIO_PCI_BPF_ANY_ID || ops->vendor == info->vendor) &&
	       (ops->device == VFIO_PCI_BPF_ANY_ID || ops->device == info->device);
}

static struct vpb_chain *vpb_chain_locked(struct vpb_device *vdev)
{
	return rcu_dereference_protected(vdev->chain, lockdep_is_held(&vpb_lock));
}

static bool vpb_chain_has(struct vpb_chain *chain, struct vpb_policy *policy)
{
	unsigned int i;

	for (i = 0; chain && i < chain->len; i++)
		if (chain->policy[i] == policy)
			return true;
	return false;
}

static bool vpb_has(struct vpb_device *vdev, struct vpb_policy *policy)
{
	return vpb_chain_has(vpb_chain_locked(vdev), policy);
}

/*
 * Publish a new chain for @vdev: @old replaced by @new in place (hot swap),
 * @old removed (new == NULL), or @new inserted by priority (old == NULL).
 * The traps of a removed or replaced policy go with it; a newly attached
 * one brings the traps its attach declared.
 */
static int vpb_chain_publish(struct vpb_device *vdev, struct vpb_policy *old,
			     struct vpb_policy *new)
{
	struct vpb_chain *cur = vpb_chain_locked(vdev), *next;
	unsigned long hot;
	unsigned int i;

	/* Insertion anywhere (by priority) needs a free slot. */
	if (new && !old && cur && cur->len >= VPB_MAX_CHAIN)
		return -E2BIG;
	/* Taking a policy out must not fail: unbind and unreg rely on it. */
	next = kzalloc(sizeof(*next), new ? GFP_KERNEL : GFP_KERNEL | __GFP_NOFAIL);
	if (!next)
		return -ENOMEM;
	for (i = 0; cur && i < cur->len; i++) {
		struct vpb_policy *p = cur->policy[i];

		if (p == old) {
			if (!new)
				continue;
			p = new;
		} else if (new && !old && new->ops->priority < p->ops->priority &&
			   !vpb_chain_has(next, new)) {
			next->policy[next->len++] = new;
		}
		next->policy[next->len++] = p;
	}
	if (new && !vpb_chain_has(next, new))
		next->policy[next->len++] = new;
	for (i = 0; cur && i < cur->nr_traps; i++)
		if (cur->traps[i].owner != old)
			next->traps[next->nr_traps++] = cur->traps[i];
	for (i = 0; i < vdev->nr_pending; i++) {
		if (next->nr_traps >= VFIO_PCI_BPF_MAX_TRAPS) {
			kfree(next);
			return -ENOSPC;
		}
		next->traps[next->nr_traps++] = vdev->pending[i];
	}
	for (i = 0; i < next->len; i++)
		next->hooks |= next->policy[i]->hooks;
	hot = next->hooks;
	for (i = 0; i < next->nr_traps; i++)
		hot |= VPB_HOT_BAR(next->traps[i].bar);

	if (!next->len) {
		kfree(next);
		next = NULL;
		hot = 0;
	}
	rcu_assign_pointer(vdev->chain, next);
	WRITE_ONCE(vdev->hot, hot);
	if (cur) {
		synchronize_srcu(&vpb_srcu);
		kfree(cur);
	}
	return 0;
}

/* Run @policy's attach on @vdev and link it in, @old's place if given. */
static int vpb_attach(struct vpb_policy *policy, struct vpb_device *vdev,
		      struct vpb_policy *old)
{
	const char *name = policy->ops->name;
	int ret;

	lockdep_assert_held(&vpb_lock);
	/*
	 * What the VMM was told at open (sparse mmap) must not change: the
	 * trap kfunc refuses with -EBUSY while the device is open, and a
	 * policy that traps passes that on as its attach verdict.
	 */
	vdev->attaching = policy;
	vdev->nr_pending = 0;
	ret = vpb_call_attach(vdev, policy);
	if (ret) {
		pci_info(vdev->core.pdev, "policy '%s' refused the device: %d\n",
			 name, ret);
	} else {
		ret = vpb_chain_publish(vdev, old, policy);
		if (ret)
			vpb_call_detach(vdev, policy);
	}
	vdev->attaching = NULL;
	vdev->nr_pending = 0;
	if (ret)
		return ret;
	this_cpu_inc(vdev->stats->attaches);
	pci_info(vdev->core.pdev, "policy '%s' attached\n", name);
	return 0;
}

static void vpb_detach(struct vpb_policy *policy, struct vpb_device *vdev)
{
	lockdep_assert_held(&vpb_lock);
	vpb_chain_publish(vdev, policy, NULL);
	vpb_call_detach(vdev, policy);
	this_cpu_inc(vdev->stats->detaches);
	pci_info(vdev->core.pdev, "policy '%s' detached\n", policy->ops->name);
}

struct vpb_policy *vpb_find_policy(const void *ops)
{
	struct vpb_policy *policy;

	list_for_each_entry(policy, &vpb_policies, node)
		if (policy->ops == ops)
			return policy;
	return NULL;
}

static struct vpb_device *vpb_find_device(u32 addr)
{
	struct vpb_device *vdev;

	list_for_each_entry(vdev, &vpb_devices, node)
		if (vdev->info.addr == addr)
			return vdev;
	return NULL;
}

int vpb_bind_policy(struct vpb_policy *policy)
{
	struct vfio_pci_bpf_ops *ops = policy->ops;
	struct vpb_device *vdev;
	int ret = 0;

	mutex_lock(&vpb_lock);
	if (vpb_find_policy(ops)) {
		ret = -EEXIST;
		goto out;
	}
	if (ops->target) {
		vdev = vpb_find_device(ops->target);
		if (!vdev) {
			pr_warn("vfio_pci_bpf: policy '%s': target %04x:%02x:%02x.%x is not bound to vfio-pci-bpf\n",
				ops->name, VFIO_PCI_BPF_ADDR_DOMAIN(ops->target),
				VFIO_PCI_BPF_ADDR_BUS(ops->target),
				VFIO_PCI_BPF_ADDR_DEV(ops->target),
				VFIO_PCI_BPF_ADDR_FN(ops->target));
			ret = -ENODEV;
			goto out;
		}
		ret = vpb_attach(policy, vdev, NULL);
		if (ret)
			goto out;
	} else {
		/* A device that refuses the policy simply stays unhooked. */
		list_for_each_entry(vdev, &vpb_devices, node)
			if (vpb_matches(ops, &vdev->info))
				vpb_attach(policy, vdev, NULL);
	}
	list_add_tail(&policy->node, &vpb_policies);
out:
	mutex_unlock(&vpb_lock);
	return ret;
}

void vpb_unbind_policy(struct vpb_policy *policy)
{
	struct vpb_device *vdev;

	mutex_lock(&vpb_lock);
	list_for_each_entry(vdev, &vpb_devices, node)
		if (vpb_has(vdev, policy))
			vpb_detach(policy, vdev);
	list_del(&policy->node);
	mutex_unlock(&vpb_lock);
}

static bool vpb_same_devices(const struct vfio_pci_bpf_ops *a,
			     const struct vfio_pci_bpf_ops *b)
{
	return a->target == b->target && a->vendor == b->vendor &&
	       a->device == b->device;
}

/*
 * Hot swap: @new takes @old's place on every device at once per device;
 * if any device refuses @new, the devices already swapped go back.  A swap
 * replaces code on the same devices; moving a policy to other devices is a
 * detach and an attach, which the VMMs of both sets should see as such.
 */
int vpb_rebind_policy(struct vpb_policy *old, struct vpb_policy *new)
{
	struct vpb_device *vdev, *undo;
	int ret = 0;

	if (!vpb_same_devices(old->ops, new->ops)) {
		pr_warn("vfio_pci_bpf: policy '%s' cannot replace '%s': a swap keeps target, vendor and device\n",
			new->ops->name, old->ops->name);
		return -EINVAL;
	}
	mutex_lock(&vpb_lock);
	list_for_each_entry(vdev, &vpb_devices, node) {
		if (!vpb_has(vdev, old))
			continue;
		ret = vpb_attach(new, vdev, old);
		if (ret)
			break;
		vpb_call_detach(vdev, old);
	}
	if (ret) {
		list_for_each_entry(undo, &vpb_devices, node) {
			if (undo == vdev)
				break;
			if (vpb_has(undo, new) &&
			    !vpb_attach(old, undo, new))
				vpb_call_detach(undo, new);
		}
	} else {
		list_replace(&old->node, &new->node);
	}
	mutex_unlock(&vpb_lock);
	return ret;
}

void vpb_device_added(struct vpb_device *vdev)
{
	struct vpb_policy *policy;

	lockdep_assert_held(&vpb_lock);
	/* A target policy registered without a link outlives its device's unbind. */
	list_for_each_entry(policy, &vpb_policies, node)
		if (vpb_matches(policy->ops, &vdev->info))
			vpb_attach(policy, vdev, NULL);
}

/*
 * The device goes away: every policy detaches from it, and the links of
 * policies that targeted it alone are detached so that their owners see
 * EPOLLHUP.  Called without vpb_lock: link detach re-enters unreg.
 */
void vpb_device_removed(struct vpb_device *vdev)
{
	struct bpf_link *orphans[VPB_MAX_CHAIN];
	struct vpb_chain *chain;
	unsigned int i, n = 0;

	mutex_lock(&vpb_lock);
	list_del_init(&vdev->node);
	while ((chain = vpb_chain_locked(vdev))) {
		struct vpb_policy *policy = chain->policy[0];

		if (policy->ops->target && policy->link &&
		    bpf_link_inc_not_zero(policy->link) == policy->link)
			orphans[n++] = policy->link;
		vpb_detach(policy, vdev);
	}
	mutex_unlock(&vpb_lock);

	for (i = 0; i < n; i++) {
		if (orphans[i]->ops->detach)
			orphans[i]->ops->detach(orphans[i]);
		bpf_link_put(orphans[i]);
	}
}
