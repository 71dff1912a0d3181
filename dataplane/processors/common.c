/*
 * common.c: what several processors share: the HTTP request line, the TCP
 * payload, parameter parsing and 5-tuple matches.  Each parser accepts exactly
 * what the Python reference models accept (models/reference/params.py).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unf_pkt.h"

static const char *const http_methods[] = {"GET",  "POST",  "PUT",     "DELETE", "HEAD",
					   "OPTIONS", "PATCH", "CONNECT", "TRACE",  NULL};

int unf_http_request_url(const uint8_t *payload, uint32_t len, const uint8_t **url,
			 uint32_t *url_len)
{
	unsigned i;

	for (i = 0; http_methods[i]; i++) {
		uint32_t ml = (uint32_t)strlen(http_methods[i]), j;

		if (len <= ml || memcmp(payload, http_methods[i], ml) != 0 || payload[ml] != ' ')
			continue;
		*url = payload + ml + 1;
		for (j = ml + 1; j < len; j++)
			if (payload[j] == ' ' || payload[j] == '\r' || payload[j] == '\n')
				break;
		*url_len = j - (ml + 1);
		return 1;
	}
	return 0;
}

int32_t unf_tcp_payload(const struct rte_mbuf *m, const struct unf_parsed *p, uint8_t *scratch,
			const uint8_t **out)
{
	uint32_t len;

	if (p->status != UNF_L3_OK || p->proto != UNF_PROTO_TCP || p->payload < 0)
		return -1;
	len = p->ip_end - (uint32_t)p->payload;
	if (len > UNF_PAYLOAD_SCAN_MAX)
		len = UNF_PAYLOAD_SCAN_MAX;
	if (len == 0) {
		*out = scratch;
		return 0;
	}
	*out = unf_pkt_read(m, (uint32_t)p->payload, len, scratch);
	return *out ? (int32_t)len : -1;
}

const char *const *unf_param(const struct unf_config *cfg, const char *name, uint16_t *n)
{
	uint16_t i;

	for (i = 0; i < cfg->n_params; i++)
		if (strcmp(cfg->params[i].name, name) == 0 && cfg->params[i].n_values > 0) {
			*n = cfg->params[i].n_values;
			return cfg->params[i].values;
		}
	*n = 0;
	return NULL;
}

const char *unf_param1(const struct unf_config *cfg, const char *name, const char *dflt)
{
	uint16_t n;
	const char *const *v = unf_param(cfg, name, &n);

	return v ? v[0] : dflt;
}

int unf_parse_uint(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	size_t i, len = strlen(s);

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int unf_parse_port_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	char buf[32];
	const char *dash = strchr(s, '-');
	uint32_t a, b;

	if (strlen(s) >= sizeof(buf))
		return -1;
	if (!dash) {
		if (unf_parse_uint(s, 0xFFFF, &a) < 0)
			return -1;
		*lo = *hi = (uint16_t)a;
		return 0;
	}
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = '\0';
	if (unf_parse_uint(buf, 0xFFFF, &a) < 0 || unf_parse_uint(dash + 1, 0xFFFF, &b) < 0 || a > b)
		return -1;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

int unf_parse_ipv4(const char *s, uint32_t *out)
{
	uint32_t v = 0, part;
	unsigned i;

	for (i = 0; i < 4; i++) {
		char buf[4];
		size_t k = 0;

		while (*s >= '0' && *s <= '9') {
			if (k == 3)
				return -1;
			buf[k++] = *s++;
		}
		buf[k] = '\0';
		if (unf_parse_uint(buf, 255, &part) < 0)
			return -1;
		v = v << 8 | part;
		if (i < 3 && *s++ != '.')
			return -1;
	}
	if (*s)
		return -1;
	*out = v;
	return 0;
}

int unf_parse_prefix(const char *s, uint32_t *net, uint32_t *mask)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	uint32_t addr, bits = 32;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if (slash) {
		buf[slash - s] = '\0';
		if (unf_parse_uint(slash + 1, 32, &bits) < 0)
			return -1;
	}
	if (unf_parse_ipv4(buf, &addr) < 0)
		return -1;
	*mask = bits ? 0xFFFFFFFFu << (32 - bits) : 0;
	*net = addr & *mask;
	return 0;
}

int unf_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned i;

	if (strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++) {
		const char *h = s + 3 * i;
		char hex[3] = {h[0], h[1], '\0'};

		if (!isxdigit((unsigned char)h[0]) || !isxdigit((unsigned char)h[1]) ||
		    (i < 5 && h[2] != ':'))
			return -1;
		mac[i] = (uint8_t)strtoul(hex, NULL, 16);
	}
	return 0;
}

int unf_parse_proto(const char *s, uint8_t *out)
{
	uint32_t v;

	if (strcmp(s, "icmp") == 0)
		v = 1;
	else if (strcmp(s, "tcp") == 0)
		v = 6;
	else if (strcmp(s, "udp") == 0)
		v = 17;
	else if (unf_parse_uint(s, 255, &v) < 0)
		return -1;
	*out = (uint8_t)v;
	return 0;
}

static const char *const match_fields[] = {"src", "dst", "proto", "sport", "dport", NULL};

static int field_index(const char *key, const char *const *list)
{
	int i;

	for (i = 0; list && list[i]; i++)
		if (strcmp(key, list[i]) == 0)
			return i;
	return -1;
}

int unf_parse_match(const char *s, struct unf_match *m, const char *const *extra,
		    const char **extra_vals, char *buf, size_t buflen, char *err, size_t errlen)
{
	char *save = NULL, *key, *val;
	unsigned seen = 0, seen_extra = 0;
	int i;

	memset(m, 0, sizeof(*m));
	for (i = 0; extra && extra[i]; i++)
		extra_vals[i] = NULL;
	if (strlen(s) >= buflen) {
		snprintf(err, errlen, "too long");
		return -1;
	}
	strcpy(buf, s);
	for (key = strtok_r(buf, " \t\n\r\f\v", &save); key;
	     key = strtok_r(NULL, " \t\n\r\f\v", &save)) {
		int f = field_index(key, match_fields), x = field_index(key, extra);

		val = strtok_r(NULL, " \t\n\r\f\v", &save);
		if (!val) {
			snprintf(err, errlen, "'%s' needs a value", key);
			return -1;
		}
		if (f < 0 && x < 0) {
			snprintf(err, errlen, "unknown field '%s'", key);
			return -1;
		}
		if ((f >= 0 && (seen & (1u << f))) || (x >= 0 && (seen_extra & (1u << x)))) {
			snprintf(err, errlen, "field '%s' appears twice", key);
			return -1;
		}
		if (x >= 0) {
			seen_extra |= 1u << x;
			extra_vals[x] = val;
			continue;
		}
		seen |= 1u << f;
		if ((f == 0 && unf_parse_prefix(val, &m->src, &m->src_mask) < 0) ||
		    (f == 1 && unf_parse_prefix(val, &m->dst, &m->dst_mask) < 0) ||
		    (f == 2 && unf_parse_proto(val, &m->proto) < 0) ||
		    (f == 3 && unf_parse_port_range(val, &m->sport_lo, &m->sport_hi) < 0) ||
		    (f == 4 && unf_parse_port_range(val, &m->dport_lo, &m->dport_hi) < 0)) {
			snprintf(err, errlen, "bad %s '%s'", key, val);
			return -1;
		}
	}
	m->has = (uint8_t)seen; /* bit order of match_fields is UNF_M_* */
	return 0;
}

