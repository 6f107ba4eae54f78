// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vfio_pci_bpf_ops struct_ops type: what the verifier lets policies do,
 * and registration, unregistration and hot swap of policies.
 */
#define pr_fmt(fmt) "vfio_pci_bpf: " fmt

#include <linux/bpf.h>
#include <linux/bpf_verifier.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/ctype.h>
#include <linux/slab.h>

#include "vpb.h"

static struct btf *vpb_btf;

/* Filled in at build time by resolve_btfids. */
BTF_ID_LIST(vpb_type_ids)
BTF_ID(struct, vfio_pci_bpf_ops)
BTF_ID(struct, vfio_pci_bpf_access)
BTF_ID(struct, vfio_pci_bpf_dev)
BTF_ID(struct, vfio_pci_bpf_ioctl)
BTF_ID(struct, vfio_pci_bpf_mig)
#define vpb_ops_type_id (vpb_type_ids[0])
#define vpb_access_type_id (vpb_type_ids[1])
#define vpb_dev_type_id (vpb_type_ids[2])
#define vpb_ioctl_type_id (vpb_type_ids[3])
#define vpb_mig_type_id (vpb_type_ids[4])

const u32 vpb_hook_offsets[VFIO_PCI_BPF_NR_HOOKS] = VFIO_PCI_BPF_HOOK_OFFSETS;

/*
 * Hooks that run in process context with no spinlock or RCU read side held
 * may sleep: VFIO_PCI_BPF_SLEEPABLE_HOOKS.
 */

static int vpb_hook_of(u32 moff)
{
	int hook;

	for (hook = 0; hook < VFIO_PCI_BPF_NR_HOOKS; hook++)
		if (vpb_hook_offsets[hook] == moff)
			return hook;
	return -1;
}

/*
 * Whether struct @id of @btf has a pointer member.  The kfuncs' context
 * structs must: the verifier lets a program pass memory of its own (stack,
 * map value, ...) for a pointer to a struct of scalars alone, and then a
 * policy could forge the device a kfunc acts on.
 */
static bool vpb_has_pointer(const struct btf *btf, u32 id)
{
	const struct btf_type *t = btf_type_by_id(btf, id), *mt;
	const struct btf_member *member;
	u32 i;

	if (!t || !btf_type_is_struct(t))
		return false;
	for_each_member(i, t, member) {
		/* The member's own type: a const pointee is no modifier of it. */
		mt = btf_type_by_id(btf, member->type);
		if (mt && btf_type_is_ptr(mt))
			return true;
	}
	return false;
}

static int vpb_ops_init(struct btf *btf)
{
	if (!vpb_ops_type_id || !vpb_access_type_id)
		return -EINVAL;
	if (!vpb_has_pointer(btf, vpb_dev_type_id) || !vpb_has_pointer(btf, vpb_mig_type_id)) {
		pr_err("struct vfio_pci_bpf_dev and vfio_pci_bpf_mig must hold a pointer\n");
		return -EINVAL;
	}
	vpb_btf = btf;
	BUILD_BUG_ON(offsetof(struct vfio_pci_bpf_ops, attach) != VPB_ATTACH_MEMBER);
	vpb_kfuncs_set_btf(btf, vpb_ops_type_id);
	return 0;
}

static bool vpb_is_valid_access(int off, int size, enum bpf_access_type type,
				const struct bpf_prog *prog,
				struct bpf_insn_access_aux *info)
{
	return bpf_tracing_btf_ctx_access(off, size, type, prog, info);
}

static const char *vpb_struct_name(const struct bpf_reg_state *reg)
{
	if (reg->btf != vpb_btf)
		return "(a kernel struct)";
	if (reg->btf_id == vpb_access_type_id)
		return "vfio_pci_bpf_access";
	if (reg->btf_id == vpb_dev_type_id)
		return "vfio_pci_bpf_dev";
	if (reg->btf_id == vpb_ioctl_type_id)
		return "vfio_pci_bpf_ioctl";
	if (reg->btf_id == vpb_mig_type_id)
		return "vfio_pci_bpf_mig";
	return "(a vfio_pci_bpf struct)";
}

/* The one writable field: the value of an access. */
static int vpb_btf_struct_access(struct bpf_verifier_log *log,
				 const struct bpf_reg_state *reg, int off, int size)
{
	if (reg->btf == vpb_btf && reg->btf_id == vpb_access_type_id &&
	    off >= offsetof(struct vfio_pci_bpf_access, value) &&
	    off + size <= offsetofend(struct vfio_pci_bpf_access, value))
		return NOT_INIT;
	bpf_log(log, "vfio_pci_bpf: struct %s is read-only (write at offset %d size %d); the one writable field is vfio_pci_bpf_access.value\n",
		vpb_struct_name(reg), off, size);
	return -EACCES;
}

