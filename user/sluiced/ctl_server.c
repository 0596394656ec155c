/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control protocol, server side: the listening socket and its
 * connections, each with bounded buffers, behind an epoll fd of its own.
 *
 * A connection alternates: read up to one complete line, run it, write
 * its reply; the next line is looked at only once the reply is out.  So
 * a connection holds at most one request (SL_CTL_LINE_MAX) and one reply,
 * whatever the client does, and a client that stops reading stops being
 * read.  Every connection has a deadline, renewed only by a reply
 * written in full: slow senders, idle connections and clients that never
 * read their replies are all closed by sl_ctl_server_tick().
 */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <json-c/json.h>

#include "ctl_request.h"
#include "err.h"
#include "ctl_server.h"

/* Bytes read per wake-up of one connection, so none starves the rest. */
#define READ_CHUNK 65536
#define ACCEPT_BUDGET 16
#define EVENTS 32

struct client {
	int fd;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off;
	int fds[SL_CTL_MAX_FDS];
	int nfds;
	unsigned long long deadline; /* ms */
	bool eof; /* the client is done sending */
	bool closing; /* close once out is written */
	bool held; /* holds something of the daemon's (a capture): no deadline */
	int pass_fd; /* goes with the first byte of out, or -1 */
	unsigned int events; /* what epoll watches now */
	struct sl_ctl_job *job; /* a request being answered in steps */
	struct json_object *job_id; /* its id */
};

struct sl_ctl_server {
	int lfd, epfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct client *clients[SL_CTL_MAX_CLIENTS];
	unsigned int nclients;
	size_t out_total; /* reply bytes held for all connections */
	sl_ctl_handler handler;
	sl_ctl_closed closed;
	void *arg;
	int jobfd; /* an eventfd, readable while a job is unfinished */
	unsigned int njobs;
};

static void job_end(struct sl_ctl_server *srv, struct client *c)
{
	uint64_t n;

	c->job->free(c->job);
	c->job = NULL;
	json_object_put(c->job_id);
	c->job_id = NULL;
	if (!--srv->njobs && read(srv->jobfd, &n, sizeof(n)) < 0)
		n = 0; /* nothing was pending */
}

static void client_close(struct sl_ctl_server *srv, struct client *c)
{
	unsigned int i;

	for (i = 0; i < srv->nclients; i++) {
		if (srv->clients[i] != c)
			continue;
		srv->clients[i] = srv->clients[--srv->nclients];
		break;
	}
	if (c->job)
		job_end(srv, c);
	for (i = 0; i < (unsigned int)c->nfds; i++)
		close(c->fds[i]);
	if (c->pass_fd >= 0)
		close(c->pass_fd);
	if (c->held && srv->closed)
		srv->closed(srv->arg, (unsigned long)c);
	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	srv->out_total -= c->out_len - c->out_off;
	free(c->in);
	free(c->out);
	free(c);
}

static void client_watch(struct sl_ctl_server *srv, struct client *c,
			 unsigned int events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (events == c->events)
		return;
	if (!epoll_ctl(srv->epfd, EPOLL_CTL_MOD, c->fd, &ev))
		c->events = events;
}

/* Append text to the pending reply; the caller has checked the bounds. */
static int out_put(struct sl_ctl_server *srv, struct client *c, const char *s,
		   size_t n)
{
	size_t need = c->out_len + n;
	char *p;

	p = realloc(c->out, need ? need : 1);
	if (!p)
		return -ENOMEM;
	memcpy(p + c->out_len, s, n);
	c->out = p;
	c->out_len = need;
	srv->out_total += n;
	return 0;
}

static void reply_error(struct sl_ctl_server *srv, struct client *c,
			const char *msg, struct json_object *id)
{
	struct json_object *o = json_object_new_object();
	const char *text;

	if (!o)
		goto fail;
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	if (id)
		json_object_object_add(o, "id", json_object_get(id));
	text = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text || out_put(srv, c, text, strlen(text)) ||
	    out_put(srv, c, "\n", 1)) {
		json_object_put(o);
		goto fail;
	}
	json_object_put(o);
	return;
fail:
	/* Not even an error fits: this connection gets nothing more. */
	c->closing = true;
}

