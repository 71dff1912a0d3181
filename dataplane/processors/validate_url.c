/*
 * ValidateUrl: matches the URL of an HTTP request line against a Hyperscan
 * pattern set (SQL injection by default).  A match is an attack: dropped, or
 * labelled 'attack' when on-attack is 'label'; every other packet, including
 * those that carry no request line, is 'valid'.
 */
#include <stdio.h>
#include <string.h>

#include "unf_pkt.h"

enum { L_VALID, L_ATTACK };
enum { C_ATTACKS, C_NO_URL };
static const char *const labels[] = {"valid", "attack"};
static const char *const counters[] = {"attacks", "no-url"};

struct state {
	hs_database_t *db;
	hs_scratch_t *scratch;
	bool drop;
	uint8_t buf[UNF_PAYLOAD_SCAN_MAX];
};

/* SQL injection in a URL: UNION SELECT, a quote closing a string before
 * OR/AND, tautologies, DROP TABLE, comments, timing functions, schema probes. */
static const char *const sqli_patterns[] = {
	"(?i)union[^a-z]+(all[^a-z]+)?select",
	"(?i)(%27|')[^a-z]*(or|and)[^a-z]",
	"(?i)or[^a-z]+1=1",
	"(?i)drop[^a-z]+table",
	"(?i)(--|%2d%2d)",
	"(?i)(sleep|benchmark|waitfor)[^a-z]*(\\(|%28)",
	"(?i)information_schema",
	NULL,
};
static const char *const action_values[] = {"drop", "label", NULL};
static const char *const action_default[] = {"drop", NULL};
static const struct unf_param_desc params[] = {
	{.name = "pattern", .type = "regex", .multi = true, .dflt = sqli_patterns,
	 .help = "Patterns of forbidden URLs (Hyperscan syntax)."},
	{.name = "on-attack", .type = "enumeration", .allowed = action_values,
	 .dflt = action_default, .help = "'drop' attacks, or 'label' them 'attack'."},
};

static int init(void *state, const struct unf_config *cfg, char *err, size_t errlen)
{
	struct state *st = state;
	uint16_t n, na;
	const char *const *v = unf_param_d(cfg, &params[0], &n);
	const char *const *a = unf_param_d(cfg, &params[1], &na);

	if (strcmp(a[0], "drop") != 0 && strcmp(a[0], "label") != 0) {
		snprintf(err, errlen, "on-attack is 'drop' or 'label', not '%s'", a[0]);
		return -1;
	}
	st->drop = strcmp(a[0], "drop") == 0;
	return unf_hs_compile(v, n, &st->db, &st->scratch, err, errlen);
}

static void fini(void *state)
{
	struct state *st = state;

	hs_free_scratch(st->scratch);
	hs_free_database(st->db);
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		    void *ctx)
{
	(void)id, (void)from, (void)to, (void)flags;
	*(bool *)ctx = true;
	return 1; /* one match is enough */
}

static void process_batch(void *state, const struct unf_config *cfg, struct rte_mbuf **pkts,
			  uint16_t n, uint8_t *results, uint16_t prefetch)
{
	struct state *st = state;
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct unf_parsed p;
		const uint8_t *pl, *url;
		uint32_t url_len;
		int32_t len;
		bool hit = false;

		unf_prefetch_ahead(pkts, i, n, prefetch);
		results[i] = L_VALID;
		unf_parse(pkts[i], &p);
		len = unf_tcp_payload(pkts[i], &p, st->buf, &pl);
		if (len <= 0 || !unf_http_request_url(pl, (uint32_t)len, &url, &url_len)) {
			cfg->counters[C_NO_URL]++;
			continue;
		}
		hs_scan(st->db, (const char *)url, url_len, 0, st->scratch, on_match, &hit);
		if (hit) {
			cfg->counters[C_ATTACKS]++;
			results[i] = st->drop ? UNF_RESULT_DROP : L_ATTACK;
		}
	}
}

const struct unf_descriptor unf_validate_url = {
	.unf_class = "ValidateUrl",
	.help = "Labels HTTP requests whose URL matches an attack pattern (SQL injection by default) "
		"'attack' and drops them unless on-attack is 'label'; others are 'valid'.",
	.may_drop = true,
	.can_scale = true,
	.access = {[UNF_L3] = UNF_ACCESS_READ_ONLY, [UNF_L4] = UNF_ACCESS_READ_ONLY,
		   [UNF_PAYLOAD] = UNF_ACCESS_READ_ONLY},
	.cost = 500,
	.n_labels = 2,
	.labels = labels,
	.n_counters = 2,
	.counter_names = counters,
	.n_params = 2,
	.params = params,
	.state_size = sizeof(struct state),
	.init = init,
	.fini = fini,
	.process_batch = process_batch,
};
