/*
 * RxService: the first uNF of a graph on a server.  It strips one tunnel tag
 * (an 802.1Q/802.1ad tag, or a VXLAN encapsulation to UDP port 4789) put on
 * by another server's TxService, then picks the first classifier entry
 * ('TAG [vlan ID] [vni ID] [src PREFIX] [dst PREFIX] [proto P] [sport RANGE]
 * [dport RANGE]') that matches: the result is that entry's index, so the
 * runtime sends the packet to the entry ring of the entry's graph, and the
 * chain tag goes into the packet's metadata (UNF_META_DYNFIELD_NAME).  With
 * no entries every frame takes the one output; with entries, a frame that
 * matches none is dropped (unclassified).
 */
#include <stdio.h>
#include <string.h>

#include <rte_mbuf_dyn.h>

#include "unf_pkt.h"

#define MAX_ENTRIES UNF_MAX_LABELS

enum { C_TRUNCATED, C_UNCLASSIFIED, C_DECAPSULATED };
static const char *const counters[] = {"truncated", "unclassified", "decapsulated"};

struct entry {
	struct unf_match match;
	int32_t vlan; /* -1: any */
	int32_t vni;  /* -1: any */
	uint16_t tag;
	char label[8];
};

struct state {
	uint16_t n;
	bool decap;
	int meta_offset; /* -1 when the runtime registered no metadata field */
	struct entry entries[MAX_ENTRIES];
};

static const char *const port_default[] = {"port0", NULL};
static const char *const decap_default[] = {"true", NULL};
static const struct unf_param_desc params[] = {
	{.name = "port", .type = "string", .dflt = port_default, .help = "Data-plane port to read."},
	{.name = "classifier", .type = "string", .multi = true,
	 .help = "Entries in order: 'TAG [vlan ID] [vni ID] [src PREFIX] [dst PREFIX] [proto P] "
		 "[sport RANGE] [dport RANGE]'; the packet goes to the graph of chain TAG."},
	{.name = "decapsulate", .type = "boolean", .dflt = decap_default,
	 .help = "Strip one VLAN tag or VXLAN header before classifying."},
};

static int init(void *state, const struct unf_config *cfg, char *err, size_t errlen)
{
	static const char *const extra[] = {"vlan", "vni", NULL};
	struct state *st = state;
	uint16_t n, i;
	const char *const *v = unf_param_d(cfg, &params[2], &n);

	if (strcmp(v[0], "true") != 0 && strcmp(v[0], "false") != 0) {
		snprintf(err, errlen, "decapsulate is 'true' or 'false', not '%s'", v[0]);
		return -1;
	}
	st->decap = strcmp(v[0], "true") == 0;
	st->meta_offset = rte_mbuf_dynfield_lookup(UNF_META_DYNFIELD_NAME, NULL);
	v = unf_param(cfg, "classifier", &n);
	if (n > MAX_ENTRIES) {
		snprintf(err, errlen, "at most %d classifier entries", MAX_ENTRIES);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct entry *e = &st->entries[i];
		char buf[512], msg[128], tag[16];
		const char *s = v[i], *tun[2];
		uint32_t x;
		size_t w;

		s += strspn(s, " \t\n\r\f\v");
		w = strcspn(s, " \t\n\r\f\v");
		if (w == 0 || w >= sizeof(tag)) {
			snprintf(err, errlen, "classifier %u: starts with a chain tag", i + 1);
			return -1;
		}
		memcpy(tag, s, w);
		tag[w] = '\0';
		if (unf_parse_uint(tag, 0xFFFF, &x) < 0) {
			snprintf(err, errlen, "classifier %u: '%s' is not a chain tag (0-65535)", i + 1,
				 tag);
			return -1;
		}
		e->tag = (uint16_t)x;
		snprintf(e->label, sizeof(e->label), "%u", x);
		if (unf_parse_match(s + w, &e->match, extra, tun, buf, sizeof(buf), msg,
				    sizeof(msg)) < 0) {
			snprintf(err, errlen, "classifier %u: %s", i + 1, msg);
			return -1;
		}
		e->vlan = e->vni = -1;
		if (tun[0] && unf_parse_uint(tun[0], 4095, &x) == 0)
			e->vlan = (int32_t)x;
		else if (tun[0]) {
			snprintf(err, errlen, "classifier %u: bad vlan '%s'", i + 1, tun[0]);
			return -1;
		}
		if (tun[1] && unf_parse_uint(tun[1], 0xFFFFFF, &x) == 0)
			e->vni = (int32_t)x;
		else if (tun[1]) {
			snprintf(err, errlen, "classifier %u: bad vni '%s'", i + 1, tun[1]);
			return -1;
		}
	}
	st->n = n;
	return 0;
}

