/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Runtime entries: policies attached and detached through the control
 * socket rather than named by a config file.  The daemon keeps each one
 * as STATE_DIR/NAME.conf, the config text its request became (request.h),
 * next to the records of what it attached, and reads them with the config
 * at every reconcile: a runtime entry is pinned, recorded, kept through
 * reloads and restarts like a config entry, until a "detach" removes it.
 * A name a config file or another entry already uses is refused.
 */
#ifndef BPFD_RUNTIME_H
#define BPFD_RUNTIME_H

#include <stddef.h>

#include "state.h"

struct json_object;

/* Where the daemon keeps its entries, and the config that must not be contradicted. */
struct bpfd_runtime {
	const struct bpfd_paths *paths;
	const char *config_dir;
};

/*
 * Attaches the entry @req describes; its "name", "match", "pin" and "file"
 * on success, NULL with @why set (and nothing changed) on failure.
 */
struct json_object *bpfd_runtime_attach(const struct bpfd_runtime *rt, struct json_object *req,
					char *why, size_t whylen);
/* Detaches the runtime entry @req names: its "name"; NULL with @why set. */
struct json_object *bpfd_runtime_detach(const struct bpfd_runtime *rt, struct json_object *req,
					char *why, size_t whylen);
/* "runtime", "config" (another entry vfio-bpfd attached) or NULL (not vfio-bpfd's). */
const char *bpfd_runtime_owner(const struct bpfd_runtime *rt, const char *name);
/* The names of the runtime entries, in name order. */
struct json_object *bpfd_runtime_names(const struct bpfd_runtime *rt);

#endif
