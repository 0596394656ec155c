// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pktdesc.h"

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMPV6 58

#define MAX_WORDS 32

const char sl_pktdesc_usage[] =
	"PACKET := udp|tcp|icmp|icmpv6|ip SRC > DST [OPTION...]\n"
	"  SRC, DST := ADDR4[:PORT] | [ADDR6][:PORT] | ADDR6\n"
	"  OPTION   := vlan VID (up to 2, outer first) | flags FLAG[,FLAG...]\n"
	"            | type N [code N] | proto N (ip) | len BYTES\n";

enum kind { K_UDP, K_TCP, K_ICMP, K_ICMPV6, K_IP };

struct desc {
	enum kind kind;
	int family;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	long sport, dport; /* -1: none given */
	unsigned int nvlan;
	uint16_t vlan[SL_PKTDESC_MAX_VLANS];
	uint8_t flags, type, code, proto;
	bool has_flags, has_type, has_code, has_proto, has_len;
	unsigned long len;
};

/* A decimal number in [0, max], all of s. */
static bool number(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return !*end && !errno && *v <= max;
}

static const char *const kind_names[] = {
	[K_UDP] = "udp",       [K_TCP] = "tcp", [K_ICMP] = "icmp",
	[K_ICMPV6] = "icmpv6", [K_IP] = "ip",
};

/* "192.0.2.1", "192.0.2.1:53", "[2001:db8::1]:22", "[2001:db8::1]" or
 * "2001:db8::1": address, family and port (-1 when none). */
static int endpoint(const char *s, char *addr, int *family, long *port,
		    char *err, size_t errlen)
{
	unsigned char bin[16];
	const char *colon = NULL, *a = s;
	size_t alen;
	unsigned long v;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return sl_err(err, errlen, "\"%s\": no \"]\"", s);
		a = s + 1;
		alen = close - a;
		if (close[1] == ':')
			colon = close + 1;
		else if (close[1])
			return sl_err(
				err, errlen,
				"\"%s\": \":PORT\" or nothing after \"]\"", s);
	} else {
		colon = strchr(s, ':');
		/* More than one colon: a bare IPv6 address, no port. */
		if (colon && strchr(colon + 1, ':'))
			colon = NULL;
		alen = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (!alen || alen >= INET6_ADDRSTRLEN)
		return sl_err(err, errlen, "\"%s\" is not an address", s);
	memcpy(addr, a, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, bin) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, addr, bin) == 1)
		*family = AF_INET6;
	else
		return sl_err(err, errlen, "\"%s\" is not an address", addr);
	if (*s != '[' && *family == AF_INET6 && colon)
		return sl_err(
			err, errlen,
			"\"%s\": an IPv6 address with a port is [ADDR]:PORT",
			s);
	*port = -1;
	if (colon) {
		if (!number(colon + 1, 65535, &v))
			return sl_err(err, errlen,
				      "\"%s\": port \"%s\" is not 0-65535", s,
				      colon + 1);
		*port = v;
	}
	return 0;
}

static int tcp_flags(const char *s, uint8_t *flags, char *err, size_t errlen)
{
	static const char *const names[] = { "fin", "syn", "rst", "psh",
					     "ack", "urg", "ece", "cwr" };
	char buf[64], *save, *f;
	unsigned int i;

	*flags = 0;
	if (!strcmp(s, "none"))
		return 0;
	if (strlen(s) >= sizeof(buf))
		return sl_err(err, errlen, "flags \"%s\": too long", s);
	strcpy(buf, s);
	for (f = strtok_r(buf, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcmp(f, names[i]))
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			return sl_err(
				err, errlen,
				"unknown TCP flag \"%s\" (fin syn rst psh ack urg ece cwr, or none)",
				f);
		*flags |= 1u << i;
	}
	if (s[0] == ',' || s[strlen(s) - 1] == ',' || strstr(s, ",,"))
		return sl_err(err, errlen, "flags \"%s\": an empty flag", s);
	return 0;
}

