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
 * owner attaches, detaches and swaps only on a closed device.  Once a
 * device has had an owner its mig_ops stay installed (vfio's debugfs keeps
 * calling them): without an owner every request fails with -ENODEV, and
 * migration_flags say the device does not migrate.
 *
 * An arc either happens or it does not: when the owner's mig_state refuses
 * it, nothing changed and the VMM may ask again; the data fds are touched
 * only once the owner took the arc.  When the owner took it but a later
 * step fails (mig_save, mig_load), the device changed half way and goes to
 * ERROR, which only a reset leaves.
 *
 * Locks: vpb_mig.lock is taken inside vpb_device.lock (at close) and alone
 * by the migration ioctls, which hold the device's SRCU across the owner's
 * hooks so that the owner cannot be freed under them.  A data fd's state
 * lock (mig_file.c) nests inside vpb_mig.lock and is the innermost.  A
 * reset never waits for vpb_mig.lock (see vpb_mig_unlock()).
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
	spin_lock_init(&vdev->mig.reset_lock);
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
		WRITE_ONCE(core_vdev->mig_ops, &vpb_mig_ops);
	}
	WRITE_ONCE(core_vdev->migration_flags, flags);
}

/* The device is RUNNING again, with no data fd: after a reset and at close. */
static void vpb_mig_to_running(struct vpb_mig *mig)
{
	lockdep_assert_held(&mig->lock);
	if (mig->save)
		vpb_mig_file_disable(mig->save);
	if (mig->resume)
		vpb_mig_file_disable(mig->resume);
	mig->save = NULL;
	mig->resume = NULL;
	mig->state = VFIO_DEVICE_STATE_RUNNING;
}

/*
 * A reset that found vpb_mig.lock taken left its work to the holder, who
 * does it here before letting go.  The reset path holds vfio-pci-core's
 * memory_lock, which the owner's hooks may wait for under vpb_mig.lock, so
 * it must never wait for vpb_mig.lock itself (mlx5 and hisi_acc defer their
 * resets the same way).
 */
static void vpb_mig_unlock(struct vpb_mig *mig)
{
	for (;;) {
		spin_lock(&mig->reset_lock);
		if (!mig->reset_pending)
			break;
		mig->reset_pending = false;
		spin_unlock(&mig->reset_lock);
		vpb_mig_to_running(mig);
	}
	mutex_unlock(&mig->lock);
	spin_unlock(&mig->reset_lock);
}

/* At close. */
void vpb_mig_reset(struct vpb_device *vdev)
{
	mutex_lock(&vdev->mig.lock);
	vpb_mig_to_running(&vdev->mig);
	vpb_mig_unlock(&vdev->mig);
}

/*
 * pci_error_handlers.reset_done: every reset of the function, however it
 * came (VFIO_DEVICE_RESET, a hot reset through another device of the
 * dev_set, sysfs, AER recovery), leaves it RUNNING, as the uAPI says.
 */
void vpb_mig_reset_done(struct vpb_device *vdev)
{
	struct vpb_mig *mig = &vdev->mig;

	spin_lock(&mig->reset_lock);
	mig->reset_pending = true;
	if (!mutex_trylock(&mig->lock)) {
		spin_unlock(&mig->reset_lock);
		return;
	}
	spin_unlock(&mig->reset_lock);
	vpb_mig_unlock(mig);
}

static struct vpb_device *vpb_mig_dev(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct vpb_device, core.vdev);
}

/* One of the owner's migration hooks; its kfuncs work only while it runs. */
static int vpb_mig_hook(struct vpb_device *vdev, struct vpb_policy *owner,
			enum vfio_pci_bpf_hook hook, struct vpb_mig_ctx *ctx)
{
	int ret;

	ctx->pub.dev = &vdev->info;
	vdev->mig.running = ctx;
	ret = vpb_call_mig(vdev, owner, hook, &ctx->pub);
	vdev->mig.running = NULL;
	return ret;
}

