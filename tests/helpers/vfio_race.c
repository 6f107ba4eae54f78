// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-race: a hostile VMM for the tests.  Each mode races a second thread
 * against the driver's use of the VMM's own memory, or probes an ordering,
 * and prints one line of counts that the test checks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/ioctl.h>

#include "bdf.h"
#include "errname.h"
#include "ops.h"
#include "vfio.h"

#define VC_REGION_OFFSET(index) ((uint64_t)(index) << 40)

static void usage(void)
{
	fprintf(stderr,
		"usage: vfio-race BDF MODE ARGS...\n"
		"  write OFF GOOD BAD N      write a config byte from a buffer another thread\n"
		"                            flips between GOOD and BAD; read back after each\n"
		"  read-watch OFF SIZE HIDDEN N  read config into a buffer another thread\n"
		"                            watches for HIDDEN\n"
		"  read-scribble OFF SIZE N  read config into a buffer another thread scribbles "
		"on\n"
		"  deny-read OFF SIZE        one read; prints its errno and whether the buffer "
		"changed\n"
		"  ioeventfd BAR TRAPPED FREE N  register ioeventfds at an offset another thread\n"
		"                            flips between TRAPPED and FREE\n"
		"  first-open BAR            retry until the device opens, then show BAR's sparse "
		"mmap\n"
		"  open-close N              open the device, read BAR0's first dword, close; N "
		"times\n"
		"  bounce-attack OFF VALUE   a config write, then every way to change or drop the\n"
		"                            page the module handed vfio-pci-core the value in\n"
		"  rebind-writes N OFF DENIED ALLOWED  N rounds of open, config writes of\n"
		"                            DENIED and ALLOWED, close, each then waiting for\n"
		"                            SIGUSR1; then the bounce pages mapped\n"
		"  script OP ARGS...         run vfio-client ops in one session; the op 'wait'\n"
		"                            prints 'holding' and waits for SIGUSR1\n");
	exit(2);
}

static uint64_t num(const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s)
		usage();
	return v;
}

static atomic_bool stop;

/* The buffer the driver reads from or writes to, shared with the racer. */
static volatile uint64_t shared;
static uint64_t flip_a, flip_b;
static atomic_ulong seen_hidden;
static uint64_t hidden;

/* Holds each value about as long as the other. */
static void linger(void)
{
	for (int i = 0; i < 64 && !atomic_load(&stop); i++)
		;
}

static void *flipper(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		shared = flip_a;
		linger();
		shared = flip_b;
		linger();
	}
	return NULL;
}

static void *watcher(void *arg)
{
	uint64_t mask = *(uint64_t *)arg;

	while (!atomic_load(&stop))
		if ((shared & mask) == hidden)
			atomic_fetch_add(&seen_hidden, 1);
	return NULL;
}

static void *scribbler(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		shared = 0x5a5a5a5a5a5a5a5aULL;
	return NULL;
}

static void run_with(void *(*fn)(void *), void *arg, pthread_t *t)
{
	atomic_store(&stop, false);
	if (pthread_create(t, NULL, fn, arg)) {
		perror("pthread_create");
		exit(2);
	}
}

static void finish_with(pthread_t t)
{
	atomic_store(&stop, true);
	pthread_join(t, NULL);
}

static int race_write(struct vc_dev *dev, uint64_t off, uint64_t good, uint64_t bad, uint64_t n)
{
	uint64_t i, denied = 0, landed = 0, failed = 0;
	uint8_t now;
	pthread_t t;

	flip_a = good;
	flip_b = bad;
	run_with(flipper, NULL, &t);
	for (i = 0; i < n; i++) {
		ssize_t r = vc_pwrite(dev, (const void *)&shared, 1, dev->cfg_offset + off);

		if (r == -EPERM)
			denied++;
		else if (r != 1)
			failed++;
		if (vc_cfg_read(dev, off, &now, 1))
			failed++;
		else if (now == (uint8_t)bad)
			landed++;
	}
	finish_with(t);
	printf("writes %" PRIu64 " denied %" PRIu64 " failed %" PRIu64 " landed %" PRIu64 "\n", n,
	       denied, failed, landed);
	return 0;
}

