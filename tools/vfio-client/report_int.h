/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VC_REPORT_INT_H
#define VC_REPORT_INT_H

/* Shared by the parts of the report; not used outside them. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "caps.h"
#include "vfio.h"

/* vfio-pci places region N at N << 40 on the device fd; not in the uAPI header. */
#define VC_PCI_OFFSET_SHIFT 40

struct region {
	struct vfio_region_info *info; /* NULL if the ioctl failed */
	size_t len;
	struct vc_cap_chain chain;
	bool chain_ok;
};

struct report {
	struct vc_dev *dev;
	struct region *regions;
	uint32_t nregions;
	uint8_t *cfg;
	int *cfg_err; /* per dword */
};

/* Region info of BAR @i if it exists and has a size, else NULL. */
const struct vfio_region_info *vc_report_bar(struct report *r, uint32_t i);

/* One pread line; @show_data prints the bytes, which only stable registers may do. */
void vc_report_pread(struct report *r, const char *what, uint64_t base, uint64_t off, size_t size,
		     bool show_data);

/* The bad-request section. */
void vc_report_bad(struct report *r);

#endif