static const struct bpf_verifier_ops vpb_verifier_ops = {
	.get_func_proto = bpf_base_func_proto,
	.is_valid_access = vpb_is_valid_access,
	.btf_struct_access = vpb_btf_struct_access,
};

static int vpb_check_member(const struct btf_type *t, const struct btf_member *member,
			    const struct bpf_prog *prog)
{
	int hook = vpb_hook_of(__btf_member_bit_offset(t, member) / 8);

	if (hook < 0)
		return -EINVAL;
	/* The verifier only says "unsupported member"; the log says why. */
	if (prog->sleepable && !(VFIO_PCI_BPF_SLEEPABLE_HOOKS & BIT(hook))) {
		pr_info_ratelimited("program %s: %s cannot be sleepable (only attach, detach, open, close, ioctl and the mig_* hooks may sleep)\n",
				    prog->aux->name, vpb_hook_names[hook]);
		return -EINVAL;
	}
	return 0;
}

/* Names show up in sysfs and logs: printable, terminated, non-empty. */
static bool vpb_name_valid(const char *name, size_t size)
{
	size_t i;

	for (i = 0; i < size && name[i]; i++)
		if (!isalnum(name[i]) && name[i] != '_' && name[i] != '-' && name[i] != '.')
			return false;
	return i > 0 && i < size;
}

static int vpb_init_member(const struct btf_type *t, const struct btf_member *member,
			   void *kdata, const void *udata)
{
	const struct vfio_pci_bpf_ops *uops = udata;
	struct vfio_pci_bpf_ops *ops = kdata;

	switch (__btf_member_bit_offset(t, member) / 8) {
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
		if (uops->flags & ~VPB_KNOWN_FLAGS)
			return -EINVAL;
		ops->flags = uops->flags;
		return 1;
	case offsetof(struct vfio_pci_bpf_ops, priority):
		ops->priority = uops->priority;
		return 1;
	case offsetof(struct vfio_pci_bpf_ops, vfs_of):
		ops->vfs_of = uops->vfs_of;
		return 1;
	case offsetof(struct vfio_pci_bpf_ops, class_code):
		ops->class_code = uops->class_code;
		return 1;
	case offsetof(struct vfio_pci_bpf_ops, class_mask):
		ops->class_mask = uops->class_mask;
		return 1;
	case offsetof(struct vfio_pci_bpf_ops, mig_size):
		if (uops->mig_size > VFIO_PCI_BPF_MIG_MAX_SIZE)
			return -EINVAL;
		ops->mig_size = uops->mig_size;
		return 1;
	}
	return 0;
}

static int vpb_validate(void *kdata)
{
	struct vfio_pci_bpf_ops *ops = kdata;

	/* init_member only sees a name that was given. */
	if (!ops->name[0])
		return -EINVAL;
	/* A class no device can have (bits outside the mask, or past 24) matches nothing. */
	if ((ops->class_code & ~ops->class_mask) || (ops->class_mask >> 24)) {
		pr_info_ratelimited("policy '%s': class 0x%x/0x%x can never match\n", ops->name,
				    ops->class_code, ops->class_mask);
		return -EINVAL;
	}
	if (!(ops->flags & VFIO_PCI_BPF_F_MIGRATION)) {
		if (!ops->flags)
			return 0;
		pr_info_ratelimited("policy '%s': MIG_P2P and MIG_PRE_COPY need VFIO_PCI_BPF_F_MIGRATION\n",
				    ops->name);
		return -EINVAL;
	}
	if (!ops->mig_save || !ops->mig_load || !ops->mig_size) {
		pr_info_ratelimited("policy '%s': a migration owner needs mig_save, mig_load and a mig_size of 1 to %u\n",
				    ops->name, VFIO_PCI_BPF_MIG_MAX_SIZE);
		return -EINVAL;
	}
	return 0;
}

static struct kmem_cache *vpb_policy_cache;

int vpb_policy_cache_init(void)
{
	/* Unmerged, so that /proc/slabinfo counts exactly the live policies. */
	vpb_policy_cache = kmem_cache_create("vfio_pci_bpf_policy", sizeof(struct vpb_policy),
					     0, SLAB_NO_MERGE, NULL);
	return vpb_policy_cache ? 0 : -ENOMEM;
}

