// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>

#include "apply.h"

static int bind_names(struct sl_dp *dp, const struct sl_config *cfg, char *err,
		      size_t errlen)
{
	size_t i;
	int id;

	for (i = 0; i < cfg->nsets; i++) {
		id = sl_dp_set_id(dp, cfg->sets[i].name, true);
		if (id == -ENOSPC) {
			sl_err(err, errlen,
			       "set \"%s\": too many sets (at most %d)",
			       cfg->sets[i].name, SLUICE_MAX_SETS - 1);
			return id;
		}
		if (id < 0) {
			sl_err(err, errlen, "set \"%s\": %s", cfg->sets[i].name,
			       strerror(-id));
			return id;
		}
	}
	/*
	 * Only so that slots number the same whatever the rules name; step
	 * 5 says what a slot that could not be had means.
	 */
	for (i = 0; i < cfg->nifaces; i++)
		sl_dp_slot(dp, cfg->ifaces[i].ifname, true);
	return 0;
}

static int fill_set(struct sl_dp *dp, const struct sl_set_def *s,
		    struct sl_apply_hooks *h, char *err, size_t errlen)
{
	struct sluice_set_info before, after;
	int id, ret;

	id = sl_dp_set_id(dp, s->name, false);
	ret = id < 0 ? id : sl_dp_set_info(dp, id, &before);
	if (!ret)
		ret = sl_dp_set_replace(dp, id, s->prefixes.v, s->prefixes.n);
	if (!ret)
		ret = sl_dp_set_info(dp, id, &after);
	if (ret) {
		sl_err(err, errlen, "applied in part: set \"%s\": %s", s->name,
		       strerror(-ret));
		return ret;
	}
	if (h && h->set_filled)
		h->set_filled(h->arg, s->name, &before, &after);
	return 0;
}

static int set_policy(struct sl_dp *dp, const struct sl_iface_def *d, char *err,
		      size_t errlen)
{
	struct sluice_iface iface;
	int slot, ret;

	slot = sl_dp_slot_bind(dp, d->ifname, err, errlen);
	if (slot < 0)
		return slot;
	ret = sl_dp_iface_get(dp, slot, &iface);
	if (!ret) {
		iface.policy = d->policy;
		ret = sl_dp_iface_set(dp, slot, &iface);
	}
	if (ret)
		sl_err(err, errlen, "%s: %s", d->ifname, strerror(-ret));
	return ret;
}

/*
 * The rules did not compile: say which one, at FILE:LINE when the file
 * has it.  Compiling them one by one costs nothing on the way that works.
 */
static void locate_rule_error(struct sl_dp *dp, const struct sl_config *cfg,
			      const struct sl_rule *rules, size_t n, char *err,
			      size_t errlen)
{
	char one[SL_ERR_LEN], where[SL_ERR_LEN];
	size_t i;

	for (i = 0; i < n; i++) {
		if (!sl_dp_rules_check(dp, &rules[i], 1, one, sizeof(one)))
			continue;
		sl_config_rule_where(cfg, rules[i].prio, where, sizeof(where));
		if (where[0])
			sl_err(err, errlen, "%s: %s", where, one);
		return;
	}
}

int sl_apply(struct sl_dp *dp, const struct sl_config *cfg,
	     struct sl_apply_hooks *h, char *err, size_t errlen)
{
	const struct sl_rule *rules = cfg->rules;
	size_t i, nrules = cfg->nrules;
	int ret;

	if (h && h->own_rules) {
		rules = h->rules;
		nrules = h->nrules;
	}
	ret = bind_names(dp, cfg, err, errlen);
	if (!ret) {
		ret = sl_dp_rules_check(dp, rules, nrules, err, errlen);
		if (ret)
			locate_rule_error(dp, cfg, rules, nrules, err, errlen);
	}
	if (ret)
		return ret;
	if (h)
		h->partial = true;
	for (i = 0; i < cfg->nsets; i++) {
		ret = fill_set(dp, &cfg->sets[i], h, err, errlen);
		if (ret)
			return ret;
	}
	ret = sl_dp_rules_replace(dp, rules, nrules, err, errlen);
	if (ret)
		return ret;
	if (h && h->rules_published)
		h->rules_published(h->arg);
	if (h && h->ifaces) {
		h->ifaces(h->arg, cfg);
		h->partial = false;
		return 0;
	}
	for (i = 0; i < cfg->nifaces; i++) {
		ret = set_policy(dp, &cfg->ifaces[i], err, errlen);
		if (ret)
			return ret;
	}
	if (h)
		h->partial = false;
	return 0;
}

int sl_apply_config(struct sl_dp *dp, const struct sl_config *cfg, char *err,
		    size_t errlen)
{
	return sl_apply(dp, cfg, NULL, err, errlen);
}
