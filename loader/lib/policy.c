// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kmsg.h"
#include "params.h"
#include "policy.h"
#include "vfio_pci_bpf.h"

/* libbpf's messages of the current load, kept to explain a failure. */
static char vpb_libbpf_log[16384];
static size_t vpb_libbpf_len;

static int vpb_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int n;

	if (level == LIBBPF_DEBUG || vpb_libbpf_len >= sizeof(vpb_libbpf_log) - 1)
		return 0;
	n = vsnprintf(vpb_libbpf_log + vpb_libbpf_len, sizeof(vpb_libbpf_log) - vpb_libbpf_len, fmt,
		      ap);
	if (n > 0)
		vpb_libbpf_len += n;
	if (vpb_libbpf_len > sizeof(vpb_libbpf_log) - 1)
		vpb_libbpf_len = sizeof(vpb_libbpf_log) - 1;
	return 0;
}

static void vpb_capture_start(void)
{
	vpb_libbpf_len = 0;
	vpb_libbpf_log[0] = 0;
	libbpf_set_print(vpb_libbpf_print);
}

/* Lines of libbpf's log that say nothing about the cause. */
static bool vpb_log_noise(const char *line, size_t len)
{
	static const char *const noise[] = {
		"-- BEGIN PROG LOAD LOG --",
		"-- END PROG LOAD LOG --",
		"processed ",
		"verification time",
		"stack depth",
		"libbpf: failed to load object",
		"libbpf: failed to load BPF skeleton",
		"cur state:",
		"old state:",
		"func '",
	};
	size_t i;

	/* Source lines the verifier quotes: "; dev->vendor = 0x8086; @ x.c:15" */
	if (len >= 2 && line[0] == ';' && line[1] == ' ')
		return true;
	/* Instruction dumps "12: (85) call ..." and register states "1: R1_w=..." */
	if (!len || (isdigit((unsigned char)line[0]) &&
		     ((strstr(line, ": (") && strstr(line, ": (") < line + len) ||
		      (strstr(line, ": R") && strstr(line, ": R") < line + len))))
		return true;
	for (i = 0; i < sizeof(noise) / sizeof(noise[0]); i++)
		if (strstr(line, noise[i]) && strstr(line, noise[i]) < line + len)
			return true;
	return false;
}

/*
 * Lines newer verifiers (7.x) add after the cause: their own summary of a
 * write the struct_ops type refused with a message of its own ("R1 cannot
 * write into ptr_..."), and a block of diagnostics ("Verification failed:
 * ...", then sections such as "Reason:" or "Causal path:" of indented
 * lines), which vpb_explain() stops at.
 */
static bool vpb_log_follow_up(const char *line, size_t len)
{
	const char *w = strstr(line, " cannot write into ptr_");
	size_t i;

	if ((len && isspace((unsigned char)line[0])) || (w && w < line + len))
		return true;
	for (i = 0; i < len && (isalpha((unsigned char)line[i]) || line[i] == ' '); i++)
		;
	return i && i + 1 == len && line[i] == ':';
}

/*
 * Name the failing program and the verifier's last words about it, which
 * is where it says why; the whole log goes to stderr with VFIO_BPF_VERBOSE.
 */
static void vpb_explain(char *err, size_t errlen, const char *what, int ret)
{
	const char *line, *cause = NULL, *prog = strstr(vpb_libbpf_log, "libbpf: prog '");
	const char *log_end = strstr(vpb_libbpf_log, "-- END PROG LOAD LOG --");
	size_t cause_len = 0, prog_len = 0;

	if (getenv("VFIO_BPF_VERBOSE"))
		fputs(vpb_libbpf_log, stderr);
	for (line = vpb_libbpf_log; *line;) {
		const char *end = strchrnul(line, '\n');

		if (log_end && line >= log_end)
			break;
		if (cause && !strncmp(line, "Verification failed:", strlen("Verification failed:")))
			break;
		if (!vpb_log_noise(line, end - line) &&
		    !(cause && vpb_log_follow_up(line, end - line)))
			cause = line, cause_len = end - line;
		line = *end ? end + 1 : end;
	}
	if (prog) {
		prog += strlen("libbpf: ");
		prog_len = strchrnul(prog, ':') - prog;
	}
	snprintf(err, errlen, "%s: %s%s%.*s%s%.*s", what, strerror(-ret), prog ? " in " : "",
		 (int)prog_len, prog ? prog : "", cause ? ": " : "", (int)cause_len,
		 cause ? cause : "");
}

/* What the verifier's words leave out, for the refusals policy authors meet. */
static void vpb_add_hint(char *err, size_t errlen)
{
	static const struct {
		const char *said, *hint;
	} hints[] = {
		{ "calling kernel function vfio_pci_bpf_trap_bar is not allowed",
		  "vfio_pci_bpf_trap_bar may be called from attach only" },
		{ "calling kernel function vfio_pci_bpf_untrap_bar is not allowed",
		  "vfio_pci_bpf_untrap_bar may be called from attach only" },
	};
	size_t i, len = strlen(err);

	for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (strstr(err, hints[i].said))
			snprintf(err + len, errlen - len, " (%s)", hints[i].hint);
}

