// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kmsg.h"

int vpb_kmsg_mark(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

void vpb_kmsg_reason(int mark, const char *name, char *out, size_t len)
{
	char record[1024], about[128];
	ssize_t n;

	out[0] = 0;
	if (mark < 0)
		return;
	snprintf(about, sizeof(about), "policy '%s'", name);
	/* One record per read: "PRIO,SEQ,USEC,FLAGS;TEXT\n" and continuation lines. */
	while ((n = read(mark, record, sizeof(record) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		char *text, *end;

		if (n < 0)
			continue; /* records overwritten meanwhile: read on */
		record[n] = 0;
		text = strchr(record, ';');
		if (!text || !strstr(text, about))
			continue;
		text++;
		end = strchrnul(text, '\n');
		snprintf(out, len, "%.*s", (int)(end - text), text);
	}
	close(mark);
}

void vpb_kmsg_forget(int mark)
{
	if (mark >= 0)
		close(mark);
}
