// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test helper: registers one struct_ops map object twice, as a buggy
 * loader might.  Prints the second registration's errno name and then the
 * device's policies while the first is still held; exit 0 only when the
 * first succeeded and the second was refused.
 * usage: attach-twice OBJECT BDF
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "params.h"
#include "policy.h"

int main(int argc, char **argv)
{
	struct vpb_policy_opts opts = { .has_target = true };
	struct bpf_link *second;
	struct vpb_loaded p;
	char err[512], path[128], line[64];
	FILE *f;
	int ret;

	if (argc != 3 || vpb_parse_bdf(argv[2], &opts.target)) {
		fprintf(stderr, "usage: attach-twice OBJECT BDF\n");
		return 2;
	}
	opts.object = argv[1];
	if (vpb_policy_load(&opts, &p, err, sizeof(err)) ||
	    vpb_policy_attach(&p, err, sizeof(err))) {
		fprintf(stderr, "attach-twice: first registration: %s\n", err);
		return 2;
	}
	second = bpf_map__attach_struct_ops(p.ops);
	ret = second ? 0 : errno;
	printf("second registration: %s\n", ret ? strerrorname_np(ret) : "accepted");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio_bpf/policies", argv[2]);
	f = fopen(path, "r");
	printf("policies:");
	while (f && fgets(line, sizeof(line), f))
		printf(" %s", strtok(line, "\n"));
	printf("\n");
	if (f)
		fclose(f);
	bpf_link__destroy(second);
	vpb_policy_close(&p);
	return ret ? 0 : 1;
}
