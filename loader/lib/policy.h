/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Loading a policy object with libbpf: choosing its devices, setting its
 * parameters, attaching it, and pinning or swapping its link.
 */
#ifndef VPB_POLICY_H
#define VPB_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VPB_MAX_PARAMS 16

struct vpb_policy_opts {
	const char *object; /* path of the .bpf.o */
	/* Its bytes, when the caller read them already: loaded instead of the path. */
	const void *object_data;
	size_t object_size;
	const char *name; /* overrides the policy's name when set */
	bool has_target, has_vendor, has_device, has_priority, has_vfs_of, has_class;
	uint32_t class_code, class_mask;
	uint32_t target;
	uint32_t vfs_of; /* the PF whose VFs alone match */
	uint16_t vendor, device;
	int32_t priority;
	const char *params[VPB_MAX_PARAMS]; /* "name=value" */
	int nr_params;
};

struct vpb_loaded {
	struct bpf_object *obj;
	struct bpf_map *ops; /* the struct_ops map */
	struct bpf_link *link;
};

/*
 * Open, configure and load @opts->object.  On failure returns -errno and
 * leaves a readable reason (with the verifier's words) in @err.
 */
int vpb_policy_load(const struct vpb_policy_opts *opts, struct vpb_loaded *out, char *err,
		    size_t errlen);
int vpb_policy_attach(struct vpb_loaded *p, char *err, size_t errlen);
/* Replace the policy behind the pinned link at @pin with @p, atomically. */
int vpb_policy_swap(const char *pin, struct vpb_loaded *p, char *err, size_t errlen);
void vpb_policy_close(struct vpb_loaded *p);
/* The loaded policy's flags field (VFIO_PCI_BPF_F_*). */
uint32_t vpb_policy_flags(const struct vpb_loaded *p);

#endif /* VPB_POLICY_H */
