/*
 * IPTtlDecrementer: decrements the IPv4 TTL and updates the header checksum
 * incrementally (RFC 1624); drops packets whose TTL would reach 0.  Frames
 * without a well-formed IPv4 header pass unchanged (counted as not-ipv4).
 */
#include "unf_pkt.h"

enum { C_NOT_IPV4, C_EXPIRED };
static const char *const counters[] = {"not-ipv4", "expired"};

static void process_batch(void *state, const struct unf_config *cfg, struct rte_mbuf **pkts,
			  uint16_t n, uint8_t *results, uint16_t prefetch)
{
	uint16_t i;

	(void)state;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct unf_parsed p;
		uint8_t buf[4], out[4];
		const uint8_t *f;
		uint32_t old, s;

		unf_prefetch_ahead(pkts, i, n, prefetch);
		results[i] = 0;
		unf_parse_l3(m, &p);
		if (p.status != UNF_L3_OK) {
			cfg->counters[C_NOT_IPV4]++;
			continue;
		}
		f = unf_pkt_read(m, (uint32_t)p.l3 + 8, 4, buf); /* TTL, protocol, checksum */
		if (f[0] <= 1) {
			cfg->counters[C_EXPIRED]++;
			results[i] = UNF_RESULT_DROP;
			continue;
		}
		old = (uint32_t)(f[0] << 8 | f[1]);
		s = (uint16_t)~unf_be16(f + 2) + (uint16_t)~old + (old - 0x100);
		s = (s & 0xFFFF) + (s >> 16);
		s = (s & 0xFFFF) + (s >> 16);
		s = (uint16_t)~s;
		out[0] = (uint8_t)(f[0] - 1);
		out[1] = f[1];
		out[2] = (uint8_t)(s >> 8);
		out[3] = (uint8_t)s;
		unf_pkt_write(m, (uint32_t)p.l3 + 8, out, 4);
	}
}

const struct unf_descriptor unf_ip_ttl_decrementer = {
	.unf_class = "IPTtlDecrementer",
	.help = "Decrements the IPv4 TTL, fixes the checksum and drops packets whose TTL expires.",
	.may_drop = true,
	.can_scale = true,
	.access = {[UNF_L2] = UNF_ACCESS_READ_ONLY, [UNF_L3] = UNF_ACCESS_READ_WRITE},
	.cost = 30,
	.n_counters = 2,
	.counter_names = counters,
	.process_batch = process_batch,
};
