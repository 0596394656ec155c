/* SPDX-License-Identifier: GPL-2.0-only */
/* pcapw: write packets to a pcap file.  See pcapw.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "pcapw.h"

#define PCAPW_SNAPLEN 65535

struct pcapw {
	pcap_t *pcap;
	pcap_dumper_t *dumper;
	unsigned long count;
	int err;
};

struct pcapw *pcapw_open(const char *path)
{
	struct pcapw *w = calloc(1, sizeof(*w));

	if (!w) {
		fprintf(stderr, "# pcapw: %s: out of memory\n", path);
		return NULL;
	}
	w->pcap = pcap_open_dead(DLT_EN10MB, PCAPW_SNAPLEN);
	if (!w->pcap) {
		fprintf(stderr, "# pcapw: pcap_open_dead failed\n");
		free(w);
		return NULL;
	}
	w->dumper = pcap_dump_open(w->pcap, path);
	if (!w->dumper) {
		fprintf(stderr, "# pcapw: %s\n", pcap_geterr(w->pcap));
		pcap_close(w->pcap);
		free(w);
		return NULL;
	}
	return w;
}

int pcapw_add(struct pcapw *w, const void *data, size_t len)
{
	struct pcap_pkthdr hdr = {};

	if (w->err)
		return w->err;
	if (len > PCAPW_SNAPLEN) {
		fprintf(stderr, "# pcapw: packet %lu: %zu bytes, %d at most\n",
			w->count, len, PCAPW_SNAPLEN);
		return w->err = -EMSGSIZE;
	}
	hdr.ts.tv_sec = 1 + w->count / 1000000;
	hdr.ts.tv_usec = w->count % 1000000;
	hdr.caplen = len;
	hdr.len = len;
	pcap_dump((u_char *)w->dumper, &hdr, data);
	w->count++;
	return 0;
}

int pcapw_close(struct pcapw *w)
{
	int err;

	if (!w)
		return -EINVAL;
	err = w->err;
	if (pcap_dump_flush(w->dumper) && !err) {
		fprintf(stderr, "# pcapw: write failed\n");
		err = -EIO;
	}
	if (ferror(pcap_dump_file(w->dumper)) && !err) {
		fprintf(stderr, "# pcapw: write failed\n");
		err = -EIO;
	}
	pcap_dump_close(w->dumper);
	pcap_close(w->pcap);
	free(w);
	return err;
}

int pcapw_write_pkts(const char *path, const struct pkt *pkts, size_t n)
{
	struct pcapw *w = pcapw_open(path);
	size_t i;

	if (!w)
		return -EIO;
	for (i = 0; i < n; i++)
		pcapw_add(w, pkts[i].buf, pkts[i].len);
	return pcapw_close(w);
}
