// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/pci_regs.h>

#include "edu.h"
#include "errname.h"

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8

#define EDU_ID 0x00
#define EDU_LIVENESS 0x04
#define EDU_FACT 0x08
#define EDU_STATUS 0x20
#define EDU_STATUS_COMPUTING 0x01
#define EDU_STATUS_IRQFACT 0x80
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_RUN 0x1
#define EDU_DMA_TO_RAM 0x2
#define EDU_ID_VALUE 0x010000edu
/* The device's own 4 KiB buffer, as seen by its DMA engine only. */
#define EDU_DMA_BUF 0x40000
#define EDU_DMA_BUF_SIZE 4096
/* Well inside edu's 28-bit DMA mask. */
#define EDU_TEST_IOVA 0x100000

/* BAR0 reached either through the device fd or through a mapping. */
struct edu_io {
	const char *path; /* "pread" or "mmap" */
	struct vc_dev *dev;
	uint64_t base;
	volatile uint8_t *map;
};

static int io_read(const struct edu_io *io, uint32_t off, void *val, size_t size)
{
	ssize_t n;

	if (io->map)
		return vc_mmio_read(io->map + off, val, size);
	n = vc_pread(io->dev, val, size, io->base + off);
	return n < 0 ? (int)n : (size_t)n == size ? 0 : -EIO;
}

static int io_write(const struct edu_io *io, uint32_t off, const void *val, size_t size)
{
	ssize_t n;

	if (io->map)
		return vc_mmio_write(io->map + off, val, size);
	n = vc_pwrite(io->dev, val, size, io->base + off);
	return n < 0 ? (int)n : (size_t)n == size ? 0 : -EIO;
}

static int rd32(const struct edu_io *io, uint32_t off, uint32_t *val)
{
	return io_read(io, off, val, 4);
}

static int wr32(const struct edu_io *io, uint32_t off, uint32_t val)
{
	return io_write(io, off, &val, 4);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Poll until (reg & mask) == 0. Generous timeout: the VM runs under TCG and
 * edu's DMA engine only starts 100 ms (virtual) after the command write.
 */
static int wait_clear(const struct edu_io *io, uint32_t off, uint32_t mask, uint32_t *last)
{
	long long end = now_ms() + 10000;
	int ret;

	do {
		ret = rd32(io, off, last);
		if (ret)
			return ret;
		if (!(*last & mask))
			return 0;
		usleep(1000);
	} while (now_ms() < end);
	return -ETIMEDOUT;
}

static void name(char *buf, size_t len, const struct edu_io *io, const char *check)
{
	snprintf(buf, len, "%s-%s", io->path, check);
}

static void check_id(const struct edu_io *io, struct vc_checks *c)
{
	uint32_t v = 0;
	int ret = rd32(io, EDU_ID, &v);
	char n[48];

	name(n, sizeof(n), io, "id");
	vc_check(c, !ret && v == EDU_ID_VALUE, n, "read %s value 0x%08x, want 0x%08x",
		 vc_errname(ret), v, EDU_ID_VALUE);
}

static void check_liveness(const struct edu_io *io, struct vc_checks *c)
{
	static const uint32_t patterns[] = { 0x12345678, 0xa5a5a5a5, 0 };
	char n[48];
	unsigned int i;

	name(n, sizeof(n), io, "liveness");
	for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		uint32_t v = 0;
		int ret = wr32(io, EDU_LIVENESS, patterns[i]);

		if (!ret)
			ret = rd32(io, EDU_LIVENESS, &v);
		if (ret || v != ~patterns[i]) {
			vc_check(c, false, n, "wrote 0x%08x, read %s 0x%08x, want 0x%08x",
				 patterns[i], vc_errname(ret), v, ~patterns[i]);
			return;
		}
	}
	vc_check(c, true, n, "%s", "");
}

static void check_factorial(const struct edu_io *io, uint32_t arg, uint32_t want,
			    struct vc_checks *c)
{
	uint32_t status = 0, v = 0;
	char n[48], what[24];
	int ret;

