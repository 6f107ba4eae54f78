// SPDX-License-Identifier: GPL-2.0
/*
 * A device's counters file as JSON: each member keeps one type whatever
 * its value reads like (docs/daemon.md has the schema).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "sysfs_json.h"

static struct json_object *parse(const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct json_object *o;

	assert_non_null(f);
	o = vpb_json_counters_parse(f);
	fclose(f);
	return o;
}

static enum json_type type_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	return json_object_get_type(v);
}

static void test_member_types(void **state)
{
	/* A VF whose one policy has a name that reads as a number. */
	struct json_object *o = parse("device 0000:01:10.2\nids 8086:10ca\nclass 0x020000\n"
				      "pf 0000:01:00.0\nvf_index 3\npolicies 42\nioctls 7\n"
				      "hook.config_read.pass 18446744073709551615\n");

	(void)state;
	assert_int_equal(type_of(o, "device"), json_type_string);
	assert_int_equal(type_of(o, "ids"), json_type_string);
	assert_int_equal(type_of(o, "class"), json_type_string);
	assert_int_equal(type_of(o, "pf"), json_type_string);
	assert_int_equal(type_of(o, "policies"), json_type_string);
	assert_string_equal(vpb_json_field(o, "policies"), "42");
	assert_int_equal(type_of(o, "vf_index"), json_type_int);
	assert_int_equal(type_of(o, "ioctls"), json_type_int);
	assert_true(json_object_get_uint64(json_object_object_get(o, "hook.config_read.pass")) ==
		    UINT64_MAX);
	json_object_put(o);
	/* No policy at all reads "-": still a string. */
	o = parse("device 0000:00:10.0\nids 1234:11e8\nclass 0x00ff00\npolicies -\nioctls 0\n");
	assert_string_equal(vpb_json_field(o, "policies"), "-");
	assert_int_equal(type_of(o, "ioctls"), json_type_int);
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_member_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
