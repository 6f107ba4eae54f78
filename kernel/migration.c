// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VFIO migration uAPI v2 for a device whose chain holds a migration
 * owner: a policy with VFIO_PCI_BPF_F_MIGRATION.  The module walks the
 * state machine one arc at a time (vfio_mig_get_next_state), frames and
 * checks the stream, and owns the data fds; the owner only quiesces and
 * resumes the device and writes or reads its payload.
 *
 * vfio reads mig_ops and migration_flags without a lock on every ioctl, so
 * they change only while the device is closed; this is why a migration
 * owner attaches, detaches and swaps only on a closed device.  An owner
 * unlinked while the device is open leaves them in place until close, and
 * every request in between fails with -ENODEV.
 *
 * Locks: vpb_mig.lock is taken inside vpb_device.lock (at close) and alone
 * by the migration ioctls, which hold the device's SRCU across the owner's
 * hooks so that the owner cannot be freed under them.  A data fd's own lock
 * (mig_file.c) nests inside vpb_mig.lock and is the innermost.
 */
#define pr_fmt(fmt) "vfio_pci_bpf: " fmt

#include <linux/bpf.h>
#include <linux/file.h>
#include <linux/pci.h>
#include <linux/vfio.h>
#include <linux/vmalloc.h>

#include "vpb.h"

/* What the kfuncs see behind the policy's vfio_pci_bpf_mig. */
struct vpb_mig_ctx {
	struct vfio_pci_bpf_mig pub;
	u8 *payload;
	bool save;
};

static const struct vfio_migration_ops vpb_mig_ops;

static struct vpb_policy *vpb_mig_owner(struct vpb_chain *chain)
{
	unsigned int i;

	for (i = 0; chain && i < chain->len; i++)
		if (vpb_owns_migration(chain->policy[i]))
			return chain->policy[i];
	return NULL;
}

void vpb_mig_init(struct vpb_device *vdev)
{
	mutex_init(&vdev->mig.lock);
	vdev->mig.state = VFIO_DEVICE_STATE_RUNNING;
}

void vpb_mig_destroy(struct vpb_device *vdev)
{
	mutex_destroy(&vdev->mig.lock);
}

/*
 * Before @in joins the device's chain (in place of @out): one owner per
 * device, and owners come and go only while the device is closed.
 */
int vpb_mig_may_chain(struct vpb_device *vdev, struct vpb_policy *in,
		      struct vpb_policy *out)
{
	struct vpb_policy *owner = vpb_mig_owner(vpb_chain_locked(vdev));
	struct pci_dev *pdev = vdev->core.pdev;

	lockdep_assert_held(&vdev->lock);
	if (!vpb_owns_migration(in) && !(out && vpb_owns_migration(out)))
		return 0;
	if (vdev->enabled) {
		pci_info(pdev, "policy '%s': migration owners attach and detach only while the device is closed\n",
			 in->ops->name);
		return -EBUSY;
	}
	if (vpb_owns_migration(in) && owner && owner != out) {
		pci_info(pdev, "policy '%s': '%s' already owns the device's migration\n",
			 in->ops->name, owner->ops->name);
		return -EBUSY;
	}
	return 0;
}

/*
 * After every chain change and at close: vfio learns whether the device
 * migrates.  An open device keeps what it was opened with.
 */
void vpb_mig_advertise(struct vpb_device *vdev)
{
	struct vfio_device *core_vdev = &vdev->core.vdev;
	struct vpb_policy *owner = vpb_mig_owner(vpb_chain_locked(vdev));
	u64 flags = 0;

	lockdep_assert_held(&vdev->lock);
	if (vdev->enabled)
		return;
	if (owner) {
		flags = VFIO_MIGRATION_STOP_COPY;
		if (owner->ops->flags & VFIO_PCI_BPF_F_MIG_P2P)
			flags |= VFIO_MIGRATION_P2P;
		if (owner->ops->flags & VFIO_PCI_BPF_F_MIG_PRE_COPY)
			flags |= VFIO_MIGRATION_PRE_COPY;
	}
	WRITE_ONCE(core_vdev->migration_flags, flags);
	WRITE_ONCE(core_vdev->mig_ops, owner ? &vpb_mig_ops : NULL);
}

static void vpb_mig_drop_files(struct vpb_mig *mig)
{
	lockdep_assert_held(&mig->lock);
	if (mig->save)
		vpb_mig_file_disable(mig->save);
	if (mig->resume)
		vpb_mig_file_disable(mig->resume);
	mig->save = NULL;
	mig->resume = NULL;
}

