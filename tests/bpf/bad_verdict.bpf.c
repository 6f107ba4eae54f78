// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test policy: answers config reads with `verdict`, by default one that
 * does not exist; also errnos no hook may deny with (512 and up).
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile int verdict = 42;

SEC("struct_ops/config_read")
int BPF_PROG(wrong_verdict, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return verdict;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops bad_verdict = {
	.config_read = (void *)wrong_verdict,
	.name = "bad_verdict",
};
