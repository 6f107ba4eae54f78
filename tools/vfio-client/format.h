/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VC_FORMAT_H
#define VC_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Text helpers for the report. Everything here is a pure function of its
 * arguments so that two runs on one device print byte-identical text.
 */

struct vc_flag_name {
	uint32_t bit;
	const char *name;
};

extern const struct vc_flag_name vc_device_flag_names[];
extern const struct vc_flag_name vc_region_flag_names[];
extern const struct vc_flag_name vc_irq_flag_names[];

/*
 * "READ|WRITE|MMAP" from @flags using @names (ended by a NULL name); bits
 * without a name are appended as one hex number, 0 prints as "none".
 */
void vc_fmt_flags(char *buf, size_t len, uint32_t flags, const struct vc_flag_name *names);

/* vfio-pci's fixed region and IRQ indexes; others are device specific. */
const char *vc_region_name(uint32_t index);
const char *vc_irq_name(uint32_t index);

/* "ok" for 0, the errno name otherwise (either sign). */
const char *vc_fmt_result(int err);

/*
 * One dump line: "<prefix> 0x010: fe400000 00000000 EIO ..." with @n dwords
 * starting at @off; a dword whose errs[i] is non-zero prints its errno name.
 */
void vc_fmt_dwords(char *buf, size_t len, const char *prefix, uint64_t off, const uint32_t *vals,
		   const int *errs, unsigned int n);

/* "12 34 e8": @n bytes in hex, space separated. */
void vc_fmt_bytes(char *buf, size_t len, const void *data, size_t n);

#endif
