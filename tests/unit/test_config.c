// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-bpfd's config files: what is accepted, and where a refusal points;
 * and the attach requests of its control socket, which become the same
 * text: what the parser says of them, and that a restart reads back the
 * entry a request made.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "config.h"
#include "object.h"
#include "request.h"
#include "vfio_pci_bpf.h"

static char dir[64], conf_dir[96], run_dir[96];
static char object[128];

static void write_conf(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/bpfd-config-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(conf_dir, sizeof(conf_dir), "%s/conf", dir);
	snprintf(run_dir, sizeof(run_dir), "%s/run", dir);
	/* Any readable file stands in for an object: parsing does not load it. */
	snprintf(object, sizeof(object), "%s/policy.bpf.o", dir);
	write_conf("policy.bpf.o", "");
	return 0;
}

static int teardown(void **state)
{
	char cmd[96];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* Parses TEXT as FILE; returns the error text, or "" when accepted. */
static const char *parse(const char *file, const char *text, struct bpfd_entry *e)
{
	static char err[1024];
	char path[256];

	write_conf(file, text);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	err[0] = '\0';
	bpfd_parse_file(path, e, err, sizeof(err));
	unlink(path);
	/* The directory part is the test's own; keep what follows it. */
	return strncmp(err, dir, strlen(dir)) ? err : err + strlen(dir) + 1;
}

static void test_full_entry(void **state)
{
	struct bpfd_entry e;
	char text[512], match[96];

	(void)state;
	snprintf(text, sizeof(text),
		 "# comment\n[policy]\nobject = %s\nvendor = 0x8086\ndevice = 0x10ca\n"
		 "priority = -5\nmigration = no\n[parameters]\ntrap_len = 0x100\nfoo = 1,2\n",
		 object);
	assert_string_equal(parse("vfs.conf", text, &e), "");
	assert_string_equal(e.name, "vfs");
	assert_string_equal(e.object, object);
	assert_true(e.has_vendor && e.has_device && !e.has_target);
	assert_int_equal(e.vendor, 0x8086);
	assert_int_equal(e.device, 0x10ca);
	assert_int_equal(e.priority, -5);
	assert_true(e.has_migration && !e.migration);
	assert_int_equal(e.nr_params, 2);
	assert_string_equal(e.params[0], "trap_len=0x100");
	assert_string_equal(e.params[1], "foo=1,2");
	assert_int_equal(e.param_lines[1], 10);
	bpfd_entry_match(&e, match, sizeof(match));
	assert_string_equal(match, "vendor=8086,device=10ca");
}

static void test_target_and_name(void **state)
{
	struct bpfd_entry e;
	char text[512], match[96];

	(void)state;
	snprintf(text, sizeof(text),
		 "[policy]\nname = edu-0_trap\nobject = %s\ntarget = 0000:00:10.0\n", object);
	assert_string_equal(parse("x.conf", text, &e), "");
	assert_string_equal(e.name, "edu-0_trap");
	assert_int_equal(e.target, VFIO_PCI_BPF_ADDR(0, 0, 0x10, 0));
	bpfd_entry_match(&e, match, sizeof(match));
	assert_string_equal(match, "target=0000:00:10.0");

	snprintf(text, sizeof(text), "[policy]\nobject = %s\nvfs_of = 0000:01:00.0\n", object);
	assert_string_equal(parse("vf.conf", text, &e), "");
	bpfd_entry_match(&e, match, sizeof(match));
	assert_string_equal(match, "vendor=object:0000,device=object:0000,vfs_of=0000:01:00.0");

	snprintf(text, sizeof(text), "[policy]\nobject = %s\nclass = 0x020000/0xff0000\n", object);
	assert_string_equal(parse("net.conf", text, &e), "");
	bpfd_entry_match(&e, match, sizeof(match));
	assert_string_equal(match, "vendor=object:0000,device=object:0000,class=020000/ff0000");
}

static void test_refusals(void **state)
{
	static const struct {
		const char *body; /* after "[policy]\nobject = OBJECT\n" */
		const char *want;
	} cases[] = {
		{ "colour = red\n", "bad.conf:3: colour: unknown key in [policy]" },
		{ "vendor = 0x10000\n",
		  "bad.conf:3: vendor: '0x10000' is no PCI ID (0 to 0xffff)" },
		{ "target = 00:zz.0\n",
		  "bad.conf:3: target: '00:zz.0' is no PCI address (DDDD:BB:DD.F)" },
		{ "priority = 1e3\n", "bad.conf:3: priority: '1e3' is no 32-bit integer" },
		{ "priority = 18446744073709551615\n",
		  "bad.conf:3: priority: '18446744073709551615' is no 32-bit integer" },
		{ "vendor = 18446744073709551615\n",
		  "bad.conf:3: vendor: '18446744073709551615' is no PCI ID (0 to 0xffff)" },
		{ "migration = maybe\n", "bad.conf:3: migration: 'maybe': yes or no expected" },
		{ "name = no spaces\n",
		  "bad.conf:3: name: 'no spaces': 1 to 31 letters, digits, '_' or '-'" },
		{ "name = a.b\n", "bad.conf:3: name: 'a.b': 1 to 31 letters, digits, '_' or '-'" },
		{ "[extra]\nx = 1\n", "bad.conf:4: x: unknown section [extra]" },
		{ "just words\n", "bad.conf:3: syntax error (want [section] or key = value)" },
		{ "target = 0000:00:10.0\nvendor = 1\n",
		  "bad.conf: target: a target excludes vendor, device, vfs_of and class" },
		{ "class = 0x020001/0xffff00\n", "bad.conf:3: class: '0x020001/0xffff00': "
						 "CODE[/MASK] expected, 24 bits, no CODE bit "
						 "outside MASK" },
		{ "vfs_of = 01:00.9\n",
		  "bad.conf:3: vfs_of: '01:00.9' is no PCI address (DDDD:BB:DD.F)" },
	};
	struct bpfd_entry e;
	char text[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "[policy]\nobject = %s\n%s", object, cases[i].body);
		assert_string_equal(parse("bad.conf", text, &e), cases[i].want);
	}
	assert_string_equal(parse("bad.conf", "[policy]\npriority = 1\n", &e),
			    "bad.conf: object: missing in [policy]");
	assert_string_equal(parse("bad.conf", "[policy]\nobject = /nowhere.o\n", &e),
			    "bad.conf:2: object: /nowhere.o: No such file or directory");
}

