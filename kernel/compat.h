/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Every difference between the kernels vfio-pci-bpf builds on (Debian's
 * 6.12 through 7.3), in one place.  Each entry names the kernel change it
 * covers and is keyed by the feature itself: a macro of the kernel's own
 * headers where there is one, else a VPB_HAVE_* flag that Kbuild sets by
 * looking for the declaration in the headers it builds against, as ZFS's
 * configure does.  The code is written for the newest kernel's API where
 * an older one can be given it, and through a vpb_* name where not.
 */
#ifndef VPB_COMPAT_H
#define VPB_COMPAT_H

#include <linux/btf.h>
#include <linux/crc32.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

/*
 * BARs mapped at enable (not in 6.12; in 7.2): vfio_pci_core_enable()
 * requests and maps every BAR (a failed one holds an ERR_PTR in barmap[]),
 * vfio_pci_core_get_iomap() returns the mapping and
 * vfio_pci_core_setup_barmap() is gone.  Before, a BAR was mapped on its
 * first use; here that first use is vpb_map_bars() at open.
 */
#ifndef VPB_HAVE_GET_IOMAP
static inline void __iomem *vfio_pci_core_get_iomap(struct vfio_pci_core_device *vdev,
						    unsigned int bar)
{
	int ret = vfio_pci_core_setup_barmap(vdev, bar);

	return ret ? IOMEM_ERR_PTR(ret) : vdev->barmap[bar];
}
#endif

/*
 * The CRC library's crc32c() (not in 6.12; in 7.2) replaced __crc32c_le()
 * in <linux/crc32.h>.  (6.12's crc32c() of <linux/crc32c.h> is libcrc32c's,
 * through the crypto API.)
 */
#ifdef VPB_HAVE_CRC32C
#define vpb_crc32c(crc, p, len) crc32c(crc, p, len)
#else
#define vpb_crc32c(crc, p, len) __crc32c_le(crc, p, len)
#endif

/*
 * shmem files set up with vma_flags_t (not in 6.12; in 7.2): the flags of
 * shmem_kernel_file_setup() became a vma_flags_t bitmap.
 */
#ifdef VPB_HAVE_SHMEM_VMA_FLAGS
#define VPB_SHMEM_NORESERVE mk_vma_flags(VMA_NORESERVE_BIT)
#else
#define VPB_SHMEM_NORESERVE VM_NORESERVE
#endif

/*
 * vfio's get_region_info_caps op (not in 6.12; in 7.2): vfio core no
 * longer passes VFIO_DEVICE_GET_REGION_INFO to a driver's .ioctl; it
 * copies the request in and out and has the op fill it.  The module's
 * region info (the sparse mmap of trapped BARs) goes where the kernel
 * sends the request: VPB_REGION_INFO_IN_IOCTL says which, and
 * VPB_REGION_INFO_OP() fills the op where there is one.
 */
#ifdef VPB_HAVE_REGION_INFO_CAPS
#define VPB_REGION_INFO_IN_IOCTL 0
#define VPB_REGION_INFO_OP(fn) .get_region_info_caps = (fn),
#else
#define VPB_REGION_INFO_IN_IOCTL 1
#define VPB_REGION_INFO_OP(fn)
#endif

/*
 * BAR dma-bufs (not in 6.12; in 7.2): VFIO_DEVICE_FEATURE_DMA_BUF exports
 * BAR ranges as a dma-buf, for a driver whose vfio_pci_device_ops has
 * get_dmabuf_phys (main.c wraps vfio-pci-core's to keep traps out).
 * @flags: a VFIO_DEVICE_FEATURE request's flags word.
 */
static inline bool vpb_feature_is_dma_buf(u32 flags)
{
#ifdef VFIO_DEVICE_FEATURE_DMA_BUF
	return (flags & VFIO_DEVICE_FEATURE_MASK) == VFIO_DEVICE_FEATURE_DMA_BUF;
#else
	return false;
#endif
}

/*
 * vfio_device_ops.match_token_uuid (not in 6.12; in 7.2):
 * vfio_pci_core_match() calls it unconditionally to check a VF token.
 */
#ifdef VPB_HAVE_MATCH_TOKEN
#define VPB_MATCH_TOKEN_OP .match_token_uuid = vfio_pci_core_match_token_uuid,
#else
#define VPB_MATCH_TOKEN_OP
#endif

/* vfio_device_ops' PASID attach (not in 6.12; in 7.2), as vfio-pci has it. */
#ifdef VPB_HAVE_PASID_IOAS
#define VPB_PASID_IOAS_OPS                                              \
	.pasid_attach_ioas = vfio_iommufd_physical_pasid_attach_ioas,    \
	.pasid_detach_ioas = vfio_iommufd_physical_pasid_detach_ioas,
#else
#define VPB_PASID_IOAS_OPS
#endif

/*
 * Trusted kfunc arguments by default (not in 6.12; in 7.2): every kfunc's
 * pointer arguments must be trusted, and the KF_TRUSTED_ARGS flag that
 * asked for it is gone.
 */
#ifndef KF_TRUSTED_ARGS
#define KF_TRUSTED_ARGS 0
#endif

/*
 * Distilled base BTF for out-of-tree modules (6.12 with pahole >= 1.26,
 * through MODULE_PAHOLE_FLAGS; 7.x through resolve_btfids --distill_base,
 * RESOLVE_BTFIDS_FLAGS): the kernel renumbers such a module's BTF at load,
 * and relocates the IDs of registered kfunc sets, but not the BTF_ID lists
 * the module compares against (the struct_ops and context types, the trap
 * kfuncs), which then match nothing.  The module is built for one kernel
 * anyway, so the Makefile and dkms.conf build it with both flags empty:
 * its BTF is split on that kernel's vmlinux BTF and keeps its IDs.
 */

#endif /* VPB_COMPAT_H */