const char *const *unf_param_d(const struct unf_config *cfg, const struct unf_param_desc *pd,
			       uint16_t *n)
{
	const char *const *v = unf_param(cfg, pd->name, n);

	if (v || !pd->dflt)
		return v;
	for (*n = 0; pd->dflt[*n]; (*n)++)
		;
	return *n ? pd->dflt : NULL;
}

int unf_hs_compile(const char *const *patterns, uint16_t n, hs_database_t **db,
		   hs_scratch_t **scratch, char *err, size_t errlen)
{
	unsigned flags[UNF_MAX_COUNTERS], ids[UNF_MAX_COUNTERS], i;
	hs_compile_error_t *cerr = NULL;

	*db = NULL;
	*scratch = NULL;
	if (n == 0 || n > UNF_MAX_COUNTERS) {
		snprintf(err, errlen, "1 to %d patterns", UNF_MAX_COUNTERS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		flags[i] = HS_FLAG_SINGLEMATCH;
		ids[i] = i;
	}
	if (hs_compile_multi(patterns, flags, ids, n, HS_MODE_BLOCK, NULL, db, &cerr) !=
	    HS_SUCCESS) {
		if (cerr->expression >= 0)
			snprintf(err, errlen, "bad pattern '%s': %s", patterns[cerr->expression],
				 cerr->message);
		else
			snprintf(err, errlen, "patterns: %s", cerr->message);
		hs_free_compile_error(cerr);
		return -1;
	}
	if (hs_alloc_scratch(*db, scratch) != HS_SUCCESS) {
		snprintf(err, errlen, "cannot allocate Hyperscan scratch space");
		hs_free_database(*db);
		*db = NULL;
		return -1;
	}
	return 0;
}
