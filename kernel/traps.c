// SPDX-License-Identifier: GPL-2.0-only
/*
 * Trapped BAR ranges: declared by a policy's attach, taken out of the
 * BAR's mmap-able area (sparse mmap in region info, mmap refused), so that
 * the VMM reaches them through device-fd read/write and the BAR hooks.
 */
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "vpb.h"

#define VPB_PGOFF_INDEX_SHIFT (VPB_OFFSET_SHIFT - PAGE_SHIFT)

const struct vpb_trap *vpb_trap_find(struct vpb_chain *chain, unsigned int bar,
				     u64 start, u64 end)
{
	unsigned int i;

	for (i = 0; chain && i < chain->nr_traps; i++) {
		const struct vpb_trap *t = &chain->traps[i];

		if (t->bar == bar && start < t->end && t->start < end)
			return t;
	}
	return NULL;
}

struct vpb_span {
	u64 start;
	u64 end;
};

static int vpb_span_cmp(const void *a, const void *b)
{
	const struct vpb_span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * The pages of @bar that must not be mapped, sorted and merged: mmap works
 * in pages, so a trap makes its whole pages unmappable.
 */
static unsigned int vpb_unmappable(struct vpb_chain *chain, unsigned int bar,
				   struct vpb_span *spans)
{
	unsigned int i, n = 0, merged = 0;

	for (i = 0; chain && i < chain->nr_traps; i++) {
		if (chain->traps[i].bar != bar)
			continue;
		spans[n].start = round_down(chain->traps[i].start, PAGE_SIZE);
		spans[n].end = round_up(chain->traps[i].end, PAGE_SIZE);
		n++;
	}
	sort(spans, n, sizeof(*spans), vpb_span_cmp, NULL);
	for (i = 0; i < n; i++) {
		if (merged && spans[i].start <= spans[merged - 1].end)
			spans[merged - 1].end = max(spans[merged - 1].end, spans[i].end);
		else
			spans[merged++] = spans[i];
	}
	return merged;
}

static int vpb_add_sparse_cap(struct vfio_info_cap *caps, struct vpb_span *holes,
			      unsigned int nr_holes, u64 bar_size)
{
	struct vfio_region_info_cap_sparse_mmap *sparse;
	unsigned int i, n = 0;
	u64 at = 0;
	size_t size;
	int ret;

	size = struct_size(sparse, areas, nr_holes + 1);
	sparse = kzalloc(size, GFP_KERNEL);
	if (!sparse)
		return -ENOMEM;
	for (i = 0; i <= nr_holes; i++) {
		u64 end = i < nr_holes ? holes[i].start : bar_size;

		if (end > at) {
			sparse->areas[n].offset = at;
			sparse->areas[n].size = end - at;
			n++;
		}
		if (i < nr_holes)
			at = holes[i].end;
	}
	sparse->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
	sparse->header.version = 1;
	sparse->nr_areas = n;
	ret = vfio_info_add_capability(caps, &sparse->header,
				       struct_size(sparse, areas, n));
	kfree(sparse);
	return ret;
}

/* The region info vfio-pci-core gives a BAR, plus the sparse mmap cap. */
static int vpb_bar_region_info(struct vpb_device *vdev, struct vpb_chain *chain,
			       struct vfio_region_info *info, struct vfio_info_cap *caps)
{
	struct vfio_pci_core_device *core = &vdev->core;
	struct vpb_span holes[VFIO_PCI_BPF_MAX_TRAPS];
	unsigned int bar = info->index;
	int ret;

	info->offset = (u64)bar << VPB_OFFSET_SHIFT;
	info->size = pci_resource_len(core->pdev, bar);
	info->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	if (!core->bar_mmap_supported[bar])
		return 0;
	info->flags |= VFIO_REGION_INFO_FLAG_MMAP;
	if (bar == core->msix_bar) {
		struct vfio_info_cap_header header = {
			.id = VFIO_REGION_INFO_CAP_MSIX_MAPPABLE,
			.version = 1,
		};

		ret = vfio_info_add_capability(caps, &header, sizeof(header));
		if (ret)
			return ret;
	}
	return vpb_add_sparse_cap(caps, holes, vpb_unmappable(chain, bar, holes),
				  info->size);
}

/*
 * The region info of a BAR with traps, filled as vfio's get_region_info_caps
 * op fills it; -ENOIOCTLCMD leaves every other region to vfio-pci-core.
 */
int vpb_trap_region_info_caps(struct vpb_device *vdev, struct vfio_region_info *info,
			      struct vfio_info_cap *caps)
{
	struct vpb_chain *chain;
	int idx, ret = -ENOIOCTLCMD;

	if (info->index > VFIO_PCI_BAR5_REGION_INDEX || !vpb_hot(vdev, VPB_HOT_BAR(info->index)))
		return -ENOIOCTLCMD;
	idx = srcu_read_lock(&vdev->srcu);
	chain = srcu_dereference(vdev->chain, &vdev->srcu);
	if (vpb_trap_find(chain, info->index, 0, U64_MAX))
		ret = vpb_bar_region_info(vdev, chain, info, caps);
	srcu_read_unlock(&vdev->srcu, idx);
	return ret;
}

/*
 * VFIO_DEVICE_GET_REGION_INFO for a BAR with traps, where the kernel passes
 * it to .ioctl (compat.h); -ENOIOCTLCMD leaves every other request to
 * vfio-pci-core.  The copies in and out are vfio core's of newer kernels.
 */
int vpb_trap_region_info(struct vpb_device *vdev, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_info_cap caps = {};
	struct vfio_region_info info;
	int ret;

	/* No trap on any BAR: nothing to add, and no copy from the VMM. */
	if (!vpb_hot(vdev, VPB_HOT_ANY_BAR))
		return -ENOIOCTLCMD;
	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -ENOIOCTLCMD;
	ret = vpb_trap_region_info_caps(vdev, &info, &caps);
	if (ret)
		goto out;

	if (caps.size) {
		info.flags |= VFIO_REGION_INFO_FLAG_CAPS;
		if (info.argsz < sizeof(info) + caps.size) {
			info.argsz = sizeof(info) + caps.size;
			info.cap_offset = 0;
		} else {
			vfio_info_cap_shift(&caps, sizeof(info));
			if (copy_to_user((void __user *)arg + sizeof(info), caps.buf,
					 caps.size)) {
				ret = -EFAULT;
				goto out;
			}
			info.cap_offset = sizeof(info);
		}
	}
	if (copy_to_user((void __user *)arg, &info, minsz))
		ret = -EFAULT;
out:
	kfree(caps.buf);
	return ret;
}

/* Whether [@start, @end) of region @index shares a page with a trap. */
bool vpb_trap_hits_pages(struct vpb_device *vdev, unsigned int index, u64 start, u64 end)
{
	struct vpb_span holes[VFIO_PCI_BPF_MAX_TRAPS];
	struct vpb_chain *chain;
	unsigned int i, n;
	bool hit = false;
	int idx;

	if (index > VFIO_PCI_BAR5_REGION_INDEX || !vpb_hot(vdev, VPB_HOT_BAR(index)))
		return false;
	idx = srcu_read_lock(&vdev->srcu);
	chain = srcu_dereference(vdev->chain, &vdev->srcu);
	n = vpb_unmappable(chain, index, holes);
	for (i = 0; i < n; i++)
		if (start < holes[i].end && holes[i].start < end)
			hit = true;
	srcu_read_unlock(&vdev->srcu, idx);
	return hit;
}

/* mmap over a trapped page is refused, as vfio-pci refuses unmappable areas. */
int vpb_trap_check_mmap(struct vpb_device *vdev, struct vm_area_struct *vma)
{
	unsigned int index = vma->vm_pgoff >> VPB_PGOFF_INDEX_SHIFT;
	u64 start = (vma->vm_pgoff & ((1UL << VPB_PGOFF_INDEX_SHIFT) - 1)) << PAGE_SHIFT;

	return vpb_trap_hits_pages(vdev, index, start, start + (vma->vm_end - vma->vm_start)) ?
		       -EINVAL : 0;
}

/*
 * VFIO_DEVICE_IOEVENTFD makes vfio-pci-core write a BAR when an eventfd is
 * signalled, around the BAR hooks; one that would write inside a trapped
 * range is refused with -EBUSY.  The core gets the request from the
 * module's copy (bounce.c), so the VMM cannot move it into a trap after the
 * check.  Removing one (fd -1) always goes through.
 */
long vpb_trap_ioeventfd(struct vpb_device *vdev, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_ioeventfd, fd);
	struct vfio_device_ioeventfd req;
	struct vpb_chain *chain;
	bool trapped = false;
	unsigned int index;
	u64 pos;
	int idx;

	if (copy_from_user(&req, (void __user *)arg, minsz))
		return -EFAULT;
	index = VPB_INDEX(req.offset);
	pos = req.offset & VPB_OFFSET_MASK;
	if (req.fd >= 0 && index <= VFIO_PCI_BAR5_REGION_INDEX) {
		/* The size flag's value is the byte count: 1, 2, 4 or 8. */
		u64 end = pos + (req.flags & VFIO_DEVICE_IOEVENTFD_SIZE_MASK);

		idx = srcu_read_lock(&vdev->srcu);
		chain = srcu_dereference(vdev->chain, &vdev->srcu);
		trapped = vpb_trap_find(chain, index, pos, max(end, pos + 1));
		srcu_read_unlock(&vdev->srcu, idx);
	}
	if (trapped)
		return -EBUSY;
	return vpb_bounce_ioctl(vdev, VFIO_DEVICE_IOEVENTFD, &req, minsz);
}

