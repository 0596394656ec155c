/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sluiced: the process around the daemon (daemon.h):
 * options, bpffs, the lock, the socket's group, logging, signals, and the
 * one epoll loop over the control socket, netlink, signals, a timer and,
 * with -m, the HTTP endpoint of the Prometheus text.
 *
 * SIGTERM and SIGINT end it without detaching anything: the programs stay
 * attached and the maps pinned, so packets keep flowing and the next
 * sluiced adopts them.  SIGHUP reloads the configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <linux/magic.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include <xdp/libxdp.h>

#include "ctl_server.h"
#include "daemon.h"
#include "dataplane.h"
#include "http.h"

#define BPFFS_ROOT "/sys/fs/bpf"

extern char **environ;

static struct {
	bool foreground;
	bool verbose;
	int ready_fd; /* the parent waits on it until we serve, or fail */
	struct sl_daemon *d;
	struct sl_ctl_server *srv;
	struct sl_http *http; /* -m, else NULL */
} g = { .ready_fd = -1 };

static void logmsg(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void logmsg(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio == LOG_DEBUG && !g.verbose)
		return;
	va_start(ap, fmt);
	if (g.foreground) {
		fputs("sluiced: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		vsyslog(prio, fmt, ap);
	}
	va_end(ap);
}

static void daemon_log(void *arg, int prio, const char *msg)
{
	logmsg(prio, "%s", msg);
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt,
		      va_list ap)
{
	char msg[1024];
	size_t n;

	/* Our own messages say what failed; theirs are for -v. */
	if (!g.verbose || level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	if (n && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	logmsg(LOG_DEBUG, "%s", msg);
	return 0;
}

static int libxdp_log(enum libxdp_print_level level, const char *fmt,
		      va_list ap)
{
	return libbpf_log(level == LIBXDP_DEBUG ? LIBBPF_DEBUG : LIBBPF_WARN,
			  fmt, ap);
}

/* Before we serve: tell the waiting parent why, and go. */
static void __attribute__((noreturn)) fail(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	ssize_t n;

	va_start(ap, fmt);
	sl_verr(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	logmsg(LOG_ERR, "%s", msg);
	if (g.ready_fd >= 0) {
		n = write(g.ready_fd, msg, strlen(msg));
		(void)n;
	}
	exit(1);
}

static void ready(void)
{
	ssize_t n;

	if (g.ready_fd < 0)
		return;
	n = write(g.ready_fd, "", 1);
	(void)n;
	close(g.ready_fd);
	g.ready_fd = -1;
}

/*
 * Without -f: the parent returns only once the socket answers (exit 0)
 * or the start failed (exit 1, the reason on stderr), so scripts and
 * Type=forking units can rely on the daemon being there.
 */
static void daemonize(void)
{
	char buf[2048];
	int p[2], fd;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		fail("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (pid) {
		close(p[1]);
		n = read(p[0], buf, sizeof(buf) - 1);
		if (n == 1 && !buf[0])
			_exit(0);
		if (n <= 0)
			_exit(1);
		buf[n] = '\0';
		fprintf(stderr, "sluiced: %s\n", buf);
		_exit(1);
	}
	close(p[0]);
	g.ready_fd = p[1];
	setsid();
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

static bool on_bpffs(const char *path)
{
	struct statfs sf;

	return !statfs(path, &sf) && sf.f_type == BPF_FS_MAGIC;
}

/*
 * The pin directory must be on bpffs.  /sys/fs/bpf is mounted if absent
 * ("ip netns exec" gives a fresh /sys without it); another place must be
 * a bpffs the operator mounted, or pins would vanish with our mount.
 */
static void ensure_bpffs(const char *pin_dir)
{
	char dir[4096], *slash;
	struct stat st;

	if (!strncmp(pin_dir, BPFFS_ROOT "/", sizeof(BPFFS_ROOT)) &&
	    !on_bpffs(BPFFS_ROOT)) {
		if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700"))
			fail("cannot mount bpffs on %s: %s", BPFFS_ROOT,
			     strerror(errno));
		logmsg(LOG_INFO, "mounted bpffs on %s", BPFFS_ROOT);
	}
	snprintf(dir, sizeof(dir), "%s", pin_dir);
	while (stat(dir, &st)) {
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			break;
		*slash = '\0';
	}
	if (!on_bpffs(dir))
		fail("%s is not on a bpf filesystem (mount -t bpf bpf DIR)",
		     pin_dir);
}

/* One daemon per pin directory: two would fight over the slots. */
static int lock_fd = -1;

static int lock_dir(const char *pin_dir)
{
	int fd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int ret = errno == EWOULDBLOCK ? -EBUSY : -errno;

		close(fd);
		return ret;
	}
	if (lock_fd >= 0)
		close(lock_fd);
	lock_fd = fd;
	return 0;
}

static void lock_pins(const char *pin_dir)
{
	char path[4096], *p;
	int ret;

	snprintf(path, sizeof(path), "%s", pin_dir);
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0700);
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		fail("cannot create %s: %s", pin_dir, strerror(errno));
	/* Held (and the fd kept) for the life of the process. */
	ret = lock_dir(pin_dir);
	if (ret)
		fail("%s: %s", pin_dir,
		     ret == -EBUSY ? "another sluiced uses it" :
				     strerror(-ret));
}

/*
 * The lock is on the directory's inode: when the directory was removed
 * and made again (the daemon pins into the new one), lock the new one.
 */
static void relock_pins(const char *pin_dir)
{
	struct stat now, held;
	int ret;

	if (stat(pin_dir, &now) || fstat(lock_fd, &held) ||
	    (now.st_dev == held.st_dev && now.st_ino == held.st_ino))
		return;
	ret = lock_dir(pin_dir);
	if (ret)
		logmsg(LOG_ERR, "%s: cannot lock it again: %s", pin_dir,
		       ret == -EBUSY ? "another sluiced uses it" :
				       strerror(-ret));
}

/* The socket's group, created when missing; -1: root only. */
static int socket_group(void)
{
	char *argv[] = { "groupadd", "--system", SL_CTL_GROUP, NULL };
	struct group *gr;
	int status;
	pid_t pid;

	gr = getgrnam(SL_CTL_GROUP);
	if (gr)
		return gr->gr_gid;
	if (!posix_spawnp(&pid, "groupadd", NULL, NULL, argv, environ) &&
	    waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    !WEXITSTATUS(status)) {
		gr = getgrnam(SL_CTL_GROUP);
		if (gr) {
			logmsg(LOG_NOTICE, "created group %s", SL_CTL_GROUP);
			return gr->gr_gid;
		}
	}
	logmsg(LOG_WARNING,
	       "no group %s and it cannot be created: the socket is for root only (0600)",
	       SL_CTL_GROUP);
	return -1;
}

static void socket_dir(const char *path)
{
	char dir[4096], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) && errno != EEXIST)
		fail("cannot create %s: %s", dir, strerror(errno));
}

static int handle(void *arg, int argc, char **argv, int fd,
		  struct sl_ctl_result *res)
{
	return sl_daemon_exec(g.d, argc, argv, fd, res);
}

static void closed(void *arg, unsigned long conn)
{
	if (g.d)
		sl_capture_closed(g.d, conn);
}

static unsigned int nclients(void *arg)
{
	return g.srv ? sl_ctl_server_clients(g.srv) : 0;
}

static int http_metrics(void *arg, bool per_cpu, char **text, size_t *len)
{
	return sl_daemon_metrics(g.d, per_cpu, text, len);
}

static void reload(void)
{
	struct sl_ctl_result res = { 0 };

	if (sl_daemon_reload(g.d, &res))
		logmsg(LOG_ERR, "reload refused, nothing changed: %s", res.err);
	json_object_put(res.data);
}

/* The options: getopt's string and the usage. */
static const struct daemon_opt {
	char name;
	const char *arg; /* NULL: takes none */
	const char *help;
} daemon_opts[] = {
	{ 'c', "FILE",
	  "configuration (default " SL_CONFIG_DEFAULT
	  "; a missing file is an empty one)" },
	{ 's', "SOCKET", "control socket (default " SL_CTL_SOCKET ")" },
	{ 'm', "ADDR:PORT",
	  "serve Prometheus text at http://ADDR:PORT/metrics" },
	{ 'p', "PINDIR",
	  "pin directory on bpffs (default " SLUICE_PIN_DIR ")" },
	{ 'f', NULL, "stay in the foreground and log to stderr" },
	{ 'v', NULL, "log libbpf's and libxdp's messages too" },
	{ 'h', NULL, "this text" },
};

#define NOPTS (sizeof(daemon_opts) / sizeof(daemon_opts[0]))

static void usage(FILE *f)
{
	const struct daemon_opt *o;

	fputs("usage: sluiced", f);
	for (o = daemon_opts; o < daemon_opts + NOPTS; o++)
		fprintf(f, " [-%c%s%s]", o->name, o->arg ? " " : "",
			o->arg ?: "");
	fputc('\n', f);
	for (o = daemon_opts; o < daemon_opts + NOPTS; o++)
		fprintf(f, "  -%c  %s\n", o->name, o->help);
}

static int add_fd(int ep, int fd, int tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

enum { EV_CTL, EV_LINK, EV_SIGNAL, EV_TIMER, EV_HTTP };

int main(int argc, char **argv)
{
	const char *config = SL_CONFIG_DEFAULT, *sock = SL_CTL_SOCKET;
	const char *pin_dir = SLUICE_PIN_DIR, *metrics = NULL;
	/* Twice a second: attachments are checked on every tick. */
	struct itimerspec its = { { 0, 500000000 }, { 0, 500000000 } };
	struct sl_ctl_server_opts so = { 0 };
	struct sl_daemon_opts dopts = { 0 };
	struct epoll_event ev[16];
	const char *pin_err;
	struct signalfd_siginfo si;
	char err[SL_CTL_ERR_LEN];
	int ep, sfd, tfd, opt, n, i;
	unsigned long long ticks;
	bool stop = false;
	sigset_t mask;
	char optstring[2 * NOPTS + 1], *p = optstring;
	ssize_t r;

	for (i = 0; i < (int)NOPTS; i++) {
		*p++ = daemon_opts[i].name;
		if (daemon_opts[i].arg)
			*p++ = ':';
	}
	*p = '\0';
	while ((opt = getopt(argc, argv, optstring)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'm':
			metrics = optarg;
			break;
		case 'p':
			pin_dir = optarg;
			break;
		case 'f':
			g.foreground = true;
			break;
		case 'v':
			g.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sluiced: unexpected \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!g.foreground) {
		openlog("sluiced", LOG_PID, LOG_DAEMON);
		daemonize();
	}
	umask(022);
	libbpf_set_print(libbpf_log);
	libxdp_set_print(libxdp_log);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	ensure_bpffs(pin_dir);
	lock_pins(pin_dir);
	socket_dir(sock);
	so.path = sock;
	so.gid = socket_group();
	so.handler = handle;
	so.closed = closed;
	/* The socket first: a live daemon on it stops us before we touch anything. */
	if (sl_ctl_server_open(&so, &g.srv, err, sizeof(err)))
		fail("%s", err);

	if (metrics) {
		/*
		 * Before the daemon touches anything: a bad or busy address
		 * fails the start.  Nothing is served before the loop runs.
		 */
		g.http = sl_http_start(metrics, http_metrics, NULL, err,
				       sizeof(err));
		if (!g.http) {
			sl_ctl_server_close(g.srv);
			fail("%s", err);
		}
	}

	dopts.config = config;
	dopts.pin_dir = pin_dir;
	dopts.log = daemon_log;
	dopts.nclients = nclients;
	if (sl_daemon_open(&dopts, &g.d, err, sizeof(err))) {
		sl_http_stop(g.http);
		sl_ctl_server_close(g.srv);
		fail("%s", err);
	}

	ep = epoll_create1(EPOLL_CLOEXEC);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ep < 0 || sfd < 0 || tfd < 0 ||
	    timerfd_settime(tfd, 0, &its, NULL) ||
	    add_fd(ep, sl_ctl_server_fd(g.srv), EV_CTL) ||
	    add_fd(ep, sl_daemon_link_fd(g.d), EV_LINK) ||
	    add_fd(ep, sfd, EV_SIGNAL) || add_fd(ep, tfd, EV_TIMER) ||
	    (g.http && add_fd(ep, sl_http_fd(g.http), EV_HTTP)))
		fail("cannot set up the event loop: %s", strerror(errno));
	logmsg(LOG_INFO, "serving %s (config %s, pins %s%s%s)", sock, config,
	       pin_dir, metrics ? ", metrics on " : "", metrics ? metrics : "");
	ready();
	while (!stop) {
		/*
		 * libmicrohttpd has no thread of its own: its epoll fd sits
		 * in ours and its timeouts bound our wait, so a scrape is
		 * served between two control requests and a client that
		 * stalls costs a connection slot, never the loop.
		 */
		n = epoll_wait(ep, ev, 16,
			       g.http ? sl_http_timeout(g.http) : -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			logmsg(LOG_ERR, "epoll: %s", strerror(errno));
			break;
		}
		/* Its timeout came: idle connections are closed. */
		if (g.http && !n)
			sl_http_run(g.http);
		for (i = 0; i < n; i++) {
			switch (ev[i].data.u32) {
			case EV_HTTP:
				sl_http_run(g.http);
				break;
			case EV_CTL:
				sl_ctl_server_run(g.srv);
				break;
			case EV_LINK:
				sl_daemon_link_read(g.d);
				break;
			case EV_TIMER:
				r = read(tfd, &ticks, sizeof(ticks));
				(void)r;
				sl_ctl_server_tick(g.srv);
				sl_daemon_tick(g.d);
				relock_pins(pin_dir);
				/* The tick may have hidden its timeout. */
				if (g.http)
					sl_http_run(g.http);
				break;
			case EV_SIGNAL:
				while (read(sfd, &si, sizeof(si)) ==
				       sizeof(si)) {
					if (si.ssi_signo == SIGHUP)
						reload();
					else
						stop = true;
				}
				break;
			}
		}
	}
	pin_err = sl_daemon_pin_error(g.d);
	if (pin_err)
		logmsg(LOG_ERR,
		       "exiting; programs stay attached, but the maps are NOT pinned (%s): the next start begins empty",
		       pin_err);
	else
		logmsg(LOG_INFO,
		       "exiting; programs stay attached, maps pinned");
	sl_http_stop(g.http);
	sl_ctl_server_close(g.srv);
	sl_daemon_close(g.d);
	close(tfd);
	close(sfd);
	close(ep);
	return 0;
}
