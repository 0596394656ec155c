/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The /metrics endpoint: GET /metrics answers, everything else gets the
 * right HTTP error, and silent or half-sent clients stall nobody.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "http.h"

#define METRICS "# HELP x_total X.\n# TYPE x_total counter\nx_total 1\n"
#define METRICS_CPU "x_total{cpu=\"0\"} 1\n"

struct server {
	struct sl_http *h;
	pthread_t thread;
	volatile int stop;
	int port;
};

static int fake_metrics(void *arg, bool per_cpu, char **text, size_t *len)
{
	*text = strdup(per_cpu ? METRICS_CPU : METRICS);
	*len = strlen(*text);
	return 0;
}

/* The daemon's loop in miniature: poll the fd, run on readiness or timeout. */
static void *loop(void *arg)
{
	struct server *s = arg;
	struct pollfd p = { .fd = sl_http_fd(s->h), .events = POLLIN };

	while (!s->stop) {
		int t = sl_http_timeout(s->h);

		poll(&p, 1, t < 0 || t > 100 ? 100 : t);
		sl_http_run(s->h);
	}
	return NULL;
}

static int setup(void **state)
{
	static struct server s;
	char err[256];

	s.h = sl_http_start("127.0.0.1:0", fake_metrics, NULL, err,
			    sizeof(err));
	if (!s.h) {
		print_error("%s\n", err);
		return -1;
	}
	s.port = sl_http_port(s.h);
	if (pthread_create(&s.thread, NULL, loop, &s))
		return -1;
	*state = &s;
	return 0;
}

static int teardown(void **state)
{
	struct server *s = *state;

	s->stop = 1;
	pthread_join(s->thread, NULL);
	sl_http_stop(s->h);
	return 0;
}

static int connect_to(const struct server *s)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(s->port) };
	struct timeval tv = { .tv_sec = 3 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Send raw bytes, read the whole reply (the server closes). */
static char *exchange(const struct server *s, const char *req)
{
	static char buf[8192];
	size_t n = 0;
	ssize_t r;
	int fd = connect_to(s);

	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while (n < sizeof(buf) - 1 &&
	       (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += r;
	buf[n] = '\0';
	close(fd);
	return buf;
}

static int status_of(const char *reply)
{
	int code = 0;

	sscanf(reply, "HTTP/1.%*d %d", &code);
	return code;
}

static const char *body_of(const char *reply)
{
	const char *b = strstr(reply, "\r\n\r\n");

	return b ? b + 4 : "";
}

#define CLOSE "Connection: close\r\n\r\n"

static void test_get_metrics(void **state)
{
	char *r =
		exchange(*state, "GET /metrics HTTP/1.1\r\nHost: x\r\n" CLOSE);

	assert_int_equal(status_of(r), 200);
	assert_non_null(strstr(r, "text/plain; version=0.0.4"));
	assert_string_equal(body_of(r), METRICS);
}

static void test_per_cpu(void **state)
{
	char *r = exchange(
		*state, "GET /metrics?per_cpu=1 HTTP/1.1\r\nHost: x\r\n" CLOSE);

	assert_int_equal(status_of(r), 200);
	assert_string_equal(body_of(r), METRICS_CPU);
}

static void test_errors(void **state)
{
	char *r;

	r = exchange(*state, "GET / HTTP/1.1\r\nHost: x\r\n" CLOSE);
	assert_int_equal(status_of(r), 404);
	r = exchange(*state, "GET /metricsx HTTP/1.1\r\nHost: x\r\n" CLOSE);
	assert_int_equal(status_of(r), 404);
	r = exchange(*state, "POST /metrics HTTP/1.1\r\nHost: x\r\n"
			     "Content-Length: 3\r\n" CLOSE "abc");
	assert_int_equal(status_of(r), 405);
	assert_non_null(strstr(r, "Allow: GET, HEAD"));
	r = exchange(*state, "DELETE /metrics HTTP/1.1\r\nHost: x\r\n" CLOSE);
	assert_int_equal(status_of(r), 405);
	r = exchange(*state, "HELLO THERE\r\n\r\n");
	assert_int_equal(status_of(r), 400);
	r = exchange(*state, "GET /metrics HTTP/9.9\r\nHost: x\r\n" CLOSE);
	assert_int_equal(status_of(r), 505);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_stalled_clients(void **state)
{
	const struct server *s = *state;
	int silent[10], half, i;
	double t0;
	char c, *r;

	for (i = 0; i < 10; i++)
		silent[i] = connect_to(s);
	half = connect_to(s);
	assert_int_equal(write(half, "GET /metr", 9), 9);

	/* Others are served at once meanwhile. */
	t0 = now();
	r = exchange(s, "GET /metrics HTTP/1.1\r\nHost: x\r\n" CLOSE);
	assert_int_equal(status_of(r), 200);
	assert_true(now() - t0 < 1.0);

	/* And the stalled ones are cut off after the connection timeout. */
	t0 = now();
	{
		struct timeval tv = { .tv_sec = 10 };

		setsockopt(half, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	assert_int_equal(read(half, &c, 1), 0);
	assert_true(now() - t0 < 8.0);
	close(half);
	for (i = 0; i < 10; i++)
		close(silent[i]);
}

static void test_bad_address(void **state)
{
	char err[256] = "";

	assert_null(sl_http_start("nonsense", fake_metrics, NULL, err,
				  sizeof(err)));
	assert_string_equal(err,
			    "bad metrics address \"nonsense\" (ADDR:PORT)");
	assert_null(sl_http_start("127.0.0.1:99999", fake_metrics, NULL, err,
				  sizeof(err)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_metrics),
		cmocka_unit_test(test_per_cpu),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_stalled_clients),
		cmocka_unit_test(test_bad_address),
	};

	return cmocka_run_group_tests_name("http", tests, setup, teardown);
}
