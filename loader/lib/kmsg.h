/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef VPB_KMSG_H
#define VPB_KMSG_H

#include <stddef.h>

/*
 * The module says why it refused a policy in the kernel log, not in the
 * errno.  vpb_kmsg_mark() notes where the log ends now (-1 when it cannot be
 * read, e.g. in a sandbox without /dev/kmsg); vpb_kmsg_reason() then puts
 * into @out the last message since the mark about policy '@name', or ""
 * when there is none, and forgets the mark.
 */
int vpb_kmsg_mark(void);
void vpb_kmsg_reason(int mark, const char *name, char *out, size_t len);
void vpb_kmsg_forget(int mark);

#endif
