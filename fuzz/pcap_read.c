/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The pcap reader of test-run: any bytes as a capture file.  Every frame
 * handed over is read to its last captured byte, so that a frame longer
 * than its buffer is caught here and not in the data plane's harness.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "grammar.h"
#include "pcap_read.h"

static void touch_frame(void *arg, const unsigned char *data, size_t caplen,
			size_t len)
{
	volatile unsigned char *sum = arg;
	size_t i;

	for (i = 0; i < caplen; i++)
		*sum ^= data[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[SL_ERR_LEN];
	unsigned char sum = 0;
	FILE *f;

	if (!size)
		return 0; /* fmemopen() refuses an empty buffer */
	f = fmemopen((void *)data, size, "r");
	if (!f)
		abort();
	sl_pcap_read_stream(f, "fuzz.pcap", touch_frame, &sum, err,
			    sizeof(err));
	return 0;
}