/*
 * vfio-pci-core keeps the MSI-X table out of device-fd access (reads give
 * ~0, writes are dropped); a trap there would let the hooks pass accesses
 * through to it.  Computed as vfio_pci_core_enable() does, since the
 * device may not be enabled yet.
 */
static bool vpb_trap_hits_msix(struct pci_dev *pdev, u32 bar, u64 start, u64 end)
{
	u64 table_start, table_end;
	u32 table;
	u16 flags;

	if (!pdev->msix_cap)
		return false;
	pci_read_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS, &flags);
	pci_read_config_dword(pdev, pdev->msix_cap + PCI_MSIX_TABLE, &table);
	if ((table & PCI_MSIX_TABLE_BIR) != bar)
		return false;
	table_start = table & PCI_MSIX_TABLE_OFFSET;
	table_end = table_start + ((flags & PCI_MSIX_FLAGS_QSIZE) + 1) * PCI_MSIX_ENTRY_SIZE;
	return start < table_end && table_start < end;
}

/* Whether @trap is one of the replaced policy's, during a hot swap. */
static bool vpb_trap_kept(struct vpb_device *vdev, const struct vpb_trap *trap)
{
	struct vpb_chain *chain = vpb_chain_locked(vdev);
	unsigned int i;

	for (i = 0; vdev->replacing && chain && i < chain->nr_traps; i++)
		if (chain->traps[i].owner == vdev->replacing &&
		    chain->traps[i].bar == trap->bar && chain->traps[i].start == trap->start &&
		    chain->traps[i].end == trap->end)
			return true;
	return false;
}

