/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The command grammar: words in, struct sl_cmd out, or one line saying
 * which word was wrong.  Pure: nothing here looks at the system, so the
 * CLI, the daemon, the configuration loader and test-run all judge a
 * command the same way.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "grammar.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ICMPV6_ 58

/*
 * Strict unsigned decimal: digits only (strtoul alone would take leading
 * blanks, a sign and "0x"), nothing after them, no wrap-around.  Returns
 * -EINVAL for something that is not a number and -ERANGE for a number
 * past max, so callers can say which.
 */
static int parse_ul(const char *s, unsigned long max, unsigned long *v)
{
	unsigned long x;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	x = strtoul(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || x > max)
		return -ERANGE;
	*v = x;
	return 0;
}

/* The kernel's dev_valid_name(), so a name we accept is one it would. */
static int parse_ifname(const char *s, char *out, char *err, size_t errlen)
{
	size_t n = strlen(s);
	const char *p;

	if (n >= SLUICE_IFNAME_LEN)
		return sl_err(err, errlen, "interface name \"%s\" too long", s);
	if (!n || !strcmp(s, ".") || !strcmp(s, ".."))
		goto bad;
	for (p = s; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
			goto bad;
	memcpy(out, s, n + 1);
	return 0;
bad:
	return sl_err(err, errlen, "bad interface name \"%s\"", s);
}

static int parse_set_name(const char *s, char *out, char *err, size_t errlen)
{
	size_t n = strlen(s);
	const char *p;

	for (p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return sl_err(err, errlen, "bad set name \"%s\"", s);
	if (!n)
		return sl_err(err, errlen, "bad set name \"%s\"", s);
	if (n >= SLUICE_SET_NAME_LEN)
		return sl_err(err, errlen, "set name \"%s\" too long", s);
	memcpy(out, s, n + 1);
	return 0;
}

/* ::ffff:a.b.c.d, the stack's name for IPv4 peers of IPv6 sockets. */
static bool mapped_v4(const uint8_t a[16])
{
	static const uint8_t head[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, head, sizeof(head));
}

int sl_prefix_parse(const char *s, struct sl_prefix *p, char *err,
		    size_t errlen)
{
	char buf[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long len;
	unsigned int max, i;

	memset(p, 0, sizeof(*p));
	if (!alen || alen >= sizeof(buf))
		goto bad;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (memchr(buf, ':', alen)) {
		if (inet_pton(AF_INET6, buf, p->addr) != 1)
			goto bad;
		p->family = 6;
		max = 128;
	} else {
		if (inet_pton(AF_INET, buf, p->addr) != 1)
			goto bad;
		p->family = 4;
		max = 32;
	}
	if (!slash)
		len = max;
	else if (parse_ul(slash + 1, max, &len))
		goto bad;
	p->len = len;

	/*
	 * Host bits set are almost always a typo (10.0.0.1/8 for 10.0.0.0/8
	 * or for 10.0.0.1/32); silently masking would hide which was meant.
	 */
	for (i = len; i < max; i++) {
		if (p->addr[i / 8] & (0x80 >> (i % 8))) {
			memset(p, 0, sizeof(*p));
			return sl_err(err, errlen,
				      "prefix \"%s\" has host bits set", s);
		}
	}
	if (p->family == 6 && len >= 96 && mapped_v4(p->addr)) {
		inet_ntop(AF_INET, p->addr + 12, buf, sizeof(buf));
		memset(p, 0, sizeof(*p));
		return sl_err(
			err, errlen,
			"prefix \"%s\" is IPv4-mapped IPv6, which no packet carries: write %s/%lu",
			s, buf, len - 96);
	}
	return 0;
bad:
	memset(p, 0, sizeof(*p));
	return sl_err(err, errlen, "bad prefix \"%s\"", s);
}

void sl_prefix_format(const struct sl_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family == 6 ? AF_INET6 : AF_INET, p->addr, a,
		       sizeof(a)))
		a[0] = '\0';
	snprintf(buf, len, "%s/%u", a, p->len);
}

/* TCP header flag bits, in header order: the order they are printed in. */
static const char *const tcp_flag_names[8] = {
	"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr",
};

/* The fragment flags, by their bit (enum sluice_frag): RFC 8955's. */
static const char *const frag_flag_names[4] = {
	"dont-fragment",
	"is-fragment",
	"first",
	"last",
};

static const struct {
	const char *name;
	uint8_t proto;
} proto_names[] = {
	{ "tcp", IPPROTO_TCP_ },
	{ "udp", IPPROTO_UDP_ },
	{ "icmp", IPPROTO_ICMP_ },
	{ "icmpv6", IPPROTO_ICMPV6_ },
};

/* Match keywords; the index is the bit in the "seen" mask of a rule. */
enum match_kind {
	M_IN,
	M_SRC,
	M_DST,
	M_PROTO,
	M_SPORT,
	M_DPORT,
	M_TCP_FLAGS,
	M_ICMP_TYPE,
	M_ICMP_CODE,
	M_VLAN,
	M_DSCP,
	M_LENGTH,
	M_FRAGMENT,
	M__MAX,
};

/* What follows each keyword, for the usage; proto's are proto_names. */
static const struct match_def {
	const char *name, *arg;
} match_defs[M__MAX] = {
	[M_IN] = { "in", "IFACE" },
	[M_SRC] = { "src", "PREFIX|@SET" },
	[M_DST] = { "dst", "PREFIX|@SET" },
	[M_PROTO] = { "proto", NULL },
	[M_SPORT] = { "sport", "N[-M]" },
	[M_DPORT] = { "dport", "N[-M]" },
	[M_TCP_FLAGS] = { "tcp-flags", "FLAG[,FLAG...]" },
	[M_ICMP_TYPE] = { "icmp-type", "N" },
	[M_ICMP_CODE] = { "icmp-code", "N" },
	[M_VLAN] = { "vlan", "N" },
	[M_DSCP] = { "dscp", "N" },
	[M_LENGTH] = { "length", "N[-M]" },
	[M_FRAGMENT] = { "fragment", "FRAG[,FRAG...]" },
};

static int parse_addr_match(const char *w, struct sl_addr_match *m, char *err,
			    size_t errlen)
{
	int ret;

	if (w[0] == '@') {
		ret = parse_set_name(w + 1, m->set, err, errlen);
		if (!ret)
			m->kind = SL_ADDR_SET;
		return ret;
	}
	ret = sl_prefix_parse(w, &m->prefix, err, errlen);
	if (!ret)
		m->kind = SL_ADDR_PREFIX;
	return ret;
}

static int parse_proto(const char *w, struct sl_rule *r, char *err,
		       size_t errlen)
{
	unsigned long v;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(proto_names); i++) {
		if (!strcmp(w, proto_names[i].name)) {
			r->has_proto = true;
			r->proto = proto_names[i].proto;
			return 0;
		}
	}
	ret = parse_ul(w, 255, &v);
	if (ret == -ERANGE)
		return sl_err(err, errlen,
			      "protocol \"%s\" out of range 0..255", w);
	if (ret)
		return sl_err(err, errlen, "bad protocol \"%s\"", w);
	r->has_proto = true;
	r->proto = v;
	return 0;
}

static int parse_port(const char *w, const char *s, uint16_t *port, char *err,
		      size_t errlen)
{
	unsigned long v;
	int ret = parse_ul(s, 65535, &v);

	if (ret == -ERANGE)
		return sl_err(err, errlen, "port \"%s\" out of range 0..65535",
			      s);
	if (ret)
		return sl_err(err, errlen, "bad port \"%s\"", w);
	*port = v;
	return 0;
}

