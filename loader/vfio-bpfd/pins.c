// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "pins.h"

int bpfd_pin_link(const struct bpfd_paths *paths, const char *name, int fd,
		  const struct bpfd_record *rec)
{
	char fresh[BPFD_PATH_LEN + 64], pin[BPFD_PATH_LEN + 64];
	int ret;

	bpfd_pin_path(paths, name, 1, fresh, sizeof(fresh));
	bpfd_pin_path(paths, name, 0, pin, sizeof(pin));
	ret = bpf_obj_pin(fd, fresh) ? -errno : 0;
	if (!ret)
		ret = bpfd_record_write(paths, name, rec);
	if (!ret && rename(fresh, pin))
		ret = -errno;
	if (ret)
		unlink(fresh);
	return ret;
}

int bpfd_linked_map(const char *pin, int *link_fd)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int map_fd = -1;

	*link_fd = bpf_obj_get(pin);
	if (*link_fd >= 0 && !bpf_link_get_info_by_fd(*link_fd, &info, &len))
		map_fd = bpf_map_get_fd_by_id(info.struct_ops.map_id);
	return map_fd;
}

/*
 * The kernel detaches the link of a target policy whose device unbinds,
 * and the pin stays: only its own state (no map) or ENOENT say "gone".
 */
enum bpfd_link_state bpfd_link_state(const char *pin, int *why)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(pin);
	enum bpfd_link_state state;

	*why = fd < 0 ? errno : 0;
	if (fd < 0)
		return *why == ENOENT ? BPFD_LINK_GONE : BPFD_LINK_UNKNOWN;
	if (bpf_link_get_info_by_fd(fd, &info, &len))
		*why = errno;
	else if (info.type != BPF_LINK_TYPE_STRUCT_OPS)
		*why = EINVAL;
	state = *why			 ? BPFD_LINK_UNKNOWN
		: info.struct_ops.map_id ? BPFD_LINK_ALIVE
					 : BPFD_LINK_GONE;
	close(fd);
	return state;
}

void bpfd_detach_entry(const struct bpfd_paths *paths, const char *name)
{
	char pin[BPFD_PATH_LEN + 64];
	int fd;

	bpfd_pin_path(paths, name, 0, pin, sizeof(pin));
	/*
	 * Detached now, not when the kernel's work item drops the pin's last
	 * reference: the name may be registered again in the same reconcile.
	 */
	fd = bpf_obj_get(pin);
	if (fd >= 0) {
		bpf_link_detach(fd);
		close(fd);
	}
	unlink(pin);
	bpfd_record_remove(paths, name);
}
