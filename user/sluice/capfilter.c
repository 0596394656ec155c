// SPDX-License-Identifier: GPL-2.0-only
/* capture's FILTER: see capfilter.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <pcap/pcap.h>

#include "capfilter.h"

struct sl_capfilter {
	struct bpf_program prog;
};

int sl_capfilter_compile(const char *expr, uint32_t snaplen,
			 struct sl_capfilter **out, char *err, size_t errlen)
{
	struct sl_capfilter *f = calloc(1, sizeof(*f));
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, snaplen);
	int ret = 0;

	if (!f || !dead) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	if (pcap_compile(dead, &f->prog, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		snprintf(err, errlen, "filter \"%s\": %s", expr,
			 pcap_geterr(dead));
		ret = -EINVAL;
		goto out;
	}
	*out = f;
	f = NULL;
out:
	free(f);
	if (dead)
		pcap_close(dead);
	return ret;
}

bool sl_capfilter_match(const struct sl_capfilter *f, const void *frame,
			uint32_t caplen, uint32_t len)
{
	struct pcap_pkthdr h = { .caplen = caplen, .len = len };

	return pcap_offline_filter(&f->prog, &h, frame);
}

void sl_capfilter_free(struct sl_capfilter *f)
{
	if (!f)
		return;
	pcap_freecode(&f->prog);
	free(f);
}
