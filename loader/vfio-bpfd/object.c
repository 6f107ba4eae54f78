// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "object.h"

static int refuse(const char *path, int err, const char *why, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s: %s", path, why ? why : strerror(err));
	return -err;
}

/* An open fd on @path once it proved a regular file small enough, its size in @size. */
static int open_object(const char *path, size_t *size, char *why, size_t whylen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return refuse(path, errno, NULL, why, whylen);
	if (fstat(fd, &st)) {
		close(fd);
		return refuse(path, errno, NULL, why, whylen);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return refuse(path, EINVAL, "not a regular file", why, whylen);
	}
	if (st.st_size > BPFD_OBJECT_MAX) {
		close(fd);
		return refuse(path, EFBIG, "larger than 64 MiB: no policy object", why, whylen);
	}
	*size = st.st_size;
	return fd;
}

int bpfd_object_check(const char *path, char *why, size_t whylen)
{
	size_t size;
	int fd = open_object(path, &size, why, whylen);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int bpfd_object_read(const char *path, struct bpfd_object *obj, char *why, size_t whylen)
{
	size_t size, got = 0;
	int fd = open_object(path, &size, why, whylen), err = 0;
	ssize_t n = 1;

	memset(obj, 0, sizeof(*obj));
	if (fd < 0)
		return fd;
	obj->data = malloc(size ? size : 1);
	/* Never more than fstat said: a file that grows meanwhile is cut there. */
	while (obj->data && got < size && (n = read(fd, (char *)obj->data + got, size - got)) > 0)
		got += n;
	err = !obj->data ? ENOMEM : n < 0 ? errno : got < size ? EIO : 0;
	close(fd);
	if (err) {
		bpfd_object_free(obj);
		return refuse(path, err, err == EIO ? "shorter than it was a moment ago" : NULL,
			      why, whylen);
	}
	obj->size = size;
	return 0;
}

void bpfd_object_free(struct bpfd_object *obj)
{
	free(obj->data);
	memset(obj, 0, sizeof(*obj));
}
