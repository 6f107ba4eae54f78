/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VC_REPORT_H
#define VC_REPORT_H

#include "vfio.h"

/*
 * Print on stdout, one fact a line, everything a VMM can observe of @dev
 * through the VFIO uAPI: info ioctls, config space, BAR access, mmap, reset
 * and the errors for bad requests. The text holds no pointers, fds or
 * times, so two runs (or two vfio-pci-core drivers) can be compared with
 * diff. Calls VFIO_DEVICE_RESET.
 */
void vc_report(struct vc_dev *dev);

#endif
