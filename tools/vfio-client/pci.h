/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VC_PCI_H
#define VC_PCI_H

#include <stddef.h>
#include <stdint.h>

/* Little-endian field reads from a config-space snapshot; 0 past @len. */
uint16_t vc_cfg16(const uint8_t *cfg, size_t len, size_t off);
uint32_t vc_cfg32(const uint8_t *cfg, size_t len, size_t off);

/*
 * Offset of the first standard capability with @id in a config snapshot,
 * or 0 when absent or when the list is malformed (out of range, looping).
 */
unsigned int vc_pci_find_cap(const uint8_t *cfg, size_t len, uint8_t id);

#endif
