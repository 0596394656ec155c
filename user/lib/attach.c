/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * XDP through libxdp, tc through clsact; see attach.h.
 *
 * libxdp and the dispatcher: a program handed over as a loaded fd of type
 * XDP cannot become a dispatcher component (that needs an EXT program), so
 * libxdp attaches it on its own ("legacy" mode), as it also does where
 * the kernel refuses the dispatcher or no bpffs is mounted.  Detaching and
 * looking up still go through xdp_multiprog so that a dispatcher put there
 * by someone else (or holding our program) is understood and left alone.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libmnl/libmnl.h>
#include <xdp/libxdp.h>

#include "attach.h"

/* Big enough for "ifindex -2147483648" and any interface name. */
#define IFDESC_LEN 32
#define TC_DUMP_BUF 32768

/* The interface's name for messages, or "ifindex N" when it is gone. */
static bool ifdesc(int ifindex, char buf[IFDESC_LEN])
{
	char name[IF_NAMESIZE];

	if (ifindex > 0 && if_indextoname(ifindex, name)) {
		snprintf(buf, IFDESC_LEN, "%s", name);
		return true;
	}
	snprintf(buf, IFDESC_LEN, "ifindex %d", ifindex);
	return false;
}

int sl_ifindex(const char *ifname, char *err, size_t errlen)
{
	unsigned int ifindex;

	if (!ifname || !*ifname || strlen(ifname) >= IF_NAMESIZE) {
		sl_err(err, errlen, "%s: invalid interface name",
		       ifname ? ifname : "(null)");
		return -EINVAL;
	}
	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		sl_err(err, errlen, "%s: no such interface", ifname);
		return -ENODEV;
	}
	return (int)ifindex;
}

static int prog_info(int fd, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len))
		return -errno;
	return 0;
}

static int prog_name_by_id(__u32 id, char name[BPF_OBJ_NAME_LEN])
{
	struct bpf_prog_info info;
	int fd, ret;

	snprintf(name, BPF_OBJ_NAME_LEN, "?");
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	ret = prog_info(fd, &info);
	close(fd);
	if (!ret)
		snprintf(name, BPF_OBJ_NAME_LEN, "%s", info.name);
	return ret;
}

/* By id when id is set, else by name as the kernel keeps it. */
static bool prog_matches(__u32 prog_id, const char *prog_name, __u32 id,
			 const char *name)
{
	if (id)
		return prog_id == id;
	return name && prog_name &&
	       !strncmp(prog_name, name, BPF_OBJ_NAME_LEN - 1);
}

/* XDP */

static __u32 xdp_flags(enum sl_attach_mode mode)
{
	return mode == SL_MODE_GENERIC ? XDP_FLAGS_SKB_MODE :
					 XDP_FLAGS_DRV_MODE;
}

static enum xdp_attach_mode xdp_mode(enum sl_attach_mode mode)
{
	return mode == SL_MODE_GENERIC ? XDP_MODE_SKB : XDP_MODE_NATIVE;
}

static int xdp_attach_fd(int ifindex, int prog_fd, enum sl_attach_mode mode)
{
	struct xdp_program *prog;
	int ret;

	prog = xdp_program__from_fd(prog_fd);
	ret = (int)libxdp_get_error(prog);
	if (ret || !prog)
		return ret ? ret : -EINVAL;
	ret = xdp_program__attach(prog, ifindex, xdp_mode(mode), 0);
	xdp_program__close(prog);
	return ret;
}

/*
 * Find an XDP program on ifindex by id or name: the one attached on its
 * own, or one of the components behind libxdp's dispatcher.
 */
