// SPDX-License-Identifier: GPL-2.0-only
/*
 * "capture": a client's capture lives as long as its connection.  The
 * request claims a free slot of the data plane (user/lib/capture.h) and
 * the reply hands the client the slot's ring; the server keeps the
 * connection without a deadline and tells us when it closes, however it
 * does (the client is done, interrupted, killed, or the daemon exits),
 * and the slot is stopped then.
 *
 * The words of the request: those first ones that name an interface of
 * sluice's are the interfaces, the rest is the client's FILTER, which the
 * reply gives back joined (the client may run in another network
 * namespace than ours, so it cannot tell interfaces by name itself).  A daemon that starts stops every slot:
 * a capture does not outlive the daemon that gave it.
 */
#include <errno.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "capture.h"
#include "daemon_int.h"

static struct sl_cap_hold *held_by(struct sl_daemon *d, unsigned long conn)
{
	unsigned int i;

	for (i = 0; i < SLUICE_CAP_SLOTS; i++)
		if (d->cap[i].conn == conn)
			return &d->cap[i];
	return NULL;
}

int sl_capture_open(struct sl_daemon *d, char *err, size_t errlen)
{
	int ret = sl_cap_reset(d->dp);

	if (ret)
		sl_err(err, errlen, "cannot reset the capture slots: %s",
		       strerror(-ret));
	return ret;
}

static void bit_names(struct json_object *arr, uint32_t bits,
		      const char *(*name)(uint32_t))
{
	unsigned int i;

	for (i = 0; i < 32; i++)
		if (bits & 1U << i)
			json_object_array_add(arr,
					      json_object_new_string(name(i)));
}

static const char *action_name(uint32_t a)
{
	return sl_action_name(a);
}

/* What the capture chose, as its reply and "stats" say it. */
static struct json_object *describe(unsigned int slot,
				    const struct sl_capture_opts *o,
				    int nifaces, const struct sluice_capture *f)
{
	char filter[1024] = "";
	size_t off = 0;
	struct json_object *obj = json_object_new_object();
	struct json_object *ifs = json_object_new_array();
	struct json_object *verdicts = json_object_new_array();
	struct json_object *reasons = json_object_new_array();
	int i;

	if (!obj || !ifs || !verdicts || !reasons) {
		json_object_put(obj);
		json_object_put(ifs);
		json_object_put(verdicts);
		json_object_put(reasons);
		return NULL;
	}
	for (i = 0; i < nifaces; i++)
		json_object_array_add(ifs, json_object_new_string(o->words[i]));
	for (i = nifaces; i < o->nwords && off < sizeof(filter); i++)
		off += snprintf(filter + off, sizeof(filter) - off, "%s%s",
				i > nifaces ? " " : "", o->words[i]);
	bit_names(verdicts, o->actions, action_name);
	bit_names(reasons, o->reasons, sl_reason_name);
	sl_json_add_int(obj, "capture", slot);
	json_object_object_add(obj, "interfaces", ifs);
	json_object_object_add(obj, "verdicts", verdicts);
	json_object_object_add(obj, "reasons", reasons);
	json_object_object_add(
		obj, "filter",
		nifaces < o->nwords ? json_object_new_string(filter) : NULL);
	json_object_object_add(obj, "rule",
			       o->prio ? json_object_new_int(o->prio) : NULL);
	sl_json_add_int(obj, "snaplen", f->snaplen);
	sl_json_add_int(obj, "rate", o->rate);
	sl_json_add_int(obj, "ring_bytes", SLUICE_CAP_RING_BYTES);
	return obj;
}

/* ifindex -> name of sluice's interfaces: records name only the ifindex. */
static void add_ifnames(struct sl_daemon *d, struct json_object *obj)
{
	struct json_object *names = json_object_new_object();
	struct sluice_iface i;
	unsigned int slot;
	char key[16];

	if (!names)
		return;
	for (slot = 1; slot < SLUICE_MAX_IFACES; slot++) {
		if (sl_dp_iface_get(d->dp, slot, &i) || !i.name[0] ||
		    !i.ifindex)
			continue;
		i.name[sizeof(i.name) - 1] = '\0';
		snprintf(key, sizeof(key), "%u", i.ifindex);
		json_object_object_add(names, key,
				       json_object_new_string(i.name));
	}
	json_object_object_add(obj, "ifnames", names);
}

