// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "control.h"
#include "dirs.h"
#include "log.h"

#define MAX_CLIENTS 32
#define REQUEST_MAX (64 << 10)
/* To send the whole request; to take the next part of the answer. */
#define CLIENT_TIMEOUT_MS 5000
/* How long accept() rests after it failed for want of file descriptors. */
#define ACCEPT_PAUSE_MS 1000
/* The epoll tag of the listening socket; a client's is its slot. */
#define LISTENER MAX_CLIENTS

struct client {
	struct bpfd_peer peer; /* peer.fd < 0: a free slot */
	struct json_tokener *tok;
	size_t in_len;
	char *out; /* the answer, once the request is whole */
	size_t out_len, out_pos;
	int64_t deadline; /* CLOCK_MONOTONIC, ms */
};

struct bpfd_control {
	int fd, epfd;
	gid_t group;
	int64_t accept_again; /* 0, or when accept() may be tried again */
	char path[108];
	struct client clients[MAX_CLIENTS];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int watch(struct bpfd_control *c, int op, int fd, uint32_t events, uint32_t tag)
{
	struct epoll_event ev = { .events = events, .data.u32 = tag };

	return epoll_ctl(c->epfd, op, fd, &ev);
}

/* The socket's folder, as /run/vfio-pci-bpf, may not be there yet; it must be ours. */
static int make_folder(const char *path, char *err, size_t errlen)
{
	char dir[108];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	if (!strrchr(dir, '/') || strrchr(dir, '/') == dir)
		return 0;
	*strrchr(dir, '/') = '\0';
	mkdir(dir, 0755);
	if (bpfd_dir_own(dir, err, errlen))
		return -1;
	if (!stat(dir, &st) && !(st.st_mode & S_IXOTH))
		bpfd_warn("%s is mode %04o: only root and its group reach the control socket in it",
			  dir, st.st_mode & 07777);
	return 0;
}

struct bpfd_control *bpfd_control_open(const char *path, gid_t group, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct bpfd_control *c = calloc(1, sizeof(*c));

	if (!c || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: %s", path, c ? "path too long" : strerror(ENOMEM));
		free(c);
		return NULL;
	}
	if (make_folder(path, err, errlen)) {
		free(c);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->group = group;
	for (int i = 0; i < MAX_CLIENTS; i++)
		c->clients[i].peer.fd = -1;
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	unlink(path);
	/* Anyone may ask; what a request may do is decided by its peer's credentials. */
	if (c->epfd < 0 || c->fd < 0 || bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(path, 0666) || listen(c->fd, 64) ||
	    watch(c, EPOLL_CTL_ADD, c->fd, EPOLLIN, LISTENER)) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		bpfd_control_close(c);
		return NULL;
	}
	return c;
}

int bpfd_control_fd(const struct bpfd_control *c)
{
	return c ? c->epfd : -1;
}

int bpfd_control_timeout(const struct bpfd_control *c)
{
	int64_t now = now_ms(), next = c && c->accept_again ? c->accept_again : INT64_MAX;

	for (int i = 0; c && i < MAX_CLIENTS; i++)
		if (c->clients[i].peer.fd >= 0 && c->clients[i].deadline < next)
			next = c->clients[i].deadline;
	return next == INT64_MAX ? -1 : next <= now ? 0 : (int)(next - now);
}

static void drop(struct client *cl)
{
	close(cl->peer.fd);
	json_tokener_free(cl->tok);
	free(cl->out);
	memset(cl, 0, sizeof(*cl));
	cl->peer.fd = -1;
}

/* Writes what the client takes now; it is done (dropped) once it has it all. */
static void write_answer(struct client *cl)
{
	ssize_t n = 1;

	while (cl->out_pos < cl->out_len &&
	       (n = send(cl->peer.fd, cl->out + cl->out_pos, cl->out_len - cl->out_pos,
			 MSG_NOSIGNAL | MSG_DONTWAIT)) > 0) {
		cl->out_pos += n;
		cl->deadline = now_ms() + CLIENT_TIMEOUT_MS;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* A client that left before the answer must not end the daemon with SIGPIPE. */
	if (n < 0)
		bpfd_warn("control socket: the client (uid %u) left before the answer (%s)",
			  cl->peer.cred.uid, strerror(errno));
	drop(cl);
}

/* Queues @out (consumed) as the client's answer, one line, and starts sending it. */
static void set_answer(struct bpfd_control *c, struct client *cl, struct json_object *out)
{
	const char *text = json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN);

	cl->out_len = strlen(text) + 1;
	cl->out = malloc(cl->out_len);
	if (cl->out)
		memcpy(cl->out, text, cl->out_len - 1), cl->out[cl->out_len - 1] = '\n';
	json_object_put(out);
	cl->deadline = now_ms() + CLIENT_TIMEOUT_MS;
	if (!cl->out || watch(c, EPOLL_CTL_MOD, cl->peer.fd, EPOLLOUT, cl - c->clients)) {
		drop(cl);
		return;
	}
	write_answer(cl);
}

static struct json_object *refusal(const char *why)
{
	struct json_object *out = json_object_new_object();

