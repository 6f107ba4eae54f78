/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The optional access event stream shared by the shipped policies: a ring
 * buffer userspace drains, switched on by the `emit_events` parameter.
 */
#ifndef VPB_EVENTS_BPF_H
#define VPB_EVENTS_BPF_H

#include "vfio_pci_bpf.h"

#define VPB_EVENT_RING_BYTES (256 * 1024)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, VPB_EVENT_RING_BYTES);
} events SEC(".maps");

const volatile bool emit_events = false;

/* Best effort: a full ring drops the event, never the access. */
static __always_inline void vpb_emit(struct vfio_pci_bpf_dev *dev, __u8 hook,
				     const struct vfio_pci_bpf_access *acc, __u8 verdict)
{
	struct vfio_pci_bpf_event *e;

	if (!emit_events)
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return;
	e->timestamp_ns = bpf_ktime_get_ns();
	e->addr = dev->addr;
	e->hook = hook;
	e->offset = acc ? acc->offset : 0;
	e->value = acc ? acc->value : 0;
	e->size = acc ? acc->size : 0;
	e->bar = acc ? acc->bar : 0;
	e->verdict = verdict;
	bpf_ringbuf_submit(e, 0);
}

#endif /* VPB_EVENTS_BPF_H */