static int xdp_lookup(int ifindex, __u32 id, const char *name,
		      struct sl_attachment *found)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char pname[BPF_OBJ_NAME_LEN];
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	int ret = -ENOENT;

	/*
	 * A plain attachment is answered by the kernel alone: libxdp 1.3.1
	 * leaks a program fd on every look (xdp-tools #343), so it is asked
	 * only when its dispatcher holds the hook.
	 */
	if (bpf_xdp_query(ifindex, 0, &q) || !q.prog_id)
		return -ENOENT;
	if (q.attach_mode != XDP_ATTACHED_MULTI &&
	    !prog_name_by_id(q.prog_id, pname) &&
	    strcmp(pname, "xdp_dispatcher")) {
		if (!prog_matches(q.prog_id, pname, id, name))
			return -ENOENT;
		memset(found, 0, sizeof(*found));
		found->ifindex = ifindex;
		found->mode = q.attach_mode == XDP_ATTACHED_SKB ?
				      SL_MODE_GENERIC :
				      SL_MODE_NATIVE;
		found->prog_id = q.prog_id;
		return 0;
	}

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (libxdp_get_error(mp) || !mp)
		return -ENOENT;

	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && prog_matches(xdp_program__id(p), xdp_program__name(p),
				      id, name))
			ret = 0;
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p;
		     p = xdp_multiprog__next_prog(p, mp)) {
			if (prog_matches(xdp_program__id(p),
					 xdp_program__name(p), id, name)) {
				ret = 0;
				break;
			}
		}
	}
	if (!ret) {
		memset(found, 0, sizeof(*found));
		found->ifindex = ifindex;
		found->mode = xdp_multiprog__attach_mode(mp) == XDP_MODE_SKB ?
				      SL_MODE_GENERIC :
				      SL_MODE_NATIVE;
		found->xdp_multiprog = !xdp_multiprog__is_legacy(mp);
		found->prog_id = xdp_program__id(p);
	}
	xdp_multiprog__close(mp);
	return ret;
}

/* What holds the XDP hook, for "already attached" messages. */
static void xdp_busy(int ifindex, const char *ifn, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char name[BPF_OBJ_NAME_LEN];
	__u32 id = 0;

	if (!bpf_xdp_query(ifindex, 0, &q)) {
		id = q.prog_id;
		if (!id)
			id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	}
	if (!id) {
		sl_err(err, errlen, "%s: another XDP program is attached", ifn);
		return;
	}
	prog_name_by_id(id, name);
	sl_err(err, errlen, "%s: XDP program %s (id %u) is already attached",
	       ifn, name, id);
}

static void xdp_attach_err(int ifindex, const char *ifn, int ret, int native,
			   enum sl_attach_mode tried, char *err, size_t errlen)
{
	if (ret == -EBUSY || ret == -EEXIST)
		xdp_busy(ifindex, ifn, err, errlen);
	else if (ret == -ENODEV)
		sl_err(err, errlen, "%s: no such interface", ifn);
	else if (native)
		sl_err(err, errlen,
		       "%s: cannot attach XDP: native: %s; generic: %s", ifn,
		       strerror(-native), strerror(-ret));
	else if (ret == -EOPNOTSUPP && tried == SL_MODE_NATIVE)
		sl_err(err, errlen,
		       "%s: native XDP not supported by the driver", ifn);
	else
		sl_err(err, errlen, "%s: cannot attach %s XDP: %s", ifn,
		       tried == SL_MODE_GENERIC ? "generic" : "native",
		       strerror(-ret));
}

static int xdp_attach(int ifindex, const char *ifn, int prog_fd,
		      enum sl_attach_mode mode, struct sl_attachment *out,
		      char *err, size_t errlen)
{
	struct sl_attachment found;
	int ret = 0, native = 0;

	if (mode != SL_MODE_GENERIC) {
		ret = xdp_attach_fd(ifindex, prog_fd, SL_MODE_NATIVE);
		out->mode = SL_MODE_NATIVE;
		/* auto goes on to generic unless the hook is taken */
		if (ret && mode == SL_MODE_AUTO && ret != -EBUSY &&
		    ret != -EEXIST && ret != -ENODEV) {
			native = ret;
			mode = SL_MODE_GENERIC;
		}
	}
	if (mode == SL_MODE_GENERIC) {
		ret = xdp_attach_fd(ifindex, prog_fd, SL_MODE_GENERIC);
		out->mode = SL_MODE_GENERIC;
	}
	if (ret) {
		xdp_attach_err(ifindex, ifn, ret, native, out->mode, err,
			       errlen);
		return ret;
	}

	/* libxdp chose between its dispatcher and a plain attachment */
	if (!xdp_lookup(ifindex, out->prog_id, NULL, &found))
		out->xdp_multiprog = found.xdp_multiprog;
	return 0;
}

