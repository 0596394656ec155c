/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Interfaces: attach and detach, adoption at start, the link monitor's
 * events, and what the configuration says about them.  The state of
 * each lives in its slot (struct sluice_iface, pinned): see the flag bits
 * in daemon_int.h and the rename rules in daemon.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attach.h"
#include "daemon_int.h"
#include "fibcache.h"

static int iface_get(struct sl_daemon *d, int slot, struct sluice_iface *i)
{
	int ret = sl_dp_iface_get(d->dp, slot, i);

	if (!ret)
		i->name[sizeof(i->name) - 1] = '\0';
	return ret;
}

/* sl_dp_iface_set() keeps ifindex -> slot and the egress ports in step. */
static int iface_put(struct sl_daemon *d, int slot,
		     const struct sluice_iface *i)
{
	int ret = sl_dp_iface_set(d->dp, slot, i);

	if (ret)
		sl_dlog(d, LOG_ERR, "%s: cannot update slot %d: %s", i->name,
			slot, strerror(-ret));
	return ret;
}

static enum sl_attach_mode req_mode(const struct sluice_iface *i)
{
	return (enum sl_attach_mode)(i->flags & SL_IFF_REQ_MASK);
}

static void set_req_mode(struct sluice_iface *i, enum sl_attach_mode m)
{
	i->flags = (i->flags & ~SL_IFF_REQ_MASK) | (m & SL_IFF_REQ_MASK);
}

int sl_iface_slot_by_ifindex(struct sl_daemon *d, __u32 ifindex,
			     struct sluice_iface *iface)
{
	int slot;

	if (!ifindex)
		return -ENOENT;
	for (slot = 1; slot < SLUICE_MAX_IFACES; slot++) {
		if (iface_get(d, slot, iface))
			return -EIO;
		if (iface->name[0] && iface->ifindex == ifindex)
			return slot;
	}
	return -ENOENT;
}

/* Our program on ifindex, at either hook, as the kernel has it. */
static int query(struct sl_daemon *d, __u32 ifindex, struct sl_attachment *a)
{
	int ret;

	ret = sl_attach_query(ifindex, d->prog_name[SLUICE_HOOK_XDP], a);
	if (ret == -ENOENT)
		ret = sl_attach_query(ifindex, d->prog_name[SLUICE_HOOK_TC], a);
	return ret;
}

/*
 * The slot's attachment: from the cache, or asked of the kernel once
 * when the cache has none (a slot the daemon has not attached itself).
 */
static bool attached(struct sl_daemon *d, int slot,
		     const struct sluice_iface *i, struct sl_attachment *a)
{
	struct sl_slot_rt *rt = &d->rt[slot];

	if (!(i->flags & SL_IFF_ATTACHED) || !i->ifindex)
		return false;
	if (rt->att.ifindex != (int)i->ifindex) {
		if (query(d, i->ifindex, &rt->att)) {
			memset(&rt->att, 0, sizeof(rt->att));
			return false;
		}
		rt->att.created_clsact = i->flags & SL_IFF_CLSACT;
	}
	*a = rt->att;
	return true;
}

static void forget(struct sl_daemon *d, int slot)
{
	memset(&d->rt[slot], 0, sizeof(d->rt[slot]));
}

static enum sluice_hook mode_hook(enum sl_attach_mode m)
{
	return m == SL_MODE_TC ? SLUICE_HOOK_TC : SLUICE_HOOK_XDP;
}

/* Does an attachment obtained in mode have satisfy a request for want? */
static bool mode_fits(enum sl_attach_mode want, enum sl_attach_mode have)
{
	if (want == SL_MODE_AUTO)
		return have != SL_MODE_TC;
	return want == have;
}

/*
 * What the port does with frames (SL_SENDS_*): its policy, and the rules
 * that can apply to it (one naming it by "in", or one without "in").
 */
static unsigned int sends_on(const struct sl_daemon *d,
			     const struct sluice_iface *i)
{
	const unsigned int all = SL_SENDS_FORWARD | SL_SENDS_REDIRECT |
				 SL_SENDS_SYNPROXY;
	unsigned int sends = 0;
	size_t k;

	if (i->policy == SLUICE_ACT_FORWARD)
		sends |= SL_SENDS_FORWARD;
	if (i->policy == SLUICE_ACT_REDIRECT)
		sends |= SL_SENDS_REDIRECT;
	for (k = 0; k < d->nrules && sends != all; k++) {
		const struct sl_rule *r = &d->rules[k].rule;

		if (r->in[0] && strcmp(r->in, i->name))
			continue;
		if (r->action == SLUICE_ACT_FORWARD)
			sends |= SL_SENDS_FORWARD;
		else if (r->action == SLUICE_ACT_REDIRECT)
			sends |= SL_SENDS_REDIRECT;
		else if (r->action == SLUICE_ACT_SYN_PROXY)
			sends |= SL_SENDS_SYNPROXY;
	}
	return sends;
}

