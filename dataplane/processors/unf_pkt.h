/*
 * unf_pkt.h: header access shared by the packet processors.
 *
 * Processors see a frame as the bytes of an mbuf chain, which may be split
 * anywhere (multi-segment mbufs), so every header is read through
 * rte_pktmbuf_read (a direct pointer when the bytes are contiguous, a copy
 * otherwise) and written through unf_pkt_write.  unf_parse() decides which
 * headers a frame has by exactly the rules of the Python reference models
 * (models/reference/packet.py); the data-plane tests hold the two together.
 */
#ifndef MICRONF_UNF_PKT_H
#define MICRONF_UNF_PKT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <hs/hs.h>
#include <rte_byteorder.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "unf_processor.h"

#define UNF_ETH_LEN 14
#define UNF_ETHERTYPE_IPV4 0x0800
#define UNF_PROTO_TCP 6
#define UNF_PROTO_UDP 17
#define UNF_VXLAN_PORT 4789
/* Payload bytes the HTTP processors look at (PAYLOAD_SCAN_MAX in the models). */
#define UNF_PAYLOAD_SCAN_MAX 16384

/* VPP-style software pipelining: while packet i is processed, packet i+k's
 * data is on its way to the cache.  Call at the top of the per-packet loop. */
static inline void unf_prefetch_ahead(struct rte_mbuf **pkts, uint16_t i, uint16_t n,
				      uint16_t prefetch)
{
	if (prefetch && i + prefetch < n)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i + prefetch], void *));
}

/* Pointer to len bytes at off (into the mbuf or copied to buf), NULL if the frame is shorter. */
static inline const uint8_t *unf_pkt_read(const struct rte_mbuf *m, uint32_t off, uint32_t len,
					  void *buf)
{
	return (const uint8_t *)rte_pktmbuf_read(m, off, len, buf);
}

/* Write len bytes at off across segments; the caller checked off + len <= pkt_len. */
static inline void unf_pkt_write(struct rte_mbuf *m, uint32_t off, const void *src, uint32_t len)
{
	const uint8_t *s = src;

	while (m && len) {
		if (off < m->data_len) {
			uint32_t chunk = m->data_len - off;

			if (chunk > len)
				chunk = len;
			memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, off), s, chunk);
			s += chunk;
			len -= chunk;
			off = 0;
		} else {
			off -= m->data_len;
		}
		m = m->next;
	}
}

static inline uint16_t unf_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t unf_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

enum unf_l3_status {
	UNF_L3_OK = 0,
	UNF_L3_NOT_IPV4,    /* shorter than Ethernet, or another EtherType */
	UNF_L3_TRUNCATED,   /* IPv4, but the header is cut short */
	UNF_L3_BAD_VERSION,
	UNF_L3_BAD_IHL,
};

/* What unf_parse found; l4 and payload are -1 when absent. */
struct unf_parsed {
	enum unf_l3_status status;
	int32_t l3;
	uint32_t ihl;
	uint32_t ip_end; /* end of the IP packet: l3 + total length, or the frame's end */
	uint8_t proto;
	bool first_fragment;
	uint32_t src, dst;
	int32_t l4;
	uint16_t sport, dport;
	int32_t payload;
};

/* Offset of the IPv4 header (one 802.1Q/802.1ad tag skipped), or -1. */
static inline int32_t unf_l3_offset(const struct rte_mbuf *m)
{
	uint8_t buf[18];
	const uint8_t *eth;
	uint16_t etype;
	int32_t off = UNF_ETH_LEN;

	eth = unf_pkt_read(m, 0, UNF_ETH_LEN, buf);
	if (!eth)
		return -1;
	etype = unf_be16(eth + 12);
	if (etype == 0x8100 || etype == 0x88A8) {
		const uint8_t *tag = unf_pkt_read(m, UNF_ETH_LEN, 4, buf);

		if (!tag)
			return -1;
		etype = unf_be16(tag + 2);
		off += 4;
	}
	return etype == UNF_ETHERTYPE_IPV4 ? off : -1;
}

/* Layer 3 only (l4 and payload stay -1): for processors that need no more. */
static inline void unf_parse_l3(const struct rte_mbuf *m, struct unf_parsed *p);

