// SPDX-License-Identifier: GPL-2.0-only
/*
 * Binding policies to devices: by target address or by vendor/device
 * match, into per-device chains; registration, unregistration, hot swap,
 * and devices coming and going.
 *
 * Lock order, outermost first:
 *
 *   device_lock (PCI core)       around probe and remove
 *   bpf's struct_ops update_mutex around registration, hot swap and link
 *                                detach (not around the final unreg)
 *   vpb_lock                     the device and policy lists, and every
 *                                change of which policy is on which device
 *   vfio's dev_set->lock         around open_device and close_device; never
 *                                nested with vpb_lock, in either order
 *   vpb_device.lock              one device: its chain, whether it is
 *                                enabled, the attach running on it; held
 *                                across the attach, detach, open and close
 *                                hooks and vfio-pci-core's enable/disable
 *   vpb_mig.lock                 the device's migration state and data fds;
 *                                alone (under the device's SRCU) in the
 *                                migration ioctls, which run the owner's
 *                                migration hooks with it held
 *   memory_lock, PCI cfg access  vfio-pci-core's and the PCI core's, taken
 *                                by the I/O helpers and the kfuncs
 *
 * Access and ioctl hooks run under the device's SRCU and take none of the
 * mutexes; a chain change publishes a new chain, and the operation waits
 * for that SRCU (and runs the detach hooks that must follow it) only once
 * it dropped vpb_lock, holding a reference on the device: synchronize_srcu
 * never runs under vpb_lock, so one device's slow reader delays only the
 * operations on that device (vpb_chain_retire()).
 * A chain is written with both vpb_lock and the device's lock held, and is
 * read under either.  An open waits (holding dev_set->lock, without the
 * device's lock) while a hot swap that may still roll back is undecided;
 * the swap never takes dev_set->lock.  vpb_lock is held across attach
 * hooks, so a slow attach delays other registrations and binds, but never
 * the open, close or accesses of another device; detach hooks run after
 * it, under the device's lock alone.
 */
#define pr_fmt(fmt) "vfio_pci_bpf: " fmt

#include <linux/bpf.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>

#include "vpb.h"

/* See the lock order above. */
DEFINE_MUTEX(vpb_lock);
LIST_HEAD(vpb_devices);
LIST_HEAD(vpb_policies);
static u64 vpb_policy_seq;

static bool vpb_matches(const struct vfio_pci_bpf_ops *ops,
			const struct vfio_pci_bpf_dev *info)
{
	if (ops->target)
		return ops->target == info->addr;
	if (ops->vfs_of && !(info->is_vf && info->pf_addr == ops->vfs_of))
		return false;
	if ((info->class_code & ops->class_mask) != ops->class_code)
		return false;
	return (ops->vendor == VFIO_PCI_BPF_ANY_ID || ops->vendor == info->vendor) &&
	       (ops->device == VFIO_PCI_BPF_ANY_ID || ops->device == info->device);
}

/*
 * An attach of @policy on @vdev begins (replacing @old in a hot swap):
 * room for the traps it declares, which only the chain keeps afterwards.
 */
static int vpb_attach_begin(struct vpb_device *vdev, struct vpb_policy *policy,
			    struct vpb_policy *old)
{
	lockdep_assert_held(&vdev->lock);
	vdev->pending = kcalloc(VFIO_PCI_BPF_MAX_TRAPS, sizeof(*vdev->pending), GFP_KERNEL);
	if (!vdev->pending)
		return -ENOMEM;
	vdev->attaching = policy;
	vdev->replacing = old;
	vdev->nr_pending = 0;
	return 0;
}

static void vpb_attach_end(struct vpb_device *vdev)
{
	kfree(vdev->pending);
	vdev->pending = NULL;
	vdev->attaching = NULL;
	vdev->replacing = NULL;
	vdev->nr_pending = 0;
}

/* Run @policy's attach on @vdev and chain it in; the old chain goes on @retired. */
static int vpb_attach_locked(struct vpb_policy *policy, struct vpb_device *vdev,
			     struct list_head *retired)
{
	struct vpb_chain *chain = vpb_chain_locked(vdev);
	const char *name = policy->ops->name;
	int ret;

