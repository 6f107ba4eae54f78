// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "dirs.h"

/* @path and its missing parents: the parents 0755, @path itself 0700. */
static int make_dir(const char *path)
{
	char buf[BPFD_PATH_LEN];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *s = strchr(buf + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return mkdir(buf, 0700) && errno != EEXIST ? -errno : 0;
}

int bpfd_dir_own(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory (a symbolic link?)", path);
		return -ENOTDIR;
	}
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(err, errlen,
			 "%s: owned by uid %u, mode %04o: it must be this user's (uid %u) and "
			 "writable by no one else",
			 path, st.st_uid, st.st_mode & 07777, geteuid());
		return -EPERM;
	}
	return 0;
}

int bpfd_make_dirs(const struct bpfd_paths *p, char *err, size_t errlen)
{
	struct statfs fs;
	int ret;

	ret = make_dir(p->pin_dir);
	if (!ret && (statfs(p->pin_dir, &fs) || fs.f_type != BPF_FS_MAGIC))
		ret = -ENOTDIR;
	if (ret) {
		snprintf(err, errlen, "%s: %s", p->pin_dir,
			 ret == -ENOTDIR ? "not on a bpf filesystem" : strerror(-ret));
		return ret;
	}
	ret = make_dir(p->state_dir);
	if (ret) {
		snprintf(err, errlen, "%s: %s", p->state_dir, strerror(-ret));
		return ret;
	}
	ret = bpfd_dir_own(p->pin_dir, err, errlen);
	return ret ? ret : bpfd_dir_own(p->state_dir, err, errlen);
}

int bpfd_lock_state(const struct bpfd_paths *p, char *err, size_t errlen)
{
	/* Never closed: the lock goes with the process, however it ends. */
	int fd = open(p->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB)) {
		int ret = -errno;

		snprintf(err, errlen, "%s: %s", p->state_dir,
			 ret == -EWOULDBLOCK ? "another vfio-bpfd runs on this state directory "
					       "(ask it to reload instead: SIGHUP, or "
					       "systemctl reload vfio-bpfd)"
					     : strerror(-ret));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	return 0;
}
