// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "metrics.h"
#include "sysfs_json.h"

struct bpfd_metrics {
	struct MHD_Daemon *httpd;
};

/* The labels every series of one device carries. */
static void device_labels(struct json_object *dev, char *buf, size_t len)
{
	const char *policies = vpb_json_field(dev, "policies");

	snprintf(buf, len, "device=\"%s\",pf=\"%s\",vf_index=\"%s\",policies=\"%s\"",
		 vpb_json_field(dev, "device"), vpb_json_field(dev, "pf"),
		 vpb_json_field(dev, "vf_index"), strcmp(policies, "-") ? policies : "");
}

/* Counters that are not per hook: sysfs name, metric name, help. */
static const char *const plain[][3] = {
	{ "ioctls", "ioctls_total", "Device-fd ioctls that ran the ioctl hooks." },
	{ "trapped_reads", "trapped_reads_total", "Reads of trapped BAR ranges." },
	{ "trapped_writes", "trapped_writes_total", "Writes to trapped BAR ranges." },
	{ "attaches", "attaches_total", "Policy attaches on the device." },
	{ "detaches", "detaches_total", "Policy detaches from the device." },
	{ "migration.arcs", "migration_arcs_total", "Migration state arcs taken." },
	{ "migration.saved_bytes", "migration_saved_bytes_total", "Migration stream bytes saved." },
	{ "migration.loaded_bytes", "migration_loaded_bytes_total",
	  "Migration stream bytes loaded." },
	{ "migration.refused", "migration_refused_total", "Migration streams refused." },
};
#define NR_PLAIN (sizeof(plain) / sizeof(plain[0]))

/* One family's series of one device, in the order of its counters file. */
static void render_device(FILE *out, struct json_object *dev, int pass)
{
	char labels[720], hook[32], stat[16];
	unsigned long long value;

	device_labels(dev, labels, sizeof(labels));
	json_object_object_foreach(dev, key, val)
	{
		/* Identity members are text; every counter is a number. */
		if (!json_object_is_type(val, json_type_int))
			continue;
		value = json_object_get_uint64(val);
		if (sscanf(key, "hook.%31[^.].%15s", hook, stat) == 2) {
			if (pass == 0 && !strcmp(stat, "ns"))
				fprintf(out,
					"vfio_pci_bpf_hook_seconds_total{%s,hook=\"%s\"} "
					"%llu.%09llu\n",
					labels, hook, value / 1000000000ULL, value % 1000000000ULL);
			else if (pass == 1 && strcmp(stat, "ns") && strcmp(stat, "calls"))
				fprintf(out,
					"vfio_pci_bpf_hook_verdicts_total{%s,hook=\"%s\",verdict="
					"\"%s\"} %llu\n",
					labels, hook, stat, value);
			continue;
		}
		for (size_t i = 0; i < NR_PLAIN; i++)
			if (pass == 2 + (int)i && !strcmp(key, plain[i][0]))
				fprintf(out, "vfio_pci_bpf_%s{%s} %llu\n", plain[i][1], labels,
					value);
	}
}

static void header(FILE *out, const char *name, const char *help)
{
	fprintf(out, "# HELP vfio_pci_bpf_%s %s\n# TYPE vfio_pci_bpf_%s counter\n", name, help,
		name);
}

char *bpfd_metrics_render(struct json_object *devices, size_t *len)
{
	char *text = NULL;
	FILE *out = open_memstream(&text, len);

	if (!out)
		return NULL;
	/* Prometheus wants each family's samples together: one pass per family. */
	for (int pass = 0; pass < 2 + (int)NR_PLAIN; pass++) {
		if (pass == 0)
			header(out, "hook_seconds_total",
			       "Time spent in a hook's policies (sampled).");
		else if (pass == 1)
			header(out, "hook_verdicts_total", "Policy hook calls by verdict.");
		else
			header(out, plain[pass - 2][1], plain[pass - 2][2]);
		for (size_t i = 0; i < json_object_array_length(devices); i++)
			render_device(out, json_object_array_get_idx(devices, i), pass);
	}
	fclose(out);
	return text;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned int status = MHD_HTTP_OK;
	size_t len = 0;
	char *text = NULL;

	(void)cls, (void)version, (void)upload_data, (void)upload_data_size, (void)con_cls;
	if (strcmp(method, "GET")) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (strcmp(url, "/metrics")) {
		status = MHD_HTTP_NOT_FOUND;
	} else {
		/* Each device's counters file read once, whatever the number of series. */
		struct json_object *devices = vpb_json_devices();

		text = bpfd_metrics_render(devices, &len);
		json_object_put(devices);
		if (!text)
			status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	if (!text) {
		static const char *const why = "GET /metrics is all there is\n";

		resp = MHD_create_response_from_buffer(strlen(why), (void *)why,
						       MHD_RESPMEM_PERSISTENT);
	} else {
		resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
		MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4");
	}
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

struct bpfd_metrics *bpfd_metrics_start(const char *listen, char *err, size_t errlen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct bpfd_metrics *m;
	char host[64];
	unsigned int port;

	if (sscanf(listen, "%63[^:]:%u", host, &port) != 2 || port == 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "--metrics '%s': ADDRESS:PORT expected, e.g. 127.0.0.1:9477",
			 listen);
		return NULL;
	}
	sa.sin_port = htons(port);
	m = calloc(1, sizeof(*m));
	/*
	 * Any local user (or hostNetwork pod) can connect: bounded, so that idle
	 * connections cannot take the descriptors the daemon's own work needs
	 * (see the unit's LimitNOFILE=), and polled with epoll, not select.
	 */
	if (m)
		m->httpd = MHD_start_daemon(
			MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, port,
			NULL, NULL, answer, NULL, MHD_OPTION_SOCK_ADDR, &sa,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned int)BPFD_METRICS_CONNECTIONS,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)BPFD_METRICS_PER_ADDRESS,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)BPFD_METRICS_TIMEOUT_S,
			MHD_OPTION_END);
	if (!m || !m->httpd) {
		snprintf(err, errlen, "cannot listen on %s: %s", listen, strerror(errno));
		free(m);
		return NULL;
	}
	return m;
}

void bpfd_metrics_stop(struct bpfd_metrics *m)
{
	if (m) {
		MHD_stop_daemon(m->httpd);
		free(m);
	}
}
