/* SPDX-License-Identifier: GPL-2.0-only */
/* The pcap reader of test-run: libpcap does the reading. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* libbpf owns struct bpf_insn; pcap need not define its own. */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#include <pcap/dlt.h>

#include "err.h"
#include "pcap_read.h"

static int read_frames(pcap_t *pc, const char *name, sl_pcap_frame_fn fn,
		       void *arg, char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const unsigned char *bytes;
	int ret = 0, k;

	if (pcap_datalink(pc) != DLT_EN10MB) {
		sl_err(err, errlen, "%s: link type %s, not Ethernet", name,
		       pcap_datalink_val_to_name(pcap_datalink(pc)) ?: "?");
		pcap_close(pc);
		return -EINVAL;
	}
	while ((k = pcap_next_ex(pc, &h, &bytes)) == 1)
		fn(arg, bytes, h->caplen, h->len);
	if (k == PCAP_ERROR) {
		sl_err(err, errlen, "%s: %s", name, pcap_geterr(pc));
		ret = -EINVAL;
	}
	pcap_close(pc);
	return ret;
}

/* libpcap names the file in some of its messages, not in others. */
static int open_failed(const char *name, const char *perr, char *err,
		       size_t errlen)
{
	size_t n = strlen(name);

	if (!strncmp(perr, name, n) && perr[n] == ':')
		sl_err(err, errlen, "%s", perr);
	else
		sl_err(err, errlen, "%s: %s", name, perr);
	return -EINVAL;
}

int sl_pcap_read(const char *path, sl_pcap_frame_fn fn, void *arg, char *err,
		 size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	pcap_t *pc;

	pc = pcap_open_offline(path, perr);
	if (!pc)
		return open_failed(path, perr, err, errlen);
	return read_frames(pc, path, fn, arg, err, errlen);
}

int sl_pcap_read_stream(FILE *f, const char *name, sl_pcap_frame_fn fn,
			void *arg, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	pcap_t *pc;

	pc = pcap_fopen_offline(f, perr);
	if (!pc) {
		fclose(f);
		return open_failed(name, perr, err, errlen);
	}
	return read_frames(pc, name, fn, arg, err, errlen);
}
