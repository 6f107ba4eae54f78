/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Read-only views of the host's vfio-pci-bpf devices, from sysfs alone (no
 * daemon, no BPF access needed): "devices" and "stats", as text or --json,
 * and "top", their rates refreshed in place.
 */
#ifndef VPB_VIEWS_H
#define VPB_VIEWS_H

int vpb_cmd_devices(int argc, char **argv);
int vpb_cmd_stats(int argc, char **argv);
int vpb_cmd_top(int argc, char **argv);

#endif
