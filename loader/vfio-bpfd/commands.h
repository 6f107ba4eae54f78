/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the control socket's requests ask, and their answers (json-c):
 * "status", "devices", "policies", "counters" (anyone), "reload", "attach"
 * and "detach" of runtime entries (root, or members of the
 * --control-group).  docs/daemon.md has the shapes.
 */
#ifndef BPFD_COMMANDS_H
#define BPFD_COMMANDS_H

#include <stdbool.h>
#include <sys/socket.h>
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

/* Who asks: credentials from SO_PEERCRED, its socket for SO_PEERGROUPS. */
struct bpfd_peer {
	int fd;
	struct ucred cred;
	gid_t group; /* the group that may change things besides root, or -1 */
};

struct json_object;

/*
 * The answer to @req (NULL: the request was no JSON), {"ok": ...}; sets
 * @reload when a reload is due: asked for (and allowed), or a runtime
 * entry attached or detached.
 */
struct json_object *bpfd_command_answer(struct json_object *req, const struct bpfd_peer *peer,
					const struct bpfd_status *st, const struct bpfd_runtime *rt,
					bool *reload);

#endif
