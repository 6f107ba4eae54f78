// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libudev.h>

#include "devices.h"
#include "log.h"

struct bpfd_devices {
	struct udev *udev;
	struct udev_monitor *mon;
};

struct bpfd_devices *bpfd_devices_open(void)
{
	struct bpfd_devices *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->udev = udev_new();
	d->mon = d->udev ? udev_monitor_new_from_netlink(d->udev, "kernel") : NULL;
	if (!d->mon || udev_monitor_filter_add_match_subsystem_devtype(d->mon, "pci", NULL) < 0 ||
	    udev_monitor_enable_receiving(d->mon) < 0) {
		bpfd_warn("cannot receive PCI uevents (%s); devices that come back need a reload",
			  strerror(errno));
		bpfd_devices_close(d);
		return NULL;
	}
	return d;
}

int bpfd_devices_fd(const struct bpfd_devices *d)
{
	return d ? udev_monitor_get_fd(d->mon) : -1;
}

bool bpfd_devices_changed(struct bpfd_devices *d)
{
	static const char *const actions[] = { "bind", "unbind", "add", "remove" };
	struct udev_device *dev;
	bool changed = false;

	while (d && (dev = udev_monitor_receive_device(d->mon))) {
		const char *action = udev_device_get_action(dev);

		for (size_t i = 0; action && i < sizeof(actions) / sizeof(actions[0]); i++)
			if (!strcmp(action, actions[i])) {
				bpfd_info("%s: %s", udev_device_get_sysname(dev), action);
				changed = true;
			}
		udev_device_unref(dev);
	}
	return changed;
}

void bpfd_devices_close(struct bpfd_devices *d)
{
	if (!d)
		return;
	udev_monitor_unref(d->mon);
	udev_unref(d->udev);
	free(d);
}