static int xdp_detach(const struct sl_attachment *a, const char *ifn, char *err,
		      size_t errlen)
{
	struct xdp_program *prog = NULL;
	struct sl_attachment cur;
	int ret;

	ret = xdp_lookup(a->ifindex, a->prog_id, NULL, &cur);
	if (!ret) {
		prog = xdp_program__from_id(a->prog_id);
		if (libxdp_get_error(prog) || !prog) {
			prog = NULL;
			ret = -ENOENT;
		}
	}
	/* plain: swaps our program for none only if it is still there */
	if (!ret)
		ret = xdp_program__detach(prog, a->ifindex, xdp_mode(cur.mode),
					  0);
	xdp_program__close(prog);

	if (ret == -ENOENT)
		sl_err(err, errlen, "%s: XDP program id %u is not attached",
		       ifn, a->prog_id);
	else if (ret)
		sl_err(err, errlen, "%s: cannot detach XDP program id %u: %s",
		       ifn, a->prog_id, strerror(-ret));
	return ret;
}

static int xdp_replace(struct sl_attachment *a, const char *ifn, int prog_fd,
		       __u32 new_id, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	struct sl_attachment cur;
	int ret;

	ret = xdp_lookup(a->ifindex, a->prog_id, NULL, &cur);
	if (!ret) {
		opts.old_prog_fd = bpf_prog_get_fd_by_id(a->prog_id);
		if (opts.old_prog_fd < 0)
			ret = -ENOENT;
	}
	if (ret) {
		sl_err(err, errlen, "%s: XDP program id %u is not attached",
		       ifn, a->prog_id);
		return -ENOENT;
	}
	if (cur.xdp_multiprog) {
		/* libxdp has no in-place swap of a dispatcher component */
		sl_err(err, errlen,
		       "%s: XDP program id %u is behind libxdp's dispatcher: no in-place replace",
		       ifn, a->prog_id);
		ret = -EOPNOTSUPP;
	} else if (new_id == a->prog_id) {
		ret = 0;
	} else {
		/* the kernel swaps only if the old one is still there */
		ret = bpf_xdp_attach(a->ifindex, prog_fd,
				     XDP_FLAGS_REPLACE | xdp_flags(cur.mode),
				     &opts);
		if (ret)
			sl_err(err, errlen,
			       "%s: cannot replace XDP program id %u: %s", ifn,
			       a->prog_id,
			       ret == -EEXIST ? "it was replaced meanwhile" :
						strerror(-ret));
	}
	close(opts.old_prog_fd);
	if (!ret) {
		a->prog_id = new_id;
		a->mode = cur.mode;
	}
	return ret;
}

/* tc */

static void tc_hook_init(struct bpf_tc_hook *hook, int ifindex,
			 enum bpf_tc_attach_point where)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = ifindex;
	hook->attach_point = where;
}

static void tc_opts_init(struct bpf_tc_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->sz = sizeof(*opts);
	opts->handle = SL_TC_HANDLE;
	opts->priority = SL_TC_PRIORITY;
}

struct tc_walk {
	int filters; /* filters seen (handle 0 heads a classifier) */
	__u32 prog_id; /* the program of sluice's filter, 0 if none */
};