	json_object_object_add(out, "ok", json_object_new_boolean(false));
	json_object_object_add(out, "error", json_object_new_string(why));
	return out;
}

/*
 * Reads what the client sent so far.  The request is whole when it parses
 * as one JSON value, or at end of file (the client shut its side down):
 * then it is answered.  Returns whether that asked for a reload.
 */
static bool read_request(struct bpfd_control *c, struct client *cl, const struct bpfd_status *st,
			 const struct bpfd_runtime *rt)
{
	struct json_object *req = NULL;
	bool reload = false, whole = false;
	char buf[4096];
	ssize_t n = 0;

	while (!whole && (n = read(cl->peer.fd, buf, sizeof(buf))) > 0) {
		cl->in_len += n;
		if (cl->in_len > REQUEST_MAX) {
			set_answer(c, cl, refusal("request longer than 64 KiB"));
			return false;
		}
		req = json_tokener_parse_ex(cl->tok, buf, n);
		whole = json_tokener_get_error(cl->tok) != json_tokener_continue;
	}
	if (!whole && n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	/* An error, or a client that left without a word: nobody to answer. */
	if (!whole && (n < 0 || !cl->in_len)) {
		drop(cl);
		return false;
	}
	/* Whole, or cut short: what does not parse is answered as such (req NULL). */
	set_answer(c, cl, bpfd_command_answer(req, &cl->peer, st, rt, &reload));
	json_object_put(req);
	return reload;
}

/* New clients, while there is room; none for a second when descriptors ran out. */
static void accept_clients(struct bpfd_control *c)
{
	static const char busy[] = "{\"ok\":false,\"error\":\"too many clients; try again\"}\n";

	for (;;) {
		int conn = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		socklen_t len = sizeof(struct ucred);
		struct client *cl = NULL;

		if (conn < 0 &&
		    (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) {
			/* The socket stays readable: polling it now would only spin. */
			bpfd_warn("control socket: cannot accept (%s); not listening for %d ms",
				  strerror(errno), ACCEPT_PAUSE_MS);
			watch(c, EPOLL_CTL_MOD, c->fd, 0, LISTENER);
			c->accept_again = now_ms() + ACCEPT_PAUSE_MS;
			return;
		}
		if (conn < 0)
			return;
		for (int i = 0; i < MAX_CLIENTS && !cl; i++)
			if (c->clients[i].peer.fd < 0)
				cl = &c->clients[i];
		if (!cl) {
			send(conn, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(conn);
			continue;
		}
		cl->peer.fd = conn;
		cl->peer.group = c->group;
		cl->tok = json_tokener_new();
		cl->deadline = now_ms() + CLIENT_TIMEOUT_MS;
		if (!cl->tok || getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cl->peer.cred, &len) ||
		    watch(c, EPOLL_CTL_ADD, conn, EPOLLIN, cl - c->clients))
			drop(cl);
	}
}

bool bpfd_control_serve(struct bpfd_control *c, const struct bpfd_status *st,
			const struct bpfd_runtime *rt)
{
	struct epoll_event ev[MAX_CLIENTS + 1];
	bool reload = false, listener = false;
	int64_t now = now_ms();
	int n;

	if (!c)
		return false;
	if (c->accept_again && now >= c->accept_again) {
		c->accept_again = 0;
		watch(c, EPOLL_CTL_MOD, c->fd, EPOLLIN, LISTENER);
	}
	n = epoll_wait(c->epfd, ev, MAX_CLIENTS + 1, 0);
	for (int i = 0; i < n; i++) {
		struct client *cl = &c->clients[ev[i].data.u32];

		/* New clients last: a slot freed now may not see an event of its last one. */
		if (ev[i].data.u32 == LISTENER)
			listener = true;
		else if (cl->peer.fd >= 0 && cl->out)
			write_answer(cl);
		else if (cl->peer.fd >= 0)
			reload |= read_request(c, cl, st, rt);
	}
	if (listener)
		accept_clients(c);
	now = now_ms();
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *cl = &c->clients[i];

		if (cl->peer.fd < 0 || cl->deadline > now)
			continue;
		bpfd_warn("control socket: dropped a client (uid %u) that %s within %d s",
			  cl->peer.cred.uid,
			  cl->out ? "did not take its answer" : "sent no whole request",
			  CLIENT_TIMEOUT_MS / 1000);
		drop(cl);
	}
	return reload;
}

void bpfd_control_close(struct bpfd_control *c)
{
	if (!c)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (c->clients[i].peer.fd >= 0)
			drop(&c->clients[i]);
	if (c->fd >= 0) {
		close(c->fd);
		unlink(c->path);
	}
	if (c->epfd >= 0)
		close(c->epfd);
	free(c);
}
