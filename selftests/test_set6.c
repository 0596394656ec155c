/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IPv6 set membership through the real data plane: the production object,
 * a rule "src @s drop", and the set s changed with the data plane's own
 * calls (add, del, replace as "set load" does it, flush).  After every
 * change each probe address goes through sl_xdp with bpf_prog_test_run
 * and its verdict is compared with a reference: a plain list of the
 * prefixes the set should hold, matched one by one.
 *
 * Prefixes are random, of every length /0../128, drawn around shared bases
 * so that they nest and crowd into the same /32, /48 and /112 blocks (the
 * leaves split and overflow; see headers/sluice/abi.h).  Probes are the
 * first and last address of each prefix, the addresses just outside it,
 * one inside, and random ones.
 *
 * Then a race: one thread sends probes whose answer no change may alter
 * while the main thread adds and deletes other prefixes in their blocks.
 *
 * SL_SET6_BENCH=1 instead prints bpf_prog_test_run costs of a set rule at
 * 1M prefixes, IPv4 /24../32 against IPv6 /32../128 (see main()).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/bpf.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "apply.h"
#include "config.h"
#include "dataplane.h"
#include "dpbind.h"
#include "grammar.h"
#include "pkt.h"
#include "setprobe.h"

#define SRC6_OFF 8 /* source address in the IPv6 header */
#define SRC4_OFF 12

static const char config[] = "policy eth0 pass\n"
			     "set add s 2001:db8::1/128 192.0.2.1/32\n"
			     "rule add 10 src @s drop\n";

static struct pkt tmpl6, tmpl4;

static void mask(uint8_t *a, unsigned int len, size_t bytes)
{
	size_t i;

	for (i = 0; i < bytes; i++) {
		unsigned int b = i * 8;

		if (len <= b)
			a[i] = 0;
		else if (len < b + 8)
			a[i] &= (uint8_t)(0xff00 >> (len - b));
	}
}

static bool covers(const struct sl_prefix *p, const uint8_t *a)
{
	uint8_t m[16];

	memcpy(m, a, 16);
	mask(m, p->len, 16);
	return !memcmp(m, p->addr, 16);
}

static bool ref_member(const uint8_t *a)
{
	size_t i;

	for (i = 0; i < sp.ref.n; i++)
		if (covers(&sp.ref.v[i], a))
			return true;
	return false;
}

/* The data plane's verdict for a packet from a. */
static bool dp_member6(int fd, const uint8_t *a)
{
	struct pkt p = tmpl6;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p.buf,
		    .data_size_in = p.len, .repeat = 1);
	int ret;

	memcpy(p.buf + p.l3_off + SRC6_OFF, a, 16);
	ret = bpf_prog_test_run_opts(fd, &o);
	if (ret)
		fail_msg("bpf_prog_test_run: %s", strerror(errno));
	if (o.retval != XDP_DROP && o.retval != XDP_PASS)
		fail_msg("verdict %u", o.retval);
	return o.retval == XDP_DROP;
}