/* The mode to attach in for a request, given what the port does now. */
static enum sl_attach_mode pick(const struct sl_daemon *d,
				const struct sluice_iface *i, int ifindex,
				enum sl_attach_mode requested)
{
	if (requested != SL_MODE_AUTO)
		return requested;
	return sl_attach_pick_mode(ifindex, requested, sends_on(d, i));
}

/* Where the mode obtained is wrong for what the port does: the warning. */
static bool mode_warning(const struct sl_daemon *d,
			 const struct sluice_iface *i,
			 const struct sl_attachment *a, char *buf, size_t len)
{
	return a->mode != SL_MODE_TC &&
	       sl_attach_mode_warning(a->ifindex, a->mode, sends_on(d, i), buf,
				      len);
}

/*
 * Attach at the slot's requested mode.  A program of ours already there
 * (a daemon that died before it wrote the slot, or pins removed while
 * the program stayed) is taken over rather than refused as "busy".
 */
static int do_attach(struct sl_daemon *d, int slot, struct sluice_iface *i,
		     __u32 ifindex, struct sl_attachment *a, char *err,
		     size_t errlen)
{
	enum sl_attach_mode want;
	struct sl_attachment found;
	char warn[SL_ERR_LEN];
	int ret, fd;

	want = pick(d, i, ifindex, req_mode(i));

	fd = sl_dp_prog_fd(d->dp, mode_hook(want));
	if (!query(d, ifindex, &found)) {
		/* The kernel cannot say whose clsact it is; the slot can. */
		found.created_clsact = i->ifindex == ifindex &&
				       (i->flags & SL_IFF_CLSACT);
		if (mode_fits(want, found.mode)) {
			*a = found;
			ret = sl_attach_replace(a, fd, err, errlen);
			if (!ret)
				goto attached;
		}
		/* Not the mode asked for: off, then on as asked. */
		ret = sl_detach(&found, err, errlen);
		if (ret && ret != -ENOENT)
			return ret;
	}
	ret = sl_attach(ifindex, fd, want, a, err, errlen);
	if (ret)
		return ret;
attached:
	i->ifindex = ifindex;
	i->hook = mode_hook(a->mode);
	i->flags &= ~SL_IFF_CLSACT;
	i->flags |= SL_IFF_ATTACHED | SL_IFF_WANTED;
	if (a->created_clsact)
		i->flags |= SL_IFF_CLSACT;
	ret = iface_put(d, slot, i);
	if (ret) {
		/* Unknown to the slots means unknown after a restart: undo. */
		sl_detach(a, NULL, 0);
		i->flags &= ~(SL_IFF_ATTACHED | SL_IFF_CLSACT);
		sl_err(err, errlen, "%s: cannot record the attachment: %s",
		       i->name, strerror(-ret));
		return ret;
	}
	forget(d, slot);
	d->rt[slot].att = *a;
	if (mode_warning(d, i, a, warn, sizeof(warn)))
		sl_dlog(d, LOG_WARNING, "%s", warn);
	return 0;
}

/* Take our program off, leave the interface as found, forget the wish. */
static int do_detach(struct sl_daemon *d, int slot, struct sluice_iface *i,
		     char *err, size_t errlen)
{
	struct sl_attachment found;
	int ret;

	if (attached(d, slot, i, &found)) {
		found.created_clsact = i->flags & SL_IFF_CLSACT;
		ret = sl_detach(&found, err, errlen);
		if (ret && ret != -ENOENT && ret != -ENODEV)
			return ret;
	}
	i->flags &= ~(SL_IFF_ATTACHED | SL_IFF_CLSACT | SL_IFF_WANTED |
		      SL_IFF_ATTACH_CFG);
	forget(d, slot);
	return iface_put(d, slot, i);
}

/* Attach failed: remember why, log it if new, and back off. */
static void attach_failed(struct sl_daemon *d, int slot, const char *err)
{
	struct sl_slot_rt *rt = &d->rt[slot];
	unsigned int shift = rt->fails < 6 ? rt->fails : 6;

	if (strcmp(err, rt->err)) {
		sl_dlog(d, LOG_WARNING, "%s; will retry", err);
		snprintf(rt->err, sizeof(rt->err), "%s", err);
	}
	rt->fails++;
	rt->next_try_ms = sl_ctl_now_ms() + (1000ull << shift);
}

