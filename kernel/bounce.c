// SPDX-License-Identifier: GPL-2.0-only
/*
 * Handing vfio-pci-core data the VMM can no longer change.
 *
 * vfio-pci-core's config-space write and its ioctls take only __user
 * pointers and fetch from them themselves.  When the module has judged
 * data -- a config write its policies let through, an ioeventfd request it
 * checked against the traps -- passing the VMM's own buffer on would let a
 * second VMM thread change the data between the verdict and the core's
 * fetch.  So the module copies the judged bytes into a page of its own and
 * gives the core the address of that page in the calling process: a
 * read-only shared mapping of a private shmem file, made once per process
 * and device and sealed (VM_SEALED, as mseal() does).  The process can
 * read it, but cannot write it through any mapping (the file is open
 * read-only, so no mapping of it can ever become writable), nor unmap,
 * move or mprotect it, nor map anything else over it.  What the core
 * fetches is therefore what the module wrote.
 *
 * The page is the device's, one user at a time (bounce->lock); the mapping
 * lives as long as the process and is not inherited on fork.
 */
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>

#include "vpb.h"

/* Processes whose mapping is remembered; others are found by a VMA walk. */
#define VPB_BOUNCE_SEEN 4

struct vpb_bounce {
	struct mutex lock; /* one user of the page at a time */
	struct file *file; /* read-only view of the page's shmem file */
	struct page *page;
	/* Where processes map it: the mm is only compared, never followed. */
	const struct mm_struct *seen_mm[VPB_BOUNCE_SEEN];
	unsigned long seen_addr[VPB_BOUNCE_SEEN];
	unsigned int next_seen;
};

static struct vpb_bounce *vpb_bounce_new(void)
{
	struct vpb_bounce *b = kzalloc(sizeof(*b), GFP_KERNEL);
	struct file *rw;
	int ret;

	if (!b)
		return ERR_PTR(-ENOMEM);
	mutex_init(&b->lock);
	rw = shmem_kernel_file_setup("vfio-pci-bpf", PAGE_SIZE, VM_NORESERVE);
	if (IS_ERR(rw)) {
		ret = PTR_ERR(rw);
		goto out_free;
	}
	mapping_set_unevictable(rw->f_mapping);
	b->page = shmem_read_mapping_page(rw->f_mapping, 0);
	if (IS_ERR(b->page)) {
		ret = PTR_ERR(b->page);
		goto out_rw;
	}
	b->file = dentry_open(&rw->f_path, O_RDONLY, current_cred());
	if (IS_ERR(b->file)) {
		ret = PTR_ERR(b->file);
		goto out_page;
	}
	fput(rw);
	return b;

out_page:
	put_page(b->page);
out_rw:
	fput(rw);
out_free:
	kfree(b);
	return ERR_PTR(ret);
}

static struct vpb_bounce *vpb_bounce_get(struct vpb_device *vdev)
{
	/* Pairs with the cmpxchg_release() that published it. */
	struct vpb_bounce *b = smp_load_acquire(&vdev->bounce), *raced;

	if (b)
		return b;
	b = vpb_bounce_new();
	if (IS_ERR(b))
		return b;
	raced = cmpxchg_release(&vdev->bounce, NULL, b);
	if (raced) {
		put_page(b->page);
		fput(b->file);
		kfree(b);
		return raced;
	}
	return b;
}

void vpb_bounce_free(struct vpb_device *vdev)
{
	struct vpb_bounce *b = vdev->bounce;

	if (!b)
		return;
	put_page(b->page);
	fput(b->file);
	kfree(b);
	vdev->bounce = NULL;
}

static bool vpb_bounce_is(struct vpb_bounce *b, struct vm_area_struct *vma)
{
	return vma && vma->vm_file == b->file && (vma->vm_flags & VM_SEALED);
}

