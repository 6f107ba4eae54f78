// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "params.h"
#include "pins.h"
#include "policy.h"
#include "reconcile.h"
#include "vfio_pci_bpf.h"

/*
 * Where a loader error points: a config file's parameter line or object
 * line; a runtime entry's file is the daemon's own, so its name instead.
 */
static void explain_load_error(const struct bpfd_entry *e, const char *what, const char *why,
			       char *err, size_t errlen)
{
	const char *quote = strncmp(why, "parameter '", 11) ? NULL : why + 11;
	int line = e->object_line;
	const char *key = "object";

	for (int i = 0; quote && i < e->nr_params; i++) {
		size_t len = strcspn(e->params[i], "=");

		if (!strncmp(quote, e->params[i], len) && quote[len] == '\'') {
			line = e->param_lines[i];
			key = "parameters";
		}
	}
	if (e->runtime)
		snprintf(err, errlen, "runtime entry %s: %s: %s %s: %s", e->name, key, what,
			 e->name, why);
	else
		snprintf(err, errlen, "%s:%d: %s: %s %s: %s", e->file, line, key, what, e->name,
			 why);
}

static int load(const struct bpfd_entry *e, const struct bpfd_object *obj, struct vpb_loaded *p,
		const char *what, char *err, size_t errlen)
{
	struct vpb_policy_opts opts;
	char why[1024];

	bpfd_entry_opts(e, &opts);
	opts.object_data = obj->data;
	opts.object_size = obj->size;
	if (vpb_policy_load(&opts, p, why, sizeof(why))) {
		explain_load_error(e, what, why, err, errlen);
		return -1;
	}
	if (e->has_migration &&
	    !!(vpb_policy_flags(p) & VFIO_PCI_BPF_F_MIGRATION) != e->migration) {
		snprintf(err, errlen, "%s: migration: the object %s migration",
			 e->runtime ? e->name : e->file, e->migration ? "does not own" : "owns");
		vpb_policy_close(p);
		return -1;
	}
	return 0;
}

/* The record's file and digest; its match is the loaded policy's (loaded_match). */
static void record_for(const struct bpfd_entry *e, const struct bpfd_object *obj,
		       struct bpfd_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->file, sizeof(rec->file), "%s", e->file);
	bpfd_entry_digest(e, obj, rec->digest);
}

/*
 * The devices a loaded policy will match, as the kernel will see them: the
 * entry's settings, or where it has none the object's own.  A swap must
 * keep these, so an object whose built-in IDs changed is replaced instead.
 */
static void loaded_match(const struct vpb_loaded *p, char *buf, size_t len)
{
	size_t size, n;
	const struct vfio_pci_bpf_ops *ops = bpf_map__initial_value(p->ops, &size);
	char bdf[32];

	if (!ops || size < sizeof(*ops)) {
		snprintf(buf, len, "unknown");
		return;
	}
	if (ops->target) {
		vpb_format_bdf(ops->target, bdf, sizeof(bdf));
		snprintf(buf, len, "target=%s", bdf);
		return;
	}
	n = snprintf(buf, len, "vendor=%04x,device=%04x", ops->vendor, ops->device);
	if (ops->vfs_of && n < len) {
		vpb_format_bdf(ops->vfs_of, bdf, sizeof(bdf));
		n += snprintf(buf + n, len - n, ",vfs_of=%s", bdf);
	}
	if (ops->class_mask && n < len)
		snprintf(buf + n, len - n, ",class=%06x/%06x", ops->class_code, ops->class_mask);
}

/* Registers the loaded @p and pins it with @rec; on failure nothing is left of it. */
static int attach_loaded(const struct bpfd_paths *paths, const struct bpfd_entry *e,
			 struct vpb_loaded *p, const struct bpfd_record *rec, char *err,
			 size_t errlen)
{
	char why[1024];
	int ret = vpb_policy_attach(p, why, sizeof(why));

	if (ret) {
		snprintf(err, errlen, "%s: cannot attach %s: %s", e->file, e->name, why);
		return ret;
	}
	ret = bpfd_pin_link(paths, e->name, bpf_link__fd(p->link), rec);
	if (ret) {
		/* Unregistered at once: the old version may have to take the name back. */
		bpf_link_detach(bpf_link__fd(p->link));
		bpf_link__destroy(p->link);
		p->link = NULL;
		bpfd_record_remove(paths, e->name);
		snprintf(err, errlen, "%s: cannot pin %s in %s: %s", e->file, e->name,
			 paths->pin_dir, strerror(-ret));
	}
	return ret;
}