static int vpb_mig_arc(struct vpb_device *vdev, struct vpb_policy *owner, u32 from, u32 to)
{
	struct vpb_mig_ctx ctx = { .pub = { .from = from, .to = to } };

	if (!(owner->hooks & BIT(VFIO_PCI_BPF_HOOK_MIG_STATE)))
		return 0;
	return vpb_mig_hook(vdev, owner, VFIO_PCI_BPF_HOOK_MIG_STATE, &ctx);
}

/* The owner took the arc but it failed later: only a reset helps now. */
static int vpb_mig_broken(struct vpb_device *vdev, int ret)
{
	vdev->mig.state = VFIO_DEVICE_STATE_ERROR;
	return ret;
}

static bool vpb_mig_saving(u32 state)
{
	return state == VFIO_DEVICE_STATE_STOP_COPY || state == VFIO_DEVICE_STATE_PRE_COPY ||
	       state == VFIO_DEVICE_STATE_PRE_COPY_P2P;
}

static size_t vpb_mig_record_room(const struct vpb_policy *owner)
{
	return VPB_MIG_HDR + owner->ops->mig_size;
}

/*
 * The owner writes its payload behind a record header in @record, which
 * has vpb_mig_record_room() bytes (@flags: VFIO_PCI_BPF_MIG_PRECOPY or 0).
 * Returns the record's length or -errno.
 */
static ssize_t vpb_mig_fill(struct vpb_device *vdev, struct vpb_policy *owner, u32 from, u32 to,
			    u32 flags, u8 *record)
{
	struct vpb_mig_ctx ctx = {
		.pub = { .from = from, .to = to, .len = owner->ops->mig_size, .flags = flags },
		.payload = record + VPB_MIG_HDR,
		.save = true,
	};
	struct vpb_mig_expect src;
	int ret;

	ret = vpb_mig_hook(vdev, owner, VFIO_PCI_BPF_HOOK_MIG_SAVE, &ctx);
	if (ret) {
		pci_info_ratelimited(vdev->core.pdev, "policy '%s' failed to save the device: %d\n",
				     owner->ops->name, ret);
		return ret;
	}
	vpb_mig_expect_init(&src, vdev, owner);
	vpb_mig_frame(&src, record, ctx.pub.pos, flags);
	return VPB_MIG_HDR + ctx.pub.pos;
}

/*
 * STOP -> STOP_COPY, RUNNING(_P2P) -> PRE_COPY(_P2P): a new data fd.  What
 * can fail for want of memory is done before the owner acts.
 */
static int vpb_mig_save(struct vpb_device *vdev, struct vpb_policy *owner, u32 from, u32 to,
			struct file **filp)
{
	bool precopy = to != VFIO_DEVICE_STATE_STOP_COPY;
	size_t room = vpb_mig_record_room(owner);
	struct vpb_mig_file *mf;
	ssize_t len;
	u8 *record;
	int ret;

	record = kvzalloc(room, GFP_KERNEL_ACCOUNT);
	if (!record)
		return -ENOMEM;
	/* A pre-copy fd gets the final record behind the first one. */
	mf = vpb_mig_file_new(vdev, precopy ? 2 * room : room, NULL);
	if (IS_ERR(mf)) {
		ret = PTR_ERR(mf);
		goto out;
	}
	ret = vpb_mig_arc(vdev, owner, from, to);
	if (ret) {
		vpb_mig_file_disable(mf);
		goto out;
	}
	len = vpb_mig_fill(vdev, owner, from, to, precopy ? VFIO_PCI_BPF_MIG_PRECOPY : 0, record);
	ret = len < 0 ? len : vpb_mig_file_append(mf, record, len, !precopy);
	if (ret) {
		vpb_mig_file_disable(mf);
		ret = vpb_mig_broken(vdev, ret);
		goto out;
	}
	this_cpu_add(vdev->stats->mig_saved, len);
	vdev->mig.save = mf;
	*filp = vpb_mig_file_get(mf);
out:
	kvfree(record);
	return ret;
}

