/*
 * FlowLoadBalancer: picks a back-end per flow by a jump consistent hash of the
 * 5-tuple (adding a back-end moves only 1/n of the flows) and writes its MAC
 * as the destination.  Frames without a well-formed IPv4 header pass
 * unchanged (not-ipv4).  Stateless: any instance maps a flow alike.
 */
#include <stdio.h>

#include "unf_pkt.h"

#define N_STATIC 1
#define MAX_BACKENDS (UNF_MAX_COUNTERS - N_STATIC)

enum { C_NOT_IPV4 };
static const char *const counters[] = {"not-ipv4"};

struct state {
	uint16_t n;
	uint8_t mac[MAX_BACKENDS][6];
	char names[MAX_BACKENDS][16];
};

static const struct unf_param_desc params[] = {
	{.name = "backend", .type = "mac-address", .multi = true, .mandatory = true,
	 .help = "MAC addresses of the back-end servers."},
};

static int init(void *state, const struct unf_config *cfg, char *err, size_t errlen)
{
	struct state *st = state;
	uint16_t n, i;
	const char *const *v = unf_param_d(cfg, &params[0], &n);

	if (n == 0 || n > MAX_BACKENDS) {
		snprintf(err, errlen, "1 to %d backends", MAX_BACKENDS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (unf_parse_mac(v[i], st->mac[i]) < 0) {
			snprintf(err, errlen, "backend: '%s' is not a MAC address", v[i]);
			return -1;
		}
		snprintf(st->names[i], sizeof(st->names[i]), "backend-%u", i);
	}
	st->n = n;
	return 0;
}

static unsigned dynamic_counters(const void *state, const char **names, unsigned max)
{
	const struct state *st = state;
	unsigned i;

	for (i = 0; i < st->n && i < max; i++)
		names[i] = st->names[i];
	return st->n;
}

static void process_batch(void *state, const struct unf_config *cfg, struct rte_mbuf **pkts,
			  uint16_t n, uint8_t *results, uint16_t prefetch)
{
	const struct state *st = state;
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct unf_parsed p;
		uint32_t b;

		unf_prefetch_ahead(pkts, i, n, prefetch);
		results[i] = 0;
		unf_parse(pkts[i], &p);
		if (p.status != UNF_L3_OK) {
			cfg->counters[C_NOT_IPV4]++;
			continue;
		}
		b = unf_jump_hash(unf_flow_hash(&p), st->n);
		unf_pkt_write(pkts[i], 0, st->mac[b], 6);
		cfg->counters[N_STATIC + b]++;
	}
}

const struct unf_descriptor unf_flow_load_balancer = {
	.unf_class = "FlowLoadBalancer",
	.help = "Spreads flows over back-end servers by a consistent hash of the 5-tuple and "
		"rewrites the destination MAC.",
	.can_scale = true,
	.access = {[UNF_L2] = UNF_ACCESS_READ_WRITE, [UNF_L3] = UNF_ACCESS_READ_ONLY,
		   [UNF_L4] = UNF_ACCESS_READ_ONLY},
	.cost = 90,
	.n_counters = N_STATIC,
	.counter_names = counters,
	.n_params = 1,
	.params = params,
	.state_size = sizeof(struct state),
	.init = init,
	.process_batch = process_batch,
	.dynamic_counters = dynamic_counters,
};
