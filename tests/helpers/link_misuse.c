// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test helper: what a buggy or hostile loader can do with struct_ops maps
 * and links, each of which the module must refuse while leaving the
 * registered policies exactly as they were:
 *   - register one map object a second time;
 *   - update a link onto a map another link already holds;
 *   - update a link onto the map it already holds;
 *   - register a second policy under a name already in use.
 * Prints one "WHAT: ERRNO" line per attempt, then the device's policies
 * while the first two registrations are still held.
 * usage: link-misuse OBJECT BDF
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "params.h"
#include "policy.h"

static int load(const char *object, const char *name, uint32_t target, struct vpb_loaded *p)
{
	struct vpb_policy_opts opts = {
		.object = object, .name = name, .has_target = true, .target = target
	};
	char err[512];

	if (vpb_policy_load(&opts, p, err, sizeof(err))) {
		fprintf(stderr, "link-misuse: %s\n", err);
		return -1;
	}
	return 0;
}

static void result(const char *what, int ret)
{
	printf("%s: %s\n", what, ret ? strerrorname_np(-ret) : "accepted");
}

int main(int argc, char **argv)
{
	struct vpb_loaded a, b, c;
	struct bpf_link *extra;
	char err[512], path[128], line[64];
	uint32_t target;
	FILE *f;

	if (argc != 3 || vpb_parse_bdf(argv[2], &target)) {
		fprintf(stderr, "usage: link-misuse OBJECT BDF\n");
		return 2;
	}
	if (load(argv[1], "first", target, &a) || load(argv[1], "second", target, &b) ||
	    load(argv[1], "first", target, &c))
		return 2;
	if (vpb_policy_attach(&a, err, sizeof(err)) || vpb_policy_attach(&b, err, sizeof(err))) {
		fprintf(stderr, "link-misuse: registration: %s\n", err);
		return 2;
	}

	extra = bpf_map__attach_struct_ops(a.ops);
	result("second registration of a map", extra ? 0 : -errno);
	bpf_link__destroy(extra);
	result("link update onto another link's map", bpf_link__update_map(b.link, a.ops));
	result("link update onto its own map", bpf_link__update_map(a.link, a.ops));
	extra = bpf_map__attach_struct_ops(c.ops);
	result("a second policy with a name in use", extra ? 0 : -errno);
	bpf_link__destroy(extra);

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio_bpf/policies", argv[2]);
	f = fopen(path, "r");
	printf("policies:");
	while (f && fgets(line, sizeof(line), f))
		printf(" %s", strtok(line, "\n"));
	printf("\n");
	if (f)
		fclose(f);
	vpb_policy_close(&c);
	vpb_policy_close(&b);
	vpb_policy_close(&a);
	return 0;
}
