/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Running a device's policy chain: verdict rules and the per-device
 * counters of every hook call.  The access hooks run on every trapped or
 * hooked access, so their runner is inlined into each access path, reads
 * no clock on most runs, keeps its tallies in registers and updates the
 * per-CPU counters once at the end.
 */
#ifndef VPB_RUN_H
#define VPB_RUN_H

#include <linux/timekeeping.h>

#include "vpb.h"

/*
 * What a hook's return value counts as: PASS, HANDLED (where handling
 * means something), a deny (-errno), or an error -- any other value, which
 * is treated as PASS so that a broken policy cannot wedge the device.
 */
static __always_inline enum vpb_stat vpb_kind(int ret, bool can_handle)
{
	if (likely(ret == VFIO_PCI_BPF_PASS))
		return VPB_STAT_PASS;
	if (ret == VFIO_PCI_BPF_HANDLED && can_handle)
		return VPB_STAT_HANDLED;
	if (ret < 0 && ret >= -VFIO_PCI_BPF_MAX_ERRNO)
		return VPB_STAT_DENIED;
	return VPB_STAT_ERROR;
}

/*
 * Time spent in hooks is sampled: one run of a chain in VPB_TIME_EVERY
 * (per CPU) is timed and counted that many times, so that the others read
 * no clock.  Lifecycle hooks are rare and always timed.
 */
#define VPB_TIME_EVERY 16

static __always_inline u64 vpb_sample_start(struct vpb_device *vdev)
{
	if (likely(this_cpu_inc_return(vdev->stats->runs) % VPB_TIME_EVERY))
		return 0;
	return ktime_get_ns();
}

/*
 * Count one run of @hook's chain: @passed and @erred policies, the
 * verdict @last that ended it (PASS when it ran through), and its time.
 */
static __always_inline void vpb_count(struct vpb_device *vdev, enum vfio_pci_bpf_hook hook,
				      unsigned int passed, unsigned int erred,
				      enum vpb_stat last, u64 start, unsigned int weight)
{
	if (unlikely(start))
		this_cpu_add(vdev->stats->hook[hook][VPB_STAT_NS],
			     (ktime_get_ns() - start) * weight);
	if (passed)
		this_cpu_add(vdev->stats->hook[hook][VPB_STAT_PASS], passed);
	if (unlikely(erred))
		this_cpu_add(vdev->stats->hook[hook][VPB_STAT_ERROR], erred);
	if (last != VPB_STAT_PASS)
		this_cpu_inc(vdev->stats->hook[hook][last]);
}

/*
 * Policy @ret's verdict in a chain run, as @kind: whether it ends the run.
 * An error is counted in @erred and taken as PASS, so that the run goes on.
 */
static __always_inline bool vpb_verdict_ends(int *ret, enum vpb_stat *kind,
					     unsigned int *erred, bool can_handle)
{
	*kind = vpb_kind(*ret, can_handle);
	if (likely(*kind == VPB_STAT_PASS))
		return false;
	if (*kind != VPB_STAT_ERROR)
		return true;
	(*erred)++;
	*ret = VFIO_PCI_BPF_PASS;
	*kind = VPB_STAT_PASS;
	return false;
}

/*
 * Count a sampled run of @hook's chain that called @called policies, of
 * which @erred erred and the last one, unless @last is PASS, ended it.
 */
static __always_inline void vpb_count_run(struct vpb_device *vdev, enum vfio_pci_bpf_hook hook,
					  unsigned int called, unsigned int erred,
					  enum vpb_stat last, u64 start)
{
	vpb_count(vdev, hook, called - erred - (last != VPB_STAT_PASS), erred, last, start,
		  VPB_TIME_EVERY);
}

/*
 * First verdict other than PASS ends the chain.  @hook is an access hook;
 * the chain holds the programs that implement it, so that an access to a
 * chain without one costs a load and a test.
 */
static __always_inline int vpb_run_access(struct vpb_device *vdev, struct vpb_chain *chain,
					  enum vfio_pci_bpf_hook hook, struct vfio_pci_bpf_access *acc)
{
	const vpb_access_hook_t *call = chain->calls[VPB_ACCESS(hook)];
	unsigned int i, n = chain->nr_calls[VPB_ACCESS(hook)], erred = 0;
	enum vpb_stat kind = VPB_STAT_PASS;
	int ret = VFIO_PCI_BPF_PASS;
	u64 start;

	if (!n)
		return VFIO_PCI_BPF_PASS;
	start = vpb_sample_start(vdev);
	for (i = 0; i < n;) {
		ret = call[i++](&vdev->info, acc);
		if (vpb_verdict_ends(&ret, &kind, &erred, true))
			break;
	}
	vpb_count_run(vdev, hook, i, erred, kind, start);
	return ret;
}

#endif /* VPB_RUN_H */
