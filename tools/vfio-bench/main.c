// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-bench: the per-operation cost of the device-fd paths a VMM uses,
 * as the median over batches, so that runs under different drivers and
 * policies can be compared as ratios within one VM boot.
 *
 * usage: vfio-bench BDF [BATCHES [OPS_PER_BATCH]]
 * prints: "<op> <median ns/op> <min ns/op>" per operation
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>

#include "bdf.h"
#include "errname.h"
#include "vfio.h"

#define BAR0 ((uint64_t)0 << 40)
/* edu's liveness register: writable, read back inverted, no side effects. */
#define REG 0x04

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

enum op { CFG_READ, BAR_READ, BAR_WRITE, IOCTL_INFO, MMAP_READ, NR_OPS };
static const char *const op_names[NR_OPS] = { "config_read", "bar_read", "bar_write",
					      "ioctl_get_info", "mmap_read" };

/* One operation once; returns 0 or -errno. */
static int run_op(struct vc_dev *dev, enum op op, volatile uint32_t *mmio)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	uint32_t v = 0x5a5a5a5a;

	switch (op) {
	case CFG_READ:
		return vc_pread(dev, &v, 4, dev->cfg_offset) == 4 ? 0 : -EIO;
	case BAR_READ:
		return vc_pread(dev, &v, 4, BAR0 + REG) == 4 ? 0 : -EIO;
	case BAR_WRITE:
		return vc_pwrite(dev, &v, 4, BAR0 + REG) == 4 ? 0 : -EIO;
	case IOCTL_INFO:
		return ioctl(dev->device, VFIO_DEVICE_GET_INFO, &info) ? -errno : 0;
	case MMAP_READ:
		v = mmio[0x40000 / 4]; /* edu's DMA buffer: untrapped, no side effects */
		(void)v;
		return 0;
	default:
		return -EINVAL;
	}
}

int main(int argc, char **argv)
{
	unsigned long batches = argc > 2 ? strtoul(argv[2], NULL, 0) : 31;
	unsigned long per_batch = argc > 3 ? strtoul(argv[3], NULL, 0) : 2000;
	struct vc_bdf bdf;
	struct vc_dev dev;
	uint64_t *samples;
	void *map = NULL;
	char why[160];
	int ret;

	if (argc < 2 || !batches || !per_batch) {
		fprintf(stderr, "usage: vfio-bench BDF [BATCHES [OPS_PER_BATCH]]\n");
		return 2;
	}
	if (vc_bdf_parse(argv[1], &bdf, why, sizeof(why))) {
		fprintf(stderr, "vfio-bench: %s\n", why);
		return 2;
	}
	ret = vc_open(&dev, &bdf, why, sizeof(why));
	if (ret) {
		fprintf(stderr, "vfio-bench: %s: %s (%s)\n", why, strerror(-ret), vc_errname(ret));
		return 2;
	}
	/* Map the DMA buffer page only: page 0 may be trapped. */
	ret = vc_mmap(&dev, BAR0, 0x40000, 0x1000, PROT_READ, MAP_SHARED, &map);
	samples = calloc(batches, sizeof(*samples));
	if (ret || !samples) {
		fprintf(stderr, "vfio-bench: mmap of BAR0: %s\n", vc_errname(ret));
		return 2;
	}
	for (int op = 0; op < NR_OPS; op++) {
		volatile uint32_t *mmio = (volatile uint32_t *)((char *)map - 0x40000);

		/* Batch -1 warms caches and the emulator's translation; not timed. */
		for (long b = -1; b < (long)batches; b++) {
			uint64_t start = now_ns();

			for (unsigned long i = 0; i < per_batch; i++) {
				ret = run_op(&dev, op, mmio);
				if (ret) {
					fprintf(stderr, "vfio-bench: %s: %s\n", op_names[op],
						vc_errname(ret));
					return 1;
				}
			}
			if (b >= 0)
				samples[b] = (now_ns() - start) / per_batch;
		}
		qsort(samples, batches, sizeof(*samples), cmp_u64);
		printf("%s %llu %llu\n", op_names[op], (unsigned long long)samples[batches / 2],
		       (unsigned long long)samples[0]);
	}
	munmap(map, 0x1000);
	free(samples);
	vc_close(&dev);
	return 0;
}