static int swap(const struct bpfd_paths *paths, const struct bpfd_entry *e, struct vpb_loaded *p,
		const struct bpfd_record *rec, char *err, size_t errlen)
{
	char pin[BPFD_PATH_LEN + 64], why[1024];
	int ret;

	bpfd_pin_path(paths, e->name, 0, pin, sizeof(pin));
	ret = vpb_policy_swap(pin, p, why, sizeof(why));
	if (ret) {
		snprintf(err, errlen, "%s: cannot swap %s: %s", e->file, e->name, why);
		return ret;
	}
	return bpfd_record_write(paths, e->name, rec);
}

/*
 * A new version whose match differs can be neither swapped in (a link keeps
 * its devices) nor registered beside the old one (one policy per name).  It
 * is loaded and checked before anything changes (@p); only then is the old
 * link detached and the new one registered, and if the kernel refuses it,
 * the old version is registered again from its own map, with its record.
 */
static int replace(const struct bpfd_paths *paths, const struct bpfd_entry *e, struct vpb_loaded *p,
		   const struct bpfd_record *want, const struct bpfd_record *have, char *err,
		   size_t errlen)
{
	char pin[BPFD_PATH_LEN + 64];
	int link_fd, map_fd, ret, fd;
	size_t n;

	bpfd_pin_path(paths, e->name, 0, pin, sizeof(pin));
	map_fd = bpfd_linked_map(pin, &link_fd);
	if (map_fd < 0 || bpf_link_detach(link_fd)) {
		snprintf(err, errlen, "%s: cannot detach the old version of %s at %s: %s", e->file,
			 e->name, pin, strerror(errno));
		ret = -1;
		goto out;
	}
	ret = attach_loaded(paths, e, p, want, err, errlen);
	if (!ret)
		goto out;
	n = strlen(err);
	fd = bpf_link_create(map_fd, 0, BPF_STRUCT_OPS, NULL);
	if (fd >= 0 && !bpfd_pin_link(paths, e->name, fd, have)) {
		snprintf(err + n, errlen - n, "; the old version runs again");
	} else {
		snprintf(err + n, errlen - n, "; the old version cannot run again (%s): detached",
			 strerror(errno));
		bpfd_detach_entry(paths, e->name);
	}
	if (fd >= 0)
		close(fd);
out:
	if (map_fd >= 0)
		close(map_fd);
	if (link_fd >= 0)
		close(link_fd);
	return ret;
}

/*
 * The entry's pinned state: 1 pinned (its record in @have), 0 not, -1
 * neither can be told nor touched (logged).
 */
static int observed(const struct bpfd_paths *paths, const struct bpfd_entry *e,
		    struct bpfd_record *have)
{
	char pin[BPFD_PATH_LEN + 64];
	struct stat st;
	int why;

	bpfd_pin_path(paths, e->name, 0, pin, sizeof(pin));
	if (lstat(pin, &st)) {
		why = errno;
		if (why != ENOENT)
			bpfd_err("%s: %s: %s; left as it is", e->name, pin, strerror(why));
		return why == ENOENT ? 0 : -1;
	}
	why = bpfd_record_read(paths, e->name, have);
	if (why == -ENOENT)
		bpfd_err("%s: %s exists and vfio-bpfd did not pin it; leaving it alone", e->file,
			 pin);
	else if (why)
		bpfd_err("%s: cannot read its record (%s); left as it is", e->name, strerror(-why));
	if (why)
		return -1;
	switch (bpfd_link_state(pin, &why)) {
	case BPFD_LINK_ALIVE:
		return 1;
	case BPFD_LINK_GONE:
		/* Registered again, it waits for its device (or attaches now). */
		bpfd_info("%s: its link was detached by the kernel (device unbound)", e->name);
		bpfd_detach_entry(paths, e->name);
		return 0;
	default:
		bpfd_err("%s: cannot tell whether the link pinned at %s is attached (%s); left "
			 "as it is",
			 e->name, pin, strerror(why));
		return -1;
	}
}

