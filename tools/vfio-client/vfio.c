// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/pci_regs.h>

#include "vfio.h"

static int step_fail(char *step, size_t steplen, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(step, steplen, fmt, ap);
	va_end(ap);
	return -err;
}

static int group_of(struct vc_dev *dev, char *step, size_t steplen)
{
	char link[256], path[128];
	ssize_t n;
	struct stat st;

	if (stat(dev->sysfs, &st))
		return step_fail(step, steplen, errno, "PCI device %s", dev->bdf);
	snprintf(path, sizeof(path), "%s/iommu_group", dev->sysfs);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return step_fail(step, steplen, errno, "IOMMU group of %s", dev->bdf);
	link[n] = '\0';
	if (sscanf(basename(link), "%d", &dev->group_id) != 1)
		return step_fail(step, steplen, EINVAL, "IOMMU group link %s", link);
	return 0;
}

static int open_container(struct vc_dev *dev, char *step, size_t steplen)
{
	int type;

	dev->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (dev->container < 0)
		return step_fail(step, steplen, errno, "open /dev/vfio/vfio");
	if (ioctl(dev->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return step_fail(step, steplen, EINVAL, "VFIO_GET_API_VERSION");
	/* v2 fixes unmap semantics; plain type1 is what older kernels offer. */
	if (ioctl(dev->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0)
		type = VFIO_TYPE1v2_IOMMU;
	else if (ioctl(dev->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0)
		type = VFIO_TYPE1_IOMMU;
	else
		return step_fail(step, steplen, ENODEV, "VFIO_CHECK_EXTENSION(TYPE1)");
	if (ioctl(dev->group, VFIO_GROUP_SET_CONTAINER, &dev->container))
		return step_fail(step, steplen, errno, "VFIO_GROUP_SET_CONTAINER");
	if (ioctl(dev->container, VFIO_SET_IOMMU, type))
		return step_fail(step, steplen, errno, "VFIO_SET_IOMMU");
	return 0;
}

static int open_device(struct vc_dev *dev, char *step, size_t steplen)
{
	struct vfio_region_info cfg = { .argsz = sizeof(cfg) };

	dev->device = ioctl(dev->group, VFIO_GROUP_GET_DEVICE_FD, dev->bdf);
	if (dev->device < 0)
		return step_fail(step, steplen, errno, "VFIO_GROUP_GET_DEVICE_FD %s", dev->bdf);
	dev->info.argsz = sizeof(dev->info);
	if (ioctl(dev->device, VFIO_DEVICE_GET_INFO, &dev->info))
		return step_fail(step, steplen, errno, "VFIO_DEVICE_GET_INFO");
	if (!(dev->info.flags & VFIO_DEVICE_FLAGS_PCI))
		return step_fail(step, steplen, ENODEV, "%s is not a vfio PCI device", dev->bdf);
	cfg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(dev->device, VFIO_DEVICE_GET_REGION_INFO, &cfg))
		return step_fail(step, steplen, errno, "VFIO_DEVICE_GET_REGION_INFO(CONFIG)");
	dev->cfg_offset = cfg.offset;
	dev->cfg_size = cfg.size;
	return 0;
}

int vc_open(struct vc_dev *dev, const struct vc_bdf *bdf, char *step, size_t steplen)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int ret;

	memset(dev, 0, sizeof(*dev));
	dev->container = dev->group = dev->device = dev->mig_fd = -1;
	vc_bdf_format(bdf, dev->bdf);
	snprintf(dev->sysfs, sizeof(dev->sysfs), "/sys/bus/pci/devices/%s", dev->bdf);

	ret = group_of(dev, step, steplen);
	if (ret)
		goto fail;
	snprintf(path, sizeof(path), "/dev/vfio/%d", dev->group_id);
	dev->group = open(path, O_RDWR | O_CLOEXEC);
	if (dev->group < 0) {
		ret = step_fail(step, steplen, errno, "open %s%s", path,
				errno == ENOENT ? " (is the device bound to a vfio driver?)" : "");
		goto fail;
	}
	if (ioctl(dev->group, VFIO_GROUP_GET_STATUS, &status)) {
		ret = step_fail(step, steplen, errno, "VFIO_GROUP_GET_STATUS");
		goto fail;
	}
	/* EBUSY is what the kernel itself answers when it claims a non-viable group. */
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		ret = step_fail(step, steplen, EBUSY,
				"group %d not viable (bind all its devices to vfio drivers)",
				dev->group_id);
		goto fail;
	}
	ret = open_container(dev, step, steplen);
	if (ret)
		goto fail;
	ret = open_device(dev, step, steplen);
	if (ret)
		goto fail;
	return 0;
fail:
	vc_close(dev);
	return ret;
}

void vc_close(struct vc_dev *dev)
{
	if (dev->mig_fd >= 0)
		close(dev->mig_fd);
	if (dev->device >= 0)
		close(dev->device);
	if (dev->group >= 0)
		close(dev->group);
	if (dev->container >= 0)
		close(dev->container);
	dev->device = dev->group = dev->container = dev->mig_fd = -1;
}

/*
 * The argsz protocol: call with the fixed size, and if the kernel asks for
 * more (capabilities follow), call again with a buffer of that size.
 */
static int info_ioctl(int fd, unsigned long req, const void *in, size_t fixed, void **out,
		      size_t *len)
{
	size_t size = fixed;
	void *buf = NULL;
	int tries;

	for (tries = 0; tries < 3; tries++) {
		void *nb = realloc(buf, size);
		uint32_t argsz;

		if (!nb) {
			free(buf);
			return -ENOMEM;
		}
		buf = nb;
		memset(buf, 0, size);
		memcpy(buf, in, fixed);
		memcpy(buf, &(uint32_t){ (uint32_t)size }, sizeof(uint32_t));
		if (ioctl(fd, req, buf)) {
			int err = errno;

			free(buf);
			return -err;
		}
		memcpy(&argsz, buf, sizeof(argsz));
		if (argsz <= size) {
			*out = buf;
			*len = size;
			return 0;
		}
		size = argsz;
	}
	free(buf);
	return -EOVERFLOW;
}

int vc_device_info(const struct vc_dev *dev, struct vfio_device_info **out, size_t *len)
{
	struct vfio_device_info in = { 0 };

	return info_ioctl(dev->device, VFIO_DEVICE_GET_INFO, &in, sizeof(in), (void **)out, len);
}

int vc_region_info(const struct vc_dev *dev, uint32_t index, struct vfio_region_info **out,
		   size_t *len)
{
	struct vfio_region_info in = { .index = index };

	return info_ioctl(dev->device, VFIO_DEVICE_GET_REGION_INFO, &in, sizeof(in), (void **)out,
			  len);
}

int vc_irq_info(const struct vc_dev *dev, uint32_t index, struct vfio_irq_info *out)
{
	memset(out, 0, sizeof(*out));
	out->argsz = sizeof(*out);
	out->index = index;
	return ioctl(dev->device, VFIO_DEVICE_GET_IRQ_INFO, out) ? -errno : 0;
}

ssize_t vc_pread(const struct vc_dev *dev, void *buf, size_t n, uint64_t off)
{
	ssize_t r = pread(dev->device, buf, n, (off_t)off);

	return r < 0 ? -errno : r;
}

ssize_t vc_pwrite(const struct vc_dev *dev, const void *buf, size_t n, uint64_t off)
{
	ssize_t r = pwrite(dev->device, buf, n, (off_t)off);

	return r < 0 ? -errno : r;
}

int vc_cfg_read(const struct vc_dev *dev, uint32_t off, void *val, size_t n)
{
	ssize_t r = vc_pread(dev, val, n, dev->cfg_offset + off);

	return r < 0 ? (int)r : (size_t)r == n ? 0 : -EIO;
}

int vc_cfg_write(const struct vc_dev *dev, uint32_t off, const void *val, size_t n)
{
	ssize_t r = vc_pwrite(dev, val, n, dev->cfg_offset + off);

	return r < 0 ? (int)r : (size_t)r == n ? 0 : -EIO;
}

int vc_cmd_set(const struct vc_dev *dev, uint16_t bits, uint16_t *old)
{
	uint16_t cmd;
	int ret;

	ret = vc_cfg_read(dev, PCI_COMMAND, &cmd, sizeof(cmd));
	if (ret)
		return ret;
	if (old)
		*old = cmd;
	if ((cmd & bits) == bits)
		return 0;
	cmd |= bits;
	return vc_cfg_write(dev, PCI_COMMAND, &cmd, sizeof(cmd));
}

int vc_mmap(const struct vc_dev *dev, uint64_t region_off, uint64_t off, size_t len, int prot,
	    int flags, void **out)
{
	void *p = mmap(NULL, len, prot, flags, dev->device, (off_t)(region_off + off));

	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

static sigjmp_buf *volatile bus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(*bus_jmp, 1);
}

/* Runs one access with SIGBUS routed back here; the access is in @write/@size. */
static int mmio_guarded(volatile void *p, void *val, size_t size, int write)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	sigjmp_buf jb;
	int ret = 0;

	if (size != 1 && size != 2 && size != 4 && size != 8)
		return -EINVAL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	bus_jmp = &jb;
	if (sigsetjmp(jb, 1) == 0) {
		switch (size) {
		case 1:
			if (write)
				*(volatile uint8_t *)p = *(uint8_t *)val;
			else
				*(uint8_t *)val = *(volatile uint8_t *)p;
			break;
		case 2:
			if (write)
				*(volatile uint16_t *)p = *(uint16_t *)val;
			else
				*(uint16_t *)val = *(volatile uint16_t *)p;
			break;
		case 4:
			if (write)
				*(volatile uint32_t *)p = *(uint32_t *)val;
			else
				*(uint32_t *)val = *(volatile uint32_t *)p;
			break;
		default:
			if (write)
				*(volatile uint64_t *)p = *(uint64_t *)val;
			else
				*(uint64_t *)val = *(volatile uint64_t *)p;
			break;
		}
	} else {
		ret = -EFAULT;
	}
	bus_jmp = NULL;
	sigaction(SIGBUS, &old, NULL);
	return ret;
}

int vc_mmio_read(const volatile void *p, void *val, size_t size)
{
	return mmio_guarded((volatile void *)p, val, size, 0);
}

int vc_mmio_write(volatile void *p, const void *val, size_t size)
{
	return mmio_guarded(p, (void *)val, size, 1);
}

int vc_dma_map(const struct vc_dev *dev, void *vaddr, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	return ioctl(dev->container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

int vc_dma_unmap(const struct vc_dev *dev, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};

	return ioctl(dev->container, VFIO_IOMMU_UNMAP_DMA, &unmap) ? -errno : 0;
}

int vc_sysfs_read(const struct vc_dev *dev, const char *attr, char *buf, size_t len)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dev->sysfs, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	close(fd);
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}
