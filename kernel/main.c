// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-bpf: a vfio-pci-core variant driver that behaves like vfio-pci
 * and lets BPF struct_ops policies hook the device.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include "vpb.h"

static u32 vpb_pci_addr(struct pci_dev *pdev)
{
	return VFIO_PCI_BPF_ADDR(pci_domain_nr(pdev->bus), pdev->bus->number,
				 PCI_SLOT(pdev->devfn), PCI_FUNC(pdev->devfn));
}

static void vpb_fill_info(struct vpb_device *vdev)
{
	struct pci_dev *pdev = vdev->core.pdev;
	struct vfio_pci_bpf_dev *info = &vdev->info;
	int bar;

	info->addr = vpb_pci_addr(pdev);
	info->vendor = pdev->vendor;
	info->device = pdev->device;
	info->subsystem_vendor = pdev->subsystem_vendor;
	info->subsystem_device = pdev->subsystem_device;
	info->class_code = pdev->class;
	info->pdev = pdev;
	if (pdev->is_virtfn) {
		struct pci_dev *pf = pci_physfn(pdev);
		int id = pci_iov_vf_id(pdev);

		info->is_vf = 1;
		info->pf_addr = vpb_pci_addr(pf);
		info->vf_index = id < 0 ? 0 : id;
	}
	for (bar = 0; bar < VFIO_PCI_BPF_NUM_BARS; bar++)
		info->bar_size[bar] = pci_resource_len(pdev, bar);
}

static struct vpb_device *vpb_from_vfio(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct vpb_device, core.vdev);
}

static int vpb_init_dev(struct vfio_device *core_vdev)
{
	struct vpb_device *vdev = vpb_from_vfio(core_vdev);
	int ret;

	INIT_LIST_HEAD(&vdev->node);
	mutex_init(&vdev->lock);
	RCU_INIT_POINTER(vdev->chain, NULL);
	vdev->bounce_slot = vpb_bounce_slot();
	vpb_mig_init(vdev);
	ret = init_srcu_struct(&vdev->srcu);
	if (ret)
		return ret;
	vdev->stats = alloc_percpu(struct vpb_counters);
	if (!vdev->stats) {
		ret = -ENOMEM;
		goto out_srcu;
	}
	ret = vfio_pci_core_init_dev(core_vdev);
	if (ret)
		goto out_stats;
	return 0;

out_stats:
	free_percpu(vdev->stats);
out_srcu:
	cleanup_srcu_struct(&vdev->srcu);
	vpb_mig_destroy(vdev);
	return ret;
}

static void vpb_release_dev(struct vfio_device *core_vdev)
{
	struct vpb_device *vdev = vpb_from_vfio(core_vdev);

	free_percpu(vdev->stats);
	cleanup_srcu_struct(&vdev->srcu);
	vpb_mig_destroy(vdev);
	mutex_destroy(&vdev->lock);
	vfio_pci_core_release_dev(core_vdev);
}

/*
 * vfio calls this with dev_set->lock held, for the first open.  Policies'
 * open hooks run once the device is enabled, with its BARs mapped for the
 * kfuncs, and may refuse it.
 */
static int vpb_open_device(struct vfio_device *core_vdev)
{
	struct vpb_device *vdev = vpb_from_vfio(core_vdev);
	int ret;

	mutex_lock(&vdev->lock);
	vpb_wait_swap(vdev);
	ret = vfio_pci_core_enable(&vdev->core);
	if (ret)
		goto out;
	vpb_map_bars(vdev);
	vdev->enabled = true;
	ret = vpb_run_open(vdev);
	if (ret) {
		vdev->enabled = false;
		vfio_pci_core_disable(&vdev->core);
		goto out;
	}
	vfio_pci_core_finish_enable(&vdev->core);
out:
	mutex_unlock(&vdev->lock);
	return ret;
}

static void vpb_close_device(struct vfio_device *core_vdev)
{
	struct vpb_device *vdev = vpb_from_vfio(core_vdev);

	mutex_lock(&vdev->lock);
	vpb_run_close(vdev);
	vpb_mig_reset(vdev);
	vdev->enabled = false;
	vfio_pci_core_close_device(core_vdev);
	/* An owner unlinked while the device was open stops migrating now. */
	vpb_mig_advertise(vdev);
	mutex_unlock(&vdev->lock);
}

static noinline long vpb_ioctl_slow(struct vpb_device *vdev, unsigned int cmd,
				    unsigned long arg)
{
	long ret;

	ret = vpb_run_ioctl(vdev, cmd, 0, arg);
	if (ret)
		return ret;
	if (VPB_REGION_INFO_IN_IOCTL && cmd == VFIO_DEVICE_GET_REGION_INFO) {
		ret = vpb_trap_region_info(vdev, arg);
		if (ret != -ENOIOCTLCMD)
			return ret;
	}
	if (cmd == VFIO_DEVICE_IOEVENTFD && vpb_hot(vdev, VPB_HOT_ANY_BAR))
		return vpb_trap_ioeventfd(vdev, arg);
	return vfio_pci_core_ioctl(&vdev->core.vdev, cmd, arg);
}

