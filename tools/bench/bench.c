// SPDX-License-Identifier: GPL-2.0-only
/*
 * make bench: the cost of the sluice pipeline per packet, measured by
 * bpf_prog_test_run with a large repeat, against a bare XDP_DROP in the
 * same run.  Cases are interleaved round by round and each row is the
 * median of its rounds, so a slow spell of the host hits all rows alike.
 *
 * The rules are issue 8's everyday mix, made by tools/bench/mix.py into
 * the directory given (mix.conf, mix-10.conf, the set files, flood.env)
 * and loaded as "sluice test-run" loads a configuration.  The packets are
 * the flood flood.env describes: its destination and ports meet no rule
 * but "rule add 60000 src @blk drop", so a source in blk is the
 * lowest-priority hit and one outside it a miss.  A preflight checks, by
 * the rule counters, that each case ends where it says before timing.
 * One packet repeated is answered by the flow cache after its first run:
 * the "flow cache off" rows show what the classifier itself costs, as a
 * key not seen before (a random source) pays it.
 *
 * Issue 12's rows load one rule each, the same match, so that only the
 * action differs: a drop, and a rate-limit so high (1e9 pps) that every
 * packet is within it and gets the policy (pass), with one bucket for
 * the rule or a bucket per source (the flood has one source, so the
 * bucket is found, not made).  Their target compares each row's least
 * of RL_ROUNDS further rounds of RL_REPEAT, the three rows interleaved,
 * not the medians: the difference is a few ns between rows of ~50, and a
 * slow spell of the host (it halves a vCPU's speed at random, for seconds
 * at a time) doubles both rows and so the difference; it only ever adds,
 * so the least round is one it spared, and short rounds find one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "apply.h"
#include "bench.h"
#include "bench_drop.skel.h"
#include "config.h"
#include "dataplane.h"
#include "stats.h"

#define ROUNDS 7
#define REPEAT 2000000
#define PREFLIGHT 1000
#define SET_PRIO 60000 /* mix.py's "src @blk drop" */
#define FRAME 64

/* The targets of issue 8, printed beside the figures. */
#define TARGET_HIT_NS 40.0
#define TARGET_10K_10 1.2
#define TARGET_V6_V4 1.5
/* Issue 12's: a rate-limited rule costs at most this more than a drop. */
#define TARGET_RL_NS 15.0
#define RL_PRIO 10
#define RL_ROUNDS 40
#define RL_REPEAT 500000

struct bench_case {
	const char *name;
	struct sl_dp *dp; /* NULL: the bare program */
	const struct sl_config *cfg;
	int prog_fd;
	unsigned char pkt[FRAME];
	__u32 want; /* the verdict: a case must measure the path it names */
	__u16 want_prio; /* the rule that decides, 0: none */
	double ns[ROUNDS];
	double least; /* issue 12's rows: the least of RL_ROUNDS */
	bool cold; /* with the flow cache off: what a key not seen before costs */
};

static void die(const char *fmt, const char *a, const char *b)
{
	fputs("bench: ", stderr);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	exit(1);
}

