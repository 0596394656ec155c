/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * capture's FILTER: a tcpdump expression, compiled by libpcap and run on
 * each captured frame.  Apart from capture.c because libpcap's and the
 * kernel's BPF headers both define struct bpf_insn.
 */
#ifndef __SLUICE_CAPFILTER_H
#define __SLUICE_CAPFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_capfilter;

/* Ethernet frames of up to snaplen bytes; err says what is wrong. */
int sl_capfilter_compile(const char *expr, uint32_t snaplen,
			 struct sl_capfilter **f, char *err, size_t errlen);
bool sl_capfilter_match(const struct sl_capfilter *f, const void *frame,
			uint32_t caplen, uint32_t len);
void sl_capfilter_free(struct sl_capfilter *f);

#endif /* __SLUICE_CAPFILTER_H */