/* @watch_for: the value the watcher counts, or SCRIBBLE to scribble instead. */
#define SCRIBBLE UINT64_MAX

static int race_read(struct vc_dev *dev, uint64_t off, uint64_t size, uint64_t n,
		     uint64_t watch_for)
{
	uint64_t i, failed = 0, mask = size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
	pthread_t t;

	hidden = watch_for;
	if (watch_for == SCRIBBLE)
		run_with(scribbler, NULL, &t);
	else
		run_with(watcher, &mask, &t);
	for (i = 0; i < n; i++)
		if (vc_pread(dev, (void *)&shared, size, dev->cfg_offset + off) != (ssize_t)size)
			failed++;
	finish_with(t);
	printf("reads %" PRIu64 " failed %" PRIu64 " exposed %lu\n", n, failed,
	       atomic_load(&seen_hidden));
	return 0;
}

static int deny_read(struct vc_dev *dev, uint64_t off, uint64_t size)
{
	uint64_t buf = 0x5e5e5e5e5e5e5e5eULL;
	ssize_t r = vc_pread(dev, &buf, size, dev->cfg_offset + off);

	printf("read %s, buffer %s\n", r < 0 ? vc_errname((int)r) : "succeeded",
	       buf == 0x5e5e5e5e5e5e5e5eULL ? "untouched" : "changed");
	return 0;
}

static int ioeventfd_at(struct vc_dev *dev, uint64_t at, int fd)
{
	struct vfio_device_ioeventfd req = {
		.argsz = sizeof(req),
		.flags = VFIO_DEVICE_IOEVENTFD_32,
		.offset = at,
		.data = 0x1234,
		.fd = fd,
	};

	return ioctl(dev->device, VFIO_DEVICE_IOEVENTFD, &req) ? -errno : 0;
}

static struct vfio_device_ioeventfd flip_req;

static void *offset_flipper(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		flip_req.offset = flip_a;
		linger();
		flip_req.offset = flip_b;
		linger();
	}
	return NULL;
}

/*
 * Plain checks first, then the race.  Afterwards every ioeventfd left at
 * the trapped offset is removed and counted: each one is a write that
 * would have bypassed the trap.
 */
static int race_ioeventfd(struct vc_dev *dev, uint64_t bar, uint64_t trapped, uint64_t free_off,
			  uint64_t n)
{
	uint64_t at_trap = VC_REGION_OFFSET(bar) + trapped,
		 at_free = VC_REGION_OFFSET(bar) + free_off;
	uint64_t i, assigned = 0, busy = 0, other = 0, landed = 0;
	int efd = eventfd(0, EFD_CLOEXEC), ret, last_other = 0;
	pthread_t t;

	if (efd < 0) {
		perror("eventfd");
		return 2;
	}
	printf("trapped: %s\n", vc_errname(ioeventfd_at(dev, at_trap, efd)));
	ret = ioeventfd_at(dev, at_free, efd);
	printf("free: %s\n", ret ? vc_errname(ret) : "ok");
	ret = ioeventfd_at(dev, at_free, -1);
	printf("free removed: %s\n", ret ? vc_errname(ret) : "ok");

	flip_req = (struct vfio_device_ioeventfd){ .argsz = sizeof(flip_req),
						   .flags = VFIO_DEVICE_IOEVENTFD_32,
						   .offset = at_free,
						   .data = 0x1234,
						   .fd = efd };
	flip_a = at_free;
	flip_b = at_trap;
	run_with(offset_flipper, NULL, &t);
	for (i = 0; i < n; i++) {
		if (ioctl(dev->device, VFIO_DEVICE_IOEVENTFD, &flip_req)) {
			if (errno == EBUSY) {
				busy++;
			} else {
				other++;
				last_other = -errno;
			}
			continue;
		}
		assigned++;
		ioeventfd_at(dev, at_free, -1);
	}
	finish_with(t);
	while (!ioeventfd_at(dev, at_trap, -1))
		landed++;
	printf("race: %" PRIu64 " tries, %" PRIu64 " assigned, %" PRIu64
	       " refused as busy, %" PRIu64 " other errors%s%s, %" PRIu64 " in the trap\n",
	       n, assigned, busy, other, other ? " last " : "", other ? vc_errname(last_other) : "",
	       landed);
	close(efd);
	return 0;
}

