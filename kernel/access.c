// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device-fd read and write: config space through the config hooks, and
 * trapped BAR ranges through the BAR hooks.  Everything else goes straight
 * to vfio-pci-core.
 */
#include <linux/io.h>
#include <linux/pci.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "vpb.h"

/* vfio-pci-core's region layout: index in the top bits of the offset. */
#define VPB_OFFSET_SHIFT 40
#define VPB_INDEX(off) ((off) >> VPB_OFFSET_SHIFT)
#define VPB_OFFSET_MASK ((1ULL << VPB_OFFSET_SHIFT) - 1)

/* Largest naturally aligned access at @off that fits in @left bytes. */
static u32 vpb_chunk(u64 off, size_t left, u32 max)
{
	u32 size = max;

	while (size > 1 && ((off & (size - 1)) || size > left))
		size >>= 1;
	return size;
}

/* vfio-pci-core's own test of the (virtualized) memory enable, not exported. */
static bool vpb_memory_enabled(struct vpb_device *vdev)
{
	u16 cmd = le16_to_cpu(*(__le16 *)&vdev->core.vconfig[PCI_COMMAND]);

	return vdev->core.pdev->no_command_memory || (cmd & PCI_COMMAND_MEMORY);
}

/*
 * One naturally aligned BAR access, for trapped ranges and kfuncs.  From a
 * BPF program (!@may_sleep) the memory lock is only tried: a reset or a
 * memory-disable in progress makes it fail with -EBUSY instead of waiting.
 */
int vpb_bar_io(struct vpb_device *vdev, unsigned int bar, u64 off, u32 size,
	       u64 *val, bool write, bool may_sleep)
{
	struct vfio_pci_core_device *core = &vdev->core;
	void __iomem *io;
	int ret = 0;

	if (bar >= VFIO_PCI_BPF_NUM_BARS ||
	    !(pci_resource_flags(core->pdev, bar) & IORESOURCE_MEM))
		return -EINVAL;
	if ((size != 1 && size != 2 && size != 4 && size != 8) || (off & (size - 1)) ||
	    off + size > pci_resource_len(core->pdev, bar) || off + size < off)
		return -EINVAL;
	if (!core->barmap[bar]) {
		if (!may_sleep)
			return -ENXIO;
		ret = vfio_pci_core_setup_barmap(core, bar);
		if (ret)
			return ret;
	}
	if (may_sleep)
		down_read(&core->memory_lock);
	else if (!down_read_trylock(&core->memory_lock))
		return -EBUSY;
	if (!vpb_memory_enabled(vdev)) {
		ret = -EIO;
		goto out;
	}
	io = core->barmap[bar] + off;
	switch (size) {
	case 1:
		if (write)
			iowrite8(*val, io);
		else
			*val = ioread8(io);
		break;
	case 2:
		if (write)
			iowrite16(*val, io);
		else
			*val = ioread16(io);
		break;
	case 4:
		if (write)
			iowrite32(*val, io);
		else
			*val = ioread32(io);
		break;
	case 8:
		if (write)
			writeq(*val, io);
		else
			*val = readq(io);
		break;
	}
out:
	up_read(&core->memory_lock);
	return ret;
}

/* A trapped chunk: hooks first, hardware only when they all pass. */
static int vpb_trapped_rw(struct vpb_device *vdev, struct vpb_chain *chain,
			  unsigned int bar, u64 off, u32 size, char __user *ubuf,
			  bool write)
{
	struct vfio_pci_bpf_access acc = { .offset = off, .size = size, .bar = bar };
	int ret;

	if (write) {
		if (copy_from_user(&acc.value, ubuf, size))
			return -EFAULT;
		this_cpu_inc(vdev->stats->trapped_writes);
		ret = vpb_run_access(vdev, chain, VFIO_PCI_BPF_HOOK_BAR_WRITE, &acc);
		if (ret == VFIO_PCI_BPF_PASS)
			ret = vpb_bar_io(vdev, bar, off, size, &acc.value, true, true);
		return ret < 0 ? ret : 0;
	}
	this_cpu_inc(vdev->stats->trapped_reads);
	ret = vpb_run_access(vdev, chain, VFIO_PCI_BPF_HOOK_BAR_READ, &acc);
	if (ret == VFIO_PCI_BPF_PASS)
		ret = vpb_bar_io(vdev, bar, off, size, &acc.value, false, true);
	if (ret < 0)
		return ret;
	return copy_to_user(ubuf, &acc.value, size) ? -EFAULT : 0;
}

/* An access that touches a trapped range, split into natural chunks. */
static ssize_t vpb_bar_rw(struct vpb_device *vdev, struct vpb_chain *chain,
			  unsigned int bar, u64 pos, char __user *buf,
			  size_t count, bool write)
{
	u64 end = pci_resource_len(vdev->core.pdev, bar);
	size_t done = 0;
	int ret;

	/* As vfio-pci-core: nothing past the end, a short access across it. */
	if (pos >= end)
		return -EINVAL;
	count = min_t(u64, count, end - pos);
	while (done < count) {
		u32 size = vpb_chunk(pos + done, count - done, 8);
		u64 val;

		if (vpb_trap_find(chain, bar, pos + done, pos + done + size)) {
			ret = vpb_trapped_rw(vdev, chain, bar, pos + done, size,
					     buf + done, write);
		} else if (write) {
			ret = copy_from_user(&val, buf + done, size) ? -EFAULT :
				vpb_bar_io(vdev, bar, pos + done, size, &val, true, true);
		} else {
			ret = vpb_bar_io(vdev, bar, pos + done, size, &val, false, true);
			if (!ret && copy_to_user(buf + done, &val, size))
				ret = -EFAULT;
		}
		if (ret)
			return done ? done : ret;
		done += size;
	}
	return done;
}

