/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VC_CAPS_H
#define VC_CAPS_H

#include <stddef.h>
#include <stdint.h>

/*
 * VFIO info structs (device, region, IOMMU) may carry a chain of
 * capabilities after their fixed part: each starts with a struct
 * vfio_info_cap_header whose offsets count from the start of the info
 * struct. These helpers decode such a chain from a plain byte buffer, so a
 * kernel bug or a hostile driver yields an error instead of a wild read.
 */

#define VC_MAX_CAPS 32

struct vc_cap {
	uint16_t id;
	uint16_t version;
	uint32_t offset; /* of the header, from the start of the info struct */
	uint32_t len;	 /* bytes up to the next capability or the buffer end */
};

struct vc_cap_chain {
	unsigned int n;
	struct vc_cap caps[VC_MAX_CAPS];
};

/*
 * Walk the chain starting at @first in @buf (@len bytes). @fixed is the size
 * of the info struct's fixed part, which no capability may overlap. A
 * @first of 0 is an empty chain. Returns 0 or -EINVAL with *@why set.
 */
int vc_caps_walk(const void *buf, size_t len, size_t fixed, uint32_t first,
		 struct vc_cap_chain *out, const char **why);

/* VFIO_REGION_INFO_CAP_SPARSE_MMAP: number of areas, or -EINVAL if truncated. */
int vc_cap_sparse_count(const void *buf, const struct vc_cap *cap, uint32_t *nr_areas);
/* Area @i of a sparse-mmap capability already checked by vc_cap_sparse_count(). */
void vc_cap_sparse_area(const void *buf, const struct vc_cap *cap, uint32_t i, uint64_t *offset,
			uint64_t *size);

/* VFIO_REGION_INFO_CAP_TYPE: returns -EINVAL if truncated. */
int vc_cap_type(const void *buf, const struct vc_cap *cap, uint32_t *type, uint32_t *subtype);

#endif
