/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * attach.c and netlink.c against the kernel, in a network namespace (and
 * a mount namespace, for bpffs) of the test's own: veth and bridge links,
 * trivial XDP and tc programs loaded from two instructions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <net/if.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "attach.h"
#include "netlink.h"

#define BPFFS "/sys/fs/bpf"

static struct {
	int xdp_pass, xdp_drop, xdp_other;
	int tc_ok, tc_ok2, tc_other;
} progs;

static int load_prog(enum bpf_prog_type type, const char *name, int ret)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K,
		  .dst_reg = BPF_REG_0,
		  .imm = ret },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(type, name, "GPL", insns, 2, NULL);
}

static __u32 prog_id(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	assert_int_not_equal(info.id, 0);
	return info.id;
}

static int sh(const char *cmd)
{
	return system(cmd);
}

static int ifx(const char *name)
{
	int ifindex = (int)if_nametoindex(name);

	assert_true(ifindex > 0);
	return ifindex;
}

/* What the kernel has on the XDP hook: program id and XDP_ATTACHED_*. */
static __u32 xdp_prog_at(int ifindex, __u8 *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	assert_int_equal(bpf_xdp_query(ifindex, 0, &q), 0);
	if (mode)
		*mode = q.attach_mode;
	return q.prog_id;
}

/* The program of a tc ingress filter, 0 if none. */
static __u32 tc_prog_at(int ifindex, __u32 handle, __u32 prio)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = handle, .priority = prio);

	if (bpf_tc_query(&hook, &opts))
		return 0;
	return opts.prog_id;
}

static bool has_clsact(const char *dev)
{
	char cmd[64], line[256];
	bool found = false;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "tc qdisc show dev %s", dev);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "qdisc clsact"))
			found = true;
	assert_int_equal(pclose(f), 0);
	return found;
}

/* Someone else's tc filter, through libbpf directly. */
static void other_tc_attach(int ifindex, enum bpf_tc_attach_point where,
			    __u32 handle, __u32 prio)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = progs.tc_other,
		    .handle = handle, .priority = prio);
	int ret;

	ret = bpf_tc_hook_create(&hook);
	assert_true(ret == 0 || ret == -EEXIST);
	assert_int_equal(bpf_tc_attach(&hook, &opts), 0);
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

static int quiet_xdp(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBXDP_WARN)
		return 0;
	fputs("# ", stderr);
	return vfprintf(stderr, fmt, ap);
}

static int quiet_bpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	fputs("# ", stderr);
	return vfprintf(stderr, fmt, ap);
}

static int group_setup(void **state)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS))
		return -1;
	/* our mounts stay ours; start without bpffs, as on this host */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	while (is_bpffs(BPFFS))
		if (umount2(BPFFS, MNT_DETACH))
			return -1;
	if (sh("ip link set lo up"))
		return -1;
	libxdp_set_print(quiet_xdp);
	libbpf_set_print(quiet_bpf);

	progs.xdp_pass = load_prog(BPF_PROG_TYPE_XDP, "sl_test", XDP_PASS);
	progs.xdp_drop = load_prog(BPF_PROG_TYPE_XDP, "sl_test", XDP_DROP);
	progs.xdp_other = load_prog(BPF_PROG_TYPE_XDP, "other", XDP_PASS);
	progs.tc_ok = load_prog(BPF_PROG_TYPE_SCHED_CLS, "sl_test", TC_ACT_OK);
	progs.tc_ok2 =
		load_prog(BPF_PROG_TYPE_SCHED_CLS, "sl_test", TC_ACT_SHOT);
	progs.tc_other = load_prog(BPF_PROG_TYPE_SCHED_CLS, "other", TC_ACT_OK);
	if (progs.xdp_pass < 0 || progs.xdp_drop < 0 || progs.xdp_other < 0 ||
	    progs.tc_ok < 0 || progs.tc_ok2 < 0 || progs.tc_other < 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	close(progs.xdp_pass);
	close(progs.xdp_drop);
	close(progs.xdp_other);
	close(progs.tc_ok);
	close(progs.tc_ok2);
	close(progs.tc_other);
	return 0;
}

static int veth_setup(void **state)
{
	return sh("ip link add va type veth peer name vb && "
		  "ip link set va up && ip link set vb up");
}

static int veth_teardown(void **state)
{
	sh("ip link del va 2>/dev/null; ip link del br9 2>/dev/null; true");
	return 0;
}

