// SPDX-License-Identifier: GPL-2.0-only
/*
 * edu_migrate: live migration of QEMU's edu device (1234:11e8) as a BPF
 * policy.  It carries what a VMM can program through BAR0: liveness
 * (0x04), the factorial (0x08), the interrupt-on-factorial bit of status
 * (0x20), the interrupt status (0x24) and the DMA address and count
 * registers (0x80-0x90).  docs/migration.md says what it cannot carry.
 *
 * It offers the P2P states (it stops DMA there) and PRE_COPY.  edu has no
 * bulk state to send ahead, so its pre-copy record is simply the state as
 * it was when PRE_COPY began; the destination loads it, then the final
 * record saved once the device stopped, which supersedes it.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <asm-generic/errno.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vfio_pci_bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define EDU_LIVENESS 0x04
#define EDU_FACTORIAL 0x08
#define EDU_STATUS 0x20
#define EDU_STATUS_COMPUTING 0x01
#define EDU_STATUS_IRQFACT 0x80
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_IRQ_FACTORIAL 0x01
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_RUN 0x01

/* The registers the VMM writes and this policy traps to learn them. */
#define EDU_TRAP_LEN 0x100

/* How long quiesce waits for a factorial or a DMA to finish. */
const volatile __u32 quiesce_timeout_us = 100000;

/* The stream payload: what mig_save writes and mig_load reads back. */
struct edu_state {
	__u32 mmio;	       /* the guest had BAR0 enabled; nothing else is valid without */
	__u32 liveness;	       /* as read: the inverse of what was written */
	__u32 factorial_arg;   /* the n last written to 0x08 ... */
	__u32 factorial_known; /* ... if one was, since the device opened */
	__u32 status;
	__u32 irq_status;
	__u64 dma_src;
	__u64 dma_dst;
	__u64 dma_count;
};

/* The last factorial argument per device: 0x08 reads back n!, not n. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
} factorial_arg SEC(".maps");

SEC("struct_ops.s/attach")
int BPF_PROG(edu_attach, struct vfio_pci_bpf_dev *dev)
{
	if (dev->vendor != 0x1234 || dev->device != 0x11e8)
		return -ENODEV;
	return vfio_pci_bpf_trap_bar(dev, 0, 0, EDU_TRAP_LEN);
}

SEC("struct_ops/detach")
void BPF_PROG(edu_detach, struct vfio_pci_bpf_dev *dev)
{
	__u32 addr = dev->addr;

	bpf_map_delete_elem(&factorial_arg, &addr);
}

/* A new VMM starts from the device's power-on state: forget the last one's n. */
SEC("struct_ops.s/open")
int BPF_PROG(edu_open, struct vfio_pci_bpf_dev *dev)
{
	__u32 addr = dev->addr;

	bpf_map_delete_elem(&factorial_arg, &addr);
	return 0;
}

SEC("struct_ops/bar_write")
int BPF_PROG(edu_bar_write, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc)
{
	__u32 addr = dev->addr, n = acc->value;

	if (acc->bar == 0 && acc->offset == EDU_FACTORIAL && acc->size == 4)
		bpf_map_update_elem(&factorial_arg, &addr, &n, BPF_ANY);
	return VFIO_PCI_BPF_PASS;
}

static int rd(struct vfio_pci_bpf_dev *dev, __u64 off, __u32 size, __u64 *val)
{
	return vfio_pci_bpf_bar_read(dev, 0, off, size, val);
}

static int wr(struct vfio_pci_bpf_dev *dev, __u64 off, __u32 size, __u64 val)
{
	return vfio_pci_bpf_bar_write(dev, 0, off, size, val);
}

/*
 * Whether the guest enabled memory decoding.  Without it BAR0 cannot be
 * read (the kfuncs say -EIO), and nothing was programmed through it since.
 */
static bool mmio_enabled(struct vfio_pci_bpf_dev *dev)
{
	__u64 cmd = 0;

	return !vfio_pci_bpf_config_read(dev, PCI_COMMAND, 2, &cmd) && (cmd & PCI_COMMAND_MEMORY);
}

/* Waits until neither a factorial nor a DMA runs. */
static int quiesce(struct vfio_pci_bpf_dev *dev)
{
	int ret;

	if (!mmio_enabled(dev))
		return 0;
	ret = vfio_pci_bpf_bar_poll(dev, 0, EDU_STATUS,
				    VFIO_PCI_BPF_POLL_MATCH(EDU_STATUS_COMPUTING, 0),
				    quiesce_timeout_us);
	if (ret)
		return ret;
	return vfio_pci_bpf_bar_poll(dev, 0, EDU_DMA_CMD, VFIO_PCI_BPF_POLL_MATCH(EDU_DMA_RUN, 0),
				     quiesce_timeout_us);
}

static bool fully_running(__u32 state)
{
	return state == VFIO_DEVICE_STATE_RUNNING || state == VFIO_DEVICE_STATE_PRE_COPY;
}

/*
 * Leaving full RUNNING, for STOP or for a P2P state: edu cannot tell a
 * peer-to-peer DMA from another, so the P2P states stop them all, and
 * nothing the device does may change what is saved once it stops.
 */
