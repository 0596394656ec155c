/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sluice flowspec: an ExaBGP process (JSON encoder) that keeps the rules
 * of a priority range equal to the FlowSpec routes ExaBGP received.
 */
#ifndef __SLUICE_FLOWSPEC_CLI_H
#define __SLUICE_FLOWSPEC_CLI_H

#include <stdio.h>

/* argv[0] is "flowspec"; sock the daemon's socket.  Exit status. */
int sl_flowspec_main(int argc, char **argv, const char *sock);
void sl_flowspec_synopsis(FILE *f);
/* Its options, one a line, for context "flowspec"; -ENOENT otherwise. */
int sl_flowspec_words(const char *context, FILE *f);

#endif /* __SLUICE_FLOWSPEC_CLI_H */
