/*
 * Link state and packet counts of an ethdev port, read by the primary: the
 * agent waits for a tunnel's port to come up before traffic is sent on it,
 * and ends a run on live devices once they have been quiet for a while.
 */
#ifndef UNF_LINK_H
#define UNF_LINK_H

#include <stdint.h>

/* 1 when the port's link is up, 0 when down, -1 when there is no such port. */
int unf_port_link_up(const char *name);

/* Packets the port received and sent so far (ethdev statistics); -1: no port. */
int unf_port_packets(const char *name, uint64_t *ipackets, uint64_t *opackets);

/*
 * Holding device readers: while held, a worker whose ingress is an ethdev
 * starts but does not poll. The agent holds them while it starts the
 * workers of a graph: each secondary process opens the pcap files of the
 * ports again when it starts (net_pcap), truncating a Tx trace that a
 * worker started earlier may already be writing.
 */
void unf_hold_readers(int hold);
int unf_readers_held(void);

#endif
