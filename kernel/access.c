// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device-fd read and write: config space through the config hooks, and
 * trapped BAR ranges through the BAR hooks.  Everything else goes straight
 * to vfio-pci-core.
 *
 * Every hook judges a kernel copy, and what the VMM's buffer or the device
 * receives is that copy: each user byte is fetched once, a verdict is never
 * undone by a second fetch, and a denied read leaves the buffer untouched.
 */
#include <linux/io.h>
#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "run.h"

/* Largest naturally aligned access at @off that fits in @left bytes. */
static u32 vpb_chunk(u64 off, size_t left, u32 max)
{
	u32 size = max;

	while (size > 1 && ((off & (size - 1)) || size > left))
		size >>= 1;
	return size;
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
			ret = vpb_bar_io_awake(vdev, bar, off, size, &acc.value, true);
		return ret < 0 ? ret : 0;
	}
	this_cpu_inc(vdev->stats->trapped_reads);
	ret = vpb_run_access(vdev, chain, VFIO_PCI_BPF_HOOK_BAR_READ, &acc);
	if (ret == VFIO_PCI_BPF_PASS)
		ret = vpb_bar_io_awake(vdev, bar, off, size, &acc.value, false);
	if (ret < 0)
		return ret;
	return copy_to_user(ubuf, &acc.value, size) ? -EFAULT : 0;
}

/*
 * An access that touches a trapped range, split into natural chunks: the
 * trapped ones run the hooks, the others go to vfio-pci-core as they are,
 * with its rules (MSI-X table, memory decode, power state) intact.
 */
static ssize_t vpb_bar_rw(struct vpb_device *vdev, struct vpb_chain *chain,
			  unsigned int bar, loff_t *ppos, char __user *buf,
			  size_t count, bool write)
{
	u64 pos = *ppos & VPB_OFFSET_MASK, end = pci_resource_len(vdev->core.pdev, bar);
	size_t done = 0;
	ssize_t ret;

	/* As vfio-pci-core: nothing past the end, a short access across it. */
	if (pos >= end)
		return -EINVAL;
	count = min_t(u64, count, end - pos);
	while (done < count) {
		u32 size = vpb_chunk(pos + done, count - done, 8);
		loff_t at = *ppos + done;

		if (vpb_trap_find(chain, bar, pos + done, pos + done + size))
			ret = vpb_trapped_rw(vdev, chain, bar, pos + done, size, buf + done,
					     write) ?: size;
		else if (write)
			ret = vfio_pci_core_write(&vdev->core.vdev, buf + done, size, &at);
		else
			ret = vfio_pci_core_read(&vdev->core.vdev, buf + done, size, &at);
		if (ret <= 0)
			return done ? done : (ret ?: -EIO);
		done += ret;
	}
	*ppos += done;
	return done;
}

/* Bytes (one bit each) where @a and @b differ, over @size bytes. */
static unsigned int vpb_changed_bytes(u64 a, u64 b, u32 size)
{
	unsigned int i, mask = 0;

	for (i = 0; i < size; i++)
		if (((a ^ b) >> (i * 8)) & 0xff)
			mask |= BIT(i);
	return mask;
}

/*
 * What the VMM reads for one config chunk after the chain: vfio-pci-core's
 * virtualized view, except for the bytes the chain changed (all of them
 * when a policy handled the read), which come from the chain's value.
 * Unchanged runs go to the core as they are, changed bytes are copied out
 * once, so the bytes a policy replaced never reach the VMM's buffer.
 */
static noinline int vpb_config_read_out(struct vpb_device *vdev, char __user *buf,
					loff_t at, u32 size, u64 value, unsigned int changed)
{
	u32 i = 0, run;
	ssize_t ret;

	while (i < size) {
		for (run = 0; i + run < size && !!(changed & BIT(i + run)) ==
						       !!(changed & BIT(i)); run++)
			;
		if (changed & BIT(i)) {
			if (copy_to_user(buf + i, (u8 *)&value + i, run))
				return -EFAULT;
		} else {
			loff_t pos = at + i;

			ret = vfio_pci_core_read(&vdev->core.vdev, buf + i, run, &pos);
			if (ret != run)
				return ret < 0 ? ret : -EIO;
		}
		i += run;
	}
	return 0;
}

/*
 * The register as vfio-pci-core's shadow of config space holds it: what
 * the VMM reads for the bits vfio-pci-core virtualizes, and the device's
 * value when it was opened for the others.  Kernel memory: no hardware
 * access, and nothing the VMM can write.
 */
static u64 vpb_config_shadow(struct vpb_device *vdev, u64 offset, u32 size)
{
	const u8 *p = vdev->core.vconfig + offset;

	/* Chunks are naturally aligned and little-endian, as config space is. */
	return size == 4 ? le32_to_cpu(*(const __le32 *)p) :
	       size == 2 ? le16_to_cpu(*(const __le16 *)p) : *p;
}

