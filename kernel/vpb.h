/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal interfaces of vfio-pci-bpf shared by the driver, the struct_ops
 * type, the kfuncs, the traps and the sysfs view.  The lock order is
 * written down at the top of bind.c.
 */
#ifndef VPB_H
#define VPB_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/srcu.h>
/* Declares vfio-pci-core's 64-bit I/O helpers, as vfio_pci_rdwr.c sees them. */
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/vfio_pci_core.h>

#include "vfio_pci_bpf.h"
#include "compat.h"

/* vfio-pci-core's region layout: index in the top bits of the offset. */
#define VPB_OFFSET_SHIFT 40
#define VPB_INDEX(off) ((off) >> VPB_OFFSET_SHIFT)
#define VPB_OFFSET_MASK ((1ULL << VPB_OFFSET_SHIFT) - 1)

/* Most policies a single device chains; bounds the chain's cost. */
#define VPB_MAX_CHAIN 8

struct bpf_link;

/* A registered struct_ops instance, keyed by its map's data and its link. */
struct vpb_policy {
	struct list_head node; /* in vpb_policies, under vpb_lock */
	struct vfio_pci_bpf_ops *ops; /* the map's kernel copy */
	struct bpf_link *link; /* NULL when registered without a link */
	unsigned long hooks; /* BIT(hook) for every member it implements */
	u64 seq; /* registration order; a swap keeps the replaced one's */
	atomic_t retired_refs; /* retired chains holding it, not yet reaped */
};

/* A BAR range whose device-fd accesses run the BAR hooks. */
struct vpb_trap {
	struct vpb_policy *owner;
	u64 start;
	u64 end; /* exclusive */
	u8 bar;
};

/* The access hooks share one type and are contiguous in enum vfio_pci_bpf_hook. */
typedef int (*vpb_access_hook_t)(struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc);
#define VPB_FIRST_ACCESS_HOOK VFIO_PCI_BPF_HOOK_CONFIG_READ
#define VPB_NR_ACCESS_HOOKS 4
#define VPB_ACCESS(hook) ((hook) - VPB_FIRST_ACCESS_HOOK)

/*
 * What the hot path needs of a device's policies, replaced whole under the
 * device's lock and read under its SRCU: the policies in call order, the
 * union of their hooks and the trapped ranges.  For each access hook, the
 * programs of the policies that implement it, in call order, so that an
 * access calls them without looking at the others.
 */
struct vpb_chain {
	/*
	 * Once replaced, on the reap list of the operation that replaced it
	 * (see vpb_chain_retire()): freed when no reader runs it any more,
	 * after @detach_after's detach hook.
	 */
	struct list_head retired;
	struct vpb_device *retired_from;
	struct vpb_policy *detach_after;
	unsigned long hooks;
	unsigned int nr_traps;
	struct vpb_trap traps[VFIO_PCI_BPF_MAX_TRAPS];
	unsigned int len;
	struct vpb_policy *policy[VPB_MAX_CHAIN];
	u8 nr_calls[VPB_NR_ACCESS_HOOKS];
	vpb_access_hook_t calls[VPB_NR_ACCESS_HOOKS][VPB_MAX_CHAIN];
};

/* Calls are not stored: they are the sum of the verdicts. */
enum vpb_stat {
	VPB_STAT_CALLS,
	VPB_STAT_PASS,
	VPB_STAT_HANDLED,
	VPB_STAT_DENIED,
	VPB_STAT_ERROR,
	VPB_STAT_NS,
	VPB_NR_STATS,
};

/* Per-CPU, always on. */
struct vpb_counters {
	u64 hook[VFIO_PCI_BPF_NR_HOOKS][VPB_NR_STATS];
	u64 ioctls;
	u64 trapped_reads;
	u64 trapped_writes;
	u64 attaches;
	u64 detaches;
	u64 mig_arcs;
	u64 mig_saved; /* stream bytes, header included */
	u64 mig_loaded;
	u64 mig_refused; /* streams refused before mig_load ran */
	unsigned int runs; /* chain runs, for sampling the time spent */
};