/* Config read: the default virtualized read, then the hooks per dword. */
static ssize_t vpb_config_read(struct vpb_device *vdev, struct vpb_chain *chain,
			       char __user *buf, size_t count, loff_t *ppos)
{
	u64 pos = *ppos & VPB_OFFSET_MASK;
	ssize_t ret, done = 0;
	int verdict;

	ret = vfio_pci_core_read(&vdev->core.vdev, buf, count, ppos);
	while (ret > 0 && done < ret) {
		struct vfio_pci_bpf_access acc = {
			.offset = pos + done,
			.size = vpb_chunk(pos + done, ret - done, 4),
			.bar = VFIO_PCI_BPF_CONFIG_SPACE,
		};

		if (copy_from_user(&acc.value, buf + done, acc.size))
			return -EFAULT;
		verdict = vpb_run_access(vdev, chain, VFIO_PCI_BPF_HOOK_CONFIG_READ, &acc);
		if (verdict < 0)
			return verdict;
		if (copy_to_user(buf + done, &acc.value, acc.size))
			return -EFAULT;
		done += acc.size;
	}
	return ret;
}

/* Config write: the hooks per dword first; dropped chunks never go down. */
static ssize_t vpb_config_write(struct vpb_device *vdev, struct vpb_chain *chain,
				const char __user *buf, size_t count, loff_t *ppos)
{
	u64 pos = *ppos & VPB_OFFSET_MASK, index_base = *ppos - pos;
	size_t done = 0;
	ssize_t ret;

	while (done < count) {
		struct vfio_pci_bpf_access acc = {
			.offset = pos + done,
			.size = vpb_chunk(pos + done, count - done, 4),
			.bar = VFIO_PCI_BPF_CONFIG_SPACE,
		};
		loff_t at = index_base + pos + done;

		if (copy_from_user(&acc.value, buf + done, acc.size))
			return -EFAULT;
		ret = vpb_run_access(vdev, chain, VFIO_PCI_BPF_HOOK_CONFIG_WRITE, &acc);
		if (ret == VFIO_PCI_BPF_PASS)
			ret = vfio_pci_core_write(&vdev->core.vdev, buf + done,
						  acc.size, &at);
		else if (ret == VFIO_PCI_BPF_DROP)
			ret = acc.size;
		if (ret <= 0)
			return done ? done : (ret ? ret : -EIO);
		done += ret;
	}
	*ppos += done;
	return done;
}

static ssize_t vpb_rw(struct vfio_device *core_vdev, char __user *buf,
		      size_t count, loff_t *ppos, bool write)
{
	struct vpb_device *vdev = container_of(core_vdev, struct vpb_device, core.vdev);
	enum vfio_pci_bpf_hook hook = write ? VFIO_PCI_BPF_HOOK_CONFIG_WRITE :
					      VFIO_PCI_BPF_HOOK_CONFIG_READ;
	unsigned int index = VPB_INDEX(*ppos);
	u64 pos = *ppos & VPB_OFFSET_MASK;
	struct vpb_chain *chain;
	bool hooked = false;
	ssize_t ret = 0;
	int idx;

	/* Paths no policy hooks cost one load and a test. */
	if (!vpb_hot(vdev, index == VFIO_PCI_CONFIG_REGION_INDEX ? BIT(hook) :
			   index <= VFIO_PCI_BAR5_REGION_INDEX ? VPB_HOT_BAR(index) : 0))
		goto core;
	idx = srcu_read_lock(&vpb_srcu);
	chain = srcu_dereference(vdev->chain, &vpb_srcu);
	if (chain && index == VFIO_PCI_CONFIG_REGION_INDEX) {
		hooked = chain->hooks & BIT(hook);
		if (hooked)
			ret = write ? vpb_config_write(vdev, chain, buf, count, ppos) :
				      vpb_config_read(vdev, chain, buf, count, ppos);
	} else if (chain && index <= VFIO_PCI_BAR5_REGION_INDEX &&
		   vpb_trap_find(chain, index, pos, pos + count)) {
		hooked = true;
		ret = vpb_bar_rw(vdev, chain, index, pos, buf, count, write);
		if (ret > 0)
			*ppos += ret;
	}
	srcu_read_unlock(&vpb_srcu, idx);
	if (hooked)
		return ret;
core:
	return write ? vfio_pci_core_write(core_vdev, buf, count, ppos) :
		       vfio_pci_core_read(core_vdev, buf, count, ppos);
}

ssize_t vpb_read(struct vfio_device *core_vdev, char __user *buf, size_t count,
		 loff_t *ppos)
{
	return vpb_rw(core_vdev, buf, count, ppos, false);
}

ssize_t vpb_write(struct vfio_device *core_vdev, const char __user *buf,
		  size_t count, loff_t *ppos)
{
	return vpb_rw(core_vdev, (char __user *)buf, count, ppos, true);
}
