/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What vfio-bpfd owns and knows it attached: under PIN_DIR, one pinned
 * link per entry, named after it; under STATE_DIR, one record per pin:
 * "DIGEST MATCH FILE", the entry's digest (object bytes and every setting),
 * its match and the config file it came from.  A pin is made as
 * PIN_DIR/+new-NAME and renamed once its record is written, so a crash
 * leaves either a +new- pin (removed at the next start) or a complete pair.
 * bpffs refuses names with a dot, so entry names have none and '+' marks
 * what no entry name can be.
 */
#ifndef BPFD_STATE_H
#define BPFD_STATE_H

#include <stddef.h>

#include "config.h"
#include "object.h"

#define BPFD_FRESH_PREFIX "+new-"

struct bpfd_paths {
	const char *pin_dir;
	const char *state_dir;
};

struct bpfd_record {
	char digest[17];
	char match[96];
	char file[BPFD_PATH_LEN];
};

/* The digest of @entry: its object's bytes (as read in @obj) and every setting. */
void bpfd_entry_digest(const struct bpfd_entry *entry, const struct bpfd_object *obj,
		       char digest[17]);

int bpfd_record_read(const struct bpfd_paths *p, const char *name, struct bpfd_record *rec);
int bpfd_record_write(const struct bpfd_paths *p, const char *name, const struct bpfd_record *rec);
/* Written whole or not at all: a new PATH.tmp (0600) renamed over PATH. */
int bpfd_write_whole(const char *path, const char *text);
void bpfd_record_remove(const struct bpfd_paths *p, const char *name);

/* PIN_DIR/NAME or PIN_DIR/+new-NAME. */
void bpfd_pin_path(const struct bpfd_paths *p, const char *name, int fresh, char *buf, size_t len);

#endif
