/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pkt: diagnostics for the selftests' frames.  The builder itself is
 * user/lib/pktbuild.c.
 */
#include <stdint.h>
#include <stdio.h>

#include "pkt.h"

static void hexdump_rows(FILE *f, const char *label, const uint8_t *b,
			 size_t len, size_t from, size_t to, long mark)
{
	size_t row, i;

	for (row = from; row < to && row < len; row += 16) {
		fprintf(f, "# %s%04zx ", label, row);
		for (i = row; i < row + 16 && i < len; i++)
			fprintf(f, "%s%c%02x", i % 16 == 8 ? " " : "",
				(long)i == mark ? '>' : ' ', b[i]);
		fprintf(f, "\n");
	}
}

void pkt_hexdump(FILE *f, const void *data, size_t len)
{
	hexdump_rows(f, "", data, len, 0, len, -1);
}

void pkt_dump(FILE *f, const char *what, const struct pkt *p)
{
	const struct pkt_layer *l;
	unsigned int i;

	fprintf(f, "# %s: %zu bytes:", what ? what : "pkt", p->len);
	for (i = 0; i < p->nlayers; i++) {
		l = &p->layers[i];
		fprintf(f, " %s@%u/%u", pkt_layer_name(l->type), l->off,
			l->len);
	}
	fprintf(f, "\n");
	pkt_hexdump(f, p->buf, p->len);
}

long pkt_diff(const void *a, size_t alen, const void *b, size_t blen)
{
	const uint8_t *x = a, *y = b;
	size_t n = alen < blen ? alen : blen;
	size_t i;

	for (i = 0; i < n; i++)
		if (x[i] != y[i])
			return i;
	return alen == blen ? -1 : (long)n;
}

bool pkt_bytes_equal(const char *what, const void *got, size_t got_len,
		     const void *want, size_t want_len)
{
	const uint8_t *g = got, *w = want;
	long d = pkt_diff(got, got_len, want, want_len);
	size_t from, to;

	if (d < 0)
		return true;
	fprintf(stderr, "# %s: first difference at offset %ld (0x%lx): ", what,
		d, d);
	if ((size_t)d < got_len)
		fprintf(stderr, "got 0x%02x, ", g[d]);
	else
		fprintf(stderr, "got ends, ");
	if ((size_t)d < want_len)
		fprintf(stderr, "want 0x%02x", w[d]);
	else
		fprintf(stderr, "want ends");
	fprintf(stderr, "; got %zu bytes, want %zu\n", got_len, want_len);
	from = (size_t)d & ~(size_t)15;
	from = from >= 32 ? from - 32 : 0;
	to = ((size_t)d & ~(size_t)15) + 48;
	hexdump_rows(stderr, "got  ", g, got_len, from, to, d);
	hexdump_rows(stderr, "want ", w, want_len, from, to, d);
	return false;
}
