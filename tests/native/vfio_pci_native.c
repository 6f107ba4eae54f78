// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-native: a benchmark-only variant driver that does in plain C
 * what the trace and bar_trap policies do in BPF, written the way vendor
 * variant drivers are: its own read/write/ioctl/mmap around vfio-pci-core.
 * `make bench` runs it next to vfio-pci-bpf so that the cost of BPF can be
 * told from the cost of the policy.  Never installed.
 *
 *   policy=trace    count every config access, ioctl and access to BAR0's
 *                   first page per (device, hook, offset) in a hash table
 *   policy=emulate  emulate the edu liveness register (BAR0 0x04) in that
 *                   page and pass the rest of it to the device, counting
 *                   each access to the page as bar_trap does
 *
 * Either way BAR0's first page is trapped: left out of the sparse mmap,
 * and refused to mmap.  So that the comparison is of BPF against C and
 * not of more work against less, each access the policy sees is also
 * counted the way vfio-pci-bpf counts it: per-CPU counters of verdicts,
 * trapped accesses and ioctls, and the time spent, sampled one access in
 * 16 with two clock reads.
 *
 * It also measures what a policy call is made of (debugfs
 * vfio_pci_native/callcost, see native_callcost_show()).
 */
#include <linux/debugfs.h>
#include <linux/hashtable.h>
#include <linux/jhash.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

/* vfio-pci-bpf's, so that both follow the kernel the same way. */
#include "compat.h"

#define NATIVE_SHIFT 40
#define NATIVE_INDEX(off) ((off) >> NATIVE_SHIFT)
#define NATIVE_POS(off) ((off) & ((1ULL << NATIVE_SHIFT) - 1))
#define NATIVE_EMULATED 0x04

enum {
	NATIVE_IOCTL,
	NATIVE_CONFIG_READ,
	NATIVE_CONFIG_WRITE,
	NATIVE_BAR_READ,
	NATIVE_BAR_WRITE,
	NATIVE_NR_HOOKS,
};

/* Time is sampled one policy run in this many, as vfio-pci-bpf's is. */
#define NATIVE_TIME_EVERY 16

/* vfio-pci-bpf's per-device counters for the same hooks. */
struct native_counters {
	u64 pass[NATIVE_NR_HOOKS];
	u64 handled[NATIVE_NR_HOOKS];
	u64 ns[NATIVE_NR_HOOKS];
	u64 ioctls;
	u64 trapped_reads;
	u64 trapped_writes;
	unsigned int runs;
};

static char *policy = "trace";
module_param(policy, charp, 0444);
MODULE_PARM_DESC(policy, "trace or emulate");
static bool tracing;

struct native_device {
	struct vfio_pci_core_device core;
	struct native_counters __percpu *stats;
	u32 addr;
	u32 scratch; /* the emulated register */
};

struct native_count {
	struct hlist_node node;
	u32 addr;
	u32 hook;
	u64 offset;
	atomic64_t n;
};

static DEFINE_HASHTABLE(native_counts, 10);
static DEFINE_SPINLOCK(native_counts_lock);

/* What trace's hash map does: find (addr, hook, offset), count it. */
static void native_count(u32 addr, u32 hook, u64 offset)
{
	u32 key = jhash_3words(addr, hook, (u32)offset, 0);
	struct native_count *c;

	rcu_read_lock();
	hash_for_each_possible_rcu(native_counts, c, node, key) {
		if (c->addr == addr && c->hook == hook && c->offset == offset) {
			atomic64_inc(&c->n);
			rcu_read_unlock();
			return;
		}
	}
	rcu_read_unlock();
	c = kzalloc(sizeof(*c), GFP_ATOMIC);
	if (!c)
		return;
	c->addr = addr;
	c->hook = hook;
	c->offset = offset;
	atomic64_set(&c->n, 1);
	spin_lock(&native_counts_lock);
	hash_add_rcu(native_counts, &c->node, key);
	spin_unlock(&native_counts_lock);
}

/* Start of one policy run: the clock, on one run in NATIVE_TIME_EVERY. */
static u64 native_start(struct native_device *ndev)
{
	if (likely(this_cpu_inc_return(ndev->stats->runs) % NATIVE_TIME_EVERY))
		return 0;
	return ktime_get_ns();
}

