/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Parsing what operators type: PCI addresses and policy parameters
 * ("name=value" for the .rodata globals of a policy object).
 */
#ifndef VPB_PARAMS_H
#define VPB_PARAMS_H

#include <stddef.h>
#include <stdint.h>

/* "0000:00:10.0" or "00:10.0" (see bdf.h) into VFIO_PCI_BPF_ADDR() form. */
int vpb_parse_bdf(const char *text, uint32_t *addr);
void vpb_format_bdf(uint32_t addr, char *buf, size_t len);

/* A number in C notation (0x.., 0.., decimal), optionally negative. */
int vpb_parse_number(const char *text, int64_t *value);
/* A number as above that must lie in [@min, @max]: -ERANGE when it does not. */
int vpb_parse_int(const char *text, int64_t min, int64_t max, int64_t *value);
/* "CODE" or "CODE/MASK", 24-bit PCI class numbers; MASK defaults to 0xffffff. */
int vpb_parse_class(const char *text, uint32_t *code, uint32_t *mask);

/*
 * Store "a,b,c" (or one value) into @dst, an array of @count elements of
 * @elem_size bytes (1, 2, 4 or 8); each value must fit its element.
 * Returns the number of values stored or -errno.
 */
int vpb_store_values(const char *text, void *dst, size_t elem_size, size_t count, int is_signed);

#endif /* VPB_PARAMS_H */
