/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The grammar: any bytes as one configuration line.  A line that parses
 * must also print back and parse again to the same rule, to the byte, as
 * "rule list" and the daemon's rule journal rely on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grammar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[SL_ERR_LEN], buf[SL_RULE_FMT_LEN], *line;
	struct sl_cmd cmd, again;
	size_t i;

	line = malloc(size + 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (sl_cmd_parse_line(line, &cmd, err, sizeof(err))) {
		free(line);
		return 0;
	}
	free(line);
	if (cmd.kind == SL_CMD_RULE_ADD) {
		sl_rule_format(&cmd.rule, buf, sizeof(buf));
		if (sl_cmd_parse_line(buf, &again, err, sizeof(err)))
			abort();
		if (memcmp(&again.rule, &cmd.rule, sizeof(cmd.rule)))
			abort();
		sl_cmd_free(&again);
	}
	for (i = 0; i < cmd.prefixes.n; i++) {
		struct sl_prefix p;

		sl_prefix_format(&cmd.prefixes.v[i], buf, sizeof(buf));
		if (sl_prefix_parse(buf, &p, err, sizeof(err)) ||
		    memcmp(&p, &cmd.prefixes.v[i], sizeof(p)))
			abort();
	}
	sl_cmd_free(&cmd);
	return 0;
}
