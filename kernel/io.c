// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device's hardware as the module and its policies reach it, under
 * vfio-pci-core's rules: BAR access only while the device is enabled, with
 * a runtime-PM reference, under memory_lock, and only while memory decode
 * is on and the function is in D0 -- through the core's own I/O helpers.
 * Config space writes only where vfio-pci-core itself writes raw.
 *
 * Two flavours: one for process context (the trapped VMM path and
 * sleepable kfuncs), which may wake the device and wait for memory_lock,
 * and one for BPF programs that may not sleep, which only try.
 */
#include <linux/pci.h>
#include <linux/pm_runtime.h>

#include "vpb.h"

/* vfio-pci-core's private markers in pci_config_map (vfio_pci_priv.h). */
#define VPB_CAP_ID_RAW 0xff

int vpb_bar_check(struct pci_dev *pdev, u32 bar, u64 off, u32 size)
{
	u64 len;

	if (bar >= VFIO_PCI_BPF_NUM_BARS || !(pci_resource_flags(pdev, bar) & IORESOURCE_MEM))
		return -EINVAL;
	if ((size != 1 && size != 2 && size != 4 && size != 8) || (off & (size - 1)))
		return -EINVAL;
	len = pci_resource_len(pdev, bar);
	if (off >= len || size > len - off)
		return -EINVAL;
	return 0;
}

/* One access through vfio-pci-core's helpers; @test_mem as theirs. */
static int vpb_bar_helper(struct vfio_pci_core_device *core, void __iomem *io, u32 size,
			  u64 *val, bool write, bool test_mem)
{
	u32 v32;
	u16 v16;
	u8 v8;
	int ret;

	switch (size) {
	case 1:
		if (write)
			return vfio_pci_core_iowrite8(core, test_mem, *val, io);
		ret = vfio_pci_core_ioread8(core, test_mem, &v8, io);
		*val = v8;
		return ret;
	case 2:
		if (write)
			return vfio_pci_core_iowrite16(core, test_mem, *val, io);
		ret = vfio_pci_core_ioread16(core, test_mem, &v16, io);
		*val = v16;
		return ret;
	case 4:
		if (write)
			return vfio_pci_core_iowrite32(core, test_mem, *val, io);
		ret = vfio_pci_core_ioread32(core, test_mem, &v32, io);
		*val = v32;
		return ret;
	default:
		if (write)
			return vfio_pci_core_iowrite64(core, test_mem, *val, io);
		return vfio_pci_core_ioread64(core, test_mem, val, io);
	}
}

/*
 * Process context, device open, with a runtime-PM reference held (the
 * caller woke the device as vfio_pci_rw() does): the helper takes
 * memory_lock and refuses (-EIO) a BAR whose memory decode is off or a
 * function in D3.
 */
int vpb_bar_io_awake(struct vpb_device *vdev, unsigned int bar, u64 off, u32 size,
		     u64 *val, bool write)
{
	struct vfio_pci_core_device *core = &vdev->core;
	void __iomem *io;
	int ret;

	ret = vpb_bar_check(core->pdev, bar, off, size);
	if (ret)
		return ret;
	if (!READ_ONCE(vdev->enabled))
		return -ENXIO;
	io = vfio_pci_core_get_iomap(core, bar);
	if (IS_ERR(io))
		return PTR_ERR(io);
	return vpb_bar_helper(core, io + off, size, val, write, true);
}

/* As vpb_bar_io_awake(), waking the device for the access. */
int vpb_bar_io(struct vpb_device *vdev, unsigned int bar, u64 off, u32 size,
	       u64 *val, bool write)
{
	struct device *dev = &vdev->core.pdev->dev;
	int ret;

	ret = pm_runtime_resume_and_get(dev);
	if (ret) {
		pci_info_ratelimited(vdev->core.pdev, "runtime resume failed %d\n", ret);
		return -EIO;
	}
	ret = vpb_bar_io_awake(vdev, bar, off, size, val, write);
	pm_runtime_put(dev);
	return ret;
}

/* vfio-pci-core's __vfio_pci_memory_enabled(), which it does not export. */
static bool vpb_memory_enabled(struct vfio_pci_core_device *core)
{
	u16 cmd = le16_to_cpu(*(__le16 *)&core->vconfig[PCI_COMMAND]);

	return core->pdev->current_state < PCI_D3hot &&
	       (core->pdev->no_command_memory || (cmd & PCI_COMMAND_MEMORY));
}

/*
 * From a BPF program that may not sleep: the device must already be awake
 * (-EIO otherwise) and memory_lock free of writers (-EBUSY: a reset or a
 * decode change is in progress); the BAR was mapped at open.
 */
