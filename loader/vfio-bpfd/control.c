// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "control.h"
#include "dirs.h"
#include "log.h"
#include "runtime.h"
#include "sysfs_json.h"
#include "vfio_pci_bpf.h"

/* A client that sends nothing does not hold the daemon up for longer. */
#define REQUEST_TIMEOUT_MS 1000

struct bpfd_control {
	int fd;
	gid_t group;
	char path[108];
};

struct bpfd_control *bpfd_control_open(const char *path, gid_t group, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct bpfd_control *c = calloc(1, sizeof(*c));
	struct stat st;

	if (!c || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: %s", path, c ? "path too long" : strerror(ENOMEM));
		free(c);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	snprintf(c->path, sizeof(c->path), "%s", path);
	/* Its folder, as /run/vfio-pci-bpf, may not be there yet; it must be ours. */
	if (strrchr(c->path, '/') && strrchr(c->path, '/') != c->path) {
		*strrchr(c->path, '/') = '\0';
		mkdir(c->path, 0755);
		if (bpfd_dir_own(c->path, err, errlen)) {
			free(c);
			return NULL;
		}
		if (!stat(c->path, &st) && !(st.st_mode & S_IXOTH))
			bpfd_warn("%s is mode %04o: only root and its group reach the control "
				  "socket in it",
				  c->path, st.st_mode & 07777);
		snprintf(c->path, sizeof(c->path), "%s", path);
	}
	c->group = group;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	unlink(path);
	/* Anyone may ask; what a request may do is decided by its peer's credentials. */
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0666) ||
	    listen(c->fd, 16)) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		bpfd_control_close(c);
		return NULL;
	}
	return c;
}

int bpfd_control_fd(const struct bpfd_control *c)
{
	return c ? c->fd : -1;
}

