// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test policy: calls the kfuncs where they must refuse -- on the closed
 * device from attach, with offsets that wrap, on registers vfio-pci-core
 * virtualizes -- and where they must work, and reports each return value.
 *
 * report[0..4] from attach (device closed), report[5..11] from open.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/pci_regs.h>
#include <asm-generic/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"
#include "report.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Config space no capability claims on QEMU's edu device. */
#define RAW_OFFSET 0xb8
#define MAX_CAPS 48

static int find_cap(struct vfio_pci_bpf_dev *dev, __u8 id)
{
	__u64 at = 0, cap = 0;
	int i;

	vfio_pci_bpf_config_read(dev, PCI_CAPABILITY_LIST, 1, &at);
	for (i = 0; i < MAX_CAPS && at; i++) {
		vfio_pci_bpf_config_read(dev, at, 1, &cap);
		if (cap == id)
			return at;
		vfio_pci_bpf_config_read(dev, at + PCI_CAP_LIST_NEXT, 1, &at);
	}
	return -ENOENT;
}

SEC("struct_ops.s/attach")
int BPF_PROG(edges_attach, struct vfio_pci_bpf_dev *dev)
{
	__u64 v;

	report[0] = vfio_pci_bpf_bar_read(dev, 0, 0, 4, &v);
	report[1] = vfio_pci_bpf_bar_poll(dev, 0, 0, VFIO_PCI_BPF_POLL_MATCH(0, 0), 1000);
	report[2] = vfio_pci_bpf_config_read(dev, 0xfffffffc, 4, &v);
	report[3] = vfio_pci_bpf_config_write(dev, 0xfffffffc, 4, 0);
	report[4] = vfio_pci_bpf_config_write(dev, RAW_OFFSET, 4, 0);
	return 0;
}

SEC("struct_ops.s/open")
int BPF_PROG(edges_open, struct vfio_pci_bpf_dev *dev)
{
	int msi = find_cap(dev, PCI_CAP_ID_MSI);
	__u64 v = 0;
	int ret;

	report[5] = vfio_pci_bpf_config_write(dev, PCI_COMMAND, 2,
					      PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	report[6] = vfio_pci_bpf_config_write(dev, PCI_BASE_ADDRESS_0, 4, 0xfe000000);
	report[7] = msi < 0 ? msi : vfio_pci_bpf_config_write(dev, msi + PCI_MSI_FLAGS, 2, 1);
	report[8] = vfio_pci_bpf_config_write(dev, RAW_OFFSET, 4, 0x5a5a5a5a);
	report[9] = vfio_pci_bpf_bar_read(dev, 0, 0xfffffffffffffffcULL, 4, &v);
	ret = vfio_pci_bpf_bar_read(dev, 0, 0, 4, &v);
	report[10] = ret ? ret : (__s32)v;
	report[11] = vfio_pci_bpf_bar_poll(dev, 0, 0, VFIO_PCI_BPF_POLL_MATCH(0xffffffff, v),
					   1000);
	return 0;
}

SEC("struct_ops/config_read")
int BPF_PROG(edges_report, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return vpb_report(acc) ? VFIO_PCI_BPF_HANDLED : VFIO_PCI_BPF_PASS;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops kfunc_edges = {
	.attach = (void *)edges_attach,
	.open = (void *)edges_open,
	.config_read = (void *)edges_report,
	.name = "kfunc_edges",
};