	lockdep_assert_held(&vpb_lock);
	lockdep_assert_held(&vdev->lock);
	if (chain && chain->len >= VPB_MAX_CHAIN) {
		pci_info(vdev->core.pdev, "policy '%s': the device already has %d policies\n",
			 name, VPB_MAX_CHAIN);
		return -E2BIG;
	}
	ret = vpb_mig_may_chain(vdev, policy, NULL);
	if (ret)
		return ret;
	ret = vpb_attach_begin(vdev, policy, NULL);
	if (ret)
		return ret;
	ret = vpb_call_attach(vdev, policy);
	if (ret) {
		pci_info(vdev->core.pdev, "policy '%s' refused the device: %d\n", name, ret);
	} else {
		chain = vpb_chain_build(vdev, NULL, policy);
		ret = PTR_ERR_OR_ZERO(chain);
		if (ret) {
			pci_info(vdev->core.pdev, "policy '%s' cannot attach: %d\n", name, ret);
			vpb_call_detach(vdev, policy);
		} else {
			vpb_chain_retire(retired, vdev, vpb_chain_publish(vdev, chain), NULL);
		}
	}
	vpb_attach_end(vdev);
	if (ret)
		return ret;
	this_cpu_inc(vdev->stats->attaches);
	pci_info(vdev->core.pdev, "policy '%s' attached\n", name);
	return 0;
}

static int vpb_attach(struct vpb_policy *policy, struct vpb_device *vdev,
		      struct list_head *retired)
{
	int ret;

	mutex_lock(&vdev->lock);
	ret = vpb_attach_locked(policy, vdev, retired);
	mutex_unlock(&vdev->lock);
	return ret;
}

/*
 * Cannot fail: unbind, removal and unregistration rely on it.  @policy's
 * detach hook runs when @retired is reaped, once no access runs it.
 */
static void vpb_detach_locked(struct vpb_policy *policy, struct vpb_device *vdev,
			      struct list_head *retired)
{
	lockdep_assert_held(&vpb_lock);
	vpb_chain_retire(retired, vdev, vpb_chain_publish(vdev, vpb_chain_build(vdev, policy, NULL)),
			 policy);
	this_cpu_inc(vdev->stats->detaches);
	pci_info(vdev->core.pdev, "policy '%s' detached\n", policy->ops->name);
}

/* The entry of the struct_ops map data @ops registered through @link. */
struct vpb_policy *vpb_find_policy(const void *ops, const struct bpf_link *link)
{
	struct vpb_policy *policy;

	lockdep_assert_held(&vpb_lock);
	list_for_each_entry(policy, &vpb_policies, node)
		if (policy->ops == ops && policy->link == link)
			return policy;
	return NULL;
}

/* Whether @ops is registered at all, through whichever link. */
bool vpb_policy_registered(const void *ops)
{
	struct vpb_policy *policy;

	lockdep_assert_held(&vpb_lock);
	list_for_each_entry(policy, &vpb_policies, node)
		if (policy->ops == ops)
			return true;
	return false;
}

static bool vpb_name_taken(const char *name, const struct vpb_policy *except)
{
	struct vpb_policy *policy;

	list_for_each_entry(policy, &vpb_policies, node)
		if (policy != except && !strcmp(policy->ops->name, name))
			return true;
	return false;
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
	LIST_HEAD(retired);
	int ret = 0;

	mutex_lock(&vpb_lock);
	if (vpb_policy_registered(ops)) {
		pr_warn("policy '%s' is already registered\n", ops->name);
		ret = -EEXIST;
		goto out;
	}
	if (vpb_name_taken(ops->name, NULL)) {
		pr_warn("a policy named '%s' is already registered\n", ops->name);
		ret = -EEXIST;
		goto out;
	}
	policy->seq = ++vpb_policy_seq;
	if (ops->target) {
		/*
		 * Not bound yet: the policy waits, and attaches in probe
		 * before vfio registers the device (vpb_device_added).
		 */
		vdev = vpb_find_device(ops->target);
		if (!vdev)
			pr_info("policy '%s' is pending: %04x:%02x:%02x.%x is not bound to vfio-pci-bpf yet\n",
				ops->name, VFIO_PCI_BPF_ADDR_DOMAIN(ops->target),
				VFIO_PCI_BPF_ADDR_BUS(ops->target),
				VFIO_PCI_BPF_ADDR_DEV(ops->target),
				VFIO_PCI_BPF_ADDR_FN(ops->target));
		ret = vdev ? vpb_attach(policy, vdev, &retired) : 0;
		if (ret)
			goto out;
	} else {
		/* A device that refuses the policy simply stays unhooked. */
		list_for_each_entry(vdev, &vpb_devices, node)
			if (vpb_matches(ops, &vdev->info))
				vpb_attach(policy, vdev, &retired);
	}
	list_add_tail(&policy->node, &vpb_policies);
out:
	mutex_unlock(&vpb_lock);
	vpb_chain_reap(&retired);
	return ret;
}

