// SPDX-License-Identifier: GPL-2.0-only
/*
 * A device's chain: the policies in call order with their traps, built
 * off to the side (where it may fail) and then published in one pointer
 * store (which cannot), so that an access sees the old chain or the new
 * one and never a mix.
 */
#include <linux/slab.h>
#include <linux/wait_bit.h>

#include "vpb.h"

static struct kmem_cache *vpb_chain_cache;

int vpb_chain_cache_init(void)
{
	/* Unmerged, so that /proc/slabinfo counts exactly the live chains. */
	vpb_chain_cache = kmem_cache_create("vfio_pci_bpf_chain", sizeof(struct vpb_chain),
					    0, SLAB_NO_MERGE, NULL);
	return vpb_chain_cache ? 0 : -ENOMEM;
}

void vpb_chain_cache_exit(void)
{
	kmem_cache_destroy(vpb_chain_cache);
}

void vpb_chain_free(struct vpb_chain *chain)
{
	if (chain)
		kmem_cache_free(vpb_chain_cache, chain);
}

bool vpb_chain_has(struct vpb_chain *chain, struct vpb_policy *policy)
{
	unsigned int i;

	for (i = 0; chain && i < chain->len; i++)
		if (chain->policy[i] == policy)
			return true;
	return false;
}

/* Call order: ascending priority, then registration order. */
static bool vpb_runs_before(const struct vpb_policy *a, const struct vpb_policy *b)
{
	if (a->ops->priority != b->ops->priority)
		return a->ops->priority < b->ops->priority;
	return a->seq < b->seq;
}

static void vpb_chain_insert(struct vpb_chain *chain, struct vpb_policy *policy)
{
	unsigned int at = chain->len;

	while (at && vpb_runs_before(policy, chain->policy[at - 1])) {
		chain->policy[at] = chain->policy[at - 1];
		at--;
	}
	chain->policy[at] = policy;
	chain->len++;
}

/* Record @policy's hooks, and its access hooks' programs in call order. */
static void vpb_chain_add_calls(struct vpb_chain *chain, const struct vpb_policy *policy)
{
	unsigned int a;

	BUILD_BUG_ON(VPB_ACCESS(VFIO_PCI_BPF_HOOK_CONFIG_WRITE) != 1 ||
		     VPB_ACCESS(VFIO_PCI_BPF_HOOK_BAR_READ) != 2 ||
		     VPB_ACCESS(VFIO_PCI_BPF_HOOK_BAR_WRITE) != 3);
	chain->hooks |= policy->hooks;
	for (a = 0; a < VPB_NR_ACCESS_HOOKS; a++) {
		unsigned int hook = VPB_FIRST_ACCESS_HOOK + a;

		/* nr_calls[a] <= chain->len <= VPB_MAX_CHAIN: no bound to check. */
		if (policy->hooks & BIT(hook))
			chain->calls[a][chain->nr_calls[a]++] =
				*(vpb_access_hook_t *)((char *)policy->ops + vpb_hook_offsets[hook]);
	}
}

/*
 * The device's chain with @out taken out and @in put in, each optional; @in
 * brings the traps its attach declared (vdev->pending), @out's traps go.
 * Taking a policy out cannot fail: unbind and unregistration rely on it.
 */
struct vpb_chain *vpb_chain_build(struct vpb_device *vdev, struct vpb_policy *out,
				  struct vpb_policy *in)
{
	struct vpb_chain *cur = vpb_chain_locked(vdev), *next;
	unsigned int i, kept = 0;

	next = kmem_cache_zalloc(vpb_chain_cache, in ? GFP_KERNEL : GFP_KERNEL | __GFP_NOFAIL);
	if (!next)
		return ERR_PTR(-ENOMEM);
	for (i = 0; cur && i < cur->len; i++)
		if (cur->policy[i] != out)
			kept++;
	if (in && kept >= VPB_MAX_CHAIN)
		goto too_big;
	for (i = 0; cur && i < cur->len; i++)
		if (cur->policy[i] != out)
			vpb_chain_insert(next, cur->policy[i]);
	if (in)
		vpb_chain_insert(next, in);

	for (i = 0; cur && i < cur->nr_traps; i++)
		if (cur->traps[i].owner != out)
			next->traps[next->nr_traps++] = cur->traps[i];
	if (in) {
		if (vdev->nr_pending > VFIO_PCI_BPF_MAX_TRAPS - next->nr_traps) {
			vpb_chain_free(next);
			return ERR_PTR(-ENOSPC);
		}
		for (i = 0; i < vdev->nr_pending; i++)
			next->traps[next->nr_traps++] = vdev->pending[i];
	}
	for (i = 0; i < next->len; i++)
		vpb_chain_add_calls(next, next->policy[i]);
	return next;

too_big:
	vpb_chain_free(next);
	return ERR_PTR(-E2BIG);
}