/* End of one policy run on @hook: its verdict and, when sampled, its time. */
static void native_done(struct native_device *ndev, unsigned int hook, bool handled, u64 start)
{
	if (unlikely(start))
		this_cpu_add(ndev->stats->ns[hook], (ktime_get_ns() - start) * NATIVE_TIME_EVERY);
	if (handled)
		this_cpu_inc(ndev->stats->handled[hook]);
	else
		this_cpu_inc(ndev->stats->pass[hook]);
}

static struct native_device *native_of(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct native_device, core.vdev);
}

static int native_open_device(struct vfio_device *core_vdev)
{
	struct native_device *ndev = native_of(core_vdev);
	int ret;

	ret = vfio_pci_core_enable(&ndev->core);
	if (ret)
		return ret;
	vfio_pci_core_finish_enable(&ndev->core);
	return 0;
}

static ssize_t native_rw(struct vfio_device *core_vdev, char __user *buf, size_t count,
			 loff_t *ppos, bool write)
{
	struct native_device *ndev = native_of(core_vdev);
	unsigned int index = NATIVE_INDEX(*ppos);
	u64 pos = NATIVE_POS(*ppos);

	unsigned int hook;
	u64 start;

	if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
		if (tracing) {
			hook = write ? NATIVE_CONFIG_WRITE : NATIVE_CONFIG_READ;
			start = native_start(ndev);
			native_count(ndev->addr, hook, pos);
			native_done(ndev, hook, false, start);
		}
	} else if (index == VFIO_PCI_BAR0_REGION_INDEX && pos < PAGE_SIZE) {
		hook = write ? NATIVE_BAR_WRITE : NATIVE_BAR_READ;
		this_cpu_inc(*(write ? &ndev->stats->trapped_writes : &ndev->stats->trapped_reads));
		start = native_start(ndev);
		native_count(ndev->addr, hook, pos);
		if (!tracing && pos == NATIVE_EMULATED && count == sizeof(ndev->scratch)) {
			if (write ? copy_from_user(&ndev->scratch, buf, count) :
				    copy_to_user(buf, &ndev->scratch, count))
				return -EFAULT;
			native_done(ndev, hook, true, start);
			*ppos += count;
			return count;
		}
		native_done(ndev, hook, false, start);
	}
	return write ? vfio_pci_core_write(core_vdev, buf, count, ppos) :
		       vfio_pci_core_read(core_vdev, buf, count, ppos);
}

static ssize_t native_read(struct vfio_device *core_vdev, char __user *buf, size_t count,
			   loff_t *ppos)
{
	return native_rw(core_vdev, buf, count, ppos, false);
}

static ssize_t native_write(struct vfio_device *core_vdev, const char __user *buf,
			    size_t count, loff_t *ppos)
{
	return native_rw(core_vdev, (char __user *)buf, count, ppos, true);
}

/* BAR0's region info, its first page left out of the mmap-able area. */
static void native_bar0_fill(struct native_device *ndev, struct vfio_region_info *info,
			     struct vfio_region_info_cap_sparse_mmap *sparse,
			     struct vfio_region_sparse_mmap_area *area)
{
	u64 size = pci_resource_len(ndev->core.pdev, 0);

	info->offset = 0;
	info->size = size;
	info->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		      VFIO_REGION_INFO_FLAG_MMAP;
	sparse->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
	sparse->header.version = 1;
	sparse->nr_areas = 1;
	area->offset = PAGE_SIZE;
	area->size = size - PAGE_SIZE;
}

static bool native_bar0_trapped(struct native_device *ndev, u32 index)
{
	return index == VFIO_PCI_BAR0_REGION_INDEX && pci_resource_len(ndev->core.pdev, 0) > PAGE_SIZE;
}

