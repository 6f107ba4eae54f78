// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-stall: a VMM whose buffers fault until it says otherwise.  Each
 * stall runs in a thread of its own, from a page registered with
 * userfaultfd (as QEMU's postcopy registers guest RAM), so the kernel's
 * copy from or to it waits in the fault: a config write through the device
 * fd, and a read of a migration data fd (the device is put in STOP_COPY
 * first).  Once every thread waits in its fault the helper prints
 * "stalled N", then takes commands from stdin:
 *
 *   mig-set STATE   a migration arc, from the main thread, while stalled
 *   resolve         resolve the faults, then print each thread's result
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bdf.h"
#include "errname.h"
#include "mig.h"
#include "vfio.h"

#define PAGE 4096

struct stall {
	const char *what;
	struct vc_dev *dev;
	uint32_t cfg_off; /* config write: where */
	void *page;	  /* the faulting buffer */
	ssize_t ret;	  /* bytes, or -errno */
	pthread_t thread;
};

static void *run_write(void *arg)
{
	struct stall *s = arg;

	s->ret = vc_pwrite(s->dev, s->page, 4, s->dev->cfg_offset + s->cfg_off);
	return NULL;
}

static void *run_read(void *arg)
{
	struct stall *s = arg;
	ssize_t n = read(s->dev->mig_fd, s->page, PAGE);

	s->ret = n < 0 ? -errno : n;
	return NULL;
}

static int uffd_open(void *area, size_t len)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)area, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC);

	if (fd < 0 || ioctl(fd, UFFDIO_API, &api) || ioctl(fd, UFFDIO_REGISTER, &reg)) {
		perror("vfio-stall: userfaultfd");
		exit(2);
	}
	return fd;
}

/* Waits for @n faults; they stay unresolved. */
static void await_faults(int uffd, int n)
{
	struct uffd_msg msg;

	while (n > 0) {
		if (read(uffd, &msg, sizeof(msg)) != sizeof(msg)) {
			perror("vfio-stall: reading a fault");
			exit(2);
		}
		if (msg.event == UFFD_EVENT_PAGEFAULT)
			n--;
	}
}

static void resolve(int uffd, void *area, size_t len)
{
	struct uffdio_zeropage zero = { .range = { .start = (uintptr_t)area, .len = len } };

	if (ioctl(uffd, UFFDIO_ZEROPAGE, &zero) && errno != EEXIST)
		perror("vfio-stall: resolving");
}

static void usage(void)
{
	fprintf(stderr, "usage: vfio-stall BDF [cfg-write OFF] [mig-read]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct stall stalls[2];
	char step[160], line[64], out[160];
	struct vc_bdf bdf;
	struct vc_dev dev;
	int i, n = 0, uffd;
	void *area;

	if (argc < 3 || vc_bdf_parse(argv[1], &bdf, step, sizeof(step)))
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (vc_open(&dev, &bdf, step, sizeof(step))) {
		fprintf(stderr, "vfio-stall: %s\n", step);
		return 2;
	}
	area = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return 2;
	uffd = uffd_open(area, 2 * PAGE);
	for (i = 2; i < argc && n < 2; i++) {
		struct stall *s = &stalls[n];

		*s = (struct stall){ .what = argv[i],
				     .dev = &dev,
				     .page = (char *)area + n * PAGE };
		if (!strcmp(argv[i], "cfg-write") && i + 1 < argc) {
			s->cfg_off = strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "mig-read")) {
			char *set[] = { "mig-set", "STOP_COPY" };

			if (vc_mig_op(&dev, 2, set) < 0 || dev.mig_fd < 0)
				return 2;
		} else {
			usage();
		}
		pthread_create(&s->thread, NULL, strcmp(s->what, "mig-read") ? run_write : run_read,
			       s);
		n++;
	}
	await_faults(uffd, n);
	printf("stalled %d\n", n);
	while (fgets(line, sizeof(line), stdin)) {
		char *arg[2] = { "mig-set", out };

		if (sscanf(line, "mig-set %63s", out) == 1) {
			vc_mig_op(&dev, 2, arg);
			continue;
		}
		if (strncmp(line, "resolve", 7))
			continue;
		resolve(uffd, area, 2 * PAGE);
		for (i = 0; i < n; i++) {
			pthread_join(stalls[i].thread, NULL);
			if (stalls[i].ret < 0)
				printf("%s: %s\n", stalls[i].what, vc_errname(stalls[i].ret));
			else
				printf("%s: %zd bytes\n", stalls[i].what, stalls[i].ret);
		}
		break;
	}
	vc_close(&dev);
	return 0;
}