static const char *const vpb_hook_names[VFIO_PCI_BPF_NR_HOOKS] = { VFIO_PCI_BPF_HOOK_NAMES };

/* Whether a hook, by name, may have a sleepable program. */
static bool vpb_hook_may_sleep(const char *hook)
{
	size_t i;

	for (i = 0; i < VFIO_PCI_BPF_NR_HOOKS; i++)
		if (!strcmp(hook, vpb_hook_names[i]))
			return VFIO_PCI_BPF_SLEEPABLE_HOOKS & (1U << i);
	return false;
}

/*
 * The kernel refuses a sleepable program on a hook that may not sleep
 * with "attach to unsupported member"; say it plainly before loading.
 */
static int vpb_check_sleepable(struct bpf_object *obj, char *err, size_t errlen)
{
	static const char prefix[] = "struct_ops.s/";
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj)
	{
		const char *sec = bpf_program__section_name(prog);

		if (strncmp(sec, prefix, strlen(prefix)) ||
		    vpb_hook_may_sleep(sec + strlen(prefix)))
			continue;
		snprintf(err, errlen,
			 "program %s: %s cannot be sleepable (SEC(\"%s\")); only attach, detach, "
			 "open, close, ioctl and the mig_* hooks may sleep",
			 bpf_program__name(prog), sec + strlen(prefix), sec);
		return -EINVAL;
	}
	return 0;
}

static struct bpf_map *vpb_find_ops_map(struct bpf_object *obj)
{
	struct bpf_map *map, *found = NULL;

	bpf_object__for_each_map(map, obj)
	{
		if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		if (found)
			return NULL;
		found = map;
	}
	return found;
}

static struct bpf_map *vpb_rodata_map(struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) if (bpf_map__is_internal(map) &&
					       strstr(bpf_map__name(map), ".rodata")) return map;
	return NULL;
}

/* Set one .rodata global, found by name in the object's BTF. */
static int vpb_set_param(struct bpf_object *obj, const char *assignment, char *err, size_t errlen)
{
	const char *eq = strchr(assignment, '=');
	struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *rodata = vpb_rodata_map(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	size_t name_len, size;
	char *data;
	int id, i, ret;

	if (!eq || eq == assignment) {
		snprintf(err, errlen, "parameter '%s': expected name=value", assignment);
		return -EINVAL;
	}
	name_len = eq - assignment;
	id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -ENOENT;
	data = rodata ? bpf_map__initial_value(rodata, &size) : NULL;
	if (id < 0 || !data) {
		snprintf(err, errlen, "parameter '%.*s': the policy has no parameters",
			 (int)name_len, assignment);
		return -ENOENT;
	}
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);
		const char *name = btf__name_by_offset(btf, var->name_off);
		const struct btf_type *t;
		size_t elem, count = 1;
		int is_signed = 0;

		if (strlen(name) != name_len || strncmp(name, assignment, name_len))
			continue;
		t = btf__type_by_id(btf, btf__resolve_type(btf, var->type));
		if (btf_is_array(t)) {
			count = btf_array(t)->nelems;
			t = btf__type_by_id(btf, btf__resolve_type(btf, btf_array(t)->type));
		}
		if (btf_is_int(t))
			is_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
		else if (!btf_is_enum(t))
			break;
		elem = t->size;
		ret = vpb_store_values(eq + 1, data + vs->offset, elem, count, is_signed);
		if (ret < 0) {
			snprintf(err, errlen,
				 "parameter '%s': %s (%zu value(s) of %zu byte(s) expected)",
				 assignment, ret == -E2BIG ? "too many values" : "bad value", count,
				 elem);
			return ret;
		}
		return 0;
	}
	snprintf(err, errlen, "parameter '%.*s': no such parameter in %s", (int)name_len,
		 assignment, bpf_object__name(obj));
	return -ENOENT;
}

