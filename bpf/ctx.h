/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The two hooks in one vocabulary.  The pipeline sees a struct sl_ctx and
 * returns an enum sluice_action; each entry fills the one and maps the
 * other onto its own return codes.
 */
#ifndef __SLUICE_CTX_H
#define __SLUICE_CTX_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include <sluice/abi.h>

#define SL_TC_ACT_OK 0
#define SL_TC_ACT_SHOT 2
#define SL_TC_ACT_REDIRECT 7

/* Enough for two VLAN tags, IPv6 with a few extension headers, and TCP. */
#define SL_TC_PULL_LEN 256

struct sl_ctx {
	void *raw; /* the hook's own context, for helpers */
	void *data; /* the linear part: all of it direct access can see */
	void *data_end;
	__u32 ifindex;
	__u32 len; /* the whole frame, fragments or paged data included */
	__u32 gso_size; /* an skb aggregate of segments this long, or 0 */
	__u16 meta_vlan; /* outer tag the stack already took off */
	bool has_meta_vlan;
	enum sluice_hook hook;
};

/* The kernel's own context behind a hook's (xdp_buff, sk_buff). */
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

static __always_inline void sl_ctx_from_xdp(struct sl_ctx *c,
					    struct xdp_md *xdp)
{
	const struct xdp_buff *x = bpf_cast_to_kern_ctx(xdp);

	c->raw = xdp;
	c->data = (void *)(long)xdp->data;
	c->data_end = (void *)(long)xdp->data_end;
	c->ifindex = xdp->ingress_ifindex;
	/*
	 * A multi-buffer frame (a jumbo frame, or any frame over a page) has
	 * page fragments past data_end: lengths are judged, and bytes
	 * counted, on the whole of it.  The helper is a call the verifier
	 * does not inline (1 to 2 ns): a frame without fragments, which the
	 * kernel flags, is data_end - data.
	 */
	c->len = x->flags & XDP_FLAGS_HAS_FRAGS ? bpf_xdp_get_buff_len(xdp) :
						  c->data_end - c->data;
	c->gso_size = 0;
	c->meta_vlan = 0;
	c->has_meta_vlan = false;
	c->hook = SLUICE_HOOK_XDP;
}

static __always_inline void sl_ctx_from_skb(struct sl_ctx *c,
					    struct __sk_buff *skb)
{
	__u32 linear = skb->data_end - skb->data;
	__u32 len = skb->len;

	/* Headers in paged data are invisible to direct access: pull them. */
	if (linear < SL_TC_PULL_LEN && len > linear)
		bpf_skb_pull_data(skb,
				  len < SL_TC_PULL_LEN ? len : SL_TC_PULL_LEN);
	/*
	 * Keep clang from reusing the field addresses computed above: the
	 * verifier only accepts ctx loads at constant offsets from skb.
	 */
	asm volatile("" : "+r"(skb));
	c->raw = skb;
	c->data = (void *)(long)skb->data;
	c->data_end = (void *)(long)skb->data_end;
	c->ifindex = skb->ifindex;
	c->len = len;
	c->gso_size = skb->gso_size;
	/* The stack moves the outer tag into the skb before tc ingress. */
	c->has_meta_vlan = skb->vlan_present;
	c->meta_vlan = skb->vlan_tci & 0x0fff;
	c->hook = SLUICE_HOOK_TC;
}

/* The hook's return codes for the final actions. */
static __always_inline int sl_ret_pass(const struct sl_ctx *c)
{
	return c->hook == SLUICE_HOOK_XDP ? XDP_PASS : SL_TC_ACT_OK;
}

static __always_inline int sl_ret_drop(const struct sl_ctx *c)
{
	return c->hook == SLUICE_HOOK_XDP ? XDP_DROP : SL_TC_ACT_SHOT;
}

#endif /* __SLUICE_CTX_H */