static int first_open(const struct vc_bdf *bdf, const char *bar)
{
	char step[160], *op[] = { "sparse", (char *)bar };
	struct vc_dev dev;
	unsigned int tries = 0;

	while (vc_open(&dev, bdf, step, sizeof(step))) {
		if (++tries > 600000) {
			printf("never opened: %s\n", step);
			return 1;
		}
		usleep(100);
	}
	vc_run_op(&dev, 2, op);
	vc_close(&dev);
	return 0;
}

static int open_close(const struct vc_bdf *bdf, uint64_t n)
{
	uint64_t i, failed = 0;
	char step[160];
	struct vc_dev dev;
	uint32_t id;

	for (i = 0; i < n; i++) {
		if (vc_open(&dev, bdf, step, sizeof(step))) {
			failed++;
			continue;
		}
		if (vc_pread(&dev, &id, sizeof(id), VC_REGION_OFFSET(0)) != sizeof(id))
			failed++;
		vc_close(&dev);
	}
	printf("cycles %" PRIu64 " failed %" PRIu64 "\n", n, failed);
	return 0;
}

/* The module's bounce page in this process, from /proc/self/maps. */
static int find_bounce(uintptr_t *start, char *perms)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, "/vfio-pci-bpf") &&
			sscanf(line, "%" SCNxPTR "-%*x %4s", start, perms) == 2;
	if (f)
		fclose(f);
	return found ? 0 : -ENOENT;
}

static void attempt(const char *what, int ret)
{
	printf("%s: %s\n", what, ret ? vc_errname(ret) : "allowed");
}

static int bounce_attack(struct vc_dev *dev, uint64_t off, uint64_t value)
{
	uint8_t byte = (uint8_t)value;
	uintptr_t start;
	char perms[5];
	void *p;
	int fd;

	char path[64];
	unsigned int left = 0;

	attempt("config write", vc_cfg_write(dev, off, &byte, 1));
	if (find_bounce(&start, perms)) {
		printf("no bounce page mapped\n");
		return 1;
	}
	printf("mapped %s\n", perms);
	for (size_t i = 0; i < 4096; i++)
		left += ((volatile uint8_t *)start)[i] != 0;
	printf("bytes left on the page: %u\n", left);
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", (unsigned long)start,
		 (unsigned long)start + 4096);
	fd = open(path, O_RDWR);
	attempt("reopen read-write through map_files", fd < 0 ? -errno : 0);
	if (fd >= 0)
		close(fd);
	attempt("mprotect writable",
		mprotect((void *)start, 4096, PROT_READ | PROT_WRITE) ? -errno : 0);
	attempt("munmap", munmap((void *)start, 4096) ? -errno : 0);
	p = mmap((void *)start, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	attempt("mmap over it", p == MAP_FAILED ? -errno : 0);
	p = mremap((void *)start, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED,
		   (void *)(start + (1UL << 30)));
	attempt("mremap", p == MAP_FAILED ? -errno : 0);
	fd = open("/proc/self/mem", O_RDWR);
	attempt("write through /proc/self/mem", fd < 0					  ? -errno
						: pwrite(fd, &byte, 1, (off_t)start) == 1 ? 0
											  : -errno);
	if (fd >= 0)
		close(fd);
	attempt("config write again", vc_cfg_write(dev, off, &byte, 1));
	return 0;
}