/* PRE_COPY(_P2P) -> STOP_COPY: the final record, on the same data fd. */
static int vpb_mig_save_final(struct vpb_device *vdev, struct vpb_policy *owner, u32 from)
{
	u32 to = VFIO_DEVICE_STATE_STOP_COPY;
	ssize_t len;
	u8 *record;
	int ret;

	record = kvzalloc(vpb_mig_record_room(owner), GFP_KERNEL_ACCOUNT);
	if (!record)
		return -ENOMEM;
	ret = vpb_mig_arc(vdev, owner, from, to);
	if (!ret) {
		len = vpb_mig_fill(vdev, owner, from, to, 0, record);
		ret = len < 0 ? len : vpb_mig_file_append(vdev->mig.save, record, len, true);
		if (ret)
			ret = vpb_mig_broken(vdev, ret);
		else
			this_cpu_add(vdev->stats->mig_saved, len);
	}
	kvfree(record);
	return ret;
}

/* STOP -> RESUMING: a data fd for the VMM to write the stream into. */
static int vpb_mig_resume(struct vpb_device *vdev, struct vpb_policy *owner, struct file **filp)
{
	struct vpb_mig_expect want;
	struct vpb_mig_file *mf;
	int ret;

	vpb_mig_expect_init(&want, vdev, owner);
	mf = vpb_mig_file_new(vdev, vpb_mig_max_stream(&want), &want);
	if (IS_ERR(mf))
		return PTR_ERR(mf);
	ret = vpb_mig_arc(vdev, owner, VFIO_DEVICE_STATE_STOP, VFIO_DEVICE_STATE_RESUMING);
	if (ret) {
		vpb_mig_file_disable(mf);
		return ret;
	}
	vdev->mig.resume = mf;
	*filp = vpb_mig_file_get(mf);
	return 0;
}

/*
 * RESUMING -> STOP: check the stream the VMM wrote, then the owner loads
 * it.  The stream is gone once taken, so any failure is ERROR.
 */
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
		return vpb_mig_broken(vdev, ret);
	vpb_mig_expect_init(&want, vdev, owner);
	refusal = vpb_mig_refusal(&want, stream, len, true);
	if (refusal) {
		vpb_mig_refused(vdev, refusal);
		kvfree(stream);
		return vpb_mig_broken(vdev, -EINVAL);
	}
	/* Every record passed the checks: each is whole, the last is final. */
	for (at = 0, ret = 0; at < len && !ret; at += vpb_mig_record_len(stream + at)) {
		hdr = (const void *)(stream + at);
		ctx.payload = stream + at + VPB_MIG_HDR;
		ctx.pub.len = le32_to_cpu(hdr->payload_len);
		ctx.pub.pos = 0;
		ctx.pub.flags = le32_to_cpu(hdr->flags);
		ret = vpb_mig_hook(vdev, owner, VFIO_PCI_BPF_HOOK_MIG_LOAD, &ctx);
	}
	if (!ret)
		ret = vpb_mig_arc(vdev, owner, ctx.pub.from, ctx.pub.to);
	kvfree(stream);
	if (ret) {
		pci_info_ratelimited(vdev->core.pdev, "policy '%s' failed to load the device: %d\n",
				     owner->ops->name, ret);
		return vpb_mig_broken(vdev, ret);
	}
	this_cpu_add(vdev->stats->mig_loaded, len);
	return 0;
}

/* One arc; *@filp is the data fd's file on arcs that open one. */
static int vpb_mig_step(struct vpb_device *vdev, struct vpb_policy *owner, u32 next,
			struct file **filp)
{
	struct vpb_mig *mig = &vdev->mig;
	u32 cur = mig->state;
	int ret;

