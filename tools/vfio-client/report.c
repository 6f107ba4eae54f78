// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "caps.h"
#include "errname.h"
#include "format.h"
#include "report.h"
#include "report_int.h"

/* Only dword 0 of a BAR is printed: later registers are live device state. */
#define VC_BAR_DWORD0 0

static void print_payload(const char *prefix, const void *buf, const struct vc_cap *c)
{
	char hex[3 * 64 + 1];
	size_t n = c->len - sizeof(struct vfio_info_cap_header);

	if (n > 64)
		n = 64;
	vc_fmt_bytes(hex, sizeof(hex), (const uint8_t *)buf + c->offset + 8, n);
	printf("%s cap id=%u version=%u len=%u data=%s\n", prefix, c->id, c->version, c->len, hex);
}

static void report_device(struct report *r)
{
	struct vc_dev *dev = r->dev;
	struct vfio_device_info *info;
	struct vc_cap_chain chain;
	const char *why;
	char flags[128];
	size_t len;
	unsigned int i;
	int ret;

	ret = vc_device_info(dev, &info, &len);
	if (ret) {
		printf("device info: %s\n", vc_fmt_result(ret));
		return;
	}
	vc_fmt_flags(flags, sizeof(flags), info->flags, vc_device_flag_names);
	printf("device flags=0x%08x %s\n", info->flags, flags);
	printf("device num_regions=%u\n", info->num_regions);
	printf("device num_irqs=%u\n", info->num_irqs);
	if (!(info->flags & VFIO_DEVICE_FLAGS_CAPS)) {
		printf("device caps=none\n");
	} else if (vc_caps_walk(info, len, sizeof(*info), info->cap_offset, &chain, &why)) {
		printf("device caps malformed: %s\n", why);
	} else {
		for (i = 0; i < chain.n; i++)
			print_payload("device", info, &chain.caps[i]);
	}
	free(info);
}

static void report_region_caps(const char *prefix, struct region *reg)
{
	const struct vfio_region_info *info = reg->info;
	unsigned int i;
	const char *why;

	if (!(info->flags & VFIO_REGION_INFO_FLAG_CAPS)) {
		printf("%s caps=none\n", prefix);
		return;
	}
	if (vc_caps_walk(info, reg->len, sizeof(*info), info->cap_offset, &reg->chain, &why)) {
		printf("%s caps malformed: %s\n", prefix, why);
		return;
	}
	reg->chain_ok = true;
	for (i = 0; i < reg->chain.n; i++) {
		const struct vc_cap *c = &reg->chain.caps[i];
		uint32_t n, type, subtype, a;
		uint64_t off, size;

		switch (c->id) {
		case VFIO_REGION_INFO_CAP_SPARSE_MMAP:
			if (vc_cap_sparse_count(info, c, &n)) {
				printf("%s cap sparse_mmap truncated\n", prefix);
				break;
			}
			printf("%s cap sparse_mmap version=%u nr_areas=%u\n", prefix, c->version,
			       n);
			for (a = 0; a < n; a++) {
				vc_cap_sparse_area(info, c, a, &off, &size);
				printf("%s cap sparse_mmap area %u offset=0x%llx size=0x%llx\n",
				       prefix, a, (unsigned long long)off,
				       (unsigned long long)size);
			}
			break;
		case VFIO_REGION_INFO_CAP_TYPE:
			if (vc_cap_type(info, c, &type, &subtype)) {
				printf("%s cap type truncated\n", prefix);
				break;
			}
			printf("%s cap type version=%u type=0x%x subtype=0x%x\n", prefix,
			       c->version, type, subtype);
			break;
		case VFIO_REGION_INFO_CAP_MSIX_MAPPABLE:
			printf("%s cap msix_mappable version=%u\n", prefix, c->version);
			break;
		default:
			print_payload(prefix, info, c);
			break;
		}
	}
}