static __u32 sum16(const unsigned char *p, int len, __u32 sum)
{
	int i;

	for (i = 0; i + 1 < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	return sum;
}

static __u16 fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static void put16(unsigned char *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/*
 * A 64-byte UDP frame from src to dst, sport to dport, of the family of
 * the address text (checksums right: nothing should be judged broken).
 */
static void udp_frame(unsigned char *f, const char *src, const char *dst,
		      __u16 sport, __u16 dport)
{
	bool v6 = strchr(dst, ':');
	unsigned char *ip = f + 14, *udp = ip + (v6 ? 40 : 20);
	int alen = v6 ? 16 : 4, ulen = FRAME - (udp - f);
	__u32 sum;

	memset(f, 0, FRAME);
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	put16(f + 12, v6 ? 0x86dd : 0x0800);
	if (inet_pton(v6 ? AF_INET6 : AF_INET, src, ip + (v6 ? 8 : 12)) != 1 ||
	    inet_pton(v6 ? AF_INET6 : AF_INET, dst, ip + (v6 ? 24 : 16)) != 1)
		die("flood.env: bad address %s or %s", src, dst);
	if (v6) {
		ip[0] = 0x60;
		put16(ip + 4, ulen);
		ip[6] = 17;
		ip[7] = 64;
	} else {
		ip[0] = 0x45;
		put16(ip + 2, FRAME - 14);
		ip[8] = 64;
		ip[9] = 17;
		put16(ip + 10, fold(sum16(ip, 20, 0)));
	}
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, ulen);
	/* Pseudo-header: both addresses, protocol, length; then UDP. */
	sum = sum16(ip + (v6 ? 8 : 12), 2 * alen, 17 + ulen);
	sum = fold(sum16(udp, ulen, sum));
	put16(udp + 6, sum ? sum : 0xffff);
}

/* flood.env: KEY=VALUE lines. */
struct env {
	char key[32], val[64];
};
static struct env env[32];
static int nenv;

static void read_env(const char *dir)
{
	char path[4096], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/flood.env", dir);
	f = fopen(path, "re");
	if (!f)
		die("cannot open %s: %s (tools/bench/mix.py gen writes it)",
		    path, strerror(errno));
	while (nenv < 32 && fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '=');

		line[strcspn(line, "\n")] = '\0';
		if (!eq || eq - line >= 32 || strlen(eq + 1) >= 64)
			continue;
		*eq = '\0';
		strcpy(env[nenv].key, line);
		strcpy(env[nenv].val, eq + 1);
		nenv++;
	}
	fclose(f);
}

static const char *getenv_mix(const char *key)
{
	int i;

	for (i = 0; i < nenv; i++)
		if (!strcmp(env[i].key, key))
			return env[i].val;
	die("flood.env has no %s%s", key,
	    strstr(key, "6") ? " (mix.py gen --set6 writes it)" : "");
	return NULL;
}

/* A data plane holding DIR/NAME, loaded as sluice test-run loads one. */
static struct sl_dp *load(const char *dir, const char *name,
			  struct sl_config *cfg)
{
	struct sl_dp_opts opts = {};
	char err[SL_ERR_LEN], path[4096];
	struct sl_dp *dp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (sl_config_load(path, cfg, err, sizeof(err)) ||
	    sl_dp_open(&opts, &dp, err, sizeof(err)) ||
	    sl_apply_config(dp, cfg, err, sizeof(err)))
		die("%s%s", err, "");
	return dp;
}

/* A data plane holding one rule, "rule add RL_PRIO proto udp ACTION". */
static struct sl_dp *load_rule(const char *action, struct sl_config *cfg)
{
	struct sl_dp_opts opts = {};
	char err[SL_ERR_LEN], text[128];
	struct sl_dp *dp;

	snprintf(text, sizeof(text), "rule add %d proto udp %s\n", RL_PRIO,
		 action);
	if (sl_config_load_buf(action, text, cfg, err, sizeof(err)) ||
	    sl_dp_open(&opts, &dp, err, sizeof(err)) ||
	    sl_apply_config(dp, cfg, err, sizeof(err)))
		die("%s%s", err, "");
	return dp;
}

/*
 * test_run repeats one packet, which the flow cache answers after the
 * first: a cold case turns the cache off (epoch 0) for its run, so the
 * whole classifier runs every time, and then puts the epoch back.
 */
static __u32 flowc_epoch_swap(const struct bench_case *c, __u32 epoch)
{
	struct bpf_map *m = bpf_object__find_map_by_name(sl_dp_object(c->dp),
							 "sl_flowc_epoch");
	__u32 zero = 0, old;
	int fd = m ? bpf_map__fd(m) : -1;

	if (bpf_map_lookup_elem(fd, &zero, &old) ||
	    bpf_map_update_elem(fd, &zero, &epoch, BPF_ANY))
		die("%s: cannot set the flow cache's epoch%s", c->name, "");
	return old;
}