static int tc_walk_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *attr, *opts = NULL;
	struct tc_walk *w = data;
	const struct tcmsg *t;
	const char *kind = NULL;

	if (nlh->nlmsg_type != RTM_NEWTFILTER ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*t))
		return MNL_CB_OK;
	t = mnl_nlmsg_get_payload(nlh);
	if (!t->tcm_handle)
		return MNL_CB_OK;
	w->filters++;
	if (t->tcm_handle != SL_TC_HANDLE ||
	    TC_H_MAJ(t->tcm_info) >> 16 != SL_TC_PRIORITY)
		return MNL_CB_OK;

	mnl_attr_for_each(attr, nlh, sizeof(*t)) {
		if (mnl_attr_get_type(attr) == TCA_KIND &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
			kind = mnl_attr_get_str(attr);
		else if (mnl_attr_get_type(attr) == TCA_OPTIONS)
			opts = attr;
	}
	if (!kind || strcmp(kind, "bpf") || !opts)
		return MNL_CB_OK;
	mnl_attr_for_each_nested(attr, opts) {
		if (mnl_attr_get_type(attr) == TCA_BPF_ID &&
		    mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			w->prog_id = mnl_attr_get_u32(attr);
	}
	return MNL_CB_OK;
}

/*
 * One tc request over rtnetlink: a dump (RTM_GETTFILTER) or a get
 * (RTM_GETQDISC).  Quiet where libbpf's tc calls log every refusal; a
 * filter dump of a missing qdisc or interface is just empty.
 */
static int tc_request(int type, bool dump, int ifindex, __u32 parent,
		      mnl_cb_t cb, void *data)
{
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct tcmsg *t;
	unsigned int portid, seq;
	ssize_t n;
	char *buf;
	int ret;

	buf = malloc(TC_DUMP_BUF);
	if (!buf)
		return -ENOMEM;
	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto cleanup;
	}
	portid = mnl_socket_get_portid(nl);
	seq = (unsigned int)time(NULL);

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	/* a tc get answers only with NLM_F_ECHO; tc monitors see it too */
	nlh->nlmsg_flags = NLM_F_REQUEST |
			   (dump ? NLM_F_DUMP : NLM_F_ACK | NLM_F_ECHO);
	nlh->nlmsg_seq = seq;
	t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));
	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	t->tcm_parent = parent;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto cleanup;
	}
	/* ends with NLMSG_DONE (dump), the ACK (get) or an error */
	do {
		n = mnl_socket_recvfrom(nl, buf, TC_DUMP_BUF);
		if (n < 0) {
			ret = -errno;
			goto cleanup;
		}
		ret = mnl_cb_run(buf, n, seq, portid, cb, data);
	} while (ret > MNL_CB_STOP);
	ret = ret < 0 ? -errno : 0;
cleanup:
	if (nl)
		mnl_socket_close(nl);
	free(buf);
	return ret;
}

/* The filters of clsact ingress, and egress too if both. */
static int tc_walk(int ifindex, bool both, struct tc_walk *w)
{
	int ret;

	memset(w, 0, sizeof(*w));
	ret = tc_request(RTM_GETTFILTER, true, ifindex,
			 TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS), tc_walk_cb,
			 w);
	if (!ret && both)
		ret = tc_request(RTM_GETTFILTER, true, ifindex,
				 TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS),
				 tc_walk_cb, w);
	return ret;
}

struct clsact_find {
	int ifindex;
	bool found;
};

static int clsact_cb(const struct nlmsghdr *nlh, void *data)
{
	struct clsact_find *f = data;
	const struct nlattr *attr;
	const struct tcmsg *t;

	if (nlh->nlmsg_type != RTM_NEWQDISC ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*t))
		return MNL_CB_OK;
	t = mnl_nlmsg_get_payload(nlh);
	if (t->tcm_ifindex != f->ifindex)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*t)) {
		if (mnl_attr_get_type(attr) == TCA_KIND &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0 &&
		    !strcmp(mnl_attr_get_str(attr), "clsact"))
			f->found = true;
	}
	return MNL_CB_OK;
}

/*
 * Is the qdisc on the ingress side clsact?  None (ENOENT, or the builtin
 * noop, which is not reported) or a failure to ask counts as no.
 */
static bool clsact_exists(int ifindex)
{
	struct clsact_find f = { .ifindex = ifindex };

	return !tc_request(RTM_GETQDISC, false, ifindex, TC_H_CLSACT, clsact_cb,
			   &f) &&
	       f.found;
}

/* The program id of sluice's filter, or -ENOENT. */
static int tc_query(int ifindex, __u32 *prog_id)
{
	struct tc_walk w;

	if (tc_walk(ifindex, false, &w) || !w.prog_id)
		return -ENOENT;
	*prog_id = w.prog_id;
	return 0;
}

static int tc_lookup(int ifindex, const char *name, struct sl_attachment *found)
{
	char pname[BPF_OBJ_NAME_LEN];
	__u32 prog_id;

	if (tc_query(ifindex, &prog_id) || prog_name_by_id(prog_id, pname) ||
	    !prog_matches(prog_id, pname, 0, name))
		return -ENOENT;
	memset(found, 0, sizeof(*found));
	found->ifindex = ifindex;
	found->mode = SL_MODE_TC;
	found->prog_id = prog_id;
	return 0;
}