static void one_entry(const struct bpfd_paths *paths, const struct bpfd_entry *e,
		      const struct bpfd_object *obj, struct bpfd_summary *sum)
{
	struct bpfd_record want, have;
	struct vpb_loaded p;
	char err[2048];
	int pinned = observed(paths, e, &have), ret;
	bool same_match;

	if (pinned < 0) {
		sum->failed++;
		return;
	}
	record_for(e, obj, &want);
	if (pinned && !strcmp(have.digest, want.digest)) {
		/* A renamed file: a later refusal of it must keep the entry, as of any file. */
		if (strcmp(have.file, want.file)) {
			snprintf(have.file, sizeof(have.file), "%s", want.file);
			bpfd_record_write(paths, e->name, &have);
		}
		sum->unchanged++;
		return;
	}
	/* Whatever happens next, the new version is proven first: the old keeps running. */
	if (load(e, obj, &p, pinned ? "cannot load the new version of" : "cannot load", err,
		 sizeof(err))) {
		bpfd_err("%s", err);
		sum->failed++;
		return;
	}
	loaded_match(&p, want.match, sizeof(want.match));
	same_match = pinned && !strcmp(have.match, want.match);
	if (same_match)
		ret = swap(paths, e, &p, &want, err, sizeof(err));
	else if (pinned)
		ret = replace(paths, e, &p, &want, &have, err, sizeof(err));
	else
		ret = attach_loaded(paths, e, &p, &want, err, sizeof(err));
	vpb_policy_close(&p);
	if (ret) {
		bpfd_err("%s", err);
		sum->failed++;
		return;
	}
	/* Its match changed: the devices it leaves and joins saw a detach and an attach. */
	if (same_match)
		sum->swapped++, bpfd_info("swapped %s (%s)", e->name, e->object);
	else if (pinned)
		sum->replaced++, bpfd_info("replaced %s (%s, %s)", e->name, e->object, want.match);
	else
		sum->attached++, bpfd_info("attached %s (%s, %s)", e->name, e->object, want.match);
}

static bool desired(const struct bpfd_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->nr_entries; i++)
		if (!strcmp(cfg->entries[i].name, name))
			return true;
	return false;
}

/* Whether the record's file was refused this time: its entry stays as it was. */
static bool file_refused(const struct bpfd_config *cfg, const struct bpfd_record *rec)
{
	size_t len = strlen(rec->file);

	for (int i = 0; i < cfg->nr_errors; i++)
		if (!strncmp(cfg->errors[i], rec->file, len) && cfg->errors[i][len] == ':')
			return true;
	return false;
}

/* Pins that are not (or no longer) wanted, and a crash's leftovers. */
static void sweep(const struct bpfd_paths *paths, const struct bpfd_config *cfg,
		  struct bpfd_summary *sum)
{
	struct bpfd_record rec;
	struct dirent *d;
	char path[BPFD_PATH_LEN + 300];
	DIR *dir = opendir(paths->pin_dir);

	while (dir && (d = readdir(dir))) {
		if (!strncmp(d->d_name, BPFD_FRESH_PREFIX, strlen(BPFD_FRESH_PREFIX))) {
			snprintf(path, sizeof(path), "%s/%s", paths->pin_dir, d->d_name);
			unlink(path);
			bpfd_warn("removed %s, left by an attach that did not finish", path);
			continue;
		}
		/* Not vfio-bpfd's without a record: never touched. */
		if (d->d_name[0] == '.' || desired(cfg, d->d_name) ||
		    bpfd_record_read(paths, d->d_name, &rec))
			continue;
		if (file_refused(cfg, &rec)) {
			sum->kept++;
			continue;
		}
		bpfd_detach_entry(paths, d->d_name);
		sum->detached++;
		bpfd_info("detached %s (no longer in the config)", d->d_name);
	}
	if (dir)
		closedir(dir);
}

int bpfd_attach_entry(const struct bpfd_paths *paths, const struct bpfd_entry *e,
		      const struct bpfd_object *obj, char *err, size_t errlen)
{
	struct bpfd_record rec;
	struct vpb_loaded p;
	int ret;

	if (load(e, obj, &p, "cannot load", err, errlen))
		return -1;
	record_for(e, obj, &rec);
	loaded_match(&p, rec.match, sizeof(rec.match));
	ret = attach_loaded(paths, e, &p, &rec, err, errlen);
	vpb_policy_close(&p);
	return ret;
}

void bpfd_reconcile(const struct bpfd_paths *paths, const struct bpfd_config *cfg,
		    struct bpfd_summary *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (int i = 0; i < cfg->nr_errors; i++)
		bpfd_err("%s (the file is ignored; what it had attached stays)", cfg->errors[i]);
	sweep(paths, cfg, sum);
	for (int i = 0; i < cfg->nr_entries; i++) {
		const struct bpfd_entry *e = &cfg->entries[i];
		struct bpfd_object obj;
		char why[BPFD_PATH_LEN + 64];

		/* Read once: the digest and the load are of these bytes. */
		if (bpfd_object_read(e->object, &obj, why, sizeof(why))) {
			bpfd_err("%s: object: %s", e->runtime ? e->name : e->file, why);
			sum->failed++;
			continue;
		}
		one_entry(paths, e, &obj, sum);
		bpfd_object_free(&obj);
	}
}
