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

/* An access's bytes in the size's own type. */
union vpb_sized {
	u8 b;
	u16 w;
	u32 l;
	u64 q;
};

/*
 * The @size bytes at @ubuf as the number a hook sees, each in the size's
 * own type: config space holds little-endian registers; a BAR's bytes go
 * to vfio-pci-core's I/O helpers as the CPU's number, as its own
 * vfio_pci_core_do_io_rw() passes them.
 */
static int vpb_value_from_user(u64 *val, const void __user *ubuf, u32 size, bool config)
{
	union vpb_sized v;

	if (copy_from_user(&v, ubuf, size))
		return -EFAULT;
	switch (size) {
	case 1:
		*val = v.b;
		break;
	case 2:
		*val = config ? le16_to_cpu((__force __le16)v.w) : v.w;
		break;
	case 4:
		*val = config ? le32_to_cpu((__force __le32)v.l) : v.l;
		break;
	default:
		*val = config ? le64_to_cpu((__force __le64)v.q) : v.q;
		break;
	}
	return 0;
}

/* The inverse of vpb_value_from_user(), for a BAR's bytes. */
static int vpb_value_to_user(void __user *ubuf, u64 val, u32 size)
{
	union vpb_sized v;

	switch (size) {
	case 1:
		v.b = val;
		break;
	case 2:
		v.w = val;
		break;
	case 4:
		v.l = val;
		break;
	default:
		v.q = val;
		break;
	}
	return copy_to_user(ubuf, &v, size) ? -EFAULT : 0;
}

/*
 * The chain's verdict on one access, under the device's SRCU and nothing
 * else: what runs there never touches the VMM's memory or the hardware,
 * so a VMM whose buffer faults forever can never hold a chain change up.
 */
static __always_inline int vpb_judge(struct vpb_device *vdev, enum vfio_pci_bpf_hook hook,
				     struct vfio_pci_bpf_access *acc)
{
	struct vpb_chain *chain;
	int idx, ret = VFIO_PCI_BPF_PASS;

	idx = srcu_read_lock(&vdev->srcu);
	chain = srcu_dereference(vdev->chain, &vdev->srcu);
	if (chain)
		ret = vpb_run_access(vdev, chain, hook, acc);
	srcu_read_unlock(&vdev->srcu, idx);
	return ret;
}

/* A chunk of a BAR access that no trap covers. */
#define VPB_UNTRAPPED 2

/*
 * As vpb_judge(), for a chunk of a BAR access: VPB_UNTRAPPED when no trap
 * covers it.  When @span_trapped is given, it says whether a trap covers
 * any of [acc->offset, @span_end) too: the first chunk of an access asks,
 * so that one SRCU section tells an untrapped access from a trapped one
 * and judges an access of one chunk.
 */
static int vpb_judge_bar(struct vpb_device *vdev, struct vfio_pci_bpf_access *acc, bool write,
			 u64 span_end, bool *span_trapped)
{
	enum vfio_pci_bpf_hook hook = write ? VFIO_PCI_BPF_HOOK_BAR_WRITE :
					      VFIO_PCI_BPF_HOOK_BAR_READ;
	struct vpb_chain *chain;
	int idx, ret = VPB_UNTRAPPED;

	idx = srcu_read_lock(&vdev->srcu);
	chain = srcu_dereference(vdev->chain, &vdev->srcu);
	if (span_trapped)
		*span_trapped = vpb_trap_find(chain, acc->bar, acc->offset, span_end);
	if (vpb_trap_find(chain, acc->bar, acc->offset, acc->offset + acc->size)) {
		if (write)
			this_cpu_inc(vdev->stats->trapped_writes);
		else
			this_cpu_inc(vdev->stats->trapped_reads);
		ret = vpb_run_access(vdev, chain, hook, acc);
	}
	srcu_read_unlock(&vdev->srcu, idx);
	return ret;
}

/*
 * A BAR access on a BAR with traps, per natural chunk: the trapped chunks
 * run the hooks, hardware only when they all pass; the others go to
 * vfio-pci-core as they are, with its rules (MSI-X table, memory decode,
 * power state) intact.  Each hook judges a kernel copy of the VMM's bytes,
 * and that copy is what reaches the device.  The device is held awake for
 * all of it, as vfio_pci_rw() does, since the hooks' kfuncs need it so.
 */