static int tc_attach(int ifindex, const char *ifn, int prog_fd,
		     struct sl_attachment *out, char *err, size_t errlen)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	char name[BPF_OBJ_NAME_LEN];
	__u32 id = 0;
	int ret;

	/* EEXIST settles a race; asking first keeps libbpf from logging it */
	tc_hook_init(&hook, ifindex, BPF_TC_INGRESS);
	ret = clsact_exists(ifindex) ? -EEXIST : bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST) {
		sl_err(err, errlen, "%s: cannot create the clsact qdisc: %s",
		       ifn, strerror(-ret));
		return ret;
	}
	out->created_clsact = !ret;

	tc_opts_init(&opts);
	opts.prog_fd = prog_fd;
	ret = bpf_tc_attach(&hook, &opts);
	if (!ret) {
		out->mode = SL_MODE_TC;
		out->prog_id = opts.prog_id;
		return 0;
	}

	if (ret == -EEXIST && !tc_query(ifindex, &id)) {
		prog_name_by_id(id, name);
		sl_err(err, errlen,
		       "%s: tc filter handle %#x prio %u is taken by program %s (id %u)",
		       ifn, SL_TC_HANDLE, SL_TC_PRIORITY, name, id);
	} else {
		sl_err(err, errlen, "%s: cannot attach tc filter: %s", ifn,
		       strerror(-ret));
	}
	if (out->created_clsact) {
		tc_hook_init(&hook, ifindex, BPF_TC_INGRESS | BPF_TC_EGRESS);
		bpf_tc_hook_destroy(&hook);
		out->created_clsact = false;
	}
	return ret;
}

static int tc_detach(const struct sl_attachment *a, const char *ifn, char *err,
		     size_t errlen)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	struct tc_walk w;
	__u32 id;
	int ret;

	if (tc_query(a->ifindex, &id) || id != a->prog_id) {
		sl_err(err, errlen, "%s: tc program id %u is not attached", ifn,
		       a->prog_id);
		return -ENOENT;
	}
	tc_hook_init(&hook, a->ifindex, BPF_TC_INGRESS);
	tc_opts_init(&opts);
	ret = bpf_tc_detach(&hook, &opts);
	if (ret) {
		sl_err(err, errlen, "%s: cannot detach tc filter: %s", ifn,
		       strerror(-ret));
		return ret;
	}
	if (!a->created_clsact)
		return 0;

	/* ours to remove, unless someone has put filters on it since */
	ret = tc_walk(a->ifindex, true, &w);
	if (ret) {
		sl_err(err, errlen,
		       "%s: tc filter detached; clsact kept: cannot list filters: %s",
		       ifn, strerror(-ret));
		return ret;
	}
	if (w.filters)
		return 0;
	tc_hook_init(&hook, a->ifindex, BPF_TC_INGRESS | BPF_TC_EGRESS);
	ret = bpf_tc_hook_destroy(&hook);
	if (ret && ret != -ENOENT && ret != -EINVAL) {
		sl_err(err, errlen,
		       "%s: tc filter detached; cannot remove clsact: %s", ifn,
		       strerror(-ret));
		return ret;
	}
	return 0;
}

static int tc_replace(struct sl_attachment *a, const char *ifn, int prog_fd,
		      __u32 new_id, char *err, size_t errlen)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	__u32 id;
	int ret;

	if (tc_query(a->ifindex, &id) || id != a->prog_id) {
		sl_err(err, errlen, "%s: tc program id %u is not attached", ifn,
		       a->prog_id);
		return -ENOENT;
	}
	if (new_id == a->prog_id)
		return 0;
	tc_hook_init(&hook, a->ifindex, BPF_TC_INGRESS);
	tc_opts_init(&opts);
	opts.prog_fd = prog_fd;
	opts.flags = BPF_TC_F_REPLACE;
	ret = bpf_tc_attach(&hook, &opts);
	if (ret) {
		sl_err(err, errlen, "%s: cannot replace tc program id %u: %s",
		       ifn, a->prog_id, strerror(-ret));
		return ret;
	}
	a->prog_id = opts.prog_id;
	return 0;
}

/* Entry points */