/*
 * Attach a slot that wants it and has its interface.  Retries back off
 * (1 s doubling to a minute): each try through libxdp 1.3 costs a leaked
 * fd, and a driver without native XDP will not grow it.
 */
static void try_attach(struct sl_daemon *d, int slot, struct sluice_iface *i)
{
	struct sl_attachment a;
	char err[SL_ERR_LEN];

	if (!(i->flags & SL_IFF_WANTED) || (i->flags & SL_IFF_ATTACHED) ||
	    !i->ifindex || d->rt[slot].holder ||
	    sl_ctl_now_ms() < d->rt[slot].next_try_ms)
		return;
	if (do_attach(d, slot, i, i->ifindex, &a, err, sizeof(err))) {
		attach_failed(d, slot, err);
		return;
	}
	sl_dlog(d, LOG_INFO, "%s: attached, mode %s, prog id %u", i->name,
		sl_mode_name(a.mode), a.prog_id);
}

int sl_ifaces_adopt(struct sl_daemon *d)
{
	struct sl_attachment a;
	struct sluice_iface i;
	char name[IF_NAMESIZE], err[SL_ERR_LEN];
	__u32 old_id;
	int slot;

	/*
	 * Write every slot again first: ifindexes may have changed while no
	 * daemon watched, and the egress port map must follow them before
	 * the programs swapped in below look ports up in it.
	 */
	for (slot = 1; slot < SLUICE_MAX_IFACES; slot++)
		if (!iface_get(d, slot, &i) && i.name[0] && i.ifindex)
			iface_put(d, slot, &i);
	for (slot = 1; slot < SLUICE_MAX_IFACES; slot++) {
		if (iface_get(d, slot, &i))
			return -EIO;
		/* Slots for policies and rules only: no program to find. */
		if (!i.name[0] || !i.ifindex ||
		    !(i.flags & (SL_IFF_ATTACHED | SL_IFF_WANTED)))
			continue;
		if (!if_indextoname(i.ifindex, name)) {
			/* Gone while we were away: wait for the name. */
			i.ifindex = 0;
			i.flags &= ~(SL_IFF_ATTACHED | SL_IFF_CLSACT);
			iface_put(d, slot, &i);
			continue;
		}
		if (query(d, i.ifindex, &a)) {
			if (i.flags & SL_IFF_ATTACHED)
				sl_dlog(d, LOG_WARNING,
					"%s: our program is no longer attached",
					i.name);
			i.flags &= ~(SL_IFF_ATTACHED | SL_IFF_CLSACT);
			iface_put(d, slot, &i);
			continue;
		}
		/* Swap in this build's program: same maps, new code. */
		old_id = a.prog_id;
		a.created_clsact = i.flags & SL_IFF_CLSACT;
		if (sl_attach_replace(&a,
				      sl_dp_prog_fd(d->dp, mode_hook(a.mode)),
				      err, sizeof(err)))
			sl_dlog(d, LOG_WARNING, "%s; the old program stays",
				err);
		i.hook = mode_hook(a.mode);
		i.flags |= SL_IFF_ATTACHED | SL_IFF_WANTED;
		iface_put(d, slot, &i);
		forget(d, slot);
		d->rt[slot].att = a;
		sl_dlog(d, LOG_INFO,
			"%s: adopted, mode %s, prog id %u (was %u)", i.name,
			sl_mode_name(a.mode), a.prog_id, old_id);
	}
	return 0;
}

/* Who holds the hook of the attachment we had, now that it is not ours. */
static void hook_taken(struct sl_daemon *d, int slot, struct sluice_iface *i,
		       const struct sl_attachment *a, __u32 holder)
{
	char name[16] = "?";

	sl_attach_prog_name(holder, name);
	sl_dlog(d, LOG_WARNING,
		"%s: prog id %u (%s) holds the %s hook now; sluice is no longer attached and will not take it back (\"sluice attach %s\" does)",
		i->name, holder, name, sl_mode_name(a->mode), i->name);
	i->flags &= ~(SL_IFF_ATTACHED | SL_IFF_CLSACT);
	iface_put(d, slot, i);
	forget(d, slot);
	d->rt[slot].holder = holder;
	d->conflicts[slot]++;
}

