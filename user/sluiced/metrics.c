// SPDX-License-Identifier: GPL-2.0-only
/*
 * "metrics" and the HTTP endpoint: the Prometheus text of user/lib/metrics.c
 * over the daemon's state.  The interfaces, what is attached to them and
 * the rule priorities come from what the daemon knows (its slots, its
 * cached attachments, its rule list), never from asking the kernel per
 * scrape; the counters are read from the pinned maps, so they go on
 * across restarts and reloads of the daemon.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "daemon_int.h"
#include "metrics.h"

struct snapshot {
	struct sl_metrics_iface ifs[SLUICE_MAX_IFACES];
	char names[SLUICE_MAX_IFACES][SLUICE_IFNAME_LEN];
	__u16 *prios;
};

static int snapshot(struct sl_daemon *d, struct snapshot *s,
		    struct sl_metrics_opts *o)
{
	struct sl_attachment a;
	struct sluice_iface i;
	size_t n = 0, k;
	int slot;

	/*
	 * Slot 0, the packets of interfaces sluice does not know, has no
	 * device to name: it stays out rather than invent a label.
	 */
	for (slot = 1; slot < SLUICE_MAX_IFACES; slot++) {
		struct sl_metrics_iface *f = &s->ifs[n];

		if (sl_dp_iface_get(d->dp, slot, &i) || !i.name[0])
			continue;
		memcpy(s->names[n], i.name, sizeof(s->names[n]));
		s->names[n][SLUICE_IFNAME_LEN - 1] = '\0';
		f->slot = slot;
		f->name = s->names[n];
		f->wanted = i.flags & SL_IFF_WANTED;
		f->attached = sl_iface_attachment(d, slot, &i, &a);
		f->conflicts = d->conflicts[slot];
		if (f->attached) {
			f->hook = a.mode == SL_MODE_TC ? SLUICE_HOOK_TC :
							 SLUICE_HOOK_XDP;
			f->mode = sl_mode_name(a.mode);
			f->prog_id = a.prog_id;
		}
		n++;
	}
	/* Every rule's priority, then the rate-limit rules' again. */
	s->prios = calloc(2 * d->nrules + 1, sizeof(*s->prios));
	if (!s->prios)
		return -ENOMEM;
	for (k = 0; k < d->nrules; k++) {
		s->prios[k] = d->rules[k].rule.prio;
		if (d->rules[k].rule.action == SLUICE_ACT_RATE_LIMIT)
			s->prios[d->nrules + o->nrl_rules++] = s->prios[k];
	}
	o->rl_rules = s->prios + d->nrules;
	o->version = SLUICE_VERSION;
	o->ifaces = s->ifs;
	o->nifaces = n;
	o->rules = s->prios;
	o->nrules = d->nrules;
	o->flowspec = sl_flowspec_metrics(d);
	return 0;
}

int sl_daemon_metrics(struct sl_daemon *d, bool per_cpu, char **text,
		      size_t *len)
{
	struct sl_metrics_opts o = { .per_cpu = per_cpu };
	struct snapshot *s;
	FILE *f;
	int ret;

	*text = NULL;
	*len = 0;
	/* About 10 kB: on the heap, the loop's stack stays small. */
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	ret = snapshot(d, s, &o);
	if (ret)
		goto out;
	f = open_memstream(text, len);
	if (!f) {
		ret = -errno;
		goto out;
	}
	ret = sl_metrics_write(d->dp, &o, f);
	if (fclose(f) && !ret)
		ret = -EIO;
	if (ret) {
		sl_dlog(d, LOG_WARNING, "metrics: cannot read the counters: %s",
			strerror(-ret));
		free(*text);
		*text = NULL;
		*len = 0;
	}
out:
	free(s->prios);
	free(s);
	return ret;
}

int sl_show_metrics(struct sl_daemon *d, const struct sl_cmd *cmd,
		    struct sl_ctl_result *res)
{
	char *text;
	size_t len;
	int ret;

	ret = sl_daemon_metrics(d, cmd->per_cpu, &text, &len);
	if (ret) {
		sl_err(res->err, sizeof(res->err),
		       "cannot read the counters: %s", strerror(-ret));
		return ret;
	}
	/* The reply's data is the text itself, a JSON string. */
	res->data = json_object_new_string_len(text, (int)len);
	free(text);
	return res->data ? 0 : -ENOMEM;
}
