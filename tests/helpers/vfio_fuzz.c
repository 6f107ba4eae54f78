// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-fuzz: a VMM gone wrong.  Several threads hammer one device through
 * the VFIO uAPI with random config and BAR accesses (bad offsets and sizes
 * included), mmaps and ioctls with random arguments, for a given time.
 * On a device with a migration owner, the threads also walk the migration
 * state machine at random and read, write and query whatever data fd the
 * last transition returned, valid streams and garbage alike, and the data
 * fd outlives the device fd.  Every failure must be one of the errnos
 * documented for that kind of request (docs/hooks.md, docs/migration.md);
 * anything else is printed as "unexpected".
 * Ends with "fuzz OPS ops, FAILED failed, UNEXPECTED unexpected" and the
 * failures by errno, then "migration N requests, OK ok".
 *
 * usage: vfio-fuzz BDF SECONDS THREADS SEED
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "bdf.h"
#include "errname.h"
#include "mig.h"
#include "vfio.h"

#define REGION(index) ((uint64_t)(index) << 40)
#define MAX_ERRNO 134

enum kind { RW, MAP, IOCTL, MIG, NR_KINDS };

/*
 * What each kind of request may fail with: vfio-pci's own answers, a
 * policy's deny (the chaos policy denies with EPERM, EACCES or EIO), and
 * the module's (EBUSY for an ioeventfd into a trap, EAGAIN for a bounce
 * page taken away while it was mapped).
 */
static const int allowed[NR_KINDS][16] = {
	[RW] = { EINVAL, EFAULT, EIO, EPERM, EACCES, EAGAIN, EINTR, ENODEV },
	[MAP] = { EINVAL, EPERM, EACCES, ENODEV, ENOMEM, EIO, EAGAIN },
	[IOCTL] = { EINVAL, EFAULT, ENOTTY, EPERM, EACCES, EIO, EBUSY, ENODEV, ENOENT, EEXIST,
		    ENOSPC, E2BIG, EOPNOTSUPP, ENOMEM, EAGAIN, ENXIO },
	[MIG] = { EINVAL, ENOTTY, ENODEV, EBUSY, ETIMEDOUT, ENOMSG, EFBIG, EBADF, EIO, ENOSPC,
		  ENOMEM, EPERM, EAGAIN, EINTR },
};

static const char *const kind_name[NR_KINDS] = { "read/write", "mmap", "ioctl", "migration" };

static struct vc_dev dev;
/*
 * QEMU's edu device trusts its DMA registers: a transfer it is told to
 * start out of bounds writes past its buffer and crashes the emulator.
 * That is the test hardware's bug, not the driver's, so on edu the
 * fuzzers never write the DMA registers.
 */
#define EDU_VENDOR 0x1234
#define EDU_DMA_START 0x80
#define EDU_DMA_END 0xa0
static int is_edu;
static time_t deadline;
static atomic_ulong ops, failed, unexpected, by_errno[MAX_ERRNO + 1];
static atomic_ulong mig_ops, mig_ok;

static uint64_t rnd(uint64_t *state)
{
	/* xorshift64*: repeatable from the seed, one state per thread. */
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545F4914F6CDD1DULL;
}

static void account(enum kind kind, const char *what, long ret)
{
	int err = ret < 0 ? (int)-ret : 0, i;

	atomic_fetch_add(&ops, 1);
	if (!err)
		return;
	atomic_fetch_add(&failed, 1);
	atomic_fetch_add(&by_errno[err > MAX_ERRNO ? 0 : err], 1);
	for (i = 0; i < 16 && allowed[kind][i]; i++)
		if (allowed[kind][i] == err)
			return;
	atomic_fetch_add(&unexpected, 1);
	printf("unexpected %s %s: %s\n", kind_name[kind], what, vc_errname(-err));
}

/* An offset a VMM might send: in range, near the end, or anywhere. */
static uint64_t offset_in(uint64_t *s, uint64_t size)
{
	switch (rnd(s) % 4) {
	case 0:
		return rnd(s) % (size ? size : 1);
	case 1:
		return (size ? size : 0) - rnd(s) % 16;
	case 2:
		return rnd(s) % 0x100;
	default:
		return rnd(s) & ((1ULL << 40) - 1);
	}
}

static void fuzz_rw(uint64_t *s)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 4, 5, 8, 16 };
	unsigned int index = rnd(s) % 10;
	size_t size = sizes[rnd(s) % 8];
	uint64_t at, buf[2] = { rnd(s), rnd(s) };
	ssize_t ret;

	if (index == 9 || !(rnd(s) % 3))
		index = VFIO_PCI_CONFIG_REGION_INDEX;
	at = REGION(index) +
	     offset_in(s, index == VFIO_PCI_CONFIG_REGION_INDEX ? dev.cfg_size : 1 << 20);
	if (is_edu && index == 0 && at - REGION(0) < EDU_DMA_END &&
	    at - REGION(0) + size > EDU_DMA_START)
		ret = vc_pread(&dev, buf, size, at);
	else if (rnd(s) % 2)
		ret = vc_pwrite(&dev, buf, size, at);
	else
		ret = vc_pread(&dev, buf, size, at);
	account(RW, "access", ret < 0 ? ret : 0);
}

