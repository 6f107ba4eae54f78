/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VC_GENERIC_H
#define VC_GENERIC_H

#include "check.h"
#include "vfio.h"

/*
 * Checks that hold for any PCI device behind a vfio-pci-core driver: what
 * the uAPI reports agrees with sysfs and with the device's own config
 * space. One ok/FAIL line per check, tallied in @c.
 */
void vc_generic_checks(struct vc_dev *dev, struct vc_checks *c);

#endif
