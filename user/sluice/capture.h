/* SPDX-License-Identifier: GPL-2.0-only */
/* "sluice capture": see capture.c. */
#ifndef __SLUICE_CLI_CAPTURE_H
#define __SLUICE_CLI_CAPTURE_H

#include <stdbool.h>

#include "grammar.h"

/* Runs the capture cmd through the daemon at sock; the exit status. */
int sl_capture_run(const char *sock, const struct sl_cmd *cmd, bool json);

#endif /* __SLUICE_CLI_CAPTURE_H */