/* BAR0's region info where the kernel passes it to .ioctl (compat.h). */
static long native_bar0_info(struct native_device *ndev, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct {
		struct vfio_region_info_cap_sparse_mmap sparse;
		struct vfio_region_sparse_mmap_area area;
	} cap = {};
	struct vfio_region_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	native_bar0_fill(ndev, &info, &cap.sparse, &cap.area);
	info.flags |= VFIO_REGION_INFO_FLAG_CAPS;
	if (info.argsz < sizeof(info) + sizeof(cap)) {
		info.argsz = sizeof(info) + sizeof(cap);
		info.cap_offset = 0;
	} else {
		if (copy_to_user((void __user *)arg + sizeof(info), &cap, sizeof(cap)))
			return -EFAULT;
		info.cap_offset = sizeof(info);
	}
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static long native_ioctl(struct vfio_device *core_vdev, unsigned int cmd, unsigned long arg)
{
	struct native_device *ndev = native_of(core_vdev);
	u32 index;

	u64 start;

	if (tracing) {
		this_cpu_inc(ndev->stats->ioctls);
		start = native_start(ndev);
		native_count(ndev->addr, NATIVE_IOCTL, cmd);
		native_done(ndev, NATIVE_IOCTL, false, start);
	}
	if (VPB_REGION_INFO_IN_IOCTL && cmd == VFIO_DEVICE_GET_REGION_INFO) {
		if (get_user(index, (u32 __user *)(arg + offsetof(struct vfio_region_info, index))))
			return -EFAULT;
		if (native_bar0_trapped(ndev, index))
			return native_bar0_info(ndev, arg);
	}
	return vfio_pci_core_ioctl(core_vdev, cmd, arg);
}

#ifdef VPB_HAVE_REGION_INFO_CAPS
/* Region info through vfio core's get_region_info_caps op (compat.h). */
static int native_region_info_caps(struct vfio_device *core_vdev, struct vfio_region_info *info,
				   struct vfio_info_cap *caps)
{
	struct native_device *ndev = native_of(core_vdev);
	struct {
		struct vfio_region_info_cap_sparse_mmap sparse;
		struct vfio_region_sparse_mmap_area area;
	} cap = {};

	if (!native_bar0_trapped(ndev, info->index))
		return vfio_pci_ioctl_get_region_info(core_vdev, info, caps);
	native_bar0_fill(ndev, info, &cap.sparse, &cap.area);
	return vfio_info_add_capability(caps, &cap.sparse.header, sizeof(cap));
}
#endif

static int native_mmap(struct vfio_device *core_vdev, struct vm_area_struct *vma)
{
	if (NATIVE_INDEX((u64)vma->vm_pgoff << PAGE_SHIFT) == VFIO_PCI_BAR0_REGION_INDEX &&
	    !NATIVE_POS((u64)vma->vm_pgoff << PAGE_SHIFT))
		return -EINVAL;
	return vfio_pci_core_mmap(core_vdev, vma);
}

static const struct vfio_device_ops native_ops = {
	.name = "vfio-pci-native",
	.init = vfio_pci_core_init_dev,
	.release = vfio_pci_core_release_dev,
	.open_device = native_open_device,
	.close_device = vfio_pci_core_close_device,
	.ioctl = native_ioctl,
	VPB_REGION_INFO_OP(native_region_info_caps)
	.device_feature = vfio_pci_core_ioctl_feature,
	.read = native_read,
	.write = native_write,
	.mmap = native_mmap,
	.request = vfio_pci_core_request,
	.match = vfio_pci_core_match,
	VPB_MATCH_TOKEN_OP
	.bind_iommufd = vfio_iommufd_physical_bind,
	.unbind_iommufd = vfio_iommufd_physical_unbind,
	.attach_ioas = vfio_iommufd_physical_attach_ioas,
	.detach_ioas = vfio_iommufd_physical_detach_ioas,
};

static int native_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct native_device *ndev;
	int ret;

	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL)
		return -EINVAL;
	ndev = vfio_alloc_device(native_device, core.vdev, &pdev->dev, &native_ops);
	if (IS_ERR(ndev))
		return PTR_ERR(ndev);
	ndev->addr = pci_dev_id(pdev);
	ndev->stats = alloc_percpu(struct native_counters);
	if (!ndev->stats) {
		ret = -ENOMEM;
		goto out_put;
	}
	dev_set_drvdata(&pdev->dev, &ndev->core);
	ret = vfio_pci_core_register_device(&ndev->core);
	if (!ret)
		return 0;
	free_percpu(ndev->stats);
