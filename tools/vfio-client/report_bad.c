// SPDX-License-Identifier: GPL-2.0
/*
 * The report's last part: requests a VMM should never make, and the errno
 * each one gets. Variant drivers must fail them exactly like vfio-pci.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "format.h"
#include "report_int.h"

static void ioctl_line(struct report *r, const char *what, unsigned long req, void *arg)
{
	int ret = ioctl(r->dev->device, req, arg) ? -errno : 0;

	printf("bad %s: %s\n", what, vc_fmt_result(ret));
}

static void mmap_bad_line(struct report *r, const char *what, uint64_t region_off, uint64_t off,
			  size_t len, int flags)
{
	void *p;
	int ret = vc_mmap(r->dev, region_off, off, len, PROT_READ, flags, &p);

	printf("bad mmap %s: %s\n", what, vc_fmt_result(ret));
	if (!ret)
		munmap(p, len);
}

static void report_bad_ioctls(struct report *r)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = r->nregions };
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = r->dev->info.num_irqs };
	struct vfio_device_info di = { .argsz = 4 };
	char what[64];
	uint8_t junk[64] = { 0 };

	snprintf(what, sizeof(what), "region_info index=%u", ri.index);
	ioctl_line(r, what, VFIO_DEVICE_GET_REGION_INFO, &ri);
	ri = (struct vfio_region_info){ .argsz = sizeof(ri), .index = UINT32_MAX };
	ioctl_line(r, "region_info index=0xffffffff", VFIO_DEVICE_GET_REGION_INFO, &ri);
	ri = (struct vfio_region_info){ .argsz = 8, .index = VFIO_PCI_CONFIG_REGION_INDEX };
	ioctl_line(r, "region_info argsz=8", VFIO_DEVICE_GET_REGION_INFO, &ri);
	snprintf(what, sizeof(what), "irq_info index=%u", ii.index);
	ioctl_line(r, what, VFIO_DEVICE_GET_IRQ_INFO, &ii);
	ii = (struct vfio_irq_info){ .argsz = 8, .index = VFIO_PCI_INTX_IRQ_INDEX };
	ioctl_line(r, "irq_info argsz=8", VFIO_DEVICE_GET_IRQ_INFO, &ii);
	ioctl_line(r, "device_info argsz=4", VFIO_DEVICE_GET_INFO, &di);
	ioctl_line(r, "ioctl VFIO_BASE+63", _IO(VFIO_TYPE, VFIO_BASE + 63), junk);
	/* What isatty() sends; a VMM probing its fds may do the same. */
	ioctl_line(r, "ioctl TCGETS", 0x5401, junk);
}

/*
 * Device features a VMM probes for: migration must stay unadvertised by a
 * variant driver with no migration policy, exactly as vfio-pci answers.
 */
static void report_features(struct report *r)
{
	static const struct {
		const char *name;
		uint32_t id;
	} features[] = {
		{ "migration", VFIO_DEVICE_FEATURE_MIGRATION },
		{ "mig_device_state", VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE },
		{ "dma_logging_start", VFIO_DEVICE_FEATURE_DMA_LOGGING_START },
		{ "low_power_entry", VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY },
	};
	struct vfio_device_feature probe = { .argsz = sizeof(probe) };
	size_t i;
	int ret;

	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		probe.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET | features[i].id;
		ret = ioctl(r->dev->device, VFIO_DEVICE_FEATURE, &probe) ? -errno : 0;
		printf("feature %s probe: %s\n", features[i].name, vc_fmt_result(ret));
	}
}

static void report_bad_io(struct report *r)
{
	uint64_t invalid = (uint64_t)r->nregions << VC_PCI_OFFSET_SHIFT;
	uint64_t cfg = r->dev->cfg_offset, cfg_size = r->dev->cfg_size;
	const struct vfio_region_info *b0 = NULL;
	uint32_t zero = 0, i;
	ssize_t n;
	char what[48];

	vc_report_pread(r, "bad config", cfg, cfg_size, 4, false);
	vc_report_pread(r, "bad config", cfg, 0, 3, true);
	vc_report_pread(r, "bad config", cfg, 1, 4, true);
	vc_report_pread(r, "bad config", cfg, cfg_size - 2, 4, true);
	n = vc_pwrite(r->dev, &zero, 4, cfg + cfg_size);
	printf("bad config pwrite off=0x%llx size=4: %s\n", (unsigned long long)cfg_size,
	       n < 0 ? vc_fmt_result((int)n) : "ok");
	for (i = VFIO_PCI_BAR0_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX && !b0; i++)
		b0 = vc_report_bar(r, i);
	if (b0) {
		snprintf(what, sizeof(what), "bad bar %u", b0->index);
		vc_report_pread(r, what, b0->offset, b0->size, 4, false);
		vc_report_pread(r, what, b0->offset, 1, 3, false);
	}
	for (i = VFIO_PCI_BAR0_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX && i < r->nregions;
	     i++) {
		if (!r->regions[i].info || r->regions[i].info->size)
			continue;
		snprintf(what, sizeof(what), "bad empty bar %u", i);
		vc_report_pread(r, what, r->regions[i].info->offset, 0, 4, false);
		break;
	}
	snprintf(what, sizeof(what), "bad index=%u", r->nregions);
	vc_report_pread(r, what, invalid, 0, 4, false);
	n = vc_pwrite(r->dev, &zero, 4, invalid);
	printf("bad index=%u pwrite off=0x0 size=4: %s\n", r->nregions,
	       n < 0 ? vc_fmt_result((int)n) : "ok");
}

static void report_bad_mmaps(struct report *r)
{
	const struct vfio_region_info *m = NULL, *info;
	long page = sysconf(_SC_PAGESIZE);
	uint32_t i;
	char what[64];

	mmap_bad_line(r, "config", r->dev->cfg_offset, 0, (size_t)page, MAP_SHARED);
	snprintf(what, sizeof(what), "index=%u", r->nregions);
	mmap_bad_line(r, what, (uint64_t)r->nregions << VC_PCI_OFFSET_SHIFT, 0, (size_t)page,
		      MAP_SHARED);
	for (i = VFIO_PCI_BAR0_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX && i < r->nregions;
	     i++) {
		info = r->regions[i].info;
		if (!info)
			continue;
		if (info->size && (info->flags & VFIO_REGION_INFO_FLAG_MMAP)) {
			if (!m)
				m = info;
			continue;
		}
		snprintf(what, sizeof(what), "bar %u %s", i, info->size ? "non-mmap" : "empty");
		mmap_bad_line(r, what, info->offset, 0, (size_t)page, MAP_SHARED);
	}
	if (!m)
		return;
	snprintf(what, sizeof(what), "bar %u len=size+page", m->index);
	mmap_bad_line(r, what, m->offset, 0, m->size + (size_t)page, MAP_SHARED);
	snprintf(what, sizeof(what), "bar %u off=size", m->index);
	mmap_bad_line(r, what, m->offset, m->size, (size_t)page, MAP_SHARED);
	snprintf(what, sizeof(what), "bar %u MAP_PRIVATE", m->index);
	mmap_bad_line(r, what, m->offset, 0, (size_t)page, MAP_PRIVATE);
}

void vc_report_bad(struct report *r)
{
	report_features(r);
	report_bad_ioctls(r);
	report_bad_io(r);
	report_bad_mmaps(r);
}
