// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-bpfctl: attach, swap and detach vfio-pci-bpf policies, through
 * vfio-bpfd when it runs (daemon.h) or alone with libbpf, and read the
 * devices' counters from sysfs.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <json-c/json.h>
#include <linux/magic.h>

#include "daemon.h"
#include "params.h"
#include "policy.h"
#include "registry.h"
#include "trace.h"
#include "views.h"
#include "vfio_pci_bpf.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: vfio-bpfctl [--no-daemon | --control SOCKET] VERB ...\n"
		"       vfio-bpfctl attach OBJECT [POLICY-OPTIONS] [--pin PATH] [--events]\n"
		"       vfio-bpfctl swap PIN OBJECT [POLICY-OPTIONS]\n"
		"       vfio-bpfctl detach NAME|PIN\n"
		"       vfio-bpfctl stats [BDF] [--json]\n"
		"       vfio-bpfctl devices [--json]\n"
		"       vfio-bpfctl top [--interval SECONDS] [--count N]\n"
		"       vfio-bpfctl trace [--device BDF] [--count N] [--seconds S]\n"
		"       vfio-bpfctl policies\n"
		"       vfio-bpfctl --version\n"
		"POLICY-OPTIONS: --target BDF --vendor ID --device ID --vfs-of PF-BDF --class "
		"C[/M]\n"
		"                --priority N --name NAME\n"
		"                --set NAME=VALUE[,VALUE...] (repeatable)\n"
		"When vfio-bpfd answers on SOCKET (" VPB_DAEMON_SOCKET "),\n"
		"attach (without --pin or --events) and detach go through it and it owns the\n"
		"entry; otherwise, or with --no-daemon, vfio-bpfctl works alone: attach\n"
		"without --pin stays in the foreground until interrupted.\n"
		"Exit status: 0 success, 1 the operation failed, 2 bad usage.\n");
	return 2;
}

static int parse_id(const char *text, uint16_t *id)
{
	int64_t v;

	if (vpb_parse_int(text, 0, 0xffff, &v)) {
		fprintf(stderr, "vfio-bpfctl: bad PCI ID '%s'\n", text);
		return -1;
	}
	*id = v;
	return 0;
}

static int parse_addr(const char *text, uint32_t *addr)
{
	if (vpb_parse_bdf(text, addr)) {
		fprintf(stderr, "vfio-bpfctl: bad PCI address '%s'\n", text);
		return -1;
	}
	return 0;
}

/* Parse POLICY-OPTIONS and the command's own; the object is positional. */
static int parse_policy_args(int argc, char **argv, struct vpb_policy_opts *o, const char **pin,
			     int *events)
{
	static const struct option longopts[] = { { "target", required_argument, NULL, 't' },
						  { "vendor", required_argument, NULL, 'v' },
						  { "device", required_argument, NULL, 'd' },
						  { "priority", required_argument, NULL, 'p' },
						  { "set", required_argument, NULL, 's' },
						  { "pin", required_argument, NULL, 'P' },
						  { "events", no_argument, NULL, 'e' },
						  { "name", required_argument, NULL, 'n' },
						  { "vfs-of", required_argument, NULL, 'F' },
						  { "class", required_argument, NULL, 'C' },
						  {} };
	int64_t prio;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_addr(optarg, &o->target))
				return -1;
			o->has_target = true;
			break;
		case 'v':
			if (parse_id(optarg, &o->vendor))
				return -1;
			o->has_vendor = true;
			break;
		case 'C':
			if (vpb_parse_class(optarg, &o->class_code, &o->class_mask)) {
				fprintf(stderr,
					"vfio-bpfctl: bad class '%s' (CODE[/MASK], 24 bits, no "
					"CODE bit "
					"outside MASK)\n",
					optarg);
				return -1;
			}
			o->has_class = true;
			break;
		case 'F':
			if (parse_addr(optarg, &o->vfs_of))
				return -1;
			o->has_vfs_of = true;
			break;
		case 'd':
			if (parse_id(optarg, &o->device))
				return -1;
			o->has_device = true;
			break;
		case 'p':
			if (vpb_parse_int(optarg, INT32_MIN, INT32_MAX, &prio)) {
				fprintf(stderr, "vfio-bpfctl: bad priority '%s'\n", optarg);
				return -1;
			}
			o->priority = prio;
			o->has_priority = true;
			break;
		case 'n':
			o->name = optarg;
			break;
		case 's':
			if (o->nr_params == VPB_MAX_PARAMS) {
				fprintf(stderr, "vfio-bpfctl: at most %d --set\n", VPB_MAX_PARAMS);
				return -1;
			}
			o->params[o->nr_params++] = optarg;
			break;
		case 'P':
			if (!pin)
				return -1;
			*pin = optarg;
			break;
		case 'e':
			if (!events)
				return -1;
			*events = 1;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc - 1)
		return -1;
	o->object = argv[optind];
	return 0;
}