static void fuzz_mmap(uint64_t *s)
{
	size_t len = (rnd(s) % 4 + 1) * 4096;
	void *map;
	int ret;

	ret = vc_mmap(&dev, REGION(rnd(s) % 8), (rnd(s) % 64) * 4096, len, PROT_READ | PROT_WRITE,
		      MAP_SHARED, &map);
	if (!ret)
		munmap(map, len);
	account(MAP, "mmap", ret);
}

static long fuzz_ioctl_once(uint64_t *s, int efd, const char **what)
{
	union {
		struct vfio_device_info info;
		struct vfio_region_info region;
		struct vfio_irq_info irq;
		struct vfio_device_ioeventfd ioeventfd;
		struct vfio_device_feature feature;
		uint8_t bytes[256];
	} arg;
	struct {
		struct vfio_irq_set set;
		uint8_t data[8];
	} irqs;

	memset(&arg, 0, sizeof(arg));
	switch (rnd(s) % 9) {
	case 0:
		*what = "GET_INFO";
		arg.info.argsz = rnd(s) % 128;
		return ioctl(dev.device, VFIO_DEVICE_GET_INFO, &arg) ? -errno : 0;
	case 1:
		*what = "GET_REGION_INFO";
		arg.region.argsz = rnd(s) % 256;
		arg.region.index = rnd(s) % 12;
		return ioctl(dev.device, VFIO_DEVICE_GET_REGION_INFO, &arg) ? -errno : 0;
	case 2:
		*what = "GET_IRQ_INFO";
		arg.irq.argsz = rnd(s) % 64;
		arg.irq.index = rnd(s) % 8;
		return ioctl(dev.device, VFIO_DEVICE_GET_IRQ_INFO, &arg) ? -errno : 0;
	case 3:
		*what = "IOEVENTFD";
		arg.ioeventfd.argsz = sizeof(arg.ioeventfd) - rnd(s) % 2 * 8;
		arg.ioeventfd.flags = 1u << (rnd(s) % 5);
		arg.ioeventfd.offset = REGION(rnd(s) % 8) + offset_in(s, 1 << 20);
		arg.ioeventfd.data = rnd(s);
		arg.ioeventfd.fd = rnd(s) % 2 ? efd : -1;
		return ioctl(dev.device, VFIO_DEVICE_IOEVENTFD, &arg) ? -errno : 0;
	case 4:
		*what = "SET_IRQS";
		memset(&irqs, 0, sizeof(irqs));
		irqs.set.argsz = sizeof(irqs);
		irqs.set.flags = (rnd(s) % 2 ? VFIO_IRQ_SET_DATA_NONE : VFIO_IRQ_SET_DATA_BOOL) |
				 (1u << (5 + rnd(s) % 3));
		irqs.set.index = rnd(s) % 6;
		irqs.set.start = rnd(s) % 3;
		irqs.set.count = rnd(s) % 3;
		return ioctl(dev.device, VFIO_DEVICE_SET_IRQS, &irqs) ? -errno : 0;
	case 5:
		*what = "FEATURE";
		arg.feature.argsz = sizeof(arg.feature) + rnd(s) % 32;
		arg.feature.flags = (rnd(s) % 12) | (uint32_t)(rnd(s) % 8) << 16;
		return ioctl(dev.device, VFIO_DEVICE_FEATURE, &arg) ? -errno : 0;
	case 6:
		*what = "RESET";
		return ioctl(dev.device, VFIO_DEVICE_RESET) ? -errno : 0;
	case 7:
		*what = "GET_PCI_HOT_RESET_INFO";
		arg.info.argsz = rnd(s) % 64;
		return ioctl(dev.device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &arg) ? -errno : 0;
	default:
		*what = "unknown";
		return ioctl(dev.device, _IO(VFIO_TYPE, VFIO_BASE + 40 + rnd(s) % 20), &arg)
			       ? -errno
			       : 0;
	}
}

/* The data fd the last state change returned; any thread may replace it. */
static pthread_mutex_t mig_lock = PTHREAD_MUTEX_INITIALIZER;
static int mig_fd = -1;

/* A duplicate of the shared data fd (never a number reused meanwhile), or -1. */
static int mig_fd_dup(void)
{
	int fd;

	pthread_mutex_lock(&mig_lock);
	fd = mig_fd >= 0 ? dup(mig_fd) : -1;
	pthread_mutex_unlock(&mig_lock);
	return fd;
}

static void mig_fd_replace(int fd)
{
	int old;

	pthread_mutex_lock(&mig_lock);
	old = mig_fd;
	mig_fd = fd;
	pthread_mutex_unlock(&mig_lock);
	if (old >= 0)
		close(old);
}

/* What this thread last read from a data fd: written back, it is a real stream. */
static __thread uint8_t saved[1024];
static __thread size_t saved_len;

