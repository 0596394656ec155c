// SPDX-License-Identifier: GPL-2.0-only
/* sluiced: the daemon (see issue 2; this placeholder only refuses to run). */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "sluiced: not built yet\n");
	return 1;
}
