/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * vfio-pci-bpf policy ABI: the one header shared by the kernel module, BPF
 * policies and userspace.  A policy is written against this file alone.
 *
 * Build a policy with (docs/writing-a-policy.md walks through one):
 *   clang-19 -g -O2 -target bpf -D__TARGET_ARCH_x86 -I <this folder> \
 *     -I /usr/include/$(gcc -dumpmachine) -c policy.bpf.c -o policy.bpf.o
 * and take errno constants from <asm-generic/errno.h>.
 *
 * Stable: every value defined here, the meaning of each field, and the
 * offset of every field of the structs (new fields only ever go at the
 * end).  A flag bit this module does not know is refused at registration,
 * so a policy built against a newer header fails loudly on an older module
 * instead of running without what it asked for.  There is deliberately no
 * "all flags" mask: each policy names the flags it means.
 */
#ifndef VFIO_PCI_BPF_H
#define VFIO_PCI_BPF_H

#include <linux/types.h>

#define VFIO_PCI_BPF_DRIVER_NAME "vfio-pci-bpf"
#define VFIO_PCI_BPF_OPS_NAME "vfio_pci_bpf_ops"
#define VFIO_PCI_BPF_NAME_LEN 32
#define VFIO_PCI_BPF_NUM_BARS 6

/* Match-any value for the vendor/device fields of struct vfio_pci_bpf_ops. */
#define VFIO_PCI_BPF_ANY_ID 0

/*
 * A PCI address packed as domain:16 | bus:8 | device:5 | function:3, the
 * form of the `target` field and of the address fields below.
 */
#define VFIO_PCI_BPF_ADDR(domain, bus, dev, fn)                                \
	(((__u32)(domain) << 16) | ((__u32)(bus) << 8) |                       \
	 (((__u32)(dev) & 0x1f) << 3) | ((__u32)(fn) & 0x7))
#define VFIO_PCI_BPF_ADDR_DOMAIN(a) ((a) >> 16)
#define VFIO_PCI_BPF_ADDR_BUS(a) (((a) >> 8) & 0xff)
#define VFIO_PCI_BPF_ADDR_DEV(a) (((a) >> 3) & 0x1f)
#define VFIO_PCI_BPF_ADDR_FN(a) ((a) & 0x7)

/*
 * The hooked device as a policy sees it.  Read-only: the verifier refuses
 * writes to every field.
 *
 * This struct, like struct vfio_pci_bpf_mig, holds a pointer, and that is
 * what keeps a policy from forging one: the verifier lets a program pass
 * its own memory (stack, map value, ring buffer, arena) to a kfunc only
 * where the kfunc's argument points to scalars alone.  A struct with a
 * pointer member is a kernel object to it, so a kfunc taking one accepts
 * only the trusted pointer the hook was given ("must point to scalar, or
 * struct with scalar" otherwise; docs/hooks.md).  Keep a pointer in both.
 */
struct vfio_pci_bpf_dev {
	__u32 addr; /* VFIO_PCI_BPF_ADDR() of this function */
	__u16 vendor;
	__u16 device;
	__u16 subsystem_vendor;
	__u16 subsystem_device;
	__u8 is_vf;
	__u8 __pad0;
	__u16 vf_index; /* 0-based VF number when is_vf */
	__u32 pf_addr; /* address of the PF when is_vf, else 0 */
	__u32 class_code; /* 24 bits: base class, subclass, programming interface */
	__u64 bar_size[VFIO_PCI_BPF_NUM_BARS];
	/*
	 * The function's struct pci_dev, for tracing.  void: a module struct
	 * that points to a vmlinux type gets several copies in the module's
	 * BTF on Debian's 7.x (pahole splits it against vmlinux and fails to
	 * merge them), and the kernel then refuses the struct_ops type.
	 */
	const void *pdev;
};

/*
 * Verdicts.  A hook returns one of these or a negative errno, which denies
 * the access or ioctl with that error.  Any other value is counted as an
 * error and treated as PASS.
 */
enum vfio_pci_bpf_verdict {
	VFIO_PCI_BPF_PASS = 0, /* continue down the chain, then the default path */
	VFIO_PCI_BPF_HANDLED = 1, /* the policy did it: no default path */
};
/* For writes, handling means absorbing: the write never reaches hardware. */
#define VFIO_PCI_BPF_DROP VFIO_PCI_BPF_HANDLED

/*
 * Deepest errno a hook may return; anything below is an error verdict.
 * The kernel's own codes from 512 up (ERESTARTSYS, ENOIOCTLCMD, ...) must
 * never reach the VMM, so they are errors too.
 */
