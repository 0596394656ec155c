/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The configuration reader: any bytes as a configuration file, read from
 * disk as sluiced and test-run read it (NUL bytes and all).  It lives in
 * a private directory holding two set files, so that "set load" reaches
 * the set file reader too; inputs whose "set load" could leave that
 * directory (a '/' after "load") are skipped, since /dev/zero or a FIFO
 * would only measure the machine.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char dir[] = "/tmp/sluice-fuzz-config.XXXXXX";
static char conf_path[64];

static void put_file(const char *dir, const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
}

static void remove_dir(void)
{
	static const char *const names[] = { "good.txt", "bad.txt",
					     "sluice.conf" };
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (!mkdtemp(dir))
		abort();
	atexit(remove_dir);
	put_file(dir, "good.txt", "10.0.0.0/8\n# a comment\n2001:db8::/32\n");
	put_file(dir, "bad.txt", "10.0.0.0/8\n10.0.0.1/33\n");
	snprintf(conf_path, sizeof(conf_path), "%s/sluice.conf", dir);
	return 0;
}

static bool leaves_dir(const uint8_t *data, size_t size)
{
	const uint8_t *load = memmem(data, size, "load", 4);

	return load && memchr(load, '/', size - (load - data));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[SL_ERR_LEN];
	struct sl_config cfg;
	FILE *f;

	if (leaves_dir(data, size))
		return 0;
	f = fopen(conf_path, "we");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
	if (!sl_config_load(conf_path, &cfg, err, sizeof(err)))
		sl_config_free(&cfg);
	else if (cfg.nrules || cfg.nsets || cfg.nifaces)
		abort(); /* all or nothing: an error leaves it empty */
	return 0;
}
