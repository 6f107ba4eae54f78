// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include <linux/vfio.h>

#include "format.h"

static void test_flags(void **state)
{
	char buf[128];

	(void)state;
	vc_fmt_flags(buf, sizeof(buf),
		     VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			     VFIO_REGION_INFO_FLAG_MMAP,
		     vc_region_flag_names);
	assert_string_equal(buf, "READ|WRITE|MMAP");
	vc_fmt_flags(buf, sizeof(buf), 0, vc_region_flag_names);
	assert_string_equal(buf, "none");
	vc_fmt_flags(buf, sizeof(buf), VFIO_DEVICE_FLAGS_RESET | VFIO_DEVICE_FLAGS_PCI,
		     vc_device_flag_names);
	assert_string_equal(buf, "RESET|PCI");
	vc_fmt_flags(buf, sizeof(buf), VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE,
		     vc_irq_flag_names);
	assert_string_equal(buf, "EVENTFD|NORESIZE");
}

static void test_flags_unknown_bits(void **state)
{
	char buf[128];

	(void)state;
	/* Bits a newer kernel might add stay visible, gathered in one number. */
	vc_fmt_flags(buf, sizeof(buf), VFIO_REGION_INFO_FLAG_READ | 0x30, vc_region_flag_names);
	assert_string_equal(buf, "READ|0x30");
	vc_fmt_flags(buf, sizeof(buf), 0x80000000, vc_region_flag_names);
	assert_string_equal(buf, "0x80000000");
}

static void test_flags_truncation(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	vc_fmt_flags(buf, sizeof(buf), 0xf, vc_region_flag_names);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_memory_equal(buf, "READ|WR", 8);
	/* A zero-sized buffer is not touched at all. */
	vc_fmt_flags(buf, 0, 0xf, vc_region_flag_names);
	assert_memory_equal(buf, "READ|WR", 8);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(vc_region_name(VFIO_PCI_BAR0_REGION_INDEX), "BAR0");
	assert_string_equal(vc_region_name(VFIO_PCI_BAR5_REGION_INDEX), "BAR5");
	assert_string_equal(vc_region_name(VFIO_PCI_ROM_REGION_INDEX), "ROM");
	assert_string_equal(vc_region_name(VFIO_PCI_CONFIG_REGION_INDEX), "CONFIG");
	assert_string_equal(vc_region_name(VFIO_PCI_VGA_REGION_INDEX), "VGA");
	assert_string_equal(vc_region_name(VFIO_PCI_NUM_REGIONS), "DEVSPECIFIC");
	assert_string_equal(vc_irq_name(VFIO_PCI_INTX_IRQ_INDEX), "INTX");
	assert_string_equal(vc_irq_name(VFIO_PCI_MSIX_IRQ_INDEX), "MSIX");
	assert_string_equal(vc_irq_name(VFIO_PCI_REQ_IRQ_INDEX), "REQ");
	assert_string_equal(vc_irq_name(VFIO_PCI_NUM_IRQS), "DEVSPECIFIC");
	assert_string_equal(vc_irq_name(UINT32_MAX), "DEVSPECIFIC");
}

static void test_result(void **state)
{
	(void)state;
	assert_string_equal(vc_fmt_result(0), "ok");
	assert_string_equal(vc_fmt_result(-EINVAL), "EINVAL");
	assert_string_equal(vc_fmt_result(ENOTTY), "ENOTTY");
}

static void test_dwords(void **state)
{
	const uint32_t vals[4] = { 0x11e81234, 0x00100103, 0xdeadbeef, 0 };
	const int errs[4] = { 0, 0, EIO, 0 };
	char buf[128];

	(void)state;
	vc_fmt_dwords(buf, sizeof(buf), "config", 0x10, vals, errs, 4);
	assert_string_equal(buf, "config 0x010: 11e81234 00100103 EIO 00000000");
	vc_fmt_dwords(buf, sizeof(buf), "config", 0xff0, vals, NULL, 2);
	assert_string_equal(buf, "config 0xff0: 11e81234 00100103");
	vc_fmt_dwords(buf, sizeof(buf), "x", 0x1000, vals, NULL, 0);
	assert_string_equal(buf, "x 0x1000:");
}

static void test_bytes(void **state)
{
	const uint8_t data[] = { 0x34, 0x12, 0xe8, 0x00 };
	char buf[32], small[6];

	(void)state;
	vc_fmt_bytes(buf, sizeof(buf), data, 3);
	assert_string_equal(buf, "34 12 e8");
	vc_fmt_bytes(buf, sizeof(buf), data, 0);
	assert_string_equal(buf, "");
	vc_fmt_bytes(small, sizeof(small), data, 4);
	assert_string_equal(small, "34 12");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_flags_unknown_bits),
		cmocka_unit_test(test_flags_truncation),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_result),
		cmocka_unit_test(test_dwords),
		cmocka_unit_test(test_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
