/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio-bpfd's control socket as vfio-bpfctl uses it: when the daemon
 * answers, attach and detach go through it (the daemon then owns the
 * entry, as a runtime entry) and "policies" shows which entries it owns;
 * when it does not, or with --no-daemon, vfio-bpfctl works alone.
 */
#ifndef VPB_DAEMON_H
#define VPB_DAEMON_H

#include <stdbool.h>

#include "policy.h"

#define VPB_DAEMON_SOCKET "/run/vfio-pci-bpf/control.sock"

struct json_object;

/* Where to ask (--control PATH), and whether to at all (--no-daemon). */
extern const char *vpb_daemon_socket;
extern bool vpb_no_daemon;

/*
 * The daemon's answer to @req (which it consumes): its "ok" member says
 * whether the daemon did it.  NULL when no daemon answers (or --no-daemon).
 */
struct json_object *vpb_daemon_ask(struct json_object *req);

/*
 * "attach" through the daemon: 0 done, 1 the daemon refused (its reason
 * printed), -1 no daemon answers.  @opts->name names the entry, or else
 * the object's file name up to its first dot.
 */
int vpb_daemon_attach(const struct vpb_policy_opts *opts);
/* "detach" NAME (a runtime entry) or a pin in the daemon's pin folder; as above. */
int vpb_daemon_detach(const char *name_or_pin);
/* The daemon's owner of each registered policy by name ("runtime", "config"); NULL without a
 * daemon. */
struct json_object *vpb_daemon_owners(void);

#endif
