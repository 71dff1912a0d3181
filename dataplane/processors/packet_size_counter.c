/*
 * PacketSizeCounter: a histogram of frame lengths as named counters, one per
 * bin ('le-B': longer than the previous bound, at most B bytes) and one past
 * the last bound ('gt-B').  Reads only the mbuf's length.
 */
#include <stdio.h>

#include "unf_pkt.h"

#define MAX_BINS (UNF_MAX_COUNTERS - 1)

struct state {
	uint16_t n;
	uint32_t bound[MAX_BINS];
	char names[MAX_BINS + 1][16];
};

static const char *const bins_default[] = {"64", "128", "256", "512", "1024", "1518", NULL};
static const struct unf_param_desc params[] = {
	{.name = "bins", .type = "uint32", .multi = true, .dflt = bins_default,
	 .help = "Upper bounds of the size bins, in bytes, increasing."},
};

static int init(void *state, const struct unf_config *cfg, char *err, size_t errlen)
{
	struct state *st = state;
	uint16_t n, i;
	const char *const *v = unf_param_d(cfg, &params[0], &n);

	if (n == 0 || n > MAX_BINS) {
		snprintf(err, errlen, "1 to %d bins", MAX_BINS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (unf_parse_uint(v[i], UINT32_MAX, &st->bound[i]) < 0) {
			snprintf(err, errlen, "bins: '%s' is not an unsigned integer", v[i]);
			return -1;
		}
		if (i && st->bound[i] <= st->bound[i - 1]) {
			snprintf(err, errlen, "bins must be strictly increasing");
			return -1;
		}
		snprintf(st->names[i], sizeof(st->names[i]), "le-%u", st->bound[i]);
	}
	snprintf(st->names[n], sizeof(st->names[n]), "gt-%u", st->bound[n - 1]);
	st->n = n;
	return 0;
}

static unsigned dynamic_counters(const void *state, const char **names, unsigned max)
{
	const struct state *st = state;
	unsigned i;

	for (i = 0; i <= st->n && i < max; i++)
		names[i] = st->names[i];
	return st->n + 1u;
}

static void process_batch(void *state, const struct unf_config *cfg, struct rte_mbuf **pkts,
			  uint16_t n, uint8_t *results, uint16_t prefetch)
{
	const struct state *st = state;
	uint16_t i, b;

	(void)prefetch; /* the mbuf header only: the runtime's rx already touched it */
	for (i = 0; i < n; i++) {
		uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);

		for (b = 0; b < st->n && len > st->bound[b]; b++)
			;
		cfg->counters[b]++;
		results[i] = 0;
	}
}

const struct unf_descriptor unf_packet_size_counter = {
	.unf_class = "PacketSizeCounter",
	.help = "Counts packets per frame size bin.",
	.stateful = true,
	.cost = 25,
	.n_params = 1,
	.params = params,
	.state_size = sizeof(struct state),
	.init = init,
	.process_batch = process_batch,
	.dynamic_counters = dynamic_counters,
};
