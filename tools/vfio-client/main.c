// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-client: drive one PCI device through the VFIO uAPI the way a VMM
 * does, to test vfio-pci and its variant drivers from userspace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bdf.h"
#include "check.h"
#include "edu.h"
#include "errname.h"
#include "generic.h"
#include "ops.h"
#include "report.h"
#include "vfio.h"

/* Exit codes: check failures and "could not even open" must differ. */
enum { EXIT_CHECKS_FAILED = 1, EXIT_OPEN_FAILED = 2 };

static void usage(FILE *f)
{
	fprintf(f, "usage: vfio-client [options] BDF [OP ARGS...]...\n"
		   "Open a PCI device bound to a vfio-pci driver (BDF like 0000:00:10.0)\n"
		   "through its IOMMU group and:\n"
		   "  -r, --report        print everything a VMM observes, one fact a line\n"
		   "  -e, --edu           check QEMU's edu device (registers, mmap, DMA)\n"
		   "  -g, --generic       checks that hold for any PCI device\n"
		   "  -H, --hold SECONDS  then print 'holding' and keep the device open\n"
		   "  -h, --help          this text\n"
		   "OPs (after the modes): cfg-read OFF SIZE, cfg-write OFF SIZE VALUE,\n"
		   "  bar-read BAR OFF SIZE, bar-write BAR OFF SIZE VALUE, mmap-read BAR OFF\n"
		   "  SIZE, mmap BAR OFF LEN, dmabuf BAR OFF LEN, sparse BAR, get-info, reset,\n"
		   "  feature-probe FEATURE, feature-set FEATURE, bar-wait BAR OFF SIZE MASK\n"
		   "  WANT, repeat N OP ARGS...,\n"
		   "  mig-flags, mig-state, mig-set STATE, mig-size, mig-read FILE,\n"
		   "  mig-write FILE, mig-trickle FILE, mig-precopy-info, mig-close (the\n"
		   "  migration uAPI, see\n"
		   "  mig.h),\n"
		   "  loop OP ARGS... (repeats until SIGTERM or SIGINT), pause (prints\n"
		   "  'pause = waiting', then waits for a line on stdin)\n"
		   "Modes combine and run in the order above. Exit status: 0 success,\n"
		   "1 a check failed, 2 the device could not be opened or bad usage.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "report", no_argument, NULL, 'r' },  { "edu", no_argument, NULL, 'e' },
		{ "generic", no_argument, NULL, 'g' }, { "hold", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },    { NULL, 0, NULL, 0 },
	};
	bool report = false, edu = false, generic = false;
	struct vc_checks checks = { 0 };
	long hold = -1;
	struct vc_bdf bdf;
	struct vc_dev dev;
	char why[160], *end;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "regH:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			report = true;
			break;
		case 'e':
			edu = true;
			break;
		case 'g':
			generic = true;
			break;
		case 'H':
			errno = 0;
			hold = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || hold < 0) {
				fprintf(stderr, "vfio-client: bad --hold '%s': want seconds\n",
					optarg);
				return EXIT_OPEN_FAILED;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_OPEN_FAILED;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_OPEN_FAILED;
	}
	if (vc_bdf_parse(argv[optind], &bdf, why, sizeof(why))) {
		fprintf(stderr, "vfio-client: %s\n", why);
		return EXIT_OPEN_FAILED;
	}
	ret = vc_open(&dev, &bdf, why, sizeof(why));
	if (ret) {
		fprintf(stderr, "vfio-client: %s: %s (%s)\n", why, strerror(-ret), vc_errname(ret));
		return EXIT_OPEN_FAILED;
	}
	if (report)
		vc_report(&dev);
	if (edu)
		vc_edu_checks(&dev, &checks);
	if (generic)
		vc_generic_checks(&dev, &checks);
	for (int i = optind + 1; i < argc;) {
		int used = vc_run_op(&dev, argc - i, argv + i);

		if (used < 0) {
			fprintf(stderr, "vfio-client: bad operation at '%s'\n", argv[i]);
			vc_close(&dev);
			return EXIT_OPEN_FAILED;
		}
		i += used;
	}
	if (hold >= 0) {
		printf("holding\n");
		fflush(stdout);
		/* sleep() returns early on a signal; the hold is a promise, keep it. */
		for (unsigned int left = (unsigned int)hold; left;)
			left = sleep(left);
	}
	vc_close(&dev);
	return checks.failed ? EXIT_CHECKS_FAILED : 0;
}