int vpb_bar_io_atomic(struct vpb_device *vdev, unsigned int bar, u64 off,
		      u32 size, u64 *val, bool write)
{
	struct vfio_pci_core_device *core = &vdev->core;
	struct device *dev = &core->pdev->dev;
	void __iomem *io;
	int pm, ret;

	ret = vpb_bar_check(core->pdev, bar, off, size);
	if (ret)
		return ret;
	/* A BAR that failed to map holds NULL or an ERR_PTR (compat.h). */
	io = READ_ONCE(core->barmap[bar]);
	if (!READ_ONCE(vdev->enabled) || IS_ERR_OR_NULL(io))
		return -ENXIO;
	/* Negative: runtime PM is off for the device, which then stays on. */
	pm = pm_runtime_get_if_active(dev);
	if (!pm)
		return -EIO;
	if (!down_read_trylock(&core->memory_lock)) {
		ret = -EBUSY;
		goto out_pm;
	}
	if (vpb_memory_enabled(core))
		ret = vpb_bar_helper(core, io + off, size, val, write, false);
	else
		ret = -EIO;
	up_read(&core->memory_lock);
out_pm:
	if (pm > 0)
		pm_runtime_put(dev);
	return ret;
}

/*
 * BARs the kfuncs reach must be mapped before a BPF program may need them,
 * where ioremap cannot run: map the memory BARs when the device is enabled,
 * as vfio-pci-core would on the first device-fd access (newer kernels map
 * them all at enable: compat.h).  vfio-pci-core unmaps them when it
 * disables the device.  A BAR that cannot be mapped only makes those
 * kfuncs fail.
 */
void vpb_map_bars(struct vpb_device *vdev)
{
	int bar;

	for (bar = 0; bar < VFIO_PCI_BPF_NUM_BARS; bar++)
		if (pci_resource_len(vdev->core.pdev, bar) &&
		    (pci_resource_flags(vdev->core.pdev, bar) & IORESOURCE_MEM) &&
		    IS_ERR(vfio_pci_core_get_iomap(&vdev->core, bar)))
			pci_dbg(vdev->core.pdev, "BAR %d not mapped\n", bar);
}

int vpb_config_check(struct pci_dev *pdev, u32 offset, u32 size)
{
	if ((size != 1 && size != 2 && size != 4) || (offset & (size - 1)))
		return -EINVAL;
	if (offset >= pdev->cfg_size || size > pdev->cfg_size - offset)
		return -EINVAL;
	return 0;
}

/*
 * Bytes vfio-pci-core passes to the device untouched: space no capability
 * claims, and vendor-specific capabilities.  Everything else (the header
 * with COMMAND and the BARs, PM, MSI, MSI-X, PCIe, SR-IOV, ACS, ...) it
 * virtualizes or guards, and a kfunc must not write around it.
 */
static bool vpb_config_raw(struct vfio_pci_core_device *core, u32 offset, u32 size)
{
	u32 i;

	for (i = offset; i < offset + size; i++) {
		u8 id = core->pci_config_map[i];

		if (i < PCI_STD_HEADER_SIZEOF)
			return false;
		if (id == VPB_CAP_ID_RAW)
			continue;
		if (i < PCI_CFG_SPACE_SIZE ? id != PCI_CAP_ID_VNDR :
		    id != PCI_EXT_CAP_ID_VNDR && id != PCI_EXT_CAP_ID_DVSEC)
			return false;
	}
	return true;
}

/*
 * Config space from a BPF program that may not sleep.  Reads see the
 * device's own registers.  Writes need the device enabled (-ENXIO) and
 * land only where vfio-pci-core writes raw (-EPERM elsewhere).  While the
 * PCI core blocks user config access (a reset), both fail with -EBUSY.
 *
 * Power, as for the BARs: a write needs the device awake, and holds it
 * awake (-EIO while a VMM keeps it in a low-power state, which the kfunc
 * may not undo).  A read of a suspended function is fine in D3hot, where
 * config space answers; in D3cold the function is off, and a read fails
 * with -EIO instead of returning all ones.
 */
int vpb_config_io_atomic(struct vpb_device *vdev, u32 offset, u32 size,
			 u64 *val, bool write)
{
	struct pci_dev *pdev = vdev->core.pdev;
	u32 v32 = 0;
	u16 v16 = 0;
	u8 v8 = 0;
	int pm, ret;

	ret = vpb_config_check(pdev, offset, size);
	if (ret)
		return ret;
	if (write && !READ_ONCE(vdev->enabled))
		return -ENXIO;
	if (write && !vpb_config_raw(&vdev->core, offset, size))
		return -EPERM;
	/* Negative: runtime PM is off for the device, which then stays on. */
	pm = pm_runtime_get_if_active(&pdev->dev);
	if (!pm && (write || READ_ONCE(pdev->current_state) == PCI_D3cold))
		return -EIO;
	if (!pci_cfg_access_trylock(pdev)) {
		ret = -EBUSY;
		goto out_pm;
	}
	if (write) {
		if (size == 1)
			ret = pci_write_config_byte(pdev, offset, *val);
		else if (size == 2)
			ret = pci_write_config_word(pdev, offset, *val);
		else
			ret = pci_write_config_dword(pdev, offset, *val);
	} else {
		if (size == 1)
			ret = pci_read_config_byte(pdev, offset, &v8);
		else if (size == 2)
			ret = pci_read_config_word(pdev, offset, &v16);
		else
			ret = pci_read_config_dword(pdev, offset, &v32);
		*val = size == 1 ? v8 : size == 2 ? v16 : v32;
	}
	pci_cfg_access_unlock(pdev);
	ret = pcibios_err_to_errno(ret);
out_pm:
	if (pm > 0)
		pm_runtime_put(&pdev->dev);
	return ret;
}
