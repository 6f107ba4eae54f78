// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-bpfd: keeps the vfio-pci-bpf policies a config directory names
 * attached, through restarts, reloads (SIGHUP or a change in the
 * directory) and devices coming and going.  It registers every entry at
 * start; a policy for a device not bound yet waits in the kernel and
 * attaches when the device binds, before any VMM can open it.  Stopping
 * the daemon leaves every policy attached.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "config.h"
#include "control.h"
#include "dirs.h"
#include "devices.h"
#include "metrics.h"
#include "log.h"
#include "reconcile.h"

#define DEFAULT_CONFIG_DIR "/etc/vfio-pci-bpf/policies.d"
#define DEFAULT_PIN_DIR "/sys/fs/bpf/vfio-pci-bpf"
#define DEFAULT_STATE_DIR "/run/vfio-pci-bpf/entries"
#define DEFAULT_METRICS "127.0.0.1:9477"
#define DEFAULT_CONTROL "/run/vfio-pci-bpf/control.sock"
#define DRIVER_DIR "/sys/bus/pci/drivers/vfio-pci-bpf"

struct daemon {
	struct bpfd_paths paths;
	const char *config_dir;
	const char *metrics_at; /* ADDRESS:PORT or "off" */
	const char *control_at; /* socket path or "off" */
	gid_t control_group;
	struct bpfd_status status; /* of the last reconcile */
};

static int usage(FILE *f)
{
	fprintf(f, "usage: vfio-bpfd [--config-dir DIR] [--pin-dir DIR] [--state-dir DIR]\n"
		   "                 [--metrics ADDRESS:PORT|off] [--control PATH|off]\n"
		   "                 [--control-group GROUP] [--once]\n"
		   "       vfio-bpfd --check-config [--config-dir DIR]\n"
		   "Defaults: " DEFAULT_CONFIG_DIR ", " DEFAULT_PIN_DIR ", " DEFAULT_STATE_DIR ",\n"
		   "metrics (Prometheus text, GET /metrics) on " DEFAULT_METRICS ",\n"
		   "control socket " DEFAULT_CONTROL " (JSON; GROUP may reload, attach and\n"
		   "detach runtime entries besides root).\n"
		   "SIGHUP, a change in the config directory, a PCI bind or unbind, or a\n"
		   "reload on the control socket reconciles; SIGTERM stops the daemon and\n"
		   "leaves its policies attached.  Exit status: 0, 1 a config file was\n"
		   "refused (--check-config, --once) or the daemon cannot run, 2 bad usage.\n");
	return 2;
}

static int check_config(const char *dir)
{
	struct bpfd_config cfg;
	int ret = bpfd_read_config(dir, NULL, &cfg);

	if (ret) {
		fprintf(stderr, "vfio-bpfd: %s: %s\n", dir, strerror(-ret));
		return 1;
	}
	for (int i = 0; i < cfg.nr_errors; i++)
		fprintf(stderr, "vfio-bpfd: %s\n", cfg.errors[i]);
	for (int i = 0; i < cfg.nr_entries; i++)
		printf("%s: %s ok\n", cfg.entries[i].file, cfg.entries[i].name);
	ret = cfg.nr_errors ? 1 : 0;
	bpfd_free_config(&cfg);
	return ret;
}

static int count_devices(void)
{
	DIR *dir = opendir(DRIVER_DIR);
	struct dirent *d;
	int n = 0;

	while (dir && (d = readdir(dir)))
		n += strchr(d->d_name, ':') != NULL;
	if (dir)
		closedir(dir);
	return n;
}

/* Reads the config and reconciles; tells systemd and the control socket how it went. */
static int reload(struct daemon *d)
{
	struct bpfd_status *st = &d->status;
	struct bpfd_config cfg;
	int ret = bpfd_read_config(d->config_dir, d->paths.state_dir, &cfg);

	if (ret) {
		bpfd_err("%s: %s; nothing changed", d->config_dir, strerror(-ret));
		sd_notifyf(0, "READY=1\nSTATUS=config directory %s: %s", d->config_dir,
			   strerror(-ret));
		return 1;
	}
	bpfd_reconcile(&d->paths, &cfg, &st->summary);
	st->config_dir = d->config_dir;
	st->entries = cfg.nr_entries;
	st->nr_errors = cfg.nr_errors;
	for (int i = 0; i < cfg.nr_errors && i < BPFD_MAX_REPORTED_ERRORS; i++)
		snprintf(st->errors[i], sizeof(st->errors[i]), "%s", cfg.errors[i]);
	bpfd_info("reconciled: %d attached, %d swapped, %d replaced, %d unchanged, %d detached, "
		  "%d kept from refused files, %d failed",
		  st->summary.attached, st->summary.swapped, st->summary.replaced,
		  st->summary.unchanged, st->summary.detached, st->summary.kept,
		  st->summary.failed);
	sd_notifyf(0,
		   "READY=1\nSTATUS=%d policies from %s, %d devices bound, %d refused files, "
		   "%d failed entries",
		   cfg.nr_entries, d->config_dir, count_devices(), cfg.nr_errors,
		   st->summary.failed);
	ret = cfg.nr_errors || st->summary.failed;
	bpfd_free_config(&cfg);
	return ret;
}

