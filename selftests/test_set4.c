/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IPv4 set membership through the real data plane: the production object,
 * a rule "src @s drop", the set s changed with the data plane's own calls
 * (add, del, replace as "set load" does it, flush), and every probe
 * address sent through sl_xdp with bpf_prog_test_run, its verdict compared
 * with a plain list of the prefixes the set should hold.
 *
 * The /24s holding longer prefixes are chosen so that they crowd the
 * buckets of sl_set4_long (headers/sluice/abi.h): all of them hash to
 * CROWD_HOMES neighbouring home buckets, far more than their probe windows
 * hold, so some /24s get buckets, the rest are answered by the trie, and
 * deleted buckets are reused (after a grace period) by other /24s.  Around
 * them nest prefixes of every length /0../32.  Then a race: a thread sends
 * probes no change may alter while the main thread adds and deletes other
 * prefixes in the same /24s.
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
#include "pkt.h"
#include "setprobe.h"

#define SRC4_OFF 12
#define CROWD_HOMES 4
#define CROWD_MAX 64

static const char config[] = "policy eth0 pass\n"
			     "set add s 192.0.2.1/32\n"
			     "rule add 10 src @s drop\n";

static struct pkt tmpl;
static __u32 crowd[CROWD_MAX]; /* /24s sharing CROWD_HOMES home buckets */
static unsigned int ncrowd;
static __u32 home0;

static __u32 pfx_addr(const struct sl_prefix *p)
{
	__u32 a;

	memcpy(&a, p->addr, 4);
	return ntohl(a);
}

static __u32 pfx_mask(unsigned int len)
{
	return len ? ~0U << (32 - len) : 0;
}

static bool covers(const struct sl_prefix *p, __u32 a)
{
	return !((a ^ pfx_addr(p)) & pfx_mask(p->len));
}

static bool ref_member(__u32 a)
{
	size_t i;

	for (i = 0; i < sp.ref.n; i++)
		if (covers(&sp.ref.v[i], a))
			return true;
	return false;
}

static bool dp_member(int fd, __u32 a)
{
	struct pkt p = tmpl;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p.buf,
		    .data_size_in = p.len, .repeat = 1);
	__u32 n = htonl(a);

	memcpy(p.buf + p.l3_off + SRC4_OFF, &n, 4);
	if (bpf_prog_test_run_opts(fd, &o))
		fail_msg("bpf_prog_test_run: %s", strerror(errno));
	if (o.retval != XDP_DROP && o.retval != XDP_PASS)
		fail_msg("verdict %u", o.retval);
	return o.retval == XDP_DROP;
}

static struct sl_prefix mkpfx(__u32 a, unsigned int len)
{
	struct sl_prefix p = { .family = 4, .len = len };
	__u32 n = htonl(a & pfx_mask(len));

	memcpy(p.addr, &n, 4);
	return p;
}

/* Its first, last, one-before, one-after and a random inside address. */
static void edges(const struct sl_prefix *p, __u32 out[5])
{
	__u32 first = pfx_addr(p), last = first | ~pfx_mask(p->len);

	out[0] = first;
	out[1] = last;
	out[2] = first - 1;
	out[3] = last + 1;
	out[4] = first | ((__u32)rnd() & ~pfx_mask(p->len));
}

static unsigned int check_one(__u32 a, const char *phase)
{
	bool want = ref_member(a), got = dp_member(sp.prog_fd, a);
	struct in_addr n = { htonl(a) };

	if (want == got)
		return 0;
	print_error("%s: %s: data plane says %s, the reference %s\n", phase,
		    inet_ntoa(n), got ? "in" : "out", want ? "in" : "out");
	return 1;
}

