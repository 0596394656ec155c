/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The frames of a pcap file of Ethernet, one by one, as "sluice test-run
 * --pcap" feeds them to the data plane.
 */
#ifndef __SLUICE_PCAP_READ_H
#define __SLUICE_PCAP_READ_H

#include <stddef.h>
#include <stdio.h>

/* A frame: caplen bytes of data captured, len on the wire. */
typedef void (*sl_pcap_frame_fn)(void *arg, const unsigned char *data,
				 size_t caplen, size_t len);

/*
 * Call fn for each frame of the file at path, in order.  0 at its end;
 * -EINVAL with err for a file that cannot be opened, is not Ethernet or
 * breaks off (the frames before the break have been handed over).
 */
int sl_pcap_read(const char *path, sl_pcap_frame_fn fn, void *arg, char *err,
		 size_t errlen);

/* The same from an open stream, which it closes; name is for messages. */
int sl_pcap_read_stream(FILE *f, const char *name, sl_pcap_frame_fn fn,
			void *arg, char *err, size_t errlen);

#endif /* __SLUICE_PCAP_READ_H */
