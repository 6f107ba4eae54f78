/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VC_CHECK_H
#define VC_CHECK_H

#include <stdbool.h>

/* Tally of the "ok NAME" / "FAIL NAME: DETAIL" lines a check mode prints. */
struct vc_checks {
	unsigned int ok;
	unsigned int failed;
};

/* Prints one line; @fmt describes the failure and is used only when !@ok. */
__attribute__((format(printf, 4, 5))) bool vc_check(struct vc_checks *c, bool ok, const char *name,
						    const char *fmt, ...);

#endif
