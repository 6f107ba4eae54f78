// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errname.h"

/* Kernel-internal codes that some drivers leak to userspace. */
#define VC_ENOTSUPP 524

/*
 * Our own table rather than only strerrorname_np(): reports are compared
 * across hosts, and a table keeps the spelling independent of the C library.
 * The preprocessor spells each name, so it can never drift from its value.
 */
#define E(x) [x] = #x
static const char *const names[] = {
	E(EPERM),     E(ENOENT),    E(ESRCH),	E(EINTR),	 E(EIO),       E(ENXIO),
	E(E2BIG),     E(ENOEXEC),   E(EBADF),	E(ECHILD),	 E(EAGAIN),    E(ENOMEM),
	E(EACCES),    E(EFAULT),    E(EBUSY),	E(EEXIST),	 E(EXDEV),     E(ENODEV),
	E(ENOTDIR),   E(EISDIR),    E(EINVAL),	E(ENFILE),	 E(EMFILE),    E(ENOTTY),
	E(ETXTBSY),   E(EFBIG),	    E(ENOSPC),	E(ESPIPE),	 E(EROFS),     E(EPIPE),
	E(EDOM),      E(ERANGE),    E(EDEADLK), E(ENAMETOOLONG), E(ENOSYS),    E(ENODATA),
	E(EPROTO),    E(EOVERFLOW), E(EBADFD),	E(EOPNOTSUPP),	 E(ETIMEDOUT), E(ENOTCONN),
	E(EHWPOISON), E(ENOMEDIUM),
};
#undef E

const char *vc_errname(int err)
{
	static __thread char buf[24];
	const char *name = NULL;

	if (err < 0)
		err = -err;
	if ((size_t)err < sizeof(names) / sizeof(names[0]))
		name = names[err];
	if (!name && err == VC_ENOTSUPP)
		name = "ENOTSUPP";
	if (!name && err > 0)
		name = strerrorname_np(err);
	if (name)
		return name;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}
