/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VC_ERRNAME_H
#define VC_ERRNAME_H

/*
 * Symbolic name of an errno value ("EINVAL"). A negative value is taken as
 * a negated errno, as the kernel returns them. Unknown values come back as
 * "E<number>", so the result is never NULL and never depends on the locale.
 */
const char *vc_errname(int err);

#endif
