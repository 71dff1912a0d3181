/*
 * test_processors.c: tiny processors that exercise the runtime's mechanisms
 * (ports, label routing, egress maps, drops, cycle costs) independently of the
 * built-in processors of dataplane/processors/.  Their class names start with
 * "Test" and they are not part of the registry, so the catalog never lists
 * them; unf_find_processor() falls back to them.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>

#include "unf_runtime.h"

static const char *param_first(const struct unf_config *cfg, const char *name)
{
	uint16_t i;

	for (i = 0; i < cfg->n_params; i++)
		if (strcmp(cfg->params[i].name, name) == 0 && cfg->params[i].n_values > 0)
			return cfg->params[i].values[0];
	return NULL;
}

/* TestMacSwap: swaps source and destination MAC (the paper's MacSwapper). */
static void macswap_batch(void *state, const struct unf_config *cfg, struct rte_mbuf **pkts,
			  uint16_t n, uint8_t *results, uint16_t prefetch)
{
	uint16_t i;

	(void)state;
	for (i = 0; i < n; i++) {
		struct rte_ether_hdr *eth;
		struct rte_ether_addr tmp;

		if (prefetch && i + prefetch < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + prefetch], void *));
		results[i] = 0;
		if (rte_pktmbuf_data_len(pkts[i]) < sizeof(*eth))
			continue;
		eth = rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);
		tmp = eth->src_addr;
		eth->src_addr = eth->dst_addr;
		eth->dst_addr = tmp;
	}
	cfg->counters[0] += n;
}

static const char *const macswap_counters[] = {"packets"};

static const struct unf_descriptor test_macswap = {
	.unf_class = "TestMacSwap",
	.help = "test: swaps the Ethernet addresses",
	.can_scale = true,
	.access = {UNF_ACCESS_READ_WRITE, UNF_ACCESS_NOP, UNF_ACCESS_NOP, UNF_ACCESS_NOP},
	.cost = 10,
	.n_counters = 1,
	.counter_names = macswap_counters,
	.process_batch = macswap_batch,
};

/* TestSelector: result = byte at `offset` modulo 3 (labels l0, l1, l2);
 * a byte of 0xFF drops the packet. */
struct selector_state {
	uint32_t offset;
};

static int selector_init(void *state, const struct unf_config *cfg, char *err, size_t errlen)
{
	struct selector_state *st = state;
	const char *v = param_first(cfg, "offset");

	(void)err;
	(void)errlen;
	st->offset = v ? (uint32_t)strtoul(v, NULL, 10) : 14;
	return 0;
}

static void selector_batch(void *state, const struct unf_config *cfg, struct rte_mbuf **pkts,
			   uint16_t n, uint8_t *results, uint16_t prefetch)
{
	struct selector_state *st = state;
	uint16_t i;

	(void)prefetch;
	for (i = 0; i < n; i++) {
		const uint8_t *p = rte_pktmbuf_mtod(pkts[i], const uint8_t *);

		if (rte_pktmbuf_data_len(pkts[i]) <= st->offset) {
			results[i] = 0;
			continue;
		}
		results[i] = p[st->offset] == 0xFF ? UNF_RESULT_DROP : p[st->offset] % 3;
		cfg->counters[results[i] == UNF_RESULT_DROP ? 1 : 0]++;
	}
}

static const char *const selector_labels[] = {"l0", "l1", "l2"};
static const char *const selector_counters[] = {"selected", "dropped"};

static const struct unf_descriptor test_selector = {
	.unf_class = "TestSelector",
	.help = "test: label from one byte (mod 3), 0xFF drops",
	.may_drop = true,
	.can_scale = true,
	.access = {UNF_ACCESS_NOP, UNF_ACCESS_NOP, UNF_ACCESS_NOP, UNF_ACCESS_READ_ONLY},
	.cost = 10,
	.n_labels = 3,
	.labels = selector_labels,
	.n_counters = 2,
	.counter_names = selector_counters,
	.state_size = sizeof(struct selector_state),
	.init = selector_init,
	.process_batch = selector_batch,
};

/* TestTagger: sets the packet's chain tag to the byte at `offset`. */
static void tagger_batch(void *state, const struct unf_config *cfg, struct rte_mbuf **pkts,
			 uint16_t n, uint8_t *results, uint16_t prefetch)
{
	struct selector_state *st = state;
	uint16_t i;

	(void)prefetch;
	(void)cfg;
	for (i = 0; i < n; i++) {
		const uint8_t *p = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
		struct unf_mbuf_meta *meta =
			RTE_MBUF_DYNFIELD(pkts[i], unf_meta_offset, struct unf_mbuf_meta *);

		meta->tag = rte_pktmbuf_data_len(pkts[i]) > st->offset ? p[st->offset] : 0;
		results[i] = 0;
	}
}