static int parse_range(const char *w, struct sl_range *rg, char *err,
		       size_t errlen)
{
	const char *dash = strchr(w, '-');
	char lo[8];
	size_t n;
	int ret;

	if (!dash) {
		ret = parse_port(w, w, &rg->lo, err, errlen);
		if (ret)
			return ret;
		rg->hi = rg->lo;
		rg->present = true;
		return 0;
	}
	n = dash - w;
	if (n >= sizeof(lo))
		return sl_err(err, errlen, "bad port range \"%s\"", w);
	memcpy(lo, w, n);
	lo[n] = '\0';
	ret = parse_port(w, lo, &rg->lo, err, errlen);
	if (!ret)
		ret = parse_port(w, dash + 1, &rg->hi, err, errlen);
	if (ret)
		return ret;
	if (rg->lo > rg->hi)
		return sl_err(err, errlen, "bad port range \"%s\"", w);
	rg->present = true;
	return 0;
}

/*
 * A list of flags, each set or, with '!', clear: a mask and a value over
 * the bits names[] gives, what the name of the kind.
 */
static int parse_flags(const char *w, const char *const *names,
		       unsigned int nnames, const char *what, uint8_t *maskp,
		       uint8_t *valuep, char *err, size_t errlen)
{
	const char *p = w;
	uint8_t mask = 0, value = 0;

	for (;;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		bool clear = n && *p == '!';
		unsigned int i;

		if (clear) {
			p++;
			n--;
		}
		for (i = 0; i < nnames; i++)
			if (strlen(names[i]) == n && !strncmp(p, names[i], n))
				break;
		if (i == nnames)
			return sl_err(err, errlen, "bad %s flags \"%s\"", what,
				      w);
		if (mask & (1u << i))
			return sl_err(err, errlen,
				      "%s flag \"%s\" given twice in \"%s\"",
				      what, names[i], w);
		mask |= 1u << i;
		if (!clear)
			value |= 1u << i;
		if (!end)
			break;
		p = end + 1;
	}
	*maskp = mask;
	*valuep = value;
	return 0;
}

/* N or N-M, the IP length in bytes: up to an IPv6 packet's largest. */
static int parse_length(const char *w, struct sl_rule *r, char *err,
			size_t errlen)
{
	const char *dash = strchr(w, '-');
	unsigned long lo, hi;
	char buf[16];
	size_t n = dash ? (size_t)(dash - w) : strlen(w);
	int ret;

	if (n >= sizeof(buf))
		return sl_err(err, errlen, "bad length \"%s\"", w);
	memcpy(buf, w, n);
	buf[n] = '\0';
	ret = parse_ul(buf, SLUICE_IP_LEN_MAX, &lo);
	hi = lo;
	if (!ret && dash)
		ret = parse_ul(dash + 1, SLUICE_IP_LEN_MAX, &hi);
	if (ret == -ERANGE)
		return sl_err(err, errlen, "length \"%s\" out of range 0..%d",
			      w, SLUICE_IP_LEN_MAX);
	if (ret || lo > hi)
		return sl_err(err, errlen, "bad length \"%s\"", w);
	r->has_length = true;
	r->length_lo = lo;
	r->length_hi = hi;
	return 0;
}

static int parse_u8_field(const char *w, const char *what, unsigned long max,
			  unsigned long *v, char *err, size_t errlen)
{
	int ret = parse_ul(w, max, v);

	if (ret == -ERANGE)
		return sl_err(err, errlen, "%s \"%s\" out of range 0..%lu",
			      what, w, max);
	if (ret)
		return sl_err(err, errlen, "bad %s \"%s\"", what, w);
	return 0;
}

static int parse_match(enum match_kind m, const char *w, struct sl_rule *r,
		       char *err, size_t errlen)
{
	unsigned long v;
	int ret;

	switch (m) {
	case M_IN:
		return parse_ifname(w, r->in, err, errlen);
	case M_SRC:
		return parse_addr_match(w, &r->src, err, errlen);
	case M_DST:
		return parse_addr_match(w, &r->dst, err, errlen);
	case M_PROTO:
		return parse_proto(w, r, err, errlen);
	case M_SPORT:
		return parse_range(w, &r->sport, err, errlen);
	case M_DPORT:
		return parse_range(w, &r->dport, err, errlen);
	case M_TCP_FLAGS:
		return parse_flags(w, tcp_flag_names,
				   ARRAY_SIZE(tcp_flag_names), "tcp",
				   &r->tcp_mask, &r->tcp_value, err, errlen);
	case M_FRAGMENT:
		return parse_flags(w, frag_flag_names,
				   ARRAY_SIZE(frag_flag_names), "fragment",
				   &r->frag_mask, &r->frag_value, err, errlen);
	case M_LENGTH:
		return parse_length(w, r, err, errlen);
	case M_ICMP_TYPE:
		ret = parse_u8_field(w, "icmp type", 255, &v, err, errlen);
		if (!ret) {
			r->has_icmp_type = true;
			r->icmp_type = v;
		}
		return ret;
	case M_ICMP_CODE:
		ret = parse_u8_field(w, "icmp code", 255, &v, err, errlen);
		if (!ret) {
			r->has_icmp_code = true;
			r->icmp_code = v;
		}
		return ret;
	case M_VLAN:
		ret = parse_u8_field(w, "vlan", 4095, &v, err, errlen);
		if (!ret) {
			r->has_vlan = true;
			r->vlan = v;
		}
		return ret;
	case M_DSCP:
		ret = parse_u8_field(w, "dscp", 63, &v, err, errlen);
		if (!ret) {
			r->has_dscp = true;
			r->dscp = v;
		}
		return ret;
	default:
		return sl_err(err, errlen, "unknown match \"%s\"", w);
	}
}

static int parse_cpus(const char *w, uint64_t *cpus, char *err, size_t errlen)
{
	const char *p = w;
	uint64_t set = 0;
	char num[24];

	for (;;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		unsigned long v;
		int ret;

		if (n >= sizeof(num))
			return sl_err(err, errlen, "bad cpu list \"%s\"", w);
		memcpy(num, p, n);
		num[n] = '\0';
		ret = parse_ul(num, SLUICE_STEER_MAX_CPUS - 1, &v);
		if (ret == -ERANGE)
			return sl_err(err, errlen,
				      "cpu \"%s\" out of range 0..%d", num,
				      SLUICE_STEER_MAX_CPUS - 1);
		if (ret)
			return sl_err(err, errlen, "bad cpu list \"%s\"", w);
		if (set & (1ULL << v))
			return sl_err(err, errlen, "cpu \"%s\" given twice",
				      num);
		set |= 1ULL << v;
		if (!end)
			break;
		p = end + 1;
	}
	*cpus = set;
	return 0;
}

/*
 * Units of rates and sizes, as tc(8) spells them (case aside): rates in
 * bits per second, "bps" forms in bytes per second; sizes in bytes, "k",
 * "kb" and the like 1024-based.
 */
struct unit {
	const char *name;
	double scale;
};

static const struct unit rate_units[] = {
	{ "bit", 1 },	     { "kbit", 1e3 },	  { "mbit", 1e6 },
	{ "gbit", 1e9 },     { "tbit", 1e12 },	  { "kibit", 1024. },
	{ "mibit", 0x1p20 }, { "gibit", 0x1p30 }, { "tibit", 0x1p40 },
	{ "bps", 8 },	     { "kbps", 8e3 },	  { "mbps", 8e6 },
	{ "gbps", 8e9 },     { "tbps", 8e12 },	  { "kibps", 8 * 1024. },
	{ "mibps", 0x1p23 }, { "gibps", 0x1p33 }, { "tibps", 0x1p43 },
};