static const char *to_text(struct json_object *o)
{
	return json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void reply_ok(struct sl_ctl_server *srv, struct client *c,
		     struct sl_ctl_result *res, struct json_object *id)
{
	static const char head[] = "{\"ok\":true,\"data\":";
	const char *data = "null", *idtext = NULL;
	size_t dlen, total;
	char msg[128];

	if (res->raw) {
		data = res->raw;
		dlen = res->rawlen;
	} else {
		if (res->data)
			data = to_text(res->data);
		if (!data) {
			reply_error(srv, c, "out of memory", id);
			return;
		}
		dlen = strlen(data);
	}
	if (id)
		idtext = to_text(id);
	total = sizeof(head) - 1 + dlen + (idtext ? strlen(idtext) + 6 : 0) + 2;
	if (total > SL_CTL_REPLY_MAX ||
	    srv->out_total + total > SL_CTL_OUT_TOTAL_MAX) {
		snprintf(msg, sizeof(msg),
			 "reply of %zu bytes is more than the daemon holds now",
			 total);
		reply_error(srv, c, msg, id);
		return;
	}
	if (out_put(srv, c, head, sizeof(head) - 1) ||
	    out_put(srv, c, data, dlen) ||
	    (idtext && (out_put(srv, c, ",\"id\":", 6) ||
			out_put(srv, c, idtext, strlen(idtext)))) ||
	    out_put(srv, c, "}\n", 2)) {
		srv->out_total -= c->out_len;
		c->out_len = 0;
		reply_error(srv, c, "out of memory", id);
	}
}

static int take_fd(struct client *c)
{
	int fd;

	if (!c->nfds)
		return -1;
	fd = c->fds[0];
	memmove(c->fds, c->fds + 1, --c->nfds * sizeof(int));
	return fd;
}

static void handle_line(struct sl_ctl_server *srv, struct client *c,
			const char *line, size_t len)
{
	struct sl_ctl_result res = { .conn = (unsigned long)c, .pass_fd = -1 };
	struct sl_ctl_request req;
	char err[SL_CTL_ERR_LEN];
	int fd = -1, ret;

	ret = sl_ctl_request_parse(line, len, &req, err, sizeof(err));
	if (ret == -ENODATA)
		return;
	if (ret) {
		reply_error(srv, c, err, req.id);
		goto out;
	}
	if (req.fd) {
		fd = take_fd(c);
		if (fd < 0) {
			reply_error(
				srv, c,
				"the request says \"fd\" but no descriptor came with it",
				req.id);
			goto out;
		}
	}
	ret = srv->handler(srv->arg, req.argc, req.argv, fd, &res);
	if (!ret && res.job) {
		uint64_t one = 1;

		c->job = res.job;
		c->job_id = json_object_get(req.id);
		if (!srv->njobs++ && write(srv->jobfd, &one, sizeof(one)) < 0)
			one = 0; /* a full counter is readable anyway */
		goto out;
	}
	if (ret) {
		if (!res.err[0])
			snprintf(res.err, sizeof(res.err), "%s",
				 strerror(-ret));
		reply_error(srv, c, res.err, req.id);
	} else {
		reply_ok(srv, c, &res, req.id);
		if (res.pass_fd >= 0 && c->pass_fd < 0) {
			c->pass_fd = res.pass_fd;
			res.pass_fd = -1;
		}
		c->held |= res.hold;
	}
out:
	if (fd >= 0)
		close(fd);
	if (res.pass_fd >= 0)
		close(res.pass_fd);
	json_object_put(res.data);
	free(res.raw);
	sl_ctl_request_free(&req);
}

/* Send from out, the descriptor riding with the first byte. */
static ssize_t client_send(struct client *c)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr msg = { 0 };
	struct cmsghdr *cm;
	struct iovec iov;
	ssize_t n;

	iov.iov_base = c->out + c->out_off;
	iov.iov_len = c->out_len - c->out_off;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (c->pass_fd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &c->pass_fd, sizeof(int));
	}
	n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n > 0 && c->pass_fd >= 0) {
		close(c->pass_fd);
		c->pass_fd = -1;
	}
	return n;
}

static int client_flush(struct client *c, struct sl_ctl_server *srv)
{
	ssize_t n;

	while (c->out_off < c->out_len) {
		n = client_send(c);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -errno;
		}
		c->out_off += n;
		srv->out_total -= n;
		/* Progress renews the deadline: a big reply may take a while. */
		c->deadline = sl_ctl_now_ms() + SL_CTL_TIMEOUT_S * 1000;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	return 0;
}

/*
 * Answer complete lines one at a time, writing each reply before looking
 * at the next.  Returns false when the connection was closed.
 */