	snprintf(what, sizeof(what), "factorial-%u", arg);
	name(n, sizeof(n), io, what);
	ret = wait_clear(io, EDU_STATUS, EDU_STATUS_COMPUTING, &status);
	if (!ret)
		ret = wr32(io, EDU_FACT, arg);
	if (!ret)
		ret = wait_clear(io, EDU_STATUS, EDU_STATUS_COMPUTING, &status);
	if (!ret)
		ret = rd32(io, EDU_FACT, &v);
	vc_check(c, !ret && v == want, n, "%s status 0x%x result %u, want %u", vc_errname(ret),
		 status, v, want);
}

static void check_status(const struct edu_io *io, struct vc_checks *c)
{
	uint32_t set = 0, clear = 0;
	char n[48];
	int ret;

	/*
	 * Only the IRQFACT bit is writable. It is set and cleared while no
	 * factorial runs, so no interrupt is raised that nobody handles.
	 */
	name(n, sizeof(n), io, "status");
	ret = wr32(io, EDU_STATUS, EDU_STATUS_IRQFACT);
	if (!ret)
		ret = rd32(io, EDU_STATUS, &set);
	if (!ret)
		ret = wr32(io, EDU_STATUS, 0);
	if (!ret)
		ret = rd32(io, EDU_STATUS, &clear);
	vc_check(c, !ret && set == EDU_STATUS_IRQFACT && clear == 0, n,
		 "%s after set 0x%x (want 0x80), after clear 0x%x (want 0)", vc_errname(ret), set,
		 clear);
}

static void check_dma_regs(const struct edu_io *io, struct vc_checks *c)
{
	static const uint32_t regs[] = { EDU_DMA_SRC, EDU_DMA_DST, EDU_DMA_CNT };
	char n[48];
	unsigned int i;

	name(n, sizeof(n), io, "dma-regs");
	for (i = 0; i < 3; i++) {
		uint32_t want = 0x1000 * (i + 1) + 0x40, v = 0;
		int ret = wr32(io, regs[i], want);

		if (!ret)
			ret = rd32(io, regs[i], &v);
		if (ret || v != want) {
			vc_check(c, false, n, "reg 0x%x: wrote 0x%x, read %s 0x%x", regs[i], want,
				 vc_errname(ret), v);
			return;
		}
	}
	vc_check(c, true, n, "%s", "");
}

/* edu takes 8-byte accesses at 0x80 and up; a mapping passes them whole. */
static void check_dma_regs64(const struct edu_io *io, struct vc_checks *c)
{
	uint64_t want = 0x0000001234567000ull, v = 0;
	char n[48];
	int ret;

	name(n, sizeof(n), io, "dma-regs-64bit");
	ret = io_write(io, EDU_DMA_DST, &want, 8);
	if (!ret)
		ret = io_read(io, EDU_DMA_DST, &v, 8);
	vc_check(c, !ret && v == want, n, "wrote 0x%llx, read %s 0x%llx", (unsigned long long)want,
		 vc_errname(ret), (unsigned long long)v);
	wr32(io, EDU_DMA_DST, 0);
}

static void run_path(const struct edu_io *io, uint32_t fact_arg, uint32_t fact_want,
		     struct vc_checks *c)
{
	check_id(io, c);
	check_liveness(io, c);
	check_factorial(io, fact_arg, fact_want, c);
	check_status(io, c);
	check_dma_regs(io, c);
	check_dma_regs64(io, c);
	wr32(io, EDU_DMA_SRC, 0);
	wr32(io, EDU_DMA_DST, 0);
	wr32(io, EDU_DMA_CNT, 0);
}

/* One transfer between edu's buffer and RAM; edu clears RUN when done. */
static int dma_xfer(const struct edu_io *io, uint64_t src, uint64_t dst, uint32_t cmd)
{
	uint32_t last;
	int ret;

	ret = wr32(io, EDU_DMA_SRC, (uint32_t)src);
	if (!ret)
		ret = wr32(io, EDU_DMA_DST, (uint32_t)dst);
	if (!ret)
		ret = wr32(io, EDU_DMA_CNT, EDU_DMA_BUF_SIZE);
	if (!ret)
		ret = wr32(io, EDU_DMA_CMD, cmd | EDU_DMA_RUN);
	if (!ret)
		ret = wait_clear(io, EDU_DMA_CMD, EDU_DMA_RUN, &last);
	return ret;
}

