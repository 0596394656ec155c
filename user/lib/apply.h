/* SPDX-License-Identifier: GPL-2.0-only */
/* Writing a parsed configuration into the data plane's maps. */
#ifndef __SLUICE_APPLY_H
#define __SLUICE_APPLY_H

#include <stddef.h>

#include "config.h"
#include "dataplane.h"

/*
 * Make the data plane hold cfg: its sets (each replaced by its content
 * in cfg), the policy of every interface it names, and its rules (one
 * atomic swap).  Sets come first so the rules find them.
 */
int sl_apply_config(struct sl_dp *dp, const struct sl_config *cfg, char *err,
		    size_t errlen);

#endif /* __SLUICE_APPLY_H */