static void watch_one(struct sl_daemon *d, int slot, struct sluice_iface *i)
{
	struct sl_slot_rt *rt = &d->rt[slot];
	struct sl_attachment a;
	__u32 holder;
	int ret;

	if (rt->holder) {
		/* Not fought, but taken back once the hook is free again. */
		a = rt->att;
		ret = sl_attach_check(&a, &holder);
		if (ret == -EBUSY || ret == -ENODEV)
			return;
		sl_dlog(d, LOG_INFO, "%s: prog id %u left the hook", i->name,
			rt->holder);
		rt->holder = 0;
		if (!ret) {
			/* Ours again: put back by whoever took it. */
			i->flags |= SL_IFF_ATTACHED;
			iface_put(d, slot, i);
			return;
		}
		try_attach(d, slot, i);
		return;
	}
	if (!attached(d, slot, i, &a))
		return;
	ret = sl_attach_check(&a, &holder);
	if (ret == -EBUSY) {
		hook_taken(d, slot, i, &a, holder);
		rt->att = a; /* where to look for the hook's return */
	} else if (ret == -ENOENT) {
		sl_dlog(d, LOG_WARNING,
			"%s: our program (prog id %u) was taken off the %s hook; attaching again",
			i->name, a.prog_id, sl_mode_name(a.mode));
		/* A clsact qdisc deleted took our filter with it. */
		i->flags &= ~(SL_IFF_ATTACHED | SL_IFF_CLSACT);
		iface_put(d, slot, i);
		forget(d, slot);
		try_attach(d, slot, i);
	}
}

/*
 * Mode auto on a port whose native XDP would break what it sends on
 * (a veth, see attach.h): tc while it forwards, redirects or answers
 * SYNs (syn-proxy), native XDP again when it no longer does.  Run after the rules or a policy change.
 */
void sl_ifaces_repick(struct sl_daemon *d)
{
	enum sl_attach_mode want;
	struct sl_attachment a;
	struct sluice_iface i;
	char err[SL_ERR_LEN];
	unsigned int on;
	int slot;

	for (slot = 1; slot < SLUICE_MAX_IFACES; slot++) {
		if (iface_get(d, slot, &i))
			return;
		if (!i.name[0] || req_mode(&i) != SL_MODE_AUTO ||
		    !attached(d, slot, &i, &a) ||
		    !sl_attach_native_breaks_sending(a.ifindex))
			continue;
		on = sends_on(d, &i);
		want = sl_attach_pick_mode(a.ifindex, SL_MODE_AUTO, on);
		if (want == SL_MODE_AUTO || want == a.mode)
			continue;
		if (do_attach(d, slot, &i, i.ifindex, &a, err, sizeof(err))) {
			i.flags &= ~(SL_IFF_ATTACHED | SL_IFF_CLSACT);
			iface_put(d, slot, &i);
			forget(d, slot);
			attach_failed(d, slot, err);
			continue;
		}
		sl_dlog(d, LOG_INFO, "%s: mode auto: now %s, prog id %u (%s)",
			i.name, sl_mode_name(a.mode), a.prog_id,
			on ? "it forwards, redirects or answers SYNs, which native XDP on a veth breaks" :
			     "it no longer forwards, redirects or answers SYNs");
	}
}

void sl_ifaces_watch(struct sl_daemon *d)
{
	struct sluice_iface i;
	int slot;

	for (slot = 1; slot < SLUICE_MAX_IFACES; slot++) {
		if (iface_get(d, slot, &i))
			return;
		if (i.name[0] && i.ifindex &&
		    (i.flags & SL_IFF_ATTACHED || d->rt[slot].holder))
			watch_one(d, slot, &i);
	}
}

static void on_del(struct sl_daemon *d, int ifindex)
{
	struct sluice_iface i;
	int slot;

	slot = sl_iface_slot_by_ifindex(d, ifindex, &i);
	if (slot < 0)
		return;
	/* The kernel took our program and any clsact with the device. */
	i.ifindex = 0;
	i.flags &= ~(SL_IFF_ATTACHED | SL_IFF_CLSACT);
	iface_put(d, slot, &i);
	forget(d, slot);
	if (i.flags & SL_IFF_WANTED)
		sl_dlog(d, LOG_INFO,
			"%s: gone; attaching again when it returns", i.name);
}

