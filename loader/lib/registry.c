// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "registry.h"

#define VALUE_TYPE_NAME "bpf_struct_ops_" VFIO_PCI_BPF_OPS_NAME

/* Is @info's value type vfio_pci_bpf_ops?  Fills the offset of its data. */
static int vpb_is_ours(const struct bpf_map_info *info, struct btf *vmlinux, size_t *data_off)
{
	const struct btf_member *m;
	const struct btf_type *t;
	struct btf *btf;
	int i, ours = 0;

	if (!info->btf_vmlinux_id)
		return 0;
	btf = btf__load_from_kernel_by_id_split(info->btf_vmlinux_id, vmlinux);
	if (!btf)
		return 0;
	t = btf__type_by_id(btf, info->btf_vmlinux_value_type_id);
	if (t && btf_is_struct(t) &&
	    !strcmp(btf__name_by_offset(btf, t->name_off), VALUE_TYPE_NAME)) {
		for (i = 0, m = btf_members(t); i < btf_vlen(t); i++, m++)
			if (!strcmp(btf__name_by_offset(btf, m->name_off), "data")) {
				*data_off = m->offset / 8;
				ours = 1;
			}
	}
	btf__free(btf);
	return ours;
}

/* The kernel reports each set hook as the ID of its program. */
static void vpb_prog_ids(struct vpb_registered *r, const char *data)
{
	static const size_t offsets[VFIO_PCI_BPF_NR_HOOKS] = VFIO_PCI_BPF_HOOK_OFFSETS;
	int hook;

	for (hook = 0; hook < VFIO_PCI_BPF_NR_HOOKS; hook++)
		memcpy(&r->prog_id[hook], data + offsets[hook], sizeof(uint32_t));
}

int vpb_for_each_registered(int (*fn)(const struct vpb_registered *r, void *ctx), void *ctx)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	uint32_t id = 0;
	int count = 0, ret = 0;

	if (!vmlinux)
		return -errno;
	while (!bpf_map_get_next_id(id, &id)) {
		struct bpf_map_info info = {};
		uint32_t len = sizeof(info), zero = 0;
		struct vpb_registered r = { .map_id = id };
		size_t data_off = 0;
		char *value = NULL;
		int fd = bpf_map_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (bpf_map_get_info_by_fd(fd, &info, &len) ||
		    info.type != BPF_MAP_TYPE_STRUCT_OPS ||
		    !vpb_is_ours(&info, vmlinux, &data_off) ||
		    data_off + sizeof(r.ops) > info.value_size)
			goto next;
		value = calloc(1, info.value_size);
		if (!value || bpf_map_lookup_elem(fd, &zero, value))
			goto next;
		memcpy(&r.ops, value + data_off, sizeof(r.ops));
		vpb_prog_ids(&r, value + data_off);
		count++;
		ret = fn(&r, ctx);
	next:
		free(value);
		close(fd);
		if (ret)
			break;
	}
	btf__free(vmlinux);
	return ret ? ret : count;
}

int vpb_pinned_policy(const char *pin, char *why, size_t whylen)
{
	struct bpf_link_info link = {};
	struct bpf_map_info map = {};
	uint32_t link_len = sizeof(link), map_len = sizeof(map);
	struct btf *vmlinux = NULL;
	int fd = bpf_obj_get(pin), map_fd = -1, ours = 0;
	size_t data_off;

	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", pin, strerror(errno));
		return -errno;
	}
	if (bpf_link_get_info_by_fd(fd, &link, &link_len) || link.type != BPF_LINK_TYPE_STRUCT_OPS)
		snprintf(why, whylen, "%s is no struct_ops link (another kind of BPF object)", pin);
	else if (!link.struct_ops.map_id)
		snprintf(
			why, whylen,
			"%s is a struct_ops link the kernel detached: whose it was cannot be told; "
			"rm it if it is yours",
			pin);
	else if ((map_fd = bpf_map_get_fd_by_id(link.struct_ops.map_id)) < 0 ||
		 bpf_map_get_info_by_fd(map_fd, &map, &map_len) ||
		 !(vmlinux = btf__load_vmlinux_btf()))
		snprintf(why, whylen, "%s: %s", pin, strerror(errno));
	else if (!(ours = vpb_is_ours(&map, vmlinux, &data_off)))
		snprintf(why, whylen, "%s is the link of another struct_ops type, not %s", pin,
			 VFIO_PCI_BPF_OPS_NAME);
	btf__free(vmlinux);
	if (map_fd >= 0)
		close(map_fd);
	close(fd);
	return ours;
}
