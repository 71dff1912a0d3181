/*
 * L3L4Filter: ordered allow/deny rules over the 5-tuple
 * ('allow|deny [src PREFIX] [dst PREFIX] [proto tcp|udp|icmp|N] [sport RANGE]
 * [dport RANGE]'); the first matching rule decides, else default-action.  A
 * rule without fields matches every frame; a rule with fields never matches a
 * frame without a well-formed IPv4 header, and a port field never matches one
 * without a TCP/UDP header (later fragments, truncated segments).
 */
#include <stdio.h>
#include <string.h>

#include "unf_pkt.h"

#define MAX_RULES 256

enum { C_ALLOWED, C_DENIED, C_NO_MATCH };
static const char *const counters[] = {"allowed", "denied", "no-match"};

struct rule {
	struct unf_match match;
	bool allow;
};

struct state {
	uint16_t n_rules;
	bool default_allow;
	struct rule rules[MAX_RULES];
};

static const char *const action_values[] = {"allow", "deny", NULL};
static const char *const action_default[] = {"allow", NULL};
static const struct unf_param_desc params[] = {
	{.name = "rule", .type = "rule", .multi = true,
	 .help = "Rules, in order, e.g. 'deny proto udp dport 53'."},
	{.name = "default-action", .type = "enumeration", .allowed = action_values,
	 .dflt = action_default, .help = "'allow' or 'deny' when no rule matches."},
};

static int init(void *state, const struct unf_config *cfg, char *err, size_t errlen)
{
	struct state *st = state;
	uint16_t n, i;
	const char *const *v;
	const char *dflt;
	const char *const *d = unf_param_d(cfg, &params[1], &n);

	dflt = d[0];
	v = unf_param(cfg, "rule", &n);

	if (n > MAX_RULES) {
		snprintf(err, errlen, "at most %d rules", MAX_RULES);
		return -1;
	}
	if (strcmp(dflt, "allow") != 0 && strcmp(dflt, "deny") != 0) {
		snprintf(err, errlen, "default-action is 'allow' or 'deny', not '%s'", dflt);
		return -1;
	}
	st->default_allow = strcmp(dflt, "allow") == 0;
	st->n_rules = n;
	for (i = 0; i < n; i++) {
		char buf[512], msg[128];
		const char *s = v[i];
		size_t w;

		s += strspn(s, " \t\n\r\f\v");
		w = strcspn(s, " \t\n\r\f\v");
		if (!((w == 5 && strncmp(s, "allow", 5) == 0) || (w == 4 && strncmp(s, "deny", 4) == 0))) {
			snprintf(err, errlen, "rule %u: starts with 'allow' or 'deny'", i + 1);
			return -1;
		}
		st->rules[i].allow = w == 5;
		if (unf_parse_match(s + w, &st->rules[i].match, NULL, NULL, buf, sizeof(buf), msg,
				    sizeof(msg)) < 0) {
			snprintf(err, errlen, "rule %u: %s", i + 1, msg);
			return -1;
		}
	}
	return 0;
}

static void process_batch(void *state, const struct unf_config *cfg, struct rte_mbuf **pkts,
			  uint16_t n, uint8_t *results, uint16_t prefetch)
{
	const struct state *st = state;
	uint16_t i, r;

	for (i = 0; i < n; i++) {
		struct unf_parsed p;
		bool allow = st->default_allow, matched = false;

		unf_prefetch_ahead(pkts, i, n, prefetch);
		unf_parse(pkts[i], &p);
		for (r = 0; r < st->n_rules; r++)
			if (unf_match(&st->rules[r].match, &p)) {
				allow = st->rules[r].allow;
				matched = true;
				break;
			}
		if (!matched)
			cfg->counters[C_NO_MATCH]++;
		cfg->counters[allow ? C_ALLOWED : C_DENIED]++;
		results[i] = allow ? 0 : UNF_RESULT_DROP;
	}
}

const struct unf_descriptor unf_l3l4_filter = {
	.unf_class = "L3L4Filter",
	.help = "Allows or denies packets by their layer 3-4 signature; the first matching rule wins.",
	.may_drop = true,
	.can_scale = true,
	.access = {[UNF_L3] = UNF_ACCESS_READ_ONLY, [UNF_L4] = UNF_ACCESS_READ_ONLY},
	.cost = 80,
	.n_counters = 3,
	.counter_names = counters,
	.n_params = 2,
	.params = params,
	.state_size = sizeof(struct state),
	.init = init,
	.process_batch = process_batch,
};
