/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The driver's sysfs view as json-c objects, for vfio-bpfctl's views and
 * vfio-bpfd's control socket: a device's counters file, every bound
 * device's, and the driver's policies file.
 */
#ifndef VPB_SYSFS_JSON_H
#define VPB_SYSFS_JSON_H

#include <stdio.h>

struct json_object;

/*
 * One "name value" member per line: device, ids, class, pf and policies as
 * strings (whatever they read like), every other member a number (the
 * counters, vf_index); NULL when not bound.  docs/daemon.md has the schema.
 */
struct json_object *vpb_json_counters(const char *bdf);
/* The same of a counters file's text, read from @f. */
struct json_object *vpb_json_counters_parse(FILE *f);
/* Every bound device's counters, in address order. */
struct json_object *vpb_json_devices(void);
/* @o's member @key as text; "" when it has none. */
const char *vpb_json_field(struct json_object *o, const char *key);
/* Every registered policy: "name", "match", "state" ("devices=N" or "pending"). */
struct json_object *vpb_json_policies(void);

#endif