static inline void unf_parse_to(const struct rte_mbuf *m, struct unf_parsed *p, bool l4_too)
{
	uint8_t buf[60];
	const uint8_t *ip, *l4;
	uint32_t n = rte_pktmbuf_pkt_len(m), total, l4off;
	int32_t l3 = unf_l3_offset(m);

	memset(p, 0, sizeof(*p));
	p->l3 = p->l4 = p->payload = -1;
	if (l3 < 0) {
		p->status = UNF_L3_NOT_IPV4;
		return;
	}
	ip = unf_pkt_read(m, (uint32_t)l3, 20, buf);
	if (!ip) {
		p->status = UNF_L3_TRUNCATED;
		return;
	}
	if (ip[0] >> 4 != 4) {
		p->status = UNF_L3_BAD_VERSION;
		return;
	}
	p->ihl = (uint32_t)(ip[0] & 0x0F) * 4;
	if (p->ihl < 20) {
		p->status = UNF_L3_BAD_IHL;
		return;
	}
	if (p->ihl > n - (uint32_t)l3) {
		p->status = UNF_L3_TRUNCATED;
		return;
	}
	p->status = UNF_L3_OK;
	p->l3 = l3;
	total = unf_be16(ip + 2);
	if (total >= p->ihl)
		p->ip_end = (uint32_t)l3 + total < n ? (uint32_t)l3 + total : n;
	else
		p->ip_end = n;
	p->proto = ip[9];
	p->first_fragment = (unf_be16(ip + 6) & 0x1FFF) == 0;
	p->src = unf_be32(ip + 12);
	p->dst = unf_be32(ip + 16);
	l4off = (uint32_t)l3 + p->ihl;
	if (!l4_too || !p->first_fragment || p->ip_end < l4off)
		return;
	if (p->proto == UNF_PROTO_TCP && p->ip_end - l4off >= 20) {
		uint32_t doff;

		l4 = unf_pkt_read(m, l4off, 20, buf);
		doff = (uint32_t)(l4[12] >> 4) * 4;
		if (doff >= 20 && doff <= p->ip_end - l4off) {
			p->l4 = (int32_t)l4off;
			p->sport = unf_be16(l4);
			p->dport = unf_be16(l4 + 2);
			p->payload = (int32_t)(l4off + doff);
		}
	} else if (p->proto == UNF_PROTO_UDP && p->ip_end - l4off >= 8) {
		l4 = unf_pkt_read(m, l4off, 8, buf);
		p->l4 = (int32_t)l4off;
		p->sport = unf_be16(l4);
		p->dport = unf_be16(l4 + 2);
		p->payload = (int32_t)(l4off + 8);
	}
}

static inline void unf_parse(const struct rte_mbuf *m, struct unf_parsed *p)
{
	unf_parse_to(m, p, true);
}

static inline void unf_parse_l3(const struct rte_mbuf *m, struct unf_parsed *p)
{
	unf_parse_to(m, p, false);
}

/* Internet checksum (RFC 1071) of len bytes: 0 when a header with its checksum is right. */
static inline uint16_t unf_cksum(const uint8_t *p, uint32_t len)
{
	uint32_t s = 0, i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s > 0xFFFF)
		s = (s & 0xFFFF) + (s >> 16);
	return (uint16_t)~s;
}

/* FNV-1a 64 over src, dst, proto, sport, dport (big-endian), as models/reference/packet.py. */
static inline uint64_t unf_flow_hash(const struct unf_parsed *p)
{
	uint8_t k[13];
	uint64_t h = 0xCBF29CE484222325ULL;
	unsigned i;

	k[0] = (uint8_t)(p->src >> 24), k[1] = (uint8_t)(p->src >> 16);
	k[2] = (uint8_t)(p->src >> 8), k[3] = (uint8_t)p->src;
	k[4] = (uint8_t)(p->dst >> 24), k[5] = (uint8_t)(p->dst >> 16);
	k[6] = (uint8_t)(p->dst >> 8), k[7] = (uint8_t)p->dst;
	k[8] = p->proto;
	k[9] = (uint8_t)(p->sport >> 8), k[10] = (uint8_t)p->sport;
	k[11] = (uint8_t)(p->dport >> 8), k[12] = (uint8_t)p->dport;
	for (i = 0; i < sizeof(k); i++) {
		h ^= k[i];
		h *= 0x100000001B3ULL;
	}
	return h;
}