#define VFIO_PCI_BPF_MAX_ERRNO 511

/*
 * One config-space or BAR access, a kernel copy: the VMM's memory is never
 * read twice.  Only `value` is writable by a policy: config_read may
 * replace bytes of what the VMM reads (it starts as vfio-pci-core's shadow
 * of the register),
 * bar_read may supply it, config_write and bar_write may rewrite what is
 * written.
 */
struct vfio_pci_bpf_access {
	__u64 offset; /* within config space, or within the BAR */
	__u64 value; /* the access's `size` bytes as a little-endian number */
	__u32 size; /* 1, 2, 4 or 8 bytes */
	__u32 bar; /* BAR index for bar_* hooks; 0xff for config space */
};
#define VFIO_PCI_BPF_CONFIG_SPACE 0xff

/* One device-fd ioctl, seen before vfio-pci-core handles it. */
struct vfio_pci_bpf_ioctl {
	__u32 cmd;
	/*
	 * For VFIO_DEVICE_FEATURE: the request's flags word (the feature
	 * number in VFIO_DEVICE_FEATURE_MASK, plus GET/SET/PROBE); else 0.
	 */
	__u32 feature;
	__u64 arg; /* the user's argument: an address, never dereferenced */
};

/*
 * Flags of struct vfio_pci_bpf_ops.  MIGRATION: the policy owns the
 * device's live migration (docs/migration.md); it must implement mig_save
 * and mig_load, and a device has one such owner at most.  With MIGRATION,
 * MIG_P2P: the owner's mig_state can stop the device's DMA while it keeps
 * running (the RUNNING_P2P and PRE_COPY_P2P states); MIG_PRE_COPY: mig_save
 * also runs when the device enters PRE_COPY, and what it writes then goes
 * to the destination ahead of the final record (VFIO_PCI_BPF_MIG_PRECOPY).
 */
#define VFIO_PCI_BPF_F_MIGRATION (1U << 0)
#define VFIO_PCI_BPF_F_MIG_P2P (1U << 1)
#define VFIO_PCI_BPF_F_MIG_PRE_COPY (1U << 2)

/*
 * One migration step as the owner sees it.  The module walks the VFIO
 * migration state machine itself, so from and to (enum
 * vfio_device_mig_state) are always a single arc.  In mig_save, len is the
 * room for the payload (the policy's mig_size) and pos what it wrote so
 * far; in mig_load, len is the payload's length and pos what it read.
 * flags: VFIO_PCI_BPF_MIG_PRECOPY when the record is the one saved on
 * entry to PRE_COPY (mig_load sees it first, then the final record).
 */
struct vfio_pci_bpf_mig {
	__u32 from;
	__u32 to;
	__u32 len;
	__u32 pos;
	__u32 flags;
	const struct vfio_pci_bpf_dev *dev; /* the device whose state moves */
};

/* Largest mig_size a policy may declare. */
#define VFIO_PCI_BPF_MIG_MAX_SIZE (1U << 20)

/*
 * The migration stream the module writes and checks: one record, or, from
 * an owner with VFIO_PCI_BPF_F_MIG_PRE_COPY whose device went through
 * PRE_COPY, a record flagged VFIO_PCI_BPF_MIG_PRECOPY and then the final
 * one.  A record is this header, then payload_len bytes written by the
 * owner's mig_save.  All fields are little-endian; each record's crc32c
 * covers its header (with crc32c taken as 0) and then its payload.
 */
#define VFIO_PCI_BPF_MIG_MAGIC 0x4d425056 /* "VPBM" */
#define VFIO_PCI_BPF_MIG_VERSION 1
struct vfio_pci_bpf_mig_header {
	__le32 magic;
	__le16 version;
	__le16 header_len;
	char policy[VFIO_PCI_BPF_NAME_LEN]; /* the owner's name, NUL-padded */
	__le16 vendor;
	__le16 device;
	__le32 payload_len;
	__le32 crc32c;
	__le32 flags; /* VFIO_PCI_BPF_MIG_PRECOPY or 0 */
};
#define VFIO_PCI_BPF_MIG_PRECOPY (1U << 0)

/* Most ranges one device may have trapped, over all its policies. */
#define VFIO_PCI_BPF_MAX_TRAPS 16

/*
 * The struct_ops type a policy fills in.  Data fields select the devices:
 * `target` one device by address; or, with target 0, every device (current
 * and future) whose vendor/device match (VFIO_PCI_BPF_ANY_ID matches all)
 * and, when `vfs_of` is set, that is a VF of the PF at that address, and,
 * when `class_mask` is set, whose (class_code & class_mask) == class_code.
 * Policies on one device form a chain ordered by `priority` (lower runs
 * first), then by attach order; the first verdict other than PASS ends it.
 */
