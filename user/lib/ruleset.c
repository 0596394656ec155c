// SPDX-License-Identifier: GPL-2.0-only
/*
 * Compile the ordered rule list into tuples and entries (see
 * bpf/classify.h) and publish it as the inactive generation, then flip.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane.h"
#include "dataplane_int.h"

/* A port range becomes at most 30 aligned blocks: value and prefix length. */
#define SL_RANGE_BLOCKS 32

struct sl_block {
	__u16 value;
	__u8 len;
};

struct sl_entry {
	struct sluice_key key;
	struct sluice_verdict verdict;
};

struct sl_compiled {
	struct sluice_tuple tuples[SLUICE_MAX_TUPLES];
	unsigned int ntuples;
	struct sluice_steer steer[SLUICE_MAX_STEER];
	unsigned int nsteer;
	struct sl_entry *entries;
	size_t nentries, cap;
};

static int range_blocks(const struct sl_range *r, struct sl_block *out)
{
	__u32 a = r->lo, b = r->hi;
	int n = 0;

	if (!r->present) {
		out[0] = (struct sl_block){ 0, 0 };
		return 1;
	}
	while (a <= b) {
		__u32 size = 1;
		__u8 len = 16;

		while (len > 0 && !(a & (size * 2 - 1)) &&
		       a + size * 2 - 1 <= b) {
			size *= 2;
			len--;
		}
		out[n++] = (struct sl_block){ a, len };
		a += size;
	}
	return n;
}

static __u16 mask16(__u8 len)
{
	return len ? (__u16)(0xffffu << (16 - len)) : 0;
}

static void prefix_mask(__u8 *mask, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		if (len >= 8)
			mask[i] = 0xff;
		else
			mask[i] = len ? (__u8)(0xff << (8 - len)) : 0;
		len = len >= 8 ? len - 8 : 0;
	}
}

static int addr_field(struct sl_dp *dp, const struct sl_rule *r,
		      const struct sl_addr_match *a, __u8 *val, __u8 *mask,
		      struct sluice_tuple *t, struct sluice_key *k, __u8 *set,
		      char *err, size_t errlen)
{
	int id;

	switch (a->kind) {
	case SL_ADDR_ANY:
		return 0;
	case SL_ADDR_PREFIX:
		prefix_mask(mask, a->prefix.len);
		memcpy(val, a->prefix.addr, 16);
		t->mask.family = 0xff;
		k->family = a->prefix.family;
		t->needs |= SLUICE_HAS_IP;
		return 0;
	case SL_ADDR_SET:
		id = sl_dp_set_id(dp, a->set, false);
		if (id < 0) {
			sl_errf(err, errlen,
				"rule %u: set \"%s\" does not exist", r->prio,
				a->set);
			return -ENOENT;
		}
		*set = id;
		t->needs |= SLUICE_HAS_IP;
		return 0;
	}
	return -EINVAL;
}

/* The shape and the unmasked values of a rule, ports aside. */
static int rule_shape(struct sl_dp *dp, const struct sl_rule *r,
		      struct sluice_tuple *t, struct sluice_key *k, char *err,
		      size_t errlen)
{
	int slot, ret;

	memset(t, 0, sizeof(*t));
	memset(k, 0, sizeof(*k));
	if (r->in[0]) {
		slot = sl_dp_slot(dp, r->in, true);
		if (slot < 0) {
			sl_errf(err, errlen, "rule %u: no slot for \"%s\": %s",
				r->prio, r->in, strerror(-slot));
			return slot;
		}
		t->mask.slot = 0xffff;
		k->slot = slot;
	}
	if (r->has_vlan) {
		t->mask.vlan = 0xffff;
		k->vlan = r->vlan;
		t->needs |= SLUICE_HAS_VLAN;
	}
	if (r->has_proto) {
		t->mask.proto = 0xff;
		k->proto = r->proto;
		t->needs |= SLUICE_HAS_IP;
	}
	if (r->tcp_mask) {
		t->mask.tcp_flags = r->tcp_mask;
		k->tcp_flags = r->tcp_value & r->tcp_mask;
		t->needs |= SLUICE_HAS_IP | SLUICE_HAS_TCP;
	}
	if (r->has_icmp_type) {
		t->mask.icmp_type = 0xff;
		k->icmp_type = r->icmp_type;
		t->needs |= SLUICE_HAS_IP | SLUICE_HAS_ICMP;
	}
	if (r->sport.present || r->dport.present)
		t->needs |= SLUICE_HAS_IP | SLUICE_HAS_PORTS;
	ret = addr_field(dp, r, &r->src, k->src, t->mask.src, t, k, &t->src_set,
			 err, errlen);
	if (!ret)
		ret = addr_field(dp, r, &r->dst, k->dst, t->mask.dst, t, k,
				 &t->dst_set, err, errlen);
	return ret;
}

