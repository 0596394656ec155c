/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control protocol between sluiced and its clients (the sluice CLI,
 * scripts, tests).
 *
 * Transport: a Unix stream socket, by default /run/sluice/sluiced.sock,
 * mode 0660, owner root, group "sluice": root and members of the group
 * get in, nobody else.  Any number of requests per connection, answered
 * in order, one reply per request.
 *
 * Framing: one JSON object per line, '\n' terminated, UTF-8.  Blank lines
 * are ignored.
 *
 * Request:
 *
 *	{"argv": ["rule", "add", "10", "src", "10.0.0.0/8", "drop"]}
 *
 *   argv   the command words exactly as they follow "sluice" on the
 *          command line (without -s or -j); see DESIGN.md for the surface.
 *   fd     true when the request carries an open file descriptor
 *          (SCM_RIGHTS, in the same sendmsg() as the line).  Only
 *          "set load NAME FILE" (and "rule replace-range", "flowspec
 *          report") take one: the client opens FILE itself
 *          and passes it, so the daemon never opens a client's path with
 *          its own privileges; FILE in argv only names it in messages.
 *          It must be a regular file (the CLI copies a pipe into a memfd).
 *   id     optional, a string (valid UTF-8) or an integer of at most
 *          53 bits (what every JSON reader keeps exact): echoed in the
 *          reply.  Any other id is refused, and not echoed.
 *
 * A reply may carry a descriptor too (SCM_RIGHTS, with its first byte):
 * only "capture" sends one, the ring its packets come through.
 *
 * Reply:
 *
 *	{"ok": true, "data": DATA}
 *	{"ok": false, "error": "one line naming what was wrong"}
 *
 * Limits: a request line is at most SL_CTL_LINE_MAX bytes (a longer one
 * gets an error reply and the connection is closed); a connection that
 * does not complete its next request within SL_CTL_TIMEOUT_S seconds of
 * the last reply (or of connecting), or does not read a pending reply for
 * as long, is closed; at most SL_CTL_MAX_CLIENTS connections (one more is
 * told "too many clients" and closed); the daemon reads a connection's
 * next request only once its previous reply is written, so a client that
 * does not read its replies holds at most one.  Malformed JSON gets an
 * error reply and the connection stays usable.
 *
 * DATA per command (counters are {"packets": N, "bytes": N}; names of
 * actions, reasons, hooks and modes are those of the command surface):
 *
 *   attach   {"ifname", "ifindex", "hook": "xdp"|"tc",
 *             "mode": "native"|"generic"|"tc", "prog_id",
 *             "multiprog": bool, "already": bool}
 *   detach   {"ifname"}
 *   policy   {"ifname", "policy"}
 *   rule add {"prio", "rule": "10 src 10.0.0.0/8 drop"}
 *   rule del {"prio"}
 *   rule list
 *            [{"prio", "rule": TEXT, "action", "origin": "config"|"runtime",
 *              "packets", "bytes"}], ordered by prio.  TEXT is the rule as
 *            "rule add" takes it, without "rule add".
 *   set add  {"set", "added", "entries4", "entries6"}
 *   set del / set flush
 *            {"set", "removed", "entries4", "entries6"}
 *   set load {"set", "entries4", "entries6", "previous4", "previous6"}:
 *            the set now holds exactly the file's prefixes (changed in
 *            place: prefixes in both the old and new content never leave
 *            it); previous*: the counts before.
 *   set list [{"set", "entries4", "entries6"}]
 *   set list NAME
 *            {"set", "entries4", "entries6", "prefixes": ["10.0.0.0/8", ...]}
 *   stats    {"time_ns": monotonic sampling time, "ncpus",
 *             "interfaces": [{"ifname" (null for slot 0: packets of
 *               interfaces sluice does not know), "slot", "hook",
 *               "attached": at this hook now, "mode" (when attached:
 *               "native"|"generic"|"tc"),
 *               "actions": {ACTION: COUNTER...}, "reasons": {REASON: COUNTER...}}],
 *             "rules": [{"prio", "rule": TEXT, "action", "packets", "bytes"}]}
 *            One entry per interface and hook that is attached or has
 *            counted anything; every action and reason is present; rules
 *            ordered by prio.  "stats --per-cpu": every counter also has
 *            "per_cpu": [COUNTER...], one per CPU (index = CPU number),
 *            from the same snapshot as the sum.
 *   status   {"version", "config", "pin_dir", "uptime_s", "clients",
 *             "programs": {"xdp": ID, "tc": ID},
 *             "interfaces": [{"ifname", "slot", "ifindex" (0: absent),
 *               "present", "attached", "wanted" (attach asked for: it is
 *               attached again when the interface comes back), "hook",
 *               "mode", "requested_mode", "prog_id" (null when not
 *               attached), "multiprog", "policy",
 *               "origin": "config"|"runtime", "error" (only after a
 *               failed attach: the last reason)}],
 *             "rules": {"count", "index_entries", "index_entries_max",
 *               "unindexed"},
 *             "sets": [{"set", "entries4", "entries6"}],
 *             "maps": {"slots", "slots_max", "sets", "sets_max",
 *               "prefixes4", "prefixes6", "prefixes_max"},
 *             "flowspec" (once "sluice flowspec" reported): {"range",
 *               "received", "installed", "refused",
 *               "refused_by_reason": {REASON: N...}, "updates", "peers",
 *               "peers_up", "reported_s_ago",
 *               "routes": [{"prio", "rules", "packets", "bytes"}]}}
 *   metrics  "TEXT": the Prometheus text exposition, a JSON string, the
 *            same as sluiced -m serves at /metrics ("metrics --per-cpu":
 *            with a "cpu" label, as /metrics?per_cpu=1).
 *   capture  {"capture": SLOT, "interfaces": [IFNAME...], "snaplen",
 *             "rate", "ring_bytes"} and the capture's ring (a BPF ring
 *             buffer of struct sluice_cap_rec records) as a descriptor.
 *             The connection then has no deadline and holds the capture:
 *             the capture ends when the client closes it (or dies).
 *             "stats" on that connection lists it under "captures".
 *   flowspec report
 *            {"routes"}: sent by "sluice flowspec" with a descriptor of
 *            JSON {"lo", "hi", "received", "installed", "updates",
 *            "peers", "peers_up", "refused": {REASON: N...},
 *            "routes": [[PRIO, RULES]...]}, REASON one of sl_fs_reasons;
 *            kept in memory for "status" and "metrics".  Not a command
 *            of the grammar: the CLI's "flowspec" sends it.
 *   reload   {"config", "rules" (all rules now, the file's and run-time
 *             ones), "sets", "interfaces" (those the file names),
 *             "notes": [TEXT...]}
 *            notes: what was applied with a remark (an interface not
 *            present yet, a runtime rule the file took over, ...).
 *
 * How the file and run-time changes combine, and where state lives
 * across restarts: see daemon.h.
 */
