/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sluice: the command-line client of sluiced (protocol: user/lib/ctl.h),
 * and the offline test-run.
 *
 * Each command is checked here first with the grammar the daemon uses,
 * so a typo is named without a daemon.  Exit status: 0 done, 1 failed
 * (the daemon refused, or could not be reached), 2 bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/mman.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "output.h"
#include "ctl.h"
#include "grammar.h"
#include "pktdesc.h"
#include "testrun.h"

static volatile sig_atomic_t interrupted;

static void usage(FILE *f)
{
	fputs("usage: sluice [-s SOCKET] [-j] COMMAND\n"
	      "  attach IFACE [mode auto|native|generic|tc]\n"
	      "  detach IFACE\n"
	      "  policy IFACE pass|drop|forward\n"
	      "  rule add PRIO [MATCH...] ACTION\n"
	      "  rule del PRIO\n"
	      "  rule list\n"
	      "  set add NAME PREFIX...\n"
	      "  set del NAME PREFIX...\n"
	      "  set load NAME FILE        the set becomes the file's prefixes\n"
	      "  set flush NAME\n"
	      "  set list [NAME]\n"
	      "  stats [-w] [--per-cpu] [IFACE]\n"
	      "  status\n"
	      "  metrics [--per-cpu]        the Prometheus text\n"
	      "  reload\n"
	      "  test-run -c FILE [--hook xdp|tc] [--in IFACE] [--pcap FILE]\n"
	      "           [--packet PACKET]...\n"
	      "MATCH  := in IFACE | src PREFIX|@SET | dst PREFIX|@SET\n"
	      "        | proto tcp|udp|icmp|icmpv6|NUM | sport N[-M] | dport N[-M]\n"
	      "        | tcp-flags FLAG[,FLAG] | icmp-type N | vlan N\n"
	      "ACTION := drop | pass | forward | redirect IFACE | steer [CPU[,CPU...]]\n"
	      "        | rate-limit PPS[/BURST] [per src|src/LEN]\n",
	      f);
	fputs(sl_pktdesc_usage, f);
	fputs("  -s  control socket (default " SL_CTL_SOCKET ")\n"
	      "  -j  JSON on stdout\n",
	      f);
}

static void error(const char *msg)
{
	fprintf(stderr, "sluice: %s\n", msg);
}

static void print_json(struct json_object *data)
{
	const char *s =
		data ? json_object_to_json_string_ext(
			       data, JSON_C_TO_STRING_PLAIN |
					     JSON_C_TO_STRING_NOSLASHESCAPE) :
		       "null";

	printf("%s\n", s);
}

/*
 * The file for "set load", opened with the user's rights.  A pipe or a
 * terminal is copied into a memfd: the daemon reads regular files only,
 * so no writer can keep it waiting.
 */
static int open_set_file(const char *path, char *err, size_t errlen)
{
	char buf[65536];
	struct stat st;
	ssize_t n, w;
	int fd, mfd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open \"%s\": %s", path,
			 strerror(errno));
		return -1;
	}
	if (fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISREG(st.st_mode))
		return fd;
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory", path);
		close(fd);
		return -1;
	}
	mfd = memfd_create("sluice-set", MFD_CLOEXEC);
	if (mfd < 0) {
		snprintf(err, errlen, "memfd: %s", strerror(errno));
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "cannot read \"%s\": %s", path,
				 strerror(errno));
			goto fail;
		}
		for (w = 0; w < n;) {
			ssize_t k = write(mfd, buf + w, n - w);

			if (k < 0) {
				snprintf(err, errlen, "memfd: %s",
					 strerror(errno));
				goto fail;
			}
			w += k;
		}
	}
	close(fd);
	lseek(mfd, 0, SEEK_SET);
	return mfd;
fail:
	close(fd);
	close(mfd);
	return -1;
}

static void on_int(int sig)
{
	interrupted = 1;
}

/* "stats -w": one sample a second, rates between the last two. */
static int watch(int fd, int argc, char **argv, bool json)
{
	struct json_object *prev = NULL, *cur, *rates;
	struct timespec ts = { 1, 0 };
	char err[SL_CTL_ERR_LEN];
	bool tty = isatty(STDOUT_FILENO);
	char *words[3];
	int n = 0, i;

	/* The daemon samples; "-w" is ours. */
	for (i = 0; i < argc && n < 3; i++)
		if (strcmp(argv[i], "-w"))
			words[n++] = argv[i];
	signal(SIGINT, on_int);
	signal(SIGTERM, on_int);
	while (!interrupted) {
		if (sl_ctl_call(fd, n, words, -1, &cur, err, sizeof(err))) {
			json_object_put(prev);
			if (interrupted)
				break;
			error(err);
			return 1;
		}
		if (prev) {
			rates = sl_cli_rates(prev, cur);
			if (json) {
				print_json(rates);
			} else {
				if (tty)
					fputs("\033[H\033[J", stdout);
				sl_output_stats(rates, true, stdout);
				if (!tty)
					fputc('\n', stdout);
			}
			fflush(stdout);
			json_object_put(rates);
		}
		json_object_put(prev);
		prev = cur;
		nanosleep(&ts, NULL);
	}
	json_object_put(prev);
	return 0;
}

int main(int argc, char **argv)
{
	const char *sock = SL_CTL_SOCKET;
	struct json_object *data = NULL;
	char err[SL_CTL_ERR_LEN];
	struct sl_cmd cmd;
	bool json = false;
	int i = 1, fd, pass = -1, ret;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			sock = argv[++i];
		} else if (!strcmp(argv[i], "-h") ||
			   !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else {
			fprintf(stderr, "sluice: unknown option \"%s\"\n",
				argv[i]);
			return 2;
		}
	}
	if (i == argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[i], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[i], "test-run"))
		return sl_testrun_main(argc - i, argv + i, json);

	if (sl_cmd_parse(argc - i, argv + i, &cmd, err, sizeof(err))) {
		error(err);
		return 2;
	}
	ret = 1;
	if (cmd.kind == SL_CMD_SET_LOAD) {
		pass = open_set_file(cmd.path, err, sizeof(err));
		if (pass < 0) {
			error(err);
			goto out;
		}
	}
	fd = sl_ctl_connect(sock, err, sizeof(err));
	if (fd < 0) {
		error(err);
		goto out;
	}
	if (cmd.kind == SL_CMD_STATS && cmd.watch) {
		ret = watch(fd, argc - i, argv + i, json);
		close(fd);
		goto out;
	}
	if (sl_ctl_call(fd, argc - i, argv + i, pass, &data, err,
			sizeof(err))) {
		error(err);
		close(fd);
		goto out;
	}
	close(fd);
	if (json)
		print_json(data);
	else
		sl_output_reply(&cmd, data, stdout);
	json_object_put(data);
	ret = fflush(stdout) ? 1 : 0;
out:
	if (pass >= 0)
		close(pass);
	sl_cmd_free(&cmd);
	return ret;
}
