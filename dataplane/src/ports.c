/*
 * ports.c: every port kind behind unf_rx_burst / unf_tx_burst (see unf_ports.h).
 */
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_jhash.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "unf_ports.h"

static inline struct unf_mbuf_meta *meta(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, unf_meta_offset, struct unf_mbuf_meta *);
}

static struct rte_ring *lookup(const char *name, char *err, size_t errlen)
{
	struct rte_ring *r = rte_ring_lookup(name);

	if (r == NULL)
		snprintf(err, errlen, "no ring '%s'", name);
	return r;
}

int unf_ingress_open(struct unf_ingress *in, const struct unf_port_spec *spec, char *err,
		     size_t errlen)
{
	memset(in, 0, sizeof(*in));
	in->kind = spec->kind;
	switch (spec->kind) {
	case UNF_PORT_RING:
	case UNF_PORT_SYNC:
		if (spec->n_targets != 1) {
			snprintf(err, errlen, "a ring ingress reads one ring");
			return -1;
		}
		in->ring = lookup(spec->targets[0], err, errlen);
		return in->ring == NULL ? -1 : 0;
	case UNF_PORT_ETHDEV:
		if (!rte_eth_dev_is_valid_port(spec->ethdev)) {
			snprintf(err, errlen, "no ethdev port %u", spec->ethdev);
			return -1;
		}
		in->ethdev = spec->ethdev;
		in->queue = spec->queue;
		return 0;
	default:
		snprintf(err, errlen, "port kind %u cannot be an ingress", spec->kind);
		return -1;
	}
}

int unf_egress_open(struct unf_egress *out, const struct unf_port_spec *spec, char *err,
		    size_t errlen)
{
	unsigned i;

	memset(out, 0, sizeof(*out));
	out->kind = spec->kind;
	out->lb_mode = spec->lb_mode;
	out->n_targets = spec->n_targets;
	switch (spec->kind) {
	case UNF_PORT_ETHDEV: {
		struct rte_eth_link link;

		if (!rte_eth_dev_is_valid_port(spec->ethdev)) {
			snprintf(err, errlen, "no ethdev port %u", spec->ethdev);
			return -1;
		}
		out->ethdev = spec->ethdev;
		out->queue = spec->queue;
		/* A memif port maps its peer's shared memory into a secondary
		 * process on the first link query, and a tx burst before that
		 * sends nothing: query now (the agent starts writers of a live
		 * port once its link is up). */
		rte_eth_link_get_nowait(spec->ethdev, &link);
		return 0;
	}
	case UNF_PORT_RING:
	case UNF_PORT_MARKER:
		if (spec->n_targets != 1) {
			snprintf(err, errlen, "a ring or marker egress writes one ring");
			return -1;
		}
		break;
	case UNF_PORT_BRANCH:
		if (spec->n_targets < 2) {
			snprintf(err, errlen, "a branch egress writes two rings or more");
			return -1;
		}
		break;
	case UNF_PORT_LB:
		if (spec->n_targets < 1) {
			snprintf(err, errlen, "a load-balanced egress needs a ring");
			return -1;
		}
		break;
	default:
		snprintf(err, errlen, "port kind %u cannot be an egress", spec->kind);
		return -1;
	}
	if (spec->n_targets > UNF_MAX_TARGETS) {
		snprintf(err, errlen, "more than %d rings in one egress", UNF_MAX_TARGETS);
		return -1;
	}
	for (i = 0; i < spec->n_targets; i++) {
		out->rings[i] = lookup(spec->targets[i], err, errlen);
		if (out->rings[i] == NULL)
			return -1;
	}
	return 0;
}

uint16_t unf_rx_burst(struct unf_ingress *in, struct rte_mbuf **pkts, uint16_t n)
{
	if (in->kind == UNF_PORT_ETHDEV)
		return rte_eth_rx_burst(in->ethdev, in->queue, pkts, n);
	/* ring and sync: the marker egress of the last branch enqueued the
	 * packet exactly once, so the sync ingress only dequeues. */
	return (uint16_t)rte_ring_dequeue_burst(in->ring, (void **)pkts, n, NULL);
}

static uint16_t ring_tx(struct rte_ring *r, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = (uint16_t)rte_ring_enqueue_burst(r, (void **)pkts, n, NULL);

	if (sent < n)
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	return sent;
}

/* One branch finished with m: the last one to finish decides its fate. */
static inline int branch_done(struct rte_mbuf *m)
{
	return __atomic_sub_fetch(&meta(m)->pending, 1, __ATOMIC_ACQ_REL) == 0;
}

void unf_marker_drop(struct rte_mbuf *m)
{
	__atomic_store_n(&meta(m)->dropped, 1, __ATOMIC_RELEASE);
	if (branch_done(m))
		rte_pktmbuf_free(m);
}