static double run(const struct bench_case *c, __u32 repeat)
{
	unsigned char out[128];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = c->pkt,
		    .data_size_in = FRAME, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = repeat);
	__u32 epoch = c->cold ? flowc_epoch_swap(c, 0) : 0;
	int ret = bpf_prog_test_run_opts(c->prog_fd, &o);

	if (c->cold)
		flowc_epoch_swap(c, epoch);
	if (ret)
		die("test run failed: %s%s", strerror(errno), "");
	if (o.retval != c->want) {
		fprintf(stderr, "bench: %s: verdict %u, expected %u\n", c->name,
			o.retval, c->want);
		exit(1);
	}
	return o.duration;
}

static __u64 *rule_packets(const struct bench_case *c)
{
	const struct sl_config *cfg = c->cfg;
	__u16 *prios = calloc(cfg->nrules + 1, sizeof(*prios));
	__u64 *v = calloc(cfg->nrules + 1, sizeof(*v));
	struct sl_stats_sel sel = { .prios = prios, .nprios = cfg->nrules };
	struct sl_stats st = {};
	size_t i;

	if (!prios || !v)
		die("%s%s", strerror(ENOMEM), "");
	for (i = 0; i < cfg->nrules; i++)
		prios[i] = cfg->rules[i].prio;
	if (sl_stats_read_sel(c->dp, &sel, &st))
		die("%s: cannot read the rule counters%s", c->name, "");
	for (i = 0; i < cfg->nrules; i++)
		v[i] = sl_stats_rule(&st, prios[i], -1).packets;
	sl_stats_free(&st);
	free(prios);
	return v;
}

/*
 * Before timing: PREFLIGHT packets of the case, and the rule counters must
 * show them all on the rule the case names and none on any other.
 */
static void preflight(const struct bench_case *c)
{
	__u64 *before, *after;
	size_t i;

	if (!c->dp) {
		run(c, PREFLIGHT);
		return;
	}
	before = rule_packets(c);
	run(c, PREFLIGHT);
	after = rule_packets(c);
	for (i = 0; i < c->cfg->nrules; i++) {
		__u16 prio = c->cfg->rules[i].prio;
		__u64 want = prio == c->want_prio ? PREFLIGHT : 0;

		if (after[i] - before[i] != want) {
			fprintf(stderr,
				"bench: preflight: %s: rule %u counted %llu of %d packets, expected %llu\n",
				c->name, prio,
				(unsigned long long)(after[i] - before[i]),
				PREFLIGHT, (unsigned long long)want);
			exit(1);
		}
	}
	free(before);
	free(after);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v)
{
	double s[ROUNDS];

	memcpy(s, v, sizeof(s));
	qsort(s, ROUNDS, sizeof(double), cmp_double);
	return s[ROUNDS / 2];
}

static struct bench_case cases[16];
static int ncases;

static struct bench_case *add(const char *name, struct sl_dp *dp,
			      const struct sl_config *cfg, int prog_fd,
			      const char *src, bool hit)
{
	struct bench_case *c = &cases[ncases++];
	bool v6 = strchr(src, ':');

	*c = (struct bench_case){ name, dp, cfg, prog_fd };
	udp_frame(c->pkt, src, getenv_mix(v6 ? "FLOOD_DST6" : "FLOOD_DST"),
		  atoi(getenv_mix("FLOOD_SPORT")),
		  atoi(getenv_mix("FLOOD_DPORT")));
	c->want = hit || !dp ? XDP_DROP : XDP_PASS;
	c->want_prio = hit ? SET_PRIO : 0;
	return c;
}

static double med(const struct bench_case *c)
{
	return median(c->ns);
}

/* The least of RL_ROUNDS of each case, interleaved round by round. */
static void least_rounds(struct bench_case **c, int n)
{
	double ns;
	int i, k;

	for (i = 0; i < n; i++)
		c[i]->least = 1e9;
	for (k = 0; k < RL_ROUNDS; k++)
		for (i = 0; i < n; i++) {
			ns = run(c[i], RL_REPEAT);
			if (ns < c[i]->least)
				c[i]->least = ns;
		}
}

static const char *met(bool ok)
{
	return ok ? "met" : "NOT met";
}

