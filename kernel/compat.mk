# SPDX-License-Identifier: GPL-2.0-only
# compat.h's VPB_HAVE_* flags, for every module that includes compat.h:
# whether the headers built against declare what each names (compat.h says
# which kernel change that is).
vpb_have = $(shell grep -qsE '$(2)' $(srctree)/include/linux/$(1) && echo -DVPB_HAVE_$(3))
ccflags-y += $(call vpb_have,vfio_pci_core.h,vfio_pci_core_get_iomap,GET_IOMAP)
ccflags-y += $(call vpb_have,crc32.h,u32 crc32c,CRC32C)
ccflags-y += $(call vpb_have,shmem_fs.h,shmem_kernel_file_setup.*vma_flags_t,SHMEM_VMA_FLAGS)
ccflags-y += $(call vpb_have,vfio.h,get_region_info_caps,REGION_INFO_CAPS)
ccflags-y += $(call vpb_have,vfio.h,match_token_uuid,MATCH_TOKEN)
ccflags-y += $(call vpb_have,vfio.h,pasid_attach_ioas,PASID_IOAS)
ccflags-y += $(call vpb_have,vfio_pci_core.h,get_dmabuf_phys,DMABUF_PHYS)
