/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Run the sluice CLI as a child and keep its exit status, stdout and
 * stderr, for tests of the command end to end.
 */
#ifndef __SELFTESTS_RUNSLUICE_H
#define __SELFTESTS_RUNSLUICE_H

struct run {
	int status; /* exit status, or -1 */
	char *out, *err;
};

/*
 * argv[0] is replaced by $SLUICE_BUILD/sluice (default build/sluice);
 * stdout and stderr go through the files dir/stdout and dir/stderr.
 */
void run_sluice(char **argv, const char *dir, struct run *r);
void run_free(struct run *r);
/* The whole file, NUL-terminated; the test fails when it cannot. */
char *slurp(const char *path);

#endif /* __SELFTESTS_RUNSLUICE_H */
