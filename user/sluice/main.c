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

#include "capture.h"
#include "output.h"
#include "ctl.h"
#include "flowspec_cli.h"
#include "grammar.h"
#include "pktdesc.h"
#include "testrun.h"

static volatile sig_atomic_t interrupted;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The options before the command: the parser, the usage, the completion. */
enum { OPT_SOCKET, OPT_JSON, OPT_HELP };
static const struct cli_opt {
	const char *name, *alias;
	const char *arg; /* NULL: takes none */
	const char *help;
} cli_opts[] = {
	[OPT_SOCKET] = { "-s", NULL, "SOCKET",
			 "control socket (default " SL_CTL_SOCKET ")" },
	[OPT_JSON] = { "-j", "--json", NULL, "JSON on stdout" },
	[OPT_HELP] = { "-h", "--help", NULL, "this text; so does \"help\"" },
};

static const struct cli_opt *find_opt(const char *w)
{
	const struct cli_opt *o;

	for (o = cli_opts; o < cli_opts + ARRAY_SIZE(cli_opts); o++)
		if (!strcmp(w, o->name) || (o->alias && !strcmp(w, o->alias)))
			return o;
	return NULL;
}

static void usage(FILE *f)
{
	const struct cli_opt *o;

	fputs("usage: sluice", f);
	for (o = cli_opts; o < cli_opts + ARRAY_SIZE(cli_opts); o++)
		fprintf(f, " [%s%s%s]", o->name, o->arg ? " " : "",
			o->arg ?: "");
	fputs(" COMMAND\n", f);
	sl_grammar_usage(f);
	fputs("  ", f);
	sl_testrun_synopsis(f);
	fputs("\n  ", f);
	sl_flowspec_synopsis(f);
	fputc('\n', f);
	sl_grammar_terms(f);
	fputs(sl_pktdesc_usage, f);
	for (o = cli_opts; o < cli_opts + ARRAY_SIZE(cli_opts); o++)
		fprintf(f, "  %s%s%-*s  %s\n", o->name, o->alias ? ", " : "",
			o->alias ? 8 : 10, o->alias ?: "", o->help);
}

/*
 * "sluice --complete-words CONTEXT", for the bash completion: the words
 * of the tables the parsers read, one a line.
 */
static int complete_words(const char *context)
{
	static const char *const own_cmds[] = { "test-run", "flowspec",
						"help" };
	const struct cli_opt *o;
	unsigned int i;

	if (!strcmp(context, "options")) {
		for (o = cli_opts; o < cli_opts + ARRAY_SIZE(cli_opts); o++)
			printf("%s\n%s%s", o->name, o->alias ?: "",
			       o->alias ? "\n" : "");
		return 0;
	}
	if (!strcmp(context, "commands"))
		for (i = 0; i < ARRAY_SIZE(own_cmds); i++)
			printf("%s\n", own_cmds[i]);
	if (!sl_testrun_words(context, stdout) ||
	    !sl_flowspec_words(context, stdout) ||
	    !sl_grammar_words(context, stdout))
		return 0;
	return 2;
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

	if (argc == 3 && !strcmp(argv[1], "--complete-words"))
		return complete_words(argv[2]);
	for (; i < argc && argv[i][0] == '-'; i++) {
		const struct cli_opt *o = find_opt(argv[i]);

		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!o || (o->arg && i + 1 == argc)) {
			fprintf(stderr, "sluice: unknown option \"%s\"\n",
				argv[i]);
			return 2;
		}
		switch (o - cli_opts) {
		case OPT_SOCKET:
			sock = argv[++i];
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
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
	if (!strcmp(argv[i], "flowspec"))
		return sl_flowspec_main(argc - i, argv + i, sock);

	if (sl_cmd_parse(argc - i, argv + i, &cmd, err, sizeof(err))) {
		error(err);
		return 2;
	}
	if (cmd.kind == SL_CMD_CAPTURE) {
		ret = sl_capture_run(sock, &cmd, json);
		sl_cmd_free(&cmd);
		return ret;
	}
	ret = 1;
	if (cmd.kind == SL_CMD_SET_LOAD || cmd.kind == SL_CMD_RULE_REPLACE) {
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
