/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What sluiced does, without the process around it (options, signals,
 * the event loop, logging's destination: see main.c).
 *
 * State and where it lives:
 *   - the data plane's maps, pinned under pin_dir: sets, interface slots
 *     with their policy, counters, the compiled rule set;
 *   - attachments, in the kernel;
 *   - the rule list in source form (what "rule list" prints, and what a
 *     reload merges with), in one more map pinned beside the others,
 *     sl_ctl_rules: prio -> the rule's text and where it came from.  It
 *     lives and dies with the maps it describes: removing pin_dir resets
 *     everything at once, and nothing survives that should not.
 *   - per interface slot, user space's byte of struct sluice_iface (flags)
 *     holds what the daemon must know after a restart: attach wanted and
 *     in which mode, attached now, the clsact qdisc ours, and whether the
 *     attachment and the policy came from the configuration file.
 *
 * The configuration file is the base and the CLI changes it at run time.
 * Start and reload apply the file: its sets get exactly its prefixes, its
 * interfaces its policy (pass when it names none) and its attachments,
 * and the rule list becomes the file's rules plus the rules added at run
 * time whose priorities the file does not use (a file rule takes over a
 * run-time rule of the same priority, and the reply says so).  What the
 * file no longer names goes: its rules, the policies it set, attachments
 * it made.  Sets it no longer names are kept, with their prefixes.
 *
 * Interfaces are followed by name and by ifindex:
 *   - deleted: the slot forgets the ifindex and waits; the same name
 *     appearing again is attached again (netlink, within the second);
 *   - renamed: the slot follows the ifindex (the kernel keeps the program
 *     on it), so the attachment, policy and counters carry on under the
 *     new name, and "in OLD" rules become "in NEW" rules.  Should a slot
 *     for NEW exist already (configured, waiting), that slot takes the
 *     interface over and the old one waits for its name to come back.
 *   A reload applies the file to the names it gives.
 */
#ifndef __SLUICE_DAEMON_H
#define __SLUICE_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

#include "ctl.h"

#define SL_CONFIG_DEFAULT "/etc/sluice/sluice.conf"

/* prio is a syslog priority (LOG_ERR, LOG_INFO, ...). */
typedef void (*sl_log_fn)(void *arg, int prio, const char *msg);

struct sl_daemon_opts {
	const char *config;
	const char *pin_dir;
	sl_log_fn log;
	void *log_arg;
	/* For "status": how many clients are connected. */
	unsigned int (*nclients)(void *arg);
	void *nclients_arg;
};

struct sl_daemon;

/*
 * Load the data plane adopting what is pinned, adopt the attachments,
 * start the link monitor and apply the configuration.  A configuration
 * with an error fails the start (err names FILE:LINE) and changes
 * nothing that packets see.
 */
int sl_daemon_open(const struct sl_daemon_opts *opts, struct sl_daemon **d,
		   char *err, size_t errlen);
/* Lets go of everything but what must outlive it: pins, attachments. */
void sl_daemon_close(struct sl_daemon *d);

/*
 * Pin again what is no longer pinned (sluiced does so on every tick);
 * NULL when everything is pinned, else why it cannot be.
 */
const char *sl_daemon_pin_error(struct sl_daemon *d);

/* The link monitor's socket, and what to call when it is readable. */
int sl_daemon_link_fd(const struct sl_daemon *d);
void sl_daemon_link_read(struct sl_daemon *d);

/*
 * Twice a second: attachments are compared with the kernel's hooks, and
 * those that failed are tried again.
 */
void sl_daemon_tick(struct sl_daemon *d);

/* Re-read the configuration (SIGHUP, "reload"); err names FILE:LINE. */
int sl_daemon_reload(struct sl_daemon *d, struct sl_ctl_result *res);

/*
 * The Prometheus text of everything counted (user/lib/metrics.h), for
 * the HTTP endpoint and "metrics": *text is malloc'd, *len its length.
 */
int sl_daemon_metrics(struct sl_daemon *d, bool per_cpu, char **text,
		      size_t *len);

/* The control socket's handler: one command. */
int sl_daemon_exec(void *d, int argc, char **argv, int fd,
		   struct sl_ctl_result *res);

/* A connection that held a capture is gone: the capture ends. */
void sl_capture_closed(struct sl_daemon *d, unsigned long conn);

#endif /* __SLUICE_DAEMON_H */
