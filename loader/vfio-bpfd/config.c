// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "object.h"
#include "params.h"

/* The [policy] keys, each allowed once. */
static const char *const policy_keys[] = {
	"object", "name", "target", "vfs_of", "vendor", "device", "class", "priority", "migration",
};
#define NR_POLICY_KEYS (sizeof(policy_keys) / sizeof(policy_keys[0]))

struct parse_ctx {
	FILE *f;
	char *raw; /* the line read last, whole, whatever its length */
	size_t raw_size;
	int line;		       /* of what inih handles now: our reader counts */
	bool numbered;		       /* a file's errors name the line; a request's have none */
	int key_lines[NR_POLICY_KEYS]; /* where each [policy] key was, 0: not yet */
	struct bpfd_entry *e;
	char *err;
	size_t errlen;
	bool failed;
};

/*
 * "FILE:LINE: KEY: why" (or "FILE: KEY: why" without a line, "FILE:LINE:
 * why" without a key); the first error only.
 */
__attribute__((format(printf, 4, 5))) static int fail_at(struct parse_ctx *c, int line,
							 const char *key, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (c->failed)
		return 0;
	c->failed = true;
	n = snprintf(c->err, c->errlen, "%s", c->e->file);
	if (c->numbered && line > 0 && n < c->errlen)
		n += snprintf(c->err + n, c->errlen - n, ":%d", line);
	if (key && n < c->errlen)
		n += snprintf(c->err + n, c->errlen - n, ": %s", key);
	if (n + 2 < c->errlen) {
		strcpy(c->err + n, ": ");
		va_start(ap, fmt);
		vsnprintf(c->err + n + 2, c->errlen - n - 2, fmt, ap);
		va_end(ap);
	}
	return 0;
}

/*
 * inih's reader.  libinih reads into a buffer of @num bytes (200 in
 * Debian's) and hands the rest of a longer line over as a line of its
 * own; and it takes an indented line as the continuation of the value
 * before.  Both would silently change what an entry says, so a line is
 * read whole here and refused for either; comments and blank lines, which
 * say nothing, may be as long as they like.
 */
static char *read_line(char *str, int num, void *stream)
{
	struct parse_ctx *c = stream;
	ssize_t len = c->failed ? -1 : getline(&c->raw, &c->raw_size, c->f);
	const char *text;

	if (len < 0)
		return NULL;
	c->line++;
	text = c->raw + strspn(c->raw, " \t\r\n\v\f");
	if (!*text || *text == '#' || *text == ';')
		return strcpy(str, "\n");
	if (text != c->raw) {
		fail_at(c, c->line, NULL,
			"an indented line: it would continue the value before, and "
			"continuation lines are not supported");
		return NULL;
	}
	/* The newline aside: a last line without one has no more room. */
	if (len - (c->raw[len - 1] == '\n') > num - 2) {
		fail_at(c, c->line, NULL, "line too long (%zd bytes, at most %d)",
			len - (c->raw[len - 1] == '\n'), num - 2);
		return NULL;
	}
	return memcpy(str, c->raw, len + 1);
}

/* A key's refusal: inih goes on after it, but only the first error is kept. */
#define refuse(c, key, ...) fail_at(c, (c)->line, key, __VA_ARGS__)

bool bpfd_name_ok(const char *name)
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

	if (vpb_parse_int(text, 0, 0xffff, &v))
		return -1;
	*out = v;
	return 0;
}

