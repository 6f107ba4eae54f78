/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VC_OPS_H
#define VC_OPS_H

#include "vfio.h"

/*
 * Single accesses named on the command line, for tests that need to see
 * exactly one config, BAR or mmap access and its result:
 *   cfg-read OFF SIZE | cfg-write OFF SIZE VALUE
 *   bar-read BAR OFF SIZE | bar-write BAR OFF SIZE VALUE
 *   mmap-read BAR OFF SIZE | mmap BAR OFF LEN | sparse BAR | get-info | reset
 *   feature-probe FEATURE | feature-set FEATURE   (VFIO_DEVICE_FEATURE, no data)
 *   bar-wait BAR OFF SIZE MASK WANT   (reads until (value & MASK) == WANT, 5 s at most)
 *   repeat N OP ARGS...   (prints failures, then each value seen and how often)
 * Each prints "OP ARGS = VALUE" or "OP ARGS = error ENAME".  Returns the
 * number of arguments used, or -1 for a malformed operation.
 */
int vc_run_op(struct vc_dev *dev, int argc, char **argv);

#endif