static void report_regions(struct report *r)
{
	uint32_t i;

	for (i = 0; i < r->nregions; i++) {
		struct region *reg = &r->regions[i];
		char prefix[48], flags[128];
		int ret;

		snprintf(prefix, sizeof(prefix), "region %u %s", i, vc_region_name(i));
		ret = vc_region_info(r->dev, i, &reg->info, &reg->len);
		if (ret) {
			reg->info = NULL;
			printf("%s info: %s\n", prefix, vc_fmt_result(ret));
			continue;
		}
		vc_fmt_flags(flags, sizeof(flags), reg->info->flags, vc_region_flag_names);
		printf("%s flags=0x%08x %s\n", prefix, reg->info->flags, flags);
		printf("%s size=0x%llx\n", prefix, (unsigned long long)reg->info->size);
		printf("%s offset=0x%llx\n", prefix, (unsigned long long)reg->info->offset);
		report_region_caps(prefix, reg);
	}
}

static void report_irqs(struct report *r)
{
	uint32_t i;

	for (i = 0; i < r->dev->info.num_irqs; i++) {
		struct vfio_irq_info irq;
		char flags[128];
		int ret = vc_irq_info(r->dev, i, &irq);

		if (ret) {
			printf("irq %u %s info: %s\n", i, vc_irq_name(i), vc_fmt_result(ret));
			continue;
		}
		vc_fmt_flags(flags, sizeof(flags), irq.flags, vc_irq_flag_names);
		printf("irq %u %s flags=0x%08x %s count=%u\n", i, vc_irq_name(i), irq.flags, flags,
		       irq.count);
	}
}

/* Snapshot config space a dword at a time, as a VMM that traps it would. */
static void read_config(struct report *r, uint8_t *cfg, int *err)
{
	uint32_t off;

	for (off = 0; off < r->dev->cfg_size; off += 4)
		err[off / 4] = vc_cfg_read(r->dev, off, cfg + off, 4);
}

static void report_config(struct report *r)
{
	uint32_t off, vals[4];
	char line[160];

	printf("config size=0x%llx\n", (unsigned long long)r->dev->cfg_size);
	read_config(r, r->cfg, r->cfg_err);
	for (off = 0; off < r->dev->cfg_size; off += 16) {
		unsigned int n = r->dev->cfg_size - off < 16 ? (r->dev->cfg_size - off) / 4 : 4;

		memcpy(vals, r->cfg + off, n * 4);
		vc_fmt_dwords(line, sizeof(line), "config", off, vals, r->cfg_err + off / 4, n);
		printf("%s\n", line);
	}
}

const struct vfio_region_info *vc_report_bar(struct report *r, uint32_t i)
{
	const struct vfio_region_info *info = i < r->nregions ? r->regions[i].info : NULL;

	return info && info->size ? info : NULL;
}

void vc_report_pread(struct report *r, const char *what, uint64_t base, uint64_t off, size_t size,
		     bool show_data)
{
	uint8_t buf[16] = { 0 };
	char hex[64];
	ssize_t n = vc_pread(r->dev, buf, size, base + off);

	if (n < 0) {
		printf("%s pread off=0x%llx size=%zu: %s\n", what, (unsigned long long)off, size,
		       vc_fmt_result((int)n));
		return;
	}
	if (!show_data) {
		printf("%s pread off=0x%llx size=%zu: ok n=%zd\n", what, (unsigned long long)off,
		       size, n);
		return;
	}
	vc_fmt_bytes(hex, sizeof(hex), buf, (size_t)n);
	printf("%s pread off=0x%llx size=%zu: ok n=%zd data=%s\n", what, (unsigned long long)off,
	       size, n, hex);
}
static void report_bars(struct report *r)
{
	uint32_t i;

	for (i = VFIO_PCI_BAR0_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX; i++) {
		const struct vfio_region_info *info = vc_report_bar(r, i);
		char what[16];

		if (!info || !(info->flags & VFIO_REGION_INFO_FLAG_READ))
			continue;
		snprintf(what, sizeof(what), "bar %u", i);
		vc_report_pread(r, what, info->offset, VC_BAR_DWORD0, 4, true);
		vc_report_pread(r, what, info->offset, VC_BAR_DWORD0, 2, true);
		vc_report_pread(r, what, info->offset, VC_BAR_DWORD0, 1, true);
		vc_report_pread(r, what, info->offset, VC_BAR_DWORD0, 8, false);
		vc_report_pread(r, what, info->offset, info->size - 4, 4, false);
		/* Crossing the end: vfio-pci shortens the transfer instead of failing. */
		vc_report_pread(r, what, info->offset, info->size - 2, 4, false);
	}
}