static int policy_key(struct parse_ctx *c, const char *key, const char *value)
{
	struct bpfd_entry *e = c->e;
	int64_t v;
	size_t k;

	for (k = 0; k < NR_POLICY_KEYS && strcmp(key, policy_keys[k]); k++)
		;
	if (k == NR_POLICY_KEYS)
		return refuse(c, key, "unknown key in [policy]");
	if (c->key_lines[k])
		return refuse(c, key, "given twice (each key once; first on line %d)",
			      c->key_lines[k]);
	c->key_lines[k] = c->line;
	if (!strcmp(key, "object")) {
		if (strlen(value) >= sizeof(e->object))
			return refuse(c, key, "path too long");
		strcpy(e->object, value);
		e->object_line = c->line;
	} else if (!strcmp(key, "name")) {
		if (!bpfd_name_ok(value))
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
		if (vpb_parse_int(value, INT32_MIN, INT32_MAX, &v))
			return refuse(c, key, "'%s' is no 32-bit integer", value);
		e->priority = v;
		e->has_priority = true;
	} else if (!strcmp(key, "migration")) {
		if (parse_bool(value, &e->migration))
			return refuse(c, key, "'%s': yes or no expected", value);
		e->has_migration = true;
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
	for (int i = 0; i < e->nr_params; i++)
		if (!strncmp(e->params[i], key, strlen(key)) && e->params[i][strlen(key)] == '=')
			return refuse(c, key, "given twice (each parameter once; first on line %d)",
				      e->param_lines[i]);
	if (e->nr_params >= VPB_MAX_PARAMS)
		return refuse(c, key, "more than %d parameters", VPB_MAX_PARAMS);
	if ((size_t)snprintf(e->params[e->nr_params], BPFD_VALUE_LEN, "%s=%s", key, value) >=
	    BPFD_VALUE_LEN)
		return refuse(c, key, "value too long");
	e->param_lines[e->nr_params++] = c->line;
	return 1;
}

/* Reads @c->f into @c->e, whose file is set. */
static int parse(struct parse_ctx *c)
{
	int ret = ini_parse_stream(read_line, c, on_key, c);

	free(c->raw);
	/* inih's own refusal: a line that is no "key = value" or [section]. */
	if (ret > 0 && !c->failed)
		snprintf(c->err, c->errlen, "%s:%d: syntax error (want [section] or key = value)",
			 c->e->file, ret);
	return ret || c->failed ? -1 : 0;
}

/* What no single key tells: an object that can be one (object.h), a target alone. */
static int check(struct parse_ctx *c)
{
	struct bpfd_entry *e = c->e;
	char why[BPFD_PATH_LEN + 64];

	if (!e->object[0])
		fail_at(c, 0, "object", "missing in [policy]");
	else if (bpfd_object_check(e->object, why, sizeof(why)))
		fail_at(c, e->object_line, "object", "%s", why);
	else if (e->has_target && (e->has_vendor || e->has_device || e->has_vfs_of || e->has_class))
		fail_at(c, 0, "target", "a target excludes vendor, device, vfs_of and class");
	return c->failed ? -1 : 0;
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
	struct parse_ctx c = { .e = entry, .err = err, .errlen = errlen, .numbered = true };
	int ret;

	memset(entry, 0, sizeof(*entry));
	snprintf(entry->file, sizeof(entry->file), "%s", path);
	c.f = fopen(path, "r");
	if (!c.f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	ret = parse(&c);
	fclose(c.f);
	if (ret)
		return ret;
	if (!entry->name[0])
		default_name(entry, path);
	if (!bpfd_name_ok(entry->name))
		return fail_at(&c, 0, "name", "'%s' (from the file name) is no policy name",
			       entry->name),
		       -1;
	return check(&c);
}

int bpfd_parse_text(const char *text, const char *label, struct bpfd_entry *entry, char *err,
		    size_t errlen)
{
	struct parse_ctx c = { .e = entry, .err = err, .errlen = errlen };
	int ret;

	memset(entry, 0, sizeof(*entry));
	snprintf(entry->file, sizeof(entry->file), "%s", label);
	c.f = fmemopen((void *)text, strlen(text), "r");
	if (!c.f) {
		snprintf(err, errlen, "%s: %s", label, strerror(errno));
		return -1;
	}
	ret = parse(&c);
	fclose(c.f);
	if (!ret && !entry->name[0])
		fail_at(&c, 0, "name", "missing: an entry made by a request needs one");
	return ret || c.failed ? -1 : check(&c);
}

int bpfd_is_conf(const struct dirent *d)
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

/* Parses every *.conf of @dir in name order, adding to @parsed; -errno when unreadable. */
static int read_dir(const char *dir, bool runtime, struct bpfd_config *cfg,
		    struct bpfd_entry **parsed, int *nr_parsed)
{
	char path[BPFD_PATH_LEN], err[3 * BPFD_PATH_LEN];
	struct dirent **names;
	struct bpfd_entry *more;
	int n = scandir(dir, &names, bpfd_is_conf, alphasort);

	if (n < 0)
		return -errno;
	more = realloc(*parsed, (*nr_parsed + n + 1) * sizeof(*more));
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		free(names[i]);
		if (!more)
			continue;
		if (bpfd_parse_file(path, &more[*nr_parsed], err, sizeof(err)))
			add_error(cfg, err);
		else
			more[(*nr_parsed)++].runtime = runtime;
	}
	free(names);
	if (!more)
		return -ENOMEM;
	*parsed = more;
	return 0;
}

int bpfd_read_config(const char *dir, const char *runtime_dir, struct bpfd_config *cfg)
{
	struct bpfd_entry *parsed = NULL;
	int ret, nr_parsed = 0;

	memset(cfg, 0, sizeof(*cfg));
	ret = read_dir(dir, false, cfg, &parsed, &nr_parsed);
	/* The daemon's own directory: what it has not written yet is not there. */
	if (!ret && runtime_dir) {
		ret = read_dir(runtime_dir, true, cfg, &parsed, &nr_parsed);
		if (ret == -ENOENT)
			ret = 0;
	}
	cfg->entries = ret ? NULL : calloc(nr_parsed + 1, sizeof(*cfg->entries));
	if (cfg->entries)
		refuse_namesakes(cfg, parsed, nr_parsed);
	free(parsed);
	return ret ? ret : cfg->entries ? 0 : -ENOMEM;
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