#ifndef __SLUICE_CTL_H
#define __SLUICE_CTL_H

#include <stdbool.h>
#include <stddef.h>

struct json_object;

#define SL_CTL_SOCKET "/run/sluice/sluiced.sock"
#define SL_CTL_GROUP "sluice"
#define SL_CTL_LINE_MAX (1 << 20)
#define SL_CTL_TIMEOUT_S 10
#define SL_CTL_MAX_CLIENTS 64
/* Descriptors a connection may have queued for its next requests. */
#define SL_CTL_MAX_FDS 4
/* Largest reply the daemon builds, and the most it holds for all clients. */
#define SL_CTL_REPLY_MAX (256u << 20)
#define SL_CTL_OUT_TOTAL_MAX (512u << 20)
#define SL_CTL_ERR_LEN 1024
#define SL_CTL_ARGV_MAX 4096

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "0.1.0"
#endif

/* Client side. */

/* Connect to the daemon's socket: the fd, or -errno with a message. */
int sl_ctl_connect(const char *path, char *err, size_t errlen);

/*
 * One request and its reply.  pass_fd >= 0 is sent along (SCM_RIGHTS).
 * 0: *data is the reply's data (the caller puts it; may be NULL for a
 * JSON null).  -EREMOTEIO: the daemon refused and err holds its message.
 * Other -errno: the connection failed; err says how.
 */
int sl_ctl_call(int fd, int argc, char **argv, int pass_fd,
		struct json_object **data, char *err, size_t errlen);
/* The same, keeping a descriptor the reply carries in *recv_fd (or -1). */
int sl_ctl_call_fd(int fd, int argc, char **argv, int pass_fd, int *recv_fd,
		   struct json_object **data, char *err, size_t errlen);

/* Server side: what a command handler hands back. */
struct sl_ctl_job;

struct sl_ctl_result {
	struct json_object *data; /* owned; NULL means JSON null */
	char *raw; /* or the data as JSON text already (malloc'd) */
	size_t rawlen;
	struct sl_ctl_job *job; /* or a job answering later (ctl_server.h) */
	char err[SL_CTL_ERR_LEN]; /* when the handler fails */
	/* In: the connection, for what lives as long as it (a capture). */
	unsigned long conn;
	/* Out: a descriptor sent with the reply and then closed, or -1. */
	int pass_fd;
	/* Out: no deadline for the connection from now on (a capture). */
	bool hold;
};

/* Monotonic clock, milliseconds and nanoseconds. */
unsigned long long sl_ctl_now_ms(void);
unsigned long long sl_ctl_now_ns(void);

#endif /* __SLUICE_CTL_H */
