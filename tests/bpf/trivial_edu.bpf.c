// SPDX-License-Identifier: GPL-2.0-only
/* trivial, with built-in IDs of its own: QEMU's edu (t-daemon changes an entry's IDs with it). */
#define TRIVIAL_VENDOR 0x1234
#define TRIVIAL_DEVICE 0x11e8
#include "trivial.bpf.c"
