// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-bpfd's own files: records written whole and never through a link
 * found in their place, its directories its own, and one daemon per state
 * directory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "dirs.h"
#include "state.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/bpfd-state-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[96];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* The whole of @path, or "" when it cannot be read. */
static const char *contents(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
	return buf;
}

static void test_write_never_follows(void **state)
{
	char path[128], tmp[160], victim[128];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/entry", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	f = fopen(victim, "w");
	assert_non_null(f);
	fputs("precious\n", f);
	fclose(f);
	/* Where the record's temporary file goes, a link to someone else's file. */
	assert_int_equal(symlink(victim, tmp), 0);
	assert_int_equal(bpfd_write_whole(path, "0123 target=0000:00:10.0 a.conf\n"), 0);
	assert_string_equal(contents(victim), "precious\n");
	assert_string_equal(contents(path), "0123 target=0000:00:10.0 a.conf\n");
	assert_int_equal(access(tmp, F_OK), -1);
}

static void test_dir_own(void **state)
{
	char sub[128], link[128], err[512];

	(void)state;
	snprintf(sub, sizeof(sub), "%s/own", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(bpfd_dir_own(sub, err, sizeof(err)), 0);
	assert_int_equal(chmod(sub, 0777), 0);
	assert_int_equal(bpfd_dir_own(sub, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "mode 0777: it must be this user's"));
	assert_int_equal(chmod(sub, 0755), 0);
	assert_int_equal(bpfd_dir_own(sub, err, sizeof(err)), 0);
	assert_int_equal(symlink(sub, link), 0);
	assert_int_equal(bpfd_dir_own(link, err, sizeof(err)), -ENOTDIR);
	if (geteuid() != 0) {
		printf("skip another user's directory: chown needs root\n");
		return;
	}
	assert_int_equal(chown(sub, 65534, 65534), 0);
	assert_int_equal(bpfd_dir_own(sub, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "owned by uid 65534"));
}

static void test_one_daemon_per_state_dir(void **state)
{
	struct bpfd_paths paths = { .state_dir = dir };
	char err[512];

	(void)state;
	assert_int_equal(bpfd_lock_state(&paths, err, sizeof(err)), 0);
	/* A second instance: another open file description of the same directory. */
	assert_int_equal(bpfd_lock_state(&paths, err, sizeof(err)), -EWOULDBLOCK);
	assert_non_null(strstr(err, "another vfio-bpfd runs on this state directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_never_follows),
		cmocka_unit_test(test_dir_own),
		cmocka_unit_test(test_one_daemon_per_state_dir),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
