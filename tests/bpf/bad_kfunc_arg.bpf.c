// SPDX-License-Identifier: GPL-2.0-only
/* Must be rejected: hands a kfunc something that is not the hooked device. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/config_read")
int BPF_PROG(wrong_handle, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	__u64 v;

	return vfio_pci_bpf_config_read((struct vfio_pci_bpf_dev *)acc, 0, 4, &v);
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops bad_kfunc_arg = {
	.config_read = (void *)wrong_handle,
	.name = "bad_kfunc_arg",
};