static bool same_shape(const struct sluice_tuple *a,
		       const struct sluice_tuple *b)
{
	return !memcmp(&a->mask, &b->mask, sizeof(a->mask)) &&
	       a->needs == b->needs && a->src_set == b->src_set &&
	       a->dst_set == b->dst_set;
}

static void key_apply_mask(struct sluice_key *k, const struct sluice_key *m)
{
	__u64 *kw = (__u64 *)k;
	const __u64 *mw = (const __u64 *)m;
	unsigned int i;

	for (i = 0; i < SLUICE_KEY_WORDS; i++)
		kw[i] &= mw[i];
}

static int add_entry(struct sl_compiled *c, const struct sluice_key *k,
		     const struct sluice_verdict *v)
{
	if (c->nentries == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
		struct sl_entry *e = realloc(c->entries, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		c->entries = e;
		c->cap = cap;
	}
	c->entries[c->nentries].key = *k;
	c->entries[c->nentries].verdict = *v;
	c->nentries++;
	return 0;
}

/* The CPU list of a steer rule, shared with rules naming the same CPUs. */
static int steer_list(const struct sl_rule *r, struct sl_compiled *c,
		      __u32 *arg, char *err, size_t errlen)
{
	struct sluice_steer st = {};
	int ncpus = sl_dp_ncpus();
	unsigned int cpu, i;

	for (cpu = 0; cpu < SLUICE_STEER_MAX_CPUS; cpu++) {
		bool named = r->steer_cpus & (1ULL << cpu);

		if (named && (int)cpu >= ncpus) {
			sl_errf(err, errlen,
				"rule %u: no CPU %u (this machine has %d)",
				r->prio, cpu, ncpus);
			return -EINVAL;
		}
		if (named || (!r->steer_cpus && (int)cpu < ncpus))
			st.cpus[st.ncpus++] = cpu;
	}
	for (i = 0; i < c->nsteer; i++) {
		if (!memcmp(&c->steer[i], &st, sizeof(st))) {
			*arg = i;
			return 0;
		}
	}
	if (c->nsteer == SLUICE_MAX_STEER) {
		sl_errf(err, errlen,
			"rule %u: more than %d distinct steer CPU lists",
			r->prio, SLUICE_MAX_STEER);
		return -E2BIG;
	}
	c->steer[c->nsteer] = st;
	*arg = c->nsteer++;
	return 0;
}

static int rule_action(struct sl_dp *dp, const struct sl_rule *r,
		       struct sl_compiled *c, struct sluice_verdict *v,
		       char *err, size_t errlen)
{
	int slot;

	switch (r->action) {
	case SLUICE_ACT_PASS:
	case SLUICE_ACT_DROP:
	case SLUICE_ACT_FORWARD:
		return 0;
	case SLUICE_ACT_REDIRECT:
		slot = sl_dp_slot(dp, r->redirect, true);
		if (slot < 0) {
			sl_errf(err, errlen, "rule %u: no slot for \"%s\": %s",
				r->prio, r->redirect, strerror(-slot));
			return slot;
		}
		v->arg = slot;
		return 0;
	case SLUICE_ACT_STEER:
		return steer_list(r, c, &v->arg, err, errlen);
	default:
		sl_errf(err, errlen,
			"rule %u: action \"%s\" is not available in this data plane",
			r->prio, sl_action_name(r->action));
		return -EOPNOTSUPP;
	}
}

static int compile_rule(struct sl_dp *dp, const struct sl_rule *r,
			struct sl_compiled *c, char *err, size_t errlen)
{
	struct sl_block sb[SL_RANGE_BLOCKS], db[SL_RANGE_BLOCKS];
	struct sluice_verdict v = { .prio = r->prio, .action = r->action };
	struct sluice_tuple shape;
	struct sluice_key base;
	int ns, nd, i, j, ret;
	unsigned int t;

	ret = rule_action(dp, r, c, &v, err, errlen);
	if (ret)
		return ret;
	ret = rule_shape(dp, r, &shape, &base, err, errlen);
	if (ret)
		return ret;
	ns = range_blocks(&r->sport, sb);
	nd = range_blocks(&r->dport, db);

	for (i = 0; i < ns; i++) {
		for (j = 0; j < nd; j++) {
			struct sluice_tuple tup = shape;
			struct sluice_key k = base;

			tup.mask.sport = mask16(sb[i].len);
			tup.mask.dport = mask16(db[j].len);
			k.sport = sb[i].value;
			k.dport = db[j].value;
			for (t = 0; t < c->ntuples; t++)
				if (same_shape(&c->tuples[t], &tup))
					break;
			if (t == c->ntuples) {
				if (t == SLUICE_MAX_TUPLES) {
					sl_errf(err, errlen,
						"rule %u: more than %d distinct rule shapes",
						r->prio, SLUICE_MAX_TUPLES);
					return -E2BIG;
				}
				/* Rules come in priority order: its first is its best. */
				tup.min_prio = r->prio;
				c->tuples[c->ntuples++] = tup;
			}
			key_apply_mask(&k, &c->tuples[t].mask);
			k.tuple = t;
			ret = add_entry(c, &k, &v);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int cmp_prio(const void *a, const void *b)
{
	const struct sl_rule *x = a, *y = b;

	return (int)x->prio - (int)y->prio;
}

static int read_state(struct sl_dp *dp, struct sluice_state *st)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.sl_state), &zero,
				st))
		return -errno;
	return 0;
}