/*
 * Config read, per naturally aligned chunk of up to a dword: the chain
 * sees the register from vfio-pci-core's shadow (never from the VMM's
 * memory) and may replace bytes of it, handle the read, or deny it.
 */
static ssize_t vpb_config_read(struct vpb_device *vdev, struct vpb_chain *chain,
			       char __user *buf, size_t count, loff_t *ppos)
{
	u64 pos = *ppos & VPB_OFFSET_MASK, base = *ppos - pos;
	struct pci_dev *pdev = vdev->core.pdev;
	size_t done = 0;
	int ret;

	/* vfio-pci-core's answer to an access outside config space. */
	if (pos >= pdev->cfg_size || count > pdev->cfg_size - pos)
		return -EFAULT;
	while (done < count) {
		struct vfio_pci_bpf_access acc = {
			.offset = pos + done,
			.size = vpb_chunk(pos + done, count - done, 4),
			.bar = VFIO_PCI_BPF_CONFIG_SPACE,
		};
		unsigned int changed;
		u64 shadow;

		shadow = vpb_config_shadow(vdev, acc.offset, acc.size);
		acc.value = shadow;
		ret = vpb_run_access(vdev, chain, VFIO_PCI_BPF_HOOK_CONFIG_READ, &acc);
		if (ret < 0)
			return ret;
		if (likely(ret != VFIO_PCI_BPF_HANDLED && acc.value == shadow)) {
			/* Nothing changed: the whole chunk as vfio-pci-core reads it. */
			loff_t at = base + acc.offset;
			ssize_t n = vfio_pci_core_read(&vdev->core.vdev, buf + done, acc.size, &at);

			if (n != acc.size)
				return n < 0 ? n : -EIO;
			done += acc.size;
			continue;
		}
		changed = ret == VFIO_PCI_BPF_HANDLED ? BIT(acc.size) - 1 :
			  vpb_changed_bytes(shadow, acc.value, acc.size);
		ret = vpb_config_read_out(vdev, buf + done, base + acc.offset, acc.size,
					  acc.value, changed);
		if (ret)
			return ret;
		done += acc.size;
	}
	*ppos += done;
	return done;
}

/*
 * Config write, per chunk: the chain judges a kernel copy of the VMM's
 * bytes, and the copy (as the chain left it) is what vfio-pci-core writes;
 * dropped chunks never go down.
 */
static noinline ssize_t vpb_config_write(struct vpb_device *vdev, struct vpb_chain *chain,
					 const char __user *buf, size_t count, loff_t *ppos)
{
	u64 pos = *ppos & VPB_OFFSET_MASK, base = *ppos - pos;
	struct pci_dev *pdev = vdev->core.pdev;
	size_t done = 0;
	ssize_t ret;

	/* vfio-pci-core's answer to an access outside config space. */
	if (pos >= pdev->cfg_size || count > pdev->cfg_size - pos)
		return -EFAULT;
	while (done < count) {
		struct vfio_pci_bpf_access acc = {
			.offset = pos + done,
			.size = vpb_chunk(pos + done, count - done, 4),
			.bar = VFIO_PCI_BPF_CONFIG_SPACE,
		};

		if (copy_from_user(&acc.value, buf + done, acc.size))
			return -EFAULT;
		ret = vpb_run_access(vdev, chain, VFIO_PCI_BPF_HOOK_CONFIG_WRITE, &acc);
		if (ret == VFIO_PCI_BPF_PASS)
			ret = vpb_bounce_config_write(vdev, acc.value, acc.size,
						      base + acc.offset);
		else if (ret == VFIO_PCI_BPF_DROP)
			ret = acc.size;
		if (ret <= 0)
			return done ? done : (ret ?: -EIO);
		done += ret;
	}
	*ppos += done;
	return done;
}

/*
 * A hooked access to a trapped BAR range.  vfio-pci-core wakes the device
 * for its own part; the trapped path does its own hardware access and runs
 * hooks whose kfuncs need the device awake, so it holds the device awake
 * for all of it, as vfio_pci_rw() does.
 */
static ssize_t vpb_hooked_bar(struct vpb_device *vdev, struct vpb_chain *chain,
			      unsigned int index, char __user *buf, size_t count,
			      loff_t *ppos, bool write)
{
	struct pci_dev *pdev = vdev->core.pdev;
	ssize_t ret;

	ret = pm_runtime_resume_and_get(&pdev->dev);
	if (ret) {
		pci_info_ratelimited(pdev, "runtime resume failed %zd\n", ret);
		return -EIO;
	}
	ret = vpb_bar_rw(vdev, chain, index, ppos, buf, count, write);
	pm_runtime_put(&pdev->dev);
	return ret;
}

