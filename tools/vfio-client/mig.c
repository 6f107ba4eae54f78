// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "errname.h"
#include "mig.h"

static const char *const state_names[] = {
	[VFIO_DEVICE_STATE_ERROR] = "ERROR",
	[VFIO_DEVICE_STATE_STOP] = "STOP",
	[VFIO_DEVICE_STATE_RUNNING] = "RUNNING",
	[VFIO_DEVICE_STATE_STOP_COPY] = "STOP_COPY",
	[VFIO_DEVICE_STATE_RESUMING] = "RESUMING",
	[VFIO_DEVICE_STATE_RUNNING_P2P] = "RUNNING_P2P",
	[VFIO_DEVICE_STATE_PRE_COPY] = "PRE_COPY",
	[VFIO_DEVICE_STATE_PRE_COPY_P2P] = "PRE_COPY_P2P",
};
#define NR_STATES (sizeof(state_names) / sizeof(state_names[0]))

static int parse_state(const char *s, uint32_t *state)
{
	char *end;

	for (uint32_t i = 0; i < NR_STATES; i++)
		if (!strcmp(s, state_names[i])) {
			*state = i;
			return 0;
		}
	errno = 0;
	*state = strtoul(s, &end, 0);
	return errno || *end || end == s ? -1 : 0;
}

static const char *state_name(uint32_t state)
{
	return state < NR_STATES ? state_names[state] : "?";
}

int vc_feature(const struct vc_dev *dev, uint32_t flags, void *data, size_t len)
{
	struct vfio_device_feature *f = calloc(1, sizeof(*f) + len);
	int ret;

	if (!f)
		return -ENOMEM;
	f->argsz = sizeof(*f) + len;
	f->flags = flags;
	memcpy(f->data, data, len);
	ret = ioctl(dev->device, VFIO_DEVICE_FEATURE, f) ? -errno : 0;
	memcpy(data, f->data, len);
	free(f);
	return ret;
}

/* Sets the state; a data fd it returns replaces the kept one. */
static int set_state(struct vc_dev *dev, uint32_t state, char *out, size_t outlen)
{
	struct vfio_device_feature_mig_state mig = { .device_state = state, .data_fd = -1 };
	int ret = vc_feature(dev, VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
			     &mig, sizeof(mig));

	if (ret)
		return ret;
	if (mig.data_fd >= 0) {
		if (dev->mig_fd >= 0)
			close(dev->mig_fd);
		dev->mig_fd = mig.data_fd;
	}
	snprintf(out, outlen, "%s%s", state_name(state), mig.data_fd >= 0 ? " +fd" : "");
	return 0;
}

/*
 * Copies @from to EOF into @to, @chunk bytes at most per read and write;
 * prints the byte count into @out.  A data fd in PRE_COPY ends with ENOMSG
 * instead ("no more for now").
 */
static int copy_all(int from, int to, size_t chunk, char *out, size_t outlen)
{
	char buf[4096];
	size_t total = 0;
	ssize_t n;

	while ((n = read(from, buf, chunk < sizeof(buf) ? chunk : sizeof(buf))) > 0) {
		if (write(to, buf, n) != n)
			return -errno;
		total += n;
	}
	if (n < 0 && errno == ENOMSG) {
		snprintf(out, outlen, "%zu bytes, then ENOMSG", total);
		return 0;
	}
	if (n < 0)
		return -errno;
	snprintf(out, outlen, "%zu bytes", total);
	return 0;
}

/* VFIO_MIG_GET_PRECOPY_INFO on the data fd. */
static int precopy_info(const struct vc_dev *dev, char *out, size_t outlen)
{
	struct vfio_precopy_info info = { .argsz = sizeof(info) };

	if (dev->mig_fd < 0)
		return -EBADF;
	if (ioctl(dev->mig_fd, VFIO_MIG_GET_PRECOPY_INFO, &info))
		return -errno;
	snprintf(out, outlen, "initial %" PRIu64 " dirty %" PRIu64, (uint64_t)info.initial_bytes,
		 (uint64_t)info.dirty_bytes);
	return 0;
}

/*
 * The data fd into FILE (mig-read) or FILE into the data fd (mig-write, or
 * mig-trickle: a byte per write).
 */
static int transfer(struct vc_dev *dev, const char *path, int save, size_t chunk, char *out,
		    size_t outlen)
{
	int fd, ret;

	if (dev->mig_fd < 0)
		return -EBADF;
	fd = save ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)
		  : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = save ? copy_all(dev->mig_fd, fd, chunk, out, outlen)
		   : copy_all(fd, dev->mig_fd, chunk, out, outlen);
	close(fd);
	return ret;
}

static int run(struct vc_dev *dev, const char *op, const char *arg, char *out, size_t outlen)
{
	uint32_t state;
	int ret;

	if (!strcmp(op, "mig-flags")) {
		struct vfio_device_feature_migration m = { 0 };

		ret = vc_feature(dev, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION, &m,
				 sizeof(m));
		snprintf(out, outlen, "0x%" PRIx64, (uint64_t)m.flags);
		return ret;
	}
	if (!strcmp(op, "mig-state")) {
		struct vfio_device_feature_mig_state m = { 0 };

		ret = vc_feature(dev,
				 VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &m,
				 sizeof(m));
		snprintf(out, outlen, "%s", state_name(m.device_state));
		return ret;
	}
	if (!strcmp(op, "mig-size")) {
		struct vfio_device_feature_mig_data_size m = { 0 };

		ret = vc_feature(dev, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
				 &m, sizeof(m));
		snprintf(out, outlen, "%" PRIu64, (uint64_t)m.stop_copy_length);
		return ret;
	}
	if (!strcmp(op, "mig-set"))
		return parse_state(arg, &state) ? -EINVAL : set_state(dev, state, out, outlen);
	if (!strcmp(op, "mig-precopy-info"))
		return precopy_info(dev, out, outlen);
	if (!strcmp(op, "mig-read") || !strcmp(op, "mig-write"))
		return transfer(dev, arg, !strcmp(op, "mig-read"), SIZE_MAX, out, outlen);
	if (!strcmp(op, "mig-trickle"))
		return transfer(dev, arg, 0, 1, out, outlen);
	if (dev->mig_fd >= 0)
		close(dev->mig_fd);
	dev->mig_fd = -1;
	snprintf(out, outlen, "closed");
	return 0;
}

static int arity(const char *op)
{
	static const char *const none[] = { "mig-flags", "mig-state", "mig-size", "mig-close",
					    "mig-precopy-info" };
	static const char *const one[] = { "mig-set", "mig-read", "mig-write", "mig-trickle" };

	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		if (!strcmp(op, none[i]))
			return 0;
	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++)
		if (!strcmp(op, one[i]))
			return 1;
	return -1;
}

int vc_mig_op(struct vc_dev *dev, int argc, char **argv)
{
	int want = arity(argv[0]), ret;
	uint32_t state;
	char out[64] = "";

	if (want < 0 || argc < want + 1)
		return -1;
	if (!strcmp(argv[0], "mig-set") && parse_state(argv[1], &state))
		return -1;
	ret = run(dev, argv[0], want ? argv[1] : NULL, out, sizeof(out));
	printf("%s%s%s = ", argv[0], want ? " " : "", want ? argv[1] : "");
	if (ret)
		printf("error %s\n", vc_errname(ret));
	else
		printf("%s\n", out);
	fflush(stdout);
	return want + 1;
}
