/*
 * unf_runtime.h: the uNF runtime shared between the primary (the agent, a
 * Python process driving this library through cffi) and every uNF worker (a
 * DPDK secondary process).
 *
 * Everything the two sides exchange lives in one memzone (struct unf_control):
 * one slot per uNF instance holding its configuration (processor classes,
 * parameters, ingress and egress port specifications, result-label -> egress
 * tables, the per-chain egress map), its control words (stop flag, deadline,
 * live reconfiguration request/acknowledge) and its counters.  The primary
 * writes a slot, starts the worker with the slot number; the worker reads its
 * whole configuration from the slot, so nothing but the slot number crosses the
 * command line.  Rings are found by name (rte_ring_lookup), ethdevs by port id.
 */
#ifndef MICRONF_UNF_RUNTIME_H
#define MICRONF_UNF_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "unf_processor.h"

#define UNF_CONTROL_MZ "micronf_control"
#define UNF_POOL_NAME "micronf_pool"
#define UNF_DYNFIELD_NAME "micronf_dynfield"

#define UNF_MAX_SLOTS 64
#define UNF_MAX_STAGES 16  /* processor classes fused in one loop */
#define UNF_MAX_EGRESS 8   /* egress ports of one uNF */
#define UNF_MAX_TARGETS 16 /* rings behind one branch / load-balanced egress */
#define UNF_MAX_TAGS 16    /* egress-map entries (chains sharing one uNF) */
#define UNF_NAME_LEN 32
#define UNF_PARAM_LEN 2048 /* per stage: "name\0value\0value\0\0name\0...\0\0\0" */
#define UNF_MAX_BURST 256
#define UNF_ERR_LEN 256
#define UNF_NO_EGRESS 0xFFu /* label table entry: packets with this label are dropped */

enum unf_port_kind {
	UNF_PORT_NONE = 0,
	UNF_PORT_RING = 1,   /* ingress: a ring; egress: point-to-point ring */
	UNF_PORT_ETHDEV = 2, /* any DPDK ethdev (net_pcap, net_ring, net_null, a NIC) */
	UNF_PORT_SYNC = 3,   /* ingress: passes a packet once every parallel branch is done */
	UNF_PORT_BRANCH = 4, /* egress: the same mbuf to every parallel uNF */
	UNF_PORT_MARKER = 5, /* egress: marks one branch done; the last one forwards */
	UNF_PORT_LB = 6,     /* egress: spreads packets over the instances of one uNF */
};

enum unf_lb_mode { UNF_LB_ROUND_ROBIN = 0, UNF_LB_FLOW_HASH = 1 };

enum unf_slot_state {
	UNF_SLOT_FREE = 0,
	UNF_SLOT_CONFIGURED = 1, /* written by the primary, worker not yet up */
	UNF_SLOT_RUNNING = 2,    /* worker polls its ingress */
	UNF_SLOT_EXITED = 3,     /* worker left its loop (stop flag or deadline) */
	UNF_SLOT_FAILED = 4,     /* worker could not start; message in error[] */
};

struct unf_port_spec {
	uint8_t kind;      /* enum unf_port_kind */
	uint8_t lb_mode;   /* enum unf_lb_mode */
	uint8_t n_targets; /* rings named in targets[] */
	uint8_t branches;  /* sync ingress: parallel uNFs (informative) */
	uint16_t ethdev;   /* UNF_PORT_ETHDEV: port id */
	uint16_t queue;    /* UNF_PORT_ETHDEV: queue id */
	char targets[UNF_MAX_TARGETS][UNF_NAME_LEN];
};

/* Where packets go: egress ports, and per result label the egress index. */
struct unf_routing {
	uint8_t n_egress;
	uint8_t n_tags;
	uint8_t label_egress[UNF_MAX_LABELS];
	struct unf_port_spec egress[UNF_MAX_EGRESS];
	/* egress map of a uNF shared by several chains: per chain tag, its own
	 * label -> egress table (the model's egress-map). */
	uint16_t tags[UNF_MAX_TAGS];
	uint8_t tag_label_egress[UNF_MAX_TAGS][UNF_MAX_LABELS];
};

struct unf_scheduling {
	uint16_t burst_size;         /* 1..UNF_MAX_BURST */
	uint16_t prefetch;           /* packets prefetched ahead; 0 off */
	uint16_t yield_after_bursts; /* voluntary yield after n bursts; 0 never */
	uint8_t yield_when_idle;     /* sched_yield() on an empty poll */
	uint8_t sched_fifo;          /* SCHED_FIFO (implies both yields) */
	uint8_t fifo_priority;       /* 1..99 */
	uint8_t pad;
	uint16_t idle_sleep_us;      /* sleep this long after 256 empty polls in a row; 0 never */
	uint64_t deadline_ms;        /* the loop ends at the latest this long after start */
};