static void check_dma(struct vc_dev *dev, const struct edu_io *io, struct vc_checks *c)
{
	size_t len = 2 * EDU_DMA_BUF_SIZE;
	uint8_t *ram, *src, *dst;
	uint16_t cmd;
	size_t i;
	int ret;

	ram = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED) {
		vc_check(c, false, "dma-map", "mmap anonymous: %s", vc_errname(errno));
		return;
	}
	src = ram;
	dst = ram + EDU_DMA_BUF_SIZE;
	for (i = 0; i < EDU_DMA_BUF_SIZE; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	memset(dst, 0, EDU_DMA_BUF_SIZE);
	ret = vc_dma_map(dev, ram, EDU_TEST_IOVA, len);
	if (!vc_check(c, !ret, "dma-map", "VFIO_IOMMU_MAP_DMA: %s", vc_errname(ret)))
		goto out_free;
	/* Without bus mastering QEMU drops the device's DMA silently. */
	ret = vc_cmd_set(dev, PCI_COMMAND_MASTER, &cmd);
	if (!vc_check(c, !ret, "dma-bus-master", "command register: %s", vc_errname(ret)))
		goto out_unmap;
	ret = dma_xfer(io, EDU_TEST_IOVA, EDU_DMA_BUF, 0);
	vc_check(c, !ret, "dma-ram-to-device", "%s", vc_errname(ret));
	if (!ret) {
		ret = dma_xfer(io, EDU_DMA_BUF, EDU_TEST_IOVA + EDU_DMA_BUF_SIZE, EDU_DMA_TO_RAM);
		vc_check(c, !ret, "dma-device-to-ram", "%s", vc_errname(ret));
	}
	if (!ret) {
		for (i = 0; i < EDU_DMA_BUF_SIZE && dst[i] == src[i]; i++)
			;
		vc_check(c, i == EDU_DMA_BUF_SIZE, "dma-compare",
			 "byte 0x%zx is 0x%02x, want 0x%02x", i, dst[i], src[i]);
	}
	vc_cfg_write(dev, PCI_COMMAND, &cmd, sizeof(cmd));
out_unmap:
	ret = vc_dma_unmap(dev, EDU_TEST_IOVA, len);
	vc_check(c, !ret, "dma-unmap", "VFIO_IOMMU_UNMAP_DMA: %s", vc_errname(ret));
out_free:
	munmap(ram, len);
}

void vc_edu_checks(struct vc_dev *dev, struct vc_checks *c)
{
	struct vfio_region_info *bar0;
	struct edu_io io = { .path = "pread", .dev = dev };
	uint16_t ids[2] = { 0 }, cmd;
	size_t len;
	void *map;
	int ret;

	ret = vc_cfg_read(dev, PCI_VENDOR_ID, ids, sizeof(ids));
	if (!vc_check(c, !ret && ids[0] == EDU_VENDOR && ids[1] == EDU_DEVICE, "edu-device",
		      "config ids %s %04x:%04x, want %04x:%04x", vc_errname(ret), ids[0], ids[1],
		      EDU_VENDOR, EDU_DEVICE))
		return;
	ret = vc_region_info(dev, VFIO_PCI_BAR0_REGION_INDEX, &bar0, &len);
	if (!vc_check(c, !ret && bar0->size >= 0x100000, "bar0-info", "%s size 0x%llx",
		      vc_errname(ret), ret ? 0ull : (unsigned long long)bar0->size)) {
		if (!ret)
			free(bar0);
		return;
	}
	/* A guest would have set memory decode before touching BAR0. */
	ret = vc_cmd_set(dev, PCI_COMMAND_MEMORY, &cmd);
	vc_check(c, !ret, "memory-enable", "command register: %s", vc_errname(ret));
	io.base = bar0->offset;
	run_path(&io, 5, 120, c);

	ret = vc_mmap(dev, bar0->offset, 0, bar0->size, PROT_READ | PROT_WRITE, MAP_SHARED, &map);
	if (vc_check(c, !ret, "mmap-bar0", "%s", vc_errname(ret))) {
		struct edu_io mio = { .path = "mmap", .dev = dev, .map = map };

		run_path(&mio, 12, 479001600, c);
		munmap(map, bar0->size);
	}
	check_dma(dev, &io, c);
	free(bar0);
}
