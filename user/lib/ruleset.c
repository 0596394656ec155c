// SPDX-License-Identifier: GPL-2.0-only
/*
 * Compile the ordered rule list (see bpf/classify.h), write it and its
 * index into the inactive generation, then flip.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "classifier.h"
#include "dataplane.h"
#include "dataplane_int.h"
#include "synproxy.h"

struct sl_compiled {
	struct sluice_crule *rules; /* rules[1..nrules], in priority order */
	__u32 nrules;
	struct sluice_steer steer[SLUICE_MAX_STEER];
	unsigned int nsteer;
	struct sluice_rl_rule *rl; /* by priority, for rate-limit rules */
	__u16 *rl_prios;
	size_t nrl;
	unsigned int nsynproxy; /* syn-proxy rules */
};

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
		      struct sluice_crule *c, __u8 *set, char *err,
		      size_t errlen)
{
	int id, i;

	switch (a->kind) {
	case SL_ADDR_ANY:
		return 0;
	case SL_ADDR_PREFIX:
		prefix_mask(mask, a->prefix.len);
		for (i = 0; i < 16; i++)
			val[i] = a->prefix.addr[i] & mask[i];
		c->mask.family = 0xff;
		c->value.family = a->prefix.family;
		c->needs |= SLUICE_HAS_IP;
		return 0;
	case SL_ADDR_SET:
		id = sl_dp_set_id(dp, a->set, false);
		if (id < 0) {
			sl_err(err, errlen,
			       "rule %u: set \"%s\" does not exist", r->prio,
			       a->set);
			return -ENOENT;
		}
		*set = id;
		c->needs |= SLUICE_HAS_IP;
		return 0;
	}
	return -EINVAL;
}

static void port_range(const struct sl_range *r, __u16 *lo, __u16 *hi)
{
	*lo = r->present ? r->lo : 0;
	*hi = r->present ? r->hi : 65535;
}

/* What a rule matches, as a mask and a value over the packet's fields. */
static int rule_match(struct sl_dp *dp, const struct sl_rule *r,
		      struct sluice_crule *c, char *err, size_t errlen)
{
	int slot, ret;

	if (r->in[0]) {
		slot = sl_dp_slot(dp, r->in, true);
		if (slot < 0) {
			sl_err(err, errlen, "rule %u: no slot for \"%s\": %s",
			       r->prio, r->in, strerror(-slot));
			return slot;
		}
		c->mask.slot = 0xffff;
		c->value.slot = slot;
	}
	if (r->has_vlan) {
		c->mask.vlan = 0xffff;
		c->value.vlan = r->vlan;
		c->needs |= SLUICE_HAS_VLAN;
	}
	if (r->has_proto) {
		c->mask.proto = 0xff;
		c->value.proto = r->proto;
		c->needs |= SLUICE_HAS_IP;
	}
	if (r->tcp_mask) {
		c->mask.tcp_flags = r->tcp_mask;
		c->value.tcp_flags = r->tcp_value & r->tcp_mask;
		c->needs |= SLUICE_HAS_IP | SLUICE_HAS_TCP;
	}
	if (r->has_icmp_type) {
		c->mask.icmp_type = 0xff;
		c->value.icmp_type = r->icmp_type;
		c->needs |= SLUICE_HAS_IP | SLUICE_HAS_ICMP;
	}
	if (r->has_icmp_code) {
		c->mask.icmp_code = 0xff;
		c->value.icmp_code = r->icmp_code;
		c->needs |= SLUICE_HAS_IP | SLUICE_HAS_ICMP;
	}
	if (r->has_dscp) {
		c->mask.dscp = 0x3f;
		c->value.dscp = r->dscp & 0x3f;
		c->needs |= SLUICE_HAS_IP;
	}
	if (r->frag_mask) {
		c->mask.frag = r->frag_mask;
		c->value.frag = r->frag_value & r->frag_mask;
		c->needs |= SLUICE_HAS_IP;
	}
	/* Rules without a length keep the full range: shadowing compares it. */
	c->len_lo = r->has_length ? r->length_lo : 0;
	c->len_hi = r->has_length ? r->length_hi : SLUICE_IP_LEN_MAX;
	if (r->has_length)
		c->needs |= SLUICE_HAS_IP | SLUICE_HAS_LEN;
	if (r->sport.present || r->dport.present)
		c->needs |= SLUICE_HAS_IP | SLUICE_HAS_PORTS;
	port_range(&r->sport, &c->sport_lo, &c->sport_hi);
	port_range(&r->dport, &c->dport_lo, &c->dport_hi);
	ret = addr_field(dp, r, &r->src, c->value.src, c->mask.src, c,
			 &c->src_set, err, errlen);
	if (!ret)
		ret = addr_field(dp, r, &r->dst, c->value.dst, c->mask.dst, c,
				 &c->dst_set, err, errlen);
	return ret;
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
			sl_err(err, errlen,
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
		sl_err(err, errlen,
		       "rule %u: more than %d distinct steer CPU lists",
		       r->prio, SLUICE_MAX_STEER);
		return -E2BIG;
	}
	c->steer[c->nsteer] = st;
	*arg = c->nsteer++;
	return 0;
}