static bool client_pump(struct sl_ctl_server *srv, struct client *c)
{
	char *nl;
	size_t n;

	for (;;) {
		if (client_flush(c, srv)) {
			client_close(srv, c);
			return false;
		}
		if (c->out_len) {
			client_watch(srv, c, EPOLLOUT);
			return true;
		}
		if (c->closing) {
			client_close(srv, c);
			return false;
		}
		/* A hang-up is all that matters until the job answers. */
		if (c->job) {
			client_watch(srv, c, 0);
			return true;
		}
		nl = memchr(c->in, '\n', c->in_len);
		n = nl ? (size_t)(nl - c->in) : c->in_len;
		if (n > SL_CTL_LINE_MAX) {
			char msg[96];

			snprintf(msg, sizeof(msg),
				 "request longer than %d bytes: closing",
				 SL_CTL_LINE_MAX);
			reply_error(srv, c, msg, NULL);
			c->closing = true;
			continue;
		}
		if (!nl) {
			if (c->eof) {
				/* A partial last line is not a request. */
				client_close(srv, c);
				return false;
			}
			client_watch(srv, c, EPOLLIN);
			return true;
		}
		handle_line(srv, c, c->in, n);
		c->in_len -= n + 1;
		memmove(c->in, nl + 1, c->in_len);
		c->deadline = sl_ctl_now_ms() + SL_CTL_TIMEOUT_S * 1000;
	}
}

static void keep_fds(struct client *c, struct msghdr *msg)
{
	struct cmsghdr *cm;
	size_t i, n;
	int fd;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(int));
			if (c->nfds < SL_CTL_MAX_FDS)
				c->fds[c->nfds++] = fd;
			else
				close(fd);
		}
	}
}

static void client_read(struct sl_ctl_server *srv, struct client *c)
{
	char cbuf[CMSG_SPACE(sizeof(int) * SL_CTL_MAX_FDS)];
	struct msghdr msg = { 0 };
	struct iovec iov;
	ssize_t n;
	char *p;

	if (c->in_cap - c->in_len < READ_CHUNK) {
		p = realloc(c->in, c->in_len + READ_CHUNK);
		if (!p) {
			client_close(srv, c);
			return;
		}
		c->in = p;
		c->in_cap = c->in_len + READ_CHUNK;
	}
	iov.iov_base = c->in + c->in_len;
	iov.iov_len = c->in_cap - c->in_len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		client_close(srv, c);
		return;
	}
	keep_fds(c, &msg);
	if (!n)
		c->eof = true;
	c->in_len += n;
	client_pump(srv, c);
}

static void client_event(struct sl_ctl_server *srv, struct client *c,
			 unsigned int events)
{
	if (events & EPOLLIN) {
		client_read(srv, c);
		return;
	}
	if (events & EPOLLOUT) {
		client_pump(srv, c);
		return;
	}
	if (events & (EPOLLHUP | EPOLLERR))
		client_close(srv, c);
}

static void refuse(int fd)
{
	static const char msg[] =
		"{\"ok\":false,\"error\":\"too many clients\"}\n";
	ssize_t n;

	n = send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)n;
	close(fd);
}

