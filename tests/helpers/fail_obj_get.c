// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD fault injection for t-daemon: while the file named by
 * $VPB_FAIL_OBJ_GET exists, libbpf's bpf_obj_get() fails with EMFILE, as it
 * does when the process has run out of file descriptors.  The daemon must
 * take that for "cannot tell", never for "the kernel detached the link".
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

int bpf_obj_get(const char *pathname)
{
	static int (*real)(const char *);
	const char *flag = getenv("VPB_FAIL_OBJ_GET");

	if (flag && !access(flag, F_OK)) {
		errno = EMFILE;
		return -EMFILE;
	}
	if (!real)
		real = (int (*)(const char *))dlsym(RTLD_NEXT, "bpf_obj_get");
	return real(pathname);
}
