// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <cmocka.h>

#include "errname.h"

static void test_common(void **state)
{
	(void)state;
	assert_string_equal(vc_errname(EINVAL), "EINVAL");
	assert_string_equal(vc_errname(ENOTTY), "ENOTTY");
	assert_string_equal(vc_errname(EBUSY), "EBUSY");
	assert_string_equal(vc_errname(EFAULT), "EFAULT");
	assert_string_equal(vc_errname(EIO), "EIO");
	assert_string_equal(vc_errname(ENOENT), "ENOENT");
	assert_string_equal(vc_errname(EPERM), "EPERM");
	assert_string_equal(vc_errname(ENODEV), "ENODEV");
	assert_string_equal(vc_errname(ENXIO), "ENXIO");
}

static void test_negative(void **state)
{
	(void)state;
	/* The kernel's -errno convention is accepted as is. */
	assert_string_equal(vc_errname(-EINVAL), "EINVAL");
	assert_string_equal(vc_errname(-ENOTTY), "ENOTTY");
}

static void test_aliases(void **state)
{
	(void)state;
	/* Same numbers on Linux: one stable spelling each. */
	assert_string_equal(vc_errname(ENOTSUP), "EOPNOTSUPP");
	assert_string_equal(vc_errname(EWOULDBLOCK), "EAGAIN");
}

static void test_kernel_internal(void **state)
{
	(void)state;
	assert_string_equal(vc_errname(524), "ENOTSUPP");
}

static void test_unknown(void **state)
{
	(void)state;
	assert_string_equal(vc_errname(4000), "E4000");
	assert_string_equal(vc_errname(-4001), "E4001");
	assert_string_equal(vc_errname(0), "E0");
}

static void test_libc_fallback(void **state)
{
	(void)state;
	/* Not in our table: comes from the C library's list. */
	assert_string_equal(vc_errname(ECONNREFUSED), "ECONNREFUSED");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_common),	cmocka_unit_test(test_negative),
		cmocka_unit_test(test_aliases), cmocka_unit_test(test_kernel_internal),
		cmocka_unit_test(test_unknown), cmocka_unit_test(test_libc_fallback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
