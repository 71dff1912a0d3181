/*
 * unf_processor.h: the contract between the uNF runtime and packet processors.
 *
 * A packet processor is one C file under dataplane/processors/ holding a
 * static `struct unf_descriptor` and its callbacks; dataplane/processors/registry.c
 * lists every descriptor.  The registry is the single source of truth for the
 * built-in catalog (yang/catalog/builtin.json is generated from it).
 *
 * A processor only decides: for each packet of a batch it writes a result
 * (a label index into descriptor->labels, or into the instance's
 * dynamic_labels, or UNF_RESULT_DROP).  The runtime
 * moves the packet to the egress port mapped to that label, or frees it.
 * A processor never knows which port it is attached to.
 */
#ifndef MICRONF_UNF_PROCESSOR_H
#define MICRONF_UNF_PROCESSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rte_mbuf;

/* Access a processor makes to one layer of the packet (paper Table I). */
enum unf_access { UNF_ACCESS_NOP = 0, UNF_ACCESS_READ_ONLY = 1, UNF_ACCESS_READ_WRITE = 2 };
enum unf_layer { UNF_L2 = 0, UNF_L3 = 1, UNF_L4 = 2, UNF_PAYLOAD = 3, UNF_LAYERS = 4 };

/* Result of one packet: a label index (< descriptor->n_labels) or this. */
#define UNF_RESULT_DROP 0xFFu
#define UNF_MAX_LABELS 8
#define UNF_MAX_COUNTERS 16
#define UNF_MAX_PARAMS 8

/* One configuration parameter (types as in the micronf-types YANG module). */
struct unf_param_desc {
	const char *name;
	const char *type;          /* "string", "uint32", "regex", "rule", "port-range", ... */
	bool multi;                /* leaf-list: several values allowed */
	const char *const *dflt;   /* NULL-terminated default values, or NULL */
	const char *const *allowed;/* NULL-terminated allowed values (enumeration), or NULL */
	const char *help;
	bool mandatory;            /* every use must set it (appended: older initialisers stay valid) */
};

/* Parameter values given to init: name -> values, as in the YANG data. */
struct unf_param_value {
	const char *name;
	uint16_t n_values;
	const char *const *values;
};

struct unf_config {
	uint16_t n_params;
	const struct unf_param_value *params;
	/* Processor-specific named counters (descriptor->counter_names), in shared
	 * memory the primary reads while the uNF runs.  May be written only by the
	 * instance that owns them; plain stores, no atomics needed. */
	uint64_t *counters;
};

struct unf_descriptor {
	const char *unf_class;          /* e.g. "MacSwapper" */
	const char *role;               /* NULL, "rx-service" or "tx-service" */
	const char *help;               /* one line */
	bool stateful;
	bool may_drop;
	bool can_scale;                 /* instances may be added (not for shared counters) */
	uint8_t access[UNF_LAYERS];     /* enum unf_access per enum unf_layer */
	uint32_t cost;                  /* estimated cycles per packet */
	uint8_t n_labels;               /* 0: one implicit output (result 0) */
	const char *const *labels;
	uint8_t n_counters;
	const char *const *counter_names;
	uint8_t n_params;
	const struct unf_param_desc *params;
	size_t state_size;              /* bytes the runtime allocates for one instance */

	/* Parse parameters into *state; 0 on success, else -1 and a message in err. */
	int (*init)(void *state, const struct unf_config *cfg, char *err, size_t errlen);
	/* Release what init allocated (may be NULL). */
	void (*fini)(void *state);
	/* Decide every packet of the batch: results[i] = label index or UNF_RESULT_DROP.
	 * prefetch: distance in packets to prefetch ahead (0 = off); use
	 * unf_prefetch_ahead() (dataplane/processors/unf_pkt.h) at the top of the
	 * per-packet loop. */
	void (*process_batch)(void *state, const struct unf_config *cfg, struct rte_mbuf **pkts,
			      uint16_t n, uint8_t *results, uint16_t prefetch);

	/* Optional (NULL for most processors), both called after init.
	 * dynamic_labels: for a processor whose results index a configured list
	 * instead of `labels` (RxService: one output per classifier entry, named
	 * by its chain tag); writes at most max names (pointers into state) and
	 * returns how many results the instance can emit.
	 * dynamic_counters: names of the counters that follow the n_counters
	 * static ones in cfg->counters and depend on parameters (CountUrl: one
	 * per URL pattern); returns how many (n_counters + that <= UNF_MAX_COUNTERS). */
	unsigned (*dynamic_labels)(const void *state, const char **names, unsigned max);
	unsigned (*dynamic_counters)(const void *state, const char **names, unsigned max);
};

/* The mbuf dynamic field holding the chain tag (uint16_t at offset 0) that
 * RxService sets and the runtime's egress map reads; registered by the runtime. */
#define UNF_META_DYNFIELD_NAME "micronf_dynfield"

/* The registry (dataplane/processors/registry.c). */
extern const struct unf_descriptor *const unf_registry[];
extern const unsigned unf_registry_size;
const struct unf_descriptor *unf_registry_find(const char *unf_class);

#endif
