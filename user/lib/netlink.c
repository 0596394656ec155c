/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Link monitor over libmnl; see netlink.h.
 *
 * The monitor keeps the links it has reported (ifindex, name, flags),
 * sorted by ifindex, so that a dump after an overrun can tell which links
 * went away while notifications were being dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <net/if.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#include "netlink.h"

/* One datagram: dumps fill up to 32 KiB, a notification less. */
#define LINKMON_BUF 65536
/* Datagrams handled per sl_linkmon_read() before yielding to the loop. */
#define LINKMON_BUDGET 256
/* Notification socket buffer; plain SO_RCVBUF limits when refused. */
#define LINKMON_RCVBUF (1 << 20)
#define DUMP_TRIES 8

struct sl_link {
	int ifindex;
	unsigned int flags;
	char name[IF_NAMESIZE];
};

struct sl_links {
	struct sl_link *v;
	size_t n, cap;
};

struct sl_linkmon {
	struct mnl_socket *nl;
	sl_link_fn fn;
	void *arg;
	char *buf;
	struct sl_links known;
	unsigned long overruns;
	sl_nlmsg_fn msg_fn;
	void *msg_arg;
};

static size_t links_pos(const struct sl_links *t, int ifindex, bool *hit)
{
	size_t lo = 0, hi = t->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t->v[mid].ifindex < ifindex)
			lo = mid + 1;
		else
			hi = mid;
	}
	*hit = lo < t->n && t->v[lo].ifindex == ifindex;
	return lo;
}

static int links_put(struct sl_links *t, const struct sl_link *l)
{
	struct sl_link *v;
	size_t pos, cap;
	bool hit;

	pos = links_pos(t, l->ifindex, &hit);
	if (hit) {
		t->v[pos] = *l;
		return 0;
	}
	if (t->n == t->cap) {
		cap = t->cap ? 2 * t->cap : 16;
		v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	memmove(&t->v[pos + 1], &t->v[pos], (t->n - pos) * sizeof(*t->v));
	t->v[pos] = *l;
	t->n++;
	return 0;
}

static void links_del(struct sl_links *t, int ifindex)
{
	size_t pos;
	bool hit;

	pos = links_pos(t, ifindex, &hit);
	if (!hit)
		return;
	memmove(&t->v[pos], &t->v[pos + 1], (t->n - pos - 1) * sizeof(*t->v));
	t->n--;
}

static void links_free(struct sl_links *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* A link message of ours: 0 and *l filled in, else -ENOENT. */
static int link_parse(const struct nlmsghdr *nlh, struct sl_link *l)
{
	const struct ifinfomsg *ifi;
	const struct nlattr *attr;

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return -ENOENT;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return -ENOENT;
	ifi = mnl_nlmsg_get_payload(nlh);
	/* AF_BRIDGE: a port joining or leaving a bridge, not the link */
	if (ifi->ifi_family != AF_UNSPEC || ifi->ifi_index <= 0)
		return -ENOENT;

	memset(l, 0, sizeof(*l));
	l->ifindex = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	mnl_attr_for_each(attr, nlh, sizeof(*ifi)) {
		if (mnl_attr_get_type(attr) == IFLA_IFNAME &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
			snprintf(l->name, sizeof(l->name), "%s",
				 mnl_attr_get_str(attr));
	}
	return 0;
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sl_linkmon *m = data;
	struct sl_link l;

	if (m->msg_fn)
		m->msg_fn(m->msg_arg, nlh);
	if (link_parse(nlh, &l))
		return MNL_CB_OK;
	if (nlh->nlmsg_type == RTM_NEWLINK) {
		/* on -ENOMEM only a later overrun's DEL for it is at stake */
		links_put(&m->known, &l);
		m->fn(m->arg, SL_LINK_NEW, l.ifindex, l.name, l.flags);
	} else {
		links_del(&m->known, l.ifindex);
		m->fn(m->arg, SL_LINK_DEL, l.ifindex, l.name, l.flags);
	}
	return MNL_CB_OK;
}

struct dump_req {
	sl_nldump_fn cb;
	void *data;
};

static int dump_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_req *r = data;
	int ret;

	/* the table changed while the kernel walked it: start over */
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
		errno = EINTR;
		return MNL_CB_ERROR;
	}
	ret = r->cb(nlh, r->data);
	if (ret) {
		errno = -ret;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int sl_nl_dump(int type, int family, sl_nldump_fn cb, void *data)
{
	struct dump_req r = { .cb = cb, .data = data };
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	unsigned int portid, seq = (unsigned int)time(NULL);
	char *buf;
	ssize_t n;
	int ret;

	buf = malloc(LINKMON_BUF);
	if (!buf)
		return -ENOMEM;
	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl) {
		ret = -errno;
		goto out;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto cleanup;
	}
	portid = mnl_socket_get_portid(nl);

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = family;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto cleanup;
	}

	do {
		n = mnl_socket_recvfrom(nl, buf, LINKMON_BUF);
		if (n < 0) {
			ret = -errno;
			goto cleanup;
		}
		ret = mnl_cb_run(buf, n, seq, portid, dump_msg_cb, &r);
	} while (ret > MNL_CB_STOP);
	ret = ret < 0 ? -errno : 0;
cleanup:
	mnl_socket_close(nl);
out:
	free(buf);
	return ret;
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sl_links *links = data;
	struct sl_link l;

	if (nlh->nlmsg_type != RTM_NEWLINK || link_parse(nlh, &l))
		return 0;
	return links_put(links, &l);
}

int sl_linkmon_dump(struct sl_linkmon *m)
{
	struct sl_links now = {}, old;
	bool hit;
	size_t i;
	int ret, tries;

	for (tries = 0; tries < DUMP_TRIES; tries++) {
		links_free(&now);
		ret = sl_nl_dump(RTM_GETLINK, AF_UNSPEC, dump_cb, &now);
		if (ret != -EINTR)
			break;
	}
	if (ret) {
		links_free(&now);
		return ret;
	}

	old = m->known;
	m->known = now;
	for (i = 0; i < old.n; i++) {
		links_pos(&now, old.v[i].ifindex, &hit);
		if (!hit)
			m->fn(m->arg, SL_LINK_DEL, old.v[i].ifindex,
			      old.v[i].name, old.v[i].flags);
	}
	for (i = 0; i < now.n; i++)
		m->fn(m->arg, SL_LINK_NEW, now.v[i].ifindex, now.v[i].name,
		      now.v[i].flags);
	links_free(&old);
	return 0;
}

int sl_linkmon_read(struct sl_linkmon *m)
{
	ssize_t n;
	int i, ret;

	for (i = 0; i < LINKMON_BUDGET; i++) {
		n = mnl_socket_recvfrom(m->nl, m->buf, LINKMON_BUF);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			/* dropped (ENOBUFS) or cut short (ENOSPC): re-dump */
			if (errno == ENOBUFS || errno == ENOSPC) {
				m->overruns++;
				if (m->msg_fn)
					m->msg_fn(m->msg_arg, NULL);
				ret = sl_linkmon_dump(m);
				if (ret)
					return ret;
				continue;
			}
			return -errno;
		}
		/* seq 0, portid 0: notifications; a bad message is skipped */
		mnl_cb_run(m->buf, n, 0, 0, event_cb, m);
	}
	return 1;
}

