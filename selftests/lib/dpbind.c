/* SPDX-License-Identifier: GPL-2.0-only */
#include <sluice/abi.h>

#include "dpbind.h"

int dp_bind_slot(struct sl_dp *dp, const char *name, int ifindex)
{
	struct sluice_iface iface;
	int slot, ret;

	slot = sl_dp_slot(dp, name, true);
	if (slot < 0)
		return slot;
	ret = sl_dp_iface_get(dp, slot, &iface);
	if (ret)
		return ret;
	iface.ifindex = ifindex;
	ret = sl_dp_iface_set(dp, slot, &iface);
	return ret ? ret : slot;
}