static void test_directory(void **state)
{
	struct bpfd_config cfg;
	char text[256];

	(void)state;
	snprintf(text, sizeof(text), "[policy]\nobject = %s\n", object);
	write_conf("a.conf", text);
	write_conf("b.conf", text);
	snprintf(text, sizeof(text), "[policy]\nname = a\nobject = %s\n", object);
	write_conf("c.conf", text);
	write_conf("d.conf", "oops\n");
	write_conf("notes.txt", "not a config file\n");
	assert_int_equal(bpfd_read_config(dir, NULL, &cfg), 0);
	/* b alone is good: a and c both name entry "a", d does not parse. */
	assert_int_equal(cfg.nr_entries, 1);
	assert_string_equal(cfg.entries[0].name, "b");
	assert_int_equal(cfg.nr_errors, 3);
	assert_non_null(strstr(cfg.errors[0], "d.conf:1: syntax error"));
	assert_non_null(strstr(cfg.errors[1], "a.conf: name: 'a' is also the name of"));
	assert_non_null(strstr(cfg.errors[2], "c.conf: name: 'a' is also the name of"));
	bpfd_free_config(&cfg);
}

/* Only a regular file of sane size is an object; checking it never blocks. */
static void test_object_files(void **state)
{
	char text[512], fifo[128], big[128], want[256];
	struct bpfd_entry e;
	int fd;

	(void)state;
	assert_string_equal(parse("bad.conf", "[policy]\nobject = /dev/zero\n", &e),
			    "bad.conf:2: object: /dev/zero: not a regular file");
	/* A FIFO that nobody writes: open() without O_NONBLOCK would wait for ever. */
	snprintf(fifo, sizeof(fifo), "%s/fifo.o", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	snprintf(text, sizeof(text), "[policy]\nobject = %s\n", fifo);
	snprintf(want, sizeof(want), "bad.conf:2: object: %s: not a regular file", fifo);
	assert_string_equal(parse("bad.conf", text, &e), want);
	unlink(fifo);
	snprintf(text, sizeof(text), "[policy]\nobject = %s\n", dir);
	snprintf(want, sizeof(want), "bad.conf:2: object: %s: not a regular file", dir);
	assert_string_equal(parse("bad.conf", text, &e), want);
	/* A sparse file past the cap is refused by its size, without reading it. */
	snprintf(big, sizeof(big), "%s/big.o", dir);
	fd = open(big, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, BPFD_OBJECT_MAX + 1), 0);
	close(fd);
	snprintf(text, sizeof(text), "[policy]\nobject = %s\n", big);
	snprintf(want, sizeof(want), "bad.conf:2: object: %s: larger than 64 MiB: no policy object",
		 big);
	assert_string_equal(parse("bad.conf", text, &e), want);
	unlink(big);
}