struct vfio_pci_bpf_ops {
	/* Lifecycle (may sleep).  attach may refuse the device with -errno. */
	int (*attach)(struct vfio_pci_bpf_dev *dev);
	void (*detach)(struct vfio_pci_bpf_dev *dev);
	int (*open)(struct vfio_pci_bpf_dev *dev);
	void (*close)(struct vfio_pci_bpf_dev *dev);

	/* Interception (ioctl may sleep; the access hooks may not). */
	int (*ioctl)(struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_ioctl *io);
	int (*config_read)(struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc);
	int (*config_write)(struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc);
	int (*bar_read)(struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc);
	int (*bar_write)(struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_access *acc);

	/*
	 * Migration (all may sleep), for VFIO_PCI_BPF_F_MIGRATION: mig_state
	 * on every arc, before mig_save on the arcs into STOP_COPY and
	 * PRE_COPY, and after mig_load (once per record) on RESUMING -> STOP;
	 * 0 or -errno.
	 */
	int (*mig_state)(struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_mig *mig);
	int (*mig_save)(struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_mig *mig);
	int (*mig_load)(struct vfio_pci_bpf_dev *dev, struct vfio_pci_bpf_mig *mig);

	char name[VFIO_PCI_BPF_NAME_LEN];
	__u32 target;
	__u32 vendor;
	__u32 device;
	__u32 flags;
	__s32 priority;
	__u32 mig_size; /* most payload bytes mig_save writes, 1..MIG_MAX_SIZE */
	__u32 vfs_of; /* VFIO_PCI_BPF_ADDR() of a PF: only its VFs match; 0 any */
	__u32 class_code; /* with class_mask: the PCI class to match, 24 bits */
	__u32 class_mask; /* 0: any class */
};

/* Hook numbering, shared by the counters and the sysfs view. */
enum vfio_pci_bpf_hook {
	VFIO_PCI_BPF_HOOK_ATTACH,
	VFIO_PCI_BPF_HOOK_DETACH,
	VFIO_PCI_BPF_HOOK_OPEN,
	VFIO_PCI_BPF_HOOK_CLOSE,
	VFIO_PCI_BPF_HOOK_IOCTL,
	VFIO_PCI_BPF_HOOK_CONFIG_READ,
	VFIO_PCI_BPF_HOOK_CONFIG_WRITE,
	VFIO_PCI_BPF_HOOK_BAR_READ,
	VFIO_PCI_BPF_HOOK_BAR_WRITE,
	VFIO_PCI_BPF_HOOK_MIG_STATE,
	VFIO_PCI_BPF_HOOK_MIG_SAVE,
	VFIO_PCI_BPF_HOOK_MIG_LOAD,
	VFIO_PCI_BPF_NR_HOOKS,
};

/* Hooks whose programs may be sleepable (SEC("struct_ops.s/<hook>")). */
#define VFIO_PCI_BPF_SLEEPABLE_HOOKS                                           \
	((1U << VFIO_PCI_BPF_HOOK_ATTACH) | (1U << VFIO_PCI_BPF_HOOK_DETACH) | \
	 (1U << VFIO_PCI_BPF_HOOK_OPEN) | (1U << VFIO_PCI_BPF_HOOK_CLOSE) |   \
	 (1U << VFIO_PCI_BPF_HOOK_IOCTL) | (1U << VFIO_PCI_BPF_HOOK_MIG_STATE) | \
	 (1U << VFIO_PCI_BPF_HOOK_MIG_SAVE) | (1U << VFIO_PCI_BPF_HOOK_MIG_LOAD))

/* Where each hook sits in struct vfio_pci_bpf_ops, by enum vfio_pci_bpf_hook. */
#define VFIO_PCI_BPF_HOOK_OFFSETS                                              \
	{                                                                      \
		__builtin_offsetof(struct vfio_pci_bpf_ops, attach),           \
		__builtin_offsetof(struct vfio_pci_bpf_ops, detach),           \
		__builtin_offsetof(struct vfio_pci_bpf_ops, open),             \
		__builtin_offsetof(struct vfio_pci_bpf_ops, close),            \
		__builtin_offsetof(struct vfio_pci_bpf_ops, ioctl),            \
		__builtin_offsetof(struct vfio_pci_bpf_ops, config_read),      \
		__builtin_offsetof(struct vfio_pci_bpf_ops, config_write),     \
		__builtin_offsetof(struct vfio_pci_bpf_ops, bar_read),         \
		__builtin_offsetof(struct vfio_pci_bpf_ops, bar_write),        \
		__builtin_offsetof(struct vfio_pci_bpf_ops, mig_state),        \
		__builtin_offsetof(struct vfio_pci_bpf_ops, mig_save),         \
		__builtin_offsetof(struct vfio_pci_bpf_ops, mig_load),         \
	}

