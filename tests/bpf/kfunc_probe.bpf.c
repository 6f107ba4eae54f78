// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test policy: reading config dword PROBE_AT runs BAR kfuncs with bad
 * arguments and answers with their errnos, one per byte; PROBE_AT + 4
 * answers with a valid BAR read, so both outcomes are visible to a client.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define PROBE_AT 0x50

static __u64 err_byte(int ret, int shift)
{
	return (__u64)(-ret & 0xff) << shift;
}

SEC("struct_ops/config_read")
int BPF_PROG(probe, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	__u64 v = 0;

	if (acc->offset == PROBE_AT && acc->size == 4) {
		acc->value = err_byte(vfio_pci_bpf_bar_read(dev, 0, dev->bar_size[0], 4, &v), 0) |
			     err_byte(vfio_pci_bpf_bar_read(dev, 0, 2, 4, &v), 8) |
			     err_byte(vfio_pci_bpf_bar_write(dev, 0, 5, 4, 0x12345678), 16) |
			     err_byte(vfio_pci_bpf_bar_read(dev, 7, 0, 4, &v), 24);
		return VFIO_PCI_BPF_HANDLED;
	}
	if (acc->offset == PROBE_AT + 4 && acc->size == 4) {
		if (vfio_pci_bpf_bar_read(dev, 0, 0, 4, &v))
			v = 0xdead;
		acc->value = v;
		return VFIO_PCI_BPF_HANDLED;
	}
	return VFIO_PCI_BPF_PASS;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops kfunc_probe = {
	.config_read = (void *)probe,
	.name = "kfunc_probe",
};