static long fuzz_mig_data(uint64_t *s, int fd, const char **what)
{
	uint8_t buf[sizeof(saved)];
	size_t len = rnd(s) % sizeof(buf);
	ssize_t n;

	switch (rnd(s) % 3) {
	case 0:
		*what = "data fd read";
		n = read(fd, buf, len);
		if (n > 0 && saved_len + n <= sizeof(saved)) {
			memcpy(saved + saved_len, buf, n);
			saved_len += n;
		}
		return n < 0 ? -errno : 0;
	case 1:
		*what = "data fd write";
		if (rnd(s) % 2 && saved_len) {
			n = write(fd, saved, saved_len);
			saved_len = 0;
		} else {
			for (size_t i = 0; i < len; i++)
				buf[i] = rnd(s);
			n = write(fd, buf, len);
		}
		return n < 0 ? -errno : 0;
	default: {
		struct vfio_precopy_info info = { .argsz = rnd(s) % (sizeof(info) + 8) };

		*what = "GET_PRECOPY_INFO";
		return ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, &info) ? -errno : 0;
	}
	}
}

static long fuzz_mig_once(uint64_t *s, const char **what)
{
	struct vfio_device_feature_mig_state state = { .device_state = rnd(s) % 9, .data_fd = -1 };
	struct vfio_device_feature_mig_data_size size = { 0 };
	long ret;
	int fd;

	switch (rnd(s) % 4) {
	case 0:
		*what = "MIG_DEVICE_STATE";
		ret = vc_feature(&dev,
				 VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
				 &state, sizeof(state));
		if (!ret && state.data_fd >= 0)
			mig_fd_replace(state.data_fd);
		return ret;
	case 1:
		*what = "MIG_DATA_SIZE";
		return vc_feature(&dev, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
				  &size, sizeof(size));
	default:
		fd = mig_fd_dup();
		if (fd < 0) {
			*what = "MIG_DEVICE_STATE get";
			return vc_feature(&dev,
					  VFIO_DEVICE_FEATURE_GET |
						  VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
					  &state, sizeof(state));
		}
		ret = fuzz_mig_data(s, fd, what);
		close(fd);
		return ret;
	}
}

static void *fuzzer(void *arg)
{
	uint64_t state = (uintptr_t)arg;
	int efd = eventfd(0, EFD_CLOEXEC);
	const char *what = "";
	long ret;

	while (time(NULL) < deadline) {
		switch (rnd(&state) % 9) {
		case 0:
			fuzz_mmap(&state);
			break;
		case 1:
		case 2:
			ret = fuzz_ioctl_once(&state, efd, &what);
			account(IOCTL, what, ret);
			break;
		case 3:
			ret = fuzz_mig_once(&state, &what);
			account(MIG, what, ret);
			atomic_fetch_add(&mig_ops, 1);
			atomic_fetch_add(&mig_ok, !ret);
			break;
		default:
			fuzz_rw(&state);
		}
	}
	close(efd);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long seconds, threads, seed, i;
	pthread_t tid[16];
	struct vc_bdf bdf;
	char step[160];
	int ret;

	if (argc != 5 || vc_bdf_parse(argv[1], &bdf, step, sizeof(step))) {
		fprintf(stderr, "usage: vfio-fuzz BDF SECONDS THREADS SEED\n");
		return 2;
	}
	seconds = strtoul(argv[2], NULL, 0);
	threads = strtoul(argv[3], NULL, 0);
	seed = strtoul(argv[4], NULL, 0);
	if (!threads || threads > 16) {
		fprintf(stderr, "vfio-fuzz: 1 to 16 threads\n");
		return 2;
	}
	ret = vc_open(&dev, &bdf, step, sizeof(step));
	if (ret) {
		fprintf(stderr, "vfio-fuzz: %s: %s\n", step, vc_errname(ret));
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* From sysfs: a policy may present any vendor ID through the device fd. */
	{
		char vendor[16];

		is_edu = !vc_sysfs_read(&dev, "vendor", vendor, sizeof(vendor)) &&
			 strtoul(vendor, NULL, 16) == EDU_VENDOR;
	}
	deadline = time(NULL) + (time_t)seconds;
	for (i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, fuzzer, (void *)(uintptr_t)(seed * 1000 + i + 1));
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	/* The data fd goes last: it must not need the device any more. */
	vc_close(&dev);
	mig_fd_replace(-1);
	printf("fuzz %lu ops, %lu failed, %lu unexpected;", atomic_load(&ops), atomic_load(&failed),
	       atomic_load(&unexpected));
	for (i = 0; i <= MAX_ERRNO; i++)
		if (atomic_load(&by_errno[i]))
			printf(" %s %lu", i ? vc_errname(-(int)i) : "other",
			       atomic_load(&by_errno[i]));
	printf("\nmigration %lu requests, %lu ok\n", atomic_load(&mig_ops), atomic_load(&mig_ok));
	return atomic_load(&unexpected) ? 1 : 0;
}
