/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sluice test-run: feed the packets of a pcap file through the real
 * programs with a configuration's rule set, offline, and tell the verdict
 * of each.
 */
#ifndef __SLUICE_TESTRUN_H
#define __SLUICE_TESTRUN_H

#include <stdbool.h>
#include <stdio.h>

#include <sluice/abi.h>

struct sl_testrun_opts {
	const char *config;
	const char *pcap;
	const char *in; /* NULL: the first interface the config names */
	enum sluice_hook hook;
	bool json;
};

/* Runs it, prints to out; errors are one line on stderr. 0 or -errno. */
int sl_testrun(const struct sl_testrun_opts *opts, FILE *out);

/* "test-run" as the CLI gets it: argv[0] is "test-run". */
int sl_testrun_main(int argc, char **argv, bool json);

#endif /* __SLUICE_TESTRUN_H */
