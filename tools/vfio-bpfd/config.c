// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "params.h"

struct parse_ctx {
	FILE *f;
	int line; /* of what inih handles now: our reader counts */
	struct bpfd_entry *e;
	char *err;
	size_t errlen;
	bool failed;
};

static char *count_lines(char *str, int num, void *stream)
{
	struct parse_ctx *c = stream;
	char *line = fgets(str, num, c->f);

	if (line && strchr(line, '\n'))
		c->line++;
	return line;
}

/* Keeps the first error only: inih goes on after a refused key. */
static int refuse(struct parse_ctx *c, const char *key, const char *fmt, const char *value)
{
	size_t n;

	if (c->failed)
		return 0;
	c->failed = true;
	n = snprintf(c->err, c->errlen, "%s:%d: %s: ", c->e->file, c->line, key);
	if (n < c->errlen)
		snprintf(c->err + n, c->errlen - n, fmt, value);
	return 0;
}

static bool name_ok(const char *name)
{
	size_t i;

	/* No '.': the name is a bpffs pin's, and bpffs refuses dots. */
	for (i = 0; name[i]; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_-", name[i]))
			return false;
	return i > 0 && i < BPFD_NAME_LEN;
}

static int parse_bool(const char *text, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(text, yes[i]))
			return *out = true, 0;
		if (!strcasecmp(text, no[i]))
			return *out = false, 0;
	}
	return -1;
}

static int parse_id(const char *text, unsigned int *out)
{
	int64_t v;

	if (vpb_parse_number(text, &v) || v < 0 || v > 0xffff)
		return -1;
	*out = v;
	return 0;
}

static int policy_key(struct parse_ctx *c, const char *key, const char *value)
{
	struct bpfd_entry *e = c->e;
	int64_t v;

	if (!strcmp(key, "object")) {
		if (strlen(value) >= sizeof(e->object))
			return refuse(c, key, "path too long", NULL);
		strcpy(e->object, value);
		e->object_line = c->line;
	} else if (!strcmp(key, "name")) {
		if (!name_ok(value))
			return refuse(c, key, "'%s': 1 to 31 letters, digits, '_' or '-'", value);
		strcpy(e->name, value);
	} else if (!strcmp(key, "target") || !strcmp(key, "vfs_of")) {
		bool target = !strcmp(key, "target");

		if (vpb_parse_bdf(value, target ? &e->target : &e->vfs_of))
			return refuse(c, key, "'%s' is no PCI address (DDDD:BB:DD.F)", value);
		*(target ? &e->has_target : &e->has_vfs_of) = true;
	} else if (!strcmp(key, "vendor") || !strcmp(key, "device")) {
		bool vendor = !strcmp(key, "vendor");

		if (parse_id(value, vendor ? &e->vendor : &e->device))
			return refuse(c, key, "'%s' is no PCI ID (0 to 0xffff)", value);
		*(vendor ? &e->has_vendor : &e->has_device) = true;
	} else if (!strcmp(key, "class")) {
		if (vpb_parse_class(value, &e->class_code, &e->class_mask))
			return refuse(
				c, key,
				"'%s': CODE[/MASK] expected, 24 bits, no CODE bit outside MASK",
				value);
		e->has_class = true;
	} else if (!strcmp(key, "priority")) {
		if (vpb_parse_number(value, &v) || v < INT32_MIN || v > INT32_MAX)
			return refuse(c, key, "'%s' is no 32-bit integer", value);
		e->priority = v;
		e->has_priority = true;
	} else if (!strcmp(key, "migration")) {
		if (parse_bool(value, &e->migration))
			return refuse(c, key, "'%s': yes or no expected", value);
		e->has_migration = true;
	} else {
		return refuse(c, key, "unknown key in [policy]%s", "");
	}
	return 1;
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
	struct parse_ctx *c = user;
	struct bpfd_entry *e = c->e;

	if (!strcmp(section, "policy"))
		return policy_key(c, key, value);
	if (strcmp(section, "parameters"))
		return refuse(c, key, "unknown section [%s]", section);
	if (e->nr_params >= VPB_MAX_PARAMS)
		return refuse(c, key, "more than %s parameters", "16");
	if ((size_t)snprintf(e->params[e->nr_params], BPFD_VALUE_LEN, "%s=%s", key, value) >=
	    BPFD_VALUE_LEN)
		return refuse(c, key, "value too long", NULL);
	e->param_lines[e->nr_params++] = c->line;
	return 1;
}

/* The default name: the file's, without .conf. */
static void default_name(struct bpfd_entry *e, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t len = strlen(base) - strlen(".conf");

	snprintf(e->name, sizeof(e->name), "%.*s", (int)len, base);
}

