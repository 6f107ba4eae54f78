// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "log.h"
#include "pins.h"
#include "reconcile.h"
#include "request.h"
#include "runtime.h"

static void entry_path(const struct bpfd_runtime *rt, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.conf", rt->paths->state_dir, name);
}

/* Whether @name is free: no entry of the config or at run time, no pin. */
static int name_free(const struct bpfd_runtime *rt, const char *name, char *why, size_t whylen)
{
	char pin[BPFD_PATH_LEN + 64];
	struct bpfd_config cfg;
	int ret = bpfd_read_config(rt->config_dir, rt->paths->state_dir, &cfg);

	if (ret) {
		snprintf(why, whylen, "attach: %s: %s", rt->config_dir, strerror(-ret));
		return -1;
	}
	for (int i = 0; i < cfg.nr_entries && !ret; i++) {
		const struct bpfd_entry *e = &cfg.entries[i];

		if (strcmp(e->name, name))
			continue;
		if (e->runtime)
			snprintf(why, whylen,
				 "attach: name: '%s' is a runtime entry already (detach it first)",
				 name);
		else
			snprintf(why, whylen, "attach: name: '%s' is the name of %s's entry", name,
				 e->file);
		ret = -1;
	}
	bpfd_free_config(&cfg);
	bpfd_pin_path(rt->paths, name, 0, pin, sizeof(pin));
	if (!ret && !access(pin, F_OK)) {
		/* A refused config file's entry, or someone else's pin. */
		snprintf(why, whylen, "attach: name: '%s' is taken: %s exists", name, pin);
		ret = -1;
	}
	return ret;
}

static struct json_object *describe(const struct bpfd_runtime *rt, const struct bpfd_entry *e)
{
	struct json_object *o = json_object_new_object();
	char buf[BPFD_PATH_LEN + 64];

	json_object_object_add(o, "name", json_object_new_string(e->name));
	bpfd_entry_match(e, buf, sizeof(buf));
	json_object_object_add(o, "match", json_object_new_string(buf));
	bpfd_pin_path(rt->paths, e->name, 0, buf, sizeof(buf));
	json_object_object_add(o, "pin", json_object_new_string(buf));
	json_object_object_add(o, "file", json_object_new_string(e->file));
	return o;
}

struct json_object *bpfd_runtime_attach(const struct bpfd_runtime *rt, struct json_object *req,
					char *why, size_t whylen)
{
	char path[BPFD_PATH_LEN], err[2048];
	struct bpfd_object obj = {};
	struct bpfd_entry e;
	char *text = bpfd_request_text(req, why, whylen);
	int ret;

	if (!text)
		return NULL;
	ret = bpfd_parse_text(text, "attach", &e, why, whylen);
	if (!ret)
		ret = name_free(rt, e.name, why, whylen);
	/* Everything checked before anything is kept: the object read too. */
	if (!ret && (ret = bpfd_object_read(e.object, &obj, err, sizeof(err))))
		snprintf(why, whylen, "attach: object: %s", err);
	entry_path(rt, e.name, path, sizeof(path));
	/* Desired from here on: a crash before the attach attaches it at the next start. */
	if (!ret && (ret = bpfd_write_whole(path, text)))
		snprintf(why, whylen, "attach: %s: %s", path, strerror(-ret));
	free(text);
	if (ret) {
		bpfd_object_free(&obj);
		return NULL;
	}
	snprintf(e.file, sizeof(e.file), "%s", path);
	e.runtime = true;
	ret = bpfd_attach_entry(rt->paths, &e, &obj, err, sizeof(err));
	bpfd_object_free(&obj);
	if (ret) {
		unlink(path);
		bpfd_err("%s", err);
		snprintf(why, whylen, "attach: %s", err);
		return NULL;
	}
	bpfd_info("attached runtime entry %s (%s)", e.name, e.object);
	return describe(rt, &e);
}

struct json_object *bpfd_runtime_detach(const struct bpfd_runtime *rt, struct json_object *req,
					char *why, size_t whylen)
{
	struct json_object *name = NULL, *out;
	char path[BPFD_PATH_LEN + 64];
	const char *owner;

	json_object_object_foreach(req, key, val)
	{
		if (!strcmp(key, "name") && json_object_is_type(val, json_type_string))
			name = val;
		else if (strcmp(key, "command")) {
			snprintf(why, whylen, "detach: %.64s: unknown key (detach takes a name)",
				 key);
			return NULL;
		}
	}
	if (!name) {
		snprintf(why, whylen, "detach: name: missing (the runtime entry's name)");
		return NULL;
	}
	/* It becomes a path: nothing but a name may reach that. */
	if (!bpfd_name_ok(json_object_get_string(name))) {
		snprintf(why, whylen, "detach: name: '%.64s' is no entry name",
			 json_object_get_string(name));
		return NULL;
	}
	owner = bpfd_runtime_owner(rt, json_object_get_string(name));
	if (!owner || strcmp(owner, "runtime")) {
		snprintf(why, whylen, "detach: '%.64s' is %s", json_object_get_string(name),
			 owner ? "an entry of the config: remove its file instead"
			       : "no runtime entry of vfio-bpfd");
		return NULL;
	}
	/* Not desired first: a crash now leaves a pin the next start detaches. */
	entry_path(rt, json_object_get_string(name), path, sizeof(path));
	unlink(path);
	bpfd_detach_entry(rt->paths, json_object_get_string(name));
	bpfd_info("detached runtime entry %s", json_object_get_string(name));
	out = json_object_new_object();
	json_object_object_add(out, "name", json_object_get(name));
	return out;
}

const char *bpfd_runtime_owner(const struct bpfd_runtime *rt, const char *name)
{
	char path[BPFD_PATH_LEN + 64];
	struct bpfd_record rec;

	entry_path(rt, name, path, sizeof(path));
	if (!access(path, F_OK))
		return "runtime";
	return bpfd_record_read(rt->paths, name, &rec) ? NULL : "config";
}

struct json_object *bpfd_runtime_names(const struct bpfd_runtime *rt)
{
	struct json_object *arr = json_object_new_array();
	struct dirent **names;
	int n = scandir(rt->paths->state_dir, &names, bpfd_is_conf, alphasort);

	for (int i = 0; i < n; i++) {
		json_object_array_add(arr, json_object_new_string_len(
						   names[i]->d_name, strlen(names[i]->d_name) - 5));
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	return arr;
}
