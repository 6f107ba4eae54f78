// SPDX-License-Identifier: GPL-2.0-only
/*
 * vpb-scale: how long registering one policy on every vfio-pci-bpf device
 * takes, hot-swapping it, and detaching it -- the kernel's side only (the
 * link create, update and detach calls), timed with CLOCK_MONOTONIC, which
 * counts guest instructions when the VM runs with -icount shift=0.
 * Prints "attach NS", "swap NS", "detach NS" and the devices it reached.
 *
 * usage: vpb-scale OBJECT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "policy.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Devices whose sysfs policy list names @name. */
static int devices_with(const char *name)
{
	char line[64];
	glob_t g;
	int n = 0;

	if (glob("/sys/bus/pci/devices/*/vfio_bpf/policies", 0, NULL, &g))
		return 0;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		FILE *f = fopen(g.gl_pathv[i], "r");

		while (f && fgets(line, sizeof(line), f))
			if (!strcmp(strtok(line, "\n"), name))
				n++;
		if (f)
			fclose(f);
	}
	globfree(&g);
	return n;
}

int main(int argc, char **argv)
{
	struct vpb_policy_opts opts = { .has_vendor = true, .has_device = true };
	struct vpb_loaded a, b;
	char err[512];
	uint64_t t;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: vpb-scale OBJECT\n");
		return 2;
	}
	opts.object = argv[1];
	if (vpb_policy_load(&opts, &a, err, sizeof(err)) ||
	    vpb_policy_load(&opts, &b, err, sizeof(err))) {
		fprintf(stderr, "vpb-scale: %s\n", err);
		return 2;
	}

	t = now_ns();
	a.link = bpf_map__attach_struct_ops(a.ops);
	t = now_ns() - t;
	if (!a.link) {
		fprintf(stderr, "vpb-scale: attach: %s\n", strerror(errno));
		return 1;
	}
	printf("attach %llu ns, %d devices\n", (unsigned long long)t,
	       devices_with(bpf_map__name(a.ops)));

	t = now_ns();
	ret = bpf_link__update_map(a.link, b.ops);
	t = now_ns() - t;
	if (ret) {
		fprintf(stderr, "vpb-scale: swap: %s\n", strerror(-ret));
		return 1;
	}
	printf("swap %llu ns\n", (unsigned long long)t);

	t = now_ns();
	ret = bpf_link__detach(a.link);
	t = now_ns() - t;
	if (ret) {
		fprintf(stderr, "vpb-scale: detach: %s\n", strerror(-ret));
		return 1;
	}
	printf("detach %llu ns, %d devices left\n", (unsigned long long)t,
	       devices_with(bpf_map__name(a.ops)));
	vpb_policy_close(&b);
	vpb_policy_close(&a);
	return 0;
}