SEC("struct_ops.s/mig_state")
int BPF_PROG(edu_mig_state, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_mig *mig)
{
	if (fully_running(mig->from) && !fully_running(mig->to))
		return quiesce(dev);
	return 0;
}

SEC("struct_ops.s/mig_save")
int BPF_PROG(edu_mig_save, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_mig *mig)
{
	struct edu_state st = {};
	__u32 addr = dev->addr, *n;
	__u64 v;
	int ret;

	if (!mmio_enabled(dev))
		return vfio_pci_bpf_mig_write(mig, &st, sizeof(st));
	st.mmio = 1;
	ret = rd(dev, EDU_LIVENESS, 4, &v);
	st.liveness = v;
	ret = ret ?: rd(dev, EDU_STATUS, 4, &v);
	st.status = v & EDU_STATUS_IRQFACT;
	ret = ret ?: rd(dev, EDU_IRQ_STATUS, 4, &v);
	st.irq_status = v;
	ret = ret ?: rd(dev, EDU_DMA_SRC, 8, &st.dma_src);
	ret = ret ?: rd(dev, EDU_DMA_DST, 8, &st.dma_dst);
	ret = ret ?: rd(dev, EDU_DMA_COUNT, 8, &st.dma_count);
	if (ret)
		return ret;
	n = bpf_map_lookup_elem(&factorial_arg, &addr);
	if (n) {
		st.factorial_arg = *n;
		st.factorial_known = 1;
	}
	return vfio_pci_bpf_mig_write(mig, &st, sizeof(st));
}

/*
 * edu's factorial thread clears "computing" before it looks at the
 * interrupt bit, so a factorial that ended just as mig_load restored that
 * bit may still raise its interrupt: give it a moment, then take it back
 * unless the source had it pending.
 */
static int drop_late_factorial_irq(struct vfio_pci_bpf_dev *dev, __u32 saved)
{
	__u64 now;
	int ret;

	if (saved & EDU_IRQ_FACTORIAL)
		return 0;
	/* A register that never reads 0 with this mask: a 1 ms sleep. */
	vfio_pci_bpf_bar_poll(dev, 0, EDU_LIVENESS, VFIO_PCI_BPF_POLL_MATCH(0, 1), 1000);
	ret = rd(dev, EDU_IRQ_STATUS, 4, &now);
	if (ret || !(now & EDU_IRQ_FACTORIAL))
		return ret;
	return wr(dev, EDU_IRQ_ACK, 4, EDU_IRQ_FACTORIAL);
}

SEC("struct_ops.s/mig_load")
int BPF_PROG(edu_mig_load, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_mig *mig)
{
	struct edu_state st = {};
	__u32 addr = dev->addr;
	int ret;

	if (mig->len != sizeof(st))
		return -EINVAL;
	ret = vfio_pci_bpf_mig_read(mig, &st, sizeof(st));
	if (ret || !st.mmio)
		return ret;
	ret = wr(dev, EDU_LIVENESS, 4, ~st.liveness);
	/* The factorial first: with the interrupt bit not yet set, it raises none. */
	ret = ret ?: wr(dev, EDU_STATUS, 4, 0);
	if (!ret && st.factorial_known) {
		ret = wr(dev, EDU_FACTORIAL, 4, st.factorial_arg);
		ret = ret
			      ?: vfio_pci_bpf_bar_poll(
					 dev, 0, EDU_STATUS,
					 VFIO_PCI_BPF_POLL_MATCH(EDU_STATUS_COMPUTING, 0),
					 quiesce_timeout_us);
		if (!ret)
			bpf_map_update_elem(&factorial_arg, &addr, &st.factorial_arg, BPF_ANY);
	}
	ret = ret ?: wr(dev, EDU_STATUS, 4, st.status & EDU_STATUS_IRQFACT);
	ret = ret ?: wr(dev, EDU_DMA_SRC, 8, st.dma_src);
	ret = ret ?: wr(dev, EDU_DMA_DST, 8, st.dma_dst);
	ret = ret ?: wr(dev, EDU_DMA_COUNT, 8, st.dma_count);
	/* Exactly the source's interrupt bits, whatever this device had. */
	ret = ret ?: wr(dev, EDU_IRQ_ACK, 4, 0xffffffff);
	if (!ret && st.irq_status)
		ret = wr(dev, EDU_IRQ_RAISE, 4, st.irq_status);
	return ret ?: drop_late_factorial_irq(dev, st.irq_status);
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops edu_migrate = {
	.attach = (void *)edu_attach,
	.detach = (void *)edu_detach,
	.open = (void *)edu_open,
	.bar_write = (void *)edu_bar_write,
	.mig_state = (void *)edu_mig_state,
	.mig_save = (void *)edu_mig_save,
	.mig_load = (void *)edu_mig_load,
	.name = "edu_migrate",
	.vendor = 0x1234,
	.device = 0x11e8,
	.flags = VFIO_PCI_BPF_F_MIGRATION | VFIO_PCI_BPF_F_MIG_P2P | VFIO_PCI_BPF_F_MIG_PRE_COPY,
	.mig_size = sizeof(struct edu_state),
};
