// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>

#include "check.h"

bool vc_check(struct vc_checks *c, bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		c->ok++;
		printf("ok %s\n", name);
	} else {
		c->failed++;
		printf("FAIL %s: ", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		putchar('\n');
	}
	/* A test may be watching the output live, e.g. while a device hangs. */
	fflush(stdout);
	return ok;
}
