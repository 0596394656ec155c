// SPDX-License-Identifier: GPL-2.0-only
/*
 * "sluice capture": the packets the data plane judged, with how it
 * judged them.  The daemon gives us a capture slot and its ring (see
 * ctl.h); we read records off the ring, keep those the FILTER takes and
 * write them as pcapng (-w) or one line each (-j: a JSON object each).
 *
 * The words of the command: those first ones that name an interface of
 * sluice's are the interfaces, the rest is the FILTER, a tcpdump
 * expression (libpcap's compiler), as tcpdump joins its words; the
 * daemon tells which is which (it knows the interfaces by name).  The
 * FILTER runs here, after the kernel's choice and its rate cap: the
 * kernel's cost per packet stays that of the capture's filter.
 *
 * The capture ends after -c packets, on SIGINT or SIGTERM, or when the
 * daemon goes away; the daemon stops the slot when our connection closes.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>

#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "capfilter.h"
#include "capture.h"
#include "ctl.h"
#include "pcapng.h"
#include "rule.h"

#define MAX_IFACES 64
#define ETH_HLEN_ 14
#define VLAN_HLEN_ 4

struct capture {
	const struct sl_cmd *cmd;
	bool json;
	FILE *out; /* pcapng, or NULL: lines on stdout */
	struct sl_capfilter *filter; /* or NULL */
	long long clock_off; /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	unsigned long written, not_matching;
	bool done;
	int werr;
	struct {
		__u32 ifindex;
		char name[IF_NAMESIZE];
	} ifaces[MAX_IFACES]; /* pcapng interface ids, in order */
	unsigned int nifaces;
	struct json_object *ifnames; /* the daemon's ifindex -> name */
	uint8_t frame[SLUICE_CAP_SNAP_MAX + VLAN_HLEN_];
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static long long clock_offset(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return (rt.tv_sec - mono.tv_sec) * 1000000000LL +
	       (rt.tv_nsec - mono.tv_nsec);
}

/* The pcapng interface of ifindex, described at first sight. */
static int iface_id(struct capture *c, __u32 ifindex, const char **name)
{
	struct json_object *v;
	unsigned int i;
	char key[16];

	for (i = 0; i < c->nifaces; i++)
		if (c->ifaces[i].ifindex == ifindex)
			goto found;
	if (c->nifaces == MAX_IFACES)
		i = MAX_IFACES - 1; /* past that many, names may be wrong */
	else
		i = c->nifaces++;
	c->ifaces[i].ifindex = ifindex;
	snprintf(key, sizeof(key), "%u", ifindex);
	if (json_object_object_get_ex(c->ifnames, key, &v))
		snprintf(c->ifaces[i].name, IF_NAMESIZE, "%s",
			 json_object_get_string(v));
	else if (!if_indextoname(ifindex, c->ifaces[i].name))
		snprintf(c->ifaces[i].name, IF_NAMESIZE, "if%u", ifindex);
	if (c->out && sl_pcapng_iface(c->out, c->ifaces[i].name,
				      c->cmd->capture.snaplen + VLAN_HLEN_))
		c->werr = -EIO;
found:
	*name = c->ifaces[i].name;
	return i;
}

