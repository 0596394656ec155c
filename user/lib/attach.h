/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Attach a loaded BPF program to an interface and find it there again.
 *
 * XDP goes through libxdp.  libxdp puts the program behind its multi-program
 * dispatcher where the kernel allows it and falls back to a plain
 * single-program attachment where not; both are handled here.  tc goes on
 * the clsact ingress hook as one direct-action filter at a handle and
 * priority sluice owns (SL_TC_HANDLE, SL_TC_PRIORITY).
 *
 * Nothing is pinned: attachments live in the kernel, so a restarted daemon
 * finds them with sl_attach_query() and keeps them (or swaps the program in
 * place with sl_attach_replace()) instead of attaching again.
 *
 * Errors are negative errno; when err is given it receives one line naming
 * the interface and what failed ("eth9: no such interface").
 */
#ifndef __SLUICE_ATTACH_H
#define __SLUICE_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/types.h>

#include "rule.h"

/* sluice's tc filter on clsact ingress: filters of others are left alone. */
#define SL_TC_HANDLE 0x51u
#define SL_TC_PRIORITY 0x51u

struct sl_attachment {
	int ifindex;
	enum sl_attach_mode mode; /* obtained: native, generic or tc */
	bool created_clsact; /* tc: sluice created the clsact qdisc */
	bool xdp_multiprog; /* XDP: behind libxdp's dispatcher */
	__u32 prog_id;
};

/*
 * Resolve an interface name: the ifindex, or -ENODEV ("eth9: no such
 * interface") / -EINVAL (name too long or empty).
 */
int sl_ifindex(const char *ifname, char *err, size_t errlen);

/*
 * Attach prog_fd (an XDP program for native, generic and auto; a
 * SCHED_CLS program for tc).  auto tries native, then generic, and *out
 * says which one was obtained.  The caller keeps *out (created_clsact
 * included) for sl_detach().  prog_fd stays the caller's.
 */
int sl_attach(int ifindex, int prog_fd, enum sl_attach_mode mode,
	      struct sl_attachment *out, char *err, size_t errlen);

/*
 * Detach the program recorded in *a, and nothing else: -ENOENT if a
 * different program is there now, -ENODEV if the interface is gone.  tc:
 * the clsact qdisc goes too when sluice created it and no other filter
 * is left on it.
 */
int sl_detach(const struct sl_attachment *a, char *err, size_t errlen);

/*
 * Swap the attached program of *a for prog_fd (a program of the same
 * type) in one step, XDP_FLAGS_REPLACE or BPF_TC_F_REPLACE, and update
 * a->prog_id.  -ENOENT if a->prog_id is not attached, -EEXIST if it was
 * replaced by someone else meanwhile, -EOPNOTSUPP for a program behind
 * libxdp's dispatcher (libxdp cannot swap one in place).
 */
int sl_attach_replace(struct sl_attachment *a, int prog_fd, char *err,
		      size_t errlen);

/*
 * Is a program named prog_name (compared as the kernel keeps it, 15
 * characters) attached to ifindex, by XDP (plain or behind libxdp's
 * dispatcher) or as sluice's tc filter?  0 and *found filled in, -ENOENT
 * if not, -ENODEV if there is no such interface.  found->created_clsact
 * cannot be known from the kernel and is false: keep the flag from
 * sl_attach().  XDP is reported first if both hooks have it.
 */
int sl_attach_query(int ifindex, const char *prog_name,
		    struct sl_attachment *found);

/*
 * Is the attachment *a still where sl_attach() put it?  0: yes; -ENOENT:
 * its hook is empty (someone took the program off); -EBUSY: another
 * program holds the hook now, its id in *holder; -ENODEV: no interface.
 */
int sl_attach_check(const struct sl_attachment *a, __u32 *holder);

/*
 * Native XDP on a veth breaks a port that sends frames on (forward,
 * redirect): a local sender's frames come with their checksums left to
 * "hardware" (CHECKSUM_PARTIAL) and as GSO aggregates, and an XDP frame
 * keeps neither, so they leave unfinished or not at all.  Generic XDP and
 * tc keep the skb and are correct.  See attach.c for why native cannot
 * be repaired.
 *
 * Generic XDP forwards correctly (aggregates go to the kernel) but
 * cannot redirect an aggregate at all.
 *
 * syn-proxy sends its SYN-ACKs back out with XDP_TX, which a veth puts
 * on its peer's XDP ring and wakes the peer's NAPI for only if the peer
 * runs an XDP program: a peer without one (the usual client or
 * container end) drops them, or with GRO on holds them until other
 * traffic comes.  Generic XDP and tc send an skb, which always arrives.
 *
 * sends: what the port does with frames, SL_SENDS_* bits.
 * sl_attach_pick_mode(): the mode to attach in when the user asked for
 * requested: auto becomes tc on such a port, native where it does not
 * send on (so that the pick can be undone); anything else stays.
 * sl_attach_mode_warning(): for a port attached in mode obtained, the
 * one-line warning (cause and fix) into buf, true; false when none.
 */
#define SL_SENDS_FORWARD 0x1u
#define SL_SENDS_REDIRECT 0x2u
#define SL_SENDS_SYNPROXY 0x4u

bool sl_attach_native_breaks_sending(int ifindex);
enum sl_attach_mode sl_attach_pick_mode(int ifindex,
					enum sl_attach_mode requested,
					unsigned int sends);
bool sl_attach_mode_warning(int ifindex, enum sl_attach_mode obtained,
			    unsigned int sends, char *buf, size_t len);

/* The kernel's name of program id (15 characters at most), or -errno. */
int sl_attach_prog_name(__u32 id, char name[16]);

#endif /* __SLUICE_ATTACH_H */