/*
 * An access the hot mask says may be hooked: under the device's SRCU, look
 * at the chain itself.  Config space (@config) and the BARs get a copy
 * each, so that neither carries the other's frame.
 */
static __always_inline ssize_t vpb_rw_chained(struct vpb_device *vdev, char __user *buf,
					      size_t count, loff_t *ppos, bool write,
					      bool config)
{
	enum vfio_pci_bpf_hook hook = write ? VFIO_PCI_BPF_HOOK_CONFIG_WRITE :
					      VFIO_PCI_BPF_HOOK_CONFIG_READ;
	unsigned int index = VPB_INDEX(*ppos);
	u64 pos = *ppos & VPB_OFFSET_MASK;
	struct vpb_chain *chain;
	bool hooked = false;
	ssize_t ret = 0;
	int idx;

	if (!count)
		goto core;
	idx = srcu_read_lock(&vdev->srcu);
	chain = srcu_dereference(vdev->chain, &vdev->srcu);
	if (chain && config)
		hooked = chain->hooks & BIT(hook);
	else if (chain)
		hooked = vpb_trap_find(chain, index, pos, pos + min_t(u64, count, U64_MAX - pos));
	/* Config writes are rare enough to stay out of line. */
	if (hooked && !config)
		ret = vpb_hooked_bar(vdev, chain, index, buf, count, ppos, write);
	else if (hooked && write)
		ret = vpb_config_write(vdev, chain, buf, count, ppos);
	else if (hooked)
		ret = vpb_config_read(vdev, chain, buf, count, ppos);
	srcu_read_unlock(&vdev->srcu, idx);
	if (hooked)
		return ret;
core:
	return write ? vfio_pci_core_write(&vdev->core.vdev, buf, count, ppos) :
		       vfio_pci_core_read(&vdev->core.vdev, buf, count, ppos);
}

/* Out of line, so that the unhooked paths below build no frame and end in a tail call. */
static noinline ssize_t vpb_config_slow(struct vpb_device *vdev, char __user *buf,
					size_t count, loff_t *ppos, bool write)
{
	return vpb_rw_chained(vdev, buf, count, ppos, write, true);
}

static noinline ssize_t vpb_bar_slow(struct vpb_device *vdev, char __user *buf,
				     size_t count, loff_t *ppos, bool write)
{
	return vpb_rw_chained(vdev, buf, count, ppos, write, false);
}

enum vpb_may { VPB_NOT_HOOKED, VPB_CONFIG_HOOKED, VPB_BAR_HOOKED };

/* Whether an access at @pos may run hooks; without any policy, one load. */
static __always_inline enum vpb_may vpb_may_hook(struct vpb_device *vdev, loff_t pos,
						 bool write)
{
	unsigned long hot = READ_ONCE(vdev->hot);
	unsigned int index;

	if (likely(!hot))
		return VPB_NOT_HOOKED;
	index = VPB_INDEX(pos);
	if (index == VFIO_PCI_CONFIG_REGION_INDEX)
		return hot & BIT(write ? VFIO_PCI_BPF_HOOK_CONFIG_WRITE :
					 VFIO_PCI_BPF_HOOK_CONFIG_READ) ?
		       VPB_CONFIG_HOOKED : VPB_NOT_HOOKED;
	return index <= VFIO_PCI_BAR5_REGION_INDEX && (hot & VPB_HOT_BAR(index)) ?
	       VPB_BAR_HOOKED : VPB_NOT_HOOKED;
}

ssize_t vpb_read(struct vfio_device *core_vdev, char __user *buf, size_t count,
		 loff_t *ppos)
{
	struct vpb_device *vdev = container_of(core_vdev, struct vpb_device, core.vdev);

	switch (vpb_may_hook(vdev, *ppos, false)) {
	case VPB_CONFIG_HOOKED:
		return vpb_config_slow(vdev, buf, count, ppos, false);
	case VPB_BAR_HOOKED:
		return vpb_bar_slow(vdev, buf, count, ppos, false);
	default:
		return vfio_pci_core_read(core_vdev, buf, count, ppos);
	}
}

ssize_t vpb_write(struct vfio_device *core_vdev, const char __user *buf,
		  size_t count, loff_t *ppos)
{
	struct vpb_device *vdev = container_of(core_vdev, struct vpb_device, core.vdev);

	switch (vpb_may_hook(vdev, *ppos, true)) {
	case VPB_CONFIG_HOOKED:
		return vpb_config_slow(vdev, (char __user *)buf, count, ppos, true);
	case VPB_BAR_HOOKED:
		return vpb_bar_slow(vdev, (char __user *)buf, count, ppos, true);
	default:
		return vfio_pci_core_write(core_vdev, buf, count, ppos);
	}
}
