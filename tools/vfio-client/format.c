// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/vfio.h>

#include "errname.h"
#include "format.h"

const struct vc_flag_name vc_device_flag_names[] = {
	{ VFIO_DEVICE_FLAGS_RESET, "RESET" },	    { VFIO_DEVICE_FLAGS_PCI, "PCI" },
	{ VFIO_DEVICE_FLAGS_PLATFORM, "PLATFORM" }, { VFIO_DEVICE_FLAGS_AMBA, "AMBA" },
	{ VFIO_DEVICE_FLAGS_CCW, "CCW" },	    { VFIO_DEVICE_FLAGS_AP, "AP" },
	{ VFIO_DEVICE_FLAGS_FSL_MC, "FSL_MC" },	    { VFIO_DEVICE_FLAGS_CAPS, "CAPS" },
	{ VFIO_DEVICE_FLAGS_CDX, "CDX" },	    { 0, NULL },
};

const struct vc_flag_name vc_region_flag_names[] = {
	{ VFIO_REGION_INFO_FLAG_READ, "READ" },
	{ VFIO_REGION_INFO_FLAG_WRITE, "WRITE" },
	{ VFIO_REGION_INFO_FLAG_MMAP, "MMAP" },
	{ VFIO_REGION_INFO_FLAG_CAPS, "CAPS" },
	{ 0, NULL },
};

const struct vc_flag_name vc_irq_flag_names[] = {
	{ VFIO_IRQ_INFO_EVENTFD, "EVENTFD" },
	{ VFIO_IRQ_INFO_MASKABLE, "MASKABLE" },
	{ VFIO_IRQ_INFO_AUTOMASKED, "AUTOMASKED" },
	{ VFIO_IRQ_INFO_NORESIZE, "NORESIZE" },
	{ 0, NULL },
};

/* snprintf that appends and never runs past @len, even once truncated. */
static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

void vc_fmt_flags(char *buf, size_t len, uint32_t flags, const struct vc_flag_name *names)
{
	uint32_t rest = flags;

	if (!len)
		return;
	buf[0] = '\0';
	if (!flags) {
		append(buf, len, "none");
		return;
	}
	for (; names->name; names++) {
		if (!(flags & names->bit))
			continue;
		append(buf, len, "%s%s", buf[0] ? "|" : "", names->name);
		rest &= ~names->bit;
	}
	if (rest)
		append(buf, len, "%s0x%x", buf[0] ? "|" : "", rest);
}

const char *vc_region_name(uint32_t index)
{
	static const char *const names[] = {
		[VFIO_PCI_BAR0_REGION_INDEX] = "BAR0", [VFIO_PCI_BAR1_REGION_INDEX] = "BAR1",
		[VFIO_PCI_BAR2_REGION_INDEX] = "BAR2", [VFIO_PCI_BAR3_REGION_INDEX] = "BAR3",
		[VFIO_PCI_BAR4_REGION_INDEX] = "BAR4", [VFIO_PCI_BAR5_REGION_INDEX] = "BAR5",
		[VFIO_PCI_ROM_REGION_INDEX] = "ROM",   [VFIO_PCI_CONFIG_REGION_INDEX] = "CONFIG",
		[VFIO_PCI_VGA_REGION_INDEX] = "VGA",
	};

	return index < VFIO_PCI_NUM_REGIONS ? names[index] : "DEVSPECIFIC";
}

const char *vc_irq_name(uint32_t index)
{
	static const char *const names[] = {
		[VFIO_PCI_INTX_IRQ_INDEX] = "INTX", [VFIO_PCI_MSI_IRQ_INDEX] = "MSI",
		[VFIO_PCI_MSIX_IRQ_INDEX] = "MSIX", [VFIO_PCI_ERR_IRQ_INDEX] = "ERR",
		[VFIO_PCI_REQ_IRQ_INDEX] = "REQ",
	};

	return index < VFIO_PCI_NUM_IRQS ? names[index] : "DEVSPECIFIC";
}

const char *vc_fmt_result(int err)
{
	return err ? vc_errname(err) : "ok";
}

void vc_fmt_dwords(char *buf, size_t len, const char *prefix, uint64_t off, const uint32_t *vals,
		   const int *errs, unsigned int n)
{
	unsigned int i;

	if (!len)
		return;
	buf[0] = '\0';
	append(buf, len, "%s 0x%03llx:", prefix, (unsigned long long)off);
	for (i = 0; i < n; i++) {
		if (errs && errs[i])
			append(buf, len, " %s", vc_errname(errs[i]));
		else
			append(buf, len, " %08x", vals[i]);
	}
}

void vc_fmt_bytes(char *buf, size_t len, const void *data, size_t n)
{
	const uint8_t *p = data;
	size_t i;

	if (!len)
		return;
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		append(buf, len, "%s%02x", i ? " " : "", p[i]);
}