/* Without any policy, one load and a test before vfio-pci-core. */
static long vpb_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
		      unsigned long arg)
{
	struct vpb_device *vdev = vpb_from_vfio(core_vdev);

	if (unlikely(READ_ONCE(vdev->hot)))
		return vpb_ioctl_slow(vdev, cmd, arg);
	return vfio_pci_core_ioctl(core_vdev, cmd, arg);
}

/*
 * The device features of vfio-pci-core the module knows to leave the hooks
 * whole (a dma-buf is checked against the traps where vfio-pci-core asks
 * for its ranges).  A feature a later kernel adds may reach a BAR or config
 * space around them, as VFIO_DEVICE_FEATURE_DMA_BUF did when it came: while
 * a policy hooks the device, one this list does not name is refused as if
 * vfio-pci-core did not have it.
 */
static bool vpb_feature_known(u32 flags)
{
	switch (flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_PCI_VF_TOKEN:
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY:
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP:
	case VFIO_DEVICE_FEATURE_LOW_POWER_EXIT:
		return true;
	default:
		return vpb_feature_is_dma_buf(flags);
	}
}

static noinline int vpb_device_feature_slow(struct vpb_device *vdev, u32 flags,
					    void __user *arg, size_t argsz)
{
	int ret;

	ret = vpb_run_ioctl(vdev, VFIO_DEVICE_FEATURE, flags, (unsigned long)arg);
	if (ret)
		return ret;
	if (!vpb_feature_known(flags))
		return -ENOTTY;
	return vfio_pci_core_ioctl_feature(&vdev->core.vdev, flags, arg, argsz);
}

/* vfio core routes VFIO_DEVICE_FEATURE here, not through .ioctl. */
static int vpb_device_feature(struct vfio_device *core_vdev, u32 flags,
			      void __user *arg, size_t argsz)
{
	struct vpb_device *vdev = vpb_from_vfio(core_vdev);

	if (unlikely(READ_ONCE(vdev->hot)))
		return vpb_device_feature_slow(vdev, flags, arg, argsz);
	return vfio_pci_core_ioctl_feature(core_vdev, flags, arg, argsz);
}

#ifdef VPB_HAVE_REGION_INFO_CAPS
/*
 * Region info, where vfio core no longer passes it to .ioctl (compat.h).
 * The ioctl hooks see it as before, without the user's address (arg 0).
 */
static int vpb_get_region_info_caps(struct vfio_device *core_vdev,
				    struct vfio_region_info *info,
				    struct vfio_info_cap *caps)
{
	struct vpb_device *vdev = vpb_from_vfio(core_vdev);
	int ret;

	if (unlikely(READ_ONCE(vdev->hot))) {
		ret = vpb_run_ioctl(vdev, VFIO_DEVICE_GET_REGION_INFO, 0, 0);
		if (ret)
			return ret;
		ret = vpb_trap_region_info_caps(vdev, info, caps);
		if (ret != -ENOIOCTLCMD)
			return ret;
	}
	return vfio_pci_ioctl_get_region_info(core_vdev, info, caps);
}
#endif

#ifdef VPB_HAVE_DMABUF_PHYS
/*
 * VFIO_DEVICE_FEATURE_DMA_BUF (compat.h): a dma-buf's importer reaches the
 * BAR around the device fd and the BAR hooks, so ranges that share a page
 * with a trap are refused (-EACCES), as mmap refuses them.  The ranges are
 * vfio-pci-core's kernel copy, checked and used as they are.
 */
static int vpb_get_dmabuf_phys(struct vfio_pci_core_device *core,
			       struct p2pdma_provider **provider, unsigned int index,
			       struct phys_vec *phys_vec, struct vfio_region_dma_range *ranges,
			       size_t nr_ranges)
{
	struct vpb_device *vdev = vpb_from_core(core);
	size_t i;
	u64 end;

	for (i = 0; i < nr_ranges; i++) {
		if (check_add_overflow(ranges[i].offset, ranges[i].length, &end))
			return -EINVAL;
		if (vpb_trap_hits_pages(vdev, index, ranges[i].offset, end))
			return -EACCES;
	}
	return vfio_pci_core_get_dmabuf_phys(core, provider, index, phys_vec, ranges, nr_ranges);
}

static const struct vfio_pci_device_ops vpb_pci_ops = {
	.get_dmabuf_phys = vpb_get_dmabuf_phys,
};
#endif

