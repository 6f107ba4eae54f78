// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bdf.h"

static void parses(const char *in, const char *canonical)
{
	struct vc_bdf b;
	char why[160] = "", out[VC_BDF_STRLEN];

	assert_int_equal(vc_bdf_parse(in, &b, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	vc_bdf_format(&b, out);
	assert_string_equal(out, canonical);
}

static void test_valid(void **state)
{
	(void)state;
	parses("0000:00:10.0", "0000:00:10.0");
	parses("0000:01:10.2", "0000:01:10.2");
	parses("0000:AB:1F.7", "0000:ab:1f.7");
	parses("01:00.0", "0000:01:00.0");
	parses("10000:00:00.0", "10000:00:00.0");
}

static void test_fields(void **state)
{
	struct vc_bdf b;

	(void)state;
	assert_int_equal(vc_bdf_parse("0001:02:1e.5", &b, NULL, 0), 0);
	assert_int_equal(b.domain, 1);
	assert_int_equal(b.bus, 2);
	assert_int_equal(b.dev, 0x1e);
	assert_int_equal(b.fn, 5);
}

static void rejects(const char *in, const char *reason)
{
	struct vc_bdf b = { 9, 9, 9, 9 };
	char why[160] = "";

	assert_int_equal(vc_bdf_parse(in, &b, why, sizeof(why)), -22);
	assert_non_null(strstr(why, reason));
	assert_non_null(strstr(why, "DDDD:BB:DD.F"));
	/* A failed parse leaves the output alone. */
	assert_int_equal(b.domain, 9);
}

static void test_garbage(void **state)
{
	(void)state;
	rejects("", "empty");
	rejects("zz", "expected hex digits");
	rejects("0000:00:10", "device must be");
	rejects("0000:00:10.", "function must be");
	rejects("0000:00:10.8", "function is above 7");
	rejects("0000:00:20.0", "device is above 1f");
	rejects("0000:0:10.0", "bus must be two hex digits");
	rejects("0:10.0", "bus must be two hex digits");
	rejects("0000:00:10.0x", "trailing");
	rejects("0000:00:10.0 ", "trailing");
	rejects(" 0000:00:10.0", "expected hex digits");
	rejects("+000:00:10.0", "expected hex digits");
	rejects("0x00:00:10.0", "expected hex digits");
	rejects("123456789:00:00.0", "expected hex digits");
	rejects("0000:00:1.0", "device must be");
	rejects("0000:00:10:0", "device must be");
}

static void test_null_and_short_why(void **state)
{
	struct vc_bdf b;
	char why[8];

	(void)state;
	assert_int_equal(vc_bdf_parse(NULL, &b, NULL, 0), -22);
	/* The reason is cut to the buffer, never written past it. */
	assert_int_equal(vc_bdf_parse("nope", &b, why, sizeof(why)), -22);
	assert_int_equal(strlen(why), sizeof(why) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_null_and_short_why),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