/*
 * From the kfunc, while a policy's attach runs under the device's lock.
 * What the VMM was told at open (the sparse mmap) must not change while it
 * holds the device: an open device takes no new trap (-EBUSY), except
 * that a hot swap's new policy may declare again the traps of the one it
 * replaces.
 */
int vpb_trap_add(struct vpb_device *vdev, u32 bar, u64 offset, u64 len)
{
	struct pci_dev *pdev = vdev->core.pdev;
	struct vpb_chain *chain;
	struct vpb_trap trap;
	unsigned int used;
	u64 bar_len;

	lockdep_assert_held(&vdev->lock);
	if (!vdev->attaching)
		return -EPERM;
	if (bar >= VFIO_PCI_BPF_NUM_BARS || !(pci_resource_flags(pdev, bar) & IORESOURCE_MEM))
		return -EINVAL;
	bar_len = pci_resource_len(pdev, bar);
	if (!len || offset >= bar_len || len > bar_len - offset)
		return -EINVAL;
	trap = (struct vpb_trap){
		.owner = vdev->attaching,
		.bar = bar,
		.start = offset,
		.end = offset + len,
	};
	if (vpb_trap_hits_msix(pdev, bar, trap.start, trap.end))
		return -EINVAL;
	if (vdev->enabled && !vpb_trap_kept(vdev, &trap))
		return -EBUSY;
	/* A swap frees the replaced policy's traps. */
	chain = vpb_chain_locked(vdev);
	used = vdev->nr_pending;
	for (unsigned int i = 0; chain && i < chain->nr_traps; i++)
		if (chain->traps[i].owner != vdev->replacing)
			used++;
	if (used >= VFIO_PCI_BPF_MAX_TRAPS)
		return -ENOSPC;
	vdev->pending[vdev->nr_pending++] = trap;
	return 0;
}

/* Forget the ranges this attach declared on @bar. */
int vpb_trap_clear(struct vpb_device *vdev, u32 bar)
{
	unsigned int i, kept = 0;

	lockdep_assert_held(&vdev->lock);
	if (!vdev->attaching)
		return -EPERM;
	for (i = 0; i < vdev->nr_pending; i++)
		if (vdev->pending[i].bar != bar)
			vdev->pending[kept++] = vdev->pending[i];
	vdev->nr_pending = kept;
	return 0;
}