static int watch(const char *dir)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd >= 0 && inotify_add_watch(fd, dir,
					 IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
						 IN_CREATE) < 0) {
		bpfd_warn("%s: cannot watch (%s); reload with SIGHUP", dir, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* An editor writes a file in several steps: wait until the directory is quiet. */
static void drain(int fd)
{
	char buf[4096];
	struct pollfd p = { .fd = fd, .events = POLLIN };

	do {
		while (read(fd, buf, sizeof(buf)) > 0)
			;
	} while (poll(&p, 1, 200) > 0);
}

/* What woke the daemon up. */
enum { WAKE_SIGNAL, WAKE_CONFIG, WAKE_DEVICES, WAKE_CONTROL, NR_WAKE };

static void reload_because(struct daemon *d, const char *why)
{
	sd_notify(0, "RELOADING=1");
	bpfd_info("%s: reloading", why);
	reload(d);
}

/* The metrics thread and the control socket, as configured. */
static int open_endpoints(struct daemon *d, struct bpfd_metrics **metrics,
			  struct bpfd_control **control)
{
	char err[256];

	*metrics = NULL;
	*control = NULL;
	if (strcmp(d->metrics_at, "off")) {
		*metrics = bpfd_metrics_start(d->metrics_at, err, sizeof(err));
		if (!*metrics)
			goto fail;
	}
	if (strcmp(d->control_at, "off")) {
		*control = bpfd_control_open(d->control_at, d->control_group, err, sizeof(err));
		if (!*control)
			goto fail;
	}
	return 0;
fail:
	bpfd_err("%s", err);
	bpfd_metrics_stop(*metrics);
	return 1;
}

static int serve(struct daemon *d)
{
	struct pollfd fds[NR_WAKE] = { [0 ... NR_WAKE - 1] = { .events = POLLIN } };
	struct bpfd_metrics *metrics;
	struct bpfd_control *control;
	struct bpfd_runtime runtime = { &d->paths, d->config_dir };
	struct bpfd_devices *devices;
	struct signalfd_siginfo si;
	sigset_t mask;

	/* Blocked before the metrics thread starts, which inherits the mask. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if (open_endpoints(d, &metrics, &control))
		return 1;
	devices = bpfd_devices_open();
	fds[WAKE_SIGNAL].fd = signalfd(-1, &mask, SFD_CLOEXEC);
	fds[WAKE_CONFIG].fd = watch(d->config_dir);
	fds[WAKE_DEVICES].fd = bpfd_devices_fd(devices);
	fds[WAKE_CONTROL].fd = bpfd_control_fd(control);
	reload(d);
	for (;;) {
		if (poll(fds, NR_WAKE, bpfd_control_timeout(control)) < 0 && errno != EINTR)
			return 1;
		if (fds[WAKE_CONFIG].revents & POLLIN) {
			drain(fds[WAKE_CONFIG].fd);
			reload_because(d, "the config directory changed");
		}
		/*
		 * A device bound or unbound: a target entry whose link the
		 * kernel detached at unbind is registered again, pending.
		 */
		if ((fds[WAKE_DEVICES].revents & POLLIN) && bpfd_devices_changed(devices))
			reload_because(d, "PCI devices changed");
		/* Also when no client spoke: one may be past its deadline. */
		if (bpfd_control_serve(control, &d->status, &runtime))
			reload_because(d, "a request on the control socket");
		if (!(fds[WAKE_SIGNAL].revents & POLLIN) ||
		    read(fds[WAKE_SIGNAL].fd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo != SIGHUP)
			break;
		reload_because(d, "SIGHUP");
	}
	bpfd_control_close(control);
	bpfd_devices_close(devices);
	bpfd_metrics_stop(metrics);
	sd_notify(0, "STOPPING=1");
	bpfd_info("stopping; the policies stay attached");
	return 0;
}

static int parse_group(const char *name, gid_t *gid)
{
	struct group *g = getgrnam(name);

	if (!g) {
		fprintf(stderr, "vfio-bpfd: --control-group %s: no such group\n", name);
		return -1;
	}
	*gid = g->gr_gid;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config-dir", required_argument, NULL, 'c' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "control", required_argument, NULL, 'S' },
		{ "control-group", required_argument, NULL, 'g' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "once", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d = {
		.paths = { DEFAULT_PIN_DIR, DEFAULT_STATE_DIR },
		.config_dir = DEFAULT_CONFIG_DIR,
		.metrics_at = DEFAULT_METRICS,
		.control_at = DEFAULT_CONTROL,
		.control_group = (gid_t)-1,
	};
	int opt, check = 0, once = 0;
	char err[BPFD_PATH_LEN + 160];

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			d.config_dir = optarg;
			break;
		case 'p':
			d.paths.pin_dir = optarg;
			break;
		case 's':
			d.paths.state_dir = optarg;
			break;
		case 'm':
			d.metrics_at = optarg;
			break;
		case 'S':
			d.control_at = optarg;
			break;
		case 'g':
			if (parse_group(optarg, &d.control_group))
				return 2;
			break;
		case 'C':
			check = 1;
			break;
		case 'o':
			once = 1;
			break;
		case 'h':
			return usage(stdout), 0;
		default:
			return usage(stderr);
		}
	}
	if (optind != argc)
		return usage(stderr);
	if (check)
		return check_config(d.config_dir);
	if (bpfd_make_dirs(&d.paths, err, sizeof(err)) ||
	    bpfd_lock_state(&d.paths, err, sizeof(err))) {
		bpfd_err("%s", err);
		return 1;
	}
	return once ? reload(&d) : serve(&d);
}
