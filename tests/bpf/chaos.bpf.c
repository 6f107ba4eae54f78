// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test policy for the fuzz test: every hook returns a random verdict
 * (pass, handled, a deny with EPERM, EACCES or EIO, or a value that is no
 * verdict at all), rewrites values at random and calls the kfuncs with
 * random arguments; attach sometimes refuses and declares random traps.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <asm-generic/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Out of 16: how often a hook denies, and how often attach refuses. */
const volatile __u32 deny_in_16 = 2;
const volatile __u32 refuse_in_16 = 2;

static __u32 rnd(__u32 n)
{
	return bpf_get_prandom_u32() % n;
}

static __u64 rnd_offset(void)
{
	__u64 r = ((__u64)bpf_get_prandom_u32() << 32) | bpf_get_prandom_u32();

	switch (rnd(4)) {
	case 0:
		return r % 0x100;
	case 1:
		return r % 0x100000;
	case 2:
		return r % 0x1000;
	default:
		return r;
	}
}

static int verdict(void)
{
	__u32 r = rnd(16);

	if (r < deny_in_16) {
		switch (rnd(3)) {
		case 0:
			return -EPERM;
		case 1:
			return -EACCES;
		default:
			return -EIO;
		}
	}
	if (r == 15)
		return 7; /* not a verdict: counted as an error, treated as PASS */
	return r < 12 ? VFIO_PCI_BPF_PASS : VFIO_PCI_BPF_HANDLED;
}

/*
 * QEMU's edu device trusts its DMA registers (0x80-0x9f): a transfer
 * started out of bounds writes past its buffer and crashes the emulator,
 * so chaos never writes them.
 */
static bool edu_dma(struct vfio_pci_bpf_dev *dev, __u32 bar, __u64 offset)
{
	return dev->vendor == 0x1234 && bar == 0 && offset < 0xa0 && offset + 8 > 0x80;
}

static void poke(struct vfio_pci_bpf_dev *dev)
{
	__u64 v = 0, offset = rnd_offset();
	__u32 bar = rnd(8);

	switch (rnd(4)) {
	case 0:
		vfio_pci_bpf_config_read(dev, rnd_offset(), 1 << rnd(4), &v);
		break;
	case 1:
		vfio_pci_bpf_config_write(dev, rnd_offset(), 1 << rnd(4), v);
		break;
	case 2:
		vfio_pci_bpf_bar_read(dev, bar, offset, 1 << rnd(5), &v);
		break;
	default:
		if (!edu_dma(dev, bar, offset))
			vfio_pci_bpf_bar_write(dev, bar, offset, 1 << rnd(5), v);
	}
}

SEC("struct_ops.s/attach")
int BPF_PROG(chaos_attach, struct vfio_pci_bpf_dev *dev)
{
	__u32 i;

	poke(dev);
	vfio_pci_bpf_bar_poll(dev, rnd(7), rnd_offset(), VFIO_PCI_BPF_POLL_MATCH(0, 0), rnd(200));
	for (i = 0; i < 3; i++)
		if (rnd(2))
			vfio_pci_bpf_trap_bar(dev, rnd(7), rnd_offset(), rnd_offset() + 1);
	if (rnd(4) == 0)
		vfio_pci_bpf_untrap_bar(dev, rnd(6));
	return rnd(16) < refuse_in_16 ? -EPERM : 0;
}

SEC("struct_ops.s/detach")
void BPF_PROG(chaos_detach, struct vfio_pci_bpf_dev *dev)
{
	poke(dev);
}

SEC("struct_ops.s/open")
int BPF_PROG(chaos_open, struct vfio_pci_bpf_dev *dev)
{
	poke(dev);
	return rnd(16) < refuse_in_16 ? -EPERM : VFIO_PCI_BPF_PASS;
}

SEC("struct_ops.s/close")
void BPF_PROG(chaos_close, struct vfio_pci_bpf_dev *dev)
{
	poke(dev);
}

SEC("struct_ops.s/ioctl")
int BPF_PROG(chaos_ioctl, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_ioctl *io)
{
	if (rnd(8) == 0)
		vfio_pci_bpf_bar_poll(dev, rnd(7), rnd_offset(), VFIO_PCI_BPF_POLL_MATCH(0, 0),
				      rnd(100));
	return verdict();
}

static int access(struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	if (rnd(4) == 0)
		poke(dev);
	/* A rewritten bar_write value reaches the device: not edu's DMA. */
	if (rnd(4) == 0 && !edu_dma(dev, acc->bar, acc->offset))
		acc->value = ((__u64)bpf_get_prandom_u32() << 32) | bpf_get_prandom_u32();
	return verdict();
}

SEC("struct_ops/config_read")
int BPF_PROG(chaos_config_read, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return access(dev, acc);
}

SEC("struct_ops/config_write")
int BPF_PROG(chaos_config_write, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return access(dev, acc);
}

SEC("struct_ops/bar_read")
int BPF_PROG(chaos_bar_read, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return access(dev, acc);
}

SEC("struct_ops/bar_write")
int BPF_PROG(chaos_bar_write, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	return access(dev, acc);
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops chaos = {
	.attach = (void *)chaos_attach,
	.detach = (void *)chaos_detach,
	.open = (void *)chaos_open,
	.close = (void *)chaos_close,
	.ioctl = (void *)chaos_ioctl,
	.config_read = (void *)chaos_config_read,
	.config_write = (void *)chaos_config_write,
	.bar_read = (void *)chaos_bar_read,
	.bar_write = (void *)chaos_bar_write,
	.name = "chaos",
};