/* The caller reaps @retired once it dropped vpb_lock. */
void vpb_unbind_policy(struct vpb_policy *policy, struct list_head *retired)
{
	struct vpb_device *vdev;

	lockdep_assert_held(&vpb_lock);
	list_for_each_entry(vdev, &vpb_devices, node) {
		mutex_lock(&vdev->lock);
		if (vpb_chain_has(vpb_chain_locked(vdev), policy))
			vpb_detach_locked(policy, vdev, retired);
		mutex_unlock(&vdev->lock);
	}
	list_del(&policy->node);
}

static bool vpb_same_devices(const struct vfio_pci_bpf_ops *a,
			     const struct vfio_pci_bpf_ops *b)
{
	return a->target == b->target && a->vendor == b->vendor &&
	       a->device == b->device && a->vfs_of == b->vfs_of &&
	       a->class_code == b->class_code && a->class_mask == b->class_mask;
}

/*
 * One device of a hot swap: @new's attach runs, then its chain with @new in
 * @old's place is published; the chain it replaced is kept in ->rollback
 * until the swap is decided on every device.  On an open device the traps
 * must stay exactly what the VMM was told at open.
 */
static int vpb_swap_in(struct vpb_device *vdev, struct vpb_policy *old,
		       struct vpb_policy *new)
{
	struct vpb_chain *next;
	int ret;

	ret = vpb_mig_may_chain(vdev, new, old);
	if (ret)
		return ret;
	ret = vpb_attach_begin(vdev, new, old);
	if (ret)
		return ret;
	ret = vpb_call_attach(vdev, new);
	if (ret) {
		pci_info(vdev->core.pdev, "policy '%s' refused the device: %d\n",
			 new->ops->name, ret);
		goto out;
	}
	if (vdev->enabled &&
	    !vpb_traps_equal(vpb_chain_locked(vdev), old, vdev->pending, vdev->nr_pending)) {
		pci_info(vdev->core.pdev,
			 "policy '%s' would change the trapped ranges of the open device\n",
			 new->ops->name);
		ret = -EBUSY;
	} else {
		next = vpb_chain_build(vdev, old, new);
		ret = PTR_ERR_OR_ZERO(next);
	}
	if (ret) {
		vpb_call_detach(vdev, new);
		goto out;
	}
	vdev->rollback = vpb_chain_publish(vdev, next);
	vdev->swapping = true;
	this_cpu_inc(vdev->stats->attaches);
out:
	vpb_attach_end(vdev);
	return ret;
}

/* The swap failed elsewhere: the saved chain goes back as it was. */
static void vpb_swap_undo(struct vpb_device *vdev, struct vpb_policy *new,
			  struct list_head *retired)
{
	vpb_chain_retire(retired, vdev, vpb_chain_publish(vdev, vdev->rollback), new);
	vdev->rollback = NULL;
	this_cpu_inc(vdev->stats->detaches);
}

static void vpb_swap_finish(struct vpb_device *vdev, struct vpb_policy *old,
			    struct vpb_policy *new, struct list_head *retired)
{
	vpb_chain_retire(retired, vdev, vdev->rollback, old);
	vdev->rollback = NULL;
	this_cpu_inc(vdev->stats->detaches);
	pci_info(vdev->core.pdev, "policy '%s' replaced '%s'\n", new->ops->name,
		 old->ops->name);
}

/*
 * Hot swap: @new takes @old's place on each of its devices, one device at
 * a time; if any device refuses @new, every device already swapped gets
 * its saved chain back (nothing is re-attached, so the undo cannot fail)
 * and the swap fails.  A swap replaces code on the same devices; moving a
 * policy to other devices is a detach and an attach, which the VMMs of
 * both sets should see as such.  The caller reaps @retired once it dropped
 * vpb_lock.
 */
