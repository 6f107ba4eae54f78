/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control socket: one JSON request per connection on a UNIX stream
 * socket, one JSON answer (json-c).  Commands: "status", "devices",
 * "policies", "counters" (anyone), "reload", "attach" and "detach" of
 * runtime entries (root, or members of the --control-group).
 * docs/daemon.md has the shapes.
 */
#ifndef BPFD_CONTROL_H
#define BPFD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "reconcile.h"
#include "runtime.h"

#define BPFD_MAX_REPORTED_ERRORS 16

/* What the last reconcile found, for "status". */
struct bpfd_status {
	const char *config_dir;
	int entries;
	int nr_errors;
	char errors[BPFD_MAX_REPORTED_ERRORS][256];
	struct bpfd_summary summary;
};

struct bpfd_control;

/* @group: the group that may change things besides root, or -1. */
struct bpfd_control *bpfd_control_open(const char *path, gid_t group, char *err, size_t errlen);
int bpfd_control_fd(const struct bpfd_control *c);
/*
 * Answers one pending connection; true when a reload is due: asked for
 * (and allowed), or a runtime entry attached or detached.
 */
bool bpfd_control_serve(struct bpfd_control *c, const struct bpfd_status *st,
			const struct bpfd_runtime *rt);
void bpfd_control_close(struct bpfd_control *c);

#endif