void vpb_policy_cache_exit(void)
{
	kmem_cache_destroy(vpb_policy_cache);
}

struct vpb_policy *vpb_policy_new(void *kdata, struct bpf_link *link)
{
	struct vpb_policy *policy = kmem_cache_zalloc(vpb_policy_cache, GFP_KERNEL);
	int hook;

	if (!policy)
		return NULL;
	INIT_LIST_HEAD(&policy->node);
	policy->ops = kdata;
	policy->link = link;
	for (hook = 0; hook < VFIO_PCI_BPF_NR_HOOKS; hook++)
		if (*(void **)((char *)kdata + vpb_hook_offsets[hook]))
			policy->hooks |= BIT(hook);
	return policy;
}

/* Once no retired chain holds it: its programs go when this returns. */
void vpb_policy_free(struct vpb_policy *policy)
{
	if (!policy)
		return;
	vpb_policy_wait_retired(policy);
	kmem_cache_free(vpb_policy_cache, policy);
}

static int vpb_reg(void *kdata, struct bpf_link *link)
{
	struct vpb_policy *policy = vpb_policy_new(kdata, link);
	int ret;

	if (!policy)
		return -ENOMEM;
	ret = vpb_bind_policy(policy);
	if (ret)
		vpb_policy_free(policy);
	return ret;
}

/* Only the entry this very (map, link) pair registered goes. */
static void vpb_unreg(void *kdata, struct bpf_link *link)
{
	struct vpb_policy *policy;
	LIST_HEAD(retired);

	mutex_lock(&vpb_lock);
	policy = vpb_find_policy(kdata, link);
	if (policy)
		vpb_unbind_policy(policy, &retired);
	mutex_unlock(&vpb_lock);
	vpb_chain_reap(&retired);
	vpb_policy_free(policy);
}

/*
 * Hot swap of @link from @old_kdata's map to @kdata's.  A map registered
 * already -- by another link, or this link's own -- is refused: two entries
 * for one map would run its hooks twice and tear each other down.
 */
static int vpb_update(void *kdata, void *old_kdata, struct bpf_link *link)
{
	const struct vfio_pci_bpf_ops *ops = kdata;
	struct vpb_policy *old, *new = NULL;
	LIST_HEAD(retired);
	int ret;

	mutex_lock(&vpb_lock);
	if (vpb_policy_registered(kdata)) {
		pr_warn("policy '%s' is already registered%s\n", ops->name,
			kdata == old_kdata ? " by this link" : "");
		ret = -EEXIST;
		goto out;
	}
	old = vpb_find_policy(old_kdata, link);
	new = vpb_policy_new(kdata, link);
	ret = !old ? -ENOENT : !new ? -ENOMEM : vpb_rebind_policy(old, new, &retired);
out:
	mutex_unlock(&vpb_lock);
	vpb_chain_reap(&retired);
	vpb_policy_free(ret ? new : old);
	return ret;
}

static int vpb_stub_dev(struct vfio_pci_bpf_dev *dev)
{
	return 0;
}

static void vpb_stub_dev_void(struct vfio_pci_bpf_dev *dev)
{
}

static int vpb_stub_ioctl(struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_ioctl *io)
{
	return 0;
}

static int vpb_stub_access(struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return 0;
}

static int vpb_stub_mig(struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_mig *mig)
{
	return 0;
}

static struct vfio_pci_bpf_ops vpb_cfi_stubs = {
	.attach = vpb_stub_dev,
	.detach = vpb_stub_dev_void,
	.open = vpb_stub_dev,
	.close = vpb_stub_dev_void,
	.ioctl = vpb_stub_ioctl,
	.config_read = vpb_stub_access,
	.config_write = vpb_stub_access,
	.bar_read = vpb_stub_access,
	.bar_write = vpb_stub_access,
	.mig_state = vpb_stub_mig,
	.mig_save = vpb_stub_mig,
	.mig_load = vpb_stub_mig,
};

static struct bpf_struct_ops vpb_struct_ops = {
	.verifier_ops = &vpb_verifier_ops,
	.init = vpb_ops_init,
	.check_member = vpb_check_member,
	.init_member = vpb_init_member,
	.validate = vpb_validate,
	.reg = vpb_reg,
	.unreg = vpb_unreg,
	.update = vpb_update,
	.cfi_stubs = &vpb_cfi_stubs,
	.name = VFIO_PCI_BPF_OPS_NAME,
	.owner = THIS_MODULE,
};

int vpb_struct_ops_init(void)
{
	return register_bpf_struct_ops(&vpb_struct_ops, vfio_pci_bpf_ops);
}
