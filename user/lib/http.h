/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The /metrics endpoint: libmicrohttpd driven from the caller's event
 * loop (its epoll fd and timeout), so a slow or broken HTTP client only
 * ever costs a connection slot, never the loop.
 */
#ifndef __SLUICE_HTTP_H
#define __SLUICE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct sl_http;

/* Fill *text (malloc'd, the server frees it) with the metrics; 0 or -errno. */
typedef int (*sl_http_metrics_fn)(void *arg, bool per_cpu, char **text,
				  size_t *len);

/* addr is "ADDR:PORT" ("127.0.0.1:9477", "[::1]:9477"); port 0 picks one. */
struct sl_http *sl_http_start(const char *addr, sl_http_metrics_fn fn,
			      void *arg, char *err, size_t errlen);
void sl_http_stop(struct sl_http *h);

/* The fd to watch for readability, and what to call when it is readable. */
int sl_http_fd(const struct sl_http *h);
void sl_http_run(struct sl_http *h);
/* Milliseconds until sl_http_run() is due anyway (timeouts), -1 for never. */
int sl_http_timeout(const struct sl_http *h);
/* The port bound (when asked for port 0). */
int sl_http_port(const struct sl_http *h);

#endif /* __SLUICE_HTTP_H */
