// SPDX-License-Identifier: GPL-2.0-only
/* Test policy: traps the first `count` pages of BAR0, one range each. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 count = VFIO_PCI_BPF_MAX_TRAPS;

SEC("struct_ops.s/attach")
int BPF_PROG(many_attach, struct vfio_pci_bpf_dev *dev)
{
	__u32 i;
	int ret;

	for (i = 0; i < count && i < 64; i++) {
		ret = vfio_pci_bpf_trap_bar(dev, 0, i * 0x1000ULL, 0x1000);
		if (ret)
			return ret;
	}
	return 0;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops many_traps = {
	.attach = (void *)many_attach,
	.name = "many_traps",
};
