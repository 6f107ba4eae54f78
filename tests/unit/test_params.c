// SPDX-License-Identifier: GPL-2.0
/* What operators type into vfio-bpfctl: addresses and policy parameters. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "params.h"
#include "vfio_pci_bpf.h"

static void test_bdf(void **state)
{
	uint32_t addr;
	char buf[16];

	(void)state;
	assert_int_equal(vpb_parse_bdf("0000:00:10.0", &addr), 0);
	assert_int_equal(addr, VFIO_PCI_BPF_ADDR(0, 0, 0x10, 0));
	assert_int_equal(vpb_parse_bdf("01:10.2", &addr), 0);
	assert_int_equal(addr, VFIO_PCI_BPF_ADDR(0, 1, 0x10, 2));
	vpb_format_bdf(VFIO_PCI_BPF_ADDR(0x12, 0xab, 0x1f, 7), buf, sizeof(buf));
	assert_string_equal(buf, "0012:ab:1f.7");
	assert_int_equal(vpb_parse_bdf("00:20.0", &addr), -EINVAL);
	assert_int_equal(vpb_parse_bdf("00:10.8", &addr), -EINVAL);
	assert_int_equal(vpb_parse_bdf("10000:00:10.0", &addr), -ERANGE);
	assert_int_equal(vpb_parse_bdf("00:10.0x", &addr), -EINVAL);
	assert_int_equal(vpb_parse_bdf("garbage", &addr), -EINVAL);
	assert_int_equal(vpb_parse_bdf("", &addr), -EINVAL);
}

static void test_class(void **state)
{
	uint32_t code, mask;

	(void)state;
	assert_int_equal(vpb_parse_class("0x020000", &code, &mask), 0);
	assert_int_equal(code, 0x020000);
	assert_int_equal(mask, 0xffffff);
	assert_int_equal(vpb_parse_class("0x020000/0xff0000", &code, &mask), 0);
	assert_int_equal(mask, 0xff0000);
	assert_int_equal(vpb_parse_class("0x020001/0xff0000", &code, &mask), -EINVAL);
	assert_int_equal(vpb_parse_class("0x1000000", &code, &mask), -EINVAL);
	assert_int_equal(vpb_parse_class("0x02/0", &code, &mask), -EINVAL);
	assert_int_equal(vpb_parse_class("net", &code, &mask), -EINVAL);
}

static void test_number(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(vpb_parse_number("0x10", &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(vpb_parse_number("-5", &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(vpb_parse_number("12abc", &v), -EINVAL);
	assert_int_equal(vpb_parse_number("", &v), -EINVAL);
	assert_int_equal(vpb_parse_number("99999999999999999999999", &v), -EINVAL);
}

/* A bounded number: what wraps past 64 bits is out of range, not -1. */
static void test_int(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(vpb_parse_int("-5", INT32_MIN, INT32_MAX, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(vpb_parse_int("0x7fffffff", INT32_MIN, INT32_MAX, &v), 0);
	assert_int_equal(v, INT32_MAX);
	assert_int_equal(vpb_parse_int("0x80000000", INT32_MIN, INT32_MAX, &v), -ERANGE);
	assert_int_equal(vpb_parse_int("-2147483649", INT32_MIN, INT32_MAX, &v), -ERANGE);
	assert_int_equal(vpb_parse_int("18446744073709551615", INT32_MIN, INT32_MAX, &v), -ERANGE);
	assert_int_equal(vpb_parse_int("0xffffffffffffffff", 0, 0xffff, &v), -ERANGE);
	assert_int_equal(vpb_parse_int(" -1", INT32_MIN, INT32_MAX, &v), -ERANGE);
	assert_int_equal(vpb_parse_int("1e3", INT32_MIN, INT32_MAX, &v), -EINVAL);
}

static void test_store(void **state)
{
	uint16_t words[4] = { 0 };
	int8_t small = 0;
	uint64_t wide = 0;

	(void)state;
	assert_int_equal(vpb_store_values("1,0x2,3", words, 2, 4, 0), 3);
	assert_int_equal(words[0], 1);
	assert_int_equal(words[1], 2);
	assert_int_equal(words[2], 3);
	assert_int_equal(words[3], 0);
	assert_int_equal(vpb_store_values("0xffff", words, 2, 4, 0), 1);
	assert_int_equal(words[0], 0xffff);
	assert_int_equal(vpb_store_values("0x10000", words, 2, 4, 0), -ERANGE);
	assert_int_equal(vpb_store_values("-1", words, 2, 4, 0), -ERANGE);
	assert_int_equal(vpb_store_values("1,2,3,4,5", words, 2, 4, 0), -E2BIG);
	assert_int_equal(vpb_store_values("-128", &small, 1, 1, 1), 1);
	assert_int_equal(small, -128);
	assert_int_equal(vpb_store_values("128", &small, 1, 1, 1), -ERANGE);
	assert_int_equal(vpb_store_values("0xffffffffffffffff", &wide, 8, 1, 0), 1);
	assert_true(wide == UINT64_MAX);
	assert_int_equal(vpb_store_values("", words, 2, 4, 0), -EINVAL);
	assert_int_equal(vpb_store_values("1", words, 3, 4, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bdf),   cmocka_unit_test(test_number),
		cmocka_unit_test(test_int),   cmocka_unit_test(test_class),
		cmocka_unit_test(test_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
