// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/pci_regs.h>

#include "errname.h"
#include "generic.h"
#include "pci.h"

static void check_info(struct vc_dev *dev, struct vc_checks *c)
{
	const struct vfio_device_info *i = &dev->info;

	vc_check(c,
		 (i->flags & VFIO_DEVICE_FLAGS_PCI) && i->num_regions >= VFIO_PCI_NUM_REGIONS &&
			 i->num_irqs >= VFIO_PCI_NUM_IRQS,
		 "device-info", "flags 0x%x num_regions %u num_irqs %u, want PCI, >= %u, >= %u",
		 i->flags, i->num_regions, i->num_irqs, VFIO_PCI_NUM_REGIONS, VFIO_PCI_NUM_IRQS);
}

static unsigned long sysfs_hex(struct vc_dev *dev, const char *attr, int *err)
{
	char buf[32];

	*err = vc_sysfs_read(dev, attr, buf, sizeof(buf));
	return *err ? 0 : strtoul(buf, NULL, 16);
}

/*
 * VFs have no vendor/device ID in hardware (reads give 0xffff); vfio-pci
 * fills in the values the PCI core knows, which are also sysfs's.
 */
static void check_ids(struct vc_dev *dev, const uint8_t *cfg, size_t len, struct vc_checks *c)
{
	int e1, e2;
	unsigned long vendor = sysfs_hex(dev, "vendor", &e1);
	unsigned long device = sysfs_hex(dev, "device", &e2);
	uint16_t cv = vc_cfg16(cfg, len, PCI_VENDOR_ID), cd = vc_cfg16(cfg, len, PCI_DEVICE_ID);

	vc_check(c, !e1 && !e2 && cv == vendor && cd == device, "config-ids",
		 "config %04x:%04x, sysfs %04lx:%04lx (%s/%s)", cv, cd, vendor, device,
		 vc_errname(e1), vc_errname(e2));
}

static off_t sysfs_size(struct vc_dev *dev, const char *attr, int *err)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dev->sysfs, attr);
	*err = stat(path, &st) ? -errno : 0;
	return *err ? 0 : st.st_size;
}

static void check_config_size(struct vc_dev *dev, struct vc_checks *c)
{
	int err;
	off_t size = sysfs_size(dev, "config", &err);

	vc_check(c, !err && (uint64_t)size == dev->cfg_size, "config-size",
		 "region 0x%llx, sysfs config 0x%llx (%s)", (unsigned long long)dev->cfg_size,
		 (unsigned long long)size, vc_errname(err));
}