int sl_capture_cmd(struct sl_daemon *d, const struct sl_cmd *cmd,
		   struct sl_ctl_result *res)
{
	const struct sl_capture_opts *o = &cmd->capture;
	struct sl_cap_hold *h;
	struct sluice_capture f;
	unsigned int slot;
	int i, s, ring, ret;

	if (!res->conn) {
		sl_err(res->err, sizeof(res->err),
		       "capture needs a connection of its own");
		return -EINVAL;
	}
	if (held_by(d, res->conn)) {
		sl_err(res->err, sizeof(res->err),
		       "this connection holds a capture already");
		return -EBUSY;
	}
	h = held_by(d, 0);
	if (!h) {
		sl_err(res->err, sizeof(res->err),
		       "all %d capture slots are in use", SLUICE_CAP_SLOTS);
		return -EBUSY;
	}
	slot = h - d->cap;
	sl_cap_filter_init(&f, o->rate, o->snaplen);
	f.actions = o->actions;
	f.reasons = o->reasons;
	f.prio = o->prio;
	for (i = 0; i < o->nwords; i++) {
		s = sl_dp_slot(d->dp, o->words[i], false);
		if (s < 0)
			break;
		f.slots[s / 64] |= 1ULL << (s % 64);
	}
	res->data = describe(slot, o, i, &f);
	if (!res->data)
		return -ENOMEM;
	add_ifnames(d, res->data);
	ret = sl_cap_counters(d->dp, slot, &h->base);
	if (!ret)
		ret = sl_cap_start(d->dp, slot, &f, &ring);
	if (ret) {
		sl_err(res->err, sizeof(res->err), "cannot start a capture: %s",
		       strerror(-ret));
		json_object_put(res->data);
		res->data = NULL;
		return ret;
	}
	h->conn = res->conn;
	if (!json_object_deep_copy(res->data, &h->desc, NULL))
		json_object_object_del(h->desc, "ifnames");
	res->pass_fd = ring;
	res->hold = true;
	sl_dlog(d, LOG_INFO, "capture %u started", slot);
	return 0;
}

/* The capture's own counters, from its start. */
static void add_counters(struct sl_daemon *d, struct sl_cap_hold *h,
			 struct json_object *obj)
{
	struct sluice_cap_counters now;
	unsigned int w;

	if (sl_cap_counters(d->dp, h - d->cap, &now))
		return;
	for (w = 0; w < SLUICE_CAP__MAX; w++)
		sl_json_add_int(obj, sl_cap_counter_name(w),
				now.n[w] - h->base.n[w]);
}

void sl_capture_closed(struct sl_daemon *d, unsigned long conn)
{
	struct sl_cap_hold *h = conn ? held_by(d, conn) : NULL;
	struct sluice_cap_counters now = { 0 };
	unsigned int slot;
	int ret;

	if (!h)
		return;
	slot = h - d->cap;
	sl_cap_counters(d->dp, slot, &now);
	ret = sl_cap_stop(d->dp, slot);
	if (ret)
		sl_dlog(d, LOG_ERR, "capture %u: cannot stop it: %s", slot,
			strerror(-ret));
	sl_dlog(d, LOG_INFO,
		"capture %u ended: %llu captured, %llu suppressed, %llu lost",
		slot,
		(unsigned long long)(now.n[SLUICE_CAP_CAPTURED] -
				     h->base.n[SLUICE_CAP_CAPTURED]),
		(unsigned long long)(now.n[SLUICE_CAP_SUPPRESSED] -
				     h->base.n[SLUICE_CAP_SUPPRESSED]),
		(unsigned long long)(now.n[SLUICE_CAP_LOST] -
				     h->base.n[SLUICE_CAP_LOST]));
	json_object_put(h->desc);
	memset(h, 0, sizeof(*h));
}

struct json_object *sl_capture_json(struct sl_daemon *d)
{
	struct json_object *arr = json_object_new_array(), *obj;
	unsigned int i;

	for (i = 0; arr && i < SLUICE_CAP_SLOTS; i++) {
		if (!d->cap[i].conn || !d->cap[i].desc)
			continue;
		obj = NULL;
		/* A copy: the description is kept as it was given. */
		if (json_object_deep_copy(d->cap[i].desc, &obj, NULL))
			continue;
		add_counters(d, &d->cap[i], obj);
		json_object_array_add(arr, obj);
	}
	return arr;
}
