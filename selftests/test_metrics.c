/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Prometheus text: promtool accepts it, and the counters it shows are
 * exactly the packets run through the data plane, summed and per CPU.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "apply.h"
#include "config.h"
#include "dataplane.h"
#include "metrics.h"
#include "pkt.h"
#include "stats.h"

#define CONF                                           \
	"policy eth0 pass\n"                           \
	"set add bad 192.0.2.0/24 2001:db8:bad::/48\n" \
	"rule add 10 src @bad drop\n"                  \
	"rule add 20 proto udp dport 53 drop\n"

struct fixture {
	struct sl_dp *dp;
	int slot;
};

static int setup(void **state)
{
	static struct fixture f;
	struct sl_dp_opts opts = {};
	struct sl_config cfg = {};
	struct sluice_iface iface;
	char err[SL_ERR_LEN];

	if (getuid() != 0)
		return -1;
	if (sl_dp_open(&opts, &f.dp, err, sizeof(err)) ||
	    sl_config_load_buf("m.conf", CONF, &cfg, err, sizeof(err)) ||
	    sl_apply_config(f.dp, &cfg, err, sizeof(err))) {
		print_error("setup: %s\n", err);
		return -1;
	}
	sl_config_free(&cfg);
	f.slot = sl_dp_slot(f.dp, "eth0", false);
	/* bpf_prog_test_run runs on loopback, ifindex 1. */
	if (f.slot <= 0 || sl_dp_iface_get(f.dp, f.slot, &iface))
		return -1;
	iface.ifindex = 1;
	if (sl_dp_iface_set(f.dp, f.slot, &iface))
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sl_dp_close(f->dp);
	return 0;
}

static void udp4(struct pkt *p, const char *src, uint16_t dport)
{
	pkt_init(p);
	pkt_eth(p, NULL, NULL);
	pkt_ipv4(p, src, "198.51.100.1", 17);
	pkt_udp(p, 1234, dport);
	assert_int_equal(pkt_finish(p), 0);
}

static void run(struct fixture *f, int hook, const struct pkt *p, int n)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->buf,
		    .data_size_in = p->len, .repeat = n);

	assert_int_equal(bpf_prog_test_run_opts(sl_dp_prog_fd(f->dp, hook), &o),
			 0);
}

static char *metrics_fs(struct fixture *f, bool per_cpu,
			const struct sl_metrics_flowspec *fs);

static char *metrics(struct fixture *f, bool per_cpu)
{
	return metrics_fs(f, per_cpu, NULL);
}

static char *metrics_fs(struct fixture *f, bool per_cpu,
			const struct sl_metrics_flowspec *fs)
{
	static const __u16 rules[] = { 10, 20 };
	struct sl_metrics_iface ifc = { .slot = f->slot,
					.name = "eth0",
					.attached = false };
	struct sl_metrics_opts o = { .version = "test",
				     .ifaces = &ifc,
				     .nifaces = 1,
				     .rules = rules,
				     .nrules = 2,
				     .per_cpu = per_cpu,
				     .flowspec = fs };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	assert_int_equal(sl_metrics_write(f->dp, &o, out), 0);
	fclose(out);
	return buf;
}

