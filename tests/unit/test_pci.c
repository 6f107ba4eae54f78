// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <linux/pci_regs.h>

#include "pci.h"

/* An igb VF's header as vfio-pci shows it: MSI-X at 0x70, PCIe at 0xa0. */
static void vf_config(uint8_t *cfg)
{
	memset(cfg, 0, 256);
	cfg[0] = 0x86, cfg[1] = 0x80, cfg[2] = 0xca, cfg[3] = 0x10;
	cfg[PCI_STATUS] = PCI_STATUS_CAP_LIST;
	cfg[PCI_CAPABILITY_LIST] = 0x70;
	cfg[0x70] = PCI_CAP_ID_MSIX, cfg[0x71] = 0xa0, cfg[0x72] = 0x02, cfg[0x73] = 0x00;
	cfg[0xa0] = PCI_CAP_ID_EXP, cfg[0xa1] = 0x00;
}

static void test_fields(void **state)
{
	uint8_t cfg[256];

	(void)state;
	vf_config(cfg);
	assert_int_equal(vc_cfg16(cfg, sizeof(cfg), PCI_VENDOR_ID), 0x8086);
	assert_int_equal(vc_cfg16(cfg, sizeof(cfg), PCI_DEVICE_ID), 0x10ca);
	assert_int_equal(vc_cfg32(cfg, sizeof(cfg), 0), 0x10ca8086);
	/* Reads past the snapshot give 0 rather than stray memory. */
	assert_int_equal(vc_cfg16(cfg, sizeof(cfg), 255), 0);
	assert_int_equal(vc_cfg32(cfg, sizeof(cfg), 253), 0);
}

static void test_find(void **state)
{
	uint8_t cfg[256];

	(void)state;
	vf_config(cfg);
	assert_int_equal(vc_pci_find_cap(cfg, sizeof(cfg), PCI_CAP_ID_MSIX), 0x70);
	assert_int_equal(vc_pci_find_cap(cfg, sizeof(cfg), PCI_CAP_ID_EXP), 0xa0);
	assert_int_equal(vc_pci_find_cap(cfg, sizeof(cfg), PCI_CAP_ID_MSI), 0);
	/* Table size field is N-1: 2 means three vectors. */
	assert_int_equal(vc_cfg16(cfg, sizeof(cfg), 0x70 + PCI_MSIX_FLAGS) & 0x7ff, 2);
}

static void test_no_list(void **state)
{
	uint8_t cfg[256];

	(void)state;
	vf_config(cfg);
	cfg[PCI_STATUS] = 0;
	assert_int_equal(vc_pci_find_cap(cfg, sizeof(cfg), PCI_CAP_ID_MSIX), 0);
	assert_int_equal(vc_pci_find_cap(cfg, 32, PCI_CAP_ID_MSIX), 0);
}

static void test_malformed(void **state)
{
	uint8_t cfg[256];

	(void)state;
	vf_config(cfg);
	cfg[0xa1] = 0x70; /* loops back to MSI-X */
	assert_int_equal(vc_pci_find_cap(cfg, sizeof(cfg), PCI_CAP_ID_MSI), 0);
	vf_config(cfg);
	cfg[PCI_CAPABILITY_LIST] = 0x10; /* points into the header */
	assert_int_equal(vc_pci_find_cap(cfg, sizeof(cfg), PCI_CAP_ID_MSIX), 0);
	vf_config(cfg);
	/* A short snapshot must not be read past its end. */
	assert_int_equal(vc_pci_find_cap(cfg, 0x80, PCI_CAP_ID_EXP), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_no_list),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