static char *fmt(const uint8_t *a, char *buf)
{
	return (char *)inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* The first, last, one-before, one-after and a random inside address. */
static void edges(const struct sl_prefix *p, uint8_t out[5][16])
{
	unsigned int i;

	for (i = 0; i < 5; i++)
		memcpy(out[i], p->addr, 16);
	for (i = p->len; i < 128; i++) {
		uint8_t bit = 0x80 >> (i % 8);

		out[1][i / 8] |= bit;
		if (rnd() & 1)
			out[4][i / 8] |= bit;
	}
	memcpy(out[2], out[0], 16);
	for (i = 16; i-- > 0;)
		if (out[2][i]--)
			break;
	memcpy(out[3], out[1], 16);
	for (i = 16; i-- > 0;)
		if (++out[3][i])
			break;
}

static unsigned int check_one(const uint8_t *a, const char *phase)
{
	char s[INET6_ADDRSTRLEN];
	bool want = ref_member(a), got = dp_member6(sp.prog_fd, a);

	if (want == got)
		return 0;
	print_error("%s: %s: data plane says %s, the reference %s\n", phase,
		    fmt(a, s), got ? "in" : "out", want ? "in" : "out");
	return 1;
}

/* Probe every edge of every prefix, present or deleted, and random ones. */
static void check_all(const char *phase)
{
	struct sluice_set_info info;
	uint8_t e[5][16], a[16];
	unsigned int bad = 0, hits = 0, n = 0, k;
	size_t i;

	for (i = 0; i < sp.ref.n + sp.gone.n && bad < 10; i++) {
		edges(i < sp.ref.n ? &sp.ref.v[i] : &sp.gone.v[i - sp.ref.n],
		      e);
		for (k = 0; k < 5; k++, n++) {
			bad += check_one(e[k], phase);
			hits += ref_member(e[k]);
		}
	}
	for (i = 0; i < 2000 && bad < 10; i++, n++) {
		uint64_t w[2] = { rnd(), rnd() };

		memcpy(a, w, 16);
		bad += check_one(a, phase);
	}
	assert_int_equal(bad, 0);
	assert_int_equal(sl_dp_set_info(sp.dp, sp.set_id, &info), 0);
	assert_int_equal(info.count6, sp.ref.n);
	/* The probes must test both answers, or they test nothing. */
	if (sp.ref.n)
		assert_true(hits > 0 && hits < n);
	print_message("  %s: %zu prefixes, %u probes, %u in\n", phase, sp.ref.n,
		      n, hits);
}

/*
 * A prefix near a base: the bases crowd some blocks so leaves split, and
 * prefixes built on one base nest.
 */
static uint8_t bases[64][16];

static void new_bases(void)
{
	unsigned int i;

	for (i = 0; i < 64; i++) {
		uint64_t w[2] = { rnd(), rnd() };

		memcpy(bases[i], w, 16);
		/* Groups of eight share a /32, a /48 or a /112. */
		if (i % 8 && i < 24)
			memcpy(bases[i], bases[i - i % 8], 4);
		else if (i % 8 && i < 40)
			memcpy(bases[i], bases[i - i % 8], 6);
		else if (i % 8 && i < 56)
			memcpy(bases[i], bases[i - i % 8], 14);
	}
}

static void rand_prefix(struct sl_prefix *p, unsigned int minlen)
{
	unsigned int r = rnd_below(100);

	memset(p, 0, sizeof(*p));
	p->family = 6;
	memcpy(p->addr, bases[rnd_below(64)], 16);
	/* Mostly /32 and longer, as real lists; some shorter, a few tiny. */
	if (r < 80)
		p->len = 32 + rnd_below(97);
	else if (r < 97)
		p->len = 8 + rnd_below(24);
	else
		p->len = rnd_below(8);
	if (p->len < minlen)
		p->len = minlen + rnd_below(129 - minlen);
	/* Vary the bits past the shared ones, so neighbours differ. */
	if (p->len > 32 && rnd() & 1)
		p->addr[4 + rnd_below(12)] ^= 1 << rnd_below(8);
	mask(p->addr, p->len, 16);
}

static void add_random(size_t n, unsigned int minlen)
{
	struct plist l = {};
	struct sl_prefix p;
	size_t i;

	for (i = 0; i < n; i++) {
		rand_prefix(&p, minlen);
		push(&l, &p);
	}
	add_list(&l);
	free(l.v);
}

static void template(struct pkt *p, int family)
{
	pkt_init(p);
	assert_int_equal(pkt_eth(p, NULL, NULL), 0);
	if (family == 6)
		assert_int_equal(pkt_ipv6(p, "2001:db8::1", "2001:db8::2",
					  IPPROTO_UDP),
				 0);
	else
		assert_int_equal(pkt_ipv4(p, "192.0.2.1", "198.51.100.2",
					  IPPROTO_UDP),
				 0);
	assert_int_equal(pkt_udp(p, 40000, 53), 0);
	assert_int_equal(pkt_payload(p, NULL, 16), 0);
	assert_int_equal(pkt_finish(p), 0);
}

static void open_dp(void)
{
	sp_open("set6.conf", config);
	template(&tmpl6, 6);
	template(&tmpl4, 4);
}

static int setup(void **state)
{
	(void)state;
	open_dp();
	assert_int_equal(sl_dp_set_flush(sp.dp, sp.set_id), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sp_close();
	return 0;
}

static void test_random_changes(void **state)
{
	struct plist l = {};
	int round;
	size_t i;

	(void)state;
	check_all("empty");
	for (round = 0; round < 3; round++) {
		new_bases();
		add_random(400, 8);
		check_all("after adds");
		del_some(3);
		check_all("after deletes");
	}
	/* Crowd single blocks past what a leaf lists, then thin them out. */
	for (i = 0; i < 300; i++) {
		struct sl_prefix p = { .family = 6 };

		memcpy(p.addr, bases[i % 2 ? 0 : 48], 16);
		p.len = i % 2 ? 32 + rnd_below(16) : 112 + rnd_below(17);
		p.addr[i % 2 ? 4 : 14] ^= rnd();
		p.addr[i % 2 ? 5 : 15] ^= rnd();
		mask(p.addr, p.len, 16);
		push(&l, &p);
	}
	add_list(&l);
	check_all("crowded blocks");
	del_list(&l);
	check_all("crowded blocks deleted");
	free(l.v);
}

static void test_short_prefixes(void **state)
{
	(void)state;
	new_bases();
	add_random(200, 32);
	check_all("long only");
	/* /0../31 over them: the covered bitmap and the full /32 blocks. */
	add_random(60, 0);
	check_all("with short ones");
	del_some(2);
	check_all("short ones half deleted");
	del_some(1);
	check_all("all deleted");
}

/* "set load": replace with a list sharing about half the prefixes. */
static void test_replace_and_flush(void **state)
{
	struct plist want = {};
	struct sluice_set_info info;
	struct sl_prefix p;
	size_t i;

	(void)state;
	new_bases();
	add_random(500, 0);
	check_all("before load");
	for (i = 0; i < sp.ref.n; i++)
		if (rnd() & 1)
			push(&want, &sp.ref.v[i]);
	for (i = 0; i < 300; i++) {
		rand_prefix(&p, 0);
		push(&want, &p);
	}
	sp_replace(&want);
	check_all("after load");
	sp_flush();
	check_all("after flush");
	assert_int_equal(sl_dp_set_info(sp.dp, sp.set_id, &info), 0);
	assert_int_equal(info.count6, 0);
	add_random(200, 0);
	check_all("refilled after flush");
	/* Many /24s lose their last leaf in one call: the one-pass sweep. */
	want.n = 0;
	for (i = 0; i < 300; i++) {
		new_bases();
		rand_prefix(&p, 32);
		push(&want, &p);
	}
	add_list(&want);
	check_all("300 scattered added");
	del_list(&want);
	check_all("300 scattered deleted in one call");
	free(want.v);
}

/*
 * The race: probes whose answer is fixed by prefixes that stay, checked
 * from a second thread while the main thread adds and deletes prefixes
 * in the same blocks (the leaves split, overflow, lose entries).
 */
struct race {
	uint8_t in[64][16], out[64][16];
	volatile bool stop;
	unsigned long probes, wrong;
	int fd;
};

static void *race_probe(void *arg)
{
	struct race *r = arg;
	unsigned int i = 0;

	while (!r->stop) {
		if (!dp_member6(r->fd, r->in[i % 64]))
			r->wrong++;
		if (dp_member6(r->fd, r->out[i % 64]))
			r->wrong++;
		r->probes += 2;
		i++;
	}
	return NULL;
}

static void test_race(void **state)
{
	struct plist stay = {}, churn = {};
	struct race *r = calloc(1, sizeof(*r));
	uint8_t e[5][16];
	pthread_t t;
	size_t i, k;
	int round;

	(void)state;
	assert_non_null(r);
	assert_int_equal(sl_dp_set_flush(sp.dp, sp.set_id), 0);
	sp.ref.n = 0;
	sp.gone.n = 0;
	new_bases();
	/* Stay: 64 prefixes, one per base, /32../128. */
	for (i = 0; i < 64; i++) {
		struct sl_prefix p = { .family = 6, .len = 32 + rnd_below(97) };

		memcpy(p.addr, bases[i], 16);
		mask(p.addr, p.len, 16);
		push(&stay, &p);
	}
	add_list(&stay);
	/* Churn: in the same blocks, covering no "out" probe. */
	for (i = 0; i < 64; i++) {
		edges(&stay.v[i], e);
		memcpy(r->in[i], e[4], 16);
		/* Just past the prefix, else near it: outside every one. */
		memcpy(r->out[i], e[3], 16);
		for (k = 0; ref_member(r->out[i]); k++) {
			assert_true(k < 10000);
			memcpy(r->out[i], bases[i], 16);
			r->out[i][k < 50 ? 4 + rnd_below(12) : rnd_below(16)] ^=
				rnd() | 1;
		}
	}
	while (churn.n < 400) {
		struct sl_prefix p;
		bool hits = false;

		rand_prefix(&p, 33);
		for (k = 0; k < 64 && !hits; k++)
			hits = covers(&p, r->out[k]) || ref_has(&p);
		if (!hits)
			push(&churn, &p);
	}
	for (k = 0; k < 64; k++)
		assert_false(ref_member(r->out[k]));
	r->fd = sp.prog_fd;
	assert_int_equal(pthread_create(&t, NULL, race_probe, r), 0);
	for (round = 0; round < 6; round++) {
		struct plist one;

		for (i = 0; i < churn.n; i++) {
			one = (struct plist){ &churn.v[i], 1, 1 };
			if (!ref_has(&churn.v[i]))
				add_list(&one);
		}
		for (i = 0; i < churn.n; i++) {
			one = (struct plist){ &churn.v[i], 1, 1 };
			if (ref_has(&churn.v[i]))
				del_list(&one);
		}
	}
	r->stop = true;
	pthread_join(t, NULL);
	print_message("  race: %lu probes during changes, %lu wrong\n",
		      r->probes, r->wrong);
	assert_true(r->probes > 1000);
	assert_int_equal(r->wrong, 0);
	check_all("after the race");
	free(stay.v);
	free(churn.v);
	free(r);
}

/* The benchmark mode: ns per packet of a set rule, as the kernel times it. */

static void rand_v4(struct sl_prefix *p)
{
	uint32_t a = (uint32_t)rnd();

	memset(p, 0, sizeof(*p));
	p->family = 4;
	p->len = 24 + rnd_below(9);
	memcpy(p->addr, &a, 4);
	mask(p->addr, p->len, 4);
}

static void rand_v6(struct sl_prefix *p)
{
	uint64_t w[2] = { rnd(), rnd() };

	memset(p, 0, sizeof(*p));
	p->family = 6;
	p->len = 32 + rnd_below(97);
	memcpy(p->addr, w, 16);
	mask(p->addr, p->len, 16);
}

/* Mean ns per run: repeat many times one packet (hot), or one run each. */
static double run_ns(struct pkt *t, size_t off, size_t alen,
		     const struct plist *src, bool inside, int npkts,
		     int repeat)
{
	double total = 0;
	int i;

	for (i = 0; i < npkts; i++) {
		struct pkt p = *t;
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p.buf,
			    .data_size_in = p.len, .repeat = repeat);
		const struct sl_prefix *x = &src->v[rnd_below(src->n)];
		uint8_t a[16];
		size_t k;

		memcpy(a, x->addr, alen);
		for (k = x->len; k < alen * 8; k++)
			if (rnd() & 1)
				a[k / 8] |= 0x80 >> (k % 8);
		if (!inside) {
			/* Random: with a million prefixes almost surely out. */
			uint64_t w[2] = { rnd(), rnd() };

			memcpy(a, w, alen);
		}
		memcpy(p.buf + p.l3_off + off, a, alen);
		if (bpf_prog_test_run_opts(sp.prog_fd, &o))
			return -1;
		if (inside && o.retval != XDP_DROP)
			fprintf(stderr, "bench: a hit missed\n");
		total += o.duration;
	}
	return total / npkts;
}

static int bench(size_t n)
{
	struct plist v4 = {}, v6 = {};
	struct sl_prefix p;
	struct timespec t0, t1;
	double add4, add6;
	size_t i;

	open_dp();
	for (i = 0; i < n; i++) {
		rand_v4(&p);
		push(&v4, &p);
		rand_v6(&p);
		push(&v6, &p);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (sl_dp_set_add(sp.dp, sp.set_id, v4.v, v4.n))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	add4 = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (sl_dp_set_add(sp.dp, sp.set_id, v6.v, v6.n))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	add6 = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("set of %zu IPv4 /24../32 and %zu IPv6 /32../128: added in "
	       "%.1f s and %.1f s\n",
	       n, n, add4, add6);
	printf("%-40s %8s %8s %6s\n", "ns/packet (XDP, src @s drop)", "IPv4",
	       "IPv6", "v6/v4");
	for (i = 0; i < 4; i++) {
		static const char *const what[] = {
			"hot hit (one packet, repeat 1M)",
			"hot miss (one packet, repeat 1M)",
			"random hits (100k packets, 1 run each)",
			"random misses (100k packets, 1 run each)",
		};
		bool inside = !(i & 1);
		int np = i < 2 ? 5 : 100000, rep = i < 2 ? 1000000 / 5 : 1;
		double r4, r6;

		r4 = run_ns(&tmpl4, SRC4_OFF, 4, &v4, inside, np, rep);
		r6 = run_ns(&tmpl6, SRC6_OFF, 16, &v6, inside, np, rep);
		printf("%-40s %8.1f %8.1f %6.2f\n", what[i], r4, r6, r6 / r4);
	}
	sl_dp_close(sp.dp);
	return 0;
}

int main(void)
{
	const char *b = getenv("SL_SET6_BENCH");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_changes),
		cmocka_unit_test(test_short_prefixes),
		cmocka_unit_test(test_replace_and_flush),
		cmocka_unit_test(test_race),
	};
	uint64_t seed = sp_seed();

	if (b && *b)
		return bench(strtoul(b, NULL, 0) > 1 ? strtoul(b, NULL, 0) :
						       1000000);
	print_message("seed %llu (SL_SEED= to repeat)\n",
		      (unsigned long long)seed);
	return cmocka_run_group_tests(tests, setup, teardown);
}
