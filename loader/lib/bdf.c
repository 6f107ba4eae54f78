// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bdf.h"

/*
 * Read exactly @min..@max hex digits. strtoul() is not used because it
 * accepts signs, spaces and "0x", none of which belong in a sysfs name.
 */
static const char *hex_field(const char *p, int min, int max, unsigned int *val)
{
	unsigned int v = 0;
	int n = 0;

	while (n < max && isxdigit((unsigned char)p[n])) {
		int c = tolower((unsigned char)p[n]);

		v = v * 16 + (unsigned int)(isdigit(c) ? c - '0' : c - 'a' + 10);
		n++;
	}
	if (n < min)
		return NULL;
	*val = v;
	return p + n;
}

static int fail(char *why, size_t whylen, const char *s, const char *what)
{
	if (why && whylen)
		snprintf(why, whylen, "bad PCI address '%s': %s (want DDDD:BB:DD.F)", s, what);
	return -EINVAL;
}

int vc_bdf_parse(const char *s, struct vc_bdf *out, char *why, size_t whylen)
{
	struct vc_bdf b = { 0 };
	unsigned int first;
	const char *p;

	if (!s || !*s)
		return fail(why, whylen, s ? s : "", "empty");
	p = hex_field(s, 1, 8, &first);
	if (!p || *p != ':')
		return fail(why, whylen, s, "expected hex digits then ':'");
	/* Two colons mean the domain was given; one means it was left out. */
	if (strchr(p + 1, ':')) {
		b.domain = first;
		p = hex_field(p + 1, 2, 2, &b.bus);
		if (!p || *p != ':')
			return fail(why, whylen, s, "bus must be two hex digits");
	} else {
		if (p - s != 2)
			return fail(why, whylen, s, "bus must be two hex digits");
		b.bus = first;
	}
	p = hex_field(p + 1, 2, 2, &b.dev);
	if (!p || *p != '.')
		return fail(why, whylen, s, "device must be two hex digits then '.'");
	if (b.dev > 0x1f)
		return fail(why, whylen, s, "device is above 1f");
	p = hex_field(p + 1, 1, 1, &b.fn);
	if (!p)
		return fail(why, whylen, s, "function must be one digit 0-7");
	if (*p)
		return fail(why, whylen, s, "trailing characters");
	if (b.fn > 7)
		return fail(why, whylen, s, "function is above 7");
	*out = b;
	return 0;
}

void vc_bdf_format(const struct vc_bdf *bdf, char buf[VC_BDF_STRLEN])
{
	snprintf(buf, VC_BDF_STRLEN, "%04x:%02x:%02x.%x", bdf->domain, bdf->bus, bdf->dev, bdf->fn);
}
