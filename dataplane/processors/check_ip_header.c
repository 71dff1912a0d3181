/*
 * CheckIPHeader: passes only IPv4 packets whose header is whole (version 4,
 * IHL >= 5, options allowed), whose total length fits the frame and whose
 * header checksum is right; every other frame is dropped and counted by cause.
 */
#include "unf_pkt.h"

enum { C_NOT_IPV4, C_TRUNCATED, C_BAD_VERSION, C_BAD_IHL, C_BAD_LENGTH, C_BAD_CHECKSUM };
static const char *const counters[] = {"not-ipv4",  "truncated",  "bad-version",
				       "bad-ihl",   "bad-length", "bad-checksum"};

static void process_batch(void *state, const struct unf_config *cfg, struct rte_mbuf **pkts,
			  uint16_t n, uint8_t *results, uint16_t prefetch)
{
	static const uint8_t status_counter[] = {
		[UNF_L3_NOT_IPV4] = C_NOT_IPV4,
		[UNF_L3_TRUNCATED] = C_TRUNCATED,
		[UNF_L3_BAD_VERSION] = C_BAD_VERSION,
		[UNF_L3_BAD_IHL] = C_BAD_IHL,
	};
	uint16_t i;

	(void)state;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct unf_parsed p;
		uint8_t buf[60];
		const uint8_t *ip;
		uint32_t total;

		unf_prefetch_ahead(pkts, i, n, prefetch);
		results[i] = UNF_RESULT_DROP;
		unf_parse_l3(m, &p);
		if (p.status != UNF_L3_OK) {
			cfg->counters[status_counter[p.status]]++;
			continue;
		}
		ip = unf_pkt_read(m, (uint32_t)p.l3, p.ihl, buf);
		total = unf_be16(ip + 2);
		if (total < p.ihl || (uint32_t)p.l3 + total > rte_pktmbuf_pkt_len(m)) {
			cfg->counters[C_BAD_LENGTH]++;
			continue;
		}
		if (unf_cksum(ip, p.ihl) != 0) {
			cfg->counters[C_BAD_CHECKSUM]++;
			continue;
		}
		results[i] = 0;
	}
}

const struct unf_descriptor unf_check_ip_header = {
	.unf_class = "CheckIPHeader",
	.help = "Drops packets that are not IPv4 or whose IPv4 header, length or checksum is wrong.",
	.may_drop = true,
	.can_scale = true,
	.access = {[UNF_L2] = UNF_ACCESS_READ_ONLY, [UNF_L3] = UNF_ACCESS_READ_ONLY},
	.cost = 60,
	.n_counters = 6,
	.counter_names = counters,
	.process_batch = process_batch,
};