/* The slot s of ifindex is now called name, which slot t (or none) has. */
static void on_rename(struct sl_daemon *d, int s, struct sluice_iface *si,
		      const char *name)
{
	struct sluice_iface ti;
	char old[SLUICE_IFNAME_LEN];
	__u8 moved;
	int t;

	snprintf(old, sizeof(old), "%s", si->name);
	t = sl_dp_slot(d->dp, name, false);
	if (t < 0) {
		snprintf(si->name, sizeof(si->name), "%s", name);
		if (iface_put(d, s, si))
			return;
		sl_rules_rename_iface(d, old, name);
		sl_dlog(d, LOG_INFO, "%s: renamed %s, slot %d follows", name,
			old, s);
		return;
	}
	if (iface_get(d, t, &ti))
		return;
	/* Unmap s first: setting t first would have s unmap t's ifindex. */
	moved = si->flags & (SL_IFF_ATTACHED | SL_IFF_CLSACT);
	ti.ifindex = si->ifindex;
	ti.hook = si->hook;
	si->ifindex = 0;
	si->flags &= ~(SL_IFF_ATTACHED | SL_IFF_CLSACT);
	if (iface_put(d, s, si))
		return;
	ti.flags = (ti.flags & ~(SL_IFF_ATTACHED | SL_IFF_CLSACT)) | moved;
	if ((moved & SL_IFF_ATTACHED) && !(ti.flags & SL_IFF_WANTED)) {
		ti.flags |= SL_IFF_WANTED;
		set_req_mode(&ti, req_mode(si));
	}
	iface_put(d, t, &ti);
	forget(d, t);
	d->rt[t].att = d->rt[s].att;
	forget(d, s);
	sl_dlog(d, LOG_INFO,
		"%s: renamed %s; slot %d of %s takes it over, %s waits for its name",
		name, old, t, name, old);
	try_attach(d, t, &ti);
}

static void on_new(struct sl_daemon *d, int ifindex, const char *name,
		   int depth)
{
	struct sluice_iface si, ti;
	char cur[IF_NAMESIZE];
	int s, t;

	s = sl_iface_slot_by_ifindex(d, ifindex, &si);
	if (s > 0) {
		if (strcmp(si.name, name))
			on_rename(d, s, &si, name);
		else
			try_attach(d, s, &si);
		return;
	}
	t = sl_dp_slot(d->dp, name, false);
	if (t < 0 || iface_get(d, t, &ti))
		return;
	/*
	 * The slot's old ifindex, if alive under another name, is a rename
	 * we have not heard of yet (a dump reports by ifindex): do it first.
	 */
	if (ti.ifindex && (int)ti.ifindex != ifindex && depth < 1 &&
	    if_indextoname(ti.ifindex, cur) && strcmp(cur, name)) {
		on_new(d, ti.ifindex, cur, depth + 1);
		if (iface_get(d, t, &ti) || !ti.name[0] ||
		    strcmp(ti.name, name))
			t = sl_dp_slot(d->dp, name, false);
		if (t < 0 || iface_get(d, t, &ti))
			return;
	}
	if (ti.ifindex != (__u32)ifindex) {
		ti.ifindex = ifindex;
		ti.flags &= ~(SL_IFF_ATTACHED | SL_IFF_CLSACT);
		if (iface_put(d, t, &ti))
			return;
		/* A new interface: a new chance, whatever the old one did. */
		forget(d, t);
	}
	try_attach(d, t, &ti);
}

/* Whether a link with these IFF_* flags drops what it is sent. */
static bool link_down(unsigned int flags)
{
	return !(flags & IFF_UP) || !(flags & IFF_RUNNING);
}

/*
 * The slot's down flag follows the link, so that redirect and forward
 * count egress-down instead of sending into a link that drops.
 */
static void set_down(struct sl_daemon *d, int slot, struct sluice_iface *i,
		     bool down)
{
	if (i->down == down)
		return;
	i->down = down;
	if (iface_put(d, slot, i))
		return;
	/*
	 * The next-hop cache heard this event first and was emptied then:
	 * a lookup between that and here may have kept this port.
	 */
	sl_fibcache_flush(d->fc);
	sl_dlog(d, LOG_INFO, "%s: link %s", i->name,
		down ? "down: redirects and forwards to it count egress-down" :
		       "up");
}

static void on_link_flags(struct sl_daemon *d, int ifindex, unsigned int flags)
{
	struct sluice_iface i;
	int slot;

	slot = sl_iface_slot_by_ifindex(d, ifindex, &i);
	if (slot > 0)
		set_down(d, slot, &i, link_down(flags));
}

void sl_ifaces_on_link(void *arg, int event, int ifindex, const char *ifname,
		       unsigned int flags)
{
	struct sl_daemon *d = arg;

	if (event == SL_LINK_DEL) {
		on_del(d, ifindex);
		return;
	}
	on_new(d, ifindex, ifname, 0);
	on_link_flags(d, ifindex, flags);
}

/*
 * A slot that learnt its ifindex without a link event (made for a name
 * already there) has heard nothing of the link's state: ask the kernel.
 */
