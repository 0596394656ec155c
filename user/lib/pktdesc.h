/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pktdesc: a frame described in words, for "sluice test-run --packet":
 *
 *	udp 192.0.2.1:1234 > 198.51.100.2:53
 *	tcp [2001:db8::1]:40000 > [2001:db8::2]:22 flags syn vlan 100
 *	icmp 192.0.2.1 > 192.0.2.9 type 8 len 4000
 *
 * The grammar is in sluice(8), TEST-RUN; sl_pktdesc_usage holds its short
 * form for the usage text.
 */
#ifndef __SLUICE_PKTDESC_H
#define __SLUICE_PKTDESC_H

#include <stddef.h>

#include "pktbuild.h"

/* At most this many VLAN tags, outermost first. */
#define SL_PKTDESC_MAX_VLANS 2

extern const char sl_pktdesc_usage[];

/*
 * Build the frame desc names into p (which this initialises): Ethernet
 * 02:00:00:00:00:01 > 02:00:00:00:00:02, 802.1Q tags, IPv4 or IPv6 (TTL
 * 64), the transport header, and payload (bytes 0x00, 0x01, ...) up to
 * "len", with every length and checksum right.  0, or -EINVAL with err saying what
 * is wrong (without the description itself).
 */
int sl_pktdesc_build(const char *desc, struct pkt *p, char *err, size_t errlen);

#endif /* __SLUICE_PKTDESC_H */
