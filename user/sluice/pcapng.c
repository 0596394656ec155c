// SPDX-License-Identifier: GPL-2.0-only
/* A pcapng writer: see pcapng.h. */
#include <errno.h>
#include <string.h>

#include "pcapng.h"

#define BT_SHB 0x0A0D0D0A
#define BT_IDB 0x00000001
#define BT_EPB 0x00000006
#define BYTE_ORDER_MAGIC 0x1A2B3C4D

#define OPT_END 0
#define OPT_COMMENT 1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9

static const uint8_t zeros[4];

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* An option's bytes, padded to 32 bits; 0 when it is left out. */
static size_t opt_size(const void *v, size_t len)
{
	return v ? 4 + pad4(len) : 0;
}

static void put(FILE *f, const void *p, size_t n)
{
	fwrite(p, 1, n, f);
}

static void put32(FILE *f, uint32_t v)
{
	put(f, &v, 4);
}

static void put_opt(FILE *f, uint16_t code, const void *v, size_t len)
{
	uint16_t hdr[2] = { code, (uint16_t)len };

	if (!v)
		return;
	put(f, hdr, 4);
	put(f, v, len);
	put(f, zeros, pad4(len) - len);
}

static void put_end(FILE *f)
{
	put32(f, OPT_END);
}

static int done(FILE *f)
{
	return ferror(f) ? -EIO : 0;
}

int sl_pcapng_section(FILE *f, const char *appl)
{
	size_t alen = appl ? strlen(appl) : 0;
	uint32_t total = 28 + opt_size(appl, alen) + 4;
	uint16_t version[2] = { 1, 0 };
	int64_t section_len = -1; /* not given: streams do not know it */

	put32(f, BT_SHB);
	put32(f, total);
	put32(f, BYTE_ORDER_MAGIC);
	put(f, version, 4);
	put(f, &section_len, 8);
	put_opt(f, OPT_SHB_USERAPPL, appl, alen);
	put_end(f);
	put32(f, total);
	return done(f);
}

int sl_pcapng_iface(FILE *f, const char *name, uint32_t snaplen)
{
	size_t nlen = name ? strlen(name) : 0;
	uint8_t tsresol = 9; /* 10^-9 s */
	uint32_t total = 20 + opt_size(name, nlen) + opt_size(&tsresol, 1) + 4;
	uint16_t link[2] = { SL_PCAPNG_LINKTYPE_ETHERNET, 0 };

	put32(f, BT_IDB);
	put32(f, total);
	put(f, link, 4);
	put32(f, snaplen);
	put_opt(f, OPT_IF_NAME, name, nlen);
	put_opt(f, OPT_IF_TSRESOL, &tsresol, 1);
	put_end(f);
	put32(f, total);
	return done(f);
}

int sl_pcapng_packet(FILE *f, uint32_t iface, uint64_t time_ns,
		     const void *data, uint32_t caplen, uint32_t len,
		     const char *comment)
{
	size_t clen = comment ? strlen(comment) : 0;
	uint32_t total;

	if (clen > 0xffff)
		clen = 0xffff;
	total = 32 + pad4(caplen) + opt_size(comment, clen) + 4;
	put32(f, BT_EPB);
	put32(f, total);
	put32(f, iface);
	put32(f, (uint32_t)(time_ns >> 32));
	put32(f, (uint32_t)time_ns);
	put32(f, caplen);
	put32(f, len);
	put(f, data, caplen);
	put(f, zeros, pad4(caplen) - caplen);
	put_opt(f, OPT_COMMENT, comment, clen);
	put_end(f);
	put32(f, total);
	return done(f);
}
