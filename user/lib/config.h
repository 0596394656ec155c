/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The configuration file: the CLI's commands, one per line, '#' comments.
 * Loading is all or nothing: any error leaves the output empty and names
 * the line, so the daemon can refuse a bad file and keep what it runs.
 */
#ifndef __SLUICE_CONFIG_H
#define __SLUICE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sluice/abi.h>

#include "grammar.h"

struct sl_set_def {
	char name[SLUICE_SET_NAME_LEN];
	/* Every "set add" and "set load" of the name; sorted, unique. */
	struct sl_prefix_list prefixes;
};

struct sl_iface_def {
	char ifname[SLUICE_IFNAME_LEN];
	bool attach; /* an "attach" line names it */
	enum sl_attach_mode mode;
	uint8_t policy; /* enum sluice_action; SLUICE_ACT_PASS by default */
};

struct sl_config {
	char *name; /* the file as given, for messages */
	struct sl_rule *rules; /* sorted by prio, unique */
	unsigned long *rule_lines; /* the line of the file each rule is on */
	size_t nrules;
	struct sl_set_def *sets; /* in the order first defined */
	size_t nsets;
	struct sl_iface_def
		*ifaces; /* in order first named by attach or policy */
	size_t nifaces;
};

/*
 * Load a file.  Errors are "FILE:LINE: message" (FILE as given), or for a
 * set file "SETFILE:LINE: message"; a file that cannot be read gives
 * -errno (a missing one -ENOENT) and "cannot open "FILE": reason".  A
 * relative "set load" path is taken from the configuration's directory.
 * *cfg is overwritten, not freed first; on error it is left empty.
 */
int sl_config_load(const char *path, struct sl_config *cfg, char *err,
		   size_t errlen);

/* The same from text in memory; name stands for the file in errors and
 * for the directory relative "set load" paths are taken from. */
int sl_config_load_buf(const char *name, const char *text,
		       struct sl_config *cfg, char *err, size_t errlen);

void sl_config_free(struct sl_config *cfg);

/* A set file can name each prefix of both families once, and no more. */
#define SL_SET_FILE_MAX_PREFIXES (2ul * SLUICE_SET_MAX_PREFIXES)

/*
 * Read a set file (one prefix per line, '#' comments) and append its
 * prefixes to l, unsorted; at most SL_SET_FILE_MAX_PREFIXES (-E2BIG).
 * Errors are "NAME:LINE: message" (or "NAME: cannot read: ..."); on error
 * l keeps what it had before.  sl_set_file_load() opens PATH first, for
 * the configuration and "sluice set load"; the daemon reads a stream.
 */
int sl_set_file_read(FILE *f, const char *name, struct sl_prefix_list *l,
		     char *err, size_t errlen);
int sl_set_file_load(const char *path, struct sl_prefix_list *l, char *err,
		     size_t errlen);

/*
 * A line is at most this long (a prefix takes at most ~50 bytes): a file
 * without newlines costs a line's worth, never its size.
 */
#define SL_SET_LINE_MAX 256

/*
 * The same reader, a slice at a time: each call appends up to max more
 * prefixes to l, and sets eof once the file is read.  Errors as above.
 */
struct sl_set_reader {
	FILE *f;
	const char *name;
	unsigned long lineno;
	size_t n; /* prefixes read so far */
	bool eof;
};

void sl_set_reader_init(struct sl_set_reader *r, FILE *f, const char *name);
int sl_set_reader_next(struct sl_set_reader *r, struct sl_prefix_list *l,
		       size_t max, char *err, size_t errlen);

/*
 * "FILE:LINE" of the rule of priority prio in buf, or "" for a rule the
 * file does not have (one added at run time).
 */
void sl_config_rule_where(const struct sl_config *cfg, unsigned int prio,
			  char *buf, size_t len);

/* Look-ups in a loaded configuration; NULL when absent. */
const struct sl_set_def *sl_config_set(const struct sl_config *cfg,
				       const char *name);
const struct sl_iface_def *sl_config_iface(const struct sl_config *cfg,
					   const char *ifname);

#endif /* __SLUICE_CONFIG_H */
