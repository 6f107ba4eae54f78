/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An entry's object file, read once into memory: the daemon hashes and
 * loads the very same bytes, so the digest it records is of what runs.
 * Anyone who may attach can name any path, so the file must be a regular
 * file of at most BPFD_OBJECT_MAX bytes, opened without blocking: a FIFO
 * cannot hold the daemon in open(), nor /dev/zero keep it reading.
 */
#ifndef BPFD_OBJECT_H
#define BPFD_OBJECT_H

#include <stddef.h>

/* Far above any policy object (the shipped ones are 20 to 60 KiB). */
#define BPFD_OBJECT_MAX (64 << 20)

struct bpfd_object {
	void *data;
	size_t size;
};

/* Whether @path can be an object: 0, or -errno with "PATH: why" in @why. */
int bpfd_object_check(const char *path, char *why, size_t whylen);
/* Reads @path whole, with the same checks; @obj is freed with bpfd_object_free(). */
int bpfd_object_read(const char *path, struct bpfd_object *obj, char *why, size_t whylen);
void bpfd_object_free(struct bpfd_object *obj);

#endif
