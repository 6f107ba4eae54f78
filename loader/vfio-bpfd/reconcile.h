/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Bringing what is attached in line with the config: attach what is
 * missing, hot-swap an entry whose object or settings changed but whose
 * match did not, replace one whose match changed, detach what vfio-bpfd
 * attached and the config no longer names, and leave everything else
 * alone.  An entry whose file was refused, or whose new version fails to
 * load, keeps what it had.
 */
#ifndef BPFD_RECONCILE_H
#define BPFD_RECONCILE_H

#include "config.h"
#include "state.h"

struct bpfd_summary {
	int attached, swapped, replaced, unchanged, detached, kept, failed;
};

void bpfd_reconcile(const struct bpfd_paths *p, const struct bpfd_config *cfg,
		    struct bpfd_summary *sum);

/*
 * Attaches @entry, loaded from @obj (its object's bytes), and pins it with
 * its record, as a reconcile attaches a new entry; on failure nothing is
 * left and @err says why (with the verifier's useful lines).
 */
int bpfd_attach_entry(const struct bpfd_paths *p, const struct bpfd_entry *entry,
		      const struct bpfd_object *obj, char *err, size_t errlen);

#endif
