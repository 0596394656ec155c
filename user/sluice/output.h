/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The CLI's human output: a reply's data (see ctl.h) printed in the
 * manner of iproute2.  Commands that change something print nothing on
 * success, except where the outcome is news (attach says which mode it
 * got, set load and reload say what they did).
 */
#ifndef __SLUICE_OUTPUT_H
#define __SLUICE_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "grammar.h"

struct json_object;

void sl_output_reply(const struct sl_cmd *cmd, struct json_object *data,
		     FILE *out);

/*
 * "stats -w": per-second rates between two "stats" replies, in the shape
 * of a stats reply with doubles for counters, plus "interval_s".  NULL
 * on allocation failure.
 */
struct json_object *sl_cli_rates(struct json_object *prev,
				 struct json_object *cur);
/* Print stats data, or rates from sl_cli_rates() when rates is set. */
void sl_output_stats(struct json_object *data, bool rates, FILE *out);

#endif /* __SLUICE_OUTPUT_H */