int bpfd_parse_file(const char *path, struct bpfd_entry *entry, char *err, size_t errlen)
{
	struct parse_ctx c = { .e = entry, .err = err, .errlen = errlen };
	int ret;

	memset(entry, 0, sizeof(*entry));
	snprintf(entry->file, sizeof(entry->file), "%s", path);
	c.f = fopen(path, "r");
	if (!c.f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	ret = ini_parse_stream(count_lines, &c, on_key, &c);
	fclose(c.f);
	if (ret > 0 && !c.failed) {
		/* inih's own refusal: a line that is no "key = value" or [section]. */
		snprintf(err, errlen, "%s:%d: syntax error (want [section] or key = value)", path,
			 ret);
		return -1;
	}
	if (c.failed)
		return -1;
	if (!entry->name[0])
		default_name(entry, path);
	if (!name_ok(entry->name)) {
		snprintf(err, errlen, "%s: name: '%s' (from the file name) is no policy name", path,
			 entry->name);
		return -1;
	}
	if (!entry->object[0]) {
		snprintf(err, errlen, "%s: object: missing in [policy]", path);
		return -1;
	}
	if (access(entry->object, R_OK)) {
		snprintf(err, errlen, "%s:%d: object: %s: %s", path, entry->object_line,
			 entry->object, strerror(errno));
		return -1;
	}
	if (entry->has_target &&
	    (entry->has_vendor || entry->has_device || entry->has_vfs_of || entry->has_class)) {
		snprintf(err, errlen,
			 "%s: target: a target excludes vendor, device, vfs_of and class", path);
		return -1;
	}
	return 0;
}

static int is_conf(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 5 && !strcmp(d->d_name + len - 5, ".conf");
}

static void add_error(struct bpfd_config *cfg, const char *text)
{
	char **more = realloc(cfg->errors, (cfg->nr_errors + 1) * sizeof(*more));

	if (!more)
		return;
	cfg->errors = more;
	cfg->errors[cfg->nr_errors] = strdup(text);
	if (cfg->errors[cfg->nr_errors])
		cfg->nr_errors++;
}

/* Another parsed entry of @e's name, or NULL. */
static const struct bpfd_entry *namesake(const struct bpfd_entry *entries, int n,
					 const struct bpfd_entry *e)
{
	for (int i = 0; i < n; i++)
		if (&entries[i] != e && !strcmp(entries[i].name, e->name))
			return &entries[i];
	return NULL;
}

/* Two files naming one entry are both refused: neither is obviously meant. */
static void refuse_namesakes(struct bpfd_config *cfg, struct bpfd_entry *parsed, int n)
{
	char err[3 * BPFD_PATH_LEN];

	for (int i = 0; i < n; i++) {
		const struct bpfd_entry *other = namesake(parsed, n, &parsed[i]);

		if (!other) {
			cfg->entries[cfg->nr_entries++] = parsed[i];
			continue;
		}
		snprintf(err, sizeof(err), "%s: name: '%s' is also the name of %s's entry",
			 parsed[i].file, parsed[i].name, other->file);
		add_error(cfg, err);
	}
}

int bpfd_read_config(const char *dir, struct bpfd_config *cfg)
{
	char path[BPFD_PATH_LEN], err[3 * BPFD_PATH_LEN];
	struct bpfd_entry *parsed;
	struct dirent **names;
	int n, nr_parsed = 0;

	memset(cfg, 0, sizeof(*cfg));
	n = scandir(dir, &names, is_conf, alphasort);
	if (n < 0)
		return -errno;
	parsed = calloc(n ? n : 1, sizeof(*parsed));
	cfg->entries = calloc(n ? n : 1, sizeof(*cfg->entries));
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		free(names[i]);
		if (!parsed || !cfg->entries)
			continue;
		if (bpfd_parse_file(path, &parsed[nr_parsed], err, sizeof(err)))
			add_error(cfg, err);
		else
			nr_parsed++;
	}
	free(names);
	if (parsed && cfg->entries)
		refuse_namesakes(cfg, parsed, nr_parsed);
	free(parsed);
	return cfg->entries ? 0 : -ENOMEM;
}

void bpfd_free_config(struct bpfd_config *cfg)
{
	for (int i = 0; i < cfg->nr_errors; i++)
		free(cfg->errors[i]);
	free(cfg->errors);
	free(cfg->entries);
	memset(cfg, 0, sizeof(*cfg));
}

void bpfd_entry_opts(const struct bpfd_entry *e, struct vpb_policy_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->object = e->object;
	o->name = e->name;
	o->has_target = e->has_target;
	o->target = e->target;
	o->has_vendor = e->has_vendor;
	o->vendor = e->vendor;
	o->has_device = e->has_device;
	o->device = e->device;
	o->has_vfs_of = e->has_vfs_of;
	o->vfs_of = e->vfs_of;
	o->has_class = e->has_class;
	o->class_code = e->class_code;
	o->class_mask = e->class_mask;
	o->has_priority = e->has_priority;
	o->priority = e->priority;
	for (int i = 0; i < e->nr_params; i++)
		o->params[i] = e->params[i];
	o->nr_params = e->nr_params;
}

void bpfd_entry_match(const struct bpfd_entry *e, char *buf, size_t len)
{
	char bdf[32];
	size_t n;

	if (e->has_target) {
		vpb_format_bdf(e->target, bdf, sizeof(bdf));
		snprintf(buf, len, "target=%s", bdf);
		return;
	}
	n = snprintf(buf, len, "vendor=%s%04x,device=%s%04x",
		     e->has_vendor ? "" : "object:", e->vendor,
		     e->has_device ? "" : "object:", e->device);
	if (e->has_vfs_of && n < len) {
		vpb_format_bdf(e->vfs_of, bdf, sizeof(bdf));
		n += snprintf(buf + n, len - n, ",vfs_of=%s", bdf);
	}
	if (e->has_class && n < len)
		snprintf(buf + n, len - n, ",class=%06x/%06x", e->class_code, e->class_mask);
}
