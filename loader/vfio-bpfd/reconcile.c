// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
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

static void record_for(const struct bpfd_entry *e, const struct bpfd_object *obj,
		       struct bpfd_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	bpfd_entry_match(e, rec->match, sizeof(rec->match));
	snprintf(rec->file, sizeof(rec->file), "%s", e->file);
	bpfd_entry_digest(e, obj, rec->digest);
}

/* Attach, pin as +new-NAME, write the record, then take the real name. */
static int attach(const struct bpfd_paths *paths, const struct bpfd_entry *e,
		  const struct bpfd_object *obj, const struct bpfd_record *rec, char *err,
		  size_t errlen)
{
	char fresh[BPFD_PATH_LEN + 64], pin[BPFD_PATH_LEN + 64], why[1024];
	struct vpb_loaded p;
	int ret;

	if (load(e, obj, &p, "cannot load", err, errlen))
		return -1;
	ret = vpb_policy_attach(&p, why, sizeof(why));
	if (ret) {
		snprintf(err, errlen, "%s: cannot attach %s: %s", e->file, e->name, why);
		vpb_policy_close(&p);
		return ret;
	}
	bpfd_pin_path(paths, e->name, 1, fresh, sizeof(fresh));
	bpfd_pin_path(paths, e->name, 0, pin, sizeof(pin));
	ret = bpf_link__pin(p.link, fresh);
	if (!ret)
		ret = bpfd_record_write(paths, e->name, rec);
	if (!ret && rename(fresh, pin))
		ret = -errno;
	vpb_policy_close(&p);
	if (ret) {
		unlink(fresh);
		bpfd_record_remove(paths, e->name);
		snprintf(err, errlen, "%s: cannot pin %s at %s: %s", e->file, e->name, pin,
			 strerror(-ret));
	}
	return ret;
}

static int swap(const struct bpfd_paths *paths, const struct bpfd_entry *e,
		const struct bpfd_object *obj, const struct bpfd_record *rec, char *err,
		size_t errlen)
{
	char pin[BPFD_PATH_LEN + 64], why[1024];
	struct vpb_loaded p;
	int ret;

	if (load(e, obj, &p, "cannot load the new version of", err, errlen))
		return -1;
	bpfd_pin_path(paths, e->name, 0, pin, sizeof(pin));
	ret = vpb_policy_swap(pin, &p, why, sizeof(why));
	vpb_policy_close(&p);
	if (ret) {
		snprintf(err, errlen, "%s: cannot swap %s: %s", e->file, e->name, why);
		return ret;
	}
	return bpfd_record_write(paths, e->name, rec);
}

/*
 * Whether the pinned link still holds its policy: the kernel detaches the
 * link of a target policy whose device unbinds, and the pin stays.
 */
static bool link_alive(const char *pin)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(pin);
	bool alive;

	if (fd < 0)
		return false;
	alive = !bpf_link_get_info_by_fd(fd, &info, &len) && info.struct_ops.map_id;
	close(fd);
	return alive;
}

void bpfd_detach_entry(const struct bpfd_paths *paths, const char *name)
{
	char pin[BPFD_PATH_LEN + 64];

	bpfd_pin_path(paths, name, 0, pin, sizeof(pin));
	unlink(pin);
	bpfd_record_remove(paths, name);
}

static void one_entry(const struct bpfd_paths *paths, const struct bpfd_entry *e,
		      const struct bpfd_object *obj, struct bpfd_summary *sum)
{
	struct bpfd_record want, have;
	char pin[BPFD_PATH_LEN + 64], err[2048];
	bool pinned;

	record_for(e, obj, &want);
	bpfd_pin_path(paths, e->name, 0, pin, sizeof(pin));
	pinned = !access(pin, F_OK);
	if (pinned && bpfd_record_read(paths, e->name, &have)) {
		bpfd_err("%s: %s exists and vfio-bpfd did not pin it; leaving it alone", e->file,
			 pin);
		sum->failed++;
		return;
	}
	if (pinned && !link_alive(pin)) {
		/* Registered again, it waits for its device (or attaches now). */
		bpfd_info("%s: its link was detached by the kernel (device unbound)", e->name);
		bpfd_detach_entry(paths, e->name);
		pinned = false;
	}
	if (pinned) {
		if (!strcmp(have.digest, want.digest)) {
			sum->unchanged++;
			return;
		}
		if (!strcmp(have.match, want.match)) {
			if (swap(paths, e, obj, &want, err, sizeof(err)))
				sum->failed++, bpfd_err("%s", err);
			else
				sum->swapped++, bpfd_info("swapped %s (%s)", e->name, e->object);
			return;
		}
	}
	/* Its match changed: the devices it leaves and joins see a detach and an attach. */
	if (pinned)
		bpfd_detach_entry(paths, e->name);
	if (attach(paths, e, obj, &want, err, sizeof(err))) {
		bpfd_err("%s", err);
		sum->failed++;
		return;
	}
	if (pinned)
		sum->replaced++;
	else
		sum->attached++;
	bpfd_info("%s %s (%s, %s)", pinned ? "replaced" : "attached", e->name, e->object,
		  want.match);
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

	record_for(e, obj, &rec);
	return attach(paths, e, obj, &rec, err, errlen);
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