	if (!vpb_mig_saving(cur) && vpb_mig_saving(next))
		return vpb_mig_save(vdev, owner, cur, next, filp);
	if (cur != VFIO_DEVICE_STATE_STOP_COPY && next == VFIO_DEVICE_STATE_STOP_COPY)
		return vpb_mig_save_final(vdev, owner, cur);
	if (cur == VFIO_DEVICE_STATE_STOP && next == VFIO_DEVICE_STATE_RESUMING)
		return vpb_mig_resume(vdev, owner, filp);
	if (cur == VFIO_DEVICE_STATE_RESUMING && next == VFIO_DEVICE_STATE_STOP)
		return vpb_mig_load(vdev, owner);
	/* The rest: the owner quiesces, resumes, or stops and starts P2P DMA. */
	ret = vpb_mig_arc(vdev, owner, cur, next);
	/* Leaving the saving group ends the data transfer session. */
	if (!ret && vpb_mig_saving(cur) && !vpb_mig_saving(next)) {
		vpb_mig_file_disable(mig->save);
		mig->save = NULL;
	}
	return ret;
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
		struct file *filp = NULL;

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
		ret = vpb_mig_step(vdev, owner, next, &filp);
		if (ret) {
			pci_info_ratelimited(vdev->core.pdev,
					     "migration from state %u to %u failed: %d\n",
					     mig->state, next, ret);
			res = ERR_PTR(ret);
			break;
		}
		mig->state = next;
		this_cpu_inc(vdev->stats->mig_arcs);
		res = filp;
		/* Only the last arc of a request may open a data fd. */
		if (res && next != new_state) {
			fput(res);
			res = ERR_PTR(-EINVAL);
			break;
		}
	}
	vpb_mig_unlock(mig);
	srcu_read_unlock(&vdev->srcu, idx);
	return owner ? res : ERR_PTR(-ENODEV);
}

static int vpb_mig_get_state(struct vfio_device *core_vdev,
			     enum vfio_device_mig_state *state)
{
	struct vpb_device *vdev = vpb_mig_dev(core_vdev);
	struct vpb_policy *owner;
	int idx;

	idx = srcu_read_lock(&vdev->srcu);
	owner = vpb_mig_owner(srcu_dereference(vdev->chain, &vdev->srcu));
	mutex_lock(&vdev->mig.lock);
	*state = vdev->mig.state;
	vpb_mig_unlock(&vdev->mig);
	srcu_read_unlock(&vdev->srcu, idx);
	return owner ? 0 : -ENODEV;
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
		*stop_copy_length = vpb_mig_record_room(owner);
	srcu_read_unlock(&vdev->srcu, idx);
	return owner ? 0 : -ENODEV;
}

static const struct vfio_migration_ops vpb_mig_ops = {
	.migration_set_state = vpb_mig_set_state,
	.migration_get_state = vpb_mig_get_state,
	.migration_get_data_size = vpb_mig_get_data_size,
};

/*
 * The context of the migration hook that runs now, or NULL.  The verifier
 * lets through only the pointer a hook was given (see the ABI header);
 * this refuses it outside that hook's run as well.
 */
static struct vpb_mig_ctx *vpb_mig_running(struct vfio_pci_bpf_mig *mig)
{
	struct vpb_mig_ctx *ctx = container_of(mig, struct vpb_mig_ctx, pub);

	return READ_ONCE(vpb_from_info(mig->dev)->mig.running) == ctx ? ctx : NULL;
}

__bpf_kfunc_start_defs();

__bpf_kfunc int vfio_pci_bpf_mig_write(struct vfio_pci_bpf_mig *mig, const void *data,
				       u32 data__sz)
{
	struct vpb_mig_ctx *ctx = vpb_mig_running(mig);

	if (!ctx || !ctx->save)
		return -EPERM;
	/* pos <= len always: only this kfunc and mig_read move pos. */
	if (data__sz > mig->len - mig->pos)
		return -ENOSPC;
	memcpy(ctx->payload + mig->pos, data, data__sz);
	mig->pos += data__sz;
	return 0;
}

__bpf_kfunc int vfio_pci_bpf_mig_read(struct vfio_pci_bpf_mig *mig, void *data, u32 data__sz)
{
	struct vpb_mig_ctx *ctx = vpb_mig_running(mig);

	if (!ctx || ctx->save || !ctx->payload)
		return -EPERM;
	if (data__sz > mig->len - mig->pos)
		return -ENODATA;
	memcpy(data, ctx->payload + mig->pos, data__sz);
	mig->pos += data__sz;
	return 0;
}

__bpf_kfunc_end_defs();
