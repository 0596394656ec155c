/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pkt: build test frames (the builder is user/lib/pktbuild.h, shared with
 * "sluice test-run --packet"), and show them when a test fails.
 */
#ifndef __SLUICE_SELFTESTS_PKT_H
#define __SLUICE_SELFTESTS_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "pktbuild.h"

/* Diagnostics, each line starting with "# " so TAP output stays clean. */
void pkt_hexdump(FILE *f, const void *data, size_t len);
/* The layers ("eth@0 ipv4@14/20 ...") then the bytes. */
void pkt_dump(FILE *f, const char *what, const struct pkt *p);
/* Offset of the first differing byte (the shorter length when one buffer
 * is a prefix of the other), or -1 when equal. */
long pkt_diff(const void *a, size_t alen, const void *b, size_t blen);
/* true when equal; otherwise prints to stderr the first differing offset,
 * both lengths and the rows of both buffers around it. */
bool pkt_bytes_equal(const char *what, const void *got, size_t got_len,
		     const void *want, size_t want_len);

#endif /* __SLUICE_SELFTESTS_PKT_H */
