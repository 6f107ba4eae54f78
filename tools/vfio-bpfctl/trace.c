// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-bpfctl trace: the access events registered policies stream (the
 * shipped ones, attached with --set emit_events=1, through a ring buffer
 * map named "events"), one line each, optionally for one device.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "params.h"
#include "registry.h"
#include "trace.h"

static const char *const hook_names[] = { VFIO_PCI_BPF_HOOK_NAMES };

struct trace_ctx {
	uint32_t device; /* 0: every device */
	long left;	 /* events still to print, or -1 */
};

int vpb_print_event(void *ctx, void *data, size_t len)
{
	const struct vfio_pci_bpf_event *e = data;
	struct trace_ctx *t = ctx;
	char bdf[16];

	if (len < sizeof(*e) || (t && t->device && e->addr != t->device) || (t && !t->left))
		return 0;
	vpb_format_bdf(e->addr, bdf, sizeof(bdf));
	printf("%llu %s %s bar=%u off=0x%llx size=%u value=0x%llx verdict=%u\n",
	       (unsigned long long)e->timestamp_ns, bdf,
	       e->hook < VFIO_PCI_BPF_NR_HOOKS ? hook_names[e->hook] : "?", e->bar,
	       (unsigned long long)e->offset, e->size, (unsigned long long)e->value, e->verdict);
	fflush(stdout);
	if (t && t->left > 0)
		t->left--;
	return 0;
}

struct buffers {
	struct ring_buffer *rb;
	struct trace_ctx *t;
	uint32_t ids[64]; /* maps added already: programs share them */
	int n;
};

static void add_map(struct buffers *b, uint32_t id)
{
	struct bpf_map_info m = {};
	uint32_t len = sizeof(m);
	int fd;

	for (int i = 0; i < b->n; i++)
		if (b->ids[i] == id)
			return;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return;
	/* The fd stays open: the ring buffer polls it. */
	if (b->n == (int)(sizeof(b->ids) / sizeof(b->ids[0])) ||
	    bpf_map_get_info_by_fd(fd, &m, &len) || m.type != BPF_MAP_TYPE_RINGBUF ||
	    strcmp(m.name, "events") ||
	    (b->rb ? ring_buffer__add(b->rb, fd, vpb_print_event, b->t)
		   : !(b->rb = ring_buffer__new(fd, vpb_print_event, b->t, NULL)))) {
		close(fd);
		return;
	}
	b->ids[b->n++] = id;
}

/* The "events" ring buffers of the registered policies' programs. */
static int add_policy_buffers(const struct vpb_registered *r, void *ctx)
{
	struct buffers *b = ctx;

	for (int hook = 0; hook < VFIO_PCI_BPF_NR_HOOKS; hook++) {
		struct bpf_prog_info info = {};
		uint32_t ids[16], len = sizeof(info);
		int fd = r->prog_id[hook] ? bpf_prog_get_fd_by_id(r->prog_id[hook]) : -1;

		if (fd < 0)
			continue;
		info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
		info.map_ids = (uintptr_t)ids;
		if (!bpf_prog_get_info_by_fd(fd, &info, &len))
			for (uint32_t i = 0;
			     i < info.nr_map_ids && i < sizeof(ids) / sizeof(ids[0]); i++)
				add_map(b, ids[i]);
		close(fd);
	}
	return 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int vpb_cmd_trace(int argc, char **argv)
{
	struct trace_ctx t = { .left = -1 };
	struct buffers b = { .t = &t };
	long seconds = -1;
	time_t end;

	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--device") &&
		    !vpb_parse_bdf(argv[i + 1], &t.device))
			i++;
		else if (i + 1 < argc && !strcmp(argv[i], "--count") &&
			 (t.left = atol(argv[++i])) > 0)
			;
		else if (i + 1 < argc && !strcmp(argv[i], "--seconds") &&
			 (seconds = atol(argv[++i])) > 0)
			;
		else {
			fprintf(stderr, "usage: vfio-bpfctl trace [--device BDF] [--count N] "
					"[--seconds S]\n");
			return 2;
		}
	}
	if (vpb_for_each_registered(add_policy_buffers, &b) < 0 || !b.rb) {
		fprintf(stderr, "vfio-bpfctl: no registered policy streams events (attach one with "
				"--set emit_events=1)\n");
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	end = time(NULL) + seconds;
	while (!stop && t.left && (seconds < 0 || time(NULL) < end)) {
		int n = ring_buffer__poll(b.rb, 100);

		if (n < 0 && n != -EINTR)
			break;
	}
	ring_buffer__free(b.rb);
	return 0;
}