void sl_ifaces_link_sync(struct sl_daemon *d)
{
	struct sluice_iface i;
	struct ifreq ifr;
	int slot, fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	for (slot = 1; slot < SLUICE_MAX_IFACES; slot++) {
		if (iface_get(d, slot, &i))
			break;
		if (!i.name[0] || !i.ifindex)
			continue;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i.name);
		/* A renamed link's event is on its way: wait for it. */
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) ||
		    if_nametoindex(i.name) != i.ifindex)
			continue;
		set_down(d, slot, &i, link_down((unsigned short)ifr.ifr_flags));
	}
	close(fd);
}

void sl_ifaces_resolve(struct sl_daemon *d)
{
	struct sluice_iface i, other;
	unsigned int ifindex;
	int slot;

	for (slot = 1; slot < SLUICE_MAX_IFACES; slot++) {
		if (iface_get(d, slot, &i))
			return;
		if (!i.name[0] || i.ifindex)
			continue;
		/*
		 * A slot made for a name (a rule's "in" or "redirect", a
		 * policy) learns no ifindex from netlink if the interface
		 * was there already; nor does one whose event was lost.
		 */
		ifindex = if_nametoindex(i.name);
		if (ifindex && sl_iface_slot_by_ifindex(d, ifindex, &other) < 0)
			on_new(d, ifindex, i.name, 0);
	}
}

void sl_ifaces_retry(struct sl_daemon *d)
{
	struct sluice_iface i;
	int slot;

	sl_ifaces_resolve(d);
	for (slot = 1; slot < SLUICE_MAX_IFACES; slot++) {
		if (iface_get(d, slot, &i))
			return;
		if (i.name[0])
			try_attach(d, slot, &i);
	}
}

static void apply_one(struct sl_daemon *d, const struct sl_iface_def *def,
		      struct json_object *notes)
{
	struct sl_attachment a;
	struct sluice_iface i;
	char err[SL_ERR_LEN];
	int slot, ifindex;

	slot = sl_dp_slot_bind(d->dp, def->ifname, err, sizeof(err));
	if (slot >= 0 && iface_get(d, slot, &i))
		slot = sl_err(err, sizeof(err), "%s: no slot for it",
			      def->ifname);
	if (slot < 0) {
		sl_dnote(notes, d, "%s", err);
		return;
	}
	i.policy = def->policy;
	i.flags |= SL_IFF_POLICY_CFG;
	if (!def->attach) {
		if (i.flags & SL_IFF_ATTACH_CFG) {
			if (do_detach(d, slot, &i, err, sizeof(err)))
				sl_dnote(notes, d, "%s", err);
			else
				sl_dnote(
					notes, d,
					"%s: detached: the configuration no longer attaches it",
					i.name);
		}
		iface_put(d, slot, &i);
		return;
	}
	set_req_mode(&i, def->mode);
	i.flags |= SL_IFF_WANTED | SL_IFF_ATTACH_CFG;
	if (attached(d, slot, &i, &a)) {
		/* auto's pick follows at the end (sl_ifaces_repick) */
		if (!mode_fits(def->mode, a.mode) &&
		    pick(d, &i, a.ifindex, def->mode) != a.mode)
			sl_dnote(
				notes, d,
				"%s: stays attached in mode %s (detach and attach to change it)",
				i.name, sl_mode_name(a.mode));
		iface_put(d, slot, &i);
		return;
	}
	ifindex = if_nametoindex(i.name);
	if (!ifindex) {
		i.ifindex = 0;
		iface_put(d, slot, &i);
		sl_dnote(notes, d, "%s: not present; attaching when it appears",
			 i.name);
		return;
	}
	if (do_attach(d, slot, &i, ifindex, &a, err, sizeof(err))) {
		i.ifindex = ifindex;
		iface_put(d, slot, &i);
		sl_dnote(notes, d, "%s; will retry", err);
		attach_failed(d, slot, err);
		return;
	}
	sl_dlog(d, LOG_INFO, "%s: attached, mode %s, prog id %u", i.name,
		sl_mode_name(a.mode), a.prog_id);
}

void sl_ifaces_apply_config(struct sl_daemon *d, const struct sl_config *cfg,
			    struct json_object *notes)
{
	struct sluice_iface i;
	char err[SL_ERR_LEN];
	size_t k;
	int slot;