static void accept_clients(struct sl_ctl_server *srv)
{
	struct epoll_event ev;
	struct client *c;
	int i, fd;

	for (i = 0; i < ACCEPT_BUDGET; i++) {
		fd = accept4(srv->lfd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (srv->nclients >= SL_CTL_MAX_CLIENTS) {
			refuse(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->pass_fd = -1;
		c->events = EPOLLIN;
		c->deadline = sl_ctl_now_ms() + SL_CTL_TIMEOUT_S * 1000;
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			free(c);
			continue;
		}
		srv->clients[srv->nclients++] = c;
	}
}

/* One step of every job; those done answer, and their clients go on. */
static void run_jobs(struct sl_ctl_server *srv)
{
	struct client *with[SL_CTL_MAX_CLIENTS];
	unsigned int i, n = 0;
	int ret;

	for (i = 0; i < srv->nclients; i++)
		if (srv->clients[i]->job)
			with[n++] = srv->clients[i];
	for (i = 0; i < n; i++) {
		struct sl_ctl_result res = { 0 };
		struct client *c = with[i];

		ret = c->job->step(c->job, &res);
		c->deadline = sl_ctl_now_ms() + SL_CTL_TIMEOUT_S * 1000;
		if (ret == SL_CTL_JOB_MORE)
			continue;
		if (ret) {
			if (!res.err[0])
				snprintf(res.err, sizeof(res.err), "%s",
					 strerror(-ret));
			reply_error(srv, c, res.err, c->job_id);
		} else {
			reply_ok(srv, c, &res, c->job_id);
		}
		json_object_put(res.data);
		free(res.raw);
		job_end(srv, c);
		client_pump(srv, c);
	}
}

void sl_ctl_server_run(struct sl_ctl_server *srv)
{
	struct epoll_event ev[EVENTS];
	int n, i;

	n = epoll_wait(srv->epfd, ev, EVENTS, 0);
	for (i = 0; i < n; i++) {
		if (ev[i].data.ptr == srv)
			accept_clients(srv);
		else if (ev[i].data.ptr != &srv->jobfd)
			client_event(srv, ev[i].data.ptr, ev[i].events);
	}
	if (srv->njobs)
		run_jobs(srv);
}

void sl_ctl_server_tick(struct sl_ctl_server *srv)
{
	static const char msg[] = "{\"ok\":false,\"error\":\"timed out\"}\n";
	unsigned long long now = sl_ctl_now_ms();
	unsigned int i = 0;
	ssize_t n;

	while (i < srv->nclients) {
		struct client *c = srv->clients[i];

		if (c->held || now < c->deadline) {
			i++;
			continue;
		}
		/* Say why, if it fits; a reply it never read is lost anyway. */
		if (!c->out_len) {
			n = send(c->fd, msg, sizeof(msg) - 1,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
			(void)n;
		}
		client_close(srv, c); /* moves the last one to i */
	}
}

unsigned int sl_ctl_server_clients(const struct sl_ctl_server *srv)
{
	return srv->nclients;
}

int sl_ctl_server_fd(const struct sl_ctl_server *srv)
{
	return srv->epfd;
}

/* Is a daemon answering on path?  Then its socket is not stale. */
static bool socket_live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return false;
	live = !connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	return live;
}

int sl_ctl_server_open(const struct sl_ctl_server_opts *opts,
		       struct sl_ctl_server **out, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev;
	struct sl_ctl_server *srv;
	struct stat st;
	mode_t old_umask;
	int ret;

	if (strlen(opts->path) >= sizeof(sa.sun_path)) {
		sl_err(err, errlen, "socket path \"%s\" too long", opts->path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, opts->path);
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->lfd = srv->epfd = srv->jobfd = -1;
	srv->handler = opts->handler;
	srv->closed = opts->closed;
	srv->arg = opts->arg;

	if (!lstat(opts->path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			sl_err(err, errlen, "%s exists and is not a socket",
			       opts->path);
			ret = -EEXIST;
			goto fail;
		}
		if (socket_live(&sa)) {
			sl_err(err, errlen,
			       "%s: another sluiced is answering there",
			       opts->path);
			ret = -EADDRINUSE;
			goto fail;
		}
		unlink(opts->path);
	}
	srv->lfd =
		socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->lfd < 0) {
		ret = -errno;
		sl_err(err, errlen, "socket: %s", strerror(-ret));
		goto fail;
	}
	/* Born 0600, so nobody slips in before the group is set. */
	old_umask = umask(0177);
	ret = bind(srv->lfd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old_umask);
	if (ret) {
		sl_err(err, errlen, "cannot bind %s: %s", opts->path,
		       strerror(-ret));
		goto fail;
	}
	strcpy(srv->path, opts->path);
	if (opts->gid >= 0) {
		if (chown(opts->path, 0, opts->gid) ||
		    chmod(opts->path, 0660)) {
			ret = -errno;
			sl_err(err, errlen, "cannot give %s to group %d: %s",
			       opts->path, opts->gid, strerror(-ret));
			goto fail;
		}
	}
	if (listen(srv->lfd, SL_CTL_MAX_CLIENTS)) {
		ret = -errno;
		sl_err(err, errlen, "listen: %s", strerror(-ret));
		goto fail;
	}
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv->epfd < 0) {
		ret = -errno;
		sl_err(err, errlen, "epoll: %s", strerror(-ret));
		goto fail;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = srv;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->lfd, &ev)) {
		ret = -errno;
		sl_err(err, errlen, "epoll: %s", strerror(-ret));
		goto fail;
	}
	/* Keeps the server's fd readable while jobs have steps to make. */
	srv->jobfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ev.data.ptr = &srv->jobfd;
	if (srv->jobfd < 0 ||
	    epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->jobfd, &ev)) {
		ret = -errno;
		sl_err(err, errlen, "eventfd: %s", strerror(-ret));
		goto fail;
	}
	*out = srv;
	return 0;
fail:
	sl_ctl_server_close(srv);
	return ret;
}

void sl_ctl_server_close(struct sl_ctl_server *srv)
{
	if (!srv)
		return;
	while (srv->nclients)
		client_close(srv, srv->clients[0]);
	if (srv->lfd >= 0)
		close(srv->lfd);
	if (srv->path[0])
		unlink(srv->path);
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->jobfd >= 0)
		close(srv->jobfd);
	free(srv);
}
