// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "caps.h"
#include "errname.h"
#include "mig.h"
#include "ops.h"

#define VC_REGION_OFFSET(index) ((uint64_t)(index) << 40)

static int num(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end || end == s ? -1 : 0;
}

static int size_ok(uint64_t size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/*
 * VFIO_DEVICE_FEATURE_DMA_BUF for one range [a[1], a[1] + a[2]) of BAR a[0]:
 * the dma-buf fd it gives is closed at once; *val is 0.
 */
static int dmabuf(struct vc_dev *dev, const uint64_t *a, uint64_t *val)
{
	union {
		struct vfio_device_feature f;
		uint8_t bytes[sizeof(struct vfio_device_feature) +
			      sizeof(struct vfio_device_feature_dma_buf) +
			      sizeof(struct vfio_region_dma_range)];
	} req = { .f = { .argsz = sizeof(req),
			 .flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF } };
	struct vfio_device_feature_dma_buf *d = (void *)req.f.data;
	int fd;

	d->region_index = a[0];
	d->open_flags = O_RDWR | O_CLOEXEC;
	d->nr_ranges = 1;
	d->dma_ranges[0] = (struct vfio_region_dma_range){ .offset = a[1], .length = a[2] };
	*val = 0;
	fd = ioctl(dev->device, VFIO_DEVICE_FEATURE, &req);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* Fills *@val on success; returns 0 or -errno. */
static int do_access(struct vc_dev *dev, const char *op, uint64_t *a, uint64_t *val)
{
	ssize_t n;

	if (!strcmp(op, "cfg-read") || !strcmp(op, "bar-read") || !strcmp(op, "cfg-write") ||
	    !strcmp(op, "bar-write")) {
		/* Config ops name no BAR: their arguments start one earlier. */
		bool cfg = op[0] == 'c';
		const uint64_t *arg = cfg ? a : a + 1;
		uint64_t at = (cfg ? dev->cfg_offset : VC_REGION_OFFSET(a[0])) + arg[0];
		size_t size = arg[1];

		*val = 0;
		if (strstr(op, "-write")) {
			*val = arg[2];
			n = vc_pwrite(dev, val, size, at);
		} else {
			n = vc_pread(dev, val, size, at);
		}
		return n < 0 ? (int)n : n != (ssize_t)size ? -EIO : 0;
	}
	if (!strcmp(op, "bar-wait")) {
		/* Until (value & MASK) == WANT, for at most 5 s. */
		for (int tries = 0; tries < 5000; tries++) {
			*val = 0;
			n = vc_pread(dev, val, a[2], VC_REGION_OFFSET(a[0]) + a[1]);
			if (n != (ssize_t)a[2])
				return n < 0 ? (int)n : -EIO;
			if ((*val & a[3]) == a[4])
				return 0;
			usleep(1000);
		}
		return -ETIMEDOUT;
	}
	if (!strcmp(op, "mmap-read")) {
		long page = sysconf(_SC_PAGESIZE);
		uint64_t start = a[1] & ~(uint64_t)(page - 1);
		void *map;
		int ret;

		ret = vc_mmap(dev, VC_REGION_OFFSET(a[0]), start, page, PROT_READ, MAP_SHARED,
			      &map);
		if (ret)
			return ret;
		*val = 0;
		ret = vc_mmio_read((char *)map + (a[1] - start), val, a[2]);
		munmap(map, page);
		return ret;
	}
	if (!strcmp(op, "mmap")) {
		void *map;
		int ret = vc_mmap(dev, VC_REGION_OFFSET(a[0]), a[1], a[2], PROT_READ, MAP_SHARED,
				  &map);

		if (!ret)
			munmap(map, a[2]);
		*val = 0;
		return ret;
	}
	if (!strcmp(op, "dmabuf"))
		return dmabuf(dev, a, val);
	if (!strcmp(op, "reset")) {
		*val = 0;
		return ioctl(dev->device, VFIO_DEVICE_RESET) ? -errno : 0;
	}
	if (!strcmp(op, "feature-probe") || !strcmp(op, "feature-set")) {
		uint32_t how = !strcmp(op, "feature-set")
				       ? VFIO_DEVICE_FEATURE_SET
				       : VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET;
		struct vfio_device_feature feature = { .argsz = sizeof(feature),
						       .flags = (uint32_t)a[0] | how };

		*val = 0;
		return ioctl(dev->device, VFIO_DEVICE_FEATURE, &feature) ? -errno : 0;
	}
	if (!strcmp(op, "get-info")) {
		struct vfio_device_info info = { .argsz = sizeof(info) };

		*val = 0;
		if (ioctl(dev->device, VFIO_DEVICE_GET_INFO, &info))
			return -errno;
		*val = info.num_regions;
		return 0;
	}
	return -EINVAL;
}

/* The sparse-mmap areas of a BAR, one "sparse BAR = OFF+SIZE,..." line. */
static void do_sparse(struct vc_dev *dev, uint32_t bar)
{
	struct vfio_region_info *info;
	struct vc_cap_chain chain;
	const char *why;
	size_t len;
	uint32_t i, j, n;
	int ret;

	ret = vc_region_info(dev, bar, &info, &len);
	if (ret) {
		printf("sparse %u = error %s\n", bar, vc_errname(ret));
		return;
	}
	printf("sparse %u =", bar);
	if (!(info->flags & VFIO_REGION_INFO_FLAG_CAPS) ||
	    vc_caps_walk(info, len, sizeof(*info), info->cap_offset, &chain, &why))
		chain.n = 0;
	for (i = 0, n = 0; i < chain.n; i++) {
		if (chain.caps[i].id != VFIO_REGION_INFO_CAP_SPARSE_MMAP ||
		    vc_cap_sparse_count(info, &chain.caps[i], &n))
			continue;
		for (j = 0; j < n; j++) {
			uint64_t off, size;

			vc_cap_sparse_area(info, &chain.caps[i], j, &off, &size);
			printf("%s0x%" PRIx64 "+0x%" PRIx64, j ? "," : " ", off, size);
		}
		if (!n)
			printf(" empty");
	}
	if (!chain.n)
		printf(" none");
	printf("\n");
	free(info);
}

static int arity(const char *op)
{
	static const struct {
		const char *name;
		int args;
	} table[] = {
		{ "cfg-read", 2 },	{ "cfg-write", 3 },   { "bar-read", 3 },
		{ "bar-write", 4 },	{ "mmap-read", 3 },   { "mmap", 3 },
		{ "sparse", 1 },	{ "get-info", 0 },    { "reset", 0 },
		{ "feature-probe", 1 }, { "feature-set", 1 }, { "bar-wait", 5 },
		{ "pause", 0 },		{ "dmabuf", 3 },
	};
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(op, table[i].name))
			return table[i].args;
	return -1;
}

static int parse_args(int argc, char **argv, int want, uint64_t *a)
{
	int i;

	if (want < 0 || argc < want + 1)
		return -1;
	for (i = 0; i < want; i++)
		if (num(argv[i + 1], &a[i]))
			return -1;
	return 0;
}

static int sizes_valid(const char *op, const uint64_t *a)
{
	if (!strcmp(op, "cfg-read") || !strcmp(op, "cfg-write"))
		return size_ok(a[1]);
	if (!strcmp(op, "bar-read") || !strcmp(op, "bar-write") || !strcmp(op, "mmap-read") ||
	    !strcmp(op, "bar-wait"))
		return size_ok(a[2]);
	return 1;
}

static void print_op(int argc, char **argv, int want)
{
	int i;

	(void)argc;
	for (i = 0; i <= want; i++)
		printf("%s%s", i ? " " : "", argv[i]);
}

/* Distinct values a repeated read saw; the last slot takes the overflow. */
#define VC_MAX_VALUES 8

static void tally(uint64_t *vals, uint64_t *hits, unsigned int *n, uint64_t val)
{
	unsigned int i;

	for (i = 0; i < *n; i++)
		if (vals[i] == val)
			break;
	if (i == *n) {
		if (*n == VC_MAX_VALUES)
			i = VC_MAX_VALUES - 1;
		else
			(*n)++;
		vals[i] = val;
		hits[i] = 0;
	}
	hits[i]++;
}

static volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/*
 * "loop" runs until SIGTERM or SIGINT, so that a test can keep a reader
 * busy exactly as long as its other work lasts.  SA_RESTART keeps the
 * signal from failing an access in flight.
 */
static void stop_on_signal(void)
{
	struct sigaction sa = { .sa_handler = request_stop, .sa_flags = SA_RESTART };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* repeat N OP ARGS... or loop OP ARGS...: the tally of what the reads saw. */
static int repeat_op(struct vc_dev *dev, int argc, char **argv, bool forever)
{
	uint64_t a[5], count = 0, val, i, fails = 0, vals[VC_MAX_VALUES], hits[VC_MAX_VALUES];
	int skip = forever ? 1 : 2, want;
	unsigned int nvals = 0;
	char **op = argv + skip;

	if (argc <= skip || (!forever && num(argv[1], &count)))
		return -1;
	want = arity(op[0]);
	if (parse_args(argc - skip, op, want, a) || !sizes_valid(op[0], a))
		return -1;
	if (forever) {
		stop_on_signal();
		/* From here on a stop request yields a tally; tests wait for this. */
		printf("looping\n");
		fflush(stdout);
	}
	for (i = 0; forever ? !stop_requested : i < count; i++) {
		int ret = do_access(dev, op[0], a, &val);

		if (ret) {
			fails++;
			print_op(argc - skip, op, want);
			printf(" = error %s (iteration %" PRIu64 ")\n", vc_errname(ret), i);
			continue;
		}
		tally(vals, hits, &nvals, val);
	}
	printf("repeat %" PRIu64 " %s: %" PRIu64 " failed, values", i, op[0], fails);
	for (i = 0; i < nvals; i++)
		printf(" 0x%" PRIx64 "x%" PRIu64, vals[i], hits[i]);
	printf("\n");
	return skip + want + 1;
}

int vc_run_op(struct vc_dev *dev, int argc, char **argv)
{
	uint64_t a[5], val;
	int want, ret;

	if (argc >= 1 && (!strcmp(argv[0], "repeat") || !strcmp(argv[0], "loop")))
		return repeat_op(dev, argc, argv, !strcmp(argv[0], "loop"));
	if (!strncmp(argv[0], "mig-", 4))
		return vc_mig_op(dev, argc, argv);
	want = arity(argv[0]);
	if (parse_args(argc, argv, want, a) || !sizes_valid(argv[0], a))
		return -1;
	if (!strcmp(argv[0], "sparse")) {
		do_sparse(dev, a[0]);
		return 2;
	}
	if (!strcmp(argv[0], "pause")) {
		char line[16];

		/* The test acts on the device as it is now, then sends a line. */
		printf("pause = waiting\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return -1;
		return 1;
	}
	ret = do_access(dev, argv[0], a, &val);
	print_op(argc, argv, want);
	if (ret)
		printf(" = error %s\n", vc_errname(ret));
	else
		printf(" = 0x%" PRIx64 "\n", val);
	fflush(stdout);
	return want + 1;
}