static __u64 saturate(unsigned __int128 v)
{
	return v > UINT64_MAX / 2 ? UINT64_MAX / 2 : (__u64)v;
}

/*
 * A rate-limit's parameters (see headers/sluice/abi.h).  A packet rate
 * costs 1e9 / rate ns a packet, rounded to the tick: 10,000 pps is
 * exact, 3 pps off by 1e-10.  A bit rate costs 8e9 / rate ns a byte, in
 * fixed point with the most fraction bits that keep len * cost within 63
 * bits: off by less than 2^-32 of a tick a byte at 1 Gbit/s.
 */
static void rl_params(const struct sl_rule *r, struct sluice_rl_rule *p)
{
	const unsigned __int128 ticks_s = (unsigned __int128)1000000000
					  << SLUICE_RL_TICK_SHIFT;
	unsigned __int128 cost;
	unsigned int shift = 0;

	memset(p, 0, sizeof(*p));
	if (!r->rl_bytes) {
		cost = (ticks_s + r->rl_rate / 2) / r->rl_rate;
	} else {
		/* Room for SLUICE_RL_MAX_LEN (2^20) bytes: cost below 2^43. */
		while (shift < 32 &&
		       (ticks_s * 8 << (shift + 1)) / r->rl_rate < (1ULL << 43))
			shift++;
		cost = ((ticks_s * 8 << shift) + r->rl_rate / 2) / r->rl_rate;
		p->flags |= SLUICE_RL_BYTES;
	}
	p->cost = cost ? saturate(cost) : 1;
	p->shift = shift;
	p->tau = saturate((unsigned __int128)r->rl_burst * p->cost >> shift);
	if (r->rl_per == SL_RL_PER_SRC)
		p->flags |= SLUICE_RL_PER_SRC;
	else if (r->rl_per == SL_RL_PER_DST)
		p->flags |= SLUICE_RL_PER_DST;
	p->per_len = r->rl_per ? r->rl_per_len : 0;
}

