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
 * gives the core their address in the calling process: a read-only shared
 * mapping of a private shmem file, made once per process and sealed
 * (VM_SEALED, as mseal() does).  The process can read it, but cannot
 * write it through any mapping (the file is open read-only, so no mapping
 * of it can ever become writable), nor unmap, move or mprotect it, nor map
 * anything else over it; the inode is immutable, so that reopening the
 * file through /proc/PID/map_files cannot give a writable file either.
 * What the core fetches is therefore what the module wrote.
 *
 * One page serves the whole module, so a long-lived process (a VMM whose
 * devices are unbound and bound again) maps it once.  It is cut into
 * slots, each device using one and each slot used by one device at a time
 * (its mutex); a slot is cleared as soon as the core has fetched from it,
 * so no process ever reads another's data there.  The mapping lives as
 * long as the process and is not inherited on fork; the page and the file
 * outlive the module while a process maps them (their code is shmem's).
 */
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>

#include "vpb.h"

/* Room for the largest argument the module judges: an ioeventfd request. */
#define VPB_BOUNCE_SLOT 64
#define VPB_BOUNCE_SLOTS (PAGE_SIZE / VPB_BOUNCE_SLOT)
/* Processes whose mapping is remembered; others are found by a VMA walk. */
#define VPB_BOUNCE_SEEN 8

static struct {
	struct file *file; /* read-only view of the page's shmem file */
	struct page *page;
	struct mutex slot_lock[VPB_BOUNCE_SLOTS];
	struct mutex map_lock; /* one mapping per process */
	atomic_t next_slot; /* the slot of the next device */
	/* Where processes map it: the mm is only compared, never followed. */
	spinlock_t seen_lock;
	const struct mm_struct *seen_mm[VPB_BOUNCE_SEEN];
	unsigned long seen_addr[VPB_BOUNCE_SEEN];
	unsigned int next_seen;
} vpb_bounce;

int vpb_bounce_init(void)
{
	struct file *rw;
	unsigned int i;
	int ret;

	BUILD_BUG_ON(sizeof(struct vfio_device_ioeventfd) > VPB_BOUNCE_SLOT);
	for (i = 0; i < VPB_BOUNCE_SLOTS; i++)
		mutex_init(&vpb_bounce.slot_lock[i]);
	mutex_init(&vpb_bounce.map_lock);
	spin_lock_init(&vpb_bounce.seen_lock);
	rw = shmem_kernel_file_setup("vfio-pci-bpf", PAGE_SIZE, VPB_SHMEM_NORESERVE);
	if (IS_ERR(rw))
		return PTR_ERR(rw);
	mapping_set_unevictable(rw->f_mapping);
	vpb_bounce.page = shmem_read_mapping_page(rw->f_mapping, 0);
	if (IS_ERR(vpb_bounce.page)) {
		ret = PTR_ERR(vpb_bounce.page);
		goto out_rw;
	}
	vpb_bounce.file = dentry_open(&rw->f_path, O_RDONLY, current_cred());
	if (IS_ERR(vpb_bounce.file)) {
		ret = PTR_ERR(vpb_bounce.file);
		goto out_page;
	}
	/* No open of it, by anyone, for writing: the module writes the page itself. */
	file_inode(rw)->i_flags |= S_IMMUTABLE;
	fput(rw);
	return 0;

out_page:
	put_page(vpb_bounce.page);
out_rw:
	fput(rw);
	return ret;
}

void vpb_bounce_exit(void)
{
	put_page(vpb_bounce.page);
	fput(vpb_bounce.file);
}

/* The slot @vdev uses, for its life. */
unsigned int vpb_bounce_slot(void)
{
	return (unsigned int)atomic_inc_return(&vpb_bounce.next_slot) % VPB_BOUNCE_SLOTS;
}

static bool vpb_bounce_is(struct vm_area_struct *vma)
{
	return vma && vma->vm_file == vpb_bounce.file && (vma->vm_flags & VM_SEALED);
}

static unsigned long vpb_bounce_seen(struct mm_struct *mm)
{
	unsigned long addr = 0;
	unsigned int i;

	spin_lock(&vpb_bounce.seen_lock);
	for (i = 0; i < VPB_BOUNCE_SEEN && !addr; i++)
		if (vpb_bounce.seen_mm[i] == mm)
			addr = vpb_bounce.seen_addr[i];
	spin_unlock(&vpb_bounce.seen_lock);
	return addr;
}

static void vpb_bounce_remember(struct mm_struct *mm, unsigned long addr)
{
	spin_lock(&vpb_bounce.seen_lock);
	vpb_bounce.seen_mm[vpb_bounce.next_seen] = mm;
	vpb_bounce.seen_addr[vpb_bounce.next_seen] = addr;
	vpb_bounce.next_seen = (vpb_bounce.next_seen + 1) % VPB_BOUNCE_SEEN;
	spin_unlock(&vpb_bounce.seen_lock);
}

/* The sealed mapping of the page in @mm, or 0. */
static unsigned long vpb_bounce_find(struct mm_struct *mm)
{
	unsigned long addr = vpb_bounce_seen(mm);
	struct vm_area_struct *vma;

	mmap_read_lock(mm);
	if (addr) {
		vma = vma_lookup(mm, addr);
		if (vpb_bounce_is(vma) && vma->vm_start == addr)
			goto out;
		addr = 0;
	}
	{
		VMA_ITERATOR(vmi, mm, 0);

		for_each_vma(vmi, vma) {
			if (vpb_bounce_is(vma)) {
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
 * Map the page read-only into @mm and seal the mapping.  Until it is sealed
 * the process could move or unmap it; then it is not sealed here and the
 * caller gets -EAGAIN (what was moved stays read-only forever).
 */
static long vpb_bounce_map(struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	unsigned long addr;

	addr = vm_mmap(vpb_bounce.file, 0, PAGE_SIZE, PROT_READ, MAP_SHARED, 0);
	if (IS_ERR_VALUE(addr))
		return addr;
	if (mmap_write_lock_killable(mm))
		return -EINTR;
	vma = vma_lookup(mm, addr);
	if (vma && vma->vm_file == vpb_bounce.file && vma->vm_start == addr &&
	    vma->vm_end == addr + PAGE_SIZE && !(vma->vm_flags & (VM_WRITE | VM_MAYWRITE)))
		vm_flags_set(vma, VM_SEALED | VM_DONTCOPY | VM_DONTDUMP);
	else
		addr = -EAGAIN;
	mmap_write_unlock(mm);
	return addr;
}

/*
 * Put @size bytes of @data where the calling process can hand them to the
 * core and no thread of it can change them.  On success the device's slot
 * is the caller's until vpb_bounce_leave().
 */
static int vpb_bounce_enter(struct vpb_device *vdev, const void *data, size_t size,
			    void __user **uptr)
{
	struct mutex *lock = &vpb_bounce.slot_lock[vdev->bounce_slot];
	struct mm_struct *mm = current->mm;
	long addr;

	if (!mm || size > VPB_BOUNCE_SLOT)
		return -EFAULT;
	if (mutex_lock_killable(lock))
		return -EINTR;
	addr = vpb_bounce_find(mm);
	if (!addr) {
		/* Two threads mapping it for two devices would map it twice. */
		mutex_lock(&vpb_bounce.map_lock);
		addr = vpb_bounce_find(mm) ?: vpb_bounce_map(mm);
		mutex_unlock(&vpb_bounce.map_lock);
		if (IS_ERR_VALUE(addr)) {
			mutex_unlock(lock);
			return addr;
		}
	}
	vpb_bounce_remember(mm, addr);
	memcpy_to_page(vpb_bounce.page, vdev->bounce_slot * VPB_BOUNCE_SLOT, data, size);
	*uptr = (void __user *)(addr + vdev->bounce_slot * VPB_BOUNCE_SLOT);
	return 0;
}

/* The core fetched what it needed: nothing of it stays for others to read. */
static void vpb_bounce_leave(struct vpb_device *vdev)
{
	memzero_page(vpb_bounce.page, vdev->bounce_slot * VPB_BOUNCE_SLOT, VPB_BOUNCE_SLOT);
	mutex_unlock(&vpb_bounce.slot_lock[vdev->bounce_slot]);
}

/* A config write of @val (@size bytes, as the VMM wrote them) at @pos. */
int vpb_bounce_config_write(struct vpb_device *vdev, u64 val, u32 size, loff_t pos)
{
	__le64 bytes = cpu_to_le64(val);
	void __user *uptr;
	ssize_t ret;

	ret = vpb_bounce_enter(vdev, &bytes, size, &uptr);
	if (ret)
		return ret;
	ret = vfio_pci_core_write(&vdev->core.vdev, uptr, size, &pos);
	vpb_bounce_leave(vdev);
	return ret;
}

/* vfio-pci-core's ioctl @cmd with the argument the module checked. */
long vpb_bounce_ioctl(struct vpb_device *vdev, unsigned int cmd, const void *arg,
		      size_t size)
{
	void __user *uptr;
	long ret;

	ret = vpb_bounce_enter(vdev, arg, size, &uptr);
	if (ret)
		return ret;
	ret = vfio_pci_core_ioctl(&vdev->core.vdev, cmd, (unsigned long)uptr);
	vpb_bounce_leave(vdev);
	return ret;
}