static ssize_t vpb_bar_rw(struct vpb_device *vdev, char __user *buf, size_t count,
			  loff_t *ppos, bool write)
{
	unsigned int bar = VPB_INDEX(*ppos);
	u64 pos = *ppos & VPB_OFFSET_MASK, end = pci_resource_len(vdev->core.pdev, bar);
	bool span_trapped = true;
	size_t done = 0;
	ssize_t ret = 0;

	/* As vfio-pci-core: nothing past the end, a short access across it. */
	if (pos >= end)
		return -EINVAL;
	count = min_t(u64, count, end - pos);
	while (done < count) {
		struct vfio_pci_bpf_access acc = {
			.offset = pos + done,
			.size = vpb_chunk(pos + done, count - done, 8),
			.bar = bar,
		};
		loff_t at = *ppos + done;

		if (write && vpb_value_from_user(&acc.value, buf + done, acc.size, false)) {
			ret = -EFAULT;
			break;
		}
		ret = vpb_judge_bar(vdev, &acc, write, pos + count, done ? NULL : &span_trapped);
		if (!span_trapped)
			return write ? vfio_pci_core_write(&vdev->core.vdev, buf, count, ppos) :
				       vfio_pci_core_read(&vdev->core.vdev, buf, count, ppos);
		if (ret == VPB_UNTRAPPED) {
			ret = write ? vfio_pci_core_write(&vdev->core.vdev, buf + done, acc.size, &at) :
				      vfio_pci_core_read(&vdev->core.vdev, buf + done, acc.size, &at);
		} else if (ret >= 0) {
			/* PASS goes to the hardware; HANDLED answered already. */
			if (ret == VFIO_PCI_BPF_PASS)
				ret = vpb_bar_io_awake(vdev, bar, acc.offset, acc.size, &acc.value,
						       write);
			else
				ret = 0;
			if (!ret && !write)
				ret = vpb_value_to_user(buf + done, acc.value, acc.size);
			if (!ret)
				ret = acc.size;
		}
		if (ret <= 0)
			break;
		done += ret;
	}
	if (!done)
		return ret ?: -EIO;
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
	__le64 bytes = cpu_to_le64(value);
	u32 i = 0, run;
	ssize_t ret;

	while (i < size) {
		for (run = 0; i + run < size && !!(changed & BIT(i + run)) ==
						       !!(changed & BIT(i)); run++)
			;
		if (changed & BIT(i)) {
			if (copy_to_user(buf + i, (u8 *)&bytes + i, run))
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
static ssize_t vpb_config_read(struct vpb_device *vdev, char __user *buf, size_t count,
			       loff_t *ppos)
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
		ret = vpb_judge(vdev, VFIO_PCI_BPF_HOOK_CONFIG_READ, &acc);
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
static noinline ssize_t vpb_config_write(struct vpb_device *vdev, const char __user *buf,
					 size_t count, loff_t *ppos)
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

		if (vpb_value_from_user(&acc.value, buf + done, acc.size, true))
			return done ? done : -EFAULT;
		ret = vpb_judge(vdev, VFIO_PCI_BPF_HOOK_CONFIG_WRITE, &acc);
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

/* Out of line, so that the unhooked paths below build no frame and end in a tail call. */
static noinline ssize_t vpb_config_slow(struct vpb_device *vdev, char __user *buf,
					size_t count, loff_t *ppos, bool write)
{
	if (!count)
		return write ? vfio_pci_core_write(&vdev->core.vdev, buf, count, ppos) :
			       vfio_pci_core_read(&vdev->core.vdev, buf, count, ppos);
	return write ? vpb_config_write(vdev, buf, count, ppos) :
		       vpb_config_read(vdev, buf, count, ppos);
}

static noinline ssize_t vpb_bar_slow(struct vpb_device *vdev, char __user *buf,
				     size_t count, loff_t *ppos, bool write)
{
	struct pci_dev *pdev = vdev->core.pdev;
	ssize_t ret;

	if (!count)
		return write ? vfio_pci_core_write(&vdev->core.vdev, buf, count, ppos) :
			       vfio_pci_core_read(&vdev->core.vdev, buf, count, ppos);
	ret = pm_runtime_resume_and_get(&pdev->dev);
	if (ret) {
		pci_info_ratelimited(pdev, "runtime resume failed %zd\n", ret);
		return -EIO;
	}
	ret = vpb_bar_rw(vdev, buf, count, ppos, write);
	pm_runtime_put(&pdev->dev);
	return ret;
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