static const char *refusal(const char *json, struct bpfd_entry *e);

/* A line longer than libinih's buffer is refused whole, never split in two. */
static void test_long_lines(void **state)
{
	char text[2048], values[400], path[300];
	struct bpfd_entry e;
	int n = 0;

	(void)state;
	/* 306 characters, as "allow = 100, 101, ... 159": two parameters once. */
	n = snprintf(values, sizeof(values), "allow = 100");
	for (int v = 101; v <= 159; v++)
		n += snprintf(values + n, sizeof(values) - n, ", %d", v);
	assert_int_equal(n, 306);
	snprintf(text, sizeof(text), "[policy]\nobject = %s\n[parameters]\n%s\n", object, values);
	assert_string_equal(parse("bad.conf", text, &e),
			    "bad.conf:4: line too long (306 bytes, at most 198)");
	/* A path of 230 characters names no file, but says so on its own line. */
	snprintf(path, sizeof(path), "/%0229d", 0);
	snprintf(text, sizeof(text), "[policy]\nobject = %s\n", path);
	assert_string_equal(parse("bad.conf", text, &e),
			    "bad.conf:2: line too long (239 bytes, at most 198)");
	/* The longest line that fits still does, without a final newline too. */
	snprintf(text, sizeof(text), "[policy]\nobject = %s\n[parameters]\nx = %0194d", object, 0);
	assert_string_equal(parse("ok.conf", text, &e), "");
	assert_int_equal(strlen(e.params[0]), 196);
	strcat(text, "0");
	assert_string_equal(parse("bad.conf", text, &e),
			    "bad.conf:4: line too long (199 bytes, at most 198)");
	/* The control socket's attach goes through the same parser. */
	snprintf(text, sizeof(text),
		 "{\"name\": \"x\", \"object\": \"@\", \"parameters\": {\"allow\": \"%s\"}}",
		 values + strlen("allow = "));
	assert_string_equal(refusal(text, &e), "attach: line too long (306 bytes, at most 198)");
}

/* Comments say nothing: they may be long, and lines after them keep their numbers. */
static void test_long_comments(void **state)
{
	char text[2048], comment[400];
	struct bpfd_entry e;

	(void)state;
	memset(comment, 'x', sizeof(comment));
	comment[sizeof(comment) - 1] = '\0';
	snprintf(text, sizeof(text),
		 "# %s\n[policy]\n  ; %s\nobject = %s\n\n[parameters]\nx = 1\ny = 2\n", comment,
		 comment, object);
	assert_string_equal(parse("ok.conf", text, &e), "");
	assert_int_equal(e.nr_params, 2);
	assert_int_equal(e.param_lines[0], 7);
	assert_int_equal(e.param_lines[1], 8);
	snprintf(text, sizeof(text), "# %s\n[policy]\nobject = %s\ncolour = red", comment, object);
	assert_string_equal(parse("bad.conf", text, &e),
			    "bad.conf:4: colour: unknown key in [policy]");
}