out_put:
	vfio_put_device(&ndev->core.vdev);
	return ret;
}

static void native_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(core);
	free_percpu(container_of(core, struct native_device, core)->stats);
	vfio_put_device(&core->vdev);
}

static const struct pci_device_id native_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};

static struct pci_driver native_driver = {
	.name = "vfio-pci-native",
	.id_table = native_table,
	.probe = native_probe,
	.remove = native_remove,
	.err_handler = &vfio_pci_core_err_handlers,
	.driver_managed_dma = true,
};

/*
 * The parts of one struct_ops hook call that are the kernel's and not the
 * program's, each run NATIVE_COST_LOOPS times between two ktime_get_ns()
 * calls: under make bench's icount a guest nanosecond is an instruction.
 * callcost prints, per iteration, each less the empty loop (the fastest
 * of NATIVE_COST_RUNS runs, so that an interrupt landing in one does not
 * count).
 */
#define NATIVE_COST_LOOPS 1000
#define NATIVE_COST_RUNS 5
DEFINE_STATIC_SRCU(native_srcu);

/* A C hook of config_read's shape, called through a pointer as a chain would. */
static noinline int native_nop_hook(void *dev, void *acc)
{
	return 0;
}

static int (*native_hook)(void *dev, void *acc) = native_nop_hook;

#define NATIVE_COST(name, body)                                                  \
	static noinline u64 native_cost_##name(void)                             \
	{                                                                        \
		u64 start = ktime_get_ns();                                      \
		int i, idx __maybe_unused;                                       \
                                                                                 \
		for (i = 0; i < NATIVE_COST_LOOPS; i++) {                        \
			body;                                                    \
			barrier();                                               \
		}                                                                \
		return ktime_get_ns() - start;                                   \
	}
NATIVE_COST(empty, )
NATIVE_COST(call, READ_ONCE(native_hook)(NULL, NULL))
NATIVE_COST(rcu, rcu_read_lock(); rcu_read_unlock())
NATIVE_COST(srcu, idx = srcu_read_lock(&native_srcu); srcu_read_unlock(&native_srcu, idx))
NATIVE_COST(migrate, migrate_disable(); migrate_enable())
NATIVE_COST(ktime, ktime_get_ns())

static u64 native_fastest(u64 (*run)(void))
{
	u64 best = U64_MAX;
	int i;

	for (i = 0; i < NATIVE_COST_RUNS; i++)
		best = min(best, run());
	return best;
}

static int native_callcost_show(struct seq_file *m, void *unused)
{
	static const struct {
		const char *name;
		u64 (*run)(void);
	} costs[] = {
		{ "c_indirect_call", native_cost_call },
		{ "rcu_read_lock_unlock", native_cost_rcu },
		{ "srcu_read_lock_unlock", native_cost_srcu },
		{ "migrate_disable_enable", native_cost_migrate },
		{ "ktime_get_ns", native_cost_ktime },
	};
	u64 empty = native_fastest(native_cost_empty);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(costs); i++) {
		u64 t = native_fastest(costs[i].run);
		u64 x10 = t > empty ? (t - empty) * 10 / NATIVE_COST_LOOPS : 0;

		seq_printf(m, "%s %llu.%llu\n", costs[i].name, x10 / 10, x10 % 10);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(native_callcost);

static struct dentry *native_debugfs;

static int __init native_init(void)
{
	int ret;

	if (strcmp(policy, "trace") && strcmp(policy, "emulate"))
		return -EINVAL;
	tracing = !strcmp(policy, "trace");
	ret = pci_register_driver(&native_driver);
	if (ret)
		return ret;
	native_debugfs = debugfs_create_dir("vfio_pci_native", NULL);
	debugfs_create_file("callcost", 0400, native_debugfs, NULL, &native_callcost_fops);
	return 0;
}

static void __exit native_exit(void)
{
	struct native_count *c;
	struct hlist_node *tmp;
	int bkt;

	debugfs_remove_recursive(native_debugfs);
	pci_unregister_driver(&native_driver);
	hash_for_each_safe(native_counts, bkt, tmp, c, node)
		kfree(c);
}

module_init(native_init);
module_exit(native_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Benchmark only: trace and emulating-trap policies as a C variant driver");
