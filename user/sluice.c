// SPDX-License-Identifier: GPL-2.0-only
/* sluice: the command-line client of sluiced, and the offline test-run. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "testrun.h"

int main(int argc, char **argv)
{
	bool json = false;
	int i = 1;

	if (i < argc && !strcmp(argv[i], "-j")) {
		json = true;
		i++;
	}
	if (i < argc && !strcmp(argv[i], "test-run"))
		return sl_testrun_main(argc - i, argv + i, json);
	fprintf(stderr, "usage: sluice [-j] test-run ...\n");
	return 2;
}