static const char *const hook_names[] = { VFIO_PCI_BPF_HOOK_NAMES };

static int epoll_add(int epfd, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/*
 * Foreground: hold the link (and stream events) until a signal, or until
 * the kernel detaches it because its device went away (EPOLLHUP).
 */
static int hold(struct vpb_loaded *p, int events)
{
	struct ring_buffer *rb = NULL;
	struct epoll_event ev;
	int epfd, n, ret = 0;
	struct bpf_map *map;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0 || epoll_add(epfd, bpf_link__fd(p->link), EPOLLHUP)) {
		fprintf(stderr, "vfio-bpfctl: epoll: %s\n", strerror(errno));
		return 1;
	}
	if (events) {
		map = bpf_object__find_map_by_name(p->obj, "events");
		rb = map ? ring_buffer__new(bpf_map__fd(map), vpb_print_event, NULL, NULL) : NULL;
		if (!rb || epoll_add(epfd, ring_buffer__epoll_fd(rb), EPOLLIN)) {
			fprintf(stderr, "vfio-bpfctl: %s\n",
				map ? strerror(errno) : "this policy has no event stream");
			ret = 1;
			goto out;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("attached; interrupt to detach\n");
	fflush(stdout);
	while (!stop) {
		n = epoll_wait(epfd, &ev, 1, 500);
		if (n < 0 && errno != EINTR) {
			ret = 1;
			break;
		}
		if (n <= 0)
			continue;
		if (ev.data.fd == bpf_link__fd(p->link)) {
			printf("detached by the kernel: its device went away\n");
			break;
		}
		ring_buffer__consume(rb);
	}
out:
	ring_buffer__free(rb);
	close(epfd);
	return ret;
}

/* A policy for a device not bound yet is registered and waits for it. */
static void say_if_pending(uint32_t target)
{
	char bdf[16], path[96];

	vpb_format_bdf(target, bdf, sizeof(bdf));
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/" VFIO_PCI_BPF_DRIVER_NAME "/%s", bdf);
	if (access(path, F_OK))
		fprintf(stderr,
			"vfio-bpfctl: pending: %s is not bound to vfio-pci-bpf yet; the policy "
			"attaches when it binds\n",
			bdf);
}

static int cmd_attach(int argc, char **argv)
{
	struct vpb_policy_opts o = {};
	char object[PATH_MAX];
	const char *pin = NULL;
	struct vpb_loaded p;
	int events = 0, ret;
	char err[512];

	if (parse_policy_args(argc, argv, &o, &pin, &events))
		return usage();
	/* The daemon runs elsewhere (in /, in a sandbox): it gets the object's full path. */
	if (!realpath(o.object, object)) {
		fprintf(stderr, "vfio-bpfctl: %s: %s\n", o.object, strerror(errno));
		return 1;
	}
	o.object = object;
	/* A pin of one's own, or an event stream, is vfio-bpfctl's alone. */
	ret = pin || events ? -1 : vpb_daemon_attach(&o);
	if (ret >= 0) {
		if (!ret && o.has_target)
			say_if_pending(o.target);
		return ret;
	}
	if (vpb_policy_load(&o, &p, err, sizeof(err)) || vpb_policy_attach(&p, err, sizeof(err))) {
		fprintf(stderr, "vfio-bpfctl: %s\n", err);
		vpb_policy_close(&p);
		return 1;
	}
	if (o.has_target)
		say_if_pending(o.target);
	if (pin) {
		ret = bpf_link__pin(p.link, pin);
		if (ret)
			fprintf(stderr, "vfio-bpfctl: pin %s: %s\n", pin, strerror(-ret));
		vpb_policy_close(&p);
		return ret ? 1 : 0;
	}
	ret = hold(&p, events);
	vpb_policy_close(&p);
	return ret;
}

static int cmd_swap(int argc, char **argv)
{
	struct vpb_policy_opts o = {};
	struct vpb_loaded p;
	char err[512];
	int ret;

	if (argc < 3 || parse_policy_args(argc - 1, argv + 1, &o, NULL, NULL))
		return usage();
	ret = vpb_policy_load(&o, &p, err, sizeof(err));
	if (!ret)
		ret = vpb_policy_swap(argv[1], &p, err, sizeof(err));
	if (ret)
		fprintf(stderr, "vfio-bpfctl: %s\n", err);
	vpb_policy_close(&p);
	return ret ? 1 : 0;
}

static int cmd_detach(int argc, char **argv)
{
	char why[PATH_MAX + 128];
	struct statfs fs;
	int ret;

	if (argc != 2)
		return usage();
	/* An entry of the daemon's goes through it: otherwise it would attach it again. */
	ret = vpb_daemon_detach(argv[1]);
	if (ret >= 0)
		return ret;
	if (!strchr(argv[1], '/')) {
		fprintf(stderr,
			"vfio-bpfctl: detach %s: no vfio-bpfd answers on %s%s; detach a pin by its "
			"path\n",
			argv[1], vpb_daemon_socket, vpb_no_daemon ? " (--no-daemon)" : "");
		return 1;
	}
	/* Only ever remove a policy's pin, never another file or another project's object. */
	if (statfs(argv[1], &fs) || fs.f_type != BPF_FS_MAGIC) {
		fprintf(stderr, "vfio-bpfctl: %s is not a pinned link in bpffs\n", argv[1]);
		return 1;
	}
	if (vpb_pinned_policy(argv[1], why, sizeof(why)) != 1) {
		fprintf(stderr, "vfio-bpfctl: %s: not removed\n", why);
		return 1;
	}
	if (unlink(argv[1])) {
		fprintf(stderr, "vfio-bpfctl: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	return 0;
}

static int print_registered(const struct vpb_registered *r, void *owners)
{
	char target[24] = "-", ids[16], name[VFIO_PCI_BPF_NAME_LEN + 1];
	struct json_object *owner = NULL;
	int hook, n = 0;

	snprintf(name, sizeof(name), "%.*s", (int)sizeof(r->ops.name), r->ops.name);
	json_object_object_get_ex(owners, name, &owner);
	if (r->ops.target)
		vpb_format_bdf(r->ops.target, target, sizeof(target));
	else if (r->ops.vfs_of)
		vpb_format_bdf(r->ops.vfs_of, stpcpy(target, "vfs:"), sizeof(target) - 4);
	snprintf(ids, sizeof(ids), "%04x:%04x", r->ops.vendor, r->ops.device);
	printf("%-6u %-20s %-13s %-10s %-5d %-7s", r->map_id, name, target, ids, r->ops.priority,
	       owner ? json_object_get_string(owner) : "-");
	for (hook = 0; hook < VFIO_PCI_BPF_NR_HOOKS; hook++)
		if (r->prog_id[hook])
			printf("%s%s=%u", n++ ? "," : " ", hook_names[hook], r->prog_id[hook]);
	printf("\n");
	return 0;
}

/*
 * Every registered policy, read through the module's BTF with any bpftool;
 * its OWNER is the daemon's word (a runtime or config entry of vfio-bpfd).
 */
static int cmd_policies(int argc, char **argv)
{
	struct json_object *owners;
	int ret;

	(void)argv;
	if (argc != 1)
		return usage();
	owners = vpb_daemon_owners();
	printf("%-6s %-20s %-13s %-10s %-5s %-7s %s\n", "MAP", "NAME", "TARGET", "IDS", "PRIO",
	       "OWNER", "HOOKS (prog id)");
	ret = vpb_for_each_registered(print_registered, owners);
	json_object_put(owners);
	if (ret < 0) {
		fprintf(stderr, "vfio-bpfctl: cannot list struct_ops maps: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}

#define POLICY_OPTIONS_HELP                                                                        \
	"  --target BDF        one device (it may bind later: the policy waits)\n"                 \
	"  --vendor ID, --device ID   every device with these IDs, now and later\n"                \
	"  --vfs-of PF-BDF     only the VFs of this PF\n"                                          \
	"  --priority N        lower runs first in a device's chain\n"                             \
	"  --name NAME         the policy's name in sysfs and logs\n"                              \
	"  --set NAME=VALUE[,VALUE...]   a .rodata parameter of the object (repeatable)\n"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "attach", cmd_attach,
	  "vfio-bpfctl attach OBJECT [POLICY-OPTIONS] [--pin PATH] [--events]\n"
	  "Registers the policy in OBJECT.  When vfio-bpfd runs (and neither --pin nor\n"
	  "--events is given), through the daemon: a runtime entry named --name (default:\n"
	  "OBJECT's file name up to its first dot) that it keeps through reloads and\n"
	  "restarts, and the command returns.  Otherwise (or with --no-daemon) alone: with\n"
	  "--pin its link is pinned and the command returns, without it the command holds\n"
	  "the policy until interrupted (--events prints the events it streams).\n"
	  "" POLICY_OPTIONS_HELP },
	{ "swap", cmd_swap,
	  "vfio-bpfctl swap PIN OBJECT [POLICY-OPTIONS]\n"
	  "Replaces the policy behind the pinned link on every device at once; the new one\n"
	  "keeps target, vendor, device and vfs-of.\n" POLICY_OPTIONS_HELP },
	{ "detach", cmd_detach,
	  "vfio-bpfctl detach NAME|PIN\n"
	  "NAME: vfio-bpfd detaches its runtime entry NAME.  PIN: a pin in the daemon's pin\n"
	  "folder is its entry, detached through it; any other pin is removed.\n" },
	{ "stats", vpb_cmd_stats,
	  "vfio-bpfctl stats [BDF] [--json]\nOne device's sysfs counters, or every device's.\n" },
	{ "policies", cmd_policies,
	  "vfio-bpfctl policies\n"
	  "Every registered policy: map, name, match, priority, owner (vfio-bpfd's\n"
	  "runtime or config entry, as the daemon says; '-' without one), hooks.\n" },
	{ "devices", vpb_cmd_devices,
	  "vfio-bpfctl devices [--json]\n"
	  "Every vfio-pci-bpf device with its IDs, role and chain, and pending policies.\n" },
	{ "trace", vpb_cmd_trace,
	  "vfio-bpfctl trace [--device BDF] [--count N] [--seconds S]\n"
	  "The accesses registered policies stream (attached with --set emit_events=1),\n"
	  "one line each: time, device, hook, BAR, offset, size, value, verdict.\n" },
	{ "top", vpb_cmd_top,
	  "vfio-bpfctl top [--interval SECONDS] [--count N]\n"
	  "Per-device rates of ioctls, config and trapped BAR accesses, refreshed in place.\n" },
};

/* --no-daemon and --control SOCKET, wherever they stand: removed from @argv. */
static int take_daemon_options(int argc, char **argv)
{
	int out = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-daemon")) {
			vpb_no_daemon = true;
		} else if (!strcmp(argv[i], "--control") && i + 1 < argc) {
			vpb_daemon_socket = argv[++i];
		} else {
			argv[out++] = argv[i];
		}
	}
	argv[out] = NULL;
	return out;
}

int main(int argc, char **argv)
{
	size_t i;

	argc = take_daemon_options(argc, argv);
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "--version")) {
		printf("vfio-bpfctl %s\n", VPB_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		if (argc == 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
			printf("usage: %s", commands[i].help);
			return 0;
		}
		return commands[i].run(argc - 1, argv + 1);
	}
	return usage();
}
