// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kfuncs of vfio_pci_bpf_ops programs.  Each acts on the hooked device
 * only: with KF_TRUSTED_ARGS, and a context struct that is a kernel object
 * to the verifier (it holds a pointer, see the ABI header), the only
 * pointer a program can pass is the one its hook was given.  Each checks
 * bounds and alignment first, and never hands BPF an address.
 */
#define pr_fmt(fmt) "vfio_pci_bpf: " fmt

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/delay.h>
#include <linux/pci.h>
#include <linux/sched.h>

#include "vpb.h"

/* Longest a policy may keep a task polling a register. */
#define VPB_POLL_MAX_US 100000

static struct btf *vpb_btf;
static u32 vpb_ops_type_id;

__bpf_kfunc_start_defs();

__bpf_kfunc int vfio_pci_bpf_config_read(struct vfio_pci_bpf_dev *dev, u32 offset,
					 u32 size, u64 *value)
{
	*value = 0;
	return vpb_config_io_atomic(vpb_from_info(dev), offset, size, value, false);
}

__bpf_kfunc int vfio_pci_bpf_config_write(struct vfio_pci_bpf_dev *dev, u32 offset,
					  u32 size, u64 value)
{
	return vpb_config_io_atomic(vpb_from_info(dev), offset, size, &value, true);
}

__bpf_kfunc int vfio_pci_bpf_bar_read(struct vfio_pci_bpf_dev *dev, u32 bar, u64 offset,
				      u32 size, u64 *value)
{
	*value = 0;
	return vpb_bar_io_atomic(vpb_from_info(dev), bar, offset, size, value, false);
}

__bpf_kfunc int vfio_pci_bpf_bar_write(struct vfio_pci_bpf_dev *dev, u32 bar, u64 offset,
				       u32 size, u64 value)
{
	return vpb_bar_io_atomic(vpb_from_info(dev), bar, offset, size, &value, true);
}

/* BPF passes five arguments at most: mask and wanted value share one. */
__bpf_kfunc int vfio_pci_bpf_bar_poll(struct vfio_pci_bpf_dev *dev, u32 bar, u64 offset,
				      u64 match, u32 timeout_us)
{
	u32 mask = match >> 32, want = (u32)match;
	struct vpb_device *vdev = vpb_from_info(dev);
	unsigned long deadline;
	u64 value;
	int ret;

	if (timeout_us > VPB_POLL_MAX_US)
		return -EINVAL;
	deadline = jiffies + usecs_to_jiffies(timeout_us) + 1;
	for (;;) {
		ret = vpb_bar_io(vdev, bar, offset, 4, &value, false);
		if (ret)
			return ret;
		if ((value & mask) == want)
			return 0;
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		if (signal_pending(current))
			return -EINTR;
		usleep_range(10, 50);
	}
}

__bpf_kfunc int vfio_pci_bpf_trap_bar(struct vfio_pci_bpf_dev *dev, u32 bar, u64 offset,
				      u64 len)
{
	return vpb_trap_add(vpb_from_info(dev), bar, offset, len);
}

__bpf_kfunc int vfio_pci_bpf_untrap_bar(struct vfio_pci_bpf_dev *dev, u32 bar)
{
	return vpb_trap_clear(vpb_from_info(dev), bar);
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(vpb_kfunc_ids)
BTF_ID_FLAGS(func, vfio_pci_bpf_config_read, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, vfio_pci_bpf_config_write, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, vfio_pci_bpf_bar_read, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, vfio_pci_bpf_bar_write, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, vfio_pci_bpf_bar_poll, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, vfio_pci_bpf_trap_bar, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, vfio_pci_bpf_untrap_bar, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, vfio_pci_bpf_mig_write, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, vfio_pci_bpf_mig_read, KF_TRUSTED_ARGS)
BTF_KFUNCS_END(vpb_kfunc_ids)

BTF_ID_LIST(vpb_trap_kfunc_ids)
BTF_ID(func, vfio_pci_bpf_trap_bar)
BTF_ID(func, vfio_pci_bpf_untrap_bar)

/*
 * Only vfio_pci_bpf_ops programs may call these, and the trap kfuncs only
 * from attach: traps must be known before the VMM asks for region info.
 */
static int vpb_kfunc_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	if (!btf_id_set8_contains(&vpb_kfunc_ids, kfunc_id))
		return 0;
	if (prog->type != BPF_PROG_TYPE_STRUCT_OPS || !vpb_btf ||
	    prog->aux->attach_btf != vpb_btf ||
	    prog->aux->attach_btf_id != vpb_ops_type_id)
		return -EACCES;
	/* The verifier only says "not allowed"; the log says why. */
	if ((kfunc_id == vpb_trap_kfunc_ids[0] || kfunc_id == vpb_trap_kfunc_ids[1]) &&
	    prog->expected_attach_type != VPB_ATTACH_MEMBER) {
		pr_info_ratelimited("program %s: vfio_pci_bpf_trap_bar and vfio_pci_bpf_untrap_bar may be called from attach only\n",
				    prog->aux->name);
		return -EACCES;
	}
	return 0;
}

static const struct btf_kfunc_id_set vpb_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &vpb_kfunc_ids,
	.filter = vpb_kfunc_filter,
};

/* The struct_ops type's BTF, known once the module's BTF is registered. */
void vpb_kfuncs_set_btf(struct btf *btf, u32 ops_type_id)
{
	vpb_btf = btf;
	vpb_ops_type_id = ops_type_id;
}

int vpb_kfuncs_init(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS, &vpb_kfunc_set);
}