/* After a device reset and at close the device is RUNNING again. */
void vpb_mig_reset(struct vpb_device *vdev)
{
	mutex_lock(&vdev->mig.lock);
	vpb_mig_drop_files(&vdev->mig);
	vdev->mig.state = VFIO_DEVICE_STATE_RUNNING;
	mutex_unlock(&vdev->mig.lock);
}

static struct vpb_device *vpb_mig_dev(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct vpb_device, core.vdev);
}

static int vpb_mig_arc(struct vpb_device *vdev, struct vpb_policy *owner, u32 from, u32 to)
{
	struct vpb_mig_ctx ctx = { .pub = { .from = from, .to = to } };

	if (!(owner->hooks & BIT(VFIO_PCI_BPF_HOOK_MIG_STATE)))
		return 0;
	return vpb_call_mig(vdev, owner, VFIO_PCI_BPF_HOOK_MIG_STATE, &ctx.pub);
}

static bool vpb_mig_saving(u32 state)
{
	return state == VFIO_DEVICE_STATE_STOP_COPY || state == VFIO_DEVICE_STATE_PRE_COPY ||
	       state == VFIO_DEVICE_STATE_PRE_COPY_P2P;
}

/*
 * An arc into the saving group: mig_state, then the owner writes its
 * payload behind a record header (@flags: VFIO_PCI_BPF_MIG_PRECOPY or 0).
 * Returns the record, *@len bytes long.
 */
static u8 *vpb_mig_record(struct vpb_device *vdev, struct vpb_policy *owner, u32 from, u32 to,
			  u32 flags, size_t *len)
{
	u32 cap = owner->ops->mig_size;
	struct vpb_mig_ctx ctx = {
		.pub = { .from = from, .to = to, .len = cap, .flags = flags },
		.save = true,
	};
	struct vpb_mig_expect src;
	u8 *record;
	int ret;

	record = kvzalloc(VPB_MIG_HDR + cap, GFP_KERNEL_ACCOUNT);
	if (!record)
		return ERR_PTR(-ENOMEM);
	ctx.payload = record + VPB_MIG_HDR;
	ret = vpb_mig_arc(vdev, owner, from, to);
	if (!ret)
		ret = vpb_call_mig(vdev, owner, VFIO_PCI_BPF_HOOK_MIG_SAVE, &ctx.pub);
	if (ret) {
		pci_info(vdev->core.pdev, "policy '%s' failed to save the device: %d\n",
			 owner->ops->name, ret);
		kvfree(record);
		return ERR_PTR(ret);
	}
	vpb_mig_expect_init(&src, vdev, owner);
	vpb_mig_frame(&src, record, ctx.pub.pos, flags);
	*len = VPB_MIG_HDR + ctx.pub.pos;
	return record;
}

/* STOP -> STOP_COPY, RUNNING(_P2P) -> PRE_COPY(_P2P): a new data fd. */
static struct file *vpb_mig_save(struct vpb_device *vdev, struct vpb_policy *owner, u32 from,
				 u32 to)
{
	bool precopy = to != VFIO_DEVICE_STATE_STOP_COPY;
	struct vpb_mig_file *mf;
	size_t len;
	u8 *record;

	record = vpb_mig_record(vdev, owner, from, to, precopy ? VFIO_PCI_BPF_MIG_PRECOPY : 0,
				&len);
	if (IS_ERR(record))
		return ERR_CAST(record);
	mf = vpb_mig_file_new(vdev, record, len, precopy, NULL);
	if (IS_ERR(mf)) {
		kvfree(record);
		return ERR_CAST(mf);
	}
	this_cpu_add(vdev->stats->mig_saved, len);
	vdev->mig.save = mf;
	return vpb_mig_file_get(mf);
}

/* PRE_COPY(_P2P) -> STOP_COPY: the final record, on the same data fd. */
static int vpb_mig_save_final(struct vpb_device *vdev, struct vpb_policy *owner, u32 from)
{
	size_t len;
	u8 *record;
	int ret;

	record = vpb_mig_record(vdev, owner, from, VFIO_DEVICE_STATE_STOP_COPY, 0, &len);
	if (IS_ERR(record))
		return PTR_ERR(record);
	ret = vpb_mig_file_append(vdev->mig.save, record, len);
	if (!ret)
		this_cpu_add(vdev->stats->mig_saved, len);
	kvfree(record);
	return ret;
}