/* The value after an option word, as a number in [0, max]. */
static int option_number(char **w, unsigned int n, unsigned int *i,
			 unsigned long max, unsigned long *v, char *err,
			 size_t errlen)
{
	const char *opt = w[*i];

	if (++*i >= n)
		return sl_err(err, errlen, "\"%s\" needs a value", opt);
	if (!number(w[*i], max, v))
		return sl_err(err, errlen, "%s \"%s\" is not 0-%lu", opt, w[*i],
			      max);
	return 0;
}

static int parse_options(char **w, unsigned int n, struct desc *d, char *err,
			 size_t errlen)
{
	bool ports = d->kind == K_UDP || d->kind == K_TCP;
	bool icmp = d->kind == K_ICMP || d->kind == K_ICMPV6;
	const char *kind = kind_names[d->kind];
	unsigned long v;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		const char *opt = w[i];

		if (!strcmp(opt, "vlan")) {
			if (d->nvlan == SL_PKTDESC_MAX_VLANS)
				return sl_err(err, errlen,
					      "more than %d \"vlan\" tags",
					      SL_PKTDESC_MAX_VLANS);
			ret = option_number(w, n, &i, 4095, &v, err, errlen);
			if (ret)
				return ret;
			d->vlan[d->nvlan++] = v;
			continue;
		}
		if (!strcmp(opt, "flags") || !strcmp(opt, "type") ||
		    !strcmp(opt, "code") || !strcmp(opt, "proto") ||
		    !strcmp(opt, "len")) {
			bool *seen = opt[0] == 'f' ? &d->has_flags :
				     opt[0] == 't' ? &d->has_type :
				     opt[0] == 'c' ? &d->has_code :
				     opt[0] == 'p' ? &d->has_proto :
						     &d->has_len;

			if (*seen)
				return sl_err(err, errlen, "\"%s\" given twice",
					      opt);
			*seen = true;
		}
		if (!strcmp(opt, "flags")) {
			if (d->kind != K_TCP)
				return sl_err(err, errlen,
					      "\"flags\" needs tcp, not %s",
					      kind);
			if (++i >= n)
				return sl_err(err, errlen,
					      "\"flags\" needs a value");
			ret = tcp_flags(w[i], &d->flags, err, errlen);
		} else if (!strcmp(opt, "type") || !strcmp(opt, "code")) {
			if (!icmp)
				return sl_err(
					err, errlen,
					"\"%s\" needs icmp or icmpv6, not %s",
					opt, kind);
			ret = option_number(w, n, &i, 255, &v, err, errlen);
			if (ret)
				return ret;
			if (opt[0] == 't')
				d->type = v;
			else
				d->code = v;
		} else if (!strcmp(opt, "proto")) {
			if (d->kind != K_IP)
				return sl_err(
					err, errlen,
					"\"proto\" goes with ip, not %s (%s names it)",
					kind, kind);
			ret = option_number(w, n, &i, 255, &v, err, errlen);
			if (ret)
				return ret;
			d->proto = v;
		} else if (!strcmp(opt, "len")) {
			ret = option_number(w, n, &i, PKT_MAX, &v, err, errlen);
			if (ret)
				return ret;
			d->len = v;
		} else {
			return sl_err(
				err, errlen,
				"unknown option \"%s\" (vlan, flags, type, code, proto, len)",
				opt);
		}
		if (ret)
			return ret;
	}
	if (d->kind == K_IP && !d->has_proto)
		return sl_err(err, errlen, "ip needs \"proto N\"");
	if (!ports && (d->sport >= 0 || d->dport >= 0))
		return sl_err(err, errlen, "%s has no ports", kind);
	return 0;
}