int vpb_rebind_policy(struct vpb_policy *old, struct vpb_policy *new, struct list_head *retired)
{
	struct vpb_device *vdev;
	int ret = 0;

	lockdep_assert_held(&vpb_lock);
	if (!vpb_same_devices(old->ops, new->ops)) {
		pr_warn("policy '%s' cannot replace '%s': a swap keeps target, vendor, device, vfs_of and class\n",
			new->ops->name, old->ops->name);
		return -EINVAL;
	}
	if (vpb_name_taken(new->ops->name, old)) {
		pr_warn("policy '%s' cannot replace '%s': another policy has that name\n",
			new->ops->name, old->ops->name);
		return -EEXIST;
	}
	new->seq = old->seq;
	list_for_each_entry(vdev, &vpb_devices, node) {
		mutex_lock(&vdev->lock);
		if (vpb_chain_has(vpb_chain_locked(vdev), old))
			ret = vpb_swap_in(vdev, old, new);
		mutex_unlock(&vdev->lock);
		if (ret)
			break;
	}
	list_for_each_entry(vdev, &vpb_devices, node) {
		bool decided;

		mutex_lock(&vdev->lock);
		decided = vdev->swapping;
		if (decided && ret)
			vpb_swap_undo(vdev, new, retired);
		else if (decided)
			vpb_swap_finish(vdev, old, new, retired);
		vdev->swapping = false;
		mutex_unlock(&vdev->lock);
		if (decided)
			wake_up_var(&vdev->swapping);
	}
	if (!ret)
		list_replace(&old->node, &new->node);
	return ret;
}

/* Opens wait while a swap on the device is undecided. */
void vpb_wait_swap(struct vpb_device *vdev)
{
	lockdep_assert_held(&vdev->lock);
	while (vdev->swapping) {
		mutex_unlock(&vdev->lock);
		wait_var_event(&vdev->swapping, !READ_ONCE(vdev->swapping));
		mutex_lock(&vdev->lock);
	}
}

/*
 * A device binds: every matching policy attaches before the device is
 * registered with vfio, so no VMM can open it unpoliced.
 */
void vpb_device_added(struct vpb_device *vdev)
{
	struct vpb_policy *policy;
	LIST_HEAD(retired);

	mutex_lock(&vpb_lock);
	list_add_tail(&vdev->node, &vpb_devices);
	list_for_each_entry(policy, &vpb_policies, node)
		if (vpb_matches(policy->ops, &vdev->info))
			vpb_attach(policy, vdev, &retired);
	mutex_unlock(&vpb_lock);
	vpb_chain_reap(&retired);
}

/*
 * The device is gone from vfio (no VMM holds it any more): every policy
 * detaches from it, and the links of policies that targeted it alone are
 * detached too, so that their owners see EPOLLHUP.  Link detach re-enters
 * unreg, so it runs with no lock held.  Before it returns, every detach
 * hook on the device has run, those other operations queued included.
 */
void vpb_device_removed(struct vpb_device *vdev)
{
	struct bpf_link *orphans[VPB_MAX_CHAIN];
	struct vpb_chain *chain;
	unsigned int i, n = 0;
	LIST_HEAD(retired);

	mutex_lock(&vpb_lock);
	list_del_init(&vdev->node);
	mutex_lock(&vdev->lock);
	while ((chain = vpb_chain_locked(vdev))) {
		struct vpb_policy *policy = chain->policy[0];

		if (policy->ops->target && policy->link &&
		    bpf_link_inc_not_zero(policy->link) == policy->link)
			orphans[n++] = policy->link;
		vpb_detach_locked(policy, vdev, &retired);
	}
	mutex_unlock(&vdev->lock);
	mutex_unlock(&vpb_lock);
	vpb_chain_reap(&retired);
	wait_var_event(&vdev->retiring, !atomic_read(&vdev->retiring));

	for (i = 0; i < n; i++) {
		if (orphans[i]->ops->detach)
			orphans[i]->ops->detach(orphans[i]);
		bpf_link_put(orphans[i]);
	}
}
