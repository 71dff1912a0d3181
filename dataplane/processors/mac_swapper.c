/*
 * MacSwapper: swaps the source and destination MAC addresses (the paper's
 * benchmark uNF).  Frames shorter than an Ethernet header pass unchanged and
 * are counted as truncated.
 */
#include "unf_pkt.h"

enum { C_TRUNCATED };
static const char *const counters[] = {"truncated"};

static void process_batch(void *state, const struct unf_config *cfg, struct rte_mbuf **pkts,
			  uint16_t n, uint8_t *results, uint16_t prefetch)
{
	uint16_t i;

	(void)state;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t tmp[12], *eth;

		unf_prefetch_ahead(pkts, i, n, prefetch);
		results[i] = 0;
		if (rte_pktmbuf_pkt_len(m) < UNF_ETH_LEN) {
			cfg->counters[C_TRUNCATED]++;
			continue;
		}
		if (rte_pktmbuf_data_len(m) >= 12) {
			eth = rte_pktmbuf_mtod(m, uint8_t *);
			memcpy(tmp, eth, 6);
			memcpy(eth, eth + 6, 6);
			memcpy(eth + 6, tmp, 6);
		} else {
			uint8_t buf[12], out[12];
			const uint8_t *p = unf_pkt_read(m, 0, 12, buf);

			memcpy(out, p + 6, 6);
			memcpy(out + 6, p, 6);
			unf_pkt_write(m, 0, out, 12);
		}
	}
}

const struct unf_descriptor unf_mac_swapper = {
	.unf_class = "MacSwapper",
	.help = "Swaps the source and destination MAC addresses of each packet.",
	.can_scale = true,
	.access = {[UNF_L2] = UNF_ACCESS_READ_WRITE},
	.cost = 20,
	.n_counters = 1,
	.counter_names = counters,
	.process_batch = process_batch,
};
