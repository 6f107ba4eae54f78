// SPDX-License-Identifier: GPL-2.0-only
/*
 * A migration data fd: a stream file over a kernel buffer, read to EOF in
 * STOP_COPY or written in RESUMING, where each write is checked at once so
 * that a bad stream fails the VMM's load itself.  A save file opened on
 * entry to PRE_COPY holds the pre-copy record; reading past it fails with
 * ENOMSG (the uAPI's "no more for now") until STOP_COPY appends the final
 * record, after which the end of the buffer is the end of the stream.  The device disables the
 * file (freeing the buffer) when the arc ends, at reset and at close, all
 * before the device can go away; the file itself lives until its last
 * reference is dropped and uses the device only while not disabled.
 */
#define pr_fmt(fmt) "vfio_pci_bpf: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/vfio.h>
#include <linux/vmalloc.h>

#include "vpb.h"

struct vpb_mig_file {
	struct file *filp;
	struct mutex lock; /* everything below */
	bool disabled;
	bool precopy; /* a save file in PRE_COPY: the final record is to come */
	struct vpb_device *vdev; /* while not disabled */
	int refused; /* -errno a resume stream was refused with, or 0 */
	u8 *buf;
	size_t len; /* bytes in @buf */
	struct vpb_mig_expect want; /* of a resume stream */
};

static ssize_t vpb_mig_read_locked(struct vpb_mig_file *mf, char __user *ubuf,
				   size_t count, loff_t *pos)
{
	size_t n = min_t(size_t, count, mf->len - *pos);

	if (!n && count && mf->precopy)
		return -ENOMSG;
	if (copy_to_user(ubuf, mf->buf + *pos, n))
		return -EFAULT;
	*pos += n;
	return n;
}

/* Appends and checks what the stream is so far; a refusal is final. */
static ssize_t vpb_mig_write_locked(struct vpb_mig_file *mf, const char __user *ubuf,
				    size_t count, loff_t *pos)
{
	const char *why;

	if (mf->refused)
		return mf->refused;
	if (count > vpb_mig_max_stream(&mf->want) - mf->len) {
		vpb_mig_refused(mf->vdev, "more bytes written than the stream may have");
		mf->refused = -EFBIG;
		return mf->refused;
	}
	if (copy_from_user(mf->buf + mf->len, ubuf, count))
		return -EFAULT;
	mf->len += count;
	*pos = mf->len;
	why = vpb_mig_refusal(&mf->want, mf->buf, mf->len, false);
	if (why) {
		vpb_mig_refused(mf->vdev, why);
		mf->refused = -EINVAL;
		return mf->refused;
	}
	return count;
}

static ssize_t vpb_mig_file_rw(struct file *filp, void __user *ubuf, size_t count,
			       loff_t *ppos, bool write)
{
	struct vpb_mig_file *mf = filp->private_data;
	ssize_t ret;

	/* A stream: pread and friends have no place in it. */
	if (ppos)
		return -ESPIPE;
	mutex_lock(&mf->lock);
	if (mf->disabled)
		ret = -ENODEV;
	else if (write)
		ret = vpb_mig_write_locked(mf, ubuf, count, &filp->f_pos);
	else
		ret = vpb_mig_read_locked(mf, ubuf, count, &filp->f_pos);
	mutex_unlock(&mf->lock);
	return ret;
}

static ssize_t vpb_mig_file_read(struct file *filp, char __user *ubuf, size_t count,
				 loff_t *ppos)
{
	return vpb_mig_file_rw(filp, ubuf, count, ppos, false);
}

static ssize_t vpb_mig_file_write(struct file *filp, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	return vpb_mig_file_rw(filp, (void __user *)ubuf, count, ppos, true);
}

static void vpb_mig_file_free_buf(struct vpb_mig_file *mf)
{
	kvfree(mf->buf);
	mf->buf = NULL;
	mf->len = 0;
}

static int vpb_mig_file_release(struct inode *inode, struct file *filp)
{
	struct vpb_mig_file *mf = filp->private_data;

	vpb_mig_file_free_buf(mf);
	mutex_destroy(&mf->lock);
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
	if (mf->disabled || !mf->precopy) {
		ret = -EINVAL;
	} else {
		info.initial_bytes = mf->len - filp->f_pos;
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
 * A save file over @buf (@len bytes, taken over; @precopy: the pre-copy
 * record), or, given what it must hold, an empty resume file.  The device
 * keeps one reference.
 */
struct vpb_mig_file *vpb_mig_file_new(struct vpb_device *vdev, void *buf, size_t len,
				      bool precopy, const struct vpb_mig_expect *resume)
{
	struct vpb_mig_file *mf = kzalloc(sizeof(*mf), GFP_KERNEL_ACCOUNT);
	bool save = !resume;
	struct file *filp;

	if (!mf)
		return ERR_PTR(-ENOMEM);
	mutex_init(&mf->lock);
	if (resume) {
		mf->want = *resume;
		buf = kvzalloc(vpb_mig_max_stream(resume), GFP_KERNEL_ACCOUNT);
		if (!buf) {
			kfree(mf);
			return ERR_PTR(-ENOMEM);
		}
	}
	filp = anon_inode_getfile("[vfio-pci-bpf-mig]", &vpb_mig_fops, mf,
				  save ? O_RDONLY : O_WRONLY);
	if (IS_ERR(filp)) {
		if (!save)
			kvfree(buf);
		kfree(mf);
		return ERR_CAST(filp);
	}
	stream_open(filp->f_inode, filp);
	mf->filp = filp;
	mf->vdev = vdev;
	mf->buf = buf;
	mf->len = len;
	mf->precopy = precopy;
	return mf;
}

/* STOP_COPY: the final record goes behind the pre-copy one, unread or not. */
int vpb_mig_file_append(struct vpb_mig_file *mf, const void *record, size_t len)
{
	u8 *buf;
	int ret = 0;

	mutex_lock(&mf->lock);
	if (mf->disabled || !mf->precopy) {
		ret = -EINVAL;
		goto out;
	}
	buf = kvmalloc(mf->len + len, GFP_KERNEL_ACCOUNT);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(buf, mf->buf, mf->len);
	memcpy(buf + mf->len, record, len);
	kvfree(mf->buf);
	mf->buf = buf;
	mf->len += len;
	mf->precopy = false;
out:
	mutex_unlock(&mf->lock);
	return ret;
}

/* The reference vfio installs as the VMM's data fd. */
struct file *vpb_mig_file_get(struct vpb_mig_file *mf)
{
	return get_file(mf->filp);
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
		mf->len = 0;
	}
	mf->disabled = true;
	mf->vdev = NULL;
	vpb_mig_file_free_buf(mf);
	mutex_unlock(&mf->lock);
	fput(mf->filp);
	return buf;
}

/* The arc ended: the VMM's fd stays valid but reads and writes fail. */
void vpb_mig_file_disable(struct vpb_mig_file *mf)
{
	mutex_lock(&mf->lock);
	mf->disabled = true;
	mf->vdev = NULL;
	vpb_mig_file_free_buf(mf);
	mutex_unlock(&mf->lock);
	fput(mf->filp);
}
