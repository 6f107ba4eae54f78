// SPDX-License-Identifier: GPL-2.0-only
/* Test policy: counts open (report[0]) and close (report[1]) calls. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"
#include "report.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/open")
int BPF_PROG(count_open, struct vfio_pci_bpf_dev *dev)
{
	__sync_fetch_and_add(&report[0], 1);
	return VFIO_PCI_BPF_PASS;
}

SEC("struct_ops.s/close")
void BPF_PROG(count_close, struct vfio_pci_bpf_dev *dev)
{
	__sync_fetch_and_add(&report[1], 1);
}

SEC("struct_ops/config_read")
int BPF_PROG(count_report, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return vpb_report(acc) ? VFIO_PCI_BPF_HANDLED : VFIO_PCI_BPF_PASS;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops open_count = {
	.open = (void *)count_open,
	.close = (void *)count_close,
	.config_read = (void *)count_report,
	.name = "open_count",
};
