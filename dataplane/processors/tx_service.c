/*
 * TxService: the last uNF of a graph on a server.  Optionally tags the frame
 * for a tunnel to another server (an 802.1Q tag, or a VXLAN encapsulation:
 * outer Ethernet + IPv4 (DF, TTL 64) + UDP (source port from the inner flow
 * hash, for ECMP) + VXLAN, 50 bytes, in the mbuf's headroom), then writes the
 * configured MAC addresses (the outer ones for VXLAN).  Frames shorter than an
 * Ethernet header, or without headroom for the tag, are dropped.
 */
#include <stdio.h>
#include <string.h>

#include "unf_pkt.h"

enum { C_TRUNCATED, C_ENCAPSULATED, C_NO_HEADROOM };
static const char *const counters[] = {"truncated", "encapsulated", "no-headroom"};

enum encap { E_NONE, E_VLAN, E_VXLAN };

struct state {
	bool set_src, set_dst;
	uint8_t src[6], dst[6];
	enum encap encap;
	uint32_t tag;
	uint32_t local, remote;
};

static const char *const port_default[] = {"port1", NULL};
static const char *const encap_values[] = {"none", "vlan", "vxlan", NULL};
static const char *const encap_default[] = {"none", NULL};
static const struct unf_param_desc params[] = {
	{.name = "port", .type = "string", .dflt = port_default, .help = "Data-plane port to write."},
	{.name = "src-mac", .type = "mac-address", .help = "Source MAC address to write."},
	{.name = "dst-mac", .type = "mac-address", .help = "Destination MAC address to write."},
	{.name = "encapsulation", .type = "enumeration", .allowed = encap_values,
	 .dflt = encap_default, .help = "Tunnel tag for another server: none, vlan or vxlan."},
	{.name = "tunnel-tag", .type = "uint32", .help = "VLAN id (1-4094) or VXLAN VNI."},
	{.name = "local-address", .type = "ipv4-prefix",
	 .help = "VXLAN outer source address (a /32)."},
	{.name = "remote-address", .type = "ipv4-prefix",
	 .help = "VXLAN outer destination address (a /32)."},
};

static int address(const char *s, uint32_t *a, char *err, size_t errlen)
{
	uint32_t mask;

	if (unf_parse_prefix(s, a, &mask) < 0 || mask != 0xFFFFFFFFu) {
		snprintf(err, errlen, "'%s' is not a single address (/32)", s);
		return -1;
	}
	return 0;
}