	/* What the file set before and no longer does goes first. */
	for (slot = 1; slot < SLUICE_MAX_IFACES; slot++) {
		if (iface_get(d, slot, &i) || !i.name[0] ||
		    sl_config_iface(cfg, i.name))
			continue;
		if (!(i.flags & (SL_IFF_POLICY_CFG | SL_IFF_ATTACH_CFG)))
			continue;
		if (i.flags & SL_IFF_POLICY_CFG) {
			i.policy = SLUICE_ACT_PASS;
			i.flags &= ~SL_IFF_POLICY_CFG;
		}
		if (i.flags & SL_IFF_ATTACH_CFG) {
			if (do_detach(d, slot, &i, err, sizeof(err))) {
				sl_dnote(notes, d, "%s", err);
				continue;
			}
			sl_dnote(
				notes, d,
				"%s: detached: the configuration no longer attaches it",
				i.name);
		}
		iface_put(d, slot, &i);
	}
	for (k = 0; k < cfg->nifaces; k++)
		apply_one(d, &cfg->ifaces[k], notes);
	sl_ifaces_repick(d);
}

static struct json_object *attach_json(const struct sl_daemon *d,
				       const struct sluice_iface *i,
				       const struct sl_attachment *a,
				       bool already)
{
	struct json_object *o = json_object_new_object();
	char warn[SL_ERR_LEN];

	if (!o)
		return NULL;
	sl_json_add_str(o, "ifname", i->name);
	sl_json_add_int(o, "ifindex", i->ifindex);
	sl_json_add_str(o, "hook", sl_hook_name(mode_hook(a->mode)));
	sl_json_add_str(o, "mode", sl_mode_name(a->mode));
	sl_json_add_int(o, "prog_id", a->prog_id);
	sl_json_add_bool(o, "multiprog", a->xdp_multiprog);
	sl_json_add_bool(o, "already", already);
	if (mode_warning(d, i, a, warn, sizeof(warn)))
		sl_json_add_str(o, "warning", warn);
	return o;
}

static int cmd_attach(struct sl_daemon *d, const struct sl_cmd *cmd,
		      struct sl_ctl_result *res)
{
	struct sl_attachment a;
	struct sluice_iface i;
	int slot, ifindex, ret;
	bool fresh;

	ifindex = sl_ifindex(cmd->ifname, res->err, sizeof(res->err));
	if (ifindex < 0)
		return ifindex;
	fresh = sl_dp_slot(d->dp, cmd->ifname, false) < 0;
	slot = sl_dp_slot_bind(d->dp, cmd->ifname, res->err, sizeof(res->err));
	if (slot < 0)
		return slot;
	ret = iface_get(d, slot, &i);
	if (ret)
		return ret;
	if (i.ifindex == (__u32)ifindex && attached(d, slot, &i, &a)) {
		if (!mode_fits(pick(d, &i, ifindex, cmd->mode), a.mode)) {
			sl_err(res->err, sizeof(res->err),
			       "%s: attached already in mode %s; detach it first",
			       i.name, sl_mode_name(a.mode));
			return -EBUSY;
		}
		/* The run time owns it now: a reload no longer detaches it. */
		i.flags &= ~SL_IFF_ATTACH_CFG;
		iface_put(d, slot, &i);
		res->data = attach_json(d, &i, &a, true);
		return res->data ? 0 : -ENOMEM;
	}
	set_req_mode(&i, cmd->mode);
	i.flags &= ~SL_IFF_ATTACH_CFG;
	ret = do_attach(d, slot, &i, ifindex, &a, res->err, sizeof(res->err));
	if (ret) {
		/* A failed attach leaves no trace: not even a slot. */
		if (fresh)
			sl_dp_iface_release(d->dp, slot);
		return ret;
	}
	sl_dlog(d, LOG_INFO, "%s: attached, mode %s, prog id %u", i.name,
		sl_mode_name(a.mode), a.prog_id);
	res->data = attach_json(d, &i, &a, false);
	return res->data ? 0 : -ENOMEM;
}

static int cmd_detach(struct sl_daemon *d, const struct sl_cmd *cmd,
		      struct sl_ctl_result *res)
{
	struct sluice_iface i;
	int slot, ret;

	slot = sl_dp_slot(d->dp, cmd->ifname, false);
	if (slot < 0 || iface_get(d, slot, &i) ||
	    !(i.flags & (SL_IFF_ATTACHED | SL_IFF_WANTED))) {
		sl_err(res->err, sizeof(res->err), "%s: not attached",
		       cmd->ifname);
		return -ENOENT;
	}
	ret = do_detach(d, slot, &i, res->err, sizeof(res->err));
	if (ret)
		return ret;
	sl_dlog(d, LOG_INFO, "%s: detached", i.name);
	res->data = json_object_new_object();
	if (!res->data)
		return -ENOMEM;
	sl_json_add_str(res->data, "ifname", i.name);
	return 0;
}

