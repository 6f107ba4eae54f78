// SPDX-License-Identifier: GPL-2.0
#include <linux/pci_regs.h>

#include "pci.h"

uint16_t vc_cfg16(const uint8_t *cfg, size_t len, size_t off)
{
	if (off + 2 > len)
		return 0;
	return (uint16_t)(cfg[off] | cfg[off + 1] << 8);
}

uint32_t vc_cfg32(const uint8_t *cfg, size_t len, size_t off)
{
	if (off + 4 > len)
		return 0;
	return (uint32_t)vc_cfg16(cfg, len, off) | (uint32_t)vc_cfg16(cfg, len, off + 2) << 16;
}

unsigned int vc_pci_find_cap(const uint8_t *cfg, size_t len, uint8_t id)
{
	/* 48 is how many 4-byte capabilities fit between 0x40 and 0x100. */
	unsigned int ttl = 48;
	unsigned int pos;

	if (len < PCI_STD_HEADER_SIZEOF || !(vc_cfg16(cfg, len, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = cfg[PCI_CAPABILITY_LIST];
	while (ttl--) {
		pos &= ~3u;
		if (pos < PCI_STD_HEADER_SIZEOF || pos + 2 > len || pos >= 0x100)
			return 0;
		if (cfg[pos + PCI_CAP_LIST_ID] == id)
			return pos;
		pos = cfg[pos + PCI_CAP_LIST_NEXT];
	}
	return 0;
}
