/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VC_VFIO_H
#define VC_VFIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/vfio.h>

#include "bdf.h"

/* One device opened the legacy way: container + group + device fd. */
struct vc_dev {
	char bdf[VC_BDF_STRLEN];
	char sysfs[64]; /* /sys/bus/pci/devices/<bdf> */
	int group_id;
	int container;
	int group;
	int device;
	struct vfio_device_info info; /* fixed part only; caps via vc_device_info() */
	uint64_t cfg_offset;	      /* of the config region on the device fd */
	uint64_t cfg_size;
	int mig_fd; /* the migration data fd last returned, or -1 */
};

/*
 * Open @bdf through its IOMMU group. On failure returns -errno, closes what
 * it opened and names the failing step in @step (@steplen bytes).
 */
int vc_open(struct vc_dev *dev, const struct vc_bdf *bdf, char *step, size_t steplen);
void vc_close(struct vc_dev *dev);

/*
 * Info ioctls with their capability chains: *@out is malloc'ed, holds
 * *@len bytes and is the caller's to free. Return 0 or -errno.
 */
int vc_device_info(const struct vc_dev *dev, struct vfio_device_info **out, size_t *len);
int vc_region_info(const struct vc_dev *dev, uint32_t index, struct vfio_region_info **out,
		   size_t *len);
int vc_irq_info(const struct vc_dev *dev, uint32_t index, struct vfio_irq_info *out);

/* One pread/pwrite on the device fd: bytes moved, or -errno. */
ssize_t vc_pread(const struct vc_dev *dev, void *buf, size_t n, uint64_t off);
ssize_t vc_pwrite(const struct vc_dev *dev, const void *buf, size_t n, uint64_t off);

/* Exact-size config space access: 0, -errno, or -EIO for a short transfer. */
int vc_cfg_read(const struct vc_dev *dev, uint32_t off, void *val, size_t n);
int vc_cfg_write(const struct vc_dev *dev, uint32_t off, const void *val, size_t n);

/* Set @bits in the command register, returning the old value in *@old. */
int vc_cmd_set(const struct vc_dev *dev, uint16_t bits, uint16_t *old);

/* mmap of [@off, @off + @len) of the region at @region_off: 0 or -errno. */
int vc_mmap(const struct vc_dev *dev, uint64_t region_off, uint64_t off, size_t len, int prot,
	    int flags, void **out);

/*
 * Single MMIO access of @size (1, 2, 4 or 8) bytes through a mapping. A
 * SIGBUS (vfio-pci's answer to touching a BAR with memory decode off) is
 * caught and returned as -EFAULT instead of killing the client.
 */
int vc_mmio_read(const volatile void *p, void *val, size_t size);
int vc_mmio_write(volatile void *p, const void *val, size_t size);

/* Type1 IOMMU mappings for device DMA. */
int vc_dma_map(const struct vc_dev *dev, void *vaddr, uint64_t iova, uint64_t size);
int vc_dma_unmap(const struct vc_dev *dev, uint64_t iova, uint64_t size);

/* One sysfs attribute of the device, trailing newline removed. */
int vc_sysfs_read(const struct vc_dev *dev, const char *attr, char *buf, size_t len);

#endif