struct unf_counters {
	uint64_t rx;          /* packets read from the ingress */
	uint64_t tx;          /* packets written to an egress */
	uint64_t dropped;     /* packets a processor dropped or no egress took */
	uint64_t busy_cycles; /* TSC cycles spent on non-empty bursts */
	uint64_t bursts;      /* non-empty bursts */
	uint64_t yields;      /* voluntary sched_yield() calls */
	uint64_t idle_polls;  /* empty polls of the ingress */
	uint64_t reconfigs;   /* live egress reconfigurations applied */
	uint64_t egress_tx[UNF_MAX_EGRESS];
	uint64_t egress_drops[UNF_MAX_EGRESS]; /* egress full (ring or NIC queue) */
	uint64_t stage_drops[UNF_MAX_STAGES];  /* drops decided by each fused processor */
	uint64_t proc[UNF_MAX_STAGES][UNF_MAX_COUNTERS]; /* processors' named counters */
};

struct unf_slot {
	volatile uint32_t state; /* enum unf_slot_state */
	volatile uint32_t stop;  /* set by the primary: leave the loop at the next burst */
	volatile int32_t pid;
	uint16_t lcore;
	uint16_t cpu;
	char id[UNF_NAME_LEN];
	uint16_t instance;
	uint8_t n_stages;
	uint8_t pad;
	char classes[UNF_MAX_STAGES][UNF_NAME_LEN];
	char params[UNF_MAX_STAGES][UNF_PARAM_LEN];
	struct unf_port_spec ingress;
	struct unf_scheduling sched;
	struct unf_routing routing;
	/* Live reconfiguration: the primary writes `pending`, then bumps
	 * routing_request; the worker applies it between two bursts and sets
	 * routing_applied to the same value. */
	struct unf_routing pending;
	volatile uint32_t routing_request;
	volatile uint32_t routing_applied;
	/* Packets the worker holds between rx_burst and the end of dispatch, so
	 * the primary can reclaim them when the process dies (kill -9).
	 * inflight_phase: 0 none held, 1 held (all of pkts[0..n)), 2 being
	 * dispatched (ownership ambiguous: counted, not reclaimed). */
	volatile uint32_t inflight_phase;
	volatile uint32_t inflight_n;
	struct rte_mbuf *inflight[UNF_MAX_BURST];
	char error[UNF_ERR_LEN];
	struct unf_counters counters;
} __attribute__((aligned(64)));

struct unf_control {
	uint32_t magic;
	uint32_t n_slots;
	int dynfield_offset;
	volatile uint32_t hold_readers; /* 1: device readers wait to poll (unf_link.h) */
	struct unf_slot slots[UNF_MAX_SLOTS];
};

/* Per-packet metadata in an mbuf dynamic field. */
struct unf_mbuf_meta {
	uint16_t tag;              /* chain tag (egress-map key), set by the Rx classifier */
	volatile uint16_t pending; /* branch/sync: parallel uNFs not yet done */
	volatile uint16_t dropped; /* branch/sync: a branch dropped the packet */
	uint16_t pad;
};

/* Offset of struct unf_mbuf_meta in every mbuf, valid after runtime init. */
extern int unf_meta_offset;

/* ---- primary ---------------------------------------------------------- */
int unf_primary_init(int argc, char **argv, unsigned n_mbufs, unsigned cache_size, char *err,
		     size_t errlen);
int unf_secondary_init(int argc, char **argv, char *err, size_t errlen);
void unf_eal_cleanup(void);
struct unf_slot *unf_slot(unsigned index);
int unf_ring_create(const char *name, unsigned size, int multi_producer, int multi_consumer,
		    char *err, size_t errlen);
int unf_ring_free(const char *name);
int unf_ring_count(const char *name);
int unf_ring_enqueue_copies(const char *name, const uint8_t *data, const uint32_t *lens,
			    unsigned n, char *err, size_t errlen);
int unf_ring_drain(const char *name, uint8_t *data, size_t cap, uint32_t *lens, unsigned max,
		   uint16_t *tags);
int unf_port_add(const char *name, const char *devargs, char *err, size_t errlen);
int unf_port_remove(const char *name);
struct rte_mempool *unf_pool(void);
unsigned unf_mempool_in_use(void);
unsigned unf_mempool_size(void);
int unf_slot_reclaim(unsigned index);
const struct unf_descriptor *unf_find_processor(const char *unf_class);
unsigned unf_processor_count(void);
const struct unf_descriptor *unf_processor_at(unsigned i);

/* ---- worker (secondary) ----------------------------------------------- */
int unf_worker_main(unsigned slot, char *err, size_t errlen);

#endif
