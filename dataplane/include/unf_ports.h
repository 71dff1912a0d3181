/*
 * unf_ports.h: the one ingress interface (rx_burst) and the one egress
 * interface (tx_burst) every port kind implements, so that the worker loop
 * and the processors never know their neighbours (paper section VI-D).
 *
 * Ingress kinds: ring, ethdev, sync (exactly once after every parallel branch).
 * Egress kinds: ring (point-to-point), ethdev, branch (the same mbuf to every
 * parallel uNF, a pending counter in the mbuf's dynamic field), marker (marks
 * one branch done; only the last branch forwards, so the sync ingress sees a
 * packet exactly once), load-balanced (round robin, or flow-affine jump
 * consistent hashing on the IPv4 5-tuple).
 *
 * tx_burst takes ownership of every packet: what it cannot place it frees and
 * counts as a drop of that egress.
 */
#ifndef MICRONF_UNF_PORTS_H
#define MICRONF_UNF_PORTS_H

#include <stdint.h>

#include "unf_runtime.h"

struct rte_ring;

struct unf_ingress {
	uint8_t kind;
	uint16_t ethdev;
	uint16_t queue;
	struct rte_ring *ring;
};

struct unf_egress {
	uint8_t kind;
	uint8_t lb_mode;
	uint8_t n_targets;
	uint16_t ethdev;
	uint16_t queue;
	uint32_t rr; /* round-robin position */
	struct rte_ring *rings[UNF_MAX_TARGETS];
};

/* Resolve a spec (ring names -> rings); -1 and a message when a ring is missing. */
int unf_ingress_open(struct unf_ingress *in, const struct unf_port_spec *spec, char *err,
		     size_t errlen);
int unf_egress_open(struct unf_egress *out, const struct unf_port_spec *spec, char *err,
		    size_t errlen);

uint16_t unf_rx_burst(struct unf_ingress *in, struct rte_mbuf **pkts, uint16_t n);

/* Returns the packets placed; the rest were freed and are drops. */
uint16_t unf_tx_burst(struct unf_egress *out, struct rte_mbuf **pkts, uint16_t n);

/* A parallel branch dropped this packet: mark it, and free it if this was
 * the last branch to finish (the marker egress of that branch decides). */
void unf_marker_drop(struct rte_mbuf *m);

/* Flow-affine choice of one of n instances (jump consistent hash). */
uint32_t unf_flow_instance(const struct rte_mbuf *m, uint32_t n);

#endif
