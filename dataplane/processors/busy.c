/*
 * Busy: spins a given number of TSC cycles per packet and forwards it
 * unchanged; the benchmarks' stand-in for a processor of known cost.
 */
#include <stdio.h>

#include <rte_cycles.h>

#include "unf_pkt.h"

struct state {
	uint64_t cycles;
};

static const char *const cycles_default[] = {"100", NULL};
static const struct unf_param_desc params[] = {
	{.name = "cycles", .type = "uint32", .dflt = cycles_default,
	 .help = "TSC cycles to spin per packet."},
};

static int init(void *state, const struct unf_config *cfg, char *err, size_t errlen)
{
	struct state *st = state;
	uint16_t n;
	uint32_t c;
	const char *const *v = unf_param_d(cfg, &params[0], &n);

	if (unf_parse_uint(v[0], UINT32_MAX, &c) < 0) {
		snprintf(err, errlen, "cycles: '%s' is not an unsigned integer", v[0]);
		return -1;
	}
	st->cycles = c;
	return 0;
}

static void process_batch(void *state, const struct unf_config *cfg, struct rte_mbuf **pkts,
			  uint16_t n, uint8_t *results, uint16_t prefetch)
{
	const struct state *st = state;
	uint64_t end = rte_rdtsc();
	uint16_t i;

	(void)cfg, (void)pkts, (void)prefetch;
	/* One deadline per packet, counted from the previous one: the burst
	 * takes n x cycles however coarse the clock reads are (no rte_pause,
	 * whose ~140-cycle latency on recent cores would overshoot). */
	for (i = 0; i < n; i++) {
		end += st->cycles;
		while (rte_rdtsc() < end)
			;
		results[i] = 0;
	}
}

const struct unf_descriptor unf_busy = {
	.unf_class = "Busy",
	.help = "Spins a given number of cycles per packet (for benchmarks).",
	.can_scale = true,
	.cost = 100,
	.n_params = 1,
	.params = params,
	.state_size = sizeof(struct state),
	.init = init,
	.process_batch = process_batch,
};
