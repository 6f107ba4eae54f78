/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VC_MIG_H
#define VC_MIG_H

#include "vfio.h"

/*
 * The VFIO migration uAPI v2 from the command line, one step per op:
 *   mig-flags              VFIO_DEVICE_FEATURE_MIGRATION: the flags
 *   mig-state              the device state
 *   mig-set STATE          set it (RUNNING, STOP, STOP_COPY, RESUMING,
 *                          RUNNING_P2P, PRE_COPY, PRE_COPY_P2P, ERROR or a
 *                          number); keeps a data fd it returns
 *   mig-size               VFIO_DEVICE_FEATURE_MIG_DATA_SIZE
 *   mig-read FILE          the data fd to EOF, into FILE
 *   mig-write FILE         FILE into the data fd
 *   mig-trickle FILE       FILE into the data fd, a byte per write()
 *   mig-precopy-info       VFIO_MIG_GET_PRECOPY_INFO on the data fd
 *   mig-close              close the data fd
 * Each prints "OP ARGS = RESULT" or "OP ARGS = error ENAME".  Returns the
 * number of arguments used, or -1 for a malformed or unknown op.
 */
int vc_mig_op(struct vc_dev *dev, int argc, char **argv);

/*
 * One VFIO_DEVICE_FEATURE with @flags and @len bytes of data in and out of
 * @data; 0 or -errno.
 */
int vc_feature(const struct vc_dev *dev, uint32_t flags, void *data, size_t len);

#endif