static int check_prog(int prog_fd, enum sl_attach_mode mode, const char *ifn,
		      struct bpf_prog_info *info, char *err, size_t errlen)
{
	enum bpf_prog_type want = mode == SL_MODE_TC ? BPF_PROG_TYPE_SCHED_CLS :
						       BPF_PROG_TYPE_XDP;
	int ret;

	ret = prog_fd < 0 ? -EBADF : prog_info(prog_fd, info);
	if (ret) {
		sl_err(err, errlen, "%s: not a BPF program: %s", ifn,
		       strerror(-ret));
		return ret;
	}
	if (info->type != want) {
		sl_err(err, errlen, "%s: program %s is not a%s program", ifn,
		       info->name, mode == SL_MODE_TC ? " tc" : "n XDP");
		return -EINVAL;
	}
	return 0;
}

int sl_attach(int ifindex, int prog_fd, enum sl_attach_mode mode,
	      struct sl_attachment *out, char *err, size_t errlen)
{
	struct bpf_prog_info info;
	char ifn[IFDESC_LEN];
	int ret;

	memset(out, 0, sizeof(*out));
	if (!ifdesc(ifindex, ifn)) {
		sl_err(err, errlen, "%s: no such interface", ifn);
		return -ENODEV;
	}
	ret = check_prog(prog_fd, mode, ifn, &info, err, errlen);
	if (ret)
		return ret;
	out->ifindex = ifindex;
	out->prog_id = info.id;

	switch (mode) {
	case SL_MODE_AUTO:
	case SL_MODE_NATIVE:
	case SL_MODE_GENERIC:
		ret = xdp_attach(ifindex, ifn, prog_fd, mode, out, err, errlen);
		break;
	case SL_MODE_TC:
		ret = tc_attach(ifindex, ifn, prog_fd, out, err, errlen);
		break;
	default:
		sl_err(err, errlen, "%s: unknown attach mode %d", ifn, mode);
		ret = -EINVAL;
	}
	if (ret)
		memset(out, 0, sizeof(*out));
	return ret;
}

int sl_detach(const struct sl_attachment *a, char *err, size_t errlen)
{
	char ifn[IFDESC_LEN];

	if (!ifdesc(a->ifindex, ifn)) {
		sl_err(err, errlen, "%s: no such interface", ifn);
		return -ENODEV;
	}
	if (a->mode == SL_MODE_TC)
		return tc_detach(a, ifn, err, errlen);
	return xdp_detach(a, ifn, err, errlen);
}

int sl_attach_replace(struct sl_attachment *a, int prog_fd, char *err,
		      size_t errlen)
{
	struct bpf_prog_info info;
	char ifn[IFDESC_LEN];
	int ret;

	if (!ifdesc(a->ifindex, ifn)) {
		sl_err(err, errlen, "%s: no such interface", ifn);
		return -ENODEV;
	}
	ret = check_prog(prog_fd, a->mode, ifn, &info, err, errlen);
	if (ret)
		return ret;
	if (a->mode == SL_MODE_TC)
		return tc_replace(a, ifn, prog_fd, info.id, err, errlen);
	return xdp_replace(a, ifn, prog_fd, info.id, err, errlen);
}

int sl_attach_query(int ifindex, const char *prog_name,
		    struct sl_attachment *found)
{
	char ifn[IFDESC_LEN];

	if (!prog_name || !*prog_name)
		return -EINVAL;
	if (!ifdesc(ifindex, ifn))
		return -ENODEV;
	if (!xdp_lookup(ifindex, 0, prog_name, found))
		return 0;
	return tc_lookup(ifindex, prog_name, found);
}

/*
 * XDP: the program at the attachment's own mode (a program at the other
 * mode is another attachment, not a replacement).  Behind libxdp's
 * dispatcher, ours counts as there while the dispatcher still runs it.
 */
static int xdp_check(const struct sl_attachment *a, __u32 *holder)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct sl_attachment f;
	__u32 id;

	if (bpf_xdp_query(a->ifindex, 0, &q))
		return -ENODEV;
	id = a->mode == SL_MODE_GENERIC ? q.skb_prog_id : q.drv_prog_id;
	if (!id)
		return -ENOENT;
	if (id == a->prog_id ||
	    (a->xdp_multiprog && !xdp_lookup(a->ifindex, a->prog_id, NULL, &f)))
		return 0;
	*holder = id;
	return -EBUSY;
}

