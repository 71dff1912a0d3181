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

/* TestLatency: a latency probe for the benchmarks (bench/fig8, bench/fig9).
 * Each packet carries a TSC stamp (8 bytes at `offset` of its data).  The
 * probe reads it once per batch at the chain's exit, counts the packet's
 * latency now - stamp, and (restamp=1, the last probe of the uNF) writes now
 * as the stamp for the packet's next pass; in a closed loop that is the time
 * it enters the chain again.  A zero or future stamp (the first pass) is not
 * counted.  Histogram: log2 with four linear sub-buckets per octave,
 * bucket(x) = 4 * floor(log2 x) + the two bits after the leading one; this
 * probe counts buckets from+1 .. from+12 in b1..b12, at most from in b0 and
 * at least from+13 in b13 (several probes with from = F, F+12, F+24, ... make
 * one wide histogram within the 16 counters a processor has). */
struct latency_state {
	uint32_t offset;
	uint32_t from;
	int restamp;
};

static int latency_init(void *state, const struct unf_config *cfg, char *err, size_t errlen)
{
	struct latency_state *st = state;
	const char *v;

	(void)err;
	(void)errlen;
	v = param_first(cfg, "offset");
	st->offset = v ? (uint32_t)strtoul(v, NULL, 10) : 48;
	v = param_first(cfg, "from");
	st->from = v ? (uint32_t)strtoul(v, NULL, 10) : 36;
	v = param_first(cfg, "restamp");
	st->restamp = v ? atoi(v) != 0 : 1;
	return 0;
}

static inline uint32_t latency_bucket(uint64_t x)
{
	uint32_t e;

	if (x < 4)
		return (uint32_t)x;
	e = 63u - (uint32_t)__builtin_clzll(x);
	return 4u * e + (uint32_t)((x >> (e - 2)) & 3u);
}

static void latency_batch(void *state, const struct unf_config *cfg, struct rte_mbuf **pkts,
			  uint16_t n, uint8_t *results, uint16_t prefetch)
{
	const struct latency_state *st = state;
	uint64_t now = rte_rdtsc();
	uint16_t i;

	(void)prefetch;
	for (i = 0; i < n; i++) {
		uint8_t *p = rte_pktmbuf_mtod(pkts[i], uint8_t *);
		uint64_t stamp;

		results[i] = 0;
		if (rte_pktmbuf_data_len(pkts[i]) < st->offset + sizeof(stamp))
			continue;
		memcpy(&stamp, p + st->offset, sizeof(stamp));
		if (stamp != 0 && stamp <= now) {
			uint64_t lat = now - stamp;
			uint32_t b = latency_bucket(lat);

			b = b <= st->from ? 0 : b - st->from;
			cfg->counters[2 + (b < 13 ? b : 13)]++;
			cfg->counters[0]++;
			cfg->counters[1] += lat;
		}
		if (st->restamp)
			memcpy(p + st->offset, &now, sizeof(now));
	}
}

static const char *const latency_counters[] = {
	"packets", "cycles", "b0", "b1", "b2",	"b3",  "b4",  "b5",
	"b6",	   "b7",     "b8", "b9", "b10", "b11", "b12", "b13",
};

static const struct unf_param_desc latency_params[] = {
	{.name = "offset", .type = "uint32", .help = "offset of the 8-byte stamp in the data"},
	{.name = "from", .type = "uint32", .help = "first histogram bucket (b0: at most this)"},
	{.name = "restamp", .type = "uint32", .help = "1: stamp the packet again on its way out"},
};

/* Five classes of one probe: the runtime's counters are read per class, and a
 * chain's exit fuses up to five probes with staggered ranges. */
#define TEST_LATENCY(NAME)                                                                \
	{                                                                                  \
		.unf_class = NAME,                                                         \
		.help = "test: latency probe (TSC stamp in the packet, log histogram)",    \
		.can_scale = true,                                                         \
		.access = {UNF_ACCESS_NOP, UNF_ACCESS_NOP, UNF_ACCESS_NOP,                 \
			   UNF_ACCESS_READ_WRITE},                                         \
		.cost = 10, .n_counters = 16, .counter_names = latency_counters,           \
		.n_params = 3, .params = latency_params,                                   \
		.state_size = sizeof(struct latency_state), .init = latency_init,          \
		.process_batch = latency_batch,                                            \
	}

static const struct unf_descriptor test_latency[] = {
	TEST_LATENCY("TestLatency1"),
	TEST_LATENCY("TestLatency2"),
	TEST_LATENCY("TestLatency3"),
	TEST_LATENCY("TestLatency4"),
	TEST_LATENCY("TestLatency5"),
};

const struct unf_descriptor *const unf_test_processors[] = {
	&test_ttl_reset,
	&test_macswap,
	&test_selector,
	&test_tagger,
	&test_busy,
	&test_latency[0],
	&test_latency[1],
	&test_latency[2],
	&test_latency[3],
	&test_latency[4],
};
const unsigned unf_test_processors_size = RTE_DIM(unf_test_processors);