/* "10.0.0.1 > 10.0.0.2 udp 1024 > 80", or what is known of the frame. */
static void summary(const uint8_t *p, uint32_t n, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	uint32_t off = 12, l4 = 0;
	uint16_t type;
	uint8_t proto = 0;
	int fam = 0;

	if (n < ETH_HLEN_) {
		snprintf(buf, len, "truncated");
		return;
	}
	type = p[off] << 8 | p[off + 1];
	while ((type == 0x8100 || type == 0x88a8) && off + 6 <= n) {
		off += 4;
		type = p[off] << 8 | p[off + 1];
	}
	off += 2;
	if (type == 0x0800 && off + 20 <= n) {
		fam = AF_INET;
		proto = p[off + 9];
		inet_ntop(AF_INET, p + off + 12, a, sizeof(a));
		inet_ntop(AF_INET, p + off + 16, b, sizeof(b));
		/* Ports only in a first fragment. */
		if (!((p[off + 6] & 0x1f) | p[off + 7]))
			l4 = off + (p[off] & 0x0f) * 4;
	} else if (type == 0x86dd && off + 40 <= n) {
		fam = AF_INET6;
		proto = p[off + 6];
		inet_ntop(AF_INET6, p + off + 8, a, sizeof(a));
		inet_ntop(AF_INET6, p + off + 24, b, sizeof(b));
		l4 = off + 40;
	}
	if (!fam) {
		snprintf(buf, len, "ethertype 0x%04x", type);
		return;
	}
	if ((proto == 6 || proto == 17) && l4 && l4 + 4 <= n)
		snprintf(buf, len, "%s > %s %s %u > %u", a, b,
			 proto == 6 ? "tcp" : "udp", p[l4] << 8 | p[l4 + 1],
			 p[l4 + 2] << 8 | p[l4 + 3]);
	else if (proto == 1 || proto == 58)
		snprintf(buf, len, "%s > %s %s", a, b,
			 proto == 1 ? "icmp" : "icmpv6");
	else
		snprintf(buf, len, "%s > %s proto %u", a, b, proto);
}