static int cmd_policy(struct sl_daemon *d, const struct sl_cmd *cmd,
		      struct sl_ctl_result *res)
{
	struct sl_attachment a;
	char warn[SL_ERR_LEN];
	struct sluice_iface i;
	int slot, ret;

	slot = sl_dp_slot_bind(d->dp, cmd->ifname, res->err, sizeof(res->err));
	if (slot < 0)
		return slot;
	ret = iface_get(d, slot, &i);
	if (ret)
		return ret;
	i.policy = cmd->policy;
	i.flags &= ~SL_IFF_POLICY_CFG;
	ret = iface_put(d, slot, &i);
	if (ret) {
		sl_err(res->err, sizeof(res->err), "%s: %s", cmd->ifname,
		       strerror(-ret));
		return ret;
	}
	sl_ifaces_resolve(d);
	sl_ifaces_repick(d);
	res->data = json_object_new_object();
	if (!res->data)
		return -ENOMEM;
	sl_json_add_str(res->data, "ifname", i.name);
	sl_json_add_str(res->data, "policy", sl_action_name(i.policy));
	if (attached(d, slot, &i, &a) &&
	    mode_warning(d, &i, &a, warn, sizeof(warn)))
		sl_json_add_str(res->data, "warning", warn);
	return 0;
}

int sl_ifaces_cmd(struct sl_daemon *d, const struct sl_cmd *cmd,
		  struct sl_ctl_result *res)
{
	switch (cmd->kind) {
	case SL_CMD_ATTACH:
		return cmd_attach(d, cmd, res);
	case SL_CMD_DETACH:
		return cmd_detach(d, cmd, res);
	default:
		return cmd_policy(d, cmd, res);
	}
}

bool sl_iface_attachment(struct sl_daemon *d, int slot,
			 const struct sluice_iface *i, struct sl_attachment *a)
{
	return attached(d, slot, i, a);
}

struct json_object *sl_ifaces_json(struct sl_daemon *d)
{
	struct json_object *arr = json_object_new_array(), *o;
	struct sl_attachment a;
	char warn[SL_ERR_LEN];
	struct sluice_iface i;
	unsigned int on;
	int slot;

	if (!arr)
		return NULL;
	for (slot = 1; slot < SLUICE_MAX_IFACES; slot++) {
		if (iface_get(d, slot, &i) || !i.name[0])
			continue;
		o = json_object_new_object();
		if (!o)
			break;
		on = attached(d, slot, &i, &a);
		sl_json_add_str(o, "ifname", i.name);
		sl_json_add_int(o, "slot", slot);
		sl_json_add_int(o, "ifindex", i.ifindex);
		sl_json_add_bool(o, "present", i.ifindex != 0);
		sl_json_add_bool(o, "link_up", i.ifindex && !i.down);
		sl_json_add_bool(o, "attached", on);
		sl_json_add_bool(o, "wanted", i.flags & SL_IFF_WANTED);
		sl_json_add_str(o, "hook",
				on ? sl_hook_name(mode_hook(a.mode)) : NULL);
		sl_json_add_str(o, "mode", on ? sl_mode_name(a.mode) : NULL);
		sl_json_add_str(o, "requested_mode",
				(i.flags & SL_IFF_WANTED) ?
					sl_mode_name(req_mode(&i)) :
					NULL);
		if (on)
			sl_json_add_int(o, "prog_id", a.prog_id);
		else
			json_object_object_add(o, "prog_id", NULL);
		sl_json_add_bool(o, "multiprog", on && a.xdp_multiprog);
		sl_json_add_str(o, "policy", sl_action_name(i.policy));
		sl_json_add_str(o, "origin",
				(i.flags &
				 (SL_IFF_ATTACH_CFG | SL_IFF_POLICY_CFG)) ?
					"config" :
					"runtime");
		if (d->rt[slot].err[0])
			sl_json_add_str(o, "error", d->rt[slot].err);
		if (on && mode_warning(d, &i, &a, warn, sizeof(warn)))
			sl_json_add_str(o, "warning", warn);
		if (d->rt[slot].holder) {
			char name[16] = "";

			sl_attach_prog_name(d->rt[slot].holder, name);
			sl_json_add_int(o, "held_by", d->rt[slot].holder);
			sl_json_add_str(o, "held_by_name", name);
		}
		sl_json_add_int(o, "attach_conflicts", d->conflicts[slot]);
		json_object_array_add(arr, o);
	}
	return arr;
}