/* Empty the inactive generation: its table half and its overflow entries. */
int sl_dp_rules_sweep(struct sl_dp *dp)
{
	int fd = bpf_map__fd(dp->skel->maps.sl_rules);
	struct sluice_key key, next, *stale = NULL;
	size_t n = 0, cap = 0, i;
	struct sluice_state st;
	void *prev = NULL;
	int ret;

	ret = read_state(dp, &st);
	if (ret)
		return ret;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (key.gen == (st.active_gen & 1))
			continue;
		if (n == cap) {
			struct sluice_key *s;

			cap = cap ? 2 * cap : 1024;
			s = realloc(stale, cap * sizeof(*s));
			if (!s) {
				free(stale);
				return -ENOMEM;
			}
			stale = s;
		}
		stale[n++] = key;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &stale[i]);
	free(stale);
	memset(dp->table + (size_t) !(st.active_gen & 1) * SLUICE_GEN_SLOTS, 0,
	       SLUICE_GEN_SLOTS * sizeof(*dp->table));
	return 0;
}

static bool same_key(const struct sluice_key *a, const struct sluice_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/*
 * Put an entry in its bucket of the (unpublished) generation, or in the
 * overflow map when the bucket is full.  Rules come in priority order,
 * so a key already present belongs to a better rule: keep that one.
 */
static int place(struct sl_dp *dp, const struct sl_entry *e, bool *placed)
{
	struct sluice_slot *s =
		dp->table +
		sluice_bucket_slot(e->key.gen,
				   sluice_key_hash((__u64 *)&e->key));
	int j;

	*placed = false;
	for (j = 0; j < SLUICE_BUCKET_SLOTS; j++) {
		if (!s[j].verdict.prio) {
			s[j].key = e->key;
			s[j].verdict = e->verdict;
			*placed = true;
			return 0;
		}
		if (same_key(&s[j].key, &e->key))
			return 0;
	}
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.sl_rules), &e->key,
				&e->verdict, BPF_NOEXIST))
		return errno == EEXIST ? 0 : -errno;
	s[SLUICE_BUCKET_SLOTS - 1].overflow = 1;
	*placed = true;
	return 0;
}

/* A CPU list, and a cpumap entry (a kthread) for each CPU it names. */
static int steer_publish(struct sl_dp *dp, const struct sluice_steer *st,
			 __u32 idx)
{
	int cpus = bpf_map__fd(dp->skel->maps.sl_cpus);
	struct bpf_cpumap_val val = { .qsize = SLUICE_CPUMAP_QSIZE };
	struct bpf_cpumap_val cur;
	__u32 i;

	for (i = 0; i < st->ncpus; i++) {
		/* Replacing a live entry would restart its kthread: keep it. */
		if (!bpf_map_lookup_elem(cpus, &st->cpus[i], &cur) && cur.qsize)
			continue;
		if (bpf_map_update_elem(cpus, &st->cpus[i], &val, BPF_ANY))
			return -errno;
	}
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.sl_steer_cpus), &idx,
				st, BPF_ANY))
		return -errno;
	return 0;
}

