/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What the pipeline decided for a packet, filled by act, read by count. */
#ifndef __SLUICE_DECISION_H
#define __SLUICE_DECISION_H

#include "vmlinux.h"

struct sl_decision {
	__u32 action; /* enum sluice_action */
	__u32 reason; /* enum sluice_reason */
	__u32 prio; /* deciding rule, 0 for none */
	__u32 arg; /* the rule's action argument */
	__u32 gen; /* the rule set generation it came from */
	__u32 policy; /* the interface's, for a packet within a rate limit */
};

#endif /* __SLUICE_DECISION_H */
