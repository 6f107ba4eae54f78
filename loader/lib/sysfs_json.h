/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The driver's sysfs view as json-c objects, for vfio-bpfctl's views and
 * vfio-bpfd's control socket: a device's counters file, every bound
 * device's, and the driver's policies file.
 */
#ifndef VPB_SYSFS_JSON_H
#define VPB_SYSFS_JSON_H

struct json_object;

/* One "name value" member per line, numbers as numbers; NULL when not bound. */
struct json_object *vpb_json_counters(const char *bdf);
/* Every bound device's counters, in address order. */
struct json_object *vpb_json_devices(void);
/* @o's member @key as text; "" when it has none. */
const char *vpb_json_field(struct json_object *o, const char *key);
/* Every registered policy: "name", "match", "state" ("devices=N" or "pending"). */
struct json_object *vpb_json_policies(void);

#endif
