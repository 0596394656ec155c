/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's end of the control socket: accepts clients, reads their
 * requests (see ctl.h for the protocol) and hands each to a handler.
 */
#ifndef __SLUICED_CTL_SERVER_H
#define __SLUICED_CTL_SERVER_H

#include "ctl.h"

/*
 * Run one request.  fd is the descriptor passed with it, or -1; it stays
 * the server's.  0 on success with res->data or res->raw set, or -errno
 * with res->err set.
 */
typedef int (*sl_ctl_handler)(void *arg, int argc, char **argv, int fd,
			      struct sl_ctl_result *res);

/*
 * A connection whose request set res->hold is gone (closed by the
 * client, or by the daemon on exit): conn is the res->conn it had.
 */
typedef void (*sl_ctl_closed)(void *arg, unsigned long conn);

/*
 * A request answered later: a handler whose work would hold up the
 * loop sets res->job and returns 0.  The server then reads nothing more
 * from that client and calls step once per sl_ctl_server_run() (each
 * call a slice of work of a few milliseconds), the server's fd staying
 * readable meanwhile, until step returns other than SL_CTL_JOB_MORE: 0
 * with res->data or res->raw set, or -errno with res->err.  The reply
 * goes out, and free is called.  A client that hangs up first has its
 * job freed unfinished.
 */
#define SL_CTL_JOB_MORE 1

struct sl_ctl_job {
	int (*step)(struct sl_ctl_job *job, struct sl_ctl_result *res);
	void (*free)(struct sl_ctl_job *job);
};

struct sl_ctl_server;

struct sl_ctl_server_opts {
	const char *path;
	int gid; /* group of the socket, -1 for root only (mode 0600) */
	sl_ctl_handler handler;
	sl_ctl_closed closed; /* may be NULL */
	void *arg;
};

/*
 * Listen on opts->path (an existing socket no daemon answers on is
 * replaced; one that answers is -EADDRINUSE).  The server has an epoll
 * fd of its own: poll sl_ctl_server_fd() and call sl_ctl_server_run()
 * when it is readable, and sl_ctl_server_tick() about once a second.
 */
int sl_ctl_server_open(const struct sl_ctl_server_opts *opts,
		       struct sl_ctl_server **srv, char *err, size_t errlen);
/* Closes every connection and removes the socket. */
void sl_ctl_server_close(struct sl_ctl_server *srv);
int sl_ctl_server_fd(const struct sl_ctl_server *srv);
void sl_ctl_server_run(struct sl_ctl_server *srv);
void sl_ctl_server_tick(struct sl_ctl_server *srv);
unsigned int sl_ctl_server_clients(const struct sl_ctl_server *srv);

#endif /* __SLUICED_CTL_SERVER_H */
