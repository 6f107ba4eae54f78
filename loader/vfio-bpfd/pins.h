/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The links vfio-bpfd pins, one per entry (state.h has the layout):
 * pinning one under its entry's name with its record, asking the kernel
 * whether a pinned link still holds its policy, and unpinning.
 */
#ifndef BPFD_PINS_H
#define BPFD_PINS_H

#include "state.h"

/*
 * Pins the link @fd as +new-NAME, writes @rec (the entry's record), then
 * gives the pin its real name, over a pin already there; -errno on failure,
 * with the +new- pin removed.
 */
int bpfd_pin_link(const struct bpfd_paths *p, const char *name, int fd,
		  const struct bpfd_record *rec);

/* What the kernel says of a pinned link; anything else (EMFILE...) says nothing. */
enum bpfd_link_state {
	BPFD_LINK_ALIVE,
	BPFD_LINK_GONE, /* detached (its target device unbound), or no pin any more */
	BPFD_LINK_UNKNOWN,
};

/* The state of the link pinned at @pin; for BPFD_LINK_UNKNOWN, @why is the errno. */
enum bpfd_link_state bpfd_link_state(const char *pin, int *why);

/*
 * A new fd of the struct_ops map behind the link pinned at @pin (-1 on
 * failure), to register it again; the link's fd goes to @link_fd (or -1).
 */
int bpfd_linked_map(const char *pin, int *link_fd);

/* Unpins NAME's link and removes its record. */
void bpfd_detach_entry(const struct bpfd_paths *p, const char *name);

#endif