/* RESUMING -> STOP: check the stream the VMM wrote, then the owner loads it. */
static int vpb_mig_load(struct vpb_device *vdev, struct vpb_policy *owner)
{
	struct vpb_mig_ctx ctx = {
		.pub = { .from = VFIO_DEVICE_STATE_RESUMING, .to = VFIO_DEVICE_STATE_STOP },
	};
	const struct vfio_pci_bpf_mig_header *hdr;
	struct vpb_mig_expect want;
	const char *refusal;
	size_t len, at;
	u8 *stream;
	int ret;

	/* Refused while it was written: counted and logged then. */
	stream = vpb_mig_file_take(vdev->mig.resume, &len, &ret);
	vdev->mig.resume = NULL;
	if (!stream)
		return ret;
	vpb_mig_expect_init(&want, vdev, owner);
	refusal = vpb_mig_refusal(&want, stream, len, true);
	if (refusal) {
		vpb_mig_refused(vdev, refusal);
		kvfree(stream);
		return -EINVAL;
	}
	/* Every record passed the checks: each is whole, the last is final. */
	for (at = 0, ret = 0; at < len && !ret; at += vpb_mig_record_len(stream + at)) {
		hdr = (const void *)(stream + at);
		ctx.payload = stream + at + VPB_MIG_HDR;
		ctx.pub.len = le32_to_cpu(hdr->payload_len);
		ctx.pub.pos = 0;
		ctx.pub.flags = le32_to_cpu(hdr->flags);
		ret = vpb_call_mig(vdev, owner, VFIO_PCI_BPF_HOOK_MIG_LOAD, &ctx.pub);
	}
	if (!ret)
		ret = vpb_mig_arc(vdev, owner, ctx.pub.from, ctx.pub.to);
	if (ret)
		pci_info(vdev->core.pdev, "policy '%s' failed to load the device: %d\n",
			 owner->ops->name, ret);
	else
		this_cpu_add(vdev->stats->mig_loaded, len);
	kvfree(stream);
	return ret;
}

/*
 * The end of an arc that may have changed the device half way (a quiesce
 * before a failed save, a half-done load): failed, only a reset helps.
 */
static struct file *vpb_mig_done_or_error(struct vpb_mig *mig, int ret)
{
	if (!ret)
		return NULL;
	mig->state = VFIO_DEVICE_STATE_ERROR;
	return ERR_PTR(ret);
}

/* One arc; returns the data fd's file on arcs that open one. */
static struct file *vpb_mig_step(struct vpb_device *vdev, struct vpb_policy *owner,
				 u32 next)
{
	struct vpb_mig *mig = &vdev->mig;
	struct vpb_mig_expect want;
	u32 cur = mig->state;
	struct vpb_mig_file *mf;
	int ret;

	if (!vpb_mig_saving(cur) && vpb_mig_saving(next))
		return vpb_mig_save(vdev, owner, cur, next);
	if (cur != VFIO_DEVICE_STATE_STOP_COPY && next == VFIO_DEVICE_STATE_STOP_COPY)
		return vpb_mig_done_or_error(mig, vpb_mig_save_final(vdev, owner, cur));
	if (cur == VFIO_DEVICE_STATE_STOP && next == VFIO_DEVICE_STATE_RESUMING) {
		ret = vpb_mig_arc(vdev, owner, cur, next);
		if (ret)
			return ERR_PTR(ret);
		vpb_mig_expect_init(&want, vdev, owner);
		mf = vpb_mig_file_new(vdev, NULL, 0, false, &want);
		if (IS_ERR(mf))
			return ERR_CAST(mf);
		mig->resume = mf;
		return vpb_mig_file_get(mf);
	}
	if (cur == VFIO_DEVICE_STATE_RESUMING && next == VFIO_DEVICE_STATE_STOP)
		return vpb_mig_done_or_error(mig, vpb_mig_load(vdev, owner));
	/* Leaving the saving group ends the data transfer session. */
	if (vpb_mig_saving(cur) && !vpb_mig_saving(next)) {
		vpb_mig_file_disable(mig->save);
		mig->save = NULL;
	}
	/* The rest: the owner quiesces, resumes, or stops and starts P2P DMA. */
	ret = vpb_mig_arc(vdev, owner, cur, next);
	return ret ? ERR_PTR(ret) : NULL;
}