/*
 * Names in the counters file (sysfs vfio_bpf/counters), one line each:
 * "hook.<hook>.<stat> <value>", in the order of enum vfio_pci_bpf_hook.
 */
#define VFIO_PCI_BPF_HOOK_NAMES                                                \
	"attach", "detach", "open", "close", "ioctl", "config_read",           \
		"config_write", "bar_read", "bar_write", "mig_state", "mig_save",   \
		"mig_load"
#define VFIO_PCI_BPF_STAT_NAMES "calls", "pass", "handled", "denied", "error", "ns"

/* One access as the shipped policies stream it through a ring buffer. */
struct vfio_pci_bpf_event {
	__u64 timestamp_ns; /* bpf_ktime_get_ns() */
	__u64 offset;
	__u64 value;
	__u32 addr; /* VFIO_PCI_BPF_ADDR() of the device */
	__u8 hook; /* enum vfio_pci_bpf_hook */
	__u8 size;
	__u8 bar;
	__u8 verdict; /* 0 pass, 1 handled, 2 denied */
};

#define VFIO_PCI_BPF_POLL_MATCH(mask, want) (((__u64)(mask) << 32) | (__u32)(want))

#if defined(__bpf__)
/*
 * Kfuncs, callable from vfio_pci_bpf_ops programs only, on the hooked
 * device only.  Each returns 0 or a negative errno and never touches the
 * device when it refuses (bad offset, size, alignment, memory decode off).
 */
extern int vfio_pci_bpf_config_read(struct vfio_pci_bpf_dev *dev, __u32 offset,
				    __u32 size, __u64 *value) __ksym;
extern int vfio_pci_bpf_config_write(struct vfio_pci_bpf_dev *dev, __u32 offset,
				     __u32 size, __u64 value) __ksym;
extern int vfio_pci_bpf_bar_read(struct vfio_pci_bpf_dev *dev, __u32 bar, __u64 offset,
				 __u32 size, __u64 *value) __ksym;
extern int vfio_pci_bpf_bar_write(struct vfio_pci_bpf_dev *dev, __u32 bar, __u64 offset,
				  __u32 size, __u64 value) __ksym;
/*
 * Sleepable: polls the 32-bit register at @offset until (value & mask) ==
 * want, with @match = VFIO_PCI_BPF_POLL_MATCH(mask, want), for at most
 * @timeout_us (<= 100000); -ETIMEDOUT when it never matched.
 */
extern int vfio_pci_bpf_bar_poll(struct vfio_pci_bpf_dev *dev, __u32 bar, __u64 offset,
				 __u64 match, __u32 timeout_us) __ksym;
/* From attach only: device-fd access to the range runs the BAR hooks. */
extern int vfio_pci_bpf_trap_bar(struct vfio_pci_bpf_dev *dev, __u32 bar, __u64 offset,
				 __u64 len) __ksym;
extern int vfio_pci_bpf_untrap_bar(struct vfio_pci_bpf_dev *dev, __u32 bar) __ksym;

/*
 * Sleepable, from mig_save and mig_load only: append @data to the stream,
 * or take the next bytes of it into @data.  -ENOSPC past mig_size,
 * -ENODATA past the payload, -EPERM in the other hook.
 */
extern int vfio_pci_bpf_mig_write(struct vfio_pci_bpf_mig *mig, const void *data,
				  __u32 data__sz) __ksym;
extern int vfio_pci_bpf_mig_read(struct vfio_pci_bpf_mig *mig, void *data,
				 __u32 data__sz) __ksym;

/* Declares a hook program: VFIO_PCI_BPF_PROG(name, config_read, dev, acc). */
#define VFIO_PCI_BPF_PROG(fn, hook, ...)                                       \
	SEC("struct_ops/" #hook) int BPF_PROG(fn, ##__VA_ARGS__)
#define VFIO_PCI_BPF_PROG_SLEEPABLE(fn, hook, ...)                             \
	SEC("struct_ops.s/" #hook) int BPF_PROG(fn, ##__VA_ARGS__)
#endif /* __bpf__ */

#endif /* VFIO_PCI_BPF_H */
