// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "request.h"

/* Letters, digits and '_': a key the INI parser reads back as written. */
static bool word(const char *key)
{
	size_t i;

	for (i = 0; key[i]; i++)
		if (!isalnum((unsigned char)key[i]) && key[i] != '_')
			return false;
	return i > 0 && i < 64;
}

/*
 * A value the INI parser reads back as written: one line, no " ;" that
 * would start a comment, no spaces it would trim.
 */
static const char *unkeepable(const char *value)
{
	size_t len = strlen(value);

	for (size_t i = 0; i < len; i++)
		if (iscntrl((unsigned char)value[i]))
			return "a control character (a line break?)";
	if (strchr(value, ';'))
		return "a ';'";
	if (len && (isspace((unsigned char)value[0]) || isspace((unsigned char)value[len - 1])))
		return "leading or trailing spaces";
	return NULL;
}

/* "KEY = VALUE\n" into @out, or false with @why set. */
static bool add_line(FILE *out, const char *key, struct json_object *v, char *why, size_t whylen)
{
	const char *bad;

	if (!word(key)) {
		snprintf(why, whylen, "attach: '%.64s': a key is a word (letters, digits, '_')",
			 key);
		return false;
	}
	if (!json_object_is_type(v, json_type_string) && !json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_boolean)) {
		snprintf(why, whylen, "attach: %s: a string, an integer or a boolean expected",
			 key);
		return false;
	}
	bad = unkeepable(json_object_get_string(v));
	if (bad) {
		snprintf(why, whylen, "attach: %s: the value has %s", key, bad);
		return false;
	}
	fprintf(out, "%s = %s\n", key, json_object_get_string(v));
	return true;
}

char *bpfd_request_text(struct json_object *req, char *why, size_t whylen)
{
	struct json_object *params = NULL;
	char *text = NULL;
	size_t len;
	bool ok = true;
	FILE *out = open_memstream(&text, &len);

	if (!out) {
		snprintf(why, whylen, "attach: out of memory");
		return NULL;
	}
	fprintf(out, "# vfio-bpfd: a runtime entry, attached through the control socket\n"
		     "[policy]\n");
	json_object_object_foreach(req, key, val)
	{
		if (!ok || !strcmp(key, "command"))
			continue;
		if (!strcmp(key, "parameters"))
			params = val;
		else
			ok = add_line(out, key, val, why, whylen);
	}
	if (ok && params && !json_object_is_type(params, json_type_object)) {
		snprintf(why, whylen,
			 "attach: parameters: an object expected, as "
			 "{\"trap_len\": \"0x100\"}");
		ok = false;
	}
	if (ok && params) {
		fprintf(out, "[parameters]\n");
		json_object_object_foreach(params, name, value)
		{
			if (ok)
				ok = add_line(out, name, value, why, whylen);
		}
	}
	fclose(out);
	if (!ok) {
		free(text);
		return NULL;
	}
	return text;
}
