/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VC_EDU_H
#define VC_EDU_H

#include "check.h"
#include "vfio.h"

/*
 * Exercise QEMU's edu device (docs/specs/edu.rst) through pread/pwrite on
 * the device fd and through an mmap of BAR0, then a DMA round trip through
 * the type1 IOMMU. One ok/FAIL line per check, tallied in @c.
 */
void vc_edu_checks(struct vc_dev *dev, struct vc_checks *c);

#endif
