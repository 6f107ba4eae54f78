/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VC_BDF_H
#define VC_BDF_H

#include <stddef.h>

/* A PCI function address: domain:bus:device.function. */
struct vc_bdf {
	unsigned int domain;
	unsigned int bus;
	unsigned int dev;
	unsigned int fn;
};

/* "0000:00:10.0" plus NUL; domains wider than 16 bits still fit. */
#define VC_BDF_STRLEN 20

/*
 * Parse "DDDD:BB:DD.F" or "BB:DD.F" (domain 0), hex, either case. On error
 * returns -EINVAL and writes a one-line reason to @why (@whylen bytes).
 */
int vc_bdf_parse(const char *s, struct vc_bdf *out, char *why, size_t whylen);

/* Canonical sysfs spelling: lower-case hex, 4-digit domain. */
void vc_bdf_format(const struct vc_bdf *bdf, char buf[VC_BDF_STRLEN]);

#endif
