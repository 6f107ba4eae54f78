// SPDX-License-Identifier: GPL-2.0-only
/*
 * A migration data fd: a stream file over a kernel buffer, read to EOF in
 * the saving states or written in RESUMING, where each write is checked at
 * once so that a bad stream fails the VMM's load itself.  A save file
 * opened on entry to PRE_COPY holds the pre-copy record; reading past it
 * fails with ENOMSG (the uAPI's "no more for now") until STOP_COPY appends
 * the final record, after which the end of the buffer is the end of the
 * stream.  The device disables the file (freeing the buffer) when the arc
 * ends, at reset and at close, all before the device can go away; the file
 * itself lives until its last reference is dropped and uses the device only
 * while not disabled.
 *
 * The VMM's memory is copied to and from a chunk of the reader's or
 * writer's own, never under the lock the device takes to disable the file:
 * a VMM whose buffer faults forever (userfaultfd, a FUSE file) stalls its
 * own read or write, and nothing else.
 */
#define pr_fmt(fmt) "vfio_pci_bpf: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/vfio.h>
#include <linux/vmalloc.h>

#include "vpb.h"

/* What a read or write moves per round between the VMM and the buffer. */
#define VPB_MIG_CHUNK PAGE_SIZE

struct vpb_mig_file {
	struct file *filp;
	/*
	 * One reader or writer at a time, held across its user copies; taken
	 * by the fd's read and write only.  Outside @lock.
	 */
	struct mutex io_lock;
	struct mutex lock; /* everything below; never held across a user copy */
	bool disabled;
	bool resume; /* written by the VMM, not read */
	bool final; /* a save file holds its final record: its end is EOF */
	struct vpb_device *vdev; /* while not disabled */
	int refused; /* -errno a resume stream was refused with, or 0 */
	u8 *buf;
	size_t size; /* room in @buf */
	size_t len; /* bytes in @buf */
	size_t pos; /* of a save file: what the VMM read */
	struct vpb_mig_expect want; /* of a resume stream */
	struct vpb_mig_check check; /* of a resume stream */
};

/* Up to @n bytes the VMM reads next, into @chunk; 0 at EOF, or -errno. */
static ssize_t vpb_mig_take_chunk(struct vpb_mig_file *mf, void *chunk, size_t n)
{
	ssize_t ret;

	mutex_lock(&mf->lock);
	if (mf->disabled) {
		ret = -ENODEV;
	} else if (mf->pos == mf->len && !mf->final) {
		ret = -ENOMSG;
	} else {
		ret = min(n, mf->len - mf->pos);
		memcpy(chunk, mf->buf + mf->pos, ret);
	}
	mutex_unlock(&mf->lock);
	return ret;
}

/* Appends @n bytes the VMM wrote and checks the stream so far. */
static int vpb_mig_put_chunk(struct vpb_mig_file *mf, const void *chunk, size_t n)
{
	const char *why = NULL;
	int ret = 0;

	mutex_lock(&mf->lock);
	if (mf->disabled) {
		ret = -ENODEV;
	} else if (mf->refused) {
		ret = mf->refused;
	} else if (n > mf->size - mf->len) {
		why = "more bytes written than the stream may have";
		ret = -EFBIG;
	} else {
		memcpy(mf->buf + mf->len, chunk, n);
		mf->len += n;
		why = vpb_mig_check_more(&mf->want, &mf->check, mf->buf, mf->len);
		ret = why ? -EINVAL : 0;
	}
	/* A refusal is final. */
	if (why) {
		vpb_mig_refused(mf->vdev, why);
		mf->refused = ret;
	}
	mutex_unlock(&mf->lock);
	return ret;
}

static ssize_t vpb_mig_file_rw(struct file *filp, char __user *ubuf, size_t count,
			       loff_t *ppos, bool write)
{
	struct vpb_mig_file *mf = filp->private_data;
	ssize_t ret = 0;
	size_t done = 0;
	void *chunk;

	/* A stream: pread and friends have no place in it. */
	if (ppos)
		return -ESPIPE;
	chunk = kmalloc(VPB_MIG_CHUNK, GFP_KERNEL);
	if (!chunk)
		return -ENOMEM;
	if (mutex_lock_killable(&mf->io_lock)) {
		kfree(chunk);
		return -EINTR;
	}
	while (done < count) {
		size_t n = min_t(size_t, count - done, VPB_MIG_CHUNK);

		if (write) {
			if (copy_from_user(chunk, ubuf + done, n)) {
				ret = -EFAULT;
				break;
			}
			ret = vpb_mig_put_chunk(mf, chunk, n);
			if (ret)
				break;
		} else {
			ret = vpb_mig_take_chunk(mf, chunk, n);
			if (ret <= 0)
				break;
			n = ret;
			ret = 0;
			if (copy_to_user(ubuf + done, chunk, n)) {
				ret = -EFAULT;
				break;
			}
			mutex_lock(&mf->lock);
			mf->pos += n;
			mutex_unlock(&mf->lock);
		}
		done += n;
	}
	mutex_unlock(&mf->io_lock);
	kfree(chunk);
	/* A refused stream fails the write that made it so. */
	if (write && ret && ret != -EFAULT)
		return ret;
	return done ? done : ret;
}

