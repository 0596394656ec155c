// SPDX-License-Identifier: GPL-2.0-only
/*
 * make bench: the cost of the sluice pipeline per packet, measured by
 * bpf_prog_test_run with a large repeat, against a bare XDP_DROP in the
 * same run.  Cases are interleaved round by round and each row is the
 * median of its rounds, so a slow spell of the host hits all rows alike.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "bench_drop.skel.h"
#include "dataplane.h"

#define ROUNDS 7
#define REPEAT 2000000
#define NRULES_BIG 10000
#define SET_PREFIXES 1000000

struct bench_case {
	const char *name;
	int prog_fd;
	const unsigned char *pkt;
	__u32 want; /* the verdict: a case must measure the path it names */
	double ns[ROUNDS];
};

/* A 64-byte IPv4/UDP frame from src to dst:dport. */
static void udp4(unsigned char *f, __u32 src, __u32 dst, __u16 dport)
{
	unsigned char *ip = f + 14, *udp = ip + 20;
	__u32 sum = 0;
	int i;

	memset(f, 0, 64);
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = 50; /* 64 - 14 */
	ip[8] = 64;
	ip[9] = 17;
	src = htonl(src);
	dst = htonl(dst);
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	for (i = 0; i < 20; i += 2)
		sum += ip[i] << 8 | ip[i + 1];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = ~((sum & 0xffff) + (sum >> 16)) & 0xffff;
	ip[10] = sum >> 8;
	ip[11] = sum & 0xff;
	udp[0] = 0x30;
	udp[1] = 0x39;
	udp[2] = dport >> 8;
	udp[3] = dport & 0xff;
	udp[5] = 30;
}

static double run_once(const struct bench_case *c)
{
	unsigned char out[128];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = c->pkt, .data_size_in = 64,
		    .data_out = out, .data_size_out = sizeof(out),
		    .repeat = REPEAT);

	if (bpf_prog_test_run_opts(c->prog_fd, &o)) {
		fprintf(stderr, "bench: test run failed: %s\n",
			strerror(errno));
		exit(1);
	}
	if (o.retval != c->want) {
		fprintf(stderr, "bench: %s: verdict %u, expected %u\n", c->name,
			o.retval, c->want);
		exit(1);
	}
	return o.duration;
}

static void add_case(struct bench_case *cases, int *n, const char *name,
		     int prog_fd, const unsigned char *pkt, __u32 want)
{
	cases[*n] = (struct bench_case){ name, prog_fd, pkt, want };
	(*n)++;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v)
{
	double s[ROUNDS];

	memcpy(s, v, sizeof(s));
	qsort(s, ROUNDS, sizeof(double), cmp_double);
	return s[ROUNDS / 2];
}

static void prefix4(struct sl_prefix *p, __u32 addr, int len)
{
	__u32 a = htonl(len ? addr & (0xffffffffu << (32 - len)) : 0);

	memset(p, 0, sizeof(*p));
	p->family = 4;
	p->len = len;
	memcpy(p->addr, &a, 4);
}

/*
 * Rules of three shapes an edge router holds many of: a host blocked by
 * source, a service of a /24 allowed by TCP port, a UDP port dropped
 * towards a /16.  Rule i uses addresses and ports derived from i, all in
 * 100.64.0.0/10, which no test packet below comes from.
 */
static void make_rule(struct sl_rule *r, unsigned int i, __u16 prio)
{
	__u32 a = 0x64400000u | (i * 2654435761u & 0x003fffffu);

	memset(r, 0, sizeof(*r));
	r->prio = prio;
	switch (i % 3) {
	case 0:
		r->src.kind = SL_ADDR_PREFIX;
		prefix4(&r->src.prefix, a, 32);
		r->action = SLUICE_ACT_DROP;
		break;
	case 1:
		r->dst.kind = SL_ADDR_PREFIX;
		prefix4(&r->dst.prefix, a, 24);
		r->has_proto = true;
		r->proto = 6;
		r->dport =
			(struct sl_range){ true, 1 + i % 60000, 1 + i % 60000 };
		r->action = SLUICE_ACT_PASS;
		break;
	default:
		r->src.kind = SL_ADDR_PREFIX;
		prefix4(&r->src.prefix, a, 16);
		r->has_proto = true;
		r->proto = 17;
		r->dport =
			(struct sl_range){ true, 1 + i % 60000, 1 + i % 60000 };
		r->action = SLUICE_ACT_DROP;
		break;
	}
}

static struct sl_dp *open_dp(void)
{
	struct sl_dp_opts opts = {};
	char err[SL_ERR_LEN];
	struct sl_dp *dp;

	if (sl_dp_open(&opts, &dp, err, sizeof(err))) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	return dp;
}

