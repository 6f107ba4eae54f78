/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio-bpfd's configuration: a directory of *.conf files, one policy entry
 * each, in INI syntax (parsed by libinih):
 *
 *   [policy]
 *   object = /usr/local/lib/vfio-pci-bpf/trace.bpf.o
 *   name = trace_vfs              (default: the file's name without .conf)
 *   target = 0000:03:00.0         (or vendor = and/or device =; neither:
 *   vendor = 0x8086                the object's own match; with vfs_of =,
 *   device = 0x10ca                only the VFs of that PF; with class =
 *   class = 0x020000/0xffff00      CODE[/MASK], only devices of that class)
 *   priority = 10
 *   migration = yes               (must match the object's flag; optional)
 *   [parameters]
 *   trap_len = 0x100              (.rodata globals, as vfio-bpfctl --set)
 */
#ifndef BPFD_CONFIG_H
#define BPFD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

#define BPFD_NAME_LEN 32
#define BPFD_PATH_LEN 512
#define BPFD_VALUE_LEN 256

struct bpfd_entry {
	char file[BPFD_PATH_LEN]; /* where it was read, for messages */
	char name[BPFD_NAME_LEN];
	char object[BPFD_PATH_LEN];
	bool has_target, has_vendor, has_device, has_priority, has_migration, has_vfs_of;
	bool has_class;
	unsigned int target, vfs_of, class_code, class_mask;
	unsigned int vendor, device;
	int priority;
	bool migration;
	int nr_params;
	char params[VPB_MAX_PARAMS][BPFD_VALUE_LEN]; /* "name=value" */
	int param_lines[VPB_MAX_PARAMS];
	int object_line;
	bool runtime; /* attached through the control socket, not read from the config */
};

/* A config directory as read: good entries, and the files refused. */
struct bpfd_config {
	struct bpfd_entry *entries;
	int nr_entries;
	char **errors; /* "FILE:LINE: KEY: why", one per refused file */
	int nr_errors;
};

/*
 * Parses one file; on error returns -1 and leaves "FILE:LINE: KEY: why" in
 * @err.
 */
int bpfd_parse_file(const char *path, struct bpfd_entry *entry, char *err, size_t errlen);
/* An entry name: 1 to 31 letters, digits, '_' or '-' (a bpffs pin's and a file's). */
bool bpfd_name_ok(const char *name);

/*
 * Parses @text as a file's contents, by the same rules, except that it
 * must name the entry; errors are "LABEL: KEY: why" (no lines: the text is
 * made from a request, see request.h).
 */
int bpfd_parse_text(const char *text, const char *label, struct bpfd_entry *entry, char *err,
		    size_t errlen);

/*
 * Reads every *.conf of @dir in name order, then those of @runtime_dir
 * (the entries attached at run time, see runtime.h; NULL for none), which
 * are marked runtime.  A file that does not parse is refused on its own;
 * two files that name one entry are both refused.  Returns -errno only
 * when @dir cannot be read.
 */
int bpfd_read_config(const char *dir, const char *runtime_dir, struct bpfd_config *cfg);
void bpfd_free_config(struct bpfd_config *cfg);

struct dirent;
/* A scandir() filter: the *.conf files, but hidden ones. */
int bpfd_is_conf(const struct dirent *d);

/* The loader's options for @entry (pointers into @entry). */
void bpfd_entry_opts(const struct bpfd_entry *entry, struct vpb_policy_opts *opts);

/* A text that differs whenever the entry's match differs. */
void bpfd_entry_match(const struct bpfd_entry *entry, char *buf, size_t len);

#endif
