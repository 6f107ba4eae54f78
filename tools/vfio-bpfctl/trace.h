/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef VPB_TRACE_H
#define VPB_TRACE_H

#include <stddef.h>

/* Prints one struct vfio_pci_bpf_event; @ctx filters, or NULL for all. */
int vpb_print_event(void *ctx, void *data, size_t len);
/* vfio-bpfctl trace [--device BDF] [--count N] [--seconds S] */
int vpb_cmd_trace(int argc, char **argv);

#endif