int main(int argc, char **argv)
{
	struct bench_case *bare, *h10, *m10, *h10k, *m10k, *h6, *m6, *h10kc;
	struct bench_case *rdrop, *rl_one, *rl_src;
	struct sl_config cfg10 = {}, cfg10k = {}, cfgnone = {};
	struct sl_config cfgdrop = {}, cfgrl = {}, cfgsrc = {};
	struct sl_dp *none, *ten, *big, *dropdp, *rldp, *srcdp;
	struct bench_drop_bpf *drop;
	const char *dir;
	double r;
	__u16 *prios;
	int i, k;
	size_t j;

	if (argc != 2) {
		fprintf(stderr,
			"usage: bench DIR (from tools/bench/mix.py gen --out DIR --subset 10 --set6 M)\n");
		return 2;
	}
	dir = argv[1];
	read_env(dir);
	drop = bench_drop_bpf__open_and_load();
	if (!drop)
		die("cannot load bench_drop: %s%s", strerror(errno), "");
	fprintf(stderr, "bench: loading %s/mix-10.conf and mix.conf...\n", dir);
	ten = load(dir, "mix-10.conf", &cfg10);
	big = load(dir, "mix.conf", &cfg10k);
	{
		struct sl_dp_opts opts = {};
		char err[SL_ERR_LEN];

		if (sl_dp_open(&opts, &none, err, sizeof(err)))
			die("%s%s", err, "");
	}
	fprintf(stderr, "bench: loading the one-rule cases of issue 12...\n");
	dropdp = load_rule("drop", &cfgdrop);
	rldp = load_rule("rate-limit 1000000000", &cfgrl);
	srcdp = load_rule("rate-limit 1000000000 per src", &cfgsrc);

	bare = add("bare XDP_DROP", NULL, NULL,
		   bpf_program__fd(drop->progs.bench_drop),
		   getenv_mix("MISS_SRC"), false);
	add("sluice, no rules", none, &cfgnone, sl_dp_prog_fd(none, 0),
	    getenv_mix("MISS_SRC"), false)
		->want = XDP_PASS;
	h10 = add("mix 10 rules, hit (rule 60000)", ten, &cfg10,
		  sl_dp_prog_fd(ten, 0), getenv_mix("HIT_SRC"), true);
	m10 = add("mix 10 rules, miss", ten, &cfg10, sl_dp_prog_fd(ten, 0),
		  getenv_mix("MISS_SRC"), false);
	h10k = add("mix 10k rules, hit (rule 60000)", big, &cfg10k,
		   sl_dp_prog_fd(big, 0), getenv_mix("HIT_SRC"), true);
	m10k = add("mix 10k rules, miss", big, &cfg10k, sl_dp_prog_fd(big, 0),
		   getenv_mix("MISS_SRC"), false);
	h10kc = add("mix 10k rules, hit, flow cache off", big, &cfg10k,
		    sl_dp_prog_fd(big, 0), getenv_mix("HIT_SRC"), true);
	add("mix 10k rules, miss, flow cache off", big, &cfg10k,
	    sl_dp_prog_fd(big, 0), getenv_mix("MISS_SRC"), false)
		->cold = h10kc->cold = true;
	h6 = add("mix 10 rules, IPv6 hit (rule 60000)", ten, &cfg10,
		 sl_dp_prog_fd(ten, 0), getenv_mix("HIT_SRC6"), true);
	m6 = add("mix 10 rules, IPv6 miss", ten, &cfg10, sl_dp_prog_fd(ten, 0),
		 getenv_mix("MISS_SRC6"), false);
	rdrop = add("1 rule, proto udp drop", dropdp, &cfgdrop,
		    sl_dp_prog_fd(dropdp, 0), getenv_mix("MISS_SRC"), true);
	rl_one = add("1 rule, rate-limit, one bucket", rldp, &cfgrl,
		     sl_dp_prog_fd(rldp, 0), getenv_mix("MISS_SRC"), true);
	rl_src = add("1 rule, rate-limit per src", srcdp, &cfgsrc,
		     sl_dp_prog_fd(srcdp, 0), getenv_mix("MISS_SRC"), true);
	rdrop->want_prio = rl_one->want_prio = rl_src->want_prio = RL_PRIO;
	/* Within the limit: the policy, pass; over it would be a drop. */
	rl_one->want = rl_src->want = XDP_PASS;

	for (i = 0; i < ncases; i++)
		preflight(&cases[i]);
	for (k = 0; k < ROUNDS; k++)
		for (i = 0; i < ncases; i++)
			cases[i].ns[k] = run(&cases[i], REPEAT);
	{
		struct bench_case *rl[] = { rdrop, rl_one, rl_src };

		least_rounds(rl, 3);
	}

	printf("bpf_prog_test_run, 64-byte UDP, median of %d interleaved rounds of %d;\n"
	       "issue 8's mix (%s), set blk of %zu prefixes (IPv4 and IPv6 together);\n"
	       "hit: a source in blk that only rule 60000 matches; miss: no rule matches\n",
	       ROUNDS, REPEAT, dir,
	       sl_config_set(&cfg10k, "blk") ?
		       sl_config_set(&cfg10k, "blk")->prefixes.n :
		       (size_t)0);
	printf("%-40s %10s\n", "case", "ns/packet");
	for (i = 0; i < ncases; i++)
		printf("%-40s %10.1f\n", cases[i].name, med(&cases[i]));
	printf("targets (issue 8):\n");
	printf("  %-38s %6.1f  target <= %.0f ns %s\n",
	       "mix 10k, lowest-priority hit", med(h10k), TARGET_HIT_NS,
	       met(med(h10k) <= TARGET_HIT_NS));
	r = med(h10k) / med(h10);
	printf("  %-38s %6.2f  target <= %.1f  %s\n",
	       "mix 10k / mix 10 rules, hit", r, TARGET_10K_10,
	       met(r <= TARGET_10K_10));
	r = med(m10k) / med(m10);
	printf("  %-38s %6.2f  target <= %.1f  %s\n",
	       "mix 10k / mix 10 rules, miss", r, TARGET_10K_10,
	       met(r <= TARGET_10K_10));
	r = med(h6) / med(h10);
	printf("  %-38s %6.2f  target <= %.1f  %s\n",
	       "1M set, IPv6 / IPv4, hit", r, TARGET_V6_V4,
	       met(r <= TARGET_V6_V4));
	r = med(m6) / med(m10);
	printf("  %-38s %6.2f  target <= %.1f  %s\n",
	       "1M set, IPv6 / IPv4, miss", r, TARGET_V6_V4,
	       met(r <= TARGET_V6_V4));
	printf("  %-38s %6.2f  for scale\n", "mix 10k hit / bare XDP_DROP",
	       med(h10k) / med(bare));
	printf("  %-38s %6.1f  for scale: a key the flow cache has not seen\n",
	       "mix 10k, hit, flow cache off", med(h10kc));
	printf("targets (issue 12), the least of %d rounds of %d (drop rule %.1f ns):\n",
	       RL_ROUNDS, RL_REPEAT, rdrop->least);
	r = rl_one->least - rdrop->least;
	printf("  %-38s %+6.1f  target <= %.0f ns %s\n",
	       "rate-limit, one bucket - drop rule", r, TARGET_RL_NS,
	       met(r <= TARGET_RL_NS));
	r = rl_src->least - rdrop->least;
	printf("  %-38s %+6.1f  target <= %.0f ns %s\n",
	       "rate-limit per src - drop rule", r, TARGET_RL_NS,
	       met(r <= TARGET_RL_NS));

	prios = calloc(cfg10k.nrules, sizeof(*prios));
	if (!prios)
		return 1;
	for (j = 0; j < cfg10k.nrules; j++)
		prios[j] = cfg10k.rules[j].prio;
	printf("\n");
	k = bench_scrape(big, prios, cfg10k.nrules);
	free(prios);
	sl_dp_close(none);
	sl_dp_close(ten);
	sl_dp_close(big);
	sl_dp_close(dropdp);
	sl_dp_close(rldp);
	sl_dp_close(srcdp);
	sl_config_free(&cfg10);
	sl_config_free(&cfg10k);
	sl_config_free(&cfgdrop);
	sl_config_free(&cfgrl);
	sl_config_free(&cfgsrc);
	bench_drop_bpf__destroy(drop);
	return k ? 1 : 0;
}