/* A key given twice, or a value continued on an indented line, is refused. */
static void test_duplicates_and_continuations(void **state)
{
	char text[1024];
	struct bpfd_entry e;

	(void)state;
	snprintf(text, sizeof(text), "[policy]\nobject = %s\npriority = 1\nobject = %s\n", object,
		 object);
	assert_string_equal(parse("bad.conf", text, &e),
			    "bad.conf:4: object: given twice (each key once; first on line 2)");
	snprintf(text, sizeof(text), "[policy]\nobject = %s\n[parameters]\nx = 1\nx = 2\n", object);
	assert_string_equal(parse("bad.conf", text, &e),
			    "bad.conf:5: x: given twice (each parameter once; first on line 4)");
	snprintf(text, sizeof(text), "[policy]\nobject = /nonexistent\n  %s\n", object);
	assert_string_equal(parse("bad.conf", text, &e),
			    "bad.conf:3: an indented line: it would continue the value before, and "
			    "continuation lines are not supported");
	snprintf(text, sizeof(text), "[policy]\nobject = %s\n[parameters]\nx = 1\n\t2\n", object);
	assert_string_equal(parse("bad.conf", text, &e),
			    "bad.conf:5: an indented line: it would continue the value before, and "
			    "continuation lines are not supported");
}

/* JSON with @ replaced by the object's path. */
static struct json_object *request(const char *json)
{
	char buf[1024], *at = strchr(json, '@');
	struct json_object *o;

	if (at)
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - json), json, object, at + 1);
	else
		snprintf(buf, sizeof(buf), "%s", json);
	o = json_tokener_parse(buf);
	assert_non_null(o);
	return o;
}

/* What the daemon would answer of @json: "" when the entry is accepted. */
static const char *refusal(const char *json, struct bpfd_entry *e)
{
	static char why[1024];
	struct json_object *req = request(json);
	char *text = bpfd_request_text(req, why, sizeof(why));

	json_object_put(req);
	if (!text)
		return why;
	why[0] = '\0';
	bpfd_parse_text(text, "attach", e, why, sizeof(why));
	free(text);
	return why;
}

static void test_full_request(void **state)
{
	struct bpfd_entry e;
	char match[96];

	(void)state;
	assert_string_equal(refusal("{\"command\": \"attach\", \"name\": \"trap1\", \"object\": "
				    "\"@\", \"target\": \"0000:00:11.0\", \"priority\": -5, "
				    "\"migration\": false, \"parameters\": {\"trap_len\": "
				    "\"0x1000\", \"emulate_offset\": 4}}",
				    &e),
			    "");
	assert_string_equal(e.name, "trap1");
	assert_string_equal(e.object, object);
	assert_int_equal(e.target, VFIO_PCI_BPF_ADDR(0, 0, 0x11, 0));
	assert_true(e.has_priority && e.priority == -5);
	assert_true(e.has_migration && !e.migration);
	assert_int_equal(e.nr_params, 2);
	assert_string_equal(e.params[0], "trap_len=0x1000");
	assert_string_equal(e.params[1], "emulate_offset=4");

	assert_string_equal(refusal("{\"name\": \"vfs\", \"object\": \"@\", \"vendor\": "
				    "\"0x8086\", \"device\": \"0x10ca\", \"vfs_of\": "
				    "\"0000:01:00.0\", \"class\": \"0x020000/0xff0000\"}",
				    &e),
			    "");
	bpfd_entry_match(&e, match, sizeof(match));
	assert_string_equal(match, "vendor=8086,device=10ca,vfs_of=0000:01:00.0,"
				   "class=020000/ff0000");
}

