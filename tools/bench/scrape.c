// SPDX-License-Identifier: GPL-2.0-only
/*
 * make bench: the cost of one Prometheus scrape with 64 attached
 * interfaces and the bench's 10,000 rules (issue 5 wants it under 20 ms).
 *
 * Two figures, each the median of SCRAPES runs: sl_metrics_write() alone
 * (three batch reads of the counters, the program info of every
 * interface, the map fill, the text), and a whole HTTP GET /metrics
 * through sl_http over loopback, as Prometheus sees it.  The HTTP server
 * runs in a thread that does what sluiced's loop does with it.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "bench.h"
#include "http.h"
#include "metrics.h"

#define SCRAPES 15
#define IFACES 64

struct scrape {
	const struct sl_dp *dp;
	struct sl_metrics_opts opts;
	struct sl_http *h;
	volatile int stop;
	size_t bytes;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_of(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static int write_text(struct scrape *s, bool per_cpu, char **text, size_t *len)
{
	struct sl_metrics_opts o = s->opts;
	FILE *f = open_memstream(text, len);
	int ret;

	if (!f)
		return -errno;
	o.per_cpu = per_cpu;
	ret = sl_metrics_write(s->dp, &o, f);
	if (fclose(f) && !ret)
		ret = -EIO;
	if (ret) {
		free(*text);
		*text = NULL;
	}
	return ret;
}

static int http_text(void *arg, bool per_cpu, char **text, size_t *len)
{
	return write_text(arg, per_cpu, text, len);
}

/* sluiced's loop, for the HTTP server alone. */
static void *loop(void *arg)
{
	struct scrape *s = arg;
	struct pollfd p = { .fd = sl_http_fd(s->h), .events = POLLIN };

	while (!s->stop) {
		int t = sl_http_timeout(s->h);

		poll(&p, 1, t < 0 || t > 50 ? 50 : t);
		sl_http_run(s->h);
	}
	return NULL;
}

/* One GET /metrics, the whole reply read: its length, or -1. */
static ssize_t get_metrics(int port)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\n"
				  "Host: 127.0.0.1\r\n"
				  "Connection: close\r\n\r\n";
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char buf[65536];
	ssize_t n, total = 0;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    write(fd, req, sizeof(req) - 1) != sizeof(req) - 1) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	close(fd);
	if (total < 12 || n < 0)
		return -1;
	return total;
}

int bench_scrape(struct sl_dp *dp, const __u16 *prios, size_t nrules)
{
	static struct sl_metrics_iface ifs[IFACES];
	static char names[IFACES][16];
	double t_write[SCRAPES], t_http[SCRAPES], t0;
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct scrape s = { .dp = dp };
	char err[256], *text;
	pthread_t thread;
	size_t tlen = 0;
	ssize_t got = 0;
	int i;

	if (bpf_obj_get_info_by_fd(sl_dp_prog_fd(dp, SLUICE_HOOK_XDP), &info,
				   &len)) {
		fprintf(stderr, "bench: scrape: no program info: %s\n",
			strerror(errno));
		return -1;
	}
	/*
	 * Slots bound to names as sluiced binds them; "attached" to the XDP
	 * program, so each costs the program-info lookups a real one does.
	 */
	for (i = 0; i < IFACES; i++) {
		snprintf(names[i], sizeof(names[i]), "bench%d", i);
		ifs[i].slot = sl_dp_slot(dp, names[i], true);
		if ((int)ifs[i].slot <= 0) {
			fprintf(stderr, "bench: scrape: no slot for %s\n",
				names[i]);
			return -1;
		}
		ifs[i].name = names[i];
		ifs[i].wanted = true;
		ifs[i].attached = true;
		ifs[i].hook = SLUICE_HOOK_XDP;
		ifs[i].mode = "native";
		ifs[i].prog_id = info.id;
	}
	s.opts.version = "bench";
	s.opts.ifaces = ifs;
	s.opts.nifaces = IFACES;
	s.opts.rules = prios;
	s.opts.nrules = nrules;

	s.h = sl_http_start("127.0.0.1:0", http_text, &s, err, sizeof(err));
	if (!s.h) {
		fprintf(stderr, "bench: scrape: %s\n", err);
		return -1;
	}
	if (pthread_create(&thread, NULL, loop, &s)) {
		sl_http_stop(s.h);
		return -1;
	}
	for (i = 0; i < SCRAPES; i++) {
		t0 = now_ms();
		if (write_text(&s, false, &text, &tlen)) {
			fprintf(stderr, "bench: scrape: cannot write\n");
			break;
		}
		t_write[i] = now_ms() - t0;
		free(text);
		t0 = now_ms();
		got = get_metrics(sl_http_port(s.h));
		t_http[i] = now_ms() - t0;
		if (got < 0) {
			fprintf(stderr, "bench: scrape: GET /metrics failed\n");
			break;
		}
	}
	s.stop = 1;
	pthread_join(thread, NULL);
	sl_http_stop(s.h);
	if (i < SCRAPES)
		return -1;

	printf("%-36s %10s\n", "scrape, 64 interfaces, 10k rules", "ms");
	printf("%-36s %10.2f\n", "sl_metrics_write",
	       median_of(t_write, SCRAPES));
	printf("%-36s %10.2f\n", "HTTP GET /metrics (loopback)",
	       median_of(t_http, SCRAPES));
	printf("scrape text %zu bytes, reply %zd bytes, median of %d\n", tlen,
	       got, SCRAPES);
	return 0;
}