static void check_bar0(struct vc_dev *dev, struct vc_checks *c)
{
	struct vfio_region_info *bar0;
	uint32_t v;
	size_t len;
	off_t size;
	void *map;
	ssize_t n;
	int ret, err;

	ret = vc_region_info(dev, VFIO_PCI_BAR0_REGION_INDEX, &bar0, &len);
	if (!vc_check(c, !ret, "bar0-info", "%s", vc_errname(ret)))
		return;
	size = sysfs_size(dev, "resource0", &err);
	vc_check(c, bar0->size > 0 && !err && (uint64_t)size == bar0->size, "bar0-size",
		 "region 0x%llx, sysfs resource0 0x%llx (%s)", (unsigned long long)bar0->size,
		 (unsigned long long)size, vc_errname(err));
	if (!bar0->size)
		goto out;
	n = vc_pread(dev, &v, 4, bar0->offset);
	vc_check(c, n == 4, "bar0-pread", "pread: %s", n < 0 ? vc_errname((int)n) : "short");
	if (!(bar0->flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		printf("skip bar0-mmap: region has no MMAP flag\n");
		goto out;
	}
	ret = vc_mmap(dev, bar0->offset, 0, bar0->size, PROT_READ | PROT_WRITE, MAP_SHARED, &map);
	if (vc_check(c, !ret, "bar0-mmap", "%s", vc_errname(ret))) {
		ret = vc_mmio_read(map, &v, 4);
		vc_check(c, !ret, "bar0-mmap-read", "SIGBUS");
		munmap(map, bar0->size);
	}
out:
	free(bar0);
}

static void check_reset(struct vc_dev *dev, struct vc_checks *c)
{
	bool flag = dev->info.flags & VFIO_DEVICE_FLAGS_RESET;
	char path[128];
	bool sysfs;
	int ret;

	/* The PCI core offers sysfs "reset" exactly when it has a reset method. */
	snprintf(path, sizeof(path), "%s/reset", dev->sysfs);
	sysfs = access(path, F_OK) == 0;
	vc_check(c, flag == sysfs, "reset-flag", "VFIO_DEVICE_FLAGS_RESET %d, sysfs reset %d", flag,
		 sysfs);
	ret = ioctl(dev->device, VFIO_DEVICE_RESET) ? -errno : 0;
	if (flag)
		vc_check(c, !ret, "reset", "VFIO_DEVICE_RESET: %s", vc_errname(ret));
	else
		vc_check(c, ret == -EINVAL, "reset", "VFIO_DEVICE_RESET without RESET flag: %s",
			 ret ? vc_errname(ret) : "succeeded");
}

static void check_irqs(struct vc_dev *dev, const uint8_t *cfg, size_t len, struct vc_checks *c)
{
	unsigned int msix = vc_pci_find_cap(cfg, len, PCI_CAP_ID_MSIX);
	unsigned int msi = vc_pci_find_cap(cfg, len, PCI_CAP_ID_MSI);
	uint32_t want_msix = msix ? (vc_cfg16(cfg, len, msix + PCI_MSIX_FLAGS) & 0x7ff) + 1 : 0;
	uint32_t want_msi = msi ? 1u << ((vc_cfg16(cfg, len, msi + PCI_MSI_FLAGS) >> 1) & 7) : 0;
	struct vfio_irq_info irq;
	int ret;

	ret = vc_irq_info(dev, VFIO_PCI_MSIX_IRQ_INDEX, &irq);
	vc_check(c,
		 !ret && irq.count == want_msix &&
			 (!irq.count || irq.flags & VFIO_IRQ_INFO_EVENTFD),
		 "irq-msix", "%s count %u flags 0x%x, config space says %u vectors",
		 vc_errname(ret), irq.count, irq.flags, want_msix);
	ret = vc_irq_info(dev, VFIO_PCI_MSI_IRQ_INDEX, &irq);
	vc_check(c, !ret && irq.count == want_msi, "irq-msi",
		 "%s count %u, config space says %u vectors", vc_errname(ret), irq.count, want_msi);
	/* vfio-pci hides INTx of VFs and of nointx devices by clearing the pin. */
	ret = vc_irq_info(dev, VFIO_PCI_INTX_IRQ_INDEX, &irq);
	vc_check(c, !ret && irq.count == (cfg[PCI_INTERRUPT_PIN] ? 1u : 0u), "irq-intx",
		 "%s count %u, config interrupt pin %u", vc_errname(ret), irq.count,
		 cfg[PCI_INTERRUPT_PIN]);
}

void vc_generic_checks(struct vc_dev *dev, struct vc_checks *c)
{
	uint8_t *cfg = calloc(1, dev->cfg_size);
	uint32_t off;
	int ret = 0;

	check_info(dev, c);
	check_config_size(dev, c);
	if (!cfg || dev->cfg_size < PCI_STD_HEADER_SIZEOF) {
		vc_check(c, false, "config-read", "config region size 0x%llx",
			 (unsigned long long)dev->cfg_size);
		free(cfg);
		return;
	}
	/* Past the standard header, reads may fail on some devices; that is fine. */
	for (off = 0; off < dev->cfg_size; off += 4) {
		int err = vc_cfg_read(dev, off, cfg + off, 4);

		if (off < PCI_STD_HEADER_SIZEOF && err && !ret)
			ret = err;
	}
	vc_check(c, !ret, "config-read", "standard header: %s", vc_errname(ret));
	check_ids(dev, cfg, dev->cfg_size, c);
	/* BAR access needs memory decode on, as a guest would set it. */
	ret = vc_cmd_set(dev, PCI_COMMAND_MEMORY, NULL);
	vc_check(c, !ret, "memory-enable", "command register: %s", vc_errname(ret));
	check_bar0(dev, c);
	check_irqs(dev, cfg, dev->cfg_size, c);
	check_reset(dev, c);
	free(cfg);
}