static ssize_t vpb_mig_file_read(struct file *filp, char __user *ubuf, size_t count,
				 loff_t *ppos)
{
	return vpb_mig_file_rw(filp, ubuf, count, ppos, false);
}

static ssize_t vpb_mig_file_write(struct file *filp, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	return vpb_mig_file_rw(filp, (char __user *)ubuf, count, ppos, true);
}

static void vpb_mig_file_free_buf(struct vpb_mig_file *mf)
{
	kvfree(mf->buf);
	mf->buf = NULL;
	mf->len = 0;
	mf->size = 0;
}

static int vpb_mig_file_release(struct inode *inode, struct file *filp)
{
	struct vpb_mig_file *mf = filp->private_data;

	vpb_mig_file_free_buf(mf);
	mutex_destroy(&mf->lock);
	mutex_destroy(&mf->io_lock);
	kfree(mf);
	return 0;
}

/* VFIO_MIG_GET_PRECOPY_INFO: what is left of the pre-copy record. */
static long vpb_mig_file_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct vpb_mig_file *mf = filp->private_data;
	size_t minsz = offsetofend(struct vfio_precopy_info, dirty_bytes);
	struct vfio_precopy_info info;
	int ret = 0;

	if (cmd != VFIO_MIG_GET_PRECOPY_INFO)
		return -ENOTTY;
	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	mutex_lock(&mf->lock);
	/* Only a save file opened in PRE_COPY has no final record yet. */
	if (mf->disabled || mf->final || mf->resume) {
		ret = -EINVAL;
	} else {
		info.initial_bytes = mf->len - mf->pos;
		info.dirty_bytes = 0;
	}
	mutex_unlock(&mf->lock);
	if (ret)
		return ret;
	info.flags = 0;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static const struct file_operations vpb_mig_fops = {
	.owner = THIS_MODULE,
	.read = vpb_mig_file_read,
	.write = vpb_mig_file_write,
	.unlocked_ioctl = vpb_mig_file_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = vpb_mig_file_release,
};

/*
 * An empty save file with room for @size bytes of records, or, given what
 * the stream must hold, a resume file with room for the longest stream.
 * The device keeps one reference.
 */
struct vpb_mig_file *vpb_mig_file_new(struct vpb_device *vdev, size_t size,
				      const struct vpb_mig_expect *resume)
{
	struct vpb_mig_file *mf = kzalloc(sizeof(*mf), GFP_KERNEL_ACCOUNT);
	struct file *filp;

	if (!mf)
		return ERR_PTR(-ENOMEM);
	mutex_init(&mf->io_lock);
	mutex_init(&mf->lock);
	if (resume) {
		mf->resume = true;
		mf->want = *resume;
	}
	mf->buf = kvzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!mf->buf) {
		kfree(mf);
		return ERR_PTR(-ENOMEM);
	}
	mf->size = size;
	mf->vdev = vdev;
	filp = anon_inode_getfile("[vfio-pci-bpf-mig]", &vpb_mig_fops, mf,
				  resume ? O_WRONLY : O_RDONLY);
	if (IS_ERR(filp)) {
		kvfree(mf->buf);
		kfree(mf);
		return ERR_CAST(filp);
	}
	stream_open(filp->f_inode, filp);
	mf->filp = filp;
	return mf;
}

/*
 * A record for a save file (its final one when @final), behind those it
 * holds, read or not.  The file has its room already: no allocation here.
 */
int vpb_mig_file_append(struct vpb_mig_file *mf, const void *record, size_t len, bool final)
{
	int ret = 0;

	mutex_lock(&mf->lock);
	if (mf->disabled || mf->final || len > mf->size - mf->len) {
		ret = -EINVAL;
	} else {
		memcpy(mf->buf + mf->len, record, len);
		mf->len += len;
		mf->final = final;
	}
	mutex_unlock(&mf->lock);
	return ret;
}

/* The reference vfio installs as the VMM's data fd. */
struct file *vpb_mig_file_get(struct vpb_mig_file *mf)
{
	return get_file(mf->filp);
}

/* Ends the VMM's use of the file; the caller frees what is left. */
static void vpb_mig_file_end(struct vpb_mig_file *mf)
{
	lockdep_assert_held(&mf->lock);
	mf->disabled = true;
	mf->vdev = NULL;
	vpb_mig_file_free_buf(mf);
}

/*
 * The end of RESUMING: the bytes written so far, taken from the file, or
 * NULL with the -errno the stream was already refused with.  The device's
 * reference goes with them.
 */
void *vpb_mig_file_take(struct vpb_mig_file *mf, size_t *len, int *err)
{
	void *buf = NULL;

	mutex_lock(&mf->lock);
	*err = mf->refused;
	if (!mf->refused) {
		buf = mf->buf;
		*len = mf->len;
		mf->buf = NULL;
	}
	vpb_mig_file_end(mf);
	mutex_unlock(&mf->lock);
	fput(mf->filp);
	return buf;
}

/*
 * The arc ended: the VMM's fd stays valid but reads and writes fail.  Never
 * waits for a VMM's copy: those hold io_lock, not lock.
 */
void vpb_mig_file_disable(struct vpb_mig_file *mf)
{
	mutex_lock(&mf->lock);
	vpb_mig_file_end(mf);
	mutex_unlock(&mf->lock);
	fput(mf->filp);
}