static void test_request_refusals(void **state)
{
	static const struct {
		const char *json;
		const char *want;
	} cases[] = {
		{ "{\"object\": \"@\"}", "attach: name: missing: an entry made by a request "
					 "needs one" },
		{ "{\"name\": \"x\"}", "attach: object: missing in [policy]" },
		{ "{\"name\": \"x\", \"object\": \"/nowhere.o\"}",
		  "attach: object: /nowhere.o: No such file or directory" },
		{ "{\"name\": \"x\", \"object\": \"@\", \"colour\": \"red\"}",
		  "attach: colour: unknown key in [policy]" },
		{ "{\"name\": \"x\", \"object\": \"@\", \"target\": \"0000:zz:00.0\"}",
		  "attach: target: '0000:zz:00.0' is no PCI address (DDDD:BB:DD.F)" },
		{ "{\"name\": \"a.b\", \"object\": \"@\"}",
		  "attach: name: 'a.b': 1 to 31 letters, digits, '_' or '-'" },
		{ "{\"name\": \"x\", \"object\": \"@\", \"target\": \"0000:00:10.0\", "
		  "\"vendor\": 1}",
		  "attach: target: a target excludes vendor, device, vfs_of and class" },
		{ "{\"name\": \"x\", \"object\": \"@\", \"priority\": 1.5}",
		  "attach: priority: a string, an integer or a boolean expected" },
		{ "{\"name\": \"x\", \"object\": \"@\", \"target\": [\"0000:00:10.0\"]}",
		  "attach: target: a string, an integer or a boolean expected" },
		{ "{\"name\": \"x\", \"object\": \"@\", \"parameters\": [1]}",
		  "attach: parameters: an object expected, as {\"trap_len\": \"0x100\"}" },
		{ "{\"name\": \"x\", \"object\": \"@\", \"a b\": 1}",
		  "attach: 'a b': a key is a word (letters, digits, '_')" },
		/* What would smuggle a second line, or a comment, into the kept file. */
		{ "{\"name\": \"x\\n[parameters]\\nfoo = 1\", \"object\": \"@\"}",
		  "attach: name: the value has a control character (a line break?)" },
		{ "{\"name\": \"x\", \"object\": \"@\", \"parameters\": {\"n\": \"1 ; 2\"}}",
		  "attach: n: the value has a ';'" },
		{ "{\"name\": \" x\", \"object\": \"@\"}",
		  "attach: name: the value has leading or trailing spaces" },
	};
	struct bpfd_entry e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(refusal(cases[i].json, &e), cases[i].want);
}

/* The text kept for a restart reads back, from the runtime directory, as the same entry. */
static void test_kept_and_read_back(void **state)
{
	struct json_object *req = request("{\"command\": \"attach\", \"name\": \"rt\", \"object\": "
					  "\"@\", \"target\": \"0000:00:10.0\", \"parameters\": "
					  "{\"vendor_id\": \"0x1111\"}}");
	char why[256], text[256];
	char *kept = bpfd_request_text(req, why, sizeof(why));
	struct bpfd_entry direct;
	struct bpfd_config cfg;

	(void)state;
	assert_non_null(kept);
	assert_int_equal(bpfd_parse_text(kept, "attach", &direct, why, sizeof(why)), 0);
	mkdir(conf_dir, 0700);
	mkdir(run_dir, 0700);
	write_conf("run/rt.conf", kept);
	snprintf(text, sizeof(text), "[policy]\nobject = %s\nvendor = 0x1234\n", object);
	write_conf("conf/guard.conf", text);
	assert_int_equal(bpfd_read_config(conf_dir, run_dir, &cfg), 0);
	assert_int_equal(cfg.nr_errors, 0);
	assert_int_equal(cfg.nr_entries, 2);
	assert_string_equal(cfg.entries[0].name, "guard");
	assert_false(cfg.entries[0].runtime);
	assert_string_equal(cfg.entries[1].name, "rt");
	assert_true(cfg.entries[1].runtime);
	assert_int_equal(cfg.entries[1].target, direct.target);
	assert_string_equal(cfg.entries[1].params[0], direct.params[0]);
	bpfd_free_config(&cfg);

	/* A config file that takes a runtime entry's name: both refused, as two files are. */
	snprintf(text, sizeof(text), "[policy]\nname = rt\nobject = %s\n", object);
	write_conf("conf/other.conf", text);
	assert_int_equal(bpfd_read_config(conf_dir, run_dir, &cfg), 0);
	assert_int_equal(cfg.nr_entries, 1);
	assert_int_equal(cfg.nr_errors, 2);
	assert_non_null(strstr(cfg.errors[0], "other.conf: name: 'rt' is also the name of"));
	assert_non_null(strstr(cfg.errors[1], "run/rt.conf: name: 'rt' is also the name of"));
	bpfd_free_config(&cfg);

	/* No runtime directory yet (the daemon makes it): the config alone, both files. */
	assert_int_equal(bpfd_read_config(conf_dir, "/nonexistent", &cfg), 0);
	assert_int_equal(cfg.nr_entries, 2);
	bpfd_free_config(&cfg);
	free(kept);
	json_object_put(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_entry),
		cmocka_unit_test(test_target_and_name),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_full_request),
		cmocka_unit_test(test_request_refusals),
		cmocka_unit_test(test_kept_and_read_back),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_long_comments),
		cmocka_unit_test(test_duplicates_and_continuations),
		cmocka_unit_test(test_object_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
