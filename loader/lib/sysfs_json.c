// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sysfs_json.h"
#include "vfio_pci_bpf.h"

#define DRIVER_DIR "/sys/bus/pci/drivers/" VFIO_PCI_BPF_DRIVER_NAME

const char *vpb_json_field(struct json_object *o, const char *key)
{
	struct json_object *v;

	/* A member that is null has no text either. */
	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : "";
}

/* The members that are text whatever they read like: a policy may be named "42". */
static bool vpb_text_member(const char *key)
{
	static const char *const text[] = { "device", "ids", "class", "pf", "policies" };

	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		if (!strcmp(key, text[i]))
			return true;
	return false;
}

struct json_object *vpb_json_counters_parse(FILE *f)
{
	struct json_object *o = json_object_new_object();
	char line[600], key[64], value[512];

	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;
		char *end;

		if (sscanf(line, "%63s %511s", key, value) != 2)
			continue;
		v = strtoull(value, &end, 10);
		json_object_object_add(o, key,
				       vpb_text_member(key) || *end || !isdigit(value[0])
					       ? json_object_new_string(value)
					       : json_object_new_uint64(v));
	}
	return o;
}

struct json_object *vpb_json_counters(const char *bdf)
{
	struct json_object *o;
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio_bpf/counters", bdf);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	o = vpb_json_counters_parse(f);
	fclose(f);
	return o;
}

struct json_object *vpb_json_devices(void)
{
	struct json_object *arr = json_object_new_array();
	struct dirent **names;
	int n = scandir(DRIVER_DIR, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		struct json_object *c =
			strchr(names[i]->d_name, ':') ? vpb_json_counters(names[i]->d_name) : NULL;

		if (c)
			json_object_array_add(arr, c);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	return arr;
}

struct json_object *vpb_json_policies(void)
{
	struct json_object *arr = json_object_new_array();
	char line[256], name[64], match[64], state[64];
	FILE *f = fopen(DRIVER_DIR "/policies", "r");

	while (f && fgets(line, sizeof(line), f)) {
		struct json_object *p;

		if (sscanf(line, "%63s %63s %63s", name, match, state) != 3)
			continue;
		p = json_object_new_object();
		json_object_object_add(p, "name", json_object_new_string(name));
		json_object_object_add(p, "match", json_object_new_string(match));
		json_object_object_add(p, "state", json_object_new_string(state));
		json_object_array_add(arr, p);
	}
	if (f)
		fclose(f);
	return arr;
}