/* Bits of vpb_device.hot: BIT(hook) for hooks, these for trapped BARs. */
#define VPB_HOT_BAR(bar) BIT(VFIO_PCI_BPF_NR_HOOKS + (bar))
#define VPB_HOT_ANY_BAR GENMASK(VFIO_PCI_BPF_NR_HOOKS + VFIO_PCI_BPF_NUM_BARS - 1, \
				VFIO_PCI_BPF_NR_HOOKS)

struct vpb_mig_file;
struct vpb_mig_ctx;

/*
 * The device's VFIO migration state, used while a policy with
 * VFIO_PCI_BPF_F_MIGRATION is chained (see migration.c).
 */
struct vpb_mig {
	struct mutex lock; /* inside vpb_device.lock */
	enum vfio_device_mig_state state;
	/* Under lock: the context of the migration hook running now. */
	const struct vpb_mig_ctx *running;
	/* The data fd of the saving states: set exactly while in one of them. */
	struct vpb_mig_file *save;
	struct vpb_mig_file *resume; /* the data fd of RESUMING */
	spinlock_t reset_lock; /* reset_pending, and the handover of lock */
	bool reset_pending; /* a reset came while lock was held */
};

struct vpb_device {
	struct vfio_pci_core_device core; /* must stay first: vfio_alloc_device */
	struct vfio_pci_bpf_dev info; /* the handle policies see */
	struct list_head node; /* in vpb_devices, under vpb_lock */
	/* Serializes policy changes on this device with its open and close. */
	struct mutex lock;
	struct srcu_struct srcu; /* readers of chain */
	struct vpb_chain __rcu *chain; /* written under vpb_lock and lock */
	atomic_t retiring; /* its retired chains, not yet reaped */
	/*
	 * What the chain hooks, read without a lock so that paths no policy
	 * hooks never enter SRCU; a racing attach is seen by the next access.
	 */
	unsigned long hot;
	struct vpb_counters __percpu *stats;
	/* Under lock: vfio-pci-core enabled the device and its BARs are mapped. */
	bool enabled;
	/*
	 * Under vpb_lock and lock: a hot swap published its new chain here and
	 * may still put @rollback back; opens wait until it is decided.
	 */
	bool swapping;
	struct vpb_chain *rollback;
	/*
	 * Under lock: the policy whose attach runs now, and the traps it
	 * declared (an array of VFIO_PCI_BPF_MAX_TRAPS, allocated for the
	 * attach only: kept here it would push the device struct into the
	 * next kmalloc size class).
	 */
	struct vpb_policy *attaching;
	struct vpb_policy *replacing; /* the policy @attaching swaps out */
	unsigned int nr_pending;
	struct vpb_trap *pending;
	unsigned int bounce_slot; /* its part of the bounce page, see bounce.c */
	struct vpb_mig mig;
};

static inline bool vpb_hot(struct vpb_device *vdev, unsigned long bits)
{
	return READ_ONCE(vdev->hot) & bits;
}

/* Chains change under both vpb_lock and the device's lock; either reads. */
static inline struct vpb_chain *vpb_chain_locked(struct vpb_device *vdev)
{
	return rcu_dereference_protected(vdev->chain, lockdep_is_held(&vdev->lock));
}


extern struct mutex vpb_lock;
extern struct list_head vpb_devices;

static inline struct vpb_chain *vpb_chain_locked_by_list(struct vpb_device *vdev)
{
	return rcu_dereference_protected(vdev->chain, lockdep_is_held(&vpb_lock));
}

static inline struct vpb_device *vpb_from_core(struct vfio_pci_core_device *core)
{
	return container_of(core, struct vpb_device, core);
}

static inline struct vpb_device *vpb_from_info(const struct vfio_pci_bpf_dev *info)
{
	return container_of((struct vfio_pci_bpf_dev *)info, struct vpb_device, info);
}

/* bind.c: policies on devices */
int vpb_bind_policy(struct vpb_policy *policy);
void vpb_unbind_policy(struct vpb_policy *policy, struct list_head *retired);
int vpb_rebind_policy(struct vpb_policy *old, struct vpb_policy *new, struct list_head *retired);
void vpb_wait_swap(struct vpb_device *vdev);
void vpb_device_added(struct vpb_device *vdev);
void vpb_device_removed(struct vpb_device *vdev);
struct vpb_policy *vpb_find_policy(const void *ops, const struct bpf_link *link);
bool vpb_policy_registered(const void *ops);
extern struct list_head vpb_policies;