/* How many bounce pages this process has mapped. */
static unsigned int count_bounce(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned int n = 0;

	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, "/vfio-pci-bpf") != NULL;
	if (f)
		fclose(f);
	return n;
}

/*
 * A long-lived VMM: N rounds of open, a config write of DENIED (which a
 * policy should refuse, to show it is there), one of ALLOWED, close, each
 * round followed by a wait for SIGUSR1 (the test rebinds the device
 * meanwhile); then how many bounce pages it holds.
 */
static int rebind_writes(const struct vc_bdf *bdf, uint64_t n, uint64_t off, uint64_t denied,
			 uint64_t allowed)
{
	uint8_t bad = (uint8_t)denied, byte = (uint8_t)allowed;
	char step[160];
	struct vc_dev dev;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (uint64_t i = 0; i < n; i++) {
		if (vc_open(&dev, bdf, step, sizeof(step))) {
			printf("round %" PRIu64 ": %s\n", i, step);
			return 1;
		}
		attempt("denied write", vc_cfg_write(&dev, off, &bad, 1));
		attempt("config write", vc_cfg_write(&dev, off, &byte, 1));
		vc_close(&dev);
		printf("round %" PRIu64 " done\n", i);
		sigwait(&set, &sig);
	}
	printf("bounce pages mapped: %u\n", count_bounce());
	return 0;
}

static int script(struct vc_dev *dev, int argc, char **argv)
{
	sigset_t set;
	int sig, i, used;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < argc; i += used) {
		if (!strcmp(argv[i], "wait")) {
			printf("holding\n");
			fflush(stdout);
			sigwait(&set, &sig);
			used = 1;
			continue;
		}
		used = vc_run_op(dev, argc - i, argv + i);
		if (used < 0)
			usage();
	}
	return 0;
}

int main(int argc, char **argv)
{
	char step[160];
	struct vc_bdf bdf;
	struct vc_dev dev;
	const char *mode;
	int ret;

	if (argc < 3 || vc_bdf_parse(argv[1], &bdf, step, sizeof(step)))
		usage();
	mode = argv[2];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "first-open") && argc == 4)
		return first_open(&bdf, argv[3]);
	if (!strcmp(mode, "open-close") && argc == 4)
		return open_close(&bdf, num(argv[3]));
	if (!strcmp(mode, "rebind-writes") && argc == 7)
		return rebind_writes(&bdf, num(argv[3]), num(argv[4]), num(argv[5]), num(argv[6]));
	ret = vc_open(&dev, &bdf, step, sizeof(step));
	if (ret) {
		fprintf(stderr, "vfio-race: %s: %s\n", step, vc_errname(ret));
		return 2;
	}
	if (!strcmp(mode, "write") && argc == 7)
		ret = race_write(&dev, num(argv[3]), num(argv[4]), num(argv[5]), num(argv[6]));
	else if (!strcmp(mode, "read-watch") && argc == 7)
		ret = race_read(&dev, num(argv[3]), num(argv[4]), num(argv[6]), num(argv[5]));
	else if (!strcmp(mode, "read-scribble") && argc == 6)
		ret = race_read(&dev, num(argv[3]), num(argv[4]), num(argv[5]), SCRIBBLE);
	else if (!strcmp(mode, "deny-read") && argc == 5)
		ret = deny_read(&dev, num(argv[3]), num(argv[4]));
	else if (!strcmp(mode, "ioeventfd") && argc == 7)
		ret = race_ioeventfd(&dev, num(argv[3]), num(argv[4]), num(argv[5]), num(argv[6]));
	else if (!strcmp(mode, "bounce-attack") && argc == 5)
		ret = bounce_attack(&dev, num(argv[3]), num(argv[4]));
	else if (!strcmp(mode, "script") && argc > 3)
		ret = script(&dev, argc - 3, argv + 3);
	else
		usage();
	vc_close(&dev);
	return ret;
}
