/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PCI devices coming and going, from the kernel's uevents through libudev:
 * a bind, an unbind, a new or removed function (a VF among them).  The
 * kernel's own events need no udevd, and a driver bind is all there is to
 * know.
 */
#ifndef BPFD_DEVICES_H
#define BPFD_DEVICES_H

#include <stdbool.h>

struct bpfd_devices;

/* NULL (and a warning logged) when uevents cannot be received. */
struct bpfd_devices *bpfd_devices_open(void);
int bpfd_devices_fd(const struct bpfd_devices *d);
/* Reads what is pending; true when a PCI function was bound, unbound, added or removed. */
bool bpfd_devices_changed(struct bpfd_devices *d);
void bpfd_devices_close(struct bpfd_devices *d);

#endif