/* chain.c: building and publishing a device's chain */
struct vpb_chain *vpb_chain_build(struct vpb_device *vdev, struct vpb_policy *out,
				  struct vpb_policy *in);
struct vpb_chain *vpb_chain_publish(struct vpb_device *vdev, struct vpb_chain *next);
void vpb_chain_retire(struct list_head *retired, struct vpb_device *vdev, struct vpb_chain *old,
		      struct vpb_policy *detach_after);
void vpb_chain_reap(struct list_head *retired);
void vpb_policy_wait_retired(struct vpb_policy *policy);
bool vpb_chain_has(struct vpb_chain *chain, struct vpb_policy *policy);
bool vpb_traps_equal(struct vpb_chain *chain, struct vpb_policy *owner,
		     const struct vpb_trap *traps, unsigned int n);
void vpb_chain_free(struct vpb_chain *chain);
int vpb_chain_cache_init(void);
void vpb_chain_cache_exit(void);

/* dispatch.c: running the chain */
int vpb_run_open(struct vpb_device *vdev);
void vpb_run_close(struct vpb_device *vdev);
int vpb_run_ioctl(struct vpb_device *vdev, unsigned int cmd, u32 feature,
		  unsigned long arg);
int vpb_call_attach(struct vpb_device *vdev, struct vpb_policy *policy);
int vpb_call_mig(struct vpb_device *vdev, struct vpb_policy *policy,
		 enum vfio_pci_bpf_hook hook, struct vfio_pci_bpf_mig *mig);
void vpb_call_detach(struct vpb_device *vdev, struct vpb_policy *policy);

/* access.c: config and BAR access through the device fd */
ssize_t vpb_read(struct vfio_device *core_vdev, char __user *buf, size_t count,
		 loff_t *ppos);
ssize_t vpb_write(struct vfio_device *core_vdev, const char __user *buf,
		  size_t count, loff_t *ppos);

/* io.c: the device's hardware, under vfio-pci-core's rules */
int vpb_bar_check(struct pci_dev *pdev, u32 bar, u64 off, u32 size);
int vpb_bar_io(struct vpb_device *vdev, unsigned int bar, u64 off, u32 size,
	       u64 *val, bool write);
int vpb_bar_io_awake(struct vpb_device *vdev, unsigned int bar, u64 off, u32 size,
		     u64 *val, bool write);
int vpb_bar_io_atomic(struct vpb_device *vdev, unsigned int bar, u64 off,
		      u32 size, u64 *val, bool write);
int vpb_config_check(struct pci_dev *pdev, u32 offset, u32 size);
int vpb_config_io_atomic(struct vpb_device *vdev, u32 offset, u32 size,
			 u64 *val, bool write);
void vpb_map_bars(struct vpb_device *vdev);

/* migration.c and mig_file.c: the VFIO migration uAPI */
void vpb_mig_init(struct vpb_device *vdev);
void vpb_mig_destroy(struct vpb_device *vdev);
int vpb_mig_may_chain(struct vpb_device *vdev, struct vpb_policy *in,
		      struct vpb_policy *out);
void vpb_mig_advertise(struct vpb_device *vdev);
void vpb_mig_reset(struct vpb_device *vdev);
void vpb_mig_reset_done(struct vpb_device *vdev);
/* The flags this module knows; a policy asking for any other is refused. */
#define VPB_KNOWN_FLAGS                                                        \
	(VFIO_PCI_BPF_F_MIGRATION | VFIO_PCI_BPF_F_MIG_P2P | VFIO_PCI_BPF_F_MIG_PRE_COPY)

static inline bool vpb_owns_migration(const struct vpb_policy *policy)
{
	return policy->ops->flags & VFIO_PCI_BPF_F_MIGRATION;
}

#define VPB_MIG_HDR sizeof(struct vfio_pci_bpf_mig_header)