static int parse(char **w, unsigned int n, struct desc *d, char *err,
		 size_t errlen)
{
	unsigned int k;
	int fam2, ret;

	memset(d, 0, sizeof(*d));
	if (!n)
		return sl_err(err, errlen,
			      "empty (udp|tcp|icmp|icmpv6|ip SRC > DST ...)");
	for (k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); k++)
		if (!strcmp(w[0], kind_names[k]))
			break;
	if (k == sizeof(kind_names) / sizeof(kind_names[0]))
		return sl_err(
			err, errlen,
			"\"%s\": starts with udp, tcp, icmp, icmpv6 or ip",
			w[0]);
	d->kind = k;
	if (n < 4 || strcmp(w[2], ">"))
		return sl_err(err, errlen, "needs SRC > DST after \"%s\"",
			      w[0]);
	ret = endpoint(w[1], d->src, &d->family, &d->sport, err, errlen);
	if (!ret)
		ret = endpoint(w[3], d->dst, &fam2, &d->dport, err, errlen);
	if (ret)
		return ret;
	if (fam2 != d->family)
		return sl_err(err, errlen, "%s and %s are not the same family",
			      d->src, d->dst);
	if (d->kind == K_ICMP && d->family != AF_INET)
		return sl_err(err, errlen, "icmp is IPv4 (icmpv6 for IPv6)");
	if (d->kind == K_ICMPV6 && d->family != AF_INET6)
		return sl_err(err, errlen, "icmpv6 is IPv6 (icmp for IPv4)");
	return parse_options(w + 4, n - 4, d, err, errlen);
}

static int build(const struct desc *d, struct pkt *p, char *err, size_t errlen)
{
	static const uint8_t l4proto[] = {
		[K_UDP] = PROTO_UDP,
		[K_TCP] = PROTO_TCP,
		[K_ICMP] = PROTO_ICMP,
		[K_ICMPV6] = PROTO_ICMPV6,
	};
	uint8_t proto = d->kind == K_IP ? d->proto : l4proto[d->kind];
	uint16_t sport = d->sport < 0 ? 0 : d->sport;
	uint16_t dport = d->dport < 0 ? 0 : d->dport;
	unsigned int i;

	pkt_init(p);
	p->quiet = true;
	pkt_eth(p, NULL, NULL);
	for (i = 0; i < d->nvlan; i++)
		pkt_vlan(p, PKT_TPID_8021Q, d->vlan[i]);
	if (d->family == AF_INET)
		pkt_ipv4(p, d->src, d->dst, proto);
	else
		pkt_ipv6(p, d->src, d->dst, proto);
	switch (d->kind) {
	case K_UDP:
		pkt_udp(p, sport, dport);
		break;
	case K_TCP:
		pkt_tcp(p, sport, dport, d->flags);
		break;
	case K_ICMP:
		pkt_icmp(p, d->has_type ? d->type : 8, d->code);
		break;
	case K_ICMPV6:
		pkt_icmp6(p, d->has_type ? d->type : 128, d->code);
		break;
	case K_IP:
		break;
	}
	if (d->has_len) {
		if (d->len < p->len)
			return sl_err(
				err, errlen,
				"len %lu is shorter than the headers (%zu bytes)",
				d->len, p->len);
		pkt_payload(p, NULL, d->len - p->len);
	}
	if (pkt_finish(p))
		return sl_err(err, errlen, "%s", p->errmsg);
	return 0;
}

int sl_pktdesc_build(const char *desc, struct pkt *p, char *err, size_t errlen)
{
	char *w[MAX_WORDS], *buf, *save, *tok;
	unsigned int n = 0;
	struct desc d;
	size_t i, j;
	int ret;

	/* Room for a space either side of every ">". */
	buf = malloc(strlen(desc) * 3 + 1);
	if (!buf)
		return sl_err(err, errlen, "%s", strerror(ENOMEM));
	for (i = j = 0; desc[i]; i++) {
		if (desc[i] == '>') {
			buf[j++] = ' ';
			buf[j++] = '>';
			buf[j++] = ' ';
		} else {
			buf[j++] = desc[i];
		}
	}
	buf[j] = '\0';
	for (tok = strtok_r(buf, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		if (n == MAX_WORDS) {
			free(buf);
			return sl_err(err, errlen, "more than %d words",
				      MAX_WORDS);
		}
		w[n++] = tok;
	}
	ret = parse(w, n, &d, err, errlen);
	if (!ret)
		ret = build(&d, p, err, errlen);
	free(buf);
	return ret;
}
