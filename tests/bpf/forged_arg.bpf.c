// SPDX-License-Identifier: GPL-2.0-only
/*
 * A hostile policy: hands one kfunc (KFUNC) a context argument it made up
 * (FORGE) instead of the one its hook was given.  The Makefile builds one
 * object per pair under tests/bpf/forged/; the verifier must refuse each
 * at load (t-kfunc-rules).  Built with no FORGE, it passes the genuine
 * pointer, and must load: the same program, minus the forgery.
 *
 * FORGE:
 *   genuine     the hook's own pointer
 *   stack       a struct built on the BPF stack
 *   map_value   a struct in an array map's value
 *   ringbuf     a struct reserved in a ring buffer
 *   arena       a struct in a BPF arena page
 *   map_scalar  the hook's pointer, kept in a map as a number and cast back
 *   kptr        the hook's pointer, kept in a map as an untrusted kptr
 *   obj_new     an object of the policy's own copy of the type (bpf_obj_new)
 *   walked      the device pointer read out of the migration step
 *               (mig->dev), in a migration hook: for the device kfuncs
 *               that any hook may call
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "vfio_pci_bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define GENUINE 0
#define STACK 1
#define MAP_VALUE 2
#define RINGBUF 3
#define ARENA 4
#define MAP_SCALAR 5
#define KPTR 6
#define OBJ_NEW 7
#define WALKED 8

#ifndef FORGE
#define FORGE GENUINE
#endif
#ifndef KFUNC
#define KFUNC config_read
#endif

/* Kfuncs taking the device, and those taking the migration step. */
#define K_config_read 0
#define K_config_write 0
#define K_bar_read 0
#define K_bar_write 0
#define K_bar_poll 0
#define K_trap_bar 0
#define K_untrap_bar 0
#define K_mig_write 1
#define K_mig_read 1
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define TAKES_MIG CAT(K_, KFUNC)

#if TAKES_MIG
#define CTX_TYPE struct vfio_pci_bpf_mig
#else
#define CTX_TYPE struct vfio_pci_bpf_dev
#endif

struct slot {
	CTX_TYPE ctx;
	__u64 scalar;
	CTX_TYPE __kptr_untrusted *kptr;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slot);
} slots SEC(".maps");

#if FORGE == RINGBUF
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} ring SEC(".maps");
#endif

#if FORGE == ARENA
#define __arena __attribute__((address_space(1)))
struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
} arena SEC(".maps");
void __arena *bpf_arena_alloc_pages(void *map, void __arena *addr, __u32 page_cnt, int node_id,
				    __u64 flags) __ksym;
#endif

#if FORGE == OBJ_NEW
extern void *bpf_obj_new_impl(__u64 local_type_id, void *meta) __ksym;
extern void bpf_obj_drop_impl(void *kptr, void *meta) __ksym;
#endif

#define barrier() asm volatile("" ::: "memory")

/* The call under test, on @ctx; the other arguments are harmless. */
static __always_inline int call(CTX_TYPE *ctx)
{
	__u64 word = 0;

	(void)word;
#if TAKES_MIG
	return CAT(vfio_pci_bpf_, KFUNC)(ctx, &word, sizeof(word));
#else
#define ARGS_config_read (ctx, 0, 4, &word)
#define ARGS_config_write (ctx, 0x40, 4, 0)
#define ARGS_bar_read (ctx, 0, 0, 4, &word)
#define ARGS_bar_write (ctx, 0, 0, 4, 0)
#define ARGS_bar_poll (ctx, 0, 0, VFIO_PCI_BPF_POLL_MATCH(0, 0), 10)
#define ARGS_trap_bar (ctx, 0, 0, 4)
#define ARGS_untrap_bar (ctx, 0)
	return CAT(vfio_pci_bpf_, KFUNC) CAT(ARGS_, KFUNC);
#endif
}

/*
 * Calls the kfunc on a forgery of @genuine's kind; @mig is the migration
 * step when the hook has one.
 */
static __always_inline int forged_call(CTX_TYPE *genuine, struct vfio_pci_bpf_mig *mig)
{
	__u32 zero = 0;
	struct slot *slot = bpf_map_lookup_elem(&slots, &zero);

	if (!slot)
		return 0;
#if FORGE == GENUINE
	return call(genuine);
#elif FORGE == STACK
	CTX_TYPE fake;

	__builtin_memset(&fake, 0, sizeof(fake));
	return call(&fake);
#elif FORGE == MAP_VALUE
	return call(&slot->ctx);
#elif FORGE == RINGBUF
	CTX_TYPE *fake = bpf_ringbuf_reserve(&ring, sizeof(*fake), 0);
	int ret;

	if (!fake)
		return 0;
	ret = call(fake);
	bpf_ringbuf_discard(fake, 0);
	return ret;
#elif FORGE == ARENA
	CTX_TYPE __arena *page = bpf_arena_alloc_pages(&arena, NULL, 1, -1, 0);

	if (!page)
		return 0;
	return call((CTX_TYPE *)page);
#elif FORGE == MAP_SCALAR
	slot->scalar = (__u64)genuine;
	/* Read back from the map, not the register the compiler still has. */
	barrier();
	return call((CTX_TYPE *)slot->scalar);
#elif FORGE == KPTR
	CTX_TYPE *kept;

	slot->kptr = genuine;
	barrier();
	kept = slot->kptr;
	if (!kept)
		return 0;
	return call(kept);
#elif FORGE == OBJ_NEW
	CTX_TYPE *obj = bpf_obj_new_impl(bpf_core_type_id_local(CTX_TYPE), NULL);
	int ret;

	if (!obj)
		return 0;
	ret = call(obj);
	bpf_obj_drop_impl(obj, NULL);
	return ret;
#elif FORGE == WALKED
	return call((struct vfio_pci_bpf_dev *)mig->dev);
#endif
}

/* Where the call happens: a migration owner's mig_save, or attach. */
#if TAKES_MIG || FORGE == WALKED
SEC("struct_ops.s/mig_save")
int BPF_PROG(forged_mig_save, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_mig *mig)
{
#if TAKES_MIG
	return forged_call(mig, mig);
#else
	return forged_call(dev, mig);
#endif
}

SEC("struct_ops.s/mig_load")
int BPF_PROG(forged_mig_load, struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_mig *mig)
{
	return 0;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops forged_arg = {
	.mig_save = (void *)forged_mig_save,
	.mig_load = (void *)forged_mig_load,
	.name = "forged_arg",
	.flags = VFIO_PCI_BPF_F_MIGRATION,
	.mig_size = 8,
};
#else
SEC("struct_ops.s/attach")
int BPF_PROG(forged_attach, struct vfio_pci_bpf_dev *dev)
{
	forged_call(dev, NULL);
	return 0;
}

SEC(".struct_ops.link")
struct vfio_pci_bpf_ops forged_arg = {
	.attach = (void *)forged_attach,
	.name = "forged_arg",
};
#endif
