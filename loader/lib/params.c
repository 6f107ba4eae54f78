// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdf.h"
#include "params.h"
#include "vfio_pci_bpf.h"

int vpb_parse_bdf(const char *text, uint32_t *addr)
{
	struct vc_bdf b;
	int ret = vc_bdf_parse(text, &b, NULL, 0);

	if (ret)
		return ret;
	if (b.domain > 0xffff)
		return -ERANGE;
	*addr = VFIO_PCI_BPF_ADDR(b.domain, b.bus, b.dev, b.fn);
	return 0;
}

void vpb_format_bdf(uint32_t addr, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%x", VFIO_PCI_BPF_ADDR_DOMAIN(addr),
		 VFIO_PCI_BPF_ADDR_BUS(addr), VFIO_PCI_BPF_ADDR_DEV(addr),
		 VFIO_PCI_BPF_ADDR_FN(addr));
}

int vpb_parse_class(const char *text, uint32_t *code, uint32_t *mask)
{
	char buf[32], *slash;
	int64_t c, m = 0xffffff;

	if (strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (vpb_parse_number(buf, &c) || (slash && vpb_parse_number(slash, &m)) || c < 0 ||
	    m <= 0 || m > 0xffffff || (c & ~m))
		return -EINVAL;
	*code = c;
	*mask = m;
	return 0;
}

int vpb_parse_number(const char *text, int64_t *value)
{
	char *end;

	if (!*text)
		return -EINVAL;
	errno = 0;
	if (*text == '-')
		*value = strtoll(text, &end, 0);
	else
		*value = (int64_t)strtoull(text, &end, 0);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

int vpb_parse_int(const char *text, int64_t min, int64_t max, int64_t *value)
{
	int64_t v;
	int ret = vpb_parse_number(text, &v);

	if (ret)
		return ret;
	/* Above INT64_MAX strtoull's value reads as negative: 2^64-1 is not -1. */
	if ((v < 0 && *text != '-') || v < min || v > max)
		return -ERANGE;
	*value = v;
	return 0;
}

static int vpb_fits(int64_t v, size_t size, int is_signed)
{
	if (size == 8)
		return 1;
	if (is_signed)
		return v >= -(1LL << (size * 8 - 1)) && v < (1LL << (size * 8 - 1));
	return v >= 0 && (uint64_t)v < (1ULL << (size * 8));
}

int vpb_store_values(const char *text, void *dst, size_t elem_size, size_t count, int is_signed)
{
	char *copy = strdup(text), *save = NULL, *tok;
	size_t n = 0;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	if (elem_size != 1 && elem_size != 2 && elem_size != 4 && elem_size != 8) {
		ret = -EINVAL;
		goto out;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int64_t v;

		if (n == count) {
			ret = -E2BIG;
			goto out;
		}
		if (vpb_parse_number(tok, &v) || !vpb_fits(v, elem_size, is_signed)) {
			ret = -ERANGE;
			goto out;
		}
		/* Little-endian targets only: copy the low bytes. */
		memcpy((char *)dst + n * elem_size, &v, elem_size);
		n++;
	}
	ret = n ? (int)n : -EINVAL;
out:
	free(copy);
	return ret;
}
