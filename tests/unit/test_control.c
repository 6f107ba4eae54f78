// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-bpfd's control socket as its clients meet it, over a real UNIX
 * socket: clients served side by side, a request in parts, a client that
 * never reads a large answer, limits, and a daemon out of file
 * descriptors.  What a command answers is commands.c's business: here a
 * stand-in echoes the command, and "big" answers 1 MiB.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "control.h"

#define BIG (1 << 20)

struct json_object *bpfd_command_answer(struct json_object *req, const struct bpfd_peer *peer,
					const struct bpfd_status *st, const struct bpfd_runtime *rt,
					bool *reload)
{
	struct json_object *out = json_object_new_object(), *cmd = NULL;
	const char *command = "";
	char *big;

	(void)peer, (void)st, (void)rt;
	if (req && json_object_object_get_ex(req, "command", &cmd))
		command = json_object_get_string(cmd);
	json_object_object_add(out, "ok", json_object_new_boolean(req != NULL));
	json_object_object_add(out, "echo", json_object_new_string(command));
	if (!strcmp(command, "big")) {
		big = malloc(BIG);
		memset(big, 'x', BIG);
		json_object_object_add(out, "big", json_object_new_string_len(big, BIG));
		free(big);
	}
	*reload = !strcmp(command, "reload");
	return out;
}

static char dir[64], path[96];
static struct bpfd_control *control;
static struct bpfd_status status;

static int setup(void **state)
{
	char err[256];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/bpfd-control-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/run/control.sock", dir);
	control = bpfd_control_open(path, (gid_t)-1, err, sizeof(err));
	if (!control)
		fprintf(stderr, "%s\n", err);
	return control ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[96];

	(void)state;
	bpfd_control_close(control);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static int client(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(sa.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* What the daemon's main loop does: wait for the socket (or a deadline), then serve. */
static bool serve_once(int wait_ms)
{
	struct pollfd p = { .fd = bpfd_control_fd(control), .events = POLLIN };
	int timeout = bpfd_control_timeout(control);

	poll(&p, 1, timeout < 0 || timeout > wait_ms ? wait_ms : timeout);
	return bpfd_control_serve(control, &status, NULL);
}

/* Serves until @fd has a whole line to read, then returns it (static). */
static const char *answer_of(int fd)
{
	static char buf[256];
	size_t len = 0;
	ssize_t n;

	for (int i = 0; i < 100 && !memchr(buf, '\n', len); i++) {
		serve_once(10);
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, MSG_DONTWAIT);
		if (n > 0)
			len += n;
	}
	buf[len] = '\0';
	return buf;
}

/* Whether the daemon still holds its end of @fd's connection (unread data aside). */
static bool still_open(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) >= 0 && !(p.revents & POLLHUP);
}

static void test_clients_side_by_side(void **state)
{
	int idle[20], fd;

	(void)state;
	for (int i = 0; i < 20; i++)
		idle[i] = client();
	fd = client();
	send(fd, "{\"command\": \"status\"}", 21, 0);
	assert_string_equal(answer_of(fd), "{\"ok\":true,\"echo\":\"status\"}\n");
	/* Answered while the idle ones are still there, not after they timed out. */
	for (int i = 0; i < 20; i++) {
		assert_true(still_open(idle[i]));
		close(idle[i]);
	}
	close(fd);
}

static void test_request_in_parts(void **state)
{
	int fd = client();

	(void)state;
	send(fd, "{\"command\": ", 12, 0);
	serve_once(10);
	assert_true(still_open(fd));
	send(fd, "\"reload\"}", 9, 0);
	assert_string_equal(answer_of(fd), "{\"ok\":true,\"echo\":\"reload\"}\n");
	close(fd);
	/* Until end of file: a client that shuts its side down ends its request. */
	fd = client();
	send(fd, "not json", 8, 0);
	shutdown(fd, SHUT_WR);
	assert_string_equal(answer_of(fd), "{\"ok\":false,\"echo\":\"\"}\n");
	close(fd);
}

static void test_request_too_long(void **state)
{
	char junk[4096];
	int fd = client();

	(void)state;
	memset(junk, ' ', sizeof(junk));
	send(fd, "{\"command\": \"", 13, 0);
	for (int i = 0; i < 17; i++) {
		send(fd, junk, sizeof(junk), MSG_DONTWAIT | MSG_NOSIGNAL);
		serve_once(1);
	}
	assert_string_equal(answer_of(fd),
			    "{\"ok\":false,\"error\":\"request longer than 64 KiB\"}\n");
	close(fd);
}

/* A client that asks for a large answer and never reads holds nothing up. */
static void test_client_that_never_reads(void **state)
{
	int slow = client(), fd = client(), rcvbuf = 4096;

	(void)state;
	setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	send(slow, "{\"command\": \"big\"}", 18, 0);
	serve_once(10);
	send(fd, "{\"command\": \"status\"}", 21, 0);
	assert_string_equal(answer_of(fd), "{\"ok\":true,\"echo\":\"status\"}\n");
	close(fd);
	/* Its deadline passes: the daemon lets go of it. */
	for (int i = 0; i < 80 && still_open(slow); i++)
		serve_once(100);
	assert_false(still_open(slow));
	close(slow);
}

/* Out of descriptors: accept() fails, and the daemon does not spin on it. */
static void test_out_of_descriptors(void **state)
{
	struct rlimit old, low;
	struct pollfd p;
	int fds[64], n = 0, fd;

	(void)state;
	/* What earlier tests' clients left to serve, served first. */
	p = (struct pollfd){ .fd = bpfd_control_fd(control), .events = POLLIN };
	for (int i = 0; i < 100 && poll(&p, 1, 0) > 0; i++)
		serve_once(10);
	getrlimit(RLIMIT_NOFILE, &old);
	/* Every descriptor taken but one, which the client takes: none is left to accept. */
	while (n < 64 && (fds[n] = dup(0)) >= 0)
		n++;
	low.rlim_cur = fds[n - 1] + 2;
	low.rlim_max = old.rlim_max;
	setrlimit(RLIMIT_NOFILE, &low);
	fd = client();
	send(fd, "{\"command\": \"status\"}", 21, 0);
	serve_once(10);
	/* Nothing pending is served while accept() rests: the socket is not readable. */
	assert_int_equal(poll(&p, 1, 0), 0);
	assert_true(bpfd_control_timeout(control) > 0);
	setrlimit(RLIMIT_NOFILE, &old);
	while (n)
		close(fds[--n]);
	assert_string_equal(answer_of(fd), "{\"ok\":true,\"echo\":\"status\"}\n");
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clients_side_by_side),
		cmocka_unit_test(test_request_in_parts),
		cmocka_unit_test(test_request_too_long),
		cmocka_unit_test(test_client_that_never_reads),
		cmocka_unit_test(test_out_of_descriptors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