static int netlink_teardown(void **state)
{
	sh("for l in nl0 nl2 br7 ov0 $(seq -f ovx%g 1 40); do "
	   "ip link del $l 2>/dev/null; done; true");
	return veth_teardown(state);
}

static void test_missing_interface(void **state)
{
	struct sl_attachment a = {}, q;
	char err[SL_ERR_LEN] = "";

	assert_int_equal(sl_ifindex("eth9", err, sizeof(err)), -ENODEV);
	assert_string_equal(err, "eth9: no such interface");
	assert_int_equal(sl_ifindex("va", err, sizeof(err)), ifx("va"));
	assert_int_equal(sl_ifindex("a-name-much-too-long", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err,
			    "a-name-much-too-long: invalid interface name");

	assert_int_equal(sl_attach(999999, progs.xdp_pass, SL_MODE_NATIVE, &a,
				   err, sizeof(err)),
			 -ENODEV);
	assert_string_equal(err, "ifindex 999999: no such interface");
	assert_int_equal(sl_attach(999999, progs.tc_ok, SL_MODE_TC, &a, err,
				   sizeof(err)),
			 -ENODEV);
	assert_int_equal(sl_attach_query(999999, "sl_test", &q), -ENODEV);

	a.ifindex = 999999;
	a.mode = SL_MODE_NATIVE;
	a.prog_id = prog_id(progs.xdp_pass);
	assert_int_equal(sl_detach(&a, err, sizeof(err)), -ENODEV);
	assert_string_equal(err, "ifindex 999999: no such interface");
}

static void test_wrong_program_type(void **state)
{
	struct sl_attachment a;
	char err[SL_ERR_LEN] = "";
	int ifindex = ifx("va");

	assert_int_equal(sl_attach(ifindex, progs.tc_ok, SL_MODE_NATIVE, &a,
				   err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "va: program sl_test is not an XDP program");
	assert_int_equal(sl_attach(ifindex, progs.xdp_pass, SL_MODE_TC, &a, err,
				   sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "va: program sl_test is not a tc program");
	assert_int_equal(xdp_prog_at(ifindex, NULL), 0);
	assert_false(has_clsact("va"));
}

/* Attach, find, detach; the hook is empty again afterwards. */
static void xdp_cycle(const char *dev, enum sl_attach_mode mode,
		      enum sl_attach_mode want, __u8 want_kmode)
{
	struct sl_attachment a, found;
	char err[SL_ERR_LEN] = "", msg[SL_ERR_LEN];
	int ifindex = ifx(dev);
	__u8 kmode;

	assert_int_equal(sl_attach(ifindex, progs.xdp_pass, mode, &a, err,
				   sizeof(err)),
			 0);
	assert_string_equal(err, "");
	assert_int_equal(a.ifindex, ifindex);
	assert_int_equal(a.mode, want);
	assert_int_equal(a.prog_id, prog_id(progs.xdp_pass));
	assert_false(a.created_clsact);
	/* an XDP-typed fd cannot be a dispatcher component */
	assert_false(a.xdp_multiprog);

	assert_int_equal(xdp_prog_at(ifindex, &kmode), a.prog_id);
	assert_int_equal(kmode, want_kmode);

	assert_int_equal(sl_attach_query(ifindex, "sl_test", &found), 0);
	assert_int_equal(found.ifindex, ifindex);
	assert_int_equal(found.mode, want);
	assert_int_equal(found.prog_id, a.prog_id);
	assert_int_equal(sl_attach_query(ifindex, "other", &found), -ENOENT);

	assert_int_equal(sl_detach(&a, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(xdp_prog_at(ifindex, &kmode), 0);
	assert_int_equal(kmode, XDP_ATTACHED_NONE);
	assert_int_equal(sl_attach_query(ifindex, "sl_test", &found), -ENOENT);

	assert_int_equal(sl_detach(&a, err, sizeof(err)), -ENOENT);
	snprintf(msg, sizeof(msg), "%s: XDP program id %u is not attached", dev,
		 a.prog_id);
	assert_string_equal(err, msg);
}

static void test_xdp_native(void **state)
{
	xdp_cycle("va", SL_MODE_NATIVE, SL_MODE_NATIVE, XDP_ATTACHED_DRV);
}

static void test_xdp_generic(void **state)
{
	xdp_cycle("va", SL_MODE_GENERIC, SL_MODE_GENERIC, XDP_ATTACHED_SKB);
}

static void test_xdp_auto_veth(void **state)
{
	xdp_cycle("va", SL_MODE_AUTO, SL_MODE_NATIVE, XDP_ATTACHED_DRV);
}

/*
 * syn-proxy's XDP_TX reaches a veth peer only if the peer runs XDP: auto
 * picks tc for it, native is warned about, generic and tc are not.
 */
static void test_pick_veth_synproxy(void **state)
{
	char warn[SL_ERR_LEN] = "";
	int ifindex = ifx("va");

	assert_int_equal(sl_attach_pick_mode(ifindex, SL_MODE_AUTO,
					     SL_SENDS_SYNPROXY),
			 SL_MODE_TC);
	assert_int_equal(sl_attach_pick_mode(ifindex, SL_MODE_AUTO, 0),
			 SL_MODE_NATIVE);
	assert_int_equal(sl_attach_pick_mode(ifindex, SL_MODE_NATIVE,
					     SL_SENDS_SYNPROXY),
			 SL_MODE_NATIVE);
	assert_true(sl_attach_mode_warning(ifindex, SL_MODE_NATIVE,
					   SL_SENDS_SYNPROXY, warn,
					   sizeof(warn)));
	assert_string_equal(
		warn,
		"va: native XDP on a veth sends syn-proxy's SYN-ACKs (XDP_TX) only to a peer that runs an XDP program; without one they are lost and clients cannot connect: attach it in mode auto or tc");
	assert_false(sl_attach_mode_warning(ifindex, SL_MODE_GENERIC,
					    SL_SENDS_SYNPROXY, warn,
					    sizeof(warn)));
	assert_false(sl_attach_mode_warning(
		ifindex, SL_MODE_TC, SL_SENDS_SYNPROXY, warn, sizeof(warn)));
	/* Forwarding too: the checksum warning, the graver, is the one. */
	assert_true(sl_attach_mode_warning(ifindex, SL_MODE_NATIVE,
					   SL_SENDS_SYNPROXY | SL_SENDS_FORWARD,
					   warn, sizeof(warn)));
	assert_non_null(strstr(warn, "unfinished checksums"));
}

/* A bridge has no native XDP: native fails, auto settles for generic. */
static void test_xdp_auto_bridge(void **state)
{
	struct sl_attachment a;
	char err[SL_ERR_LEN] = "";
	int ifindex;

	assert_int_equal(
		sh("ip link add br9 type bridge && ip link set br9 up"), 0);
	ifindex = ifx("br9");
	assert_int_equal(sl_attach(ifindex, progs.xdp_pass, SL_MODE_NATIVE, &a,
				   err, sizeof(err)),
			 -EOPNOTSUPP);
	assert_string_equal(err, "br9: native XDP not supported by the driver");
	assert_int_equal(xdp_prog_at(ifindex, NULL), 0);

	xdp_cycle("br9", SL_MODE_AUTO, SL_MODE_GENERIC, XDP_ATTACHED_SKB);
}

/* With bpffs, libxdp tries its dispatcher and falls back. */
static void test_xdp_bpffs(void **state)
{
	if (!is_bpffs(BPFFS))
		assert_int_equal(mount("bpf", BPFFS, "bpf", 0, "mode=0700"), 0);
	xdp_cycle("va", SL_MODE_NATIVE, SL_MODE_NATIVE, XDP_ATTACHED_DRV);
	xdp_cycle("va", SL_MODE_GENERIC, SL_MODE_GENERIC, XDP_ATTACHED_SKB);
}

static void test_xdp_skip_dispatcher(void **state)
{
	setenv("LIBXDP_SKIP_DISPATCHER", "1", 1);
	xdp_cycle("va", SL_MODE_AUTO, SL_MODE_NATIVE, XDP_ATTACHED_DRV);
	unsetenv("LIBXDP_SKIP_DISPATCHER");
}

/* Someone else's XDP program is neither replaced nor detached. */
static void test_xdp_others_left_alone(void **state)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	struct sl_attachment a, found;
	char err[SL_ERR_LEN] = "", msg[SL_ERR_LEN];
	int ifindex = ifx("va");
	__u32 other = prog_id(progs.xdp_other);
	int ret;

	assert_int_equal(bpf_xdp_attach(ifindex, progs.xdp_other,
					XDP_FLAGS_DRV_MODE, NULL),
			 0);
	snprintf(msg, sizeof(msg),
		 "va: XDP program other (id %u) is already attached", other);

	ret = sl_attach(ifindex, progs.xdp_pass, SL_MODE_NATIVE, &a, err,
			sizeof(err));
	assert_true(ret == -EBUSY || ret == -EEXIST);
	assert_string_equal(err, msg);
	err[0] = '\0';
	ret = sl_attach(ifindex, progs.xdp_pass, SL_MODE_AUTO, &a, err,
			sizeof(err));
	assert_true(ret == -EBUSY || ret == -EEXIST);
	assert_string_equal(err, msg);
	ret = sl_attach(ifindex, progs.xdp_pass, SL_MODE_GENERIC, &a, err,
			sizeof(err));
	assert_true(ret == -EBUSY || ret == -EEXIST);
	assert_string_equal(err, msg);
	assert_int_equal(sl_attach_query(ifindex, "sl_test", &found), -ENOENT);
	assert_int_equal(xdp_prog_at(ifindex, NULL), other);

	/* ours was there, then someone replaced it: detach must not touch */
	assert_int_equal(bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL), 0);
	assert_int_equal(sl_attach(ifindex, progs.xdp_pass, SL_MODE_NATIVE, &a,
				   err, sizeof(err)),
			 0);
	opts.old_prog_fd = progs.xdp_pass;
	assert_int_equal(bpf_xdp_attach(ifindex, progs.xdp_other,
					XDP_FLAGS_DRV_MODE | XDP_FLAGS_REPLACE,
					&opts),
			 0);
	assert_int_equal(sl_detach(&a, err, sizeof(err)), -ENOENT);
	assert_int_equal(xdp_prog_at(ifindex, NULL), other);
	assert_int_equal(sl_attach_replace(&a, progs.xdp_drop, err,
					   sizeof(err)),
			 -ENOENT);
	assert_int_equal(xdp_prog_at(ifindex, NULL), other);
	assert_int_equal(bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL), 0);
}

static void test_xdp_replace(void **state)
{
	static const struct {
		enum sl_attach_mode mode;
		__u8 kmode;
	} modes[] = {
		{ SL_MODE_NATIVE, XDP_ATTACHED_DRV },
		{ SL_MODE_GENERIC, XDP_ATTACHED_SKB },
	};
	struct sl_attachment a, stale, found;
	char err[SL_ERR_LEN] = "";
	int ifindex = ifx("va");
	__u32 pass = prog_id(progs.xdp_pass), drop = prog_id(progs.xdp_drop);
	__u8 kmode;
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_int_equal(sl_attach(ifindex, progs.xdp_pass,
					   modes[i].mode, &a, err, sizeof(err)),
				 0);
		stale = a;
		assert_int_equal(sl_attach_replace(&a, progs.xdp_drop, err,
						   sizeof(err)),
				 0);
		assert_int_equal(a.prog_id, drop);
		assert_int_equal(a.mode, modes[i].mode);
		assert_int_equal(xdp_prog_at(ifindex, &kmode), drop);
		assert_int_equal(kmode, modes[i].kmode);
		assert_int_equal(sl_attach_query(ifindex, "sl_test", &found),
				 0);
		assert_int_equal(found.prog_id, drop);

		/* the old id is gone: a stale attachment replaces nothing */
		assert_int_equal(stale.prog_id, pass);
		assert_int_equal(sl_attach_replace(&stale, progs.xdp_pass, err,
						   sizeof(err)),
				 -ENOENT);
		assert_int_equal(xdp_prog_at(ifindex, NULL), drop);
		assert_int_equal(sl_attach_replace(&a, progs.tc_ok, err,
						   sizeof(err)),
				 -EINVAL);
		assert_int_equal(xdp_prog_at(ifindex, NULL), drop);

		assert_int_equal(sl_detach(&a, err, sizeof(err)), 0);
		assert_int_equal(xdp_prog_at(ifindex, NULL), 0);
	}
}

static void test_tc_creates_clsact(void **state)
{
	struct sl_attachment a, found;
	char err[SL_ERR_LEN] = "";
	int ifindex = ifx("va");

	assert_false(has_clsact("va"));
	assert_int_equal(sl_attach(ifindex, progs.tc_ok, SL_MODE_TC, &a, err,
				   sizeof(err)),
			 0);
	assert_string_equal(err, "");
	assert_int_equal(a.mode, SL_MODE_TC);
	assert_true(a.created_clsact);
	assert_int_equal(a.prog_id, prog_id(progs.tc_ok));
	assert_true(has_clsact("va"));
	assert_int_equal(tc_prog_at(ifindex, SL_TC_HANDLE, SL_TC_PRIORITY),
			 a.prog_id);

	assert_int_equal(sl_attach_query(ifindex, "sl_test", &found), 0);
	assert_int_equal(found.mode, SL_MODE_TC);
	assert_int_equal(found.prog_id, a.prog_id);
	assert_int_equal(sl_attach_query(ifindex, "other", &found), -ENOENT);

	assert_int_equal(sl_detach(&a, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(tc_prog_at(ifindex, SL_TC_HANDLE, SL_TC_PRIORITY), 0);
	assert_false(has_clsact("va"));
	assert_int_equal(sl_attach_query(ifindex, "sl_test", &found), -ENOENT);
	assert_int_equal(sl_detach(&a, err, sizeof(err)), -ENOENT);
}

static void test_tc_keeps_existing_clsact(void **state)
{
	struct sl_attachment a;
	char err[SL_ERR_LEN] = "";
	int ifindex = ifx("va");

	assert_int_equal(sh("tc qdisc add dev va clsact"), 0);
	assert_int_equal(sl_attach(ifindex, progs.tc_ok, SL_MODE_TC, &a, err,
				   sizeof(err)),
			 0);
	assert_false(a.created_clsact);
	assert_int_equal(tc_prog_at(ifindex, SL_TC_HANDLE, SL_TC_PRIORITY),
			 a.prog_id);
	assert_int_equal(sl_detach(&a, err, sizeof(err)), 0);
	assert_int_equal(tc_prog_at(ifindex, SL_TC_HANDLE, SL_TC_PRIORITY), 0);
	assert_true(has_clsact("va"));
}

static void test_tc_others_left_alone(void **state)
{
	struct sl_attachment a, mine;
	char err[SL_ERR_LEN] = "", msg[SL_ERR_LEN];
	int ifindex = ifx("va");
	__u32 other = prog_id(progs.tc_other);

	/* theirs first (they created clsact): ours comes and goes */
	other_tc_attach(ifindex, BPF_TC_INGRESS, 1, 1);
	assert_int_equal(sl_attach(ifindex, progs.tc_ok, SL_MODE_TC, &a, err,
				   sizeof(err)),
			 0);
	assert_false(a.created_clsact);
	assert_int_equal(sl_detach(&a, err, sizeof(err)), 0);
	assert_int_equal(tc_prog_at(ifindex, 1, 1), other);
	assert_true(has_clsact("va"));
	assert_int_equal(sh("tc qdisc del dev va clsact"), 0);

	/* ours first (we created clsact), theirs added since: kept */
	assert_int_equal(sl_attach(ifindex, progs.tc_ok, SL_MODE_TC, &a, err,
				   sizeof(err)),
			 0);
	assert_true(a.created_clsact);
	other_tc_attach(ifindex, BPF_TC_INGRESS, 1, 1);
	assert_int_equal(sl_detach(&a, err, sizeof(err)), 0);
	assert_int_equal(tc_prog_at(ifindex, SL_TC_HANDLE, SL_TC_PRIORITY), 0);
	assert_int_equal(tc_prog_at(ifindex, 1, 1), other);
	assert_true(has_clsact("va"));
	assert_int_equal(sh("tc qdisc del dev va clsact"), 0);

	/* the same with theirs on egress */
	assert_int_equal(sl_attach(ifindex, progs.tc_ok, SL_MODE_TC, &a, err,
				   sizeof(err)),
			 0);
	assert_true(a.created_clsact);
	other_tc_attach(ifindex, BPF_TC_EGRESS, 1, 1);
	assert_int_equal(sl_detach(&a, err, sizeof(err)), 0);
	assert_true(has_clsact("va"));
	assert_int_equal(sh("tc filter show dev va egress | grep -q other"), 0);
	assert_int_equal(sh("tc qdisc del dev va clsact"), 0);

	/* theirs holds our handle and priority: no attach, no detach */
	other_tc_attach(ifindex, BPF_TC_INGRESS, SL_TC_HANDLE, SL_TC_PRIORITY);
	assert_int_equal(sl_attach(ifindex, progs.tc_ok, SL_MODE_TC, &a, err,
				   sizeof(err)),
			 -EEXIST);
	snprintf(
		msg, sizeof(msg),
		"va: tc filter handle 0x51 prio 81 is taken by program other (id %u)",
		other);
	assert_string_equal(err, msg);
	memset(&mine, 0, sizeof(mine));
	mine.ifindex = ifindex;
	mine.mode = SL_MODE_TC;
	mine.created_clsact = true;
	mine.prog_id = prog_id(progs.tc_ok);
	assert_int_equal(sl_detach(&mine, err, sizeof(err)), -ENOENT);
	snprintf(msg, sizeof(msg), "va: tc program id %u is not attached",
		 mine.prog_id);
	assert_string_equal(err, msg);
	assert_int_equal(tc_prog_at(ifindex, SL_TC_HANDLE, SL_TC_PRIORITY),
			 other);
	assert_int_equal(sl_attach_replace(&mine, progs.tc_ok2, err,
					   sizeof(err)),
			 -ENOENT);
	assert_int_equal(tc_prog_at(ifindex, SL_TC_HANDLE, SL_TC_PRIORITY),
			 other);
	assert_true(has_clsact("va"));
}

static void test_tc_replace(void **state)
{
	struct sl_attachment a, stale, found;
	char err[SL_ERR_LEN] = "";
	int ifindex = ifx("va");
	__u32 ok2 = prog_id(progs.tc_ok2);

	assert_int_equal(sl_attach(ifindex, progs.tc_ok, SL_MODE_TC, &a, err,
				   sizeof(err)),
			 0);
	stale = a;
	assert_int_equal(sl_attach_replace(&a, progs.tc_ok2, err, sizeof(err)),
			 0);
	assert_int_equal(a.prog_id, ok2);
	assert_true(a.created_clsact);
	assert_int_equal(tc_prog_at(ifindex, SL_TC_HANDLE, SL_TC_PRIORITY),
			 ok2);
	assert_int_equal(sl_attach_query(ifindex, "sl_test", &found), 0);
	assert_int_equal(found.prog_id, ok2);
	assert_int_equal(sl_attach_replace(&stale, progs.tc_ok, err,
					   sizeof(err)),
			 -ENOENT);
	assert_int_equal(sl_attach_replace(&a, progs.xdp_pass, err,
					   sizeof(err)),
			 -EINVAL);
	assert_int_equal(tc_prog_at(ifindex, SL_TC_HANDLE, SL_TC_PRIORITY),
			 ok2);
	assert_int_equal(sl_detach(&a, err, sizeof(err)), 0);
	assert_false(has_clsact("va"));
}

/* A restarted daemon finds its attachments and keeps them. */
static void test_adopt(void **state)
{
	struct sl_attachment a, t, found;
	char err[SL_ERR_LEN] = "";
	int ifindex = ifx("va");
	bool created;

	assert_int_equal(sl_attach(ifindex, progs.xdp_pass, SL_MODE_GENERIC, &a,
				   err, sizeof(err)),
			 0);
	assert_int_equal(sl_attach(ifindex, progs.tc_ok, SL_MODE_TC, &t, err,
				   sizeof(err)),
			 0);
	created = t.created_clsact;
	assert_true(created);

	/* restart: nothing remembered but the clsact flag */
	memset(&a, 0, sizeof(a));
	memset(&t, 0, sizeof(t));
	assert_int_equal(sl_attach_query(ifindex, "sl_test", &found), 0);
	assert_int_equal(found.mode, SL_MODE_GENERIC);
	assert_int_equal(found.prog_id, prog_id(progs.xdp_pass));
	assert_false(found.created_clsact);
	assert_int_equal(xdp_prog_at(ifindex, NULL), found.prog_id);
	assert_int_equal(sl_detach(&found, err, sizeof(err)), 0);
	assert_int_equal(xdp_prog_at(ifindex, NULL), 0);

	/* with XDP gone the query finds the tc filter */
	assert_int_equal(sl_attach_query(ifindex, "sl_test", &found), 0);
	assert_int_equal(found.mode, SL_MODE_TC);
	assert_int_equal(found.prog_id, prog_id(progs.tc_ok));
	found.created_clsact = created;
	assert_int_equal(sl_detach(&found, err, sizeof(err)), 0);
	assert_false(has_clsact("va"));
	assert_int_equal(sl_attach_query(ifindex, "sl_test", &found), -ENOENT);
}

struct ev {
	int event, ifindex;
	unsigned int flags;
	char name[IF_NAMESIZE];
};

static struct {
	struct ev v[4096];
	int n;
} evlog;

static void on_link(void *arg, int event, int ifindex, const char *ifname,
		    unsigned int flags)
{
	struct ev *e;

	assert_ptr_equal(arg, &evlog);
	assert_true(evlog.n < (int)(sizeof(evlog.v) / sizeof(evlog.v[0])));
	e = &evlog.v[evlog.n++];
	e->event = event;
	e->ifindex = ifindex;
	e->flags = flags;
	snprintf(e->name, sizeof(e->name), "%s", ifname);
}

/* The last event for ifindex of that kind (and name, if given). */
static const struct ev *ev_find(int event, int ifindex, const char *name)
{
	int i;

	for (i = evlog.n - 1; i >= 0; i--)
		if (evlog.v[i].event == event &&
		    evlog.v[i].ifindex == ifindex &&
		    (!name || !strcmp(evlog.v[i].name, name)))
			return &evlog.v[i];
	return NULL;
}

/* Read events until ev_find(event, ifindex, name), for up to 5 s. */
static const struct ev *ev_wait(struct sl_linkmon *m, int event, int ifindex,
				const char *name)
{
	struct pollfd p = { .fd = sl_linkmon_fd(m), .events = POLLIN };
	const struct ev *e;
	int i;

	for (i = 0; i < 50; i++) {
		e = ev_find(event, ifindex, name);
		if (e)
			return e;
		if (poll(&p, 1, 100) > 0)
			assert_true(sl_linkmon_read(m) >= 0);
	}
	return ev_find(event, ifindex, name);
}

static void test_netlink_monitor(void **state)
{
	struct sl_linkmon *m;
	const struct ev *e;
	int err = 0, va = ifx("va"), vb = ifx("vb"), i0, i1, br, i;

	m = sl_linkmon_open(on_link, &evlog, &err);
	assert_non_null(m);
	assert_int_equal(err, 0);
	assert_true(fcntl(sl_linkmon_fd(m), F_GETFL) & O_NONBLOCK);
	evlog.n = 0;
	assert_int_equal(sl_linkmon_read(m), 0);
	assert_int_equal(evlog.n, 0);

	/* the links there now */
	assert_int_equal(sl_linkmon_dump(m), 0);
	e = ev_find(SL_LINK_NEW, 1, "lo");
	assert_non_null(e);
	assert_true(e->flags & IFF_UP);
	assert_non_null(ev_find(SL_LINK_NEW, va, "va"));
	assert_non_null(ev_find(SL_LINK_NEW, vb, "vb"));
	for (i = 0; i < evlog.n; i++)
		assert_int_equal(evlog.v[i].event, SL_LINK_NEW);

	/* created */
	evlog.n = 0;
	assert_int_equal(sh("ip link add nl0 type veth peer name nl1"), 0);
	i0 = ifx("nl0");
	i1 = ifx("nl1");
	assert_non_null(ev_wait(m, SL_LINK_NEW, i0, "nl0"));
	assert_non_null(ev_wait(m, SL_LINK_NEW, i1, "nl1"));
	e = ev_find(SL_LINK_NEW, i0, "nl0");
	assert_false(e->flags & IFF_UP);

	/* renamed: NEW, same ifindex, new name */
	evlog.n = 0;
	assert_int_equal(sh("ip link set nl0 name nl2"), 0);
	assert_int_equal(ifx("nl2"), i0);
	assert_non_null(ev_wait(m, SL_LINK_NEW, i0, "nl2"));
	assert_null(ev_find(SL_LINK_DEL, i0, NULL));

	/* up: the flags follow */
	evlog.n = 0;
	assert_int_equal(sh("ip link set nl2 up"), 0);
	e = ev_wait(m, SL_LINK_NEW, i0, "nl2");
	assert_non_null(e);
	assert_true(e->flags & IFF_UP);

	/* a port joining and leaving a bridge is no link going away */
	assert_int_equal(sh("ip link add br7 type bridge"), 0);
	br = ifx("br7");
	evlog.n = 0;
	assert_int_equal(sh("ip link set nl1 master br7 && "
			    "ip link set nl1 nomaster && ip link del br7"),
			 0);
	assert_non_null(ev_wait(m, SL_LINK_DEL, br, "br7"));
	assert_null(ev_find(SL_LINK_DEL, i1, NULL));
	assert_int_equal(ifx("nl1"), i1);

	/* deleted: both ends of the pair */
	evlog.n = 0;
	assert_int_equal(sh("ip link del nl2"), 0);
	assert_non_null(ev_wait(m, SL_LINK_DEL, i0, "nl2"));
	assert_non_null(ev_wait(m, SL_LINK_DEL, i1, "nl1"));
	assert_null(ev_find(SL_LINK_DEL, va, NULL));
	assert_null(ev_find(SL_LINK_DEL, vb, NULL));
	assert_int_equal(sl_linkmon_overruns(m), 0);
	sl_linkmon_close(m);
}

/* Dropped notifications: a re-dump reports what was missed. */
static void test_netlink_overrun(void **state)
{
	struct sl_linkmon *m;
	int err = 0, small = 1, gone, last, i;
	char name[IF_NAMESIZE];

	m = sl_linkmon_open(on_link, &evlog, &err);
	assert_non_null(m);
	assert_int_equal(sh("ip link add ov0 type bridge"), 0);
	gone = ifx("ov0");
	evlog.n = 0;
	assert_int_equal(sl_linkmon_dump(m), 0);
	assert_non_null(ev_find(SL_LINK_NEW, gone, "ov0"));
	while (sl_linkmon_read(m) > 0)
		;

	/* the smallest buffer fills at once; ov0's deletion is dropped */
	assert_int_equal(setsockopt(sl_linkmon_fd(m), SOL_SOCKET, SO_RCVBUF,
				    &small, sizeof(small)),
			 0);
	assert_int_equal(sh("for i in $(seq 1 40); do "
			    "ip link add ovx$i type bridge || exit 1; done"),
			 0);
	assert_int_equal(sh("ip link del ov0"), 0);
	last = ifx("ovx40");

	evlog.n = 0;
	assert_non_null(ev_wait(m, SL_LINK_DEL, gone, "ov0"));
	assert_true(sl_linkmon_overruns(m) >= 1);
	assert_non_null(ev_find(SL_LINK_NEW, last, "ovx40"));
	for (i = 1; i <= 40; i++) {
		snprintf(name, sizeof(name), "ovx%d", i);
		assert_null(ev_find(SL_LINK_DEL, ifx(name), NULL));
	}
	sl_linkmon_close(m);
	assert_int_equal(sh("for i in $(seq 1 40); do "
			    "ip link del ovx$i || exit 1; done"),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_missing_interface,
						veth_setup, veth_teardown),
		cmocka_unit_test_setup_teardown(test_wrong_program_type,
						veth_setup, veth_teardown),
		cmocka_unit_test_setup_teardown(test_xdp_native, veth_setup,
						veth_teardown),
		cmocka_unit_test_setup_teardown(test_xdp_generic, veth_setup,
						veth_teardown),
		cmocka_unit_test_setup_teardown(test_xdp_auto_veth, veth_setup,
						veth_teardown),
		cmocka_unit_test_setup_teardown(test_xdp_auto_bridge,
						veth_setup, veth_teardown),
		cmocka_unit_test_setup_teardown(test_pick_veth_synproxy,
						veth_setup, veth_teardown),
		cmocka_unit_test_setup_teardown(test_xdp_skip_dispatcher,
						veth_setup, veth_teardown),
		cmocka_unit_test_setup_teardown(test_xdp_others_left_alone,
						veth_setup, veth_teardown),
		cmocka_unit_test_setup_teardown(test_xdp_replace, veth_setup,
						veth_teardown),
		cmocka_unit_test_setup_teardown(test_tc_creates_clsact,
						veth_setup, veth_teardown),
		cmocka_unit_test_setup_teardown(test_tc_keeps_existing_clsact,
						veth_setup, veth_teardown),
		cmocka_unit_test_setup_teardown(test_tc_others_left_alone,
						veth_setup, veth_teardown),
		cmocka_unit_test_setup_teardown(test_tc_replace, veth_setup,
						veth_teardown),
		cmocka_unit_test_setup_teardown(test_adopt, veth_setup,
						veth_teardown),
		cmocka_unit_test_setup_teardown(test_netlink_monitor,
						veth_setup, netlink_teardown),
		cmocka_unit_test_setup_teardown(test_netlink_overrun,
						veth_setup, netlink_teardown),
		/* last: mounts bpffs, which libxdp then keeps using */
		cmocka_unit_test_setup_teardown(test_xdp_bpffs, veth_setup,
						veth_teardown),
	};

	if (geteuid()) {
		printf("1..0 # SKIP needs root (namespaces, BPF, links)\n");
		return 0;
	}
	return cmocka_run_group_tests_name("attach", tests, group_setup,
					   group_teardown);
}
