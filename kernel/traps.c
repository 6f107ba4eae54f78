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

#define VPB_PGOFF_INDEX_SHIFT (40 - PAGE_SHIFT)

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

	info->offset = (u64)bar << 40;
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
 * VFIO_DEVICE_GET_REGION_INFO for a BAR with traps; -ENOIOCTLCMD leaves
 * every other request to vfio-pci-core.
 */
int vpb_trap_region_info(struct vpb_device *vdev, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_info_cap caps = {};
	struct vfio_region_info info;
	struct vpb_chain *chain;
	int idx, ret = -ENOIOCTLCMD;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index > VFIO_PCI_BAR5_REGION_INDEX ||
	    !vpb_hot(vdev, VPB_HOT_BAR(info.index)))
		return -ENOIOCTLCMD;

	idx = srcu_read_lock(&vpb_srcu);
	chain = srcu_dereference(vdev->chain, &vpb_srcu);
	if (vpb_trap_find(chain, info.index, 0, U64_MAX))
		ret = vpb_bar_region_info(vdev, chain, &info, &caps);
	srcu_read_unlock(&vpb_srcu, idx);
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

/* mmap over a trapped page is refused, as vfio-pci refuses unmappable areas. */
int vpb_trap_check_mmap(struct vpb_device *vdev, struct vm_area_struct *vma)
{
	unsigned int index = vma->vm_pgoff >> VPB_PGOFF_INDEX_SHIFT;
	u64 start = (vma->vm_pgoff & ((1UL << VPB_PGOFF_INDEX_SHIFT) - 1)) << PAGE_SHIFT;
	u64 end = start + (vma->vm_end - vma->vm_start);
	struct vpb_span holes[VFIO_PCI_BPF_MAX_TRAPS];
	struct vpb_chain *chain;
	unsigned int i, n;
	int idx, ret = 0;

	if (index > VFIO_PCI_BAR5_REGION_INDEX || !vpb_hot(vdev, VPB_HOT_BAR(index)))
		return 0;
	idx = srcu_read_lock(&vpb_srcu);
	chain = srcu_dereference(vdev->chain, &vpb_srcu);
	n = vpb_unmappable(chain, index, holes);
	for (i = 0; i < n; i++)
		if (start < holes[i].end && holes[i].start < end)
			ret = -EINVAL;
	srcu_read_unlock(&vpb_srcu, idx);
	return ret;
}

/* From the kfunc, while the device's attach runs under vpb_lock. */
int vpb_trap_add(struct vpb_device *vdev, u32 bar, u64 offset, u64 len)
{
	struct pci_dev *pdev = vdev->core.pdev;
	struct vpb_chain *chain;
	unsigned int used;

	if (!vdev->attaching)
		return -EPERM;
	if (vdev->open)
		return -EBUSY;
	if (bar >= VFIO_PCI_BPF_NUM_BARS ||
	    !(pci_resource_flags(pdev, bar) & IORESOURCE_MEM) || !len ||
	    offset + len < offset || offset + len > pci_resource_len(pdev, bar))
		return -EINVAL;
	chain = rcu_dereference_protected(vdev->chain, lockdep_is_held(&vpb_lock));
	used = (chain ? chain->nr_traps : 0) + vdev->nr_pending;
	if (used >= VFIO_PCI_BPF_MAX_TRAPS)
		return -ENOSPC;
	vdev->pending[vdev->nr_pending++] = (struct vpb_trap){
		.owner = vdev->attaching,
		.bar = bar,
		.start = offset,
		.end = offset + len,
	};
	return 0;
}

/* Forget the ranges this attach declared on @bar. */
int vpb_trap_clear(struct vpb_device *vdev, u32 bar)
{
	unsigned int i, kept = 0;

	if (!vdev->attaching)
		return -EPERM;
	for (i = 0; i < vdev->nr_pending; i++)
		if (vdev->pending[i].bar != bar)
			vdev->pending[kept++] = vdev->pending[i];
	vdev->nr_pending = kept;
	return 0;
}
