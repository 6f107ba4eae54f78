/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One line per event on stderr, with the syslog priority prefix journald
 * understands ("<3>" error, "<4>" warning, "<6>" info).
 */
#ifndef BPFD_LOG_H
#define BPFD_LOG_H

#include <systemd/sd-daemon.h>

__attribute__((format(printf, 2, 3))) void bpfd_log(const char *level, const char *fmt, ...);

#define bpfd_err(...) bpfd_log(SD_ERR, __VA_ARGS__)
#define bpfd_warn(...) bpfd_log(SD_WARNING, __VA_ARGS__)
#define bpfd_info(...) bpfd_log(SD_INFO, __VA_ARGS__)

#endif
