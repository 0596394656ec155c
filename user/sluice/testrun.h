/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sluice test-run: feed the packets of a pcap file, then those described
 * on the command line, through the real programs with a configuration's
 * rule set, offline, and tell the verdict of each.  Every frame gets a
 * line, also one the kernel's test harness refuses; only a broken file or
 * configuration stops the run.
 */
#ifndef __SLUICE_TESTRUN_H
#define __SLUICE_TESTRUN_H

#include <stdbool.h>
#include <stdio.h>

#include <sluice/abi.h>

#include <stddef.h>

struct sl_testrun_frame {
	unsigned char *data;
	size_t len;
};

struct sl_testrun_opts {
	const char *config;
	const char *pcap; /* NULL: none */
	const struct sl_testrun_frame *frames; /* after the pcap's */
	size_t nframes;
	const char *in; /* NULL: the first interface the config names */
	enum sluice_hook hook;
	bool json;
};

/* Runs it, prints to out; errors are one line on stderr.  0, or -errno
 * for a file or configuration that cannot be used. */
int sl_testrun(const struct sl_testrun_opts *opts, FILE *out);

/* "test-run" as the CLI gets it: argv[0] is "test-run". */
int sl_testrun_main(int argc, char **argv, bool json);

/* "test-run -c FILE [--hook xdp|tc]...", from the table of its options. */
void sl_testrun_synopsis(FILE *f);

/* Its options ("test-run") or hooks ("hook"), one a line; else -ENOENT. */
int sl_testrun_words(const char *context, FILE *f);

#endif /* __SLUICE_TESTRUN_H */
