// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>

#include "apply.h"

static int apply_set(struct sl_dp *dp, const struct sl_set_def *s, char *err,
		     size_t errlen)
{
	int id, ret;

	id = sl_dp_set_id(dp, s->name, true);
	if (id < 0) {
		sl_err(err, errlen, "set \"%s\": %s", s->name,
		       id == -ENOSPC ? "too many sets" : strerror(-id));
		return id;
	}
	ret = sl_dp_set_replace(dp, id, s->prefixes.v, s->prefixes.n);
	if (ret)
		sl_err(err, errlen, "set \"%s\": %s", s->name, strerror(-ret));
	return ret;
}

static int apply_policy(struct sl_dp *dp, const struct sl_iface_def *d,
			char *err, size_t errlen)
{
	struct sluice_iface iface;
	int slot, ret;

	slot = sl_dp_slot(dp, d->ifname, true);
	if (slot < 0) {
		sl_err(err, errlen, "%s: %s", d->ifname,
		       slot == -ENOSPC ? "too many interfaces" :
					 strerror(-slot));
		return slot;
	}
	ret = sl_dp_iface_get(dp, slot, &iface);
	if (!ret) {
		iface.policy = d->policy;
		ret = sl_dp_iface_set(dp, slot, &iface);
	}
	if (ret)
		sl_err(err, errlen, "%s: %s", d->ifname, strerror(-ret));
	return ret;
}

int sl_apply_config(struct sl_dp *dp, const struct sl_config *cfg, char *err,
		    size_t errlen)
{
	size_t i;
	int ret;

	for (i = 0; i < cfg->nsets; i++) {
		ret = apply_set(dp, &cfg->sets[i], err, errlen);
		if (ret)
			return ret;
	}
	for (i = 0; i < cfg->nifaces; i++) {
		ret = apply_policy(dp, &cfg->ifaces[i], err, errlen);
		if (ret)
			return ret;
	}
	return sl_dp_rules_replace(dp, cfg->rules, cfg->nrules, err, errlen);
}
