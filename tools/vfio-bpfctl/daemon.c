// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "daemon.h"
#include "params.h"
#include "sysfs_json.h"

const char *vpb_daemon_socket = VPB_DAEMON_SOCKET;
bool vpb_no_daemon;

/* A connection to the daemon, or -1 when none listens there. */
static int connect_daemon(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	/* An attach waits for the verifier, which takes seconds on a slow host. */
	struct timeval timeout = { .tv_sec = 120 };
	int fd;

	if (vpb_no_daemon || strlen(vpb_daemon_socket) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, vpb_daemon_socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* A daemon that hangs does not hang the command: it gives up, and says so. */
	if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) ||
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout)) ||
			connect(fd, (struct sockaddr *)&sa, sizeof(sa)))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

struct json_object *vpb_daemon_ask(struct json_object *req)
{
	const char *text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	struct json_tokener *tok = json_tokener_new();
	struct json_object *answer = NULL;
	char buf[4096];
	int fd = connect_daemon();
	ssize_t n;

	/* The daemon answers one request per connection, with one line, and closes it. */
	if (fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text)) {
		shutdown(fd, SHUT_WR);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if (!answer)
				answer = json_tokener_parse_ex(tok, buf, n);
	}
	if (fd >= 0 && !answer)
		fprintf(stderr, "vfio-bpfctl: %s: no answer from vfio-bpfd\n", vpb_daemon_socket);
	if (fd >= 0)
		close(fd);
	json_tokener_free(tok);
	json_object_put(req);
	return answer;
}

static struct json_object *command(const char *name)
{
	struct json_object *req = json_object_new_object();

	json_object_object_add(req, "command", json_object_new_string(name));
	return req;
}

/* 0 when the daemon did it, else 1 with its reason printed. */
static int outcome(struct json_object *answer, const char *verb)
{
	struct json_object *ok;
	int ret = 0;

	if (!json_object_object_get_ex(answer, "ok", &ok) || !json_object_get_boolean(ok)) {
		fprintf(stderr, "vfio-bpfctl: vfio-bpfd refused the %s: %s\n", verb,
			vpb_json_field(answer, "error"));
		ret = 1;
	}
	return ret;
}

static void add(struct json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
}

/* The request's members, named as in a config file. */
static struct json_object *attach_request(const struct vpb_policy_opts *o)
{
	struct json_object *req = command("attach"), *params = json_object_new_object();
	const char *base = strrchr(o->object, '/') ? strrchr(o->object, '/') + 1 : o->object;
	char buf[64];

	if (o->name)
		add(req, "name", o->name);
	else
		json_object_object_add(req, "name",
				       json_object_new_string_len(base, strcspn(base, ".")));
	add(req, "object", o->object);
	if (o->has_target)
		vpb_format_bdf(o->target, buf, sizeof(buf)), add(req, "target", buf);
	if (o->has_vfs_of)
		vpb_format_bdf(o->vfs_of, buf, sizeof(buf)), add(req, "vfs_of", buf);
	if (o->has_vendor)
		json_object_object_add(req, "vendor", json_object_new_int(o->vendor));
	if (o->has_device)
		json_object_object_add(req, "device", json_object_new_int(o->device));
	if (o->has_class) {
		snprintf(buf, sizeof(buf), "0x%06x/0x%06x", o->class_code, o->class_mask);
		add(req, "class", buf);
	}
	if (o->has_priority)
		json_object_object_add(req, "priority", json_object_new_int(o->priority));
	for (int i = 0; i < o->nr_params; i++) {
		size_t len = strcspn(o->params[i], "=");

		snprintf(buf, sizeof(buf), "%.*s", (int)len, o->params[i]);
		add(params, buf, o->params[i][len] ? o->params[i] + len + 1 : "");
	}
	json_object_object_add(req, "parameters", params);
	return req;
}

/*
 * The daemon cannot read an object this command can: under its unit's
 * sandbox /home, /root and /run/user are hidden and /tmp is its own.
 */
static void explain_unreadable(struct json_object *answer, const char *object)
{
	char prefix[PATH_MAX + 32];

	snprintf(prefix, sizeof(prefix), "attach: object: %s: ", object);
	if (strncmp(vpb_json_field(answer, "error"), prefix, strlen(prefix)) ||
	    access(object, R_OK))
		return;
	fprintf(stderr,
		"vfio-bpfctl: vfio-bpfd cannot read %s, which this command can: under its "
		"unit, /home, /root and /run/user are hidden and /tmp and /var/tmp are its own.  "
		"Put the object where the daemon reads it (e.g. /usr/local/lib/vfio-pci-bpf), or "
		"attach with --no-daemon\n",
		object);
}

int vpb_daemon_attach(const struct vpb_policy_opts *opts)
{
	struct json_object *answer = vpb_daemon_ask(attach_request(opts)), *entry;
	int ret;

	if (!answer)
		return -1;
	ret = outcome(answer, "attach");
	if (ret)
		explain_unreadable(answer, opts->object);
	if (!ret && json_object_object_get_ex(answer, "attach", &entry))
		printf("attached %s through vfio-bpfd: a runtime entry, pinned at %s "
		       "(vfio-bpfctl detach %s)\n",
		       vpb_json_field(entry, "name"), vpb_json_field(entry, "pin"),
		       vpb_json_field(entry, "name"));
	json_object_put(answer);
	return ret;
}

/* A pin in the daemon's pin folder is its entry of that name; NULL when it is not. */
static const char *entry_of_pin(const char *pin, char *buf, size_t len)
{
	struct json_object *status = vpb_daemon_ask(command("status")), *st;
	const char *slash = strrchr(pin, '/'), *dir = "";

	if (status && json_object_object_get_ex(status, "status", &st))
		dir = vpb_json_field(st, "pin_dir");
	if (!*dir || strlen(dir) != (size_t)(slash - pin) || strncmp(pin, dir, slash - pin))
		slash = NULL;
	else
		snprintf(buf, len, "%s", slash + 1);
	json_object_put(status);
	return slash ? buf : NULL;
}

int vpb_daemon_detach(const char *name_or_pin)
{
	struct json_object *req, *answer;
	const char *name = name_or_pin;
	char buf[256];
	int ret;

	if (strchr(name_or_pin, '/'))
		name = entry_of_pin(name_or_pin, buf, sizeof(buf));
	if (!name)
		return -1;
	req = command("detach");
	add(req, "name", name);
	answer = vpb_daemon_ask(req);
	if (!answer)
		return -1;
	ret = outcome(answer, "detach");
	if (!ret)
		printf("detached %s through vfio-bpfd\n", name);
	json_object_put(answer);
	return ret;
}

struct json_object *vpb_daemon_owners(void)
{
	struct json_object *answer = vpb_daemon_ask(command("policies")), *list, *owners;

	if (!answer || !json_object_object_get_ex(answer, "policies", &list)) {
		json_object_put(answer);
		return NULL;
	}
	owners = json_object_new_object();
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *p = json_object_array_get_idx(list, i);

		if (*vpb_json_field(p, "owner"))
			add(owners, vpb_json_field(p, "name"), vpb_json_field(p, "owner"));
	}
	json_object_put(answer);
	return owners;
}
