/*
 * CountUrl: counts HTTP requests whose URL matches each pattern (one named
 * counter 'url:PATTERN' per pattern; a URL may match several), requests that
 * match none ('unmatched') and packets without a request line ('no-url').
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unf_pkt.h"

#define N_STATIC 2
#define MAX_URLS (UNF_MAX_COUNTERS - N_STATIC)

enum { C_NO_URL, C_UNMATCHED };
static const char *const counters[] = {"no-url", "unmatched"};

struct state {
	hs_database_t *db;
	hs_scratch_t *scratch;
	uint16_t n;
	char *names[MAX_URLS];
	uint8_t buf[UNF_PAYLOAD_SCAN_MAX];
};

static const struct unf_param_desc params[] = {
	{.name = "url", .type = "regex", .multi = true, .mandatory = true,
	 .help = "URL patterns to count (Hyperscan syntax)."},
};

static void fini(void *state)
{
	struct state *st = state;
	uint16_t i;

	for (i = 0; i < st->n; i++)
		free(st->names[i]);
	hs_free_scratch(st->scratch);
	hs_free_database(st->db);
	st->n = 0;
	st->db = NULL;
	st->scratch = NULL;
}

static int init(void *state, const struct unf_config *cfg, char *err, size_t errlen)
{
	struct state *st = state;
	uint16_t n, i, j;
	const char *const *v = unf_param_d(cfg, &params[0], &n);

	if (n == 0) {
		snprintf(err, errlen, "parameter 'url' is mandatory");
		return -1;
	}
	if (n > MAX_URLS) {
		snprintf(err, errlen, "at most %d url patterns", MAX_URLS);
		return -1;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(v[i], v[j]) == 0) {
				snprintf(err, errlen, "'url:%s' given twice", v[i]);
				return -1;
			}
	if (unf_hs_compile(v, n, &st->db, &st->scratch, err, errlen) < 0)
		return -1;
	for (st->n = 0; st->n < n; st->n++) {
		size_t len = strlen(v[st->n]) + 5;

		st->names[st->n] = malloc(len);
		if (!st->names[st->n]) {
			fini(st);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		snprintf(st->names[st->n], len, "url:%s", v[st->n]);
	}
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

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		    void *ctx)
{
	(void)from, (void)to, (void)flags;
	*(uint32_t *)ctx |= 1u << id;
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
		uint32_t url_len, hits = 0;
		int32_t len;

		unf_prefetch_ahead(pkts, i, n, prefetch);
		results[i] = 0;
		unf_parse(pkts[i], &p);
		len = unf_tcp_payload(pkts[i], &p, st->buf, &pl);
		if (len <= 0 || !unf_http_request_url(pl, (uint32_t)len, &url, &url_len)) {
			cfg->counters[C_NO_URL]++;
			continue;
		}
		hs_scan(st->db, (const char *)url, url_len, 0, st->scratch, on_match, &hits);
		if (!hits)
			cfg->counters[C_UNMATCHED]++;
		for (k = 0; k < st->n; k++)
			if (hits & (1u << k))
				cfg->counters[N_STATIC + k]++;
	}
}

const struct unf_descriptor unf_count_url = {
	.unf_class = "CountUrl",
	.help = "Counts HTTP requests whose URL matches each pattern.",
	.stateful = true,
	.access = {[UNF_L3] = UNF_ACCESS_READ_ONLY, [UNF_L4] = UNF_ACCESS_READ_ONLY,
		   [UNF_PAYLOAD] = UNF_ACCESS_READ_ONLY},
	.cost = 250,
	.n_counters = N_STATIC,
	.counter_names = counters,
	.n_params = 1,
	.params = params,
	.state_size = sizeof(struct state),
	.init = init,
	.fini = fini,
	.process_batch = process_batch,
	.dynamic_counters = dynamic_counters,
};