static void print_line(struct capture *c, const struct sluice_cap_rec *r,
		       const char *ifname, uint64_t ns, uint32_t caplen,
		       uint32_t len)
{
	char what[160], hex[2 * (SLUICE_CAP_SNAP_MAX + VLAN_HLEN_) + 1];
	time_t secs = ns / 1000000000ULL;
	struct json_object *o;
	struct tm tm;
	uint32_t i;

	summary(c->frame, caplen, what, sizeof(what));
	if (!c->json) {
		localtime_r(&secs, &tm);
		printf("%02d:%02d:%02d.%06u %s %s %s", tm.tm_hour, tm.tm_min,
		       tm.tm_sec, (unsigned int)(ns % 1000000000ULL / 1000),
		       ifname, sl_hook_name(r->hook),
		       sl_action_name(r->action));
		if (r->prio)
			printf(" rule %u", r->prio);
		printf(" reason %s len %u: %s\n", sl_reason_name(r->reason),
		       len, what);
		return;
	}
	for (i = 0; i < caplen; i++)
		sprintf(hex + 2 * i, "%02x", c->frame[i]);
	hex[2 * caplen] = '\0';
	o = json_object_new_object();
	if (!o)
		return;
	json_object_object_add(o, "time_ns", json_object_new_uint64(ns));
	json_object_object_add(o, "ifname", json_object_new_string(ifname));
	json_object_object_add(o, "ifindex", json_object_new_int64(r->ifindex));
	json_object_object_add(o, "hook",
			       json_object_new_string(sl_hook_name(r->hook)));
	json_object_object_add(
		o, "verdict",
		json_object_new_string(sl_action_name(r->action)));
	json_object_object_add(o, "rule",
			       r->prio ? json_object_new_int(r->prio) : NULL);
	json_object_object_add(
		o, "reason", json_object_new_string(sl_reason_name(r->reason)));
	json_object_object_add(o, "len", json_object_new_int64(len));
	json_object_object_add(o, "caplen", json_object_new_int64(caplen));
	json_object_object_add(o, "summary", json_object_new_string(what));
	json_object_object_add(o, "data", json_object_new_string(hex));
	printf("%s\n", json_object_to_json_string_ext(
			       o, JSON_C_TO_STRING_PLAIN |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static int on_record(void *arg, void *data, size_t size)
{
	struct capture *c = arg;
	const struct sluice_cap_rec *r = data;
	const uint8_t *bytes = (const uint8_t *)(r + 1);
	uint32_t caplen, len;
	char note[160];
	const char *ifname;
	uint64_t ns;
	int id;

	if (c->done)
		return -ECANCELED;
	if (size < sizeof(*r) || r->caplen > size - sizeof(*r) ||
	    r->caplen > SLUICE_CAP_SNAP_MAX)
		return 0;
	caplen = r->caplen;
	len = r->len;
	if (r->has_vlan && caplen >= 12) {
		/* tc: the stack took the outer tag off; put it back in. */
		uint16_t proto = r->vlan_proto, tci = htons(r->vlan_tci);

		memcpy(c->frame, bytes, 12);
		memcpy(c->frame + 12, &proto, 2);
		memcpy(c->frame + 14, &tci, 2);
		memcpy(c->frame + 16, bytes + 12, caplen - 12);
		caplen += VLAN_HLEN_;
		len += VLAN_HLEN_;
	} else {
		memcpy(c->frame, bytes, caplen);
	}
	if (c->filter &&
	    !sl_capfilter_match(c->filter, c->frame, caplen, len)) {
		c->not_matching++;
		return 0;
	}
	ns = r->time_ns + c->clock_off;
	id = iface_id(c, r->ifindex, &ifname);
	if (c->out) {
		snprintf(note, sizeof(note), "iface=%s hook=%s verdict=%s",
			 ifname, sl_hook_name(r->hook),
			 sl_action_name(r->action));
		if (r->prio)
			snprintf(note + strlen(note),
				 sizeof(note) - strlen(note), " rule=%u",
				 r->prio);
		snprintf(note + strlen(note), sizeof(note) - strlen(note),
			 " reason=%s", sl_reason_name(r->reason));
		if (sl_pcapng_packet(c->out, id, ns, c->frame, caplen, len,
				     note) ||
		    fflush(c->out))
			c->werr = -EIO;
	} else {
		print_line(c, r, ifname, ns, caplen, len);
		fflush(stdout);
	}
	if (c->werr)
		return c->werr;
	c->written++;
	if (c->cmd->capture.count && c->written >= c->cmd->capture.count) {
		c->done = true;
		return -ECANCELED;
	}
	return 0;
}

/* The request: the words, and what the kernel chooses by. */
static int request(const struct sl_capture_opts *o, char ***argvp, char *num)
{
	char **argv =
		calloc(4 + o->nwords + 2 * 32 + 2 * SLUICE_REASON__MAX + 8,
		       sizeof(*argv));
	int argc = 0, i;

	if (!argv)
		return -ENOMEM;
	argv[argc++] = "capture";
	for (i = 0; i < o->nwords; i++)
		argv[argc++] = o->words[i];
	for (i = 0; i < 32; i++) {
		if (o->actions & 1U << i) {
			argv[argc++] = "--verdict";
			argv[argc++] = (char *)sl_action_name(i);
		}
		if (o->reasons & 1U << i) {
			argv[argc++] = "--reason";
			argv[argc++] = (char *)sl_reason_name(i);
		}
	}
	/* num holds three numbers of up to 11 characters each. */
	if (o->prio) {
		argv[argc++] = "--rule";
		argv[argc++] = num;
		num += sprintf(num, "%u", o->prio) + 1;
	}
	argv[argc++] = "-s";
	argv[argc++] = num;
	num += sprintf(num, "%u", o->snaplen) + 1;
	argv[argc++] = "--rate";
	argv[argc++] = num;
	sprintf(num, "%u", o->rate);
	*argvp = argv;
	return argc;
}

/* The daemon closed our connection: it went away. */
static bool daemon_gone(int fd)
{
	char b;
	ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

/* Our counters from the daemon ("stats" lists the captures). */
static void print_summary(struct capture *c, int fd, unsigned int slot,
			  bool gone)
{
	struct json_object *data = NULL, *caps, *e, *v;
	char err[SL_CTL_ERR_LEN];
	char *words[] = { "stats" };
	size_t i, n;

	fprintf(stderr, "%lu packets written\n", c->written);
	if (c->filter)
		fprintf(stderr, "%lu packets not matching the filter\n",
			c->not_matching);
	if (gone) {
		fprintf(stderr, "sluice: sluiced went away: capture ended\n");
		return;
	}
	if (sl_ctl_call(fd, 1, words, -1, &data, err, sizeof(err)))
		return;
	if (json_object_object_get_ex(data, "captures", &caps)) {
		n = json_object_array_length(caps);
		for (i = 0; i < n; i++) {
			e = json_object_array_get_idx(caps, i);
			if (!json_object_object_get_ex(e, "capture", &v) ||
			    (unsigned int)json_object_get_int(v) != slot)
				continue;
			fprintf(stderr,
				"%" PRId64 " packets captured\n"
				"%" PRId64
				" packets suppressed by the rate cap\n"
				"%" PRId64 " packets lost (ring full)\n",
				json_object_get_int64(
					json_object_object_get(e, "captured")),
				json_object_get_int64(json_object_object_get(
					e, "suppressed")),
				json_object_get_int64(
					json_object_object_get(e, "lost")));
		}
	}
	json_object_put(data);
}

int sl_capture_run(const char *sock, const struct sl_cmd *cmd, bool json)
{
	const struct sl_capture_opts *o = &cmd->capture;
	struct capture *c = calloc(1, sizeof(*c));
	struct json_object *data = NULL, *v;
	struct ring_buffer *rb = NULL;
	char err[SL_CTL_ERR_LEN], num[48], **argv = NULL;
	const char *filter = NULL;
	int fd = -1, ring = -1, argc, ret = 1;
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned int slot = 0;
	bool gone = false;

	if (!c) {
		fprintf(stderr, "sluice: capture: out of memory\n");
		goto out;
	}
	c->cmd = cmd;
	c->json = json;
	if (o->write) {
		c->out = strcmp(cmd->path, "-") ? fopen(cmd->path, "wbe") :
						  stdout;
		if (!c->out) {
			fprintf(stderr, "sluice: capture: %s: %s\n", cmd->path,
				strerror(errno));
			goto out;
		}
	}
	argc = request(o, &argv, num);
	if (argc < 0)
		goto out;
	fd = sl_ctl_connect(sock, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "sluice: %s\n", err);
		goto out;
	}
	if (sl_ctl_call_fd(fd, argc, argv, -1, &ring, &data, err,
			   sizeof(err))) {
		fprintf(stderr, "sluice: %s\n", err);
		goto out;
	}
	if (ring < 0) {
		fprintf(stderr, "sluice: capture: sluiced sent no ring\n");
		goto out;
	}
	if (json_object_object_get_ex(data, "capture", &v))
		slot = json_object_get_int(v);
	json_object_object_get_ex(data, "ifnames", &c->ifnames);
	if (json_object_object_get_ex(data, "filter", &v) && v)
		filter = json_object_get_string(v);
	/* A bad FILTER ends us here: closing the connection ends the slot. */
	if (filter && sl_capfilter_compile(filter, o->snaplen + VLAN_HLEN_,
					   &c->filter, err, sizeof(err))) {
		fprintf(stderr, "sluice: capture: %s\n", err);
		ret = 2;
		goto out;
	}
	rb = ring_buffer__new(ring, on_record, c, NULL);
	if (!rb) {
		fprintf(stderr, "sluice: capture: cannot map the ring: %s\n",
			strerror(errno));
		goto out;
	}
	if (c->out && sl_pcapng_section(c->out, "sluice " SLUICE_VERSION)) {
		fprintf(stderr, "sluice: capture: cannot write: %s\n",
			strerror(EIO));
		goto out;
	}
	if (c->out)
		fflush(c->out);
	c->clock_off = clock_offset();
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	while (!stop && !c->done && !c->werr) {
		struct pollfd p[2] = {
			{ .fd = ring_buffer__epoll_fd(rb), .events = POLLIN },
			{ .fd = fd, .events = POLLIN },
		};

		/* The timeout bounds how long a record waits for a wakeup. */
		if (poll(p, 2, 200) < 0 && errno != EINTR)
			break;
		ring_buffer__consume(rb);
		if (p[1].revents && daemon_gone(fd)) {
			gone = true;
			break;
		}
	}
	/* What came before the end still counts, up to -c. */
	if (!c->werr)
		ring_buffer__consume(rb);
	if (c->werr) {
		fprintf(stderr, "sluice: capture: cannot write: %s\n",
			strerror(-c->werr));
		goto out;
	}
	print_summary(c, fd, slot, gone);
	ret = 0;
out:
	ring_buffer__free(rb);
	if (ring >= 0)
		close(ring);
	if (fd >= 0)
		close(fd);
	if (c && c->out && c->out != stdout && fclose(c->out))
		ret = 1;
	else if (c && c->out == stdout && fflush(stdout))
		ret = 1;
	if (c)
		sl_capfilter_free(c->filter);
	json_object_put(data);
	free(argv);
	free(c);
	return ret;
}
