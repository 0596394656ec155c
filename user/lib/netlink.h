/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Link monitor for an epoll loop: a non-blocking NETLINK_ROUTE socket
 * subscribed to link notifications.  Interfaces that appear, change,
 * are renamed (a new name for the same ifindex) or go away reach one
 * callback as SL_LINK_NEW or SL_LINK_DEL.
 *
 *	m = sl_linkmon_open(on_link, arg, &err);
 *	sl_linkmon_dump(m);			// the links there now
 *	epoll_ctl(ep, EPOLL_CTL_ADD, sl_linkmon_fd(m), EPOLLIN...);
 *	... on EPOLLIN: sl_linkmon_read(m);
 *
 * If the kernel dropped notifications (ENOBUFS, the socket overran) the
 * monitor dumps the links again and reports the difference: SL_LINK_NEW
 * for every link there, SL_LINK_DEL for those it knew that are gone.  So
 * a caller sees every link that exists and every deletion, though a NEW
 * may repeat one already seen.  Only links of the current network
 * namespace, family AF_UNSPEC (bridge port notifications are ignored).
 */
#ifndef __SLUICE_NETLINK_H
#define __SLUICE_NETLINK_H

#include <stdbool.h>
#include <stddef.h>

enum sl_link_event {
	SL_LINK_NEW,
	SL_LINK_DEL,
};

/* flags: IFF_* of the link (IFF_UP, IFF_RUNNING, ...). */
typedef void (*sl_link_fn)(void *arg, int event, int ifindex,
			   const char *ifname, unsigned int flags);

struct sl_linkmon;

/* NULL with *err set to a negative errno on failure. */
struct sl_linkmon *sl_linkmon_open(sl_link_fn on_link, void *arg, int *err);
void sl_linkmon_close(struct sl_linkmon *m);

/* The socket to poll for EPOLLIN. */
int sl_linkmon_fd(const struct sl_linkmon *m);

/*
 * Enumerate the links there now (RTM_GETLINK dump on a socket of its
 * own): NEW for each, DEL for known links that are gone.  0 or -errno.
 */
int sl_linkmon_dump(struct sl_linkmon *m);

/*
 * Read what is ready and call back for each link message.  Returns 0
 * once the socket is drained, 1 if it stopped early after a bounded
 * number of messages (the fd stays readable: call again), -errno on a
 * socket error.  The callback must not close the monitor.
 */
int sl_linkmon_read(struct sl_linkmon *m);

/* Times notifications were lost and a dump made up for them. */
unsigned long sl_linkmon_overruns(const struct sl_linkmon *m);

struct nlmsghdr;

/*
 * Every notification the monitor reads, before its link callback; NULL
 * when notifications were lost (the socket overran).
 */
typedef void (*sl_nlmsg_fn)(void *arg, const struct nlmsghdr *nlh);

/*
 * Join the monitor's socket to more groups (RTNLGRP_*, not the RTMGRP_
 * masks) and see every notification through fn.  0 or -errno.
 */
int sl_linkmon_watch(struct sl_linkmon *m, const unsigned int *groups,
		     size_t ngroups, sl_nlmsg_fn fn, void *arg);

/*
 * One NETLINK_ROUTE dump (type RTM_GET*, family AF_*) on a socket of its
 * own; cb sees each message.  0, -EINTR if the kernel says the dump
 * raced a change (call again), or -errno.
 */
typedef int (*sl_nldump_fn)(const struct nlmsghdr *nlh, void *data);
int sl_nl_dump(int type, int family, sl_nldump_fn cb, void *data);

#endif /* __SLUICE_NETLINK_H */
