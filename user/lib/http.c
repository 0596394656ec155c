// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "http.h"

/*
 * What a client may hold, and for how long.  libmicrohttpd's own timeout
 * is an idle one, which a client sending a byte a second never meets, so
 * each connection is also held to deadlines: its request's headers
 * within SL_HTTP_HEADER_MS of connecting (or of its last response), its
 * response taken within SL_HTTP_REPLY_MS.  Past a deadline, or when a
 * newcomer finds the table nearly full, a connection is shut down under
 * libmicrohttpd, which then closes it as a client that left.
 */
#define SL_HTTP_TIMEOUT_S 5 /* idle */
#define SL_HTTP_HEADER_MS 2000
#define SL_HTTP_REPLY_MS 10000 /* Prometheus' default scrape timeout */
#define SL_HTTP_MAX_CONNS 256
/* Past this many, a newcomer evicts the oldest still sending headers. */
#define SL_HTTP_EVICT_AT (SL_HTTP_MAX_CONNS - 16)
#define SL_HTTP_CONN_MEM (32 * 1024)

struct sl_http_conn {
	struct sl_http_conn *prev, *next; /* oldest first */
	int fd; /* -1 once cut */
	bool replying; /* its headers are in: a response is under way */
	unsigned long long since_ms; /* connected, or its phase began */
};

struct sl_http {
	struct MHD_Daemon *mhd;
	sl_http_metrics_fn fn;
	void *arg;
	int port;
	unsigned int nconns;
	struct sl_http_conn *first, *last;
};

static unsigned long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static struct sl_http_conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* libmicrohttpd sees the end of the stream and closes the connection. */
static void cut(struct sl_http_conn *k)
{
	if (k->fd >= 0)
		shutdown(k->fd, SHUT_RDWR);
	k->fd = -1;
}

static void evict_oldest_sender(struct sl_http *h)
{
	struct sl_http_conn *k;

	for (k = h->first; k; k = k->next)
		if (k->fd >= 0 && !k->replying) {
			cut(k);
			return;
		}
}

static void on_connection(void *cls, struct MHD_Connection *c, void **ctx,
			  enum MHD_ConnectionNotificationCode toe)
{
	const union MHD_ConnectionInfo *ci;
	struct sl_http *h = cls;
	struct sl_http_conn *k = *ctx;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (!k)
			return;
		*(k->prev ? &k->prev->next : &h->first) = k->next;
		*(k->next ? &k->next->prev : &h->last) = k->prev;
		h->nconns--;
		free(k);
		*ctx = NULL;
		return;
	}
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	k = calloc(1, sizeof(*k));
	if (!ci || !k) {
		free(k);
		return;
	}
	if (h->nconns >= SL_HTTP_EVICT_AT)
		evict_oldest_sender(h);
	k->fd = ci->connect_fd;
	k->since_ms = now_ms();
	k->prev = h->last;
	*(h->last ? &h->last->next : &h->first) = k;
	h->last = k;
	h->nconns++;
	*ctx = k;
}

/* A response sent: the next request's headers are on the clock. */
static void on_completed(void *cls, struct MHD_Connection *c, void **state,
			 enum MHD_RequestTerminationCode toe)
{
	struct sl_http_conn *k = conn_of(c);

	if (k) {
		k->replying = false;
		k->since_ms = now_ms();
	}
}

/* Shut down every connection past its deadline. */
static void reap(struct sl_http *h)
{
	unsigned long long now = now_ms();
	struct sl_http_conn *k;

	for (k = h->first; k; k = k->next)
		if (k->fd >= 0 &&
		    now - k->since_ms > (k->replying ? SL_HTTP_REPLY_MS :
						       SL_HTTP_HEADER_MS))
			cut(k);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status,
			     const char *body, const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(r, "Allow", allow);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static bool truthy(const char *v)
{
	return v && (!strcmp(v, "1") || !strcmp(v, "true") || !*v);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **state)
{
	static int first_call;
	struct sl_http *h = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *text = NULL;
	size_t len = 0;
	bool get = !strcmp(method, MHD_HTTP_METHOD_GET);

	/* The headers first; a request body is read, and ignored, after. */
	if (!*state) {
		struct sl_http_conn *k = conn_of(c);

		if (k) {
			k->replying = true;
			k->since_ms = now_ms();
		}
		*state = &first_call;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (!get && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			     "only GET /metrics is served\n", "GET, HEAD");
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "only /metrics is here\n",
			     NULL);
	if (h->fn(h->arg,
		  truthy(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
						     "per_cpu")),
		  &text, &len))
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			     "cannot read the counters\n", NULL);
	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type",
				"text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static int parse_addr(const char *s, struct sockaddr_storage *ss,
		      socklen_t *sslen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	unsigned long port;
	size_t hlen;
	char *end;

	if (!colon || colon == s)
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || !colon[1] || port > 65535)
		return -EINVAL;
	hlen = colon - s;
	if (s[0] == '[' && hlen >= 2 && s[hlen - 1] == ']') {
		s++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*sslen = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*sslen = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

struct sl_http *sl_http_start(const char *addr, sl_http_metrics_fn fn,
			      void *arg, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	unsigned int flags = MHD_USE_EPOLL;
	struct sl_http *h;
	socklen_t sslen;

	if (parse_addr(addr, &ss, &sslen)) {
		snprintf(err, errlen, "bad metrics address \"%s\" (ADDR:PORT)",
			 addr);
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->fn = fn;
	h->arg = arg;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR, &ss,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SL_HTTP_TIMEOUT_S,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SL_HTTP_MAX_CONNS,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SL_HTTP_CONN_MEM,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_END);
	if (!h->mhd) {
		snprintf(err, errlen, "cannot serve metrics on %s: %s", addr,
			 strerror(errno ? errno : EADDRINUSE));
		free(h);
		return NULL;
	}
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : 0;
	return h;
}

void sl_http_stop(struct sl_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->mhd);
	free(h);
}

int sl_http_fd(const struct sl_http *h)
{
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);

	return info ? info->epoll_fd : -1;
}

void sl_http_run(struct sl_http *h)
{
	reap(h);
	MHD_run(h->mhd);
}

int sl_http_timeout(const struct sl_http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	/* Deadlines are checked at least this often while anyone is here. */
	if (MHD_get_timeout(h->mhd, &ms) != MHD_YES)
		return h->nconns ? SL_HTTP_HEADER_MS / 4 : -1;
	if (h->nconns && ms > SL_HTTP_HEADER_MS / 4)
		ms = SL_HTTP_HEADER_MS / 4;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

int sl_http_port(const struct sl_http *h)
{
	return h->port;
}