static unsigned dynamic_labels(const void *state, const char **names, unsigned max)
{
	const struct state *st = state;
	unsigned i;

	for (i = 0; i < st->n && i < max; i++)
		names[i] = st->entries[i].label;
	return st->n;
}

/* Remove len bytes at the front, across segments (empty segments stay). */
static void strip_front(struct rte_mbuf *head, uint32_t len)
{
	struct rte_mbuf *m;

	head->pkt_len -= len;
	for (m = head; m && len; m = m->next) {
		uint32_t take = m->data_len < len ? m->data_len : len;

		m->data_off = (uint16_t)(m->data_off + take);
		m->data_len = (uint16_t)(m->data_len - take);
		len -= take;
	}
}

/* Strip a VLAN tag or a VXLAN encapsulation; sets *vlan / *vni (else -1). */
static void decapsulate(struct rte_mbuf *m, const struct unf_config *cfg, int32_t *vlan,
			int32_t *vni)
{
	uint8_t buf[16];
	const uint8_t *h = unf_pkt_read(m, 12, 4, buf);
	struct unf_parsed p;

	*vlan = *vni = -1;
	if (h && (unf_be16(h) == 0x8100 || unf_be16(h) == 0x88A8) &&
	    rte_pktmbuf_pkt_len(m) >= UNF_ETH_LEN + 4) {
		uint8_t macs[12];

		*vlan = unf_be16(h + 2) & 0x0FFF;
		memcpy(macs, unf_pkt_read(m, 0, 12, buf), 12);
		strip_front(m, 4);
		unf_pkt_write(m, 0, macs, 12);
		cfg->counters[C_DECAPSULATED]++;
		return;
	}
	unf_parse(m, &p);
	if (p.status == UNF_L3_OK && p.proto == UNF_PROTO_UDP && p.dport == UNF_VXLAN_PORT &&
	    p.payload >= 0 && rte_pktmbuf_pkt_len(m) - (uint32_t)p.payload >= 8 + UNF_ETH_LEN) {
		const uint8_t *vx = unf_pkt_read(m, (uint32_t)p.payload, 8, buf);

		if (!(vx[0] & 0x08))
			return;
		*vni = (int32_t)(unf_be32(vx + 4) >> 8);
		strip_front(m, (uint32_t)p.payload + 8);
		cfg->counters[C_DECAPSULATED]++;
	}
}

static void process_batch(void *state, const struct unf_config *cfg, struct rte_mbuf **pkts,
			  uint16_t n, uint8_t *results, uint16_t prefetch)
{
	const struct state *st = state;
	uint16_t i, e;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct unf_parsed p;
		int32_t vlan = -1, vni = -1;

		unf_prefetch_ahead(pkts, i, n, prefetch);
		if (rte_pktmbuf_pkt_len(m) < UNF_ETH_LEN) {
			cfg->counters[C_TRUNCATED]++;
			results[i] = UNF_RESULT_DROP;
			continue;
		}
		if (st->decap)
			decapsulate(m, cfg, &vlan, &vni);
		results[i] = 0;
		if (!st->n)
			continue;
		unf_parse(m, &p);
		for (e = 0; e < st->n; e++) {
			const struct entry *en = &st->entries[e];

			if ((en->vlan >= 0 && en->vlan != vlan) || (en->vni >= 0 && en->vni != vni))
				continue;
			if (unf_match(&en->match, &p))
				break;
		}
		if (e == st->n) {
			cfg->counters[C_UNCLASSIFIED]++;
			results[i] = UNF_RESULT_DROP;
			continue;
		}
		results[i] = (uint8_t)e;
		if (st->meta_offset >= 0)
			*RTE_MBUF_DYNFIELD(m, st->meta_offset, uint16_t *) = st->entries[e].tag;
	}
}

const struct unf_descriptor unf_rx_service = {
	.unf_class = "RxService",
	.role = "rx-service",
	.help = "Reads packets from a port, strips a tunnel tag and classifies them by 5-tuple "
		"into the entry of their chain's graph.",
	.may_drop = true,
	.access = {[UNF_L2] = UNF_ACCESS_READ_WRITE, [UNF_L3] = UNF_ACCESS_READ_ONLY,
		   [UNF_L4] = UNF_ACCESS_READ_ONLY},
	.cost = 40,
	.n_counters = 3,
	.counter_names = counters,
	.n_params = 3,
	.params = params,
	.state_size = sizeof(struct state),
	.init = init,
	.process_batch = process_batch,
	.dynamic_labels = dynamic_labels,
};