static struct file *vpb_mig_set_state(struct vfio_device *core_vdev,
				      enum vfio_device_mig_state new_state)
{
	struct vpb_device *vdev = vpb_mig_dev(core_vdev);
	struct vpb_mig *mig = &vdev->mig;
	enum vfio_device_mig_state next;
	struct vpb_policy *owner;
	struct file *res = NULL;
	int idx, ret;

	/* The uAPI: ERROR is a state a device reaches, never one to ask for. */
	if (new_state == VFIO_DEVICE_STATE_ERROR)
		return ERR_PTR(-EINVAL);
	idx = srcu_read_lock(&vdev->srcu);
	owner = vpb_mig_owner(srcu_dereference(vdev->chain, &vdev->srcu));
	mutex_lock(&mig->lock);
	while (owner && new_state != mig->state) {
		/* Only a reset leaves ERROR; vfio WARNs when asked for a path. */
		if (mig->state == VFIO_DEVICE_STATE_ERROR) {
			res = ERR_PTR(-EINVAL);
			break;
		}
		ret = vfio_mig_get_next_state(core_vdev, mig->state, new_state, &next);
		if (ret) {
			res = ERR_PTR(ret);
			break;
		}
		res = vpb_mig_step(vdev, owner, next);
		if (IS_ERR(res)) {
			pci_info(vdev->core.pdev, "migration from state %u to %u failed: %ld\n",
				 mig->state, next, PTR_ERR(res));
			break;
		}
		mig->state = next;
		this_cpu_inc(vdev->stats->mig_arcs);
		/* Only the last arc of a request may open a data fd. */
		if (res && next != new_state) {
			fput(res);
			res = ERR_PTR(-EINVAL);
			break;
		}
	}
	mutex_unlock(&mig->lock);
	srcu_read_unlock(&vdev->srcu, idx);
	return owner ? res : ERR_PTR(-ENODEV);
}

static int vpb_mig_get_state(struct vfio_device *core_vdev,
			     enum vfio_device_mig_state *state)
{
	struct vpb_device *vdev = vpb_mig_dev(core_vdev);

	mutex_lock(&vdev->mig.lock);
	*state = vdev->mig.state;
	mutex_unlock(&vdev->mig.lock);
	return 0;
}

/* What STOP_COPY will produce at most: never 0, which QEMU refuses. */
static int vpb_mig_get_data_size(struct vfio_device *core_vdev, unsigned long *stop_copy_length)
{
	struct vpb_device *vdev = vpb_mig_dev(core_vdev);
	struct vpb_policy *owner;
	int idx;

	idx = srcu_read_lock(&vdev->srcu);
	owner = vpb_mig_owner(srcu_dereference(vdev->chain, &vdev->srcu));
	if (owner)
		*stop_copy_length = VPB_MIG_HDR + owner->ops->mig_size;
	srcu_read_unlock(&vdev->srcu, idx);
	return owner ? 0 : -ENODEV;
}

static const struct vfio_migration_ops vpb_mig_ops = {
	.migration_set_state = vpb_mig_set_state,
	.migration_get_state = vpb_mig_get_state,
	.migration_get_data_size = vpb_mig_get_data_size,
};

static struct vpb_mig_ctx *vpb_mig_ctx(struct vfio_pci_bpf_mig *mig)
{
	return container_of(mig, struct vpb_mig_ctx, pub);
}

__bpf_kfunc_start_defs();

__bpf_kfunc int vfio_pci_bpf_mig_write(struct vfio_pci_bpf_mig *mig, const void *data,
				       u32 data__sz)
{
	struct vpb_mig_ctx *ctx = vpb_mig_ctx(mig);

	if (!ctx->save)
		return -EPERM;
	if (data__sz > mig->len - mig->pos)
		return -ENOSPC;
	memcpy(ctx->payload + mig->pos, data, data__sz);
	mig->pos += data__sz;
	return 0;
}

__bpf_kfunc int vfio_pci_bpf_mig_read(struct vfio_pci_bpf_mig *mig, void *data, u32 data__sz)
{
	struct vpb_mig_ctx *ctx = vpb_mig_ctx(mig);

	if (ctx->save || !ctx->payload)
		return -EPERM;
	if (data__sz > mig->len - mig->pos)
		return -ENODATA;
	memcpy(data, ctx->payload + mig->pos, data__sz);
	mig->pos += data__sz;
	return 0;
}

__bpf_kfunc_end_defs();
