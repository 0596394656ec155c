/* SPDX-License-Identifier: GPL-2.0-only */
/* What the daemon's modules share privately (daemon*.c). */
#ifndef __SLUICE_DAEMON_INT_H
#define __SLUICE_DAEMON_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>
#include <sluice/abi.h>

#include "attach.h"
#include "config.h"
#include "daemon.h"
#include "dataplane.h"
#include "grammar.h"
#include "metrics.h"
#include "netlink.h"

/*
 * User space's byte of struct sluice_iface (flags).  The obtained XDP mode
 * is not kept: the kernel says it (sl_attach_query).
 */
#define SL_IFF_REQ_MASK 0x03 /* requested mode: enum sl_attach_mode */
#define SL_IFF_WANTED 0x04 /* attach asked for: follow the name */
#define SL_IFF_ATTACHED 0x08 /* our program is on ifindex, at hook */
#define SL_IFF_CLSACT 0x10 /* tc: sluice created the clsact qdisc */
#define SL_IFF_ATTACH_CFG 0x20 /* the attach came from the file */
#define SL_IFF_POLICY_CFG 0x40 /* the policy came from the file */

#define SL_STORE_NAME "sl_ctl_rules"

enum sl_origin {
	SL_ORIGIN_RUNTIME,
	SL_ORIGIN_CONFIG,
};

struct sl_rent {
	struct sl_rule rule;
	enum sl_origin origin;
};

/* A value of the pinned rule store. */
struct sl_store_rec {
	__u32 origin;
	char text[SL_RULE_FMT_LEN];
};

/*
 * What the daemon remembers of a slot while it runs.  The attachment is
 * cached because asking the kernel through libxdp 1.3 leaks a program
 * fd per question (xdp-tools issue 343): "status" must not ask.
 */
struct sl_slot_rt {
	struct sl_attachment att; /* valid when att.ifindex is the slot's */
	char err[SL_ERR_LEN]; /* last attach failure: retries log news only */
	unsigned long long next_try_ms; /* retries back off to a minute */
	unsigned int fails;
	__u32 holder; /* another program holds our hook: its id, not fought */
};

/* A capture slot and the connection holding it (capture.c). */
struct sl_cap_hold {
	unsigned long conn; /* 0: free */
	struct sluice_cap_counters base; /* the slot's counters at its start */
	struct json_object *desc; /* what it chose, for "stats" */
};

struct sl_daemon {
	struct sl_dp *dp;
	char config[PATH_MAX];
	char pin_dir[PATH_MAX];
	sl_log_fn log;
	void *log_arg;
	unsigned int (*nclients)(void *arg);
	void *nclients_arg;
	unsigned long long started_ms;

	__u32 prog_id[SLUICE_HOOK__MAX];
	char prog_name[SLUICE_HOOK__MAX][16];

	struct sl_rent *rules; /* sorted by prio */
	size_t nrules;
	int store_fd;

	struct sl_linkmon *lm;
	struct sl_fibcache *fc; /* forward's next-hop cache */
	char pin_err[SL_ERR_LEN]; /* the pins cannot be put back: why */
	struct sl_slot_rt rt[SLUICE_MAX_IFACES];
	/* Our hook found held by another program, per slot, since start. */
	unsigned long long conflicts[SLUICE_MAX_IFACES];

	struct sl_cap_hold cap[SLUICE_CAP_SLOTS];

	struct sl_fs_report *fs; /* "sluice flowspec"'s last report, or NULL */
};