/* Root, or the control group as the peer's primary or supplementary group. */
static bool may_change(const struct bpfd_control *c, int conn, const struct ucred *cred)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (cred->uid == 0)
		return true;
	if (c->group == (gid_t)-1)
		return false;
	if (cred->gid == c->group)
		return true;
	if (getsockopt(conn, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
		return false;
	for (size_t i = 0; i < len / sizeof(groups[0]); i++)
		if (groups[i] == c->group)
			return true;
	return false;
}

/* "devices": the identity part of each bound device's counters. */
static struct json_object *list_devices(void)
{
	static const char *const keys[] = { "device", "ids", "pf", "vf_index", "policies" };
	struct json_object *all = vpb_json_devices(), *arr = json_object_new_array();

	for (size_t i = 0; i < json_object_array_length(all); i++) {
		struct json_object *counters = json_object_array_get_idx(all, i), *v;
		struct json_object *dev = json_object_new_object();

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (json_object_object_get_ex(counters, keys[k], &v))
				json_object_object_add(dev, keys[k], json_object_get(v));
		json_object_array_add(arr, dev);
	}
	json_object_put(all);
	return arr;
}

static struct json_object *status(const struct bpfd_status *st, const struct bpfd_runtime *rt)
{
	struct json_object *o = json_object_new_object(), *errors = json_object_new_array();
	const struct bpfd_summary *s = &st->summary;

	json_object_object_add(o, "config_dir", json_object_new_string(st->config_dir));
	json_object_object_add(o, "pin_dir", json_object_new_string(rt->paths->pin_dir));
	json_object_object_add(o, "entries", json_object_new_int(st->entries));
	json_object_object_add(o, "runtime_entries", bpfd_runtime_names(rt));
	for (int i = 0; i < st->nr_errors && i < BPFD_MAX_REPORTED_ERRORS; i++)
		json_object_array_add(errors, json_object_new_string(st->errors[i]));
	json_object_object_add(o, "refused_files", errors);
	json_object_object_add(o, "attached", json_object_new_int(s->attached));
	json_object_object_add(o, "swapped", json_object_new_int(s->swapped));
	json_object_object_add(o, "replaced", json_object_new_int(s->replaced));
	json_object_object_add(o, "unchanged", json_object_new_int(s->unchanged));
	json_object_object_add(o, "detached", json_object_new_int(s->detached));
	json_object_object_add(o, "failed", json_object_new_int(s->failed));
	return o;
}

/* "policies": as the driver lists them, each with the vfio-bpfd entry that owns it. */
static struct json_object *list_policies(const struct bpfd_runtime *rt)
{
	struct json_object *all = vpb_json_policies();

	for (size_t i = 0; i < json_object_array_length(all); i++) {
		struct json_object *p = json_object_array_get_idx(all, i);
		const char *owner = bpfd_runtime_owner(rt, vpb_json_field(p, "name"));

		json_object_object_add(p, "owner", owner ? json_object_new_string(owner) : NULL);
	}
	return all;
}

/* The commands that change something, and so ask who the peer is. */
static const char *const changing[] = { "reload", "attach", "detach" };

static bool changes(const char *command)
{
	for (size_t i = 0; i < sizeof(changing) / sizeof(changing[0]); i++)
		if (!strcmp(command, changing[i]))
			return true;
	return false;
}

static struct json_object *answer(const struct bpfd_control *c, const struct bpfd_status *st,
				  const struct bpfd_runtime *rt, const char *request, int conn,
				  const struct ucred *cred, bool *reload)
{
	struct json_object *req = json_tokener_parse(request), *cmd,
			   *out = json_object_new_object();
	const char *command = NULL;
	struct json_object *result = NULL;
	char why[2048] = "";

	if (req && json_object_object_get_ex(req, "command", &cmd) &&
	    json_object_is_type(cmd, json_type_string))
		command = json_object_get_string(cmd);
	if (!command)
		snprintf(why, sizeof(why), "expected {\"command\": \"...\"}");
	else if (changes(command) && !may_change(c, conn, cred))
		snprintf(why, sizeof(why), "%s: permission denied (uid %u is not root%s)", command,
			 cred->uid, c->group != (gid_t)-1 ? " nor in the control group" : "");
	else if (!strcmp(command, "status"))
		result = status(st, rt);
	else if (!strcmp(command, "devices"))
		result = list_devices();
	else if (!strcmp(command, "counters"))
		result = vpb_json_devices();
	else if (!strcmp(command, "policies"))
		result = list_policies(rt);
	else if (!strcmp(command, "reload"))
		*reload = true;
	else if (!strcmp(command, "attach"))
		result = bpfd_runtime_attach(rt, req, why, sizeof(why));
	else if (!strcmp(command, "detach"))
		result = bpfd_runtime_detach(rt, req, why, sizeof(why));
	else
		snprintf(why, sizeof(why),
			 "unknown command '%.64s' (status, devices, policies, "
			 "counters, reload, attach, detach)",
			 command);
	/* A runtime entry came or went: the status and systemd's STATUS= follow. */
	if (result && changes(command))
		*reload = true;
	json_object_object_add(out, "ok", json_object_new_boolean(!why[0]));
	if (why[0])
		json_object_object_add(out, "error", json_object_new_string(why));
	if (result)
		json_object_object_add(out, command, result);
	json_object_put(req);
	return out;
}

bool bpfd_control_serve(struct bpfd_control *c, const struct bpfd_status *st,
			const struct bpfd_runtime *rt)
{
	int conn = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
	struct pollfd p = { .fd = conn, .events = POLLIN };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char request[4096];
	struct json_object *out;
	bool reload = false;
	ssize_t n = -1;
	const char *text;

	if (conn < 0)
		return false;
	if (!getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) &&
	    poll(&p, 1, REQUEST_TIMEOUT_MS) == 1)
		n = read(conn, request, sizeof(request) - 1);
	if (n > 0) {
		request[n] = '\0';
		out = answer(c, st, rt, request, conn, &cred, &reload);
		text = json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN);
		/* A client that left must not end the daemon with SIGPIPE. */
		if (send(conn, text, strlen(text), MSG_NOSIGNAL) < 0 ||
		    send(conn, "\n", 1, MSG_NOSIGNAL) < 0)
			bpfd_warn("control socket: the client left before the answer");
		json_object_put(out);
	}
	close(conn);
	return reload;
}

void bpfd_control_close(struct bpfd_control *c)
{
	if (!c)
		return;
	if (c->fd >= 0) {
		close(c->fd);
		unlink(c->path);
	}
	free(c);
}