int sl_attach_check(const struct sl_attachment *a, __u32 *holder)
{
	char ifn[IFDESC_LEN];
	__u32 id;

	*holder = 0;
	if (!ifdesc(a->ifindex, ifn))
		return -ENODEV;
	if (a->mode != SL_MODE_TC)
		return xdp_check(a, holder);
	/* Our handle and priority empty, or the qdisc gone with them. */
	if (tc_query(a->ifindex, &id))
		return -ENOENT;
	if (id == a->prog_id)
		return 0;
	*holder = id;
	return -EBUSY;
}

int sl_attach_prog_name(__u32 id, char name[BPF_OBJ_NAME_LEN])
{
	return prog_name_by_id(id, name);
}

/*
 * Why native XDP on a veth is not repaired but avoided:
 * - A local sender's TCP and UDP reach the veth peer with the L4 checksum
 *   holding only the pseudo-header sum, the rest left to "hardware"
 *   (CHECKSUM_PARTIAL).  Native XDP sees no skb, so no ip_summed; a
 *   program could only guess (checksum field equal to the pseudo-header
 *   sum while the full sum does not verify) and then sum the whole
 *   payload itself, per packet, at more than generic XDP costs, and the
 *   guess would "repair" one corrupt packet in 65,536.
 * - A frags-aware program (ours: jumbo frames) leaves GSO on the veth's
 *   peer, so 64 KB TCP aggregates arrive as one multi-buffer frame with
 *   no segment size.  XDP cannot segment: the devmap refuses a frame over
 *   the egress MTU, and XDP_PASS makes it a plain 64 KB skb.
 * Generic XDP and tc run on the skb, which keeps both, and are correct.
 * Of the two, auto picks tc: generic XDP cannot tell an aggregate from a
 * jumbo frame, so the FIB finds it over the MTU and it goes to the kernel
 * (a 50 MB TCP transfer: every data packet forwarded by the kernel),
 * while tc reads the skb's segment size and forwards it whole.
 */
bool sl_attach_native_breaks_sending(int ifindex)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { 0 };
	int fd;
	bool veth;

	if (ifindex <= 0 || !if_indextoname(ifindex, ifr.ifr_name))
		return false;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	ifr.ifr_data = (void *)&info;
	veth = !ioctl(fd, SIOCETHTOOL, &ifr) && !strcmp(info.driver, "veth");
	close(fd);
	return veth;
}

enum sl_attach_mode sl_attach_pick_mode(int ifindex,
					enum sl_attach_mode requested,
					unsigned int sends)
{
	if (requested != SL_MODE_AUTO ||
	    !sl_attach_native_breaks_sending(ifindex))
		return requested;
	return sends ? SL_MODE_TC : SL_MODE_NATIVE;
}

bool sl_attach_mode_warning(int ifindex, enum sl_attach_mode obtained,
			    unsigned int sends, char *buf, size_t len)
{
	char ifn[IFDESC_LEN];
	bool native = obtained == SL_MODE_NATIVE && sends;
	bool generic = obtained == SL_MODE_GENERIC &&
		       (sends & SL_SENDS_REDIRECT);

	if ((!native && !generic) || !sl_attach_native_breaks_sending(ifindex))
		return false;
	ifdesc(ifindex, ifn);
	if (native && sends == SL_SENDS_SYNPROXY)
		sl_err(buf, len,
		       "%s: native XDP on a veth sends syn-proxy's SYN-ACKs (XDP_TX) only to a peer that runs an XDP program; without one they are lost and clients cannot connect: attach it in mode auto or tc",
		       ifn);
	else if (native)
		sl_err(buf, len,
		       "%s: native XDP on a veth sends a local sender's checksum-offloaded frames on with unfinished checksums and drops its GSO aggregates: TCP through it breaks; attach it in mode auto or tc",
		       ifn);
	else
		sl_err(buf, len,
		       "%s: generic XDP on a veth cannot redirect a local sender's GSO aggregates (over the egress MTU): TCP through it breaks; attach it in mode auto or tc",
		       ifn);
	return true;
}
