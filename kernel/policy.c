// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vfio_pci_bpf_ops struct_ops type: registration of policies and their
 * binding to devices, by target address or by vendor/device match.
 */
#include <linux/bpf.h>
#include <linux/bpf_verifier.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/ctype.h>
#include <linux/slab.h>

#include "vpb.h"

static LIST_HEAD(vpb_policies);

static bool vpb_policy_matches(const struct vfio_pci_bpf_ops *ops,
			       const struct vfio_pci_bpf_dev *info)
{
	if (ops->target)
		return ops->target == info->addr;
	return (ops->vendor == VFIO_PCI_BPF_ANY_ID || ops->vendor == info->vendor) &&
	       (ops->device == VFIO_PCI_BPF_ANY_ID || ops->device == info->device);
}

static bool vpb_chain_has(struct vpb_chain *chain, struct vpb_policy *policy)
{
	unsigned int i;

	for (i = 0; chain && i < chain->len; i++)
		if (chain->policy[i] == policy)
			return true;
	return false;
}

/* Publish @vdev's chain with @add appended or @del left out. */
static int vpb_chain_replace(struct vpb_device *vdev, struct vpb_policy *add,
			     struct vpb_policy *del)
{
	struct vpb_chain *old, *new;
	unsigned int i, len;

	old = rcu_dereference_protected(vdev->chain, lockdep_is_held(&vpb_lock));
	len = old ? old->len : 0;
	if (add && len >= VPB_MAX_CHAIN)
		return -E2BIG;
	new = kzalloc(struct_size(new, policy, len + 1), GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	for (i = 0; i < len; i++)
		if (old->policy[i] != del)
			new->policy[new->len++] = old->policy[i];
	if (add)
		new->policy[new->len++] = add;
	if (!new->len) {
		kfree(new);
		new = NULL;
	}
	rcu_assign_pointer(vdev->chain, new);
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

static int vpb_attach(struct vpb_policy *policy, struct vpb_device *vdev)
{
	struct vfio_pci_bpf_ops *ops = policy->ops;
	int ret;

	if (ops->attach) {
		ret = ops->attach(&vdev->info);
		if (ret)
			return ret < 0 ? ret : -EINVAL;
	}
	ret = vpb_chain_replace(vdev, policy, NULL);
	if (ret && ops->detach)
		ops->detach(&vdev->info);
	if (!ret)
		pci_info(vdev->core.pdev, "policy '%s' attached\n", ops->name);
	return ret;
}

static void vpb_detach(struct vpb_policy *policy, struct vpb_device *vdev)
{
	struct vfio_pci_bpf_ops *ops = policy->ops;

	/* Removing never allocates more than the old chain had; retry is moot. */
	if (vpb_chain_replace(vdev, NULL, policy))
		return;
	synchronize_rcu();
	if (ops->detach)
		ops->detach(&vdev->info);
	pci_info(vdev->core.pdev, "policy '%s' detached\n", ops->name);
}

static void vpb_detach_all(struct vpb_policy *policy)
{
	struct vpb_device *vdev;

	list_for_each_entry(vdev, &vpb_devices, node)
		if (vpb_chain_has(rcu_dereference_protected(vdev->chain,
				lockdep_is_held(&vpb_lock)), policy))
			vpb_detach(policy, vdev);
}

static struct vpb_policy *vpb_find_policy(void *kdata)
{
	struct vpb_policy *policy;

	list_for_each_entry(policy, &vpb_policies, node)
		if (policy->ops == kdata)
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

static int vpb_reg(void *kdata, struct bpf_link *link)
{
	struct vfio_pci_bpf_ops *ops = kdata;
	struct vpb_policy *policy;
	struct vpb_device *vdev;
	int ret = 0;

	policy = kzalloc(sizeof(*policy), GFP_KERNEL);
	if (!policy)
		return -ENOMEM;
	policy->ops = ops;

	mutex_lock(&vpb_lock);
	if (vpb_find_policy(kdata)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	if (ops->target) {
		vdev = vpb_find_device(ops->target);
		if (!vdev) {
			ret = -ENODEV;
			goto out_unlock;
		}
		ret = vpb_attach(policy, vdev);
		if (ret)
			goto out_unlock;
	} else {
		/* A device the policy refuses simply stays unhooked. */
		list_for_each_entry(vdev, &vpb_devices, node)
			if (vpb_policy_matches(ops, &vdev->info))
				vpb_attach(policy, vdev);
	}
	list_add_tail(&policy->node, &vpb_policies);
out_unlock:
	mutex_unlock(&vpb_lock);
	if (ret)
		kfree(policy);
	return ret;
}

static void vpb_unreg(void *kdata, struct bpf_link *link)
{
	struct vpb_policy *policy;

	mutex_lock(&vpb_lock);
	policy = vpb_find_policy(kdata);
	if (policy) {
		vpb_detach_all(policy);
		list_del(&policy->node);
	}
	mutex_unlock(&vpb_lock);
	kfree(policy);
}

void vpb_policy_device_added(struct vpb_device *vdev)
{
	struct vpb_policy *policy;

	lockdep_assert_held(&vpb_lock);
	list_for_each_entry(policy, &vpb_policies, node)
		if (!policy->ops->target &&
		    vpb_policy_matches(policy->ops, &vdev->info))
			vpb_attach(policy, vdev);
}

void vpb_policy_device_removed(struct vpb_device *vdev)
{
	struct vpb_policy *policy;

	lockdep_assert_held(&vpb_lock);
	list_for_each_entry(policy, &vpb_policies, node)
		if (vpb_chain_has(rcu_dereference_protected(vdev->chain,
				lockdep_is_held(&vpb_lock)), policy))
			vpb_detach(policy, vdev);
}

static int vpb_ops_init(struct btf *btf)
{
	return 0;
}

static bool vpb_is_valid_access(int off, int size, enum bpf_access_type type,
				const struct bpf_prog *prog,
				struct bpf_insn_access_aux *info)
{
	return bpf_tracing_btf_ctx_access(off, size, type, prog, info);
}

/* Policies see the device read-only. */
static int vpb_btf_struct_access(struct bpf_verifier_log *log,
				 const struct bpf_reg_state *reg, int off,
				 int size)
{
	bpf_log(log, "vfio_pci_bpf: policies may not write this structure\n");
	return -EACCES;
}

static const struct bpf_verifier_ops vpb_verifier_ops = {
	.get_func_proto = bpf_base_func_proto,
	.is_valid_access = vpb_is_valid_access,
	.btf_struct_access = vpb_btf_struct_access,
};

/* Names show up in sysfs and logs: printable, terminated, non-empty. */
static bool vpb_name_valid(const char *name, size_t size)
{
	size_t i;

	for (i = 0; i < size && name[i]; i++)
		if (!isalnum(name[i]) && name[i] != '_' && name[i] != '-' &&
		    name[i] != '.')
			return false;
	return i > 0 && i < size;
}

static int vpb_init_member(const struct btf_type *t,
			   const struct btf_member *member, void *kdata,
			   const void *udata)
{
	const struct vfio_pci_bpf_ops *uops = udata;
	struct vfio_pci_bpf_ops *ops = kdata;
	u32 moff = __btf_member_bit_offset(t, member) / 8;

	switch (moff) {
	case offsetof(struct vfio_pci_bpf_ops, name):
		if (!vpb_name_valid(uops->name, sizeof(uops->name)))
			return -EINVAL;
		strscpy(ops->name, uops->name, sizeof(ops->name));
		return 1;
	case offsetof(struct vfio_pci_bpf_ops, target):
		ops->target = uops->target;
		return 1;
	case offsetof(struct vfio_pci_bpf_ops, vendor):
		if (uops->vendor > 0xffff)
			return -EINVAL;
		ops->vendor = uops->vendor;
		return 1;
	case offsetof(struct vfio_pci_bpf_ops, device):
		if (uops->device > 0xffff)
			return -EINVAL;
		ops->device = uops->device;
		return 1;
	case offsetof(struct vfio_pci_bpf_ops, flags):
		if (uops->flags)
			return -EINVAL;
		ops->flags = uops->flags;
		return 1;
	}
	return 0;
}

static int vpb_check_member(const struct btf_type *t,
			    const struct btf_member *member,
			    const struct bpf_prog *prog)
{
	u32 moff = __btf_member_bit_offset(t, member) / 8;

	switch (moff) {
	case offsetof(struct vfio_pci_bpf_ops, attach):
	case offsetof(struct vfio_pci_bpf_ops, detach):
		return 0;
	}
	return prog->sleepable ? -EINVAL : 0;
}

static int vpb_stub_attach(struct vfio_pci_bpf_dev *dev)
{
	return 0;
}

static void vpb_stub_detach(struct vfio_pci_bpf_dev *dev)
{
}

static struct vfio_pci_bpf_ops vpb_cfi_stubs = {
	.attach = vpb_stub_attach,
	.detach = vpb_stub_detach,
};

static struct bpf_struct_ops vpb_struct_ops = {
	.verifier_ops = &vpb_verifier_ops,
	.init = vpb_ops_init,
	.check_member = vpb_check_member,
	.init_member = vpb_init_member,
	.reg = vpb_reg,
	.unreg = vpb_unreg,
	.cfi_stubs = &vpb_cfi_stubs,
	.name = VFIO_PCI_BPF_OPS_NAME,
	.owner = THIS_MODULE,
};

int vpb_policy_init(void)
{
	return register_bpf_struct_ops(&vpb_struct_ops, vfio_pci_bpf_ops);
}