static const struct unf_descriptor test_tagger = {
	.unf_class = "TestTagger",
	.help = "test: chain tag from one byte",
	.can_scale = true,
	.access = {UNF_ACCESS_NOP, UNF_ACCESS_NOP, UNF_ACCESS_NOP, UNF_ACCESS_READ_ONLY},
	.cost = 10,
	.state_size = sizeof(struct selector_state),
	.init = selector_init,
	.process_batch = tagger_batch,
};

/* TestBusy: spins `cycles` TSC cycles per packet, then writes its instance
 * mark (parameter `mark`, one byte) at `offset` when given. */
struct busy_state {
	uint64_t cycles;
	int32_t mark;
	uint32_t offset;
};

static int busy_init(void *state, const struct unf_config *cfg, char *err, size_t errlen)
{
	struct busy_state *st = state;
	const char *c = param_first(cfg, "cycles");
	const char *m = param_first(cfg, "mark");
	const char *o = param_first(cfg, "offset");

	(void)err;
	(void)errlen;
	st->cycles = c ? strtoull(c, NULL, 10) : 0;
	st->mark = m ? atoi(m) : -1;
	st->offset = o ? (uint32_t)strtoul(o, NULL, 10) : 15;
	return 0;
}

static void busy_batch(void *state, const struct unf_config *cfg, struct rte_mbuf **pkts,
		       uint16_t n, uint8_t *results, uint16_t prefetch)
{
	struct busy_state *st = state;
	uint16_t i;

	(void)prefetch;
	for (i = 0; i < n; i++) {
		if (st->cycles) {
			uint64_t end = rte_rdtsc() + st->cycles;

			while (rte_rdtsc() < end)
				rte_pause();
		}
		if (st->mark >= 0 && rte_pktmbuf_data_len(pkts[i]) > st->offset)
			rte_pktmbuf_mtod(pkts[i], uint8_t *)[st->offset] = (uint8_t)st->mark;
		results[i] = 0;
	}
	cfg->counters[0] += n;
}

static const char *const busy_counters[] = {"packets"};

static const struct unf_descriptor test_busy = {
	.unf_class = "TestBusy",
	.help = "test: spins N cycles per packet, optionally marks it",
	.can_scale = true,
	.access = {UNF_ACCESS_NOP, UNF_ACCESS_NOP, UNF_ACCESS_NOP, UNF_ACCESS_READ_WRITE},
	.cost = 100,
	.n_counters = 1,
	.counter_names = busy_counters,
	.state_size = sizeof(struct busy_state),
	.init = busy_init,
	.process_batch = busy_batch,
};

/* TestTtlReset: sets an IPv4 TTL back to 64 (checksum recomputed), so that
 * packets can circulate in a closed benchmark loop of TTL decrementers. */
static void ttl_reset_batch(void *state, const struct unf_config *cfg, struct rte_mbuf **pkts,
			    uint16_t n, uint8_t *results, uint16_t prefetch)
{
	uint16_t i;

	(void)state;
	(void)prefetch;
	for (i = 0; i < n; i++) {
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);

		results[i] = 0;
		if (rte_pktmbuf_data_len(pkts[i]) >= sizeof(*eth) + sizeof(struct rte_ipv4_hdr) &&
		    eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
			struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

			ip->time_to_live = 64;
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		}
	}
	cfg->counters[0] += n;
}

static const char *const ttl_reset_counters[] = {"packets"};

static const struct unf_descriptor test_ttl_reset = {
	.unf_class = "TestTtlReset",
	.help = "test: IPv4 TTL back to 64",
	.can_scale = true,
	.access = {UNF_ACCESS_NOP, UNF_ACCESS_READ_WRITE, UNF_ACCESS_NOP, UNF_ACCESS_NOP},
	.cost = 20,
	.n_counters = 1,
	.counter_names = ttl_reset_counters,
	.process_batch = ttl_reset_batch,
};

const struct unf_descriptor *const unf_test_processors[] = {
	&test_ttl_reset,
	&test_macswap,
	&test_selector,
	&test_tagger,
	&test_busy,
};
const unsigned unf_test_processors_size = RTE_DIM(unf_test_processors);