static int vpb_mmap(struct vfio_device *core_vdev, struct vm_area_struct *vma)
{
	int ret = vpb_trap_check_mmap(vpb_from_vfio(core_vdev), vma);

	return ret ? ret : vfio_pci_core_mmap(core_vdev, vma);
}

static const struct vfio_device_ops vpb_vfio_ops = {
	.name = "vfio-pci-bpf",
	.init = vpb_init_dev,
	.release = vpb_release_dev,
	.open_device = vpb_open_device,
	.close_device = vpb_close_device,
	.ioctl = vpb_ioctl,
	VPB_REGION_INFO_OP(vpb_get_region_info_caps)
	.device_feature = vpb_device_feature,
	.read = vpb_read,
	.write = vpb_write,
	.mmap = vpb_mmap,
	.request = vfio_pci_core_request,
	.match = vfio_pci_core_match,
	VPB_MATCH_TOKEN_OP
	.bind_iommufd = vfio_iommufd_physical_bind,
	.unbind_iommufd = vfio_iommufd_physical_unbind,
	.attach_ioas = vfio_iommufd_physical_attach_ioas,
	.detach_ioas = vfio_iommufd_physical_detach_ioas,
	VPB_PASID_IOAS_OPS
};

static int vpb_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vpb_device *vdev;
	int ret;

	/* Like vfio-pci: only normal (type 0) functions can be assigned. */
	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL)
		return -EINVAL;

	vdev = vfio_alloc_device(vpb_device, core.vdev, &pdev->dev,
				 &vpb_vfio_ops);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);

	dev_set_drvdata(&pdev->dev, &vdev->core);
#ifdef VPB_HAVE_DMABUF_PHYS
	vdev->core.pci_ops = &vpb_pci_ops;
#endif
	vpb_fill_info(vdev);
	/* Policies first: from registration on, a VMM can open the device. */
	vpb_device_added(vdev);
	ret = vfio_pci_core_register_device(&vdev->core);
	if (ret)
		goto out_removed;
	return 0;

out_removed:
	vpb_device_removed(vdev);
	vfio_put_device(&vdev->core.vdev);
	return ret;
}

/*
 * Unregistering waits for the VMM to let go of the device; its policies
 * (traps, deny rules) stay in force until then, and go after.
 */
static void vpb_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(core);
	vpb_device_removed(vpb_from_core(core));
	vfio_put_device(&core->vdev);
}

/* The uAPI: a reset device is RUNNING, with no data fd, whoever reset it. */
static void vpb_reset_done(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);

	if (core)
		vpb_mig_reset_done(vpb_from_core(core));
}

static const struct pci_error_handlers vpb_err_handlers = {
	.error_detected = vfio_pci_core_aer_err_detected,
	.reset_done = vpb_reset_done,
};

static int vpb_sriov_configure(struct pci_dev *pdev, int nr_virtfn)
{
	return vfio_pci_core_sriov_configure(dev_get_drvdata(&pdev->dev),
					     nr_virtfn);
}

/* Bound only through driver_override, like every vfio-pci variant. */
static const struct pci_device_id vpb_pci_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};
MODULE_DEVICE_TABLE(pci, vpb_pci_table);

static struct pci_driver vpb_pci_driver = {
	.name = VFIO_PCI_BPF_DRIVER_NAME,
	.id_table = vpb_pci_table,
	.probe = vpb_probe,
	.remove = vpb_remove,
	.err_handler = &vpb_err_handlers,
	.sriov_configure = vpb_sriov_configure,
	.driver_managed_dma = true,
	.dev_groups = vpb_dev_groups,
	.groups = vpb_driver_groups,
};

static int __init vpb_init(void)
{
	int ret;

	ret = vpb_bounce_init();
	if (ret)
		return ret;
	ret = vpb_chain_cache_init();
	if (ret)
		goto out_bounce;
	ret = vpb_policy_cache_init();
	if (ret)
		goto out_chain;
	ret = vpb_struct_ops_init();
	if (ret)
		goto out_policy;
	ret = vpb_kfuncs_init();
	if (ret)
		goto out_policy;
	ret = pci_register_driver(&vpb_pci_driver);
	if (ret)
		goto out_policy;
	return 0;

out_policy:
	vpb_policy_cache_exit();
out_chain:
	vpb_chain_cache_exit();
out_bounce:
	vpb_bounce_exit();
	return ret;
}

/* Registered policies hold the module, so none is left here. */
static void __exit vpb_exit(void)
{
	pci_unregister_driver(&vpb_pci_driver);
	vpb_policy_cache_exit();
	vpb_chain_cache_exit();
	vpb_bounce_exit();
}

module_init(vpb_init);
module_exit(vpb_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO PCI variant driver with BPF struct_ops hook points");