/* The value of the sample line that starts with prefix, or -1. */
static long long sample(const char *text, const char *prefix)
{
	const char *p = text;
	size_t n = strlen(prefix);

	while (p && *p) {
		if (!strncmp(p, prefix, n) && p[n] == ' ')
			return atoll(p + n + 1);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

static void promtool_accepts(const char *text)
{
	char path[] = "/tmp/sluice-metrics-XXXXXX", cmd[256];
	FILE *f;
	int fd;

	if (access("/usr/bin/promtool", X_OK))
		skip();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
	assert_int_equal(system(cmd), 0);
	unlink(path);
}

static void test_counters_exact(void **state)
{
	struct fixture *f = *state;
	struct pkt p;
	char *text;

	udp4(&p, "192.0.2.7", 9); /* the set: rule 10 drops */
	run(f, 0, &p, 7);
	udp4(&p, "203.0.113.1", 53); /* rule 20 drops */
	run(f, 1, &p, 5);
	udp4(&p, "203.0.113.1", 80); /* policy pass */
	run(f, 0, &p, 3);

	text = metrics(f, false);
	assert_int_equal(
		sample(text,
		       "sluice_packets_total{device=\"eth0\",hook=\"xdp\",action=\"drop\"}"),
		7);
	assert_int_equal(
		sample(text,
		       "sluice_packets_total{device=\"eth0\",hook=\"tc\",action=\"drop\"}"),
		5);
	assert_int_equal(
		sample(text,
		       "sluice_packets_total{device=\"eth0\",hook=\"xdp\",action=\"pass\"}"),
		3);
	assert_int_equal(
		sample(text,
		       "sluice_bytes_total{device=\"eth0\",hook=\"xdp\",action=\"pass\"}"),
		3 * (long long)p.len);
	assert_int_equal(sample(text, "sluice_rule_packets_total{rule=\"10\"}"),
			 7);
	assert_int_equal(sample(text, "sluice_rule_packets_total{rule=\"20\"}"),
			 5);
	assert_int_equal(sample(text, "sluice_set_entries{set=\"bad\"}"), 2);
	assert_int_equal(sample(text, "sluice_build_info{version=\"test\"}"),
			 1);
	assert_int_equal(sample(text, "sluice_attached{device=\"eth0\"}"), 0);
	assert_int_equal(sample(text, "sluice_attach_wanted{device=\"eth0\"}"),
			 0);
	promtool_accepts(text);
	free(text);
}

static void test_exceptions(void **state)
{
	struct fixture *f = *state;
	const char *key =
		"sluice_exceptions_total{device=\"eth0\",hook=\"xdp\",reason=\"malformed\"}";
	long long before;
	struct pkt p;
	char *text;

	text = metrics(f, false);
	before = sample(text, key);
	free(text);
	udp4(&p, "203.0.113.1", 80);
	p.buf[p.l3_off] = 0x44; /* IHL 4: broken */
	run(f, 0, &p, 4);
	text = metrics(f, false);
	assert_int_equal(sample(text, key), before + 4);
	assert_int_equal(
		sample(text,
		       "sluice_exceptions_total{device=\"eth0\",hook=\"xdp\",reason=\"policy\"}"),
		-1);
	free(text);
}

static void test_per_cpu_sums(void **state)
{
	struct fixture *f = *state;
	const char *key = "sluice_rule_packets_total{rule=\"10\"";
	char *sum, *per, line[128];
	long long total = 0, v;
	int cpu, ncpus = sl_dp_ncpus();

	sum = metrics(f, false);
	per = metrics(f, true);
	for (cpu = 0; cpu < ncpus; cpu++) {
		snprintf(line, sizeof(line), "%s,cpu=\"%d\"}", key, cpu);
		v = sample(per, line);
		assert_true(v >= 0);
		total += v;
	}
	snprintf(line, sizeof(line), "%s}", key);
	assert_int_equal(total, sample(sum, line));
	promtool_accepts(per);
	free(sum);
	free(per);
}

/*
 * FlowSpec: the counts as reported, every reason labelled, and a route's
 * counters the sum of its rules' (a route of prios 10..20 covers both).
 */
static void test_flowspec(void **state)
{
	static const struct sl_metrics_fs_route routes[] = { { 10, 11 },
							     { 20, 1 } };
	unsigned long long refused[32] = { 0 };
	struct sl_metrics_flowspec fs = { .received = 5,
					  .installed = 2,
					  .refused = 3,
					  .updates = 4,
					  .peers_up = 1,
					  .refused_by = refused,
					  .routes = routes,
					  .nroutes = 2 };
	struct fixture *f = *state;
	long long r10, r20, b10, b20;
	struct pkt p;
	char *text;

	refused[1] = 3; /* "family" */
	udp4(&p, "192.0.2.7", 9);
	run(f, 0, &p, 2);
	udp4(&p, "203.0.113.1", 53);
	run(f, 0, &p, 4);
	text = metrics(f, false);
	assert_null(strstr(text, "sluice_flowspec"));
	free(text);
	text = metrics_fs(f, false, &fs);
	r10 = sample(text, "sluice_rule_packets_total{rule=\"10\"}");
	r20 = sample(text, "sluice_rule_packets_total{rule=\"20\"}");
	b10 = sample(text, "sluice_rule_bytes_total{rule=\"10\"}");
	b20 = sample(text, "sluice_rule_bytes_total{rule=\"20\"}");
	assert_true(r10 >= 2 && r20 >= 4);
	assert_int_equal(sample(text, "sluice_flowspec_routes_received"), 5);
	assert_int_equal(sample(text, "sluice_flowspec_routes_installed"), 2);
	assert_int_equal(
		sample(text,
		       "sluice_flowspec_routes_refused{reason=\"family\"}"),
		3);
	assert_int_equal(
		sample(text,
		       "sluice_flowspec_routes_refused{reason=\"malformed\"}"),
		0);
	assert_int_equal(sample(text, "sluice_flowspec_updates_total"), 4);
	assert_int_equal(sample(text, "sluice_flowspec_peers_up"), 1);
	assert_int_equal(
		sample(text,
		       "sluice_flowspec_route_packets_total{prio=\"10\"}"),
		r10 + r20);
	assert_int_equal(
		sample(text, "sluice_flowspec_route_bytes_total{prio=\"10\"}"),
		b10 + b20);
	assert_int_equal(
		sample(text,
		       "sluice_flowspec_route_packets_total{prio=\"20\"}"),
		r20);
	promtool_accepts(text);
	free(text);
}

static void same(struct sluice_counter a, struct sluice_counter b)
{
	assert_int_equal(a.packets, b.packets);
	assert_int_equal(a.bytes, b.bytes);
}

/* A read of some slots and rules: what it names as a whole read has it. */
static void test_stats_selection(void **state)
{
	struct fixture *f = *state;
	const unsigned int slots[] = { (unsigned int)f->slot, 0 };
	const __u16 prios[] = { 20, SLUICE_PRIO_MAX, 10, 1 };
	struct sl_stats_sel sel = { slots, 2, prios, 4 };
	struct sl_stats all, some, none;
	struct sl_stats_sel nothing = { 0 };
	struct pkt p;
	unsigned int h, k;
	int cpu;

	udp4(&p, "192.0.2.9", 9);
	run(f, 0, &p, 2);
	udp4(&p, "203.0.113.1", 53);
	run(f, 1, &p, 3);
	assert_int_equal(sl_stats_read(f->dp, &all), 0);
	assert_int_equal(sl_stats_read_sel(f->dp, &sel, &some), 0);
	assert_int_equal(sl_stats_read_sel(f->dp, &nothing, &none), 0);
	assert_true(sl_stats_rule(&all, 10, -1).packets >= 2);
	assert_true(sl_stats_rule(&all, 20, -1).packets >= 3);
	for (cpu = -1; cpu < all.ncpus; cpu++) {
		for (h = 0; h < SLUICE_HOOK__MAX; h++) {
			for (k = 0; k < SLUICE_ACT__MAX; k++) {
				same(sl_stats_iface(&all, f->slot, h, k, cpu),
				     sl_stats_iface(&some, f->slot, h, k, cpu));
				same(sl_stats_iface(&all, 0, h, k, cpu),
				     sl_stats_iface(&some, 0, h, k, cpu));
			}
			for (k = 0; k < SLUICE_REASON__MAX; k++)
				same(sl_stats_reason(&all, f->slot, h, k, cpu),
				     sl_stats_reason(&some, f->slot, h, k,
						     cpu));
		}
		for (k = 0; k < 4; k++)
			same(sl_stats_rule(&all, prios[k], cpu),
			     sl_stats_rule(&some, prios[k], cpu));
	}
	/* Not named: read as zero. */
	assert_int_equal(sl_stats_rule(&none, 10, -1).packets, 0);
	assert_int_equal(
		sl_stats_iface(&none, f->slot, 0, SLUICE_ACT_DROP, -1).packets,
		0);
	sl_stats_free(&all);
	sl_stats_free(&some);
	sl_stats_free(&none);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_exact),
		cmocka_unit_test(test_exceptions),
		cmocka_unit_test(test_per_cpu_sums),
		cmocka_unit_test(test_stats_selection),
		cmocka_unit_test(test_flowspec),
	};

	return cmocka_run_group_tests_name("metrics", tests, setup, teardown);
}
