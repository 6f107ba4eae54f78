/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control socket: a UNIX stream socket, one JSON request per
 * connection (commands.h), one line of JSON back.  Clients are served
 * side by side without blocking the daemon: a request is read until it is
 * a whole JSON value or the client shuts its side down, up to 64 KiB and
 * within 5 s; an answer is written as fast as the client takes it, and
 * one that stalls for 5 s is dropped.  At most 32 clients at once; a
 * daemon out of file descriptors stops accepting for a second rather than
 * spin on a failing accept().
 */
#ifndef BPFD_CONTROL_H
#define BPFD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "commands.h"

struct bpfd_control;

/* @group: the group that may change things besides root, or -1. */
struct bpfd_control *bpfd_control_open(const char *path, gid_t group, char *err, size_t errlen);
/* Readable when a client needs serving (an epoll fd); -1 for no socket. */
int bpfd_control_fd(const struct bpfd_control *c);
/* Milliseconds until a client's deadline, or -1: the main loop's poll timeout. */
int bpfd_control_timeout(const struct bpfd_control *c);
/*
 * Serves what is pending and drops clients past their deadline; true when
 * a reload is due (see bpfd_command_answer()).
 */
bool bpfd_control_serve(struct bpfd_control *c, const struct bpfd_status *st,
			const struct bpfd_runtime *rt);
void bpfd_control_close(struct bpfd_control *c);

#endif
