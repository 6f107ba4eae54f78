// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test policy: its attach, run on an open device that may be in a low-power
 * state, reads BAR0's status register with the kfunc that may not wake
 * the device (report[0]: its return value), writes config space no
 * capability claims (report[2]) and reads the vendor ID (report[3]), and
 * then polls the status register with the kfunc that may wake the device
 * (report[1]).
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"
#include "report.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u64 status_offset = 0x8;
/* igb's config space past its PCIe capability (0xa0-0xdb): raw. */
const volatile __u32 raw_offset = 0xf0;

SEC("struct_ops.s/attach")
int BPF_PROG(probe_attach, struct vfio_pci_bpf_dev *dev)
{
	__u64 v = 0;

	report[0] = vfio_pci_bpf_bar_read(dev, 0, status_offset, 4, &v);
	report[2] = vfio_pci_bpf_config_write(dev, raw_offset, 4, 0);
	report[3] = vfio_pci_bpf_config_read(dev, 0, 2, &v);
	report[1] =
		vfio_pci_bpf_bar_poll(dev, 0, status_offset, VFIO_PCI_BPF_POLL_MATCH(0, 0), 1000);
	return 0;
}

SEC("struct_ops/config_read")
int BPF_PROG(probe_report, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return vpb_report(acc) ? VFIO_PCI_BPF_HANDLED : VFIO_PCI_BPF_PASS;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops power_probe = {
	.attach = (void *)probe_attach,
	.config_read = (void *)probe_report,
	.name = "power_probe",
};
