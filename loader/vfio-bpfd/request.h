/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An "attach" request on the control socket as the text of a config file:
 * its members (but "command") become [policy] keys, its "parameters"
 * object the [parameters] section, so that the request is checked by the
 * very parser the config files go through, and the text is what the
 * daemon keeps to attach the entry again after a restart:
 *
 *   {"command": "attach", "name": "trap1", "object": "/x/bar_trap.bpf.o",
 *    "target": "0000:00:11.0", "priority": 5, "migration": false,
 *    "parameters": {"trap_len": "0x1000"}}
 */
#ifndef BPFD_REQUEST_H
#define BPFD_REQUEST_H

#include <stddef.h>

struct json_object;

/*
 * The config text of @req, malloc'ed; NULL with "attach: KEY: why" in @why
 * when a member cannot be a key (not a word, or a value that is not a
 * string, number or boolean, or that a config line could not keep).
 */
char *bpfd_request_text(struct json_object *req, char *why, size_t whylen);

#endif
