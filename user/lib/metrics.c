// SPDX-License-Identifier: GPL-2.0-only
/*
 * Names follow DESIGN.md and Prometheus conventions: one "sluice_"
 * prefix, "_total" on counters, base units (bytes), "device" as
 * node_exporter names interfaces.  Every family has HELP and TYPE.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "capture.h"
#include "flowspec.h"
#include "rule.h"
#include "metrics.h"
#include "stats.h"

static void family(FILE *out, const char *name, const char *type,
		   const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped as the exposition format wants. */
static void label(FILE *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(out, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
}

static const char *hook_name(unsigned int hook)
{
	return sl_hook_name(hook);
}

static bool is_exception(unsigned int reason)
{
	/*
	 * syn-proxy's SYN-ACKs are its action's packets already; its cookie
	 * ACKs handed to the kernel (cookie-valid) stay, as the count of
	 * connections it let in.
	 */
	return reason != SLUICE_REASON_RULE && reason != SLUICE_REASON_POLICY &&
	       reason != SLUICE_REASON_SYNCOOKIE_SENT;
}

/*
 * One line "name{labels[,cpu="N"]} value".  A scrape of 10,000 rules is
 * some 40,000 of these: put together by hand into one buffer, not by
 * fprintf's format parsing, which was a third of the scrape's time.
 */
static void sample(FILE *out, const char *name, const char *labels, int cpu,
		   unsigned long long v)
{
	char line[512], num[24], *p = line, *end = line + sizeof(line) - 48;
	size_t n;
	int k = 0;

	n = strlen(name);
	if (n + strlen(labels) + 2 > (size_t)(end - line)) {
		/* A label too long for the buffer: the slow way. */
		if (cpu < 0)
			fprintf(out, "%s{%s} %llu\n", name, labels, v);
		else
			fprintf(out, "%s{%s,cpu=\"%d\"} %llu\n", name, labels,
				cpu, v);
		return;
	}
	memcpy(p, name, n);
	p += n;
	*p++ = '{';
	n = strlen(labels);
	memcpy(p, labels, n);
	p += n;
	if (cpu >= 0)
		p += sprintf(p, ",cpu=\"%d\"", cpu);
	*p++ = '}';
	*p++ = ' ';
	do {
		num[k++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (k)
		*p++ = num[--k];
	*p++ = '\n';
	fwrite_unlocked(line, 1, p - line, out);
}

/* One sample per CPU when asked, else the sum; labels without braces. */
static void samples(FILE *out, const struct sl_metrics_opts *o,
		    const char *name, const char *labels,
		    struct sluice_counter (*get)(const struct sl_stats *,
						 const void *, int),
		    const struct sl_stats *s, const void *arg, bool bytes)
{
	struct sluice_counter c;
	int cpu;

	if (!o->per_cpu) {
		c = get(s, arg, -1);
		sample(out, name, labels, -1, bytes ? c.bytes : c.packets);
		return;
	}
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		c = get(s, arg, cpu);
		sample(out, name, labels, cpu, bytes ? c.bytes : c.packets);
	}
}

struct iface_key {
	unsigned int slot, hook, what;
};

static struct sluice_counter get_iface(const struct sl_stats *s,
				       const void *arg, int cpu)
{
	const struct iface_key *k = arg;

	return sl_stats_iface(s, k->slot, k->hook, k->what, cpu);
}

static struct sluice_counter get_reason(const struct sl_stats *s,
					const void *arg, int cpu)
{
	const struct iface_key *k = arg;

	return sl_stats_reason(s, k->slot, k->hook, k->what, cpu);
}

static struct sluice_counter get_rule(const struct sl_stats *s, const void *arg,
				      int cpu)
{
	return sl_stats_rule(s, *(const __u16 *)arg, cpu);
}

/* device="...",hook="...",key="val" into buf, the device escaped. */
static void device_labels(char *buf, size_t len, const char *dev,
			  unsigned int hook, const char *key, const char *val)
{
	char esc[2 * SLUICE_IFNAME_LEN + 1], *p = esc;

	for (; *dev && p < esc + sizeof(esc) - 2; dev++) {
		if (*dev == '\\' || *dev == '"' || *dev == '\n')
			*p++ = '\\';
		*p++ = *dev == '\n' ? 'n' : *dev;
	}
	*p = '\0';
	snprintf(buf, len, "device=\"%s\",hook=\"%s\",%s=\"%s\"", esc,
		 hook_name(hook), key, val);
}

static void iface_families(FILE *out, const struct sl_metrics_opts *o,
			   const struct sl_stats *s)
{
	static const struct {
		const char *name, *help;
		bool bytes;
	} fam[] = {
		{ "sluice_packets_total",
		  "Packets by interface, hook and the action they got.",
		  false },
		{ "sluice_bytes_total",
		  "Bytes by interface, hook and the action they got.", true },
	};
	char labels[256];
	unsigned int f, hook, a;
	size_t i;

	for (f = 0; f < 2; f++) {
		family(out, fam[f].name, "counter", fam[f].help);
		for (i = 0; i < o->nifaces; i++)
			for (hook = 0; hook < SLUICE_HOOK__MAX; hook++)
				for (a = 0; a < SLUICE_ACT__MAX; a++) {
					struct iface_key k = {
						o->ifaces[i].slot, hook, a
					};

					if (a == SLUICE_ACT_RATE_LIMIT)
						continue; /* never a verdict */
					device_labels(labels, sizeof(labels),
						      o->ifaces[i].name, hook,
						      "action",
						      sl_action_name(a));
					samples(out, o, fam[f].name, labels,
						get_iface, s, &k, fam[f].bytes);
				}
	}

	family(out, "sluice_exceptions_total", "counter",
	       "Packets dropped or handed to the kernel that no rule asked for, by reason.");
	for (i = 0; i < o->nifaces; i++)
		for (hook = 0; hook < SLUICE_HOOK__MAX; hook++)
			for (a = 0; a < SLUICE_REASON__MAX; a++) {
				struct iface_key k = { o->ifaces[i].slot, hook,
						       a };

				if (!is_exception(a))
					continue;
				device_labels(labels, sizeof(labels),
					      o->ifaces[i].name, hook, "reason",
					      sl_reason_name(a));
				samples(out, o, "sluice_exceptions_total",
					labels, get_reason, s, &k, false);
			}
}

/* rule="PRIO" without snprintf: 20,000 of them in a scrape of 10k rules. */
static void rule_label(char *buf, unsigned int prio)
{
	char num[8];
	int k = 0;

	memcpy(buf, "rule=\"", 6);
	buf += 6;
	do {
		num[k++] = '0' + prio % 10;
		prio /= 10;
	} while (prio && k < (int)sizeof(num));
	while (k)
		*buf++ = num[--k];
	memcpy(buf, "\"", 2);
}

static void rule_families(FILE *out, const struct sl_metrics_opts *o,
			  const struct sl_stats *s)
{
	char labels[32];
	size_t i;
	int f;

	for (f = 0; f < 2; f++) {
		const char *name = f ? "sluice_rule_bytes_total" :
				       "sluice_rule_packets_total";

		family(out, name, "counter",
		       f ? "Bytes decided by each rule, named by its priority." :
			   "Packets decided by each rule, named by its priority.");
		for (i = 0; i < o->nrules; i++) {
			rule_label(labels, o->rules[i]);
			samples(out, o, name, labels, get_rule, s, &o->rules[i],
				f);
		}
	}
}

static struct sluice_counter get_rl_drop(const struct sl_stats *s,
					 const void *arg, int cpu)
{
	return sl_stats_rl_drop(s, *(const __u16 *)arg, cpu);
}

static void rate_limit_families(FILE *out, const struct sl_metrics_opts *o,
				const struct sl_stats *s)
{
	char labels[32];
	size_t i;
	int f;

	for (f = 0; f < 2; f++) {
		const char *name = f ? "sluice_rule_rate_limited_bytes_total" :
				       "sluice_rule_rate_limited_packets_total";

		family(out, name, "counter",
		       f ? "Bytes a rate-limit rule dropped over its limit (part of sluice_rule_bytes_total)." :
			   "Packets a rate-limit rule dropped over its limit (part of sluice_rule_packets_total).");
		for (i = 0; i < o->nrl_rules; i++) {
			rule_label(labels, o->rl_rules[i]);
			samples(out, o, name, labels, get_rl_drop, s,
				&o->rl_rules[i], f);
		}
	}
}

static void program_family(FILE *out, const struct sl_metrics_opts *o)
{
	size_t i;

	family(out, "sluice_attached", "gauge",
	       "1 while sluice's program is attached to the interface.");
	for (i = 0; i < o->nifaces; i++) {
		fputs("sluice_attached{device=\"", out);
		label(out, o->ifaces[i].name);
		fprintf(out, "\"} %d\n", o->ifaces[i].attached);
	}
	/*
	 * An interface can have a slot (a policy, "in" rules) without an
	 * attach asked for: alerts on a detached program compare with this.
	 */
	family(out, "sluice_attach_wanted", "gauge",
	       "1 while sluice is asked to keep its program attached to the interface.");
	for (i = 0; i < o->nifaces; i++) {
		fputs("sluice_attach_wanted{device=\"", out);
		label(out, o->ifaces[i].name);
		fprintf(out, "\"} %d\n", o->ifaces[i].wanted);
	}
	family(out, "sluice_attach_conflicts_total", "counter",
	       "Times sluice found another program holding its hook on the interface (it does not take it back).");
	for (i = 0; i < o->nifaces; i++) {
		fputs("sluice_attach_conflicts_total{device=\"", out);
		label(out, o->ifaces[i].name);
		fprintf(out, "\"} %llu\n", o->ifaces[i].conflicts);
	}
	family(out, "sluice_program_info", "gauge",
	       "The program attached to an interface: id, tag, hook, mode.");
	for (i = 0; i < o->nifaces; i++) {
		const struct sl_metrics_iface *f = &o->ifaces[i];
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		char tag[2 * BPF_TAG_SIZE + 1] = "";
		int fd, j;

		if (!f->attached || !f->prog_id)
			continue;
		fd = bpf_prog_get_fd_by_id(f->prog_id);
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			for (j = 0; j < BPF_TAG_SIZE; j++)
				sprintf(tag + 2 * j, "%02x", info.tag[j]);
		if (fd >= 0)
			close(fd);
		fputs("sluice_program_info{device=\"", out);
		label(out, f->name);
		fprintf(out,
			"\",hook=\"%s\",mode=\"%s\",id=\"%u\",tag=\"%s\"} 1\n",
			hook_name(f->hook), f->mode ? f->mode : "", f->prog_id,
			tag);
	}
}

static void map_family(FILE *out, const struct sl_dp *dp)
{
	struct sluice_set_info info;
	struct sl_dp_usage u;
	unsigned int id;

	if (sl_dp_usage(dp, &u))
		memset(&u, 0, sizeof(u));
	family(out, "sluice_set_entries", "gauge",
	       "Prefixes in each set, IPv4 and IPv6 together.");
	for (id = 1; id < SLUICE_MAX_SETS; id++) {
		if (sl_dp_set_info(dp, id, &info) || !info.name[0])
			continue;
		fputs("sluice_set_entries{set=\"", out);
		label(out, info.name);
		fprintf(out, "\"} %u\n", info.count4 + info.count6);
	}
	family(out, "sluice_map_entries", "gauge",
	       "Entries in use in a data-plane map (sl_crules, sl_pool, sl_addr_ivs: the active rule set's).");
	fprintf(out, "sluice_map_entries{map=\"sl_crules\"} %u\n",
		u.ruleset.nrules);
	fprintf(out, "sluice_map_entries{map=\"sl_pool\"} %u\n",
		u.ruleset.pool_used);
	fprintf(out, "sluice_map_entries{map=\"sl_addr_ivs\"} %u\n",
		u.ruleset.ivs_used);
	fprintf(out, "sluice_map_entries{map=\"sl_set4\"} %llu\n", u.prefixes4);
	fprintf(out, "sluice_map_entries{map=\"sl_set6\"} %llu\n", u.prefixes6);
	fprintf(out, "sluice_map_entries{map=\"sl_ifaces\"} %u\n", u.ifaces);
	fprintf(out, "sluice_map_entries{map=\"sl_rl_key_bkt\"} %llu\n",
		(unsigned long long)u.rl_buckets);
	family(out, "sluice_map_max_entries", "gauge",
	       "Capacity of a data-plane map (sl_crules, sl_pool, sl_addr_ivs: one rule-set generation).");
	fprintf(out,
		"sluice_map_max_entries{map=\"sl_crules\"} %u\n"
		"sluice_map_max_entries{map=\"sl_pool\"} %u\n"
		"sluice_map_max_entries{map=\"sl_addr_ivs\"} %u\n"
		"sluice_map_max_entries{map=\"sl_set4\"} %u\n"
		"sluice_map_max_entries{map=\"sl_set6\"} %u\n"
		"sluice_map_max_entries{map=\"sl_ifaces\"} %u\n"
		"sluice_map_max_entries{map=\"sl_rl_key_bkt\"} %llu\n",
		u.crules_max, u.pool_max, u.ivs_max, u.set4_max, u.set6_max,
		u.ifaces_max, (unsigned long long)u.rl_buckets_max);
	family(out, "sluice_rate_limit_evictions_total", "counter",
	       "Buckets of rate-limit rules with \"per\" that the full table (sl_rl_key_bkt) let go for newer ones.");
	fprintf(out, "sluice_rate_limit_evictions_total %llu\n",
		(unsigned long long)u.rl_evictions);
}

/*
 * FlowSpec as "sluice flowspec" last reported it.  A route is labelled
 * by the prio of its first rule: bounded by the FlowSpec range, where an
 * NLRI as a label would be neither bounded nor stable.
 */
static void flowspec_families(FILE *out, const struct sl_metrics_opts *o,
			      const struct sl_stats *s)
{
	const struct sl_metrics_flowspec *fs = o->flowspec;
	char labels[32];
	size_t i;
	int f;

	if (!fs)
		return;
	family(out, "sluice_flowspec_routes_received", "gauge",
	       "FlowSpec routes held from the BGP sessions, installed or refused.");
	fprintf(out, "sluice_flowspec_routes_received %llu\n", fs->received);
	family(out, "sluice_flowspec_routes_installed", "gauge",
	       "FlowSpec routes that are rules of the data plane.");
	fprintf(out, "sluice_flowspec_routes_installed %llu\n", fs->installed);
	family(out, "sluice_flowspec_routes_refused", "gauge",
	       "FlowSpec routes held but not installed, by reason.");
	for (i = 0; sl_fs_reasons[i]; i++)
		fprintf(out,
			"sluice_flowspec_routes_refused{reason=\"%s\"} %llu\n",
			sl_fs_reasons[i], fs->refused_by[i]);
	family(out, "sluice_flowspec_updates_total", "counter",
	       "BGP UPDATE messages with FlowSpec routes the speaker passed on since \"sluice flowspec\" started.");
	fprintf(out, "sluice_flowspec_updates_total %llu\n", fs->updates);
	family(out, "sluice_flowspec_peers_up", "gauge",
	       "BGP sessions up, of those that sent FlowSpec.");
	fprintf(out, "sluice_flowspec_peers_up %llu\n", fs->peers_up);
	for (f = 0; f < 2; f++) {
		const char *name = f ? "sluice_flowspec_route_bytes_total" :
				       "sluice_flowspec_route_packets_total";

		family(out, name, "counter",
		       f ? "Bytes the rules of an installed FlowSpec route decided, by the prio of its first rule." :
			   "Packets the rules of an installed FlowSpec route decided, by the prio of its first rule.");
		for (i = 0; i < fs->nroutes; i++) {
			const struct sl_metrics_fs_route *rt = &fs->routes[i];
			unsigned long long sum = 0;
			unsigned int k;

			for (k = 0; k < rt->nrules; k++) {
				struct sluice_counter c =
					sl_stats_rule(s, rt->prio + k, -1);

				sum += f ? c.bytes : c.packets;
			}
			snprintf(labels, sizeof(labels), "prio=\"%u\"",
				 rt->prio);
			sample(out, name, labels, -1, sum);
		}
	}
}

/* All captures together, so the counters never go back. */
static void capture_family(FILE *out, const struct sl_dp *dp)
{
	struct sluice_cap_counters c;
	unsigned int w;

	if (sl_cap_counters(dp, -1, &c))
		return;
	family(out, "sluice_capture_packets_total", "counter",
	       "Packets chosen by a capture: captured (sent to it), suppressed (over its rate) or lost (its ring was full).");
	for (w = 0; w < SLUICE_CAP__MAX; w++)
		fprintf(out,
			"sluice_capture_packets_total{outcome=\"%s\"} %llu\n",
			sl_cap_counter_name(w), (unsigned long long)c.n[w]);
}

int sl_metrics_write(const struct sl_dp *dp, const struct sl_metrics_opts *o,
		     FILE *out)
{
	struct sl_stats_sel sel = { .prios = o->rules, .nprios = o->nrules };
	unsigned int *slots;
	struct sl_stats s;
	size_t i;
	int ret;

	/* Only what is shown is read: 65,536 rule counters per CPU are not. */
	slots = calloc(o->nifaces + 1, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < o->nifaces; i++)
		slots[i] = o->ifaces[i].slot;
	sel.slots = slots;
	sel.nslots = o->nifaces;
	ret = sl_stats_read_sel(dp, &sel, &s);
	free(slots);
	if (ret)
		return ret;
	/* sample() writes unlocked: the stream is ours for the while. */
	flockfile(out);
	family(out, "sluice_build_info", "gauge",
	       "The sluice build: always 1, the version in a label.");
	fputs("sluice_build_info{version=\"", out);
	label(out, o->version ? o->version : "unknown");
	fputs("\"} 1\n", out);
	iface_families(out, o, &s);
	rule_families(out, o, &s);
	rate_limit_families(out, o, &s);
	flowspec_families(out, o, &s);
	program_family(out, o);
	map_family(out, dp);
	capture_family(out, dp);
	funlockfile(out);
	sl_stats_free(&s);
	return ferror(out) ? -EIO : 0;
}
