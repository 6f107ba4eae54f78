// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <linux/vfio.h>

#include "caps.h"

#define FIXED sizeof(struct vfio_region_info)
#define SPARSE_AT FIXED
#define SPARSE_LEN (sizeof(struct vfio_region_info_cap_sparse_mmap) + 2 * 16)
#define TYPE_AT (SPARSE_AT + SPARSE_LEN)
#define TOTAL (TYPE_AT + sizeof(struct vfio_region_info_cap_type))
/* VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x8086; the uAPI macro shifts into the sign bit. */
#define VENDOR_TYPE 0x80008086u

/*
 * A region info as the kernel lays it out: fixed part, a sparse-mmap
 * capability with two areas, then a type capability. Built at @at inside
 * @raw so the decoder also meets a misaligned buffer.
 */
static uint8_t *build(uint8_t *raw, size_t at)
{
	uint8_t *buf = raw + at;
	struct vfio_region_info info = {
		.argsz = TOTAL,
		.flags = VFIO_REGION_INFO_FLAG_CAPS,
		.cap_offset = SPARSE_AT,
	};
	struct vfio_region_info_cap_sparse_mmap sparse = {
		.header = { VFIO_REGION_INFO_CAP_SPARSE_MMAP, 1, TYPE_AT },
		.nr_areas = 2,
	};
	struct vfio_region_sparse_mmap_area areas[2] = { { 0x0, 0x1000 }, { 0x3000, 0x2000 } };
	struct vfio_region_info_cap_type type = {
		.header = { VFIO_REGION_INFO_CAP_TYPE, 1, 0 },
		.type = VENDOR_TYPE,
		.subtype = 3,
	};

	memset(raw, 0xee, TOTAL + at + 64);
	memcpy(buf, &info, sizeof(info));
	memcpy(buf + SPARSE_AT, &sparse, sizeof(sparse));
	memcpy(buf + SPARSE_AT + sizeof(sparse), areas, sizeof(areas));
	memcpy(buf + TYPE_AT, &type, sizeof(type));
	return buf;
}

static void set_next(uint8_t *buf, size_t cap_at, uint32_t next)
{
	memcpy(buf + cap_at + offsetof(struct vfio_info_cap_header, next), &next, sizeof(next));
}

static void test_decode(void **state)
{
	uint8_t raw[512];
	size_t at;

	(void)state;
	for (at = 0; at < 4; at++) {
		uint8_t *buf = build(raw, at);
		struct vc_cap_chain chain;
		const char *why = NULL;
		uint32_t n, type, subtype;
		uint64_t off, size;

		assert_int_equal(vc_caps_walk(buf, TOTAL, FIXED, SPARSE_AT, &chain, &why), 0);
		assert_int_equal(chain.n, 2);
		assert_int_equal(chain.caps[0].id, VFIO_REGION_INFO_CAP_SPARSE_MMAP);
		assert_int_equal(chain.caps[0].version, 1);
		assert_int_equal(chain.caps[0].offset, SPARSE_AT);
		assert_int_equal(chain.caps[0].len, SPARSE_LEN);
		assert_int_equal(chain.caps[1].id, VFIO_REGION_INFO_CAP_TYPE);
		assert_int_equal(chain.caps[1].len, TOTAL - TYPE_AT);

		assert_int_equal(vc_cap_sparse_count(buf, &chain.caps[0], &n), 0);
		assert_int_equal(n, 2);
		vc_cap_sparse_area(buf, &chain.caps[0], 0, &off, &size);
		assert_int_equal(off, 0);
		assert_int_equal(size, 0x1000);
		vc_cap_sparse_area(buf, &chain.caps[0], 1, &off, &size);
		assert_int_equal(off, 0x3000);
		assert_int_equal(size, 0x2000);

		assert_int_equal(vc_cap_type(buf, &chain.caps[1], &type, &subtype), 0);
		assert_int_equal(type, VENDOR_TYPE);
		assert_int_equal(subtype, 3);
	}
}

static void test_empty(void **state)
{
	uint8_t raw[512];
	uint8_t *buf = build(raw, 0);
	struct vc_cap_chain chain = { .n = 7 };
	const char *why = NULL;

	(void)state;
	assert_int_equal(vc_caps_walk(buf, FIXED, FIXED, 0, &chain, &why), 0);
	assert_int_equal(chain.n, 0);
}