/*
 * Make @next the device's chain (an empty one means none) and return the
 * one it replaced, which accesses may still run: the caller keeps it for a
 * rollback or retires it.
 */
struct vpb_chain *vpb_chain_publish(struct vpb_device *vdev, struct vpb_chain *next)
{
	struct vpb_chain *prev = vpb_chain_locked(vdev);
	unsigned long hot = 0;
	unsigned int i;

	lockdep_assert_held(&vpb_lock);
	if (next && !next->len) {
		vpb_chain_free(next);
		next = NULL;
	}
	if (next) {
		hot = next->hooks;
		for (i = 0; i < next->nr_traps; i++)
			hot |= VPB_HOT_BAR(next->traps[i].bar);
	}
	rcu_assign_pointer(vdev->chain, next);
	WRITE_ONCE(vdev->hot, hot);
	vpb_mig_advertise(vdev);
	return prev;
}

/*
 * @old is no longer @vdev's chain, but accesses may still run it: queue it
 * on @retired, to be freed by vpb_chain_reap() once they are done, after
 * the detach hook of @detach_after (a policy of @old), if any.  The wait
 * happens there, after the caller dropped vpb_lock: an access that takes
 * long (a policy's sleepable ioctl hook) then delays only the operation
 * that waits for it, never every other one on the host.  The device and
 * @old's policies stay until then; removal and unregistration wait for it.
 */
void vpb_chain_retire(struct list_head *retired, struct vpb_device *vdev, struct vpb_chain *old,
		      struct vpb_policy *detach_after)
{
	unsigned int i;

	lockdep_assert_held(&vpb_lock);
	if (!old)
		return;
	get_device(&vdev->core.vdev.device);
	atomic_inc(&vdev->retiring);
	for (i = 0; i < old->len; i++)
		atomic_inc(&old->policy[i]->retired_refs);
	old->retired_from = vdev;
	old->detach_after = detach_after;
	list_add_tail(&old->retired, retired);
}

/* Without vpb_lock: wait for the readers of each retired chain, then free it. */
void vpb_chain_reap(struct list_head *retired)
{
	struct vpb_chain *chain, *next;
	struct vpb_device *vdev;
	unsigned int i;

	list_for_each_entry_safe(chain, next, retired, retired) {
		vdev = chain->retired_from;
		list_del(&chain->retired);
		synchronize_srcu(&vdev->srcu);
		if (chain->detach_after) {
			mutex_lock(&vdev->lock);
			vpb_call_detach(vdev, chain->detach_after);
			mutex_unlock(&vdev->lock);
		}
		for (i = 0; i < chain->len; i++)
			if (atomic_dec_and_test(&chain->policy[i]->retired_refs))
				wake_up_var(&chain->policy[i]->retired_refs);
		vpb_chain_free(chain);
		if (atomic_dec_and_test(&vdev->retiring))
			wake_up_var(&vdev->retiring);
		put_device(&vdev->core.vdev.device);
	}
}

/* Before @policy goes: no retired chain, of any operation, still holds it. */
void vpb_policy_wait_retired(struct vpb_policy *policy)
{
	wait_var_event(&policy->retired_refs, !atomic_read(&policy->retired_refs));
}

static bool vpb_trap_same(const struct vpb_trap *a, const struct vpb_trap *b)
{
	return a->bar == b->bar && a->start == b->start && a->end == b->end;
}

/* Whether @owner's traps in @chain are exactly @traps, in any order. */
bool vpb_traps_equal(struct vpb_chain *chain, struct vpb_policy *owner,
		     const struct vpb_trap *traps, unsigned int n)
{
	unsigned long matched = 0;
	unsigned int i, j, owned = 0;

	BUILD_BUG_ON(VFIO_PCI_BPF_MAX_TRAPS > BITS_PER_LONG);
	for (i = 0; chain && i < chain->nr_traps; i++) {
		if (chain->traps[i].owner != owner)
			continue;
		owned++;
		for (j = 0; j < n; j++) {
			if (!(matched & BIT(j)) && vpb_trap_same(&chain->traps[i], &traps[j])) {
				matched |= BIT(j);
				break;
			}
		}
	}
	return owned == n && matched == (n ? GENMASK(n - 1, 0) : 0);
}