static int publish(struct sl_dp *dp, struct sl_compiled *c, __u32 gen,
		   char *err, size_t errlen)
{
	int tuples_fd = bpf_map__fd(dp->skel->maps.sl_tuples);
	struct sluice_ruleset rs = { .ntuples = c->ntuples };
	size_t i;
	__u32 idx;
	int ret;

	for (i = 0; i < c->nentries; i++) {
		struct sl_entry *e = &c->entries[i];
		bool placed;

		e->key.gen = gen;
		ret = place(dp, e, &placed);
		if (ret) {
			sl_errf(err, errlen, "cannot add rule %u: %s",
				e->verdict.prio,
				ret == -E2BIG ? "classifier table full" :
						strerror(-ret));
			return ret;
		}
		rs.nentries += placed;
	}
	for (idx = 0; idx < c->nsteer; idx++) {
		ret = steer_publish(dp, &c->steer[idx],
				    gen * SLUICE_MAX_STEER + idx);
		if (ret) {
			sl_errf(err, errlen, "cannot set up steering: %s",
				strerror(-ret));
			return ret;
		}
	}
	for (idx = 0; idx < c->ntuples; idx++) {
		__u32 k = gen * SLUICE_MAX_TUPLES + idx;

		if (bpf_map_update_elem(tuples_fd, &k, &c->tuples[idx],
					BPF_ANY))
			return -errno;
	}
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.sl_rulesets), &gen,
				&rs, BPF_ANY))
		return -errno;
	return 0;
}

static void compiled_free(struct sl_compiled *c)
{
	if (!c)
		return;
	free(c->entries);
	free(c);
}

/* Compile rules in priority order; nothing packets see changes. */
static int compile(struct sl_dp *dp, const struct sl_rule *rules, size_t n,
		   struct sl_compiled **out, char *err, size_t errlen)
{
	struct sl_compiled *c;
	struct sl_rule *sorted = NULL;
	size_t i;
	int ret = 0;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (n) {
		sorted = malloc(n * sizeof(*sorted));
		if (!sorted) {
			ret = -ENOMEM;
			goto out;
		}
		memcpy(sorted, rules, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), cmp_prio);
	}
	for (i = 0; i < n && !ret; i++)
		ret = compile_rule(dp, &sorted[i], c, err, errlen);
out:
	free(sorted);
	if (ret) {
		compiled_free(c);
		return ret;
	}
	*out = c;
	return 0;
}

int sl_dp_rules_check(struct sl_dp *dp, const struct sl_rule *rules, size_t n,
		      char *err, size_t errlen)
{
	struct sl_compiled *c = NULL;
	int ret = compile(dp, rules, n, &c, err, errlen);

	compiled_free(c);
	return ret;
}

int sl_dp_rules_replace(struct sl_dp *dp, const struct sl_rule *rules, size_t n,
			char *err, size_t errlen)
{
	struct sl_compiled *c = NULL;
	struct sluice_state st;
	__u32 zero = 0, next;
	int ret;

	ret = compile(dp, rules, n, &c, err, errlen);
	if (ret)
		return ret;
	ret = read_state(dp, &st);
	if (ret)
		goto out;
	next = !(st.active_gen & 1);
	ret = publish(dp, c, next, err, errlen);
	if (ret) {
		sl_dp_rules_sweep(dp);
		goto out;
	}
	st.active_gen = next;
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.sl_state), &zero,
				&st, BPF_ANY)) {
		ret = -errno;
		sl_errf(err, errlen, "cannot switch rule sets: %s",
			strerror(-ret));
		sl_dp_rules_sweep(dp);
		goto out;
	}
	/* Packets in flight may still read the old generation: wait them out. */
	ret = sl_dp_sync(dp);
	if (!ret)
		ret = sl_dp_rules_sweep(dp);
	if (ret)
		sl_errf(err, errlen, "cannot retire the old rule set: %s",
			strerror(-ret));
out:
	compiled_free(c);
	return ret;
}