/* nrules rules, the last one hit by the "hit" packet; a set rule first. */
static struct sl_dp *setup(unsigned int nrules, unsigned int set_prefixes,
			   __u32 *hit_src, __u16 *hit_dport)
{
	struct sl_rule *rules = calloc(nrules + 1, sizeof(*rules));
	char err[SL_ERR_LEN];
	struct sl_dp *dp = open_dp();
	unsigned int i, n = 0;

	if (set_prefixes) {
		struct sl_prefix *p = calloc(set_prefixes, sizeof(*p));
		int id = sl_dp_set_id(dp, "blocklist", true);

		/* Mostly /32 and /24, the rest /20../31, outside 100.64/10. */
		srandom(1);
		for (i = 0; i < set_prefixes; i++) {
			__u32 a = (__u32)random() << 1 ^ random();
			int len = i % 2 ? 32 : i % 5 ? 24 : 20 + random() % 12;

			if ((a & 0xffc00000u) == 0x64400000u ||
			    (a >> 24) == 198)
				a ^= 0x80000000u;
			prefix4(&p[i], a, len);
		}
		/* One known member, for the "set hit" packet. */
		prefix4(&p[0], 0xc0000200, 24);
		if (id < 0 || sl_dp_set_add(dp, id, p, set_prefixes)) {
			fprintf(stderr, "bench: cannot fill the set\n");
			exit(1);
		}
		free(p);
		rules[n].prio = 1;
		rules[n].src.kind = SL_ADDR_SET;
		strcpy(rules[n].src.set, "blocklist");
		rules[n].action = SLUICE_ACT_DROP;
		n++;
	}
	for (i = 0; i < nrules; i++)
		make_rule(&rules[n++], i, 2 + i);
	if (sl_dp_rules_replace(dp, rules, n, err, sizeof(err))) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	/* The last rule of shape 0 (src /32 drop) is the one "hit" finds. */
	for (i = nrules; i-- > 0;)
		if (i % 3 == 0)
			break;
	*hit_src = 0x64400000u | (i * 2654435761u & 0x003fffffu);
	*hit_dport = 7;
	free(rules);
	return dp;
}

int main(void)
{
	unsigned char pkt_miss[64], pkt_hit10[64], pkt_hit10set[64],
		pkt_hitbig[64], pkt_sethit[64];
	struct bench_drop_bpf *drop;
	struct sl_dp *none, *ten, *tenset, *big;
	struct bench_case cases[9];
	__u16 dport, *prios;
	__u32 src;
	int n = 0, r, i;

	drop = bench_drop_bpf__open_and_load();
	if (!drop) {
		fprintf(stderr, "bench: cannot load bench_drop: %s\n",
			strerror(errno));
		return 1;
	}
	fprintf(stderr, "bench: filling a %d-prefix set and %d rules...\n",
		SET_PREFIXES, NRULES_BIG);
	none = open_dp();
	ten = setup(10, 0, &src, &dport);
	udp4(pkt_hit10, src, 0xc6336401, dport);
	/* The set rule and 9 others: what 10k rules are measured against. */
	tenset = setup(9, SET_PREFIXES, &src, &dport);
	udp4(pkt_hit10set, src, 0xc6336401, dport);
	big = setup(NRULES_BIG, SET_PREFIXES, &src, &dport);
	udp4(pkt_hitbig, src, 0xc6336401, dport);
	/* 198.51.100.0/24 is outside the set and every rule. */
	udp4(pkt_miss, 0xc6336402, 0xc6336401, 9);
	udp4(pkt_sethit, 0xc0000201, 0xc6336401, 9);

	add_case(cases, &n, "bare XDP_DROP",
		 bpf_program__fd(drop->progs.bench_drop), pkt_miss, XDP_DROP);
	add_case(cases, &n, "sluice, no rules", sl_dp_prog_fd(none, 0),
		 pkt_miss, XDP_PASS);
	add_case(cases, &n, "sluice, 10 rules, hit", sl_dp_prog_fd(ten, 0),
		 pkt_hit10, XDP_DROP);
	add_case(cases, &n, "sluice, 10 rules, miss", sl_dp_prog_fd(ten, 0),
		 pkt_miss, XDP_PASS);
	add_case(cases, &n, "sluice, 10 rules + 1M set, hit",
		 sl_dp_prog_fd(tenset, 0), pkt_hit10set, XDP_DROP);
	add_case(cases, &n, "sluice, 10 rules + 1M set, miss",
		 sl_dp_prog_fd(tenset, 0), pkt_miss, XDP_PASS);
	add_case(cases, &n, "sluice, 10k rules + 1M set, hit",
		 sl_dp_prog_fd(big, 0), pkt_hitbig, XDP_DROP);
	add_case(cases, &n, "sluice, 10k rules + 1M set, miss",
		 sl_dp_prog_fd(big, 0), pkt_miss, XDP_PASS);
	add_case(cases, &n, "sluice, 10k rules + 1M set, set hit",
		 sl_dp_prog_fd(big, 0), pkt_sethit, XDP_DROP);

	for (r = 0; r < ROUNDS; r++)
		for (i = 0; i < n; i++)
			cases[i].ns[r] = run_once(&cases[i]);

	printf("%-36s %10s\n", "bpf_prog_test_run, 64-byte UDP", "ns/packet");
	for (i = 0; i < n; i++)
		printf("%-36s %10.1f\n", cases[i].name, median(cases[i].ns));
	/* The same shapes and set either side: only the rule count differs. */
	printf("ratio 10k rules / 10 rules (both with the set), hit %.2f, miss %.2f\n",
	       median(cases[6].ns) / median(cases[4].ns),
	       median(cases[7].ns) / median(cases[5].ns));
	printf("ratio sluice 10k rules + 1M set / bare XDP_DROP, miss %.2f\n",
	       median(cases[7].ns) / median(cases[0].ns));

	/* The set rule and the 10k others: priorities 1..NRULES_BIG + 1. */
	prios = calloc(NRULES_BIG + 1, sizeof(*prios));
	if (!prios)
		return 1;
	for (i = 0; i <= NRULES_BIG; i++)
		prios[i] = 1 + i;
	printf("\n");
	r = bench_scrape(big, prios, NRULES_BIG + 1);
	free(prios);
	return r ? 1 : 0;
}