static int init(void *state, const struct unf_config *cfg, char *err, size_t errlen)
{
	struct state *st = state;
	uint16_t n;
	const char *src = unf_param1(cfg, "src-mac", NULL), *dst = unf_param1(cfg, "dst-mac", NULL);
	const char *const *e = unf_param_d(cfg, &params[3], &n);
	const char *tag = unf_param1(cfg, "tunnel-tag", NULL);
	const char *local = unf_param1(cfg, "local-address", NULL);
	const char *remote = unf_param1(cfg, "remote-address", NULL);

	if ((st->set_src = src != NULL) && unf_parse_mac(src, st->src) < 0) {
		snprintf(err, errlen, "src-mac: '%s' is not a MAC address", src);
		return -1;
	}
	if ((st->set_dst = dst != NULL) && unf_parse_mac(dst, st->dst) < 0) {
		snprintf(err, errlen, "dst-mac: '%s' is not a MAC address", dst);
		return -1;
	}
	if (strcmp(e[0], "none") == 0)
		st->encap = E_NONE;
	else if (strcmp(e[0], "vlan") == 0)
		st->encap = E_VLAN;
	else if (strcmp(e[0], "vxlan") == 0)
		st->encap = E_VXLAN;
	else {
		snprintf(err, errlen, "encapsulation: '%s' is not none, vlan or vxlan", e[0]);
		return -1;
	}
	if (st->encap == E_NONE)
		return 0;
	if (!tag) {
		snprintf(err, errlen, "%s needs a tunnel-tag", e[0]);
		return -1;
	}
	if (unf_parse_uint(tag, st->encap == E_VLAN ? 4094 : 0xFFFFFF, &st->tag) < 0 ||
	    st->tag == 0) {
		snprintf(err, errlen, "tunnel-tag: '%s' is not 1-%u", tag,
			 st->encap == E_VLAN ? 4094 : 0xFFFFFF);
		return -1;
	}
	if (st->encap != E_VXLAN)
		return 0;
	if (!local || !remote) {
		snprintf(err, errlen, "vxlan needs local-address and remote-address");
		return -1;
	}
	return address(local, &st->local, err, errlen) < 0 ? -1
							    : address(remote, &st->remote, err, errlen);
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* Returns false when the mbuf has no headroom for the tag. */
static bool encapsulate(const struct state *st, struct rte_mbuf *m)
{
	uint8_t buf[16], macs[12];
	uint32_t inner = rte_pktmbuf_pkt_len(m);

	memcpy(macs, unf_pkt_read(m, 0, 12, buf), 12);
	if (st->encap == E_VLAN) {
		uint8_t hdr[16];

		if (!rte_pktmbuf_prepend(m, 4))
			return false;
		memcpy(hdr, macs, 12);
		put16(hdr + 12, 0x8100);
		put16(hdr + 14, st->tag);
		unf_pkt_write(m, 0, hdr, 16);
	} else {
		uint8_t h[50] = {0};
		struct unf_parsed p;

		unf_parse(m, &p);
		memcpy(h, macs, 12);
		put16(h + 12, UNF_ETHERTYPE_IPV4);
		h[14] = 0x45;
		put16(h + 16, 20 + 8 + 8 + inner);
		h[20] = 0x40; /* DF */
		h[22] = 64;
		h[23] = UNF_PROTO_UDP;
		put32(h + 26, st->local);
		put32(h + 30, st->remote);
		put16(h + 24, unf_cksum(h + 14, 20));
		put16(h + 34, 0xC000 | (unf_flow_hash(&p) & 0x3FFF));
		put16(h + 36, UNF_VXLAN_PORT);
		put16(h + 38, 8 + 8 + inner);
		h[42] = 0x08;
		put32(h + 46, st->tag << 8);
		if (!rte_pktmbuf_prepend(m, sizeof(h)))
			return false;
		unf_pkt_write(m, 0, h, sizeof(h));
	}
	return true;
}

static void process_batch(void *state, const struct unf_config *cfg, struct rte_mbuf **pkts,
			  uint16_t n, uint8_t *results, uint16_t prefetch)
{
	const struct state *st = state;
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		unf_prefetch_ahead(pkts, i, n, prefetch);
		results[i] = UNF_RESULT_DROP;
		if (rte_pktmbuf_pkt_len(m) < UNF_ETH_LEN) {
			cfg->counters[C_TRUNCATED]++;
			continue;
		}
		if (st->encap != E_NONE) {
			if (!encapsulate(st, m)) {
				cfg->counters[C_NO_HEADROOM]++;
				continue;
			}
			cfg->counters[C_ENCAPSULATED]++;
		}
		if (st->set_dst)
			unf_pkt_write(m, 0, st->dst, 6);
		if (st->set_src)
			unf_pkt_write(m, 6, st->src, 6);
		results[i] = 0;
	}
}

const struct unf_descriptor unf_tx_service = {
	.unf_class = "TxService",
	.role = "tx-service",
	.help = "Writes packets to a port, rewriting MAC addresses and adding a VLAN or VXLAN "
		"tunnel tag for another server.",
	.may_drop = true,
	.access = {[UNF_L2] = UNF_ACCESS_READ_WRITE},
	.cost = 40,
	.n_counters = 3,
	.counter_names = counters,
	.n_params = 7,
	.params = params,
	.state_size = sizeof(struct state),
	.init = init,
	.process_batch = process_batch,
};
