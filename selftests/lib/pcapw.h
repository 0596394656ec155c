/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pcapw: write packets to a pcap file (Ethernet link type) with libpcap,
 * for tests of "sluice test-run --pcap".  Packet i gets the time stamp
 * 1 s + i us, so files are the same from run to run.
 *
 *	struct pcapw *w = pcapw_open(path);
 *	pcapw_add(w, p.buf, p.len);
 *	err = pcapw_close(w);
 *
 * or, for an array of struct pkt, pcapw_write_pkts(path, pkts, n).
 * Errors are negative errno, with a "# pcapw:" line on stderr.
 */
#ifndef __SLUICE_SELFTESTS_PCAPW_H
#define __SLUICE_SELFTESTS_PCAPW_H

#include <stddef.h>

#include "pkt.h"

struct pcapw;

struct pcapw *pcapw_open(const char *path);
int pcapw_add(struct pcapw *w, const void *data, size_t len);
/* Flush and close; 0 or the first error of any pcapw_add() or the flush. */
int pcapw_close(struct pcapw *w);

int pcapw_write_pkts(const char *path, const struct pkt *pkts, size_t n);

#endif /* __SLUICE_SELFTESTS_PCAPW_H */
