/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Prometheus text endpoint (GET /metrics, over HTTP with libmicrohttpd
 * on its own thread): every vfio-pci-bpf device's sysfs counters, each file read once
 * per scrape.  Series and labels are listed in docs/daemon.md.
 */
#ifndef BPFD_METRICS_H
#define BPFD_METRICS_H

#include <stddef.h>

/*
 * Connections served at once, from one address, and how long one may stay
 * idle: a scraper needs one, briefly.
 */
#define BPFD_METRICS_CONNECTIONS 64
#define BPFD_METRICS_PER_ADDRESS 8
#define BPFD_METRICS_TIMEOUT_S 10

struct bpfd_metrics;

/* Listens on ADDR:PORT (an IPv4 address); NULL with @err set on failure. */
struct bpfd_metrics *bpfd_metrics_start(const char *listen, char *err, size_t errlen);
void bpfd_metrics_stop(struct bpfd_metrics *m);

struct json_object;

/* The exposition text for @devices (as vpb_json_devices() reads them), malloc'ed. */
char *bpfd_metrics_render(struct json_object *devices, size_t *len);

#endif
