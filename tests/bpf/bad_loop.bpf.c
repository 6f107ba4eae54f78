// SPDX-License-Identifier: GPL-2.0-only
/* Must be rejected: a loop the verifier cannot see the end of. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/config_read")
int BPF_PROG(spin, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	volatile __u64 seen = acc->value;

	while (seen != 0x1234567890ULL)
		seen = acc->value;
	return VFIO_PCI_BPF_PASS;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops bad_loop = {
	.config_read = (void *)spin,
	.name = "bad_loop",
};