/* Jump consistent hash (Lamping & Veach 2014). */
static inline uint32_t unf_jump_hash(uint64_t key, uint32_t buckets)
{
	int64_t b = -1, j = 0;

	while (j < (int64_t)buckets) {
		b = j;
		key = key * 2862933555777941757ULL + 1;
		j = (int64_t)((double)(b + 1) * ((double)(1LL << 31) / (double)((key >> 33) + 1)));
	}
	return (uint32_t)b;
}

/* The HTTP request URL in payload[0..len): 1 with the URL in url and url_len, or 0 if not a request. */
int unf_http_request_url(const uint8_t *payload, uint32_t len, const uint8_t **url,
			 uint32_t *url_len);
/* 1 if payload starts an HTTP response. */
static inline int unf_http_is_response(const uint8_t *payload, uint32_t len)
{
	return len >= 5 && memcmp(payload, "HTTP/", 5) == 0;
}

/* The TCP payload (at most UNF_PAYLOAD_SCAN_MAX bytes, copied into scratch
 * when split over segments): its length, and *out; -1 if not a TCP segment. */
int32_t unf_tcp_payload(const struct rte_mbuf *m, const struct unf_parsed *p, uint8_t *scratch,
			const uint8_t **out);

/* ---- parameters -------------------------------------------------------- */

/* Values of a parameter (NULL/0 when not given: the caller uses its default). */
const char *const *unf_param(const struct unf_config *cfg, const char *name, uint16_t *n);
/* The first value, or dflt. */
const char *unf_param1(const struct unf_config *cfg, const char *name, const char *dflt);
/* Given values, else the descriptor's defaults (NULL/0 when neither). */
const char *const *unf_param_d(const struct unf_config *cfg, const struct unf_param_desc *pd,
			       uint16_t *n);
/* A Hyperscan block-mode database (one id per pattern, single match each) and scratch. */
int unf_hs_compile(const char *const *patterns, uint16_t n, hs_database_t **db,
		   hs_scratch_t **scratch, char *err, size_t errlen);
int unf_parse_uint(const char *s, uint32_t max, uint32_t *out);
int unf_parse_port_range(const char *s, uint16_t *lo, uint16_t *hi);
int unf_parse_ipv4(const char *s, uint32_t *out);
int unf_parse_prefix(const char *s, uint32_t *net, uint32_t *mask);
int unf_parse_mac(const char *s, uint8_t mac[6]);
int unf_parse_proto(const char *s, uint8_t *out);

/* A 5-tuple match (L3L4Filter rules, RxService classifier entries). */
struct unf_match {
	uint32_t src, src_mask, dst, dst_mask;
	uint16_t sport_lo, sport_hi, dport_lo, dport_hi;
	uint8_t proto;
	uint8_t has; /* UNF_M_* bits */
};
#define UNF_M_SRC 1u
#define UNF_M_DST 2u
#define UNF_M_PROTO 4u
#define UNF_M_SPORT 8u
#define UNF_M_DPORT 16u

/* Parse "KEY VALUE ..." words (whitespace separated) of s into m; keys in
 * extra[] (NULL-terminated) are returned in extra_vals[] (pointers into the copy
 * held in buf, of buflen bytes).  0, or -1 with a message. */
int unf_parse_match(const char *s, struct unf_match *m, const char *const *extra,
		    const char **extra_vals, char *buf, size_t buflen, char *err, size_t errlen);

static inline bool unf_match(const struct unf_match *m, const struct unf_parsed *p)
{
	if (!m->has)
		return true;
	if (p->status != UNF_L3_OK)
		return false;
	if ((m->has & UNF_M_SRC) && (p->src & m->src_mask) != m->src)
		return false;
	if ((m->has & UNF_M_DST) && (p->dst & m->dst_mask) != m->dst)
		return false;
	if ((m->has & UNF_M_PROTO) && p->proto != m->proto)
		return false;
	if ((m->has & UNF_M_SPORT) && (p->l4 < 0 || p->sport < m->sport_lo || p->sport > m->sport_hi))
		return false;
	if ((m->has & UNF_M_DPORT) && (p->l4 < 0 || p->dport < m->dport_lo || p->dport > m->dport_hi))
		return false;
	return true;
}

#endif