void sl_dlog(struct sl_daemon *d, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A note for the reply (a JSON array of strings) that is logged too. */
void sl_dnote(struct json_object *notes, struct sl_daemon *d, const char *fmt,
	      ...) __attribute__((format(printf, 3, 4)));

/* JSON helpers: each adds to obj, ignoring allocation failure of one. */
void sl_json_add_str(struct json_object *obj, const char *key, const char *s);
void sl_json_add_int(struct json_object *obj, const char *key, long long v);
void sl_json_add_bool(struct json_object *obj, const char *key, bool v);
struct json_object *sl_json_counter(unsigned long long packets,
				    unsigned long long bytes);

/* rules.c: the rule list and its pinned store. */
int sl_rules_open(struct sl_daemon *d, char *err, size_t errlen);
void sl_rules_close(struct sl_daemon *d);
/* Sort list by prio, refuse a prio given twice, and take out the rules. */
int sl_rules_of(struct sl_rent *list, size_t n, struct sl_rule **out, char *err,
		size_t errlen);
/* The data plane runs list (sorted, n entries): keep it and store it. */
void sl_rules_published(struct sl_daemon *d, struct sl_rent *list, size_t n);
/* Rewrite "in old" as "in new" after a rename (same slot, no recompile). */
void sl_rules_rename_iface(struct sl_daemon *d, const char *old,
			   const char *new);
/* A rule as replies show it: sl_rule_format() without "rule add". */
const char *sl_rule_text(const struct sl_rule *r, char *buf, size_t len);
int sl_rules_cmd(struct sl_daemon *d, const struct sl_cmd *cmd,
		 struct sl_ctl_result *res);
/* "rule replace-range LO HI FILE": the file (fd) holds the new rules. */
int sl_rules_replace(struct sl_daemon *d, const struct sl_cmd *cmd, int fd,
		     struct sl_ctl_result *res);

/* daemon_sets.c */
int sl_sets_cmd(struct sl_daemon *d, const struct sl_cmd *cmd, int fd,
		struct sl_ctl_result *res);
struct json_object *sl_sets_json(struct sl_daemon *d);

/* daemon_iface.c */
int sl_ifaces_adopt(struct sl_daemon *d);
void sl_ifaces_on_link(void *arg, int event, int ifindex, const char *ifname,
		       unsigned int flags);
void sl_ifaces_retry(struct sl_daemon *d);
/* Every slot's egress-down flag as the kernel has the link now. */
void sl_ifaces_link_sync(struct sl_daemon *d);
/*
 * Compare every attachment with the kernel's hooks: a program taken off
 * is attached again, one replaced by another program is let be and
 * reported.  Cheap enough for every tick: one query per attachment.
 */
void sl_ifaces_watch(struct sl_daemon *d);
/* Mode auto's pick again, after the rules or a policy changed. */
void sl_ifaces_repick(struct sl_daemon *d);
/* Give slots made for a name the ifindex of an interface already there. */
void sl_ifaces_resolve(struct sl_daemon *d);
/*
 * Apply the file's interfaces; remarks go to notes.  Errors of one
 * interface do not stop the others.
 */
void sl_ifaces_apply_config(struct sl_daemon *d, const struct sl_config *cfg,
			    struct json_object *notes);
int sl_ifaces_cmd(struct sl_daemon *d, const struct sl_cmd *cmd,
		  struct sl_ctl_result *res);
struct json_object *sl_ifaces_json(struct sl_daemon *d);
int sl_iface_slot_by_ifindex(struct sl_daemon *d, __u32 ifindex,
			     struct sluice_iface *iface);
/*
 * The slot's attachment as the daemon knows it (cached: asking the
 * kernel costs a leaked fd, see struct sl_slot_rt); false: not attached.
 */
bool sl_iface_attachment(struct sl_daemon *d, int slot,
			 const struct sluice_iface *i, struct sl_attachment *a);

/* daemon_show.c: stats and status. */
int sl_show_stats(struct sl_daemon *d, const struct sl_cmd *cmd,
		  struct sl_ctl_result *res);
int sl_show_status(struct sl_daemon *d, struct sl_ctl_result *res);

/* daemon_metrics.c: "metrics", the Prometheus text. */
int sl_show_metrics(struct sl_daemon *d, const struct sl_cmd *cmd,
		    struct sl_ctl_result *res);

/* capture.c: captures, one per client connection. */
int sl_capture_open(struct sl_daemon *d, char *err, size_t errlen);
int sl_capture_cmd(struct sl_daemon *d, const struct sl_cmd *cmd,
		   struct sl_ctl_result *res);
/* The active captures with their counters, for "stats". */
struct json_object *sl_capture_json(struct sl_daemon *d);

/* flowspec.c: "flowspec report" from "sluice flowspec", for status and metrics. */
int sl_flowspec_cmd(struct sl_daemon *d, int argc, char **argv, int fd,
		    struct sl_ctl_result *res);
/* NULL when nothing was reported. */
struct json_object *sl_flowspec_json(struct sl_daemon *d);
const struct sl_metrics_flowspec *sl_flowspec_metrics(struct sl_daemon *d);
void sl_flowspec_free(struct sl_daemon *d);

#endif /* __SLUICE_DAEMON_INT_H */