static const struct unit size_units[] = {
	{ "b", 1 },	    { "k", 1024. },  { "kb", 1024. },
	{ "kbit", 128. },   { "m", 0x1p20 }, { "mb", 0x1p20 },
	{ "mbit", 0x1p17 }, { "g", 0x1p30 }, { "gb", 0x1p30 },
	{ "gbit", 0x1p27 },
};

/* The largest rate in bits/s, and the smallest byte burst. */
#define SL_RL_MAX_BITS (1ULL << 50)
#define SL_RL_MIN_BURST_BYTES 1500

/*
 * A number, decimals allowed, and the unit after it ("" when none).
 * Returns -EINVAL when s does not start so or the unit is not in units.
 */
static int parse_amount(const char *s, const struct unit *units, size_t n,
			double *v, const char **unit)
{
	const char *p = s;
	size_t i;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		if (!isdigit((unsigned char)p[1]))
			return -EINVAL;
		for (p++; isdigit((unsigned char)*p); p++)
			;
	}
	*v = strtod(s, NULL);
	*unit = p;
	if (!*p)
		return 0;
	for (i = 0; i < n; i++) {
		if (!strcasecmp(p, units[i].name)) {
			*v *= units[i].scale;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_rate(const char *w, const char *s, struct sl_rule *r,
		      char *err, size_t errlen)
{
	const char *unit;
	double v;

	if (parse_amount(s, rate_units, ARRAY_SIZE(rate_units), &v, &unit))
		return sl_err(err, errlen, "bad rate \"%s\"", w);
	r->rl_bytes = *unit;
	if (!r->rl_bytes) {
		if (strchr(s, '.'))
			return sl_err(err, errlen,
				      "rate \"%s\": packets come whole", s);
		if (v < 1 || v > UINT32_MAX)
			return sl_err(err, errlen,
				      "rate \"%s\" out of range 1..%u", s,
				      UINT32_MAX);
	} else if (v < 0.5 || v >= (double)SL_RL_MAX_BITS) {
		return sl_err(err, errlen,
			      "rate \"%s\" out of range 1bit..%llubit", s,
			      SL_RL_MAX_BITS - 1);
	}
	r->rl_rate = (uint64_t)(v + 0.5);
	return 0;
}

static int parse_burst(const char *w, const char *s, struct sl_rule *r,
		       char *err, size_t errlen)
{
	const char *unit;
	double v;

	if (parse_amount(s, size_units, ARRAY_SIZE(size_units), &v, &unit))
		return sl_err(err, errlen, "bad burst \"%s\"", w);
	if (!r->rl_bytes) {
		if (*unit)
			return sl_err(
				err, errlen,
				"burst \"%s\" is in bytes, the rate in packets/s",
				s);
		if (strchr(s, '.'))
			return sl_err(err, errlen,
				      "burst \"%s\": packets come whole", s);
		if (v < 1 || v > UINT32_MAX)
			return sl_err(err, errlen,
				      "burst \"%s\" out of range 1..%u", s,
				      UINT32_MAX);
	} else if (v < SL_RL_MIN_BURST_BYTES || v > UINT32_MAX) {
		/* A packet larger than the burst would never pass. */
		return sl_err(err, errlen, "burst \"%s\" out of range %db..%ub",
			      s, SL_RL_MIN_BURST_BYTES, UINT32_MAX);
	}
	r->rl_burst = (uint32_t)(v + 0.5);
	return 0;
}

uint32_t sl_rule_default_burst(const struct sl_rule *r)
{
	uint64_t b = r->rl_bytes ? r->rl_rate / 8 : r->rl_rate;

	/* A second's worth, in the rate's unit, within the bounds. */
	if (r->rl_bytes && b < SL_RL_MIN_BURST_BYTES)
		b = SL_RL_MIN_BURST_BYTES;
	return b > UINT32_MAX ? UINT32_MAX : (uint32_t)b;
}

/* src, src/LEN, dst, dst/LEN */
static int parse_per(const char *w, struct sl_rule *r, char *err, size_t errlen)
{
	unsigned long len = SL_RL_PER_ADDR;
	const char *p = w + 3;
	int ret;

	if (!strncmp(w, "src", 3))
		r->rl_per = SL_RL_PER_SRC;
	else if (!strncmp(w, "dst", 3))
		r->rl_per = SL_RL_PER_DST;
	else
		return sl_err(err, errlen, "bad rate-limit key \"%s\"", w);
	if (*p == '/') {
		ret = parse_ul(p + 1, SL_RL_PER_ADDR, &len);
		if (!ret && !len)
			ret = -ERANGE;
		if (ret == -ERANGE)
			return sl_err(
				err, errlen,
				"prefix length \"%s\" out of range 1..128",
				p + 1);
		if (ret)
			return sl_err(err, errlen, "bad rate-limit key \"%s\"",
				      w);
	} else if (*p) {
		return sl_err(err, errlen, "bad rate-limit key \"%s\"", w);
	}
	r->rl_per_len = len;
	return 0;
}

/*
 * rate-limit RATE[/BURST] [per src|src/LEN|dst|dst/LEN]; returns the
 * words used.
 */
static int parse_rate_limit(int argc, char **argv, struct sl_rule *r, char *err,
			    size_t errlen)
{
	const char *w, *slash;
	char rate[32];
	size_t n;
	int ret;

	if (argc < 2)
		return sl_err(err, errlen, "\"rate-limit\" needs a rate");
	w = argv[1];
	slash = strchr(w, '/');
	n = slash ? (size_t)(slash - w) : strlen(w);
	if (n >= sizeof(rate))
		return sl_err(err, errlen, "bad rate \"%s\"", w);
	memcpy(rate, w, n);
	rate[n] = '\0';
	ret = parse_rate(w, rate, r, err, errlen);
	if (ret)
		return ret;
	r->rl_burst = sl_rule_default_burst(r);
	if (slash) {
		ret = parse_burst(w, slash + 1, r, err, errlen);
		if (ret)
			return ret;
	}
	r->rl_per = SL_RL_PER_NONE;
	r->rl_per_len = 0;
	if (argc < 3 || strcmp(argv[2], "per"))
		return 2;
	if (argc < 4)
		return sl_err(err, errlen,
			      "\"per\" needs src, src/LEN, dst or dst/LEN");
	ret = parse_per(argv[3], r, err, errlen);
	return ret ? ret : 4;
}

static int parse_redirect(int argc, char **argv, struct sl_rule *r, char *err,
			  size_t errlen)
{
	int ret;

	if (argc < 2)
		return sl_err(err, errlen, "\"redirect\" needs an interface");
	ret = parse_ifname(argv[1], r->redirect, err, errlen);
	return ret ? ret : 2;
}

static int parse_steer(int argc, char **argv, struct sl_rule *r, char *err,
		       size_t errlen)
{
	int ret;

	r->steer_cpus = 0;
	if (argc < 2)
		return 1;
	ret = parse_cpus(argv[1], &r->steer_cpus, err, errlen);
	return ret ? ret : 2;
}

/*
 * The actions.  parse gets argv[0] = the action and returns the words
 * used; without one the action is its word alone.
 */
static const struct action_def {
	const char *name;
	uint8_t action;
	const char *args; /* for the usage */
	int (*parse)(int argc, char **argv, struct sl_rule *r, char *err,
		     size_t errlen);
} action_defs[] = {
	{ "drop", SLUICE_ACT_DROP },
	{ "pass", SLUICE_ACT_PASS },
	{ "forward", SLUICE_ACT_FORWARD },
	{ "redirect", SLUICE_ACT_REDIRECT, "IFACE", parse_redirect },
	{ "steer", SLUICE_ACT_STEER, "[CPU[,CPU...]]", parse_steer },
	{ "rate-limit", SLUICE_ACT_RATE_LIMIT,
	  "RATE[/BURST] [per src|src/LEN|dst|dst/LEN]", parse_rate_limit },
	{ "syn-proxy", SLUICE_ACT_SYN_PROXY },
};

/* Parses the action at argv[0]; returns the words used, 0 for no action. */
static int parse_action(int argc, char **argv, struct sl_rule *r, char *err,
			size_t errlen)
{
	const struct action_def *a;

	for (a = action_defs; a < action_defs + ARRAY_SIZE(action_defs); a++) {
		if (strcmp(argv[0], a->name))
			continue;
		r->action = a->action;
		return a->parse ? a->parse(argc, argv, r, err, errlen) : 1;
	}
	return 0;
}

static bool is_tcp_or_udp(uint8_t proto)
{
	return proto == IPPROTO_TCP_ || proto == IPPROTO_UDP_;
}

/* What one rule can say against itself, with no outside state. */
static int check_rule(const struct sl_rule *r, char *err, size_t errlen)
{
	if (r->src.kind == SL_ADDR_PREFIX && r->dst.kind == SL_ADDR_PREFIX &&
	    r->src.prefix.family != r->dst.prefix.family) {
		char s[SL_PREFIX_FMT_LEN], d[SL_PREFIX_FMT_LEN];

		sl_prefix_format(&r->src.prefix, s, sizeof(s));
		sl_prefix_format(&r->dst.prefix, d, sizeof(d));
		return sl_err(
			err, errlen,
			"src \"%s\" and dst \"%s\" are of different families",
			s, d);
	}
	if (r->has_proto && !is_tcp_or_udp(r->proto)) {
		if (r->sport.present)
			return sl_err(err, errlen,
				      "\"sport\" needs proto tcp or udp");
		if (r->dport.present)
			return sl_err(err, errlen,
				      "\"dport\" needs proto tcp or udp");
	}
	if (r->has_proto && r->tcp_mask && r->proto != IPPROTO_TCP_)
		return sl_err(err, errlen, "\"tcp-flags\" needs proto tcp");
	if (r->action == SLUICE_ACT_RATE_LIMIT && r->rl_per &&
	    r->rl_per_len > 32 && r->rl_per_len < SL_RL_PER_ADDR &&
	    ((r->src.kind == SL_ADDR_PREFIX && r->src.prefix.family == 4) ||
	     (r->dst.kind == SL_ADDR_PREFIX && r->dst.prefix.family == 4)))
		return sl_err(
			err, errlen,
			"\"per %s/%u\" is longer than the IPv4 addresses the rule matches",
			r->rl_per == SL_RL_PER_DST ? "dst" : "src",
			r->rl_per_len);
	if (r->has_proto && r->has_icmp_type && r->proto != IPPROTO_ICMP_ &&
	    r->proto != IPPROTO_ICMPV6_)
		return sl_err(err, errlen,
			      "\"icmp-type\" needs proto icmp or icmpv6");
	if (r->has_proto && r->has_icmp_code && r->proto != IPPROTO_ICMP_ &&
	    r->proto != IPPROTO_ICMPV6_)
		return sl_err(err, errlen,
			      "\"icmp-code\" needs proto icmp or icmpv6");
	if (r->frag_value & SLUICE_FRAG_DF &&
	    ((r->src.kind == SL_ADDR_PREFIX && r->src.prefix.family == 6) ||
	     (r->dst.kind == SL_ADDR_PREFIX && r->dst.prefix.family == 6)))
		return sl_err(
			err, errlen,
			"\"dont-fragment\" is an IPv4 flag: no IPv6 packet has it");
	return 0;
}

static int parse_prio(const char *w, uint16_t *prio, char *err, size_t errlen)
{
	unsigned long v;
	int ret = parse_ul(w, SLUICE_PRIO_MAX, &v);

	if (!ret && !v)
		ret = -ERANGE;
	if (ret == -ERANGE)
		return sl_err(err, errlen, "priority \"%s\" out of range 1..%d",
			      w, SLUICE_PRIO_MAX);
	if (ret)
		return sl_err(err, errlen, "bad priority \"%s\"", w);
	*prio = v;
	return 0;
}

/* argv[0] is the priority. */
static int parse_rule_add(int argc, char **argv, struct sl_rule *r, char *err,
			  size_t errlen)
{
	unsigned int seen = 0;
	bool have_action = false;
	int i = 1, ret;

	if (argc < 1)
		return sl_err(err, errlen, "\"rule add\" needs a priority");
	ret = parse_prio(argv[0], &r->prio, err, errlen);
	if (ret)
		return ret;

	while (i < argc) {
		const char *w = argv[i];
		enum match_kind m;

		for (m = 0; m < M__MAX; m++)
			if (!strcmp(w, match_defs[m].name))
				break;
		if (m < M__MAX) {
			if (seen & (1u << m))
				return sl_err(err, errlen, "\"%s\" given twice",
					      w);
			seen |= 1u << m;
			if (i + 1 >= argc)
				return sl_err(err, errlen,
					      "\"%s\" needs a value", w);
			ret = parse_match(m, argv[i + 1], r, err, errlen);
			if (ret)
				return ret;
			i += 2;
			continue;
		}
		ret = parse_action(argc - i, argv + i, r, err, errlen);
		if (ret < 0)
			return ret;
		if (!ret)
			return sl_err(err, errlen, "unknown match \"%s\"", w);
		have_action = true;
		i += ret;
		break;
	}
	if (!have_action)
		return sl_err(err, errlen, "rule needs an action");
	if (i < argc)
		return sl_err(err, errlen, "unexpected \"%s\" after the action",
			      argv[i]);
	return check_rule(r, err, errlen);
}

static int no_more(int argc, char **argv, int i, char *err, size_t errlen)
{
	if (i < argc)
		return sl_err(err, errlen, "unexpected \"%s\"", argv[i]);
	return 0;
}

/* "a, b or c", for a message naming what may come. */
static void join_or(const char *const *words, size_t n, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s",
				!i	  ? "" :
				i + 1 < n ? ", " :
					    " or ",
				words[i]);
}

/* argv[0] of each command parser is the command's last word. */
static int parse_attach(int argc, char **argv, struct sl_cmd *cmd, char *err,
			size_t errlen)
{
	unsigned int m;
	int ret;

	cmd->mode = SL_MODE_AUTO;
	if (argc < 2)
		return sl_err(err, errlen, "\"attach\" needs an interface");
	ret = parse_ifname(argv[1], cmd->ifname, err, errlen);
	if (ret || argc == 2)
		return ret;
	if (strcmp(argv[2], "mode"))
		return sl_err(err, errlen, "unexpected \"%s\"", argv[2]);
	if (argc < 4)
		return sl_err(err, errlen, "\"mode\" needs a value");
	for (m = 0; m < SL_MODE__MAX; m++)
		if (!strcmp(argv[3], sl_mode_name(m)))
			break;
	if (m == SL_MODE__MAX)
		return sl_err(err, errlen, "bad mode \"%s\"", argv[3]);
	cmd->mode = m;
	return no_more(argc, argv, 4, err, errlen);
}

static int parse_detach(int argc, char **argv, struct sl_cmd *cmd, char *err,
			size_t errlen)
{
	int ret;

	if (argc < 2)
		return sl_err(err, errlen, "\"detach\" needs an interface");
	ret = parse_ifname(argv[1], cmd->ifname, err, errlen);
	return ret ? ret : no_more(argc, argv, 2, err, errlen);
}

static const char *const policy_names[] = { "pass", "drop", "forward" };
static const uint8_t policy_actions[ARRAY_SIZE(policy_names)] = {
	SLUICE_ACT_PASS, SLUICE_ACT_DROP, SLUICE_ACT_FORWARD
};

static int parse_policy(int argc, char **argv, struct sl_cmd *cmd, char *err,
			size_t errlen)
{
	char names[64];
	unsigned int p;
	int ret;

	if (argc < 2)
		return sl_err(err, errlen, "\"policy\" needs an interface");
	ret = parse_ifname(argv[1], cmd->ifname, err, errlen);
	if (ret)
		return ret;
	if (argc < 3) {
		join_or(policy_names, ARRAY_SIZE(policy_names), names,
			sizeof(names));
		return sl_err(err, errlen, "\"policy\" needs %s", names);
	}
	for (p = 0; p < ARRAY_SIZE(policy_names); p++)
		if (!strcmp(argv[2], policy_names[p]))
			break;
	if (p == ARRAY_SIZE(policy_names))
		return sl_err(err, errlen, "bad policy \"%s\"", argv[2]);
	cmd->policy = policy_actions[p];
	return no_more(argc, argv, 3, err, errlen);
}

static int parse_rule_add_cmd(int argc, char **argv, struct sl_cmd *cmd,
			      char *err, size_t errlen)
{
	return parse_rule_add(argc - 1, argv + 1, &cmd->rule, err, errlen);
}

static int parse_rule_del(int argc, char **argv, struct sl_cmd *cmd, char *err,
			  size_t errlen)
{
	int ret;

	if (argc < 2)
		return sl_err(err, errlen, "\"rule del\" needs a priority");
	ret = parse_prio(argv[1], &cmd->rule.prio, err, errlen);
	return ret ? ret : no_more(argc, argv, 2, err, errlen);
}

/* LO HI FILE: the rules of FILE become those of prios LO..HI. */
static int parse_rule_replace(int argc, char **argv, struct sl_cmd *cmd,
			      char *err, size_t errlen)
{
	int ret;

	if (argc < 4)
		return sl_err(err, errlen,
			      "\"rule replace-range\" needs LO, HI and a file");
	ret = parse_prio(argv[1], &cmd->prio_lo, err, errlen);
	if (!ret)
		ret = parse_prio(argv[2], &cmd->prio_hi, err, errlen);
	if (ret)
		return ret;
	if (cmd->prio_lo > cmd->prio_hi)
		return sl_err(err, errlen, "bad priority range %s-%s", argv[1],
			      argv[2]);
	if (!argv[3][0] || strlen(argv[3]) >= sizeof(cmd->path))
		return sl_err(err, errlen, "bad path \"%s\"", argv[3]);
	strcpy(cmd->path, argv[3]);
	return no_more(argc, argv, 4, err, errlen);
}

static int parse_prefixes(int argc, char **argv, int i,
			  struct sl_prefix_list *l, char *err, size_t errlen)
{
	struct sl_prefix p;
	int ret;

	for (; i < argc; i++) {
		ret = sl_prefix_parse(argv[i], &p, err, errlen);
		if (ret)
			return ret;
		if (sl_prefix_list_push(l, &p))
			return sl_err(err, errlen, "out of memory"), -ENOMEM;
	}
	return 0;
}

static int parse_set(int argc, char **argv, struct sl_cmd *cmd, char *err,
		     size_t errlen)
{
	int ret;

	if (argc < 2) {
		if (cmd->kind == SL_CMD_SET_LIST)
			return 0;
		return sl_err(err, errlen, "\"set %s\" needs a set name",
			      argv[0]);
	}
	ret = parse_set_name(argv[1], cmd->set, err, errlen);
	if (ret)
		return ret;

	switch (cmd->kind) {
	case SL_CMD_SET_ADD:
		/* No prefixes is fine: it makes an empty set rules can name. */
		return parse_prefixes(argc, argv, 2, &cmd->prefixes, err,
				      errlen);
	case SL_CMD_SET_DEL:
		if (argc < 3)
			return sl_err(err, errlen,
				      "\"set del\" needs a prefix");
		return parse_prefixes(argc, argv, 2, &cmd->prefixes, err,
				      errlen);
	case SL_CMD_SET_LOAD:
		if (argc < 3)
			return sl_err(err, errlen, "\"set load\" needs a file");
		if (!argv[2][0] || strlen(argv[2]) >= sizeof(cmd->path))
			return sl_err(err, errlen, "bad path \"%s\"", argv[2]);
		strcpy(cmd->path, argv[2]);
		return no_more(argc, argv, 3, err, errlen);
	default:
		return no_more(argc, argv, 2, err, errlen);
	}
}

/* The options of stats and metrics: each sets a bool of struct sl_cmd. */
struct flag_def {
	const char *name;
	size_t field;
	bool once; /* given twice is an error */
};

static const struct flag_def stats_flags[] = {
	{ "-w", offsetof(struct sl_cmd, watch), true },
	{ "--per-cpu", offsetof(struct sl_cmd, per_cpu) },
	{},
};

static const struct flag_def metrics_flags[] = {
	{ "--per-cpu", offsetof(struct sl_cmd, per_cpu) },
	{},
};

static const struct flag_def *find_flag(const struct flag_def *f, const char *w)
{
	for (; f && f->name; f++)
		if (!strcmp(w, f->name))
			return f;
	return NULL;
}

static int set_flag(const struct flag_def *f, struct sl_cmd *cmd, char *err,
		    size_t errlen)
{
	bool *b = (bool *)((char *)cmd + f->field);

	if (f->once && *b)
		return sl_err(err, errlen, "\"%s\" given twice", f->name);
	*b = true;
	return 0;
}

static int parse_stats(int argc, char **argv, struct sl_cmd *cmd, char *err,
		       size_t errlen)
{
	const struct flag_def *f;
	bool have_if = false;
	int i, ret;

	for (i = 1; i < argc; i++) {
		const char *w = argv[i];

		if ((f = find_flag(stats_flags, w))) {
			ret = set_flag(f, cmd, err, errlen);
		} else if (w[0] == '-') {
			return sl_err(err, errlen, "unknown option \"%s\"", w);
		} else if (have_if) {
			return sl_err(err, errlen, "unexpected \"%s\"", w);
		} else {
			ret = parse_ifname(w, cmd->ifname, err, errlen);
			have_if = true;
		}
		if (ret)
			return ret;
	}
	return 0;
}

/* At most the one option, right after the command. */
static int parse_metrics(int argc, char **argv, struct sl_cmd *cmd, char *err,
			 size_t errlen)
{
	const struct flag_def *f;

	if (argc > 1 && (f = find_flag(metrics_flags, argv[1]))) {
		set_flag(f, cmd, err, errlen);
		return no_more(argc, argv, 2, err, errlen);
	}
	return no_more(argc, argv, 1, err, errlen);
}

/* capture's options with a value, for the parser and the completion. */
enum cap_opt {
	CAP_VERDICT,
	CAP_RULE,
	CAP_REASON,
	CAP_COUNT,
	CAP_SNAPLEN,
	CAP_RATE,
	CAP_WRITE,
	CAP__MAX,
};

static const struct {
	const char *name, *arg;
} cap_opts[] = {
	[CAP_VERDICT] = { "--verdict", "VERDICT" },
	[CAP_RULE] = { "--rule", "PRIO" },
	[CAP_REASON] = { "--reason", "REASON" },
	[CAP_COUNT] = { "-c", "COUNT" },
	[CAP_SNAPLEN] = { "-s", "SNAPLEN" },
	[CAP_RATE] = { "--rate", "PPS" },
	[CAP_WRITE] = { "-w", "FILE|-" },
};

/*
 * What --verdict takes: the actions a decision gives.  Capture sees the
 * decision before it is acted on: "rate-limit" is a rate-limit rule's
 * packets, within their limit or not.
 */
static const uint8_t cap_verdicts[] = {
	SLUICE_ACT_DROP,     SLUICE_ACT_PASS,  SLUICE_ACT_FORWARD,
	SLUICE_ACT_REDIRECT, SLUICE_ACT_STEER, SLUICE_ACT_RATE_LIMIT,
};

static int cap_value(enum cap_opt o, const char *v, struct sl_cmd *cmd,
		     char *err, size_t errlen)
{
	struct sl_capture_opts *c = &cmd->capture;
	unsigned long x;
	unsigned int i;

	switch (o) {
	case CAP_VERDICT:
		for (i = 0; i < ARRAY_SIZE(cap_verdicts); i++)
			if (!strcmp(v, sl_action_name(cap_verdicts[i]))) {
				c->actions |= 1U << cap_verdicts[i];
				return 0;
			}
		return sl_err(err, errlen, "unknown verdict \"%s\"", v);
	case CAP_REASON:
		for (i = 0; i < SLUICE_REASON__MAX; i++)
			if (!strcmp(v, sl_reason_name(i))) {
				c->reasons |= 1U << i;
				return 0;
			}
		return sl_err(err, errlen, "unknown reason \"%s\"", v);
	case CAP_RULE:
		if (parse_ul(v, SLUICE_PRIO_MAX, &x) || !x)
			return sl_err(err, errlen,
				      "bad rule \"%s\": a priority 1..%d", v,
				      SLUICE_PRIO_MAX);
		c->prio = x;
		return 0;
	case CAP_COUNT:
		if (parse_ul(v, ULONG_MAX, &x) || !x)
			return sl_err(err, errlen,
				      "bad count \"%s\": a number above 0", v);
		c->count = x;
		return 0;
	case CAP_SNAPLEN:
		if (parse_ul(v, SLUICE_CAP_SNAP_MAX, &x) || !x)
			return sl_err(err, errlen,
				      "bad snap length \"%s\": 1..%d bytes", v,
				      SLUICE_CAP_SNAP_MAX);
		c->snaplen = x;
		return 0;
	case CAP_RATE:
		if (parse_ul(v, 1000000, &x) || !x)
			return sl_err(err, errlen,
				      "bad rate \"%s\": 1..1000000 packets/s",
				      v);
		c->rate = x;
		return 0;
	case CAP_WRITE:
		if (strlen(v) >= sizeof(cmd->path))
			return sl_err(err, errlen, "file name too long");
		strcpy(cmd->path, v);
		c->write = true;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * capture [IFACE...] [OPTION VALUE...] [FILTER]: options anywhere, given
 * once each but --verdict and --reason (each adds a value); the other
 * words kept in order.
 */
static int parse_capture(int argc, char **argv, struct sl_cmd *cmd, char *err,
			 size_t errlen)
{
	struct sl_capture_opts *c = &cmd->capture;
	bool seen[CAP__MAX] = { 0 };
	unsigned int o;
	int i, ret;

	c->snaplen = SLUICE_CAP_SNAP_MAX;
	c->rate = SLUICE_CAP_RATE_DEFAULT;
	c->words = calloc(argc, sizeof(*c->words));
	if (!c->words)
		return sl_err(err, errlen, "out of memory"), -ENOMEM;
	for (i = 1; i < argc; i++) {
		for (o = 0; o < CAP__MAX; o++)
			if (!strcmp(argv[i], cap_opts[o].name))
				break;
		if (o == CAP__MAX) {
			if (argv[i][0] == '-' && argv[i][1])
				return sl_err(err, errlen,
					      "unknown option \"%s\"", argv[i]);
			c->words[c->nwords] = strdup(argv[i]);
			if (!c->words[c->nwords])
				return sl_err(err, errlen, "out of memory"),
				       -ENOMEM;
			c->nwords++;
			continue;
		}
		if (seen[o] && o != CAP_VERDICT && o != CAP_REASON)
			return sl_err(err, errlen, "\"%s\" given twice",
				      argv[i]);
		seen[o] = true;
		if (i + 1 == argc)
			return sl_err(err, errlen, "\"%s\" needs %s", argv[i],
				      cap_opts[o].arg);
		ret = cap_value(o, argv[++i], cmd, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The commands: their words, what parses the rest (NULL: nothing may
 * follow), and what the usage says of it.
 */
static const struct cmd_def {
	const char *word;
	const char *sub; /* the second word of a group ("rule add"), or NULL */
	enum sl_cmd_kind kind;
	int (*parse)(int argc, char **argv, struct sl_cmd *cmd, char *err,
		     size_t errlen);
	const struct flag_def *flags;
	const char *args;
	const char *note;
} cmd_defs[] = {
	{ "attach", NULL, SL_CMD_ATTACH, parse_attach, NULL,
	  "IFACE [mode MODE]" },
	{ "detach", NULL, SL_CMD_DETACH, parse_detach, NULL, "IFACE" },
	{ "policy", NULL, SL_CMD_POLICY, parse_policy, NULL, "IFACE POLICY" },
	{ "rule", "add", SL_CMD_RULE_ADD, parse_rule_add_cmd, NULL,
	  "PRIO [MATCH...] ACTION" },
	{ "rule", "del", SL_CMD_RULE_DEL, parse_rule_del, NULL, "PRIO" },
	{ "rule", "list", SL_CMD_RULE_LIST },
	{ "rule", "replace-range", SL_CMD_RULE_REPLACE, parse_rule_replace,
	  NULL, "LO HI FILE", "the rules of prio LO..HI become the file's" },
	{ "set", "add", SL_CMD_SET_ADD, parse_set, NULL, "NAME [PREFIX...]" },
	{ "set", "del", SL_CMD_SET_DEL, parse_set, NULL, "NAME PREFIX..." },
	{ "set", "load", SL_CMD_SET_LOAD, parse_set, NULL, "NAME FILE",
	  "the set becomes the file's prefixes" },
	{ "set", "flush", SL_CMD_SET_FLUSH, parse_set, NULL, "NAME" },
	{ "set", "list", SL_CMD_SET_LIST, parse_set, NULL, "[NAME]" },
	{ "stats", NULL, SL_CMD_STATS, parse_stats, stats_flags, "[IFACE]" },
	{ "status", NULL, SL_CMD_STATUS },
	{ "metrics", NULL, SL_CMD_METRICS, parse_metrics, metrics_flags, NULL,
	  "the Prometheus text" },
	{ "reload", NULL, SL_CMD_RELOAD },
	{ "capture", NULL, SL_CMD_CAPTURE, parse_capture, NULL,
	  "[IFACE...] [--verdict VERDICT] [--rule PRIO] [--reason REASON]\n"
	  "          [-c COUNT] [-s SNAPLEN] [--rate PPS] [-w FILE|-] [FILTER]" },
};

#define CMD_DEFS_END (cmd_defs + ARRAY_SIZE(cmd_defs))

static int parse_cmd(int argc, char **argv, struct sl_cmd *cmd, char *err,
		     size_t errlen)
{
	const struct cmd_def *c, *group = NULL;
	const char *subs[ARRAY_SIZE(cmd_defs)];
	char names[128];
	size_t nsubs = 0;

	if (argc < 1)
		return sl_err(err, errlen, "missing command");
	for (c = cmd_defs; c < CMD_DEFS_END; c++) {
		if (strcmp(argv[0], c->word))
			continue;
		if (c->sub) {
			group = c;
			subs[nsubs++] = c->sub;
			if (argc < 2 || strcmp(argv[1], c->sub))
				continue;
			argc--;
			argv++;
		}
		cmd->kind = c->kind;
		if (!c->parse)
			return no_more(argc, argv, 1, err, errlen);
		return c->parse(argc, argv, cmd, err, errlen);
	}
	if (!group)
		return sl_err(err, errlen, "unknown command \"%s\"", argv[0]);
	if (argc < 2) {
		join_or(subs, nsubs, names, sizeof(names));
		return sl_err(err, errlen, "\"%s\" needs %s", argv[0], names);
	}
	return sl_err(err, errlen, "unknown %s command \"%s\"", argv[0],
		      argv[1]);
}

int sl_cmd_parse(int argc, char **argv, struct sl_cmd *cmd, char *err,
		 size_t errlen)
{
	int ret;

	/* Zeroed whole, padding too, so parsed rules compare with memcmp. */
	memset(cmd, 0, sizeof(*cmd));
	ret = parse_cmd(argc, argv, cmd, err, errlen);
	if (ret) {
		sl_cmd_free(cmd);
		return ret;
	}
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

/*
 * '#' starts a comment only at the start of a word, as in the shell, so a
 * path with a '#' inside it still loads.
 */
int sl_line_split(const char *line, size_t len, char ***argvp)
{
	size_t i = 0, nwords = 0, nbytes = 0;
	char **argv, *p;
	int argc = 0;

	*argvp = NULL;
	for (;;) {
		while (i < len && is_blank(line[i]))
			i++;
		if (i == len || line[i] == '#' || !line[i])
			break;
		nwords++;
		while (i < len && line[i] && !is_blank(line[i])) {
			i++;
			nbytes++;
		}
		nbytes++;
	}
	if (nwords > (size_t)INT32_MAX - 1)
		return -ENOMEM;
	argv = malloc((nwords + 1) * sizeof(*argv) + nbytes);
	if (!argv)
		return -ENOMEM;
	p = (char *)(argv + nwords + 1);
	for (i = 0; argc < (int)nwords;) {
		while (is_blank(line[i]))
			i++;
		argv[argc++] = p;
		while (i < len && line[i] && !is_blank(line[i]))
			*p++ = line[i++];
		*p++ = '\0';
	}
	argv[argc] = NULL;
	*argvp = argv;
	return argc;
}

int sl_cmd_parse_line(const char *line, struct sl_cmd *cmd, char *err,
		      size_t errlen)
{
	char **argv;
	int argc, ret;

	memset(cmd, 0, sizeof(*cmd));
	argc = sl_line_split(line, strlen(line), &argv);
	if (argc < 0)
		return sl_err(err, errlen, "out of memory"), argc;
	if (!argc) {
		free(argv);
		cmd->kind = SL_CMD_NONE;
		return 0;
	}
	ret = sl_cmd_parse(argc, argv, cmd, err, errlen);
	free(argv);
	return ret;
}

void sl_cmd_free(struct sl_cmd *cmd)
{
	int i;

	sl_prefix_list_free(&cmd->prefixes);
	for (i = 0; i < cmd->capture.nwords; i++)
		free(cmd->capture.words[i]);
	free(cmd->capture.words);
	cmd->capture.words = NULL;
	cmd->capture.nwords = 0;
}

/* snprintf that keeps appending; output is cut at len, never overrun. */
struct fmt {
	char *buf;
	size_t len, off;
};

static void __attribute__((format(printf, 2, 3)))
fmt_add(struct fmt *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (f->off >= f->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(f->buf + f->off, f->len - f->off, fmt, ap);
	va_end(ap);
	if (n > 0)
		f->off += n;
}

static void fmt_addr(struct fmt *f, const char *kw,
		     const struct sl_addr_match *m)
{
	char pfx[SL_PREFIX_FMT_LEN];

	if (m->kind == SL_ADDR_SET) {
		fmt_add(f, " %s @%s", kw, m->set);
	} else if (m->kind == SL_ADDR_PREFIX) {
		sl_prefix_format(&m->prefix, pfx, sizeof(pfx));
		fmt_add(f, " %s %s", kw, pfx);
	}
}

static void fmt_range(struct fmt *f, const char *kw, const struct sl_range *r)
{
	if (!r->present)
		return;
	if (r->lo == r->hi)
		fmt_add(f, " %s %u", kw, r->lo);
	else
		fmt_add(f, " %s %u-%u", kw, r->lo, r->hi);
}

/* The largest unit that writes the number whole. */
static void fmt_unit(struct fmt *f, uint64_t v, const char *const *names,
		     unsigned int step_log2, bool decimal)
{
	unsigned int i = 0;

	while (names[i + 1] && v) {
		uint64_t step = decimal ? 1000 : 1ULL << step_log2;

		if (v % step)
			break;
		v /= step;
		i++;
	}
	fmt_add(f, "%llu%s", (unsigned long long)v, names[i]);
}

static void fmt_rate_limit(struct fmt *f, const struct sl_rule *r)
{
	static const char *const bits[] = { "bit",  "kbit", "mbit",
					    "gbit", "tbit", NULL };
	static const char *const bytes[] = { "b", "kb", "mb", "gb", NULL };

	if (r->rl_bytes)
		fmt_add(f, " "), fmt_unit(f, r->rl_rate, bits, 0, true);
	else
		fmt_add(f, " %llu", (unsigned long long)r->rl_rate);
	if (r->rl_burst != sl_rule_default_burst(r)) {
		if (r->rl_bytes)
			fmt_add(f, "/"),
				fmt_unit(f, r->rl_burst, bytes, 10, false);
		else
			fmt_add(f, "/%u", r->rl_burst);
	}
	if (r->rl_per == SL_RL_PER_NONE)
		return;
	fmt_add(f, " per %s", r->rl_per == SL_RL_PER_DST ? "dst" : "src");
	if (r->rl_per_len < SL_RL_PER_ADDR)
		fmt_add(f, "/%u", r->rl_per_len);
}

/* Nothing for an empty mask. */
static void fmt_flags(struct fmt *f, const char *kw, const char *const *names,
		      unsigned int nnames, uint8_t mask, uint8_t value)
{
	const char *sep = kw;
	unsigned int i;

	for (i = 0; i < nnames; i++) {
		if (!(mask & (1u << i)))
			continue;
		fmt_add(f, "%s%s%s", sep, value & (1u << i) ? "" : "!",
			names[i]);
		sep = ",";
	}
}

void sl_rule_format(const struct sl_rule *r, char *buf, size_t len)
{
	struct fmt f = { buf, len, 0 };
	unsigned int i;
	const char *sep;

	if (len)
		buf[0] = '\0';
	fmt_add(&f, "rule add %u", r->prio);
	if (r->in[0])
		fmt_add(&f, " in %s", r->in);
	fmt_addr(&f, "src", &r->src);
	fmt_addr(&f, "dst", &r->dst);
	if (r->has_proto) {
		for (i = 0; i < ARRAY_SIZE(proto_names); i++)
			if (proto_names[i].proto == r->proto)
				break;
		if (i < ARRAY_SIZE(proto_names))
			fmt_add(&f, " proto %s", proto_names[i].name);
		else
			fmt_add(&f, " proto %u", r->proto);
	}
	fmt_range(&f, "sport", &r->sport);
	fmt_range(&f, "dport", &r->dport);
	fmt_flags(&f, " tcp-flags ", tcp_flag_names, ARRAY_SIZE(tcp_flag_names),
		  r->tcp_mask, r->tcp_value);
	if (r->has_icmp_type)
		fmt_add(&f, " icmp-type %u", r->icmp_type);
	if (r->has_icmp_code)
		fmt_add(&f, " icmp-code %u", r->icmp_code);
	if (r->has_vlan)
		fmt_add(&f, " vlan %u", r->vlan);
	if (r->has_dscp)
		fmt_add(&f, " dscp %u", r->dscp);
	if (r->has_length && r->length_lo == r->length_hi)
		fmt_add(&f, " length %u", r->length_lo);
	else if (r->has_length)
		fmt_add(&f, " length %u-%u", r->length_lo, r->length_hi);
	fmt_flags(&f, " fragment ", frag_flag_names,
		  ARRAY_SIZE(frag_flag_names), r->frag_mask, r->frag_value);

	fmt_add(&f, " %s", sl_action_name(r->action));
	switch (r->action) {
	case SLUICE_ACT_REDIRECT:
		fmt_add(&f, " %s", r->redirect);
		break;
	case SLUICE_ACT_STEER:
		sep = " ";
		for (i = 0; i < SLUICE_STEER_MAX_CPUS; i++) {
			if (!(r->steer_cpus & (1ULL << i)))
				continue;
			fmt_add(&f, "%s%u", sep, i);
			sep = ",";
		}
		break;
	case SLUICE_ACT_RATE_LIMIT:
		fmt_rate_limit(&f, r);
		break;
	}
}

/* "NAME := a | b | c", wrapped with "| " under the ":=". */
struct def_line {
	FILE *f;
	int col;
	bool first;
};

static void def_start(struct def_line *d, FILE *f, const char *name)
{
	if (d->f)
		fputc('\n', f);
	d->f = f;
	d->col = fprintf(f, "%-6s :=", name);
	d->first = true;
}

static void __attribute__((format(printf, 2, 3)))
def_alt(struct def_line *d, const char *fmt, ...)
{
	char alt[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(alt, sizeof(alt), fmt, ap);
	va_end(ap);
	if (!d->first && d->col + 3 + n > 76)
		d->col = fprintf(d->f, "\n        |") - 1;
	else if (!d->first)
		d->col += fprintf(d->f, " |");
	d->col += fprintf(d->f, " %s", alt);
	d->first = false;
}

void sl_grammar_usage(FILE *f)
{
	const struct cmd_def *c;
	const struct flag_def *fl;
	int col;

	for (c = cmd_defs; c < CMD_DEFS_END; c++) {
		col = fprintf(f, "  %s%s%s", c->word, c->sub ? " " : "",
			      c->sub ?: "");
		for (fl = c->flags; fl && fl->name; fl++)
			col += fprintf(f, " [%s]", fl->name);
		if (c->args)
			col += fprintf(f, " %s", c->args);
		if (c->note)
			fprintf(f, "%*s%s", col < 28 ? 28 - col : 1, "",
				c->note);
		fputc('\n', f);
	}
}

void sl_grammar_terms(FILE *f)
{
	struct def_line d = { 0 };
	char protos[64];
	unsigned int i;
	int col;

	def_start(&d, f, "MODE");
	for (i = 0; i < SL_MODE__MAX; i++)
		def_alt(&d, "%s", sl_mode_name(i));
	def_start(&d, f, "POLICY");
	for (i = 0; i < ARRAY_SIZE(policy_names); i++)
		def_alt(&d, "%s", policy_names[i]);
	for (i = 0, col = 0; i < ARRAY_SIZE(proto_names); i++)
		col += snprintf(protos + col, sizeof(protos) - col, "%s|",
				proto_names[i].name);
	def_start(&d, f, "MATCH");
	for (i = 0; i < M__MAX; i++)
		def_alt(&d, "%s %s%s", match_defs[i].name,
			match_defs[i].arg ?: protos,
			match_defs[i].arg ? "" : "NUM");
	def_start(&d, f, "ACTION");
	for (i = 0; i < ARRAY_SIZE(action_defs); i++)
		def_alt(&d, "%s%s%s", action_defs[i].name,
			action_defs[i].args ? " " : "",
			action_defs[i].args ?: "");
	fputc('\n', f);
}

static void put_words(FILE *f, const char *const *w, size_t n)
{
	while (n--)
		fprintf(f, "%s\n", *w++);
}

int sl_grammar_words(const char *context, FILE *f)
{
	static const char *const attach_words[] = { "mode" };
	static const char *const rate_limit_words[] = { "per" };
	static const char *const per_words[] = { "src", "src/", "dst", "dst/" };
	const struct cmd_def *c;
	const struct flag_def *fl;
	bool found = false;
	unsigned int i;

	if (!strcmp(context, "commands")) {
		for (c = cmd_defs; c < CMD_DEFS_END; c++)
			if (c == cmd_defs || strcmp(c->word, c[-1].word))
				fprintf(f, "%s\n", c->word);
		return 0;
	}
	for (c = cmd_defs; c < CMD_DEFS_END; c++) {
		if (strcmp(context, c->word))
			continue;
		found = true;
		if (c->sub)
			fprintf(f, "%s\n", c->sub);
		for (fl = c->flags; fl && fl->name; fl++)
			fprintf(f, "%s\n", fl->name);
		if (c->kind == SL_CMD_ATTACH)
			put_words(f, attach_words, ARRAY_SIZE(attach_words));
		if (c->kind == SL_CMD_POLICY)
			put_words(f, policy_names, ARRAY_SIZE(policy_names));
		if (c->kind == SL_CMD_CAPTURE)
			for (i = 0; i < CAP__MAX; i++)
				fprintf(f, "%s\n", cap_opts[i].name);
	}
	if (found)
		return 0;
	if (!strcmp(context, "mode"))
		for (i = 0; i < SL_MODE__MAX; i++)
			fprintf(f, "%s\n", sl_mode_name(i));
	else if (!strcmp(context, "match"))
		for (i = 0; i < M__MAX; i++)
			fprintf(f, "%s\n", match_defs[i].name);
	else if (!strcmp(context, "proto"))
		for (i = 0; i < ARRAY_SIZE(proto_names); i++)
			fprintf(f, "%s\n", proto_names[i].name);
	else if (!strcmp(context, "tcp-flag"))
		put_words(f, tcp_flag_names, ARRAY_SIZE(tcp_flag_names));
	else if (!strcmp(context, "fragment-flag"))
		put_words(f, frag_flag_names, ARRAY_SIZE(frag_flag_names));
	else if (!strcmp(context, "action"))
		for (i = 0; i < ARRAY_SIZE(action_defs); i++)
			fprintf(f, "%s\n", action_defs[i].name);
	else if (!strcmp(context, "rate-limit"))
		put_words(f, rate_limit_words, ARRAY_SIZE(rate_limit_words));
	else if (!strcmp(context, "per"))
		put_words(f, per_words, ARRAY_SIZE(per_words));
	else if (!strcmp(context, "--verdict"))
		for (i = 0; i < ARRAY_SIZE(cap_verdicts); i++)
			fprintf(f, "%s\n", sl_action_name(cap_verdicts[i]));
	else if (!strcmp(context, "--reason"))
		for (i = 0; i < SLUICE_REASON__MAX; i++)
			fprintf(f, "%s\n", sl_reason_name(i));
	else
		return -ENOENT;
	return 0;
}