struct sl_linkmon *sl_linkmon_open(sl_link_fn on_link, void *arg, int *err)
{
	struct sl_linkmon *m;
	int ret, sz = LINKMON_RCVBUF, fd;

	m = calloc(1, sizeof(*m));
	if (!m) {
		ret = -ENOMEM;
		goto cleanup;
	}
	m->fn = on_link;
	m->arg = arg;
	m->buf = malloc(LINKMON_BUF);
	if (!m->buf) {
		ret = -ENOMEM;
		goto cleanup;
	}
	m->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!m->nl) {
		ret = -errno;
		goto cleanup;
	}
	if (mnl_socket_bind(m->nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto cleanup;
	}
	fd = mnl_socket_get_fd(m->nl);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	return m;

cleanup:
	sl_linkmon_close(m);
	if (err)
		*err = ret;
	return NULL;
}

void sl_linkmon_close(struct sl_linkmon *m)
{
	if (!m)
		return;
	if (m->nl)
		mnl_socket_close(m->nl);
	links_free(&m->known);
	free(m->buf);
	free(m);
}

int sl_linkmon_fd(const struct sl_linkmon *m)
{
	return mnl_socket_get_fd(m->nl);
}

int sl_linkmon_watch(struct sl_linkmon *m, const unsigned int *groups,
		     size_t ngroups, sl_nlmsg_fn fn, void *arg)
{
	size_t i;
	int g;

	for (i = 0; i < ngroups; i++) {
		g = groups[i];
		if (mnl_socket_setsockopt(m->nl, NETLINK_ADD_MEMBERSHIP, &g,
					  sizeof(g)))
			return -errno;
	}
	m->msg_fn = fn;
	m->msg_arg = arg;
	return 0;
}

unsigned long sl_linkmon_overruns(const struct sl_linkmon *m)
{
	return m->overruns;
}
