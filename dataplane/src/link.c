/*
 * Link state and ethdev packet counts for the primary (see unf_link.h).
 */
#include <rte_ethdev.h>
#include <rte_memzone.h>

#include "unf_link.h"
#include "unf_runtime.h"

int unf_port_link_up(const char *name)
{
	struct rte_eth_link link;
	uint16_t port;

	if (rte_eth_dev_get_port_by_name(name, &port) != 0)
		return -1;
	if (rte_eth_link_get_nowait(port, &link) != 0)
		return 0;
	return link.link_status == RTE_ETH_LINK_UP;
}

int unf_port_packets(const char *name, uint64_t *ipackets, uint64_t *opackets)
{
	struct rte_eth_stats stats;
	uint16_t port;

	if (rte_eth_dev_get_port_by_name(name, &port) != 0 || rte_eth_stats_get(port, &stats) != 0)
		return -1;
	*ipackets = stats.ipackets;
	*opackets = stats.opackets;
	return 0;
}

static struct unf_control *control_zone(void)
{
	const struct rte_memzone *mz = rte_memzone_lookup(UNF_CONTROL_MZ);

	return mz == NULL ? NULL : mz->addr;
}

void unf_hold_readers(int hold)
{
	struct unf_control *c = control_zone();

	if (c != NULL)
		__atomic_store_n(&c->hold_readers, hold ? 1u : 0u, __ATOMIC_RELEASE);
}

int unf_readers_held(void)
{
	struct unf_control *c = control_zone();

	return c != NULL && __atomic_load_n(&c->hold_readers, __ATOMIC_ACQUIRE) != 0;
}