/* The sealed mapping of @b in @mm, or 0. */
static unsigned long vpb_bounce_find(struct vpb_bounce *b, struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	unsigned long addr = 0;
	unsigned int i;

	mmap_read_lock(mm);
	for (i = 0; i < VPB_BOUNCE_SEEN; i++) {
		if (b->seen_mm[i] != mm)
			continue;
		vma = vma_lookup(mm, b->seen_addr[i]);
		if (vpb_bounce_is(b, vma) && vma->vm_start == b->seen_addr[i]) {
			addr = vma->vm_start;
			goto out;
		}
	}
	{
		VMA_ITERATOR(vmi, mm, 0);

		for_each_vma(vmi, vma) {
			if (vpb_bounce_is(b, vma)) {
				addr = vma->vm_start;
				break;
			}
		}
	}
out:
	mmap_read_unlock(mm);
	return addr;
}

/*
 * Map @b read-only into @mm and seal the mapping.  Until it is sealed the
 * process could move or unmap it; then it is not sealed here and the
 * caller gets -EAGAIN (what was moved stays read-only forever).
 */
static long vpb_bounce_map(struct vpb_bounce *b, struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	unsigned long addr;

	addr = vm_mmap(b->file, 0, PAGE_SIZE, PROT_READ, MAP_SHARED, 0);
	if (IS_ERR_VALUE(addr))
		return addr;
	if (mmap_write_lock_killable(mm))
		return -EINTR;
	vma = vma_lookup(mm, addr);
	if (vma && vma->vm_file == b->file && vma->vm_start == addr &&
	    vma->vm_end == addr + PAGE_SIZE && !(vma->vm_flags & (VM_WRITE | VM_MAYWRITE)))
		vm_flags_set(vma, VM_SEALED | VM_DONTCOPY | VM_DONTDUMP);
	else
		addr = -EAGAIN;
	mmap_write_unlock(mm);
	return addr;
}

/*
 * Put @size bytes of @data where the calling process can hand them to the
 * core and no thread of it can change them.  On success the page is ours
 * until vpb_bounce_leave().
 */
static int vpb_bounce_enter(struct vpb_device *vdev, const void *data, size_t size,
			    struct vpb_bounce **out, void __user **uptr)
{
	struct mm_struct *mm = current->mm;
	struct vpb_bounce *b;
	long addr;

	if (!mm || size > PAGE_SIZE)
		return -EFAULT;
	b = vpb_bounce_get(vdev);
	if (IS_ERR(b))
		return PTR_ERR(b);
	if (mutex_lock_killable(&b->lock))
		return -EINTR;
	addr = vpb_bounce_find(b, mm);
	if (!addr) {
		addr = vpb_bounce_map(b, mm);
		if (IS_ERR_VALUE(addr)) {
			mutex_unlock(&b->lock);
			return addr;
		}
	}
	b->seen_mm[b->next_seen] = mm;
	b->seen_addr[b->next_seen] = addr;
	b->next_seen = (b->next_seen + 1) % VPB_BOUNCE_SEEN;
	memcpy_to_page(b->page, 0, data, size);
	*out = b;
	*uptr = (void __user *)addr;
	return 0;
}

static void vpb_bounce_leave(struct vpb_bounce *b)
{
	mutex_unlock(&b->lock);
}

/* A config write of @val (@size bytes, as the VMM wrote them) at @pos. */
int vpb_bounce_config_write(struct vpb_device *vdev, u64 val, u32 size, loff_t pos)
{
	struct vpb_bounce *b;
	void __user *uptr;
	ssize_t ret;

	ret = vpb_bounce_enter(vdev, &val, size, &b, &uptr);
	if (ret)
		return ret;
	ret = vfio_pci_core_write(&vdev->core.vdev, uptr, size, &pos);
	vpb_bounce_leave(b);
	return ret;
}

/* vfio-pci-core's ioctl @cmd with the argument the module checked. */
long vpb_bounce_ioctl(struct vpb_device *vdev, unsigned int cmd, const void *arg,
		      size_t size)
{
	struct vpb_bounce *b;
	void __user *uptr;
	long ret;

	ret = vpb_bounce_enter(vdev, arg, size, &b, &uptr);
	if (ret)
		return ret;
	ret = vfio_pci_core_ioctl(&vdev->core.vdev, cmd, (unsigned long)uptr);
	vpb_bounce_leave(b);
	return ret;
}
