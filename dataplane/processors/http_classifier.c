/*
 * HttpClassifier: labels a TCP segment 'http' when one of its ports is in
 * `ports` and its payload starts an HTTP request line ('METHOD SP') or a
 * response ('HTTP/'); everything else, empty payloads included, 'non-http'.
 */
#include <stdio.h>

#include "unf_pkt.h"

#define MAX_PORTS 16

enum { L_HTTP, L_NON_HTTP };
enum { C_REQUESTS, C_RESPONSES };
static const char *const labels[] = {"http", "non-http"};
static const char *const counters[] = {"requests", "responses"};

struct state {
	uint16_t n_ports;
	uint16_t lo[MAX_PORTS], hi[MAX_PORTS];
	uint8_t scratch[UNF_PAYLOAD_SCAN_MAX];
};

static const char *const ports_default[] = {"80", NULL};
static const struct unf_param_desc params[] = {
	{.name = "ports", .type = "port-range", .multi = true, .dflt = ports_default,
	 .help = "TCP ports that may carry HTTP."},
};

static int init(void *state, const struct unf_config *cfg, char *err, size_t errlen)
{
	struct state *st = state;
	uint16_t n, i;
	const char *const *v = unf_param_d(cfg, &params[0], &n);

	if (n > MAX_PORTS) {
		snprintf(err, errlen, "at most %d port ranges", MAX_PORTS);
		return -1;
	}
	st->n_ports = n;
	for (i = 0; i < n; i++)
		if (unf_parse_port_range(v[i], &st->lo[i], &st->hi[i]) < 0) {
			snprintf(err, errlen, "ports: '%s' is not a port or range", v[i]);
			return -1;
		}
	return 0;
}

static void process_batch(void *state, const struct unf_config *cfg, struct rte_mbuf **pkts,
			  uint16_t n, uint8_t *results, uint16_t prefetch)
{
	struct state *st = state;
	uint16_t i, k;

	for (i = 0; i < n; i++) {
		struct unf_parsed p;
		const uint8_t *pl, *url;
		uint32_t url_len;
		int32_t len;
		bool port = false;

		unf_prefetch_ahead(pkts, i, n, prefetch);
		results[i] = L_NON_HTTP;
		unf_parse(pkts[i], &p);
		len = unf_tcp_payload(pkts[i], &p, st->scratch, &pl);
		if (len <= 0)
			continue;
		for (k = 0; k < st->n_ports && !port; k++)
			port = (p.sport >= st->lo[k] && p.sport <= st->hi[k]) ||
			       (p.dport >= st->lo[k] && p.dport <= st->hi[k]);
		if (!port)
			continue;
		if (unf_http_request_url(pl, (uint32_t)len, &url, &url_len)) {
			cfg->counters[C_REQUESTS]++;
			results[i] = L_HTTP;
		} else if (unf_http_is_response(pl, (uint32_t)len)) {
			cfg->counters[C_RESPONSES]++;
			results[i] = L_HTTP;
		}
	}
}

const struct unf_descriptor unf_http_classifier = {
	.unf_class = "HttpClassifier",
	.help = "Labels packets that carry an HTTP request or response 'http', others 'non-http'.",
	.can_scale = true,
	.access = {[UNF_L3] = UNF_ACCESS_READ_ONLY, [UNF_L4] = UNF_ACCESS_READ_ONLY,
		   [UNF_PAYLOAD] = UNF_ACCESS_READ_ONLY},
	.cost = 300,
	.n_labels = 2,
	.labels = labels,
	.n_counters = 2,
	.counter_names = counters,
	.n_params = 1,
	.params = params,
	.state_size = sizeof(struct state),
	.init = init,
	.process_batch = process_batch,
};