static int rule_action(struct sl_dp *dp, const struct sl_rule *r,
		       struct sl_compiled *c, struct sluice_crule *v, char *err,
		       size_t errlen)
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
			sl_err(err, errlen, "rule %u: no slot for \"%s\": %s",
			       r->prio, r->redirect, strerror(-slot));
			return slot;
		}
		v->arg = slot;
		return 0;
	case SLUICE_ACT_STEER:
		return steer_list(r, c, &v->arg, err, errlen);
	case SLUICE_ACT_RATE_LIMIT:
		rl_params(r, &c->rl[c->nrl]);
		c->rl_prios[c->nrl++] = r->prio;
		return 0;
	case SLUICE_ACT_SYN_PROXY:
		/* It answers SYNs and judges ACKs: TCP's, nothing else. */
		if (!r->has_proto || r->proto != 6 /* tcp */)
			return sl_err(err, errlen,
				      "rule %u: \"syn-proxy\" needs proto tcp",
				      r->prio);
		c->nsynproxy++;
		return 0;
	default:
		sl_err(err, errlen,
		       "rule %u: action \"%s\" is not available in this data plane",
		       r->prio, sl_action_name(r->action));
		return -EOPNOTSUPP;
	}
}

static int compile_rule(struct sl_dp *dp, const struct sl_rule *r,
			struct sl_compiled *c, char *err, size_t errlen)
{
	struct sluice_crule *cr = &c->rules[++c->nrules];
	int ret;

	memset(cr, 0, sizeof(*cr));
	cr->prio = r->prio;
	cr->action = r->action;
	ret = rule_action(dp, r, c, cr, err, errlen);
	if (!ret)
		ret = rule_match(dp, r, cr, err, errlen);
	return ret;
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
	struct sluice_ruleset rs;
	__u32 idx;
	int ret;

	memcpy(dp->ix.rules + (size_t)gen * SLUICE_MAX_RULES, c->rules,
	       (c->nrules + 1) * sizeof(*c->rules));
	ret = sl_ix_build(&dp->ix, gen, c->rules, c->nrules, &rs);
	if (ret) {
		sl_err(err, errlen, "cannot index the rules: %s",
		       strerror(-ret));
		return ret;
	}
	for (idx = 0; idx < c->nsteer; idx++) {
		ret = steer_publish(dp, &c->steer[idx],
				    gen * SLUICE_MAX_STEER + idx);
		if (ret) {
			sl_err(err, errlen, "cannot set up steering: %s",
			       strerror(-ret));
			return ret;
		}
	}
	for (idx = 0; idx < c->nrl; idx++) {
		__u32 key = gen * (SLUICE_PRIO_MAX + 1) + c->rl_prios[idx];

		if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.sl_rl_params),
					&key, &c->rl[idx], BPF_ANY)) {
			ret = -errno;
			sl_err(err, errlen, "cannot set up rate limits: %s",
			       strerror(-ret));
			return ret;
		}
	}
	if (c->nsynproxy) {
		ret = sl_synproxy_publish(dp);
		if (ret) {
			sl_err(err, errlen,
			       "cannot set up syn-proxy from the TCP sysctls: %s",
			       strerror(-ret));
			return ret;
		}
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
	free(c->rules);
	free(c->rl);
	free(c->rl_prios);
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

	if (n >= SLUICE_MAX_RULES) {
		sl_err(err, errlen, "%zu rules: at most %d", n,
		       SLUICE_MAX_RULES - 1);
		return -E2BIG;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->rules = calloc(n + 1, sizeof(*c->rules));
	c->rl = calloc(n + 1, sizeof(*c->rl));
	c->rl_prios = calloc(n + 1, sizeof(*c->rl_prios));
	if (!c->rules || !c->rl || !c->rl_prios) {
		ret = -ENOMEM;
		goto out;
	}
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
	if (ret)
		goto out;
	st.active_gen = next;
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.sl_state), &zero,
				&st, BPF_ANY)) {
		ret = -errno;
		sl_err(err, errlen, "cannot switch rule sets: %s",
		       strerror(-ret));
		goto out;
	}
	sl_dp_flowc_flush(dp);
	/*
	 * Packets in flight may still read the old generation: wait them
	 * out, so that the next change can overwrite it.
	 */
	ret = sl_dp_sync(dp);
	if (ret)
		sl_err(err, errlen, "cannot retire the old rule set: %s",
		       strerror(-ret));
out:
	compiled_free(c);
	return ret;
}
