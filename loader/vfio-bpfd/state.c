// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"

/* FNV-1a, 64 bits: a change detector, not a security boundary. */
static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

void bpfd_entry_digest(const struct bpfd_entry *e, const struct bpfd_object *obj, char digest[17])
{
	uint64_t h = fnv(0xcbf29ce484222325ULL, obj->data, obj->size);
	char match[96], settings[64];

	bpfd_entry_match(e, match, sizeof(match));
	snprintf(settings, sizeof(settings), "|%d:%d|%d:%d|", e->has_priority, e->priority,
		 e->has_migration, e->migration);
	h = fnv(h, e->name, strlen(e->name) + 1);
	h = fnv(h, match, strlen(match) + 1);
	h = fnv(h, settings, strlen(settings));
	for (int i = 0; i < e->nr_params; i++)
		h = fnv(h, e->params[i], strlen(e->params[i]) + 1);
	snprintf(digest, 17, "%016llx", (unsigned long long)h);
}

static void record_path(const struct bpfd_paths *p, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", p->state_dir, name);
}

int bpfd_record_read(const struct bpfd_paths *p, const char *name, struct bpfd_record *rec)
{
	char path[BPFD_PATH_LEN + 64];
	FILE *f;
	int n;

	record_path(p, name, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return -errno;
	n = fscanf(f, "%16s %95s %511[^\n]", rec->digest, rec->match, rec->file);
	fclose(f);
	return n == 3 ? 0 : -EINVAL;
}

int bpfd_write_whole(const char *path, const char *text)
{
	char tmp[BPFD_PATH_LEN + 80];
	size_t len = strlen(text), done = 0;
	ssize_t n = 0;
	int fd, ret = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	/*
	 * A new file, never one found there: a .tmp left by a crash is removed
	 * (a symbolic link as itself, not what it points to), and neither a link
	 * nor a file made meanwhile is ever written through.
	 */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (done < len && (n = write(fd, text + done, len - done)) > 0)
		done += n;
	if (n < 0)
		ret = -errno;
	else if (done < len)
		ret = -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

int bpfd_record_write(const struct bpfd_paths *p, const char *name, const struct bpfd_record *rec)
{
	char path[BPFD_PATH_LEN + 64], text[sizeof(*rec) + 8];

	record_path(p, name, path, sizeof(path));
	snprintf(text, sizeof(text), "%s %s %s\n", rec->digest, rec->match, rec->file);
	return bpfd_write_whole(path, text);
}

void bpfd_record_remove(const struct bpfd_paths *p, const char *name)
{
	char path[BPFD_PATH_LEN + 64];

	record_path(p, name, path, sizeof(path));
	unlink(path);
}

void bpfd_pin_path(const struct bpfd_paths *p, const char *name, int fresh, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%s", p->pin_dir, fresh ? BPFD_FRESH_PREFIX : "", name);
}