/* Buckets of sl_set4_long holding one of the crowded /24s of the set. */
static unsigned int crowd_in_buckets(void)
{
	int fd = bpf_object__find_map_fd_by_name(sl_dp_object(sp.dp),
						 "sl_set4_long");
	struct sluice_set4_long l;
	unsigned int n = 0, k;
	__u32 b;

	for (b = home0; b < home0 + CROWD_HOMES + SLUICE_SET4_PROBES - 1; b++) {
		assert_int_equal(bpf_map_lookup_elem(fd, &b, &l), 0);
		for (k = 0; k < ncrowd; k++)
			if (l.key ==
			    sluice_set4_key(sl_dp_set_slot(sp.dp, sp.set_id),
					    crowd[k]))
				n++;
	}
	return n;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* Does the reference's union cover every IPv4 address (then no probe can miss)? */
static bool ref_covers_all(void)
{
	__u64 *iv = calloc(2 * sp.ref.n + 2, sizeof(*iv)), next = 0;
	size_t i, n = 0;

	assert_non_null(iv);
	for (i = 0; i < sp.ref.n; i++) {
		const struct sl_prefix *p = &sp.ref.v[i];
		__u64 start = (__u64)p->addr[0] << 24 | p->addr[1] << 16 |
			      p->addr[2] << 8 | p->addr[3];

		if (p->family != 4)
			continue;
		/* start in the high half, end in the low: sorts by start. */
		iv[n++] = start << 32 | (start + (1ULL << (32 - p->len)) - 1);
	}
	qsort(iv, n, sizeof(*iv), cmp_u64);
	for (i = 0; i < n && (iv[i] >> 32) <= next; i++)
		if ((iv[i] & 0xffffffffULL) + 1 > next)
			next = (iv[i] & 0xffffffffULL) + 1;
	free(iv);
	return next > 0xffffffffULL;
}

/* Probe every edge of every prefix, present or deleted, and crowd /24s. */
static void check_all(const char *phase)
{
	struct sluice_set_info info;
	unsigned int bad = 0, hits = 0, n = 0, k;
	bool all = false;
	__u32 e[5];
	size_t i;

	for (i = 0; i < sp.ref.n + sp.gone.n && bad < 10; i++) {
		edges(i < sp.ref.n ? &sp.ref.v[i] : &sp.gone.v[i - sp.ref.n],
		      e);
		for (k = 0; k < 5; k++, n++) {
			bad += check_one(e[k], phase);
			hits += ref_member(e[k]);
		}
	}
	for (i = 0; i < 4000 && bad < 10; i++, n++) {
		__u32 a = crowd[rnd_below(ncrowd)] << 8 | rnd_below(256);

		if (i & 1)
			a = (__u32)rnd();
		bad += check_one(a, phase);
		hits += ref_member(a);
	}
	assert_int_equal(bad, 0);
	assert_int_equal(sl_dp_set_info(sp.dp, sp.set_id, &info), 0);
	assert_int_equal(info.count4, sp.ref.n);
	all = ref_covers_all();
	/* The probes must test both answers, or they test nothing. */
	if (sp.ref.n)
		assert_true(hits > 0 && (hits < n || all));
	print_message("  %s: %zu prefixes, %u probes, %u in, %u crowded /24s "
		      "in buckets\n",
		      phase, sp.ref.n, n, hits, crowd_in_buckets());
}

/*
 * The crowd: every /24 of the set whose home bucket is one of
 * CROWD_HOMES neighbours (about 8 per bucket over the 1 << 24 /24s).
 */
static void find_crowd(void)
{
	__u32 start = (__u32)rnd(), i;

	home0 = rnd_below(SLUICE_SET4_LONG_BUCKETS - CROWD_HOMES);
	ncrowd = 0;
	for (i = 0; i < 1U << 24 && ncrowd < CROWD_MAX; i++) {
		__u32 net24 = (start + i) & 0xffffff;
		__u32 h = sluice_set4_hash(sluice_set4_key(
			sl_dp_set_slot(sp.dp, sp.set_id), net24));

		if (h >= home0 && h < home0 + CROWD_HOMES)
			crowd[ncrowd++] = net24;
	}
	/* More than their windows hold, so some must overflow. */
	assert_true(ncrowd > CROWD_HOMES + SLUICE_SET4_PROBES - 1);
}

/* Mostly past /24 in a crowded /24; some /8../24 and a rare /0../7. */
static struct sl_prefix rand_prefix(unsigned int minlen)
{
	__u32 a = crowd[rnd_below(ncrowd)] << 8 | rnd_below(256);
	unsigned int r = rnd_below(100), len;

	if (r < 75)
		len = 25 + rnd_below(8);
	else if (r < 98)
		len = 8 + rnd_below(17);
	else
		len = rnd_below(8);
	if (len < minlen)
		len = minlen + rnd_below(33 - minlen);
	return mkpfx(a, len);
}

static void add_random(size_t n, unsigned int minlen)
{
	struct plist l = {};
	size_t i;

	for (i = 0; i < n; i++) {
		struct sl_prefix p = rand_prefix(minlen);

		push(&l, &p);
	}
	add_list(&l);
	free(l.v);
}

/* One long prefix in every crowded /24: more than the buckets hold. */
static void add_every_crowd(void)
{
	struct plist l = {};
	unsigned int k;

	for (k = 0; k < ncrowd; k++) {
		struct sl_prefix p = mkpfx(crowd[k] << 8 | rnd_below(256),
					   25 + rnd_below(8));

		push(&l, &p);
	}
	add_list(&l);
	free(l.v);
}

static int setup(void **state)
{
	(void)state;
	sp_open("set4.conf", config);
	pkt_init(&tmpl);
	assert_int_equal(pkt_eth(&tmpl, NULL, NULL), 0);
	assert_int_equal(
		pkt_ipv4(&tmpl, "192.0.2.1", "198.51.100.2", IPPROTO_UDP), 0);
	assert_int_equal(pkt_udp(&tmpl, 40000, 53), 0);
	assert_int_equal(pkt_payload(&tmpl, NULL, 16), 0);
	assert_int_equal(pkt_finish(&tmpl), 0);
	assert_int_equal(sl_dp_set_flush(sp.dp, sp.set_id), 0);
	find_crowd();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sp_close();
	return 0;
}

static void test_add_del(void **state)
{
	unsigned int n;
	int round;

	(void)state;
	check_all("empty");
	add_every_crowd();
	n = crowd_in_buckets();
	check_all("every crowded /24");
	/* Some in buckets, the rest overflowed to the trie. */
	assert_true(n > 0 && n <= CROWD_HOMES + SLUICE_SET4_PROBES - 1);
	assert_true(n < ncrowd);
	/* Short prefixes cover whole /24s: only from the second round. */
	for (round = 0; round < 3; round++) {
		add_random(300, round == 0 ? 25 : round == 1 ? 8 : 0);
		check_all("added");
		del_some(3);
		check_all("deleted a third");
	}
	/* Every long prefix of some /24s goes: their buckets free up. */
	while (sp.ref.n) {
		del_some(2);
		check_all("deleting");
	}
	assert_int_equal(crowd_in_buckets(), 0);
	/* DEAD buckets come back after a grace period. */
	add_every_crowd();
	check_all("crowd again");
	assert_true(crowd_in_buckets() > 0);
}

static void test_replace_and_flush(void **state)
{
	struct plist want = {};
	int round;
	size_t i;

	(void)state;
	for (round = 0; round < 3; round++) {
		want.n = 0;
		/* Keep about half, add as many new. */
		for (i = 0; i < sp.ref.n; i++)
			if (rnd() & 1)
				push(&want, &sp.ref.v[i]);
		for (i = 0; i < 200; i++) {
			struct sl_prefix p = rand_prefix(round ? 25 : 0);

			push(&want, &p);
		}
		sp_replace(&want);
		check_all("replaced");
	}
	sp_flush();
	check_all("flushed");
	assert_int_equal(crowd_in_buckets(), 0);
	add_every_crowd();
	add_random(200, 0);
	check_all("after the flush");
	free(want.v);
}

struct race {
	__u32 in[64], out[64];
	volatile bool stop;
	unsigned long probes, wrong;
	int fd;
};

static void *race_probe(void *arg)
{
	struct race *r = arg;
	unsigned int i = 0;

	while (!r->stop) {
		if (!dp_member(r->fd, r->in[i % 64]))
			r->wrong++;
		if (dp_member(r->fd, r->out[i % 64]))
			r->wrong++;
		r->probes += 2;
		i++;
	}
	return NULL;
}

/*
 * Churn adds and deletes prefixes past /24 in the crowded /24s, so
 * buckets are taken, freed and reused, and /24s overflow and come back,
 * while the probes ask for addresses of those /24s no churn touches.
 */
static void test_race(void **state)
{
	struct plist stay = {}, churn = {};
	struct race *r = calloc(1, sizeof(*r));
	pthread_t t;
	size_t i, k;
	int round;

	(void)state;
	assert_non_null(r);
	assert_int_equal(sl_dp_set_flush(sp.dp, sp.set_id), 0);
	sp.ref.n = 0;
	sp.gone.n = 0;
	for (i = 0; i < 64; i++) {
		__u32 net24 = crowd[i % ncrowd];
		struct sl_prefix p;

		/* Stay: a /32 at an even address, or a /16 now and then. */
		p = mkpfx(net24 << 8 | rnd_below(128) * 2, i % 16 ? 32 : 16);
		if (!ref_has(&p))
			push(&stay, &p);
		r->in[i] = pfx_addr(&p) | (p.len == 16 ? rnd_below(65536) : 0);
	}
	add_list(&stay);
	for (i = 0; i < 64; i++) {
		do
			r->out[i] = crowd[rnd_below(ncrowd)] << 8 |
				    rnd_below(256);
		while (ref_member(r->out[i]));
	}
	/* Churn: /25../32 in the crowd, covering no "out" probe. */
	while (churn.n < 300) {
		struct sl_prefix p = rand_prefix(25);
		bool hits = ref_has(&p);

		for (k = 0; k < 64 && !hits; k++)
			hits = covers(&p, r->out[k]);
		if (!hits)
			push(&churn, &p);
	}
	r->fd = sp.prog_fd;
	assert_int_equal(pthread_create(&t, NULL, race_probe, r), 0);
	for (round = 0; round < 4 || (r->probes < 200000 && round < 400);
	     round++) {
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_del),
		cmocka_unit_test(test_replace_and_flush),
		cmocka_unit_test(test_race),
	};
	uint64_t seed = sp_seed();

	print_message("seed %llu (SL_SEED= to repeat)\n",
		      (unsigned long long)seed);
	return cmocka_run_group_tests(tests, setup, teardown);
}
