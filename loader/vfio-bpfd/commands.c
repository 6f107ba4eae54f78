// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <json-c/json.h>

#include "commands.h"
#include "sysfs_json.h"

/* Root, or the control group as the peer's primary or supplementary group. */
static bool may_change(gid_t group, int conn, const struct ucred *cred)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (cred->uid == 0)
		return true;
	if (group == (gid_t)-1)
		return false;
	if (cred->gid == group)
		return true;
	if (getsockopt(conn, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
		return false;
	for (size_t i = 0; i < len / sizeof(groups[0]); i++)
		if (groups[i] == group)
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
	json_object_object_add(o, "kept", json_object_new_int(s->kept));
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

struct json_object *bpfd_command_answer(struct json_object *req, const struct bpfd_peer *peer,
					const struct bpfd_status *st, const struct bpfd_runtime *rt,
					bool *reload)
{
	struct json_object *cmd, *out = json_object_new_object();
	const char *command = NULL;
	struct json_object *result = NULL;
	char why[2048] = "";

	if (req && json_object_object_get_ex(req, "command", &cmd) &&
	    json_object_is_type(cmd, json_type_string))
		command = json_object_get_string(cmd);
	if (!command)
		snprintf(why, sizeof(why), "expected {\"command\": \"...\"}");
	else if (changes(command) && !may_change(peer->group, peer->fd, &peer->cred))
		snprintf(why, sizeof(why), "%s: permission denied (uid %u is not root%s)", command,
			 peer->cred.uid,
			 peer->group != (gid_t)-1 ? " nor in the control group" : "");
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
	return out;
}
