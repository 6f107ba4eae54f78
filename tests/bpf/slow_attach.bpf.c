// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test policy: an attach that takes a while (spin_rounds times spin_loops
 * turns of an empty loop, a few hundred ms per 2^22 under TCG) and then traps BAR0's first trap_len bytes, if any.  It widens the
 * windows in which a VMM could open a device before its policies are in
 * place, or in which one device's attach could hold up another device.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* bpf_loop() turns at most 2^23 times per call. */
const volatile __u32 spin_loops = 1 << 22;
const volatile __u32 spin_rounds = 1;
const volatile __u32 poll_rounds = 0;
const volatile __u64 trap_len = 0x1000;

static long spin(__u64 index, void *ctx)
{
	return 0;
}

SEC("struct_ops.s/attach")
int BPF_PROG(slow_attach, struct vfio_pci_bpf_dev *dev)
{
	for (__u32 i = 0; i < poll_rounds && i < 64; i++)
		vfio_pci_bpf_bar_poll(dev, 0, 0, VFIO_PCI_BPF_POLL_MATCH(0xffffffff, 0xdeadbeef),
				      100000);
	for (__u32 i = 0; i < spin_rounds && i < 64; i++)
		bpf_loop(spin_loops, spin, NULL, 0);
	return trap_len ? vfio_pci_bpf_trap_bar(dev, 0, 0, trap_len) : 0;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops slow_attach_ops = {
	.attach = (void *)slow_attach,
	.name = "slow_attach",
};
