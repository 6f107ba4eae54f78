// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <linux/vfio.h>

#include "caps.h"

int vc_caps_walk(const void *buf, size_t len, size_t fixed, uint32_t first,
		 struct vc_cap_chain *out, const char **why)
{
	const uint8_t *p = buf;
	uint32_t off = first;

	out->n = 0;
	while (off) {
		struct vfio_info_cap_header h;
		struct vc_cap *c;

		if (off < fixed) {
			*why = "capability overlaps the fixed info";
			return -EINVAL;
		}
		if (off > len || len - off < sizeof(h)) {
			*why = "capability header beyond the buffer";
			return -EINVAL;
		}
		if (out->n == VC_MAX_CAPS) {
			*why = "too many capabilities";
			return -EINVAL;
		}
		/* The buffer has no alignment promise: copy, do not cast. */
		memcpy(&h, p + off, sizeof(h));
		/*
		 * The kernel only ever appends capabilities, so offsets grow.
		 * Demanding that also rules out loops without bookkeeping.
		 */
		if (h.next && h.next < off + sizeof(h)) {
			*why = "capability chain goes backwards or loops";
			return -EINVAL;
		}
		c = &out->caps[out->n++];
		c->id = h.id;
		c->version = h.version;
		c->offset = off;
		c->len = (uint32_t)((h.next && h.next < len ? h.next : len) - off);
		off = h.next;
	}
	return 0;
}

int vc_cap_sparse_count(const void *buf, const struct vc_cap *cap, uint32_t *nr_areas)
{
	struct vfio_region_info_cap_sparse_mmap s;
	const uint8_t *p = buf;

	if (cap->len < sizeof(s))
		return -EINVAL;
	memcpy(&s, p + cap->offset, sizeof(s));
	if (s.nr_areas > (cap->len - sizeof(s)) / sizeof(struct vfio_region_sparse_mmap_area))
		return -EINVAL;
	*nr_areas = s.nr_areas;
	return 0;
}

void vc_cap_sparse_area(const void *buf, const struct vc_cap *cap, uint32_t i, uint64_t *offset,
			uint64_t *size)
{
	struct vfio_region_sparse_mmap_area a;
	const uint8_t *p = buf;

	memcpy(&a,
	       p + cap->offset + sizeof(struct vfio_region_info_cap_sparse_mmap) + i * sizeof(a),
	       sizeof(a));
	*offset = a.offset;
	*size = a.size;
}

int vc_cap_type(const void *buf, const struct vc_cap *cap, uint32_t *type, uint32_t *subtype)
{
	struct vfio_region_info_cap_type t;
	const uint8_t *p = buf;

	if (cap->len < sizeof(t))
		return -EINVAL;
	memcpy(&t, p + cap->offset, sizeof(t));
	*type = t.type;
	*subtype = t.subtype;
	return 0;
}