static uint16_t branch_tx(struct unf_egress *out, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i, placed = 0;
	unsigned t;

	/* Every parallel uNF gets the same mbuf; pending counts who still has it.
	 * It is set before the first enqueue publishes the packet. */
	for (i = 0; i < n; i++) {
		meta(pkts[i])->pending = out->n_targets;
		meta(pkts[i])->dropped = 0;
	}
	for (t = 0; t < out->n_targets; t++) {
		uint16_t sent = (uint16_t)rte_ring_enqueue_burst(out->rings[t], (void **)pkts, n,
								 NULL);
		/* A full ring: that branch will never see the packet, so count it
		 * done on its behalf (and dropped: the chain's result would be
		 * incomplete). */
		for (i = sent; i < n; i++)
			unf_marker_drop(pkts[i]);
		if (t == 0)
			placed = sent;
		else if (sent < placed)
			placed = sent;
	}
	return placed;
}

static uint16_t marker_tx(struct unf_egress *out, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *last[UNF_MAX_BURST];
	uint16_t i, k = 0, sent;

	for (i = 0; i < n; i++) {
		if (!branch_done(pkts[i]))
			continue; /* another branch still works on it */
		if (__atomic_load_n(&meta(pkts[i])->dropped, __ATOMIC_ACQUIRE))
			rte_pktmbuf_free(pkts[i]);
		else
			last[k++] = pkts[i];
	}
	if (k == 0)
		return n;
	sent = ring_tx(out->rings[0], last, k);
	return (uint16_t)(n - (k - sent));
}

uint32_t unf_flow_instance(const struct rte_mbuf *m, uint32_t n)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	uint64_t key;
	int64_t b = -1, j = 0;

	if (n <= 1)
		return 0;
	/* IPv4 5-tuple: Ethernet (type 0x0800), IHL, then ports for TCP/UDP. */
	if (len >= 34 && p[12] == 0x08 && p[13] == 0x00) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(p + 14);
		uint32_t ihl = (uint32_t)(ip->version_ihl & 0x0f) * 4;
		uint32_t ports = 0;

		if ((ip->next_proto_id == 6 || ip->next_proto_id == 17) && ihl >= 20 &&
		    len >= 14 + ihl + 4 && (ip->fragment_offset & rte_cpu_to_be_16(0x1fff)) == 0)
			memcpy(&ports, p + 14 + ihl, 4);
		key = rte_jhash_3words(ip->src_addr, ip->dst_addr, ports, ip->next_proto_id);
	} else {
		key = 0;
	}
	/* Jump consistent hash (Lamping and Veach): growing n to n+1 moves only
	 * 1/(n+1) of the flows, all of them to the new instance. */
	key = key * 0x9E3779B97F4A7C15ULL + 1;
	while (j < (int64_t)n) {
		b = j;
		key = key * 2862933555777941757ULL + 1;
		j = (int64_t)((double)(b + 1) * ((double)(1LL << 31) / (double)((key >> 33) + 1)));
	}
	return (uint32_t)b;
}

static uint16_t lb_tx(struct unf_egress *out, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *per[UNF_MAX_TARGETS][UNF_MAX_BURST];
	uint16_t cnt[UNF_MAX_TARGETS] = {0};
	uint16_t i, placed = 0;
	unsigned t;

	if (out->n_targets == 1)
		return ring_tx(out->rings[0], pkts, n);
	for (i = 0; i < n; i++) {
		uint32_t k;

		if (out->lb_mode == UNF_LB_ROUND_ROBIN) {
			k = out->rr++;
			if (out->rr == out->n_targets)
				out->rr = 0;
		} else {
			k = unf_flow_instance(pkts[i], out->n_targets);
		}
		per[k][cnt[k]++] = pkts[i];
	}
	for (t = 0; t < out->n_targets; t++)
		if (cnt[t])
			placed += ring_tx(out->rings[t], per[t], cnt[t]);
	return placed;
}

uint16_t unf_tx_burst(struct unf_egress *out, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent;

	if (n == 0)
		return 0;
	switch (out->kind) {
	case UNF_PORT_ETHDEV:
		sent = rte_eth_tx_burst(out->ethdev, out->queue, pkts, n);
		if (sent < n)
			rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		return sent;
	case UNF_PORT_RING:
		return ring_tx(out->rings[0], pkts, n);
	case UNF_PORT_BRANCH:
		return branch_tx(out, pkts, n);
	case UNF_PORT_MARKER:
		return marker_tx(out, pkts, n);
	case UNF_PORT_LB:
		return lb_tx(out, pkts, n);
	default:
		rte_pktmbuf_free_bulk(pkts, n);
		return 0;
	}
}