static bool vpb_name_ok(const char *name, size_t max)
{
	size_t i;

	for (i = 0; name[i]; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_-.", name[i]))
			return false;
	return i > 0 && i < max;
}

/* The data fields the operator chose; the object's own values otherwise. */
static int vpb_set_ops_fields(const struct vpb_policy_opts *opts, struct bpf_map *map, char *err,
			      size_t errlen)
{
	struct vfio_pci_bpf_ops *ops;
	size_t size;

	if (!opts->has_target && !opts->has_vendor && !opts->has_device && !opts->has_priority &&
	    !opts->has_vfs_of && !opts->has_class && !opts->name)
		return 0;
	ops = bpf_map__initial_value(map, &size);
	if (!ops || size < sizeof(*ops)) {
		snprintf(err, errlen, "%s: struct_ops map is not a %s", opts->object,
			 VFIO_PCI_BPF_OPS_NAME);
		return -EINVAL;
	}
	if (opts->name && !vpb_name_ok(opts->name, sizeof(ops->name))) {
		snprintf(err, errlen,
			 "name '%s': 1 to %zu letters, digits, '_', '-' or '.' expected",
			 opts->name, sizeof(ops->name) - 1);
		return -EINVAL;
	}
	if (opts->has_target)
		ops->target = opts->target;
	if (opts->has_vendor)
		ops->vendor = opts->vendor;
	if (opts->has_vfs_of)
		ops->vfs_of = opts->vfs_of;
	if (opts->has_class) {
		ops->class_code = opts->class_code;
		ops->class_mask = opts->class_mask;
	}
	if (opts->has_device)
		ops->device = opts->device;
	if (opts->has_priority)
		ops->priority = opts->priority;
	if (opts->name)
		strcpy(ops->name, opts->name);
	return 0;
}

int vpb_policy_load(const struct vpb_policy_opts *opts, struct vpb_loaded *out, char *err,
		    size_t errlen)
{
	int i, ret;

	memset(out, 0, sizeof(*out));
	vpb_capture_start();
	if (opts->object_data) {
		LIBBPF_OPTS(bpf_object_open_opts, open_opts, .object_name = opts->object);

		out->obj = bpf_object__open_mem(opts->object_data, opts->object_size, &open_opts);
	} else {
		out->obj = bpf_object__open_file(opts->object, NULL);
	}
	if (!out->obj) {
		ret = -errno;
		vpb_explain(err, errlen, opts->object, ret);
		return ret;
	}
	out->ops = vpb_find_ops_map(out->obj);
	if (!out->ops) {
		snprintf(err, errlen, "%s: expected exactly one struct_ops map", opts->object);
		ret = -EINVAL;
		goto fail;
	}
	ret = vpb_set_ops_fields(opts, out->ops, err, errlen);
	if (ret)
		goto fail;
	for (i = 0; i < opts->nr_params; i++) {
		ret = vpb_set_param(out->obj, opts->params[i], err, errlen);
		if (ret)
			goto fail;
	}
	ret = vpb_check_sleepable(out->obj, err, errlen);
	if (ret)
		goto fail;
	ret = bpf_object__load(out->obj);
	if (ret) {
		vpb_explain(err, errlen, "load", ret);
		vpb_add_hint(err, errlen);
		goto fail;
	}
	return 0;
fail:
	vpb_policy_close(out);
	return ret;
}

/* The kernel log's word on a refused registration, after @err's own. */
static void vpb_add_kernel_reason(int mark, const struct vpb_loaded *p, char *err, size_t errlen)
{
	const struct vfio_pci_bpf_ops *ops = bpf_map__initial_value(p->ops, NULL);
	char reason[512];
	size_t used = strlen(err);

	vpb_kmsg_reason(mark, ops ? ops->name : "", reason, sizeof(reason));
	if (reason[0] && used < errlen)
		snprintf(err + used, errlen - used, " (kernel: %s)", reason);
}

int vpb_policy_attach(struct vpb_loaded *p, char *err, size_t errlen)
{
	int mark = vpb_kmsg_mark(), ret;

	vpb_capture_start();
	p->link = bpf_map__attach_struct_ops(p->ops);
	if (!p->link) {
		ret = -errno;
		vpb_explain(err, errlen, "register", ret);
		vpb_add_kernel_reason(mark, p, err, errlen);
		return ret;
	}
	vpb_kmsg_forget(mark);
	return 0;
}

int vpb_policy_swap(const char *pin, struct vpb_loaded *p, char *err, size_t errlen)
{
	struct bpf_link *link;
	int ret;

	vpb_capture_start();
	link = bpf_link__open(pin);
	if (!link) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", pin, strerror(-ret));
		return ret;
	}
	ret = bpf_link__update_map(link, p->ops);
	if (ret == -EINVAL)
		snprintf(err, errlen,
			 "swap: %s (a swap must keep the pinned policy's target, vendor, "
			 "device and vfs_of; dmesg names the cause)",
			 strerror(-ret));
	else if (ret)
		vpb_explain(err, errlen, "swap", ret);
	bpf_link__disconnect(link);
	bpf_link__destroy(link);
	return ret;
}

uint32_t vpb_policy_flags(const struct vpb_loaded *p)
{
	const struct vfio_pci_bpf_ops *ops;
	size_t size;

	ops = p->ops ? bpf_map__initial_value(p->ops, &size) : NULL;
	return ops && size >= sizeof(*ops) ? ops->flags : 0;
}

void vpb_policy_close(struct vpb_loaded *p)
{
	bpf_link__destroy(p->link);
	bpf_object__close(p->obj);
	memset(p, 0, sizeof(*p));
}
