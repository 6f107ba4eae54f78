/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's directories.  The pin and state directories hold what it
 * attached: it makes them (parents 0755, so that a control socket beside
 * them can be reached; themselves 0700), refuses one that is no directory
 * of its own or that someone else may write, and locks the state
 * directory for as long as it runs, so that a second instance (vfio-bpfd
 * --once while the service runs) cannot remove the first one's +new- pins.
 */
#ifndef BPFD_DIRS_H
#define BPFD_DIRS_H

#include <stddef.h>

#include "state.h"

/* Creates PIN_DIR (on bpffs) and STATE_DIR when missing, and checks both. */
int bpfd_make_dirs(const struct bpfd_paths *p, char *err, size_t errlen);

/*
 * Whether @path is a directory (not a symlink to one) of this user that no
 * one else may write: 0, or -errno with "PATH: why" in @err.
 */
int bpfd_dir_own(const char *path, char *err, size_t errlen);

/*
 * Holds an exclusive lock on STATE_DIR until the process ends; -EWOULDBLOCK
 * (@err says so) when another vfio-bpfd holds it.
 */
int bpfd_lock_state(const struct bpfd_paths *p, char *err, size_t errlen);

#endif