static void mmap_line(struct report *r, uint32_t i, uint64_t off, uint64_t size)
{
	const struct vfio_region_info *info = r->regions[i].info;
	uint32_t first;
	void *p;
	int ret;

	printf("mmap %u %s offset=0x%llx size=0x%llx: ", i, vc_region_name(i),
	       (unsigned long long)off, (unsigned long long)size);
	ret = vc_mmap(r->dev, info->offset, off, size, PROT_READ | PROT_WRITE, MAP_SHARED, &p);
	if (ret) {
		printf("%s\n", vc_fmt_result(ret));
		return;
	}
	if (vc_mmio_read(p, &first, 4))
		printf("ok first=SIGBUS\n");
	else
		printf("ok first=%08x\n", first);
	munmap(p, size);
}

static void report_mmaps(struct report *r)
{
	uint32_t i, a, n;

	for (i = VFIO_PCI_BAR0_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX; i++) {
		const struct vfio_region_info *info = vc_report_bar(r, i);
		const struct region *reg = &r->regions[i];
		bool sparse = false;
		unsigned int c;

		if (!info || !(info->flags & VFIO_REGION_INFO_FLAG_MMAP))
			continue;
		/* With a sparse-mmap capability only the listed areas may be mapped. */
		for (c = 0; reg->chain_ok && c < reg->chain.n; c++) {
			const struct vc_cap *cap = &reg->chain.caps[c];
			uint64_t off, size;

			if (cap->id != VFIO_REGION_INFO_CAP_SPARSE_MMAP ||
			    vc_cap_sparse_count(info, cap, &n))
				continue;
			sparse = true;
			for (a = 0; a < n; a++) {
				vc_cap_sparse_area(info, cap, a, &off, &size);
				if (size)
					mmap_line(r, i, off, size);
			}
		}
		if (!sparse)
			mmap_line(r, i, 0, info->size);
	}
}

static void report_reset(struct report *r)
{
	uint8_t *after = calloc(1, r->dev->cfg_size);
	int *err = calloc(r->dev->cfg_size / 4, sizeof(int));
	uint32_t off;
	bool same = true;
	int ret;

	ret = ioctl(r->dev->device, VFIO_DEVICE_RESET) ? -errno : 0;
	printf("reset: %s\n", vc_fmt_result(ret));
	if (!after || !err)
		goto out;
	/* What a reset does to config space is part of what a VMM sees. */
	read_config(r, after, err);
	for (off = 0; off < r->dev->cfg_size; off += 4) {
		uint32_t a, b;

		if (err[off / 4] == r->cfg_err[off / 4] && !memcmp(after + off, r->cfg + off, 4))
			continue;
		same = false;
		if (r->cfg_err[off / 4] || err[off / 4]) {
			printf("config-after-reset 0x%03x: %s -> %s\n", off,
			       vc_fmt_result(r->cfg_err[off / 4]), vc_fmt_result(err[off / 4]));
			continue;
		}
		memcpy(&a, r->cfg + off, 4);
		memcpy(&b, after + off, 4);
		printf("config-after-reset 0x%03x: %08x -> %08x\n", off, a, b);
	}
	if (same)
		printf("config-after-reset unchanged\n");
out:
	free(after);
	free(err);
}
void vc_report(struct vc_dev *dev)
{
	struct report r = { .dev = dev, .nregions = dev->info.num_regions };
	uint32_t i;

	r.regions = calloc(r.nregions ? r.nregions : 1, sizeof(*r.regions));
	r.cfg = calloc(1, dev->cfg_size + 4);
	r.cfg_err = calloc(dev->cfg_size / 4 + 1, sizeof(int));
	if (!r.regions || !r.cfg || !r.cfg_err) {
		printf("report: %s\n", vc_errname(ENOMEM));
		goto out;
	}
	report_device(&r);
	report_regions(&r);
	report_irqs(&r);
	report_config(&r);
	report_bars(&r);
	report_mmaps(&r);
	vc_report_bad(&r);
	/* Last, so everything above sees the device as it was opened. */
	report_reset(&r);
out:
	for (i = 0; r.regions && i < r.nregions; i++)
		free(r.regions[i].info);
	free(r.regions);
	free(r.cfg);
	free(r.cfg_err);
	fflush(stdout);
}
