/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A pcapng writer: just what "sluice capture -w" needs, a section, its
 * interfaces and enhanced packet blocks with a comment each.  libpcap
 * 1.10 reads pcapng but writes only pcap, which has no comment per
 * packet.  Format: draft-ietf-opsawg-pcapng (blocks in host byte order,
 * the section header's magic tells readers which that is).
 */
#ifndef __SLUICE_PCAPNG_H
#define __SLUICE_PCAPNG_H

#include <stdint.h>
#include <stdio.h>

#define SL_PCAPNG_LINKTYPE_ETHERNET 1

/* The Section Header Block, naming the writing application. */
int sl_pcapng_section(FILE *f, const char *appl);
/*
 * An Interface Description Block: interfaces are numbered from 0 in the
 * order they are written.  Timestamps of its packets are in nanoseconds.
 */
int sl_pcapng_iface(FILE *f, const char *name, uint32_t snaplen);
/* An Enhanced Packet Block; comment may be NULL. */
int sl_pcapng_packet(FILE *f, uint32_t iface, uint64_t time_ns,
		     const void *data, uint32_t caplen, uint32_t len,
		     const char *comment);

#endif /* __SLUICE_PCAPNG_H */