/* What a resume stream must be, fixed when RESUMING begins. */
struct vpb_mig_expect {
	char policy[VFIO_PCI_BPF_NAME_LEN];
	u16 vendor;
	u16 device;
	u32 max_payload; /* per record */
	bool precopy; /* a VFIO_PCI_BPF_MIG_PRECOPY record may come first */
};

/* The longest stream @want admits: no more than 2 MiB and a few bytes. */
static inline size_t vpb_mig_max_stream(const struct vpb_mig_expect *want)
{
	return (VPB_MIG_HDR + want->max_payload) * (want->precopy ? 2 : 1);
}

void vpb_mig_expect_init(struct vpb_mig_expect *want, struct vpb_device *vdev,
			 const struct vpb_policy *owner);
void vpb_mig_frame(const struct vpb_mig_expect *src, u8 *record, u32 payload_len, u32 flags);
/* How far the check of a stream being written went. */
struct vpb_mig_check {
	size_t at; /* where the record being written starts: all before passed */
	bool head_ok; /* that record's header passed */
	bool done; /* a final record passed: nothing may follow it */
};

const char *vpb_mig_check_more(const struct vpb_mig_expect *want, struct vpb_mig_check *chk,
			       const u8 *stream, size_t len);
const char *vpb_mig_refusal(const struct vpb_mig_expect *want, const u8 *stream, size_t len,
			    bool complete);
size_t vpb_mig_record_len(const u8 *record);
void vpb_mig_refused(struct vpb_device *vdev, const char *why);

struct vpb_mig_file *vpb_mig_file_new(struct vpb_device *vdev, size_t size,
				      const struct vpb_mig_expect *resume);
int vpb_mig_file_append(struct vpb_mig_file *mf, const void *record, size_t len, bool final);
struct file *vpb_mig_file_get(struct vpb_mig_file *mf);
void *vpb_mig_file_take(struct vpb_mig_file *mf, size_t *len, int *err);
void vpb_mig_file_disable(struct vpb_mig_file *mf);

/* bounce.c: handing vfio-pci-core data the VMM can no longer change */
int vpb_bounce_config_write(struct vpb_device *vdev, u64 val, u32 size,
			    loff_t pos);
long vpb_bounce_ioctl(struct vpb_device *vdev, unsigned int cmd,
		      const void *arg, size_t size);
int vpb_bounce_init(void);
void vpb_bounce_exit(void);
unsigned int vpb_bounce_slot(void);

/* traps.c */
const struct vpb_trap *vpb_trap_find(struct vpb_chain *chain, unsigned int bar,
				     u64 start, u64 end);
int vpb_trap_region_info(struct vpb_device *vdev, unsigned long arg);
bool vpb_trap_hits_pages(struct vpb_device *vdev, unsigned int index, u64 start, u64 end);
int vpb_trap_region_info_caps(struct vpb_device *vdev, struct vfio_region_info *info,
			      struct vfio_info_cap *caps);
int vpb_trap_check_mmap(struct vpb_device *vdev, struct vm_area_struct *vma);
long vpb_trap_ioeventfd(struct vpb_device *vdev, unsigned long arg);
int vpb_trap_add(struct vpb_device *vdev, u32 bar, u64 offset, u64 len);
int vpb_trap_clear(struct vpb_device *vdev, u32 bar);

/* struct_ops.c and kfuncs.c */
extern const u32 vpb_hook_offsets[VFIO_PCI_BPF_NR_HOOKS];
struct vpb_policy *vpb_policy_new(void *kdata, struct bpf_link *link);
void vpb_policy_free(struct vpb_policy *policy);
int vpb_policy_cache_init(void);
void vpb_policy_cache_exit(void);
int vpb_struct_ops_init(void);
int vpb_kfuncs_init(void);
struct btf;
void vpb_kfuncs_set_btf(struct btf *btf, u32 ops_type_id);
/* A struct_ops program's expected_attach_type is its member's index. */
#define VPB_ATTACH_MEMBER 0

/* sysfs.c */
extern const char *const vpb_hook_names[VFIO_PCI_BPF_NR_HOOKS];
extern const struct attribute_group *vpb_dev_groups[];
extern const struct attribute_group *vpb_driver_groups[];

#endif /* VPB_H */
