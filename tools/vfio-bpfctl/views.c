// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "params.h"
#include "sysfs_json.h"
#include "vfio_pci_bpf.h"
#include "views.h"

/* Registered policies whose target is not bound: the driver lists them pending. */
static struct json_object *pending_policies(void)
{
	struct json_object *all = vpb_json_policies(), *arr = json_object_new_array();

	for (size_t i = 0; i < json_object_array_length(all); i++) {
		struct json_object *p = json_object_array_get_idx(all, i), *q;

		if (strcmp(vpb_json_field(p, "state"), "pending"))
			continue;
		q = json_object_new_object();
		json_object_object_add(q, "name",
				       json_object_new_string(vpb_json_field(p, "name")));
		json_object_object_add(q, "target",
				       json_object_new_string(vpb_json_field(p, "match")));
		json_object_array_add(arr, q);
	}
	json_object_put(all);
	return arr;
}

static bool want_json(int argc, char **argv, int *rest)
{
	bool json = false;

	*rest = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else
			rest[0] = i;
	}
	return json;
}

static void print_json(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
	json_object_put(o);
}

/* devices [--json]: address, IDs, PF or VF, policies in chain order, pending ones. */
int vpb_cmd_devices(int argc, char **argv)
{
	struct json_object *devs = vpb_json_devices(), *pending = pending_policies(), *out;
	int rest;

	if (want_json(argc, argv, &rest) || rest) {
		if (rest) {
			fprintf(stderr, "usage: vfio-bpfctl devices [--json]\n");
			json_object_put(devs);
			json_object_put(pending);
			return 2;
		}
		out = json_object_new_object();
		json_object_object_add(out, "devices", devs);
		json_object_object_add(out, "pending", pending);
		print_json(out);
		return 0;
	}
	printf("%-14s %-10s %-24s %s\n", "DEVICE", "IDS", "ROLE", "POLICIES");
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		struct json_object *d = json_object_array_get_idx(devs, i);
		char role[48] = "function";

		if (*vpb_json_field(d, "pf"))
			snprintf(role, sizeof(role), "VF %s of %s", vpb_json_field(d, "vf_index"),
				 vpb_json_field(d, "pf"));
		printf("%-14s %-10s %-24s %s\n", vpb_json_field(d, "device"),
		       vpb_json_field(d, "ids"), role, vpb_json_field(d, "policies"));
	}
	for (size_t i = 0; i < json_object_array_length(pending); i++) {
		struct json_object *p = json_object_array_get_idx(pending, i);

		printf("pending: %s waits for %s to bind\n", vpb_json_field(p, "name"),
		       vpb_json_field(p, "target"));
	}
	json_object_put(devs);
	json_object_put(pending);
	return 0;
}

/* stats [BDF] [--json]: one device's counters, or every device's. */
int vpb_cmd_stats(int argc, char **argv)
{
	struct json_object *devs, *one;
	char bdf[16] = "";
	uint32_t addr;
	int rest;
	bool json = want_json(argc, argv, &rest);

	if (rest) {
		if (vpb_parse_bdf(argv[rest], &addr)) {
			fprintf(stderr, "usage: vfio-bpfctl stats [BDF] [--json]\n");
			return 2;
		}
		vpb_format_bdf(addr, bdf, sizeof(bdf));
		one = vpb_json_counters(bdf);
		if (!one) {
			fprintf(stderr, "vfio-bpfctl: %s is not bound to vfio-pci-bpf (%s)\n", bdf,
				strerror(errno));
			return 1;
		}
		devs = json_object_new_array();
		json_object_array_add(devs, one);
	} else {
		devs = vpb_json_devices();
	}
	/* An array either way: one device's is an array of one. */
	if (json) {
		print_json(devs);
		return 0;
	}
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		struct json_object *d = json_object_array_get_idx(devs, i);

		if (i)
			printf("\n");
		json_object_object_foreach(d, key, val)
			printf("%s %s\n", key, json_object_get_string(val));
	}
	json_object_put(devs);
	return 0;
}

/* The counters top shows, as per-second rates. */
static const char *const top_columns[][2] = {
	{ "ioctls", "IOCTL/s" },
	{ "hook.config_read.calls", "CFG_RD/s" },
	{ "hook.config_write.calls", "CFG_WR/s" },
	{ "trapped_reads", "BAR_RD/s" },
	{ "trapped_writes", "BAR_WR/s" },
	{ "hook.config_read.denied", "DENIED/s" },
};
#define NR_TOP (sizeof(top_columns) / sizeof(top_columns[0]))

static uint64_t counter_of(struct json_object *devs, const char *bdf, const char *key)
{
	for (size_t i = 0; devs && i < json_object_array_length(devs); i++) {
		struct json_object *d = json_object_array_get_idx(devs, i), *v;

		if (!strcmp(vpb_json_field(d, "device"), bdf) &&
		    json_object_object_get_ex(d, key, &v))
			return json_object_get_uint64(v);
	}
	return 0;
}

/* top [--interval SECONDS] [--count N]: live per-device rates, refreshed in place. */
int vpb_cmd_top(int argc, char **argv)
{
	struct json_object *prev = NULL, *cur;
	long interval = 1, count = -1;
	bool tty = isatty(STDOUT_FILENO);

	for (int i = 1; i < argc; i++) {
		long *dst = !strcmp(argv[i], "--interval") ? &interval
			    : !strcmp(argv[i], "--count")  ? &count
							   : NULL;

		if (!dst || i + 1 == argc || (*dst = strtol(argv[++i], NULL, 10)) <= 0) {
			fprintf(stderr,
				"usage: vfio-bpfctl top [--interval SECONDS] [--count N]\n");
			return 2;
		}
	}
	for (long frame = 0; count < 0 || frame < count; frame++) {
		if (frame)
			sleep(interval);
		cur = vpb_json_devices();
		if (tty)
			printf("\033[H\033[2J");
		printf("%-14s %-22s", "DEVICE", "POLICIES");
		for (size_t c = 0; c < NR_TOP; c++)
			printf(" %9s", top_columns[c][1]);
		printf("\n");
		for (size_t i = 0; i < json_object_array_length(cur); i++) {
			struct json_object *d = json_object_array_get_idx(cur, i);
			const char *bdf = vpb_json_field(d, "device");

			printf("%-14s %-22.22s", bdf, vpb_json_field(d, "policies"));
			for (size_t c = 0; c < NR_TOP; c++) {
				uint64_t now = counter_of(cur, bdf, top_columns[c][0]);
				uint64_t then = counter_of(prev, bdf, top_columns[c][0]);

				/* The first frame has no past: show rates from the next one. */
				if (prev && now >= then)
					printf(" %9llu",
					       (unsigned long long)((now - then) / interval));
				else
					printf(" %9s", "-");
			}
			printf("\n");
		}
		fflush(stdout);
		json_object_put(prev);
		prev = cur;
	}
	json_object_put(prev);
	return 0;
}