static void rejected(uint8_t *buf, size_t len, uint32_t first, const char *reason)
{
	struct vc_cap_chain chain;
	const char *why = NULL;

	assert_int_equal(vc_caps_walk(buf, len, FIXED, first, &chain, &why), -22);
	assert_non_null(why);
	assert_non_null(strstr(why, reason));
}

static void test_out_of_bounds(void **state)
{
	uint8_t raw[512];
	uint8_t *buf = build(raw, 0);

	(void)state;
	rejected(buf, TOTAL, TOTAL + 100, "beyond the buffer");
	rejected(buf, TOTAL, UINT32_MAX, "beyond the buffer");
	/* Header would straddle the end of the buffer. */
	rejected(buf, TOTAL, TOTAL - 4, "beyond the buffer");
	set_next(buf, SPARSE_AT, TOTAL + 8);
	rejected(buf, TOTAL, SPARSE_AT, "beyond the buffer");
	/* The buffer the kernel filled is shorter than the chain claims. */
	buf = build(raw, 0);
	rejected(buf, TYPE_AT + 4, SPARSE_AT, "beyond the buffer");
}

static void test_overlaps_fixed(void **state)
{
	uint8_t raw[512];
	uint8_t *buf = build(raw, 0);

	(void)state;
	rejected(buf, TOTAL, 8, "overlaps the fixed info");
}

static void test_loops(void **state)
{
	uint8_t raw[512];
	uint8_t *buf = build(raw, 0);

	(void)state;
	set_next(buf, TYPE_AT, SPARSE_AT);
	rejected(buf, TOTAL, SPARSE_AT, "backwards or loops");
	buf = build(raw, 0);
	set_next(buf, SPARSE_AT, SPARSE_AT);
	rejected(buf, TOTAL, SPARSE_AT, "backwards or loops");
	/* A next pointing inside the current header is as bad as a loop. */
	buf = build(raw, 0);
	set_next(buf, SPARSE_AT, SPARSE_AT + 4);
	rejected(buf, TOTAL, SPARSE_AT, "backwards or loops");
}

static void test_too_many(void **state)
{
	uint8_t buf[FIXED + (VC_MAX_CAPS + 1) * 8] = { 0 };
	uint32_t i;

	(void)state;
	for (i = 0; i <= VC_MAX_CAPS; i++) {
		struct vfio_info_cap_header h = { 99, 1,
						  i < VC_MAX_CAPS ? FIXED + (i + 1) * 8 : 0 };

		memcpy(buf + FIXED + i * 8, &h, sizeof(h));
	}
	rejected(buf, sizeof(buf), FIXED, "too many");
}

static void test_truncated_payloads(void **state)
{
	uint8_t raw[512];
	uint8_t *buf = build(raw, 0);
	struct vc_cap_chain chain;
	const char *why;
	uint32_t n = 77, type, subtype;
	uint32_t huge = 100;

	(void)state;
	/* More areas than fit before the next capability. */
	memcpy(buf + SPARSE_AT + offsetof(struct vfio_region_info_cap_sparse_mmap, nr_areas), &huge,
	       sizeof(huge));
	assert_int_equal(vc_caps_walk(buf, TOTAL, FIXED, SPARSE_AT, &chain, &why), 0);
	assert_int_equal(vc_cap_sparse_count(buf, &chain.caps[0], &n), -22);
	assert_int_equal(n, 77);
	huge = UINT32_MAX;
	memcpy(buf + SPARSE_AT + offsetof(struct vfio_region_info_cap_sparse_mmap, nr_areas), &huge,
	       sizeof(huge));
	assert_int_equal(vc_cap_sparse_count(buf, &chain.caps[0], &n), -22);

	/* A type capability cut short by the end of the buffer. */
	buf = build(raw, 0);
	assert_int_equal(vc_caps_walk(buf, TOTAL - 4, FIXED, SPARSE_AT, &chain, &why), 0);
	assert_int_equal(vc_cap_type(buf, &chain.caps[1], &type, &subtype), -22);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_out_of_bounds),
		cmocka_unit_test(test_overlaps_fixed),
		cmocka_unit_test(test_loops),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_truncated_payloads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
