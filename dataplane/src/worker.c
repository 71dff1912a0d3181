/*
 * worker.c: the loop of one uNF instance, run in a DPDK secondary process.
 *
 * Per burst: read from the ingress port, run every processor of the slot in
 * order (one in pipeline mode; several fused in run-to-completion mode, each
 * batch compacted after a drop), then hand each packet to the egress its
 * result label maps to (through the per-chain egress map when the uNF is
 * shared by several chains).  Between bursts: the stop flag, the deadline, a
 * pending live reconfiguration of the egress ports, and voluntary yields.
 * Counters are plain stores into the slot (single writer), read by the primary
 * while the loop runs.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>

#include "unf_link.h"
#include "unf_ports.h"
#include "unf_runtime.h"

/* The registry of dataplane/processors/registry.c is weak here so that the
 * runtime links (and its tests run) before or without those processors. */
#pragma weak unf_registry_find
#pragma weak unf_registry
#pragma weak unf_registry_size

extern const struct unf_descriptor *const unf_test_processors[];
extern const unsigned unf_test_processors_size;

const struct unf_descriptor *unf_find_processor(const char *unf_class)
{
	unsigned i;

	if (&unf_registry_size != NULL) {
		for (i = 0; i < unf_registry_size; i++)
			if (strcmp(unf_registry[i]->unf_class, unf_class) == 0)
				return unf_registry[i];
	}
	for (i = 0; i < unf_test_processors_size; i++)
		if (strcmp(unf_test_processors[i]->unf_class, unf_class) == 0)
			return unf_test_processors[i];
	return NULL;
}

unsigned unf_processor_count(void)
{
	return (&unf_registry_size != NULL ? unf_registry_size : 0) + unf_test_processors_size;
}

const struct unf_descriptor *unf_processor_at(unsigned i)
{
	unsigned n = &unf_registry_size != NULL ? unf_registry_size : 0;

	if (i < n)
		return unf_registry[i];
	i -= n;
	return i < unf_test_processors_size ? unf_test_processors[i] : NULL;
}

struct stage {
	const struct unf_descriptor *desc;
	void *state;
	struct unf_config cfg;
	struct unf_param_value values[UNF_MAX_PARAMS];
	const char *strings[UNF_MAX_PARAMS][64];
};

struct route {
	uint8_t n_egress;
	uint8_t n_tags;
	uint8_t parallel; /* an egress is a marker: drops go through it */
	uint8_t label_egress[UNF_MAX_LABELS];
	uint16_t tags[UNF_MAX_TAGS];
	uint8_t tag_label_egress[UNF_MAX_TAGS][UNF_MAX_LABELS];
	struct unf_egress egress[UNF_MAX_EGRESS];
};

/* Parse "name\0v\0v\0\0name\0...\0\0\0" into parameter values. */
static int parse_params(struct stage *st, const char *blob, char *err, size_t errlen)
{
	const char *p = blob;
	const char *end = blob + UNF_PARAM_LEN;
	uint16_t np = 0;

	while (p < end && *p) {
		struct unf_param_value *v;
		uint16_t nv = 0;

		if (np == UNF_MAX_PARAMS) {
			snprintf(err, errlen, "more than %d parameters", UNF_MAX_PARAMS);
			return -1;
		}
		v = &st->values[np];
		v->name = p;
		p += strnlen(p, (size_t)(end - p)) + 1;
		while (p < end && *p) {
			if (nv == 64) {
				snprintf(err, errlen, "parameter %s has more than 64 values", v->name);
				return -1;
			}
			st->strings[np][nv++] = p;
			p += strnlen(p, (size_t)(end - p)) + 1;
		}
		p++; /* the empty string that ends the values */
		v->n_values = nv;
		v->values = st->strings[np];
		np++;
	}
	st->cfg.n_params = np;
	st->cfg.params = st->values;
	return 0;
}

static int open_route(struct route *r, const struct unf_routing *spec, char *err, size_t errlen)
{
	unsigned i;

	memset(r, 0, sizeof(*r));
	if (spec->n_egress > UNF_MAX_EGRESS || spec->n_tags > UNF_MAX_TAGS) {
		snprintf(err, errlen, "too many egress ports or tags");
		return -1;
	}
	r->n_egress = spec->n_egress;
	r->n_tags = spec->n_tags;
	memcpy(r->label_egress, spec->label_egress, sizeof(r->label_egress));
	memcpy(r->tags, spec->tags, sizeof(r->tags));
	memcpy(r->tag_label_egress, spec->tag_label_egress, sizeof(r->tag_label_egress));
	for (i = 0; i < spec->n_egress; i++) {
		if (unf_egress_open(&r->egress[i], &spec->egress[i], err, errlen) < 0)
			return -1;
		if (spec->egress[i].kind == UNF_PORT_MARKER)
			r->parallel = 1;
	}
	return 0;
}

static inline const uint8_t *label_table(const struct route *r, struct rte_mbuf *m)
{
	if (r->n_tags) {
		uint16_t tag = RTE_MBUF_DYNFIELD(m, unf_meta_offset, struct unf_mbuf_meta *)->tag;
		unsigned t;

		for (t = 0; t < r->n_tags; t++)
			if (r->tags[t] == tag)
				return r->tag_label_egress[t];
	}
	return r->label_egress;
}

static void drop(const struct route *r, struct rte_mbuf *m)
{
	if (r->parallel)
		unf_marker_drop(m);
	else
		rte_pktmbuf_free(m);
}

/* Hand a processed burst to the egress ports by result label. */
static void dispatch(struct route *r, struct unf_counters *c, struct rte_mbuf **pkts,
		     const uint8_t *results, uint16_t n)
{
	struct rte_mbuf *out[UNF_MAX_EGRESS][UNF_MAX_BURST];
	uint16_t cnt[UNF_MAX_EGRESS] = {0};
	uint16_t i;
	unsigned e;

	/* Fast path, the common case: the whole burst takes one egress. */
	if (!r->n_tags && results[0] < UNF_MAX_LABELS && r->label_egress[results[0]] < r->n_egress) {
		uint8_t eg = r->label_egress[results[0]];

		for (i = 1; i < n; i++)
			if (results[i] >= UNF_MAX_LABELS || r->label_egress[results[i]] != eg)
				break;
		if (i == n) {
			uint16_t sent = unf_tx_burst(&r->egress[eg], pkts, n);

			c->tx += sent;
			c->egress_tx[eg] += sent;
			c->egress_drops[eg] += n - sent;
			return;
		}
	}
	for (i = 0; i < n; i++) {
		uint8_t res = results[i];
		uint8_t eg;

		if (res == UNF_RESULT_DROP || res >= UNF_MAX_LABELS) {
			drop(r, pkts[i]);
			c->dropped++;
			continue;
		}
		eg = label_table(r, pkts[i])[res];
		if (eg >= r->n_egress) {
			drop(r, pkts[i]);
			c->dropped++;
			continue;
		}
		out[eg][cnt[eg]++] = pkts[i];
	}
	for (e = 0; e < r->n_egress; e++) {
		uint16_t sent;

		if (cnt[e] == 0)
			continue;
		sent = unf_tx_burst(&r->egress[e], out[e], cnt[e]);
		c->tx += sent;
		c->egress_tx[e] += sent;
		c->egress_drops[e] += cnt[e] - sent;
	}
}

static int setup_stages(struct unf_slot *slot, struct stage *stages, char *err, size_t errlen)
{
	unsigned s;

	if (slot->n_stages == 0 || slot->n_stages > UNF_MAX_STAGES) {
		snprintf(err, errlen, "a uNF runs 1 to %d processors", UNF_MAX_STAGES);
		return -1;
	}
	for (s = 0; s < slot->n_stages; s++) {
		struct stage *st = &stages[s];

		st->desc = unf_find_processor(slot->classes[s]);
		if (st->desc == NULL) {
			snprintf(err, errlen, "unknown uNF class '%s'", slot->classes[s]);
			return -1;
		}
		if (parse_params(st, slot->params[s], err, errlen) < 0)
			return -1;
		st->cfg.counters = slot->counters.proc[s];
		st->state = NULL;
		if (st->desc->state_size) {
			st->state = rte_zmalloc("unf_state", st->desc->state_size,
						RTE_CACHE_LINE_SIZE);
			if (st->state == NULL) {
				snprintf(err, errlen, "no memory for the state of %s",
					 st->desc->unf_class);
				return -1;
			}
		}
		if (st->desc->init != NULL) {
			char perr[UNF_ERR_LEN] = "";

			if (st->desc->init(st->state, &st->cfg, perr, sizeof(perr)) != 0) {
				snprintf(err, errlen, "%s: %s", st->desc->unf_class, perr);
				return -1;
			}
		}
	}
	return 0;
}

static void teardown_stages(struct stage *stages, unsigned n)
{
	unsigned s;

	for (s = 0; s < n; s++) {
		if (stages[s].desc != NULL && stages[s].desc->fini != NULL && stages[s].state)
			stages[s].desc->fini(stages[s].state);
		rte_free(stages[s].state);
	}
}

static int set_fifo(const struct unf_scheduling *sc, char *err, size_t errlen)
{
	struct sched_param sp = {.sched_priority = sc->fifo_priority ? sc->fifo_priority : 10};

	if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) {
		snprintf(err, errlen, "SCHED_FIFO priority %d: %s", sp.sched_priority,
			 strerror(errno));
		return -1;
	}
	return 0;
}

int unf_worker_main(unsigned index, char *err, size_t errlen)
{
	struct unf_slot *slot = unf_slot(index);
	struct stage *stages;
	struct route *route;
	struct unf_ingress in;
	struct unf_counters *c;
	uint8_t results[UNF_MAX_BURST];
	uint16_t burst, prefetch, yield_after, since_yield = 0, idle_sleep;
	uint32_t idle_run = 0;
	int yield_idle, ret = -1;
	unsigned s, n_stages;
	uint64_t deadline;

	if (slot == NULL || slot->state != UNF_SLOT_CONFIGURED) {
		snprintf(err, errlen, "slot %u is not configured", index);
		return -1;
	}
	c = &slot->counters;
	n_stages = slot->n_stages;
	stages = rte_zmalloc("unf_stages", sizeof(*stages) * UNF_MAX_STAGES, RTE_CACHE_LINE_SIZE);
	route = rte_zmalloc("unf_route", sizeof(*route), RTE_CACHE_LINE_SIZE);
	if (stages == NULL || route == NULL) {
		snprintf(err, errlen, "no memory for the worker");
		goto out;
	}
	if (setup_stages(slot, stages, err, errlen) < 0)
		goto out;
	if (unf_ingress_open(&in, &slot->ingress, err, errlen) < 0)
		goto out;
	if (open_route(route, &slot->routing, err, errlen) < 0)
		goto out;
	burst = slot->sched.burst_size;
	if (burst == 0 || burst > UNF_MAX_BURST)
		burst = 32;
	prefetch = slot->sched.prefetch;
	yield_after = slot->sched.yield_after_bursts;
	yield_idle = slot->sched.yield_when_idle;
	idle_sleep = slot->sched.idle_sleep_us;
	if (slot->sched.sched_fifo) {
		/* Under SCHED_FIFO a loop that never yields owns its core: always
		 * yield when idle and after a bounded number of bursts. */
		yield_idle = 1;
		if (yield_after == 0)
			yield_after = 16;
		/* sched_yield() only yields to other real-time tasks: an idle
		 * FIFO loop would hold its core (up to the RT throttling limit)
		 * against every normal task.  Sleep after 256 empty polls. */
		if (idle_sleep == 0)
			idle_sleep = 20;
		if (set_fifo(&slot->sched, err, errlen) < 0)
			goto out;
	}
	deadline = rte_rdtsc() + slot->sched.deadline_ms * (rte_get_tsc_hz() / 1000);
	slot->routing_applied = slot->routing_request;
	slot->pid = getpid();
	__atomic_store_n(&slot->state, UNF_SLOT_RUNNING, __ATOMIC_RELEASE);
	/* A device reader waits while the agent starts the other workers of its
	 * graph (see unf_hold_readers). */
	while (in.kind == UNF_PORT_ETHDEV && unf_readers_held() && !slot->stop &&
	       rte_rdtsc() < deadline)
		rte_delay_us_sleep(100);

	while (!slot->stop) {
		struct rte_mbuf **pkts = slot->inflight;
		uint64_t t0;
		uint16_t n;

		if (unlikely(slot->routing_request != slot->routing_applied)) {
			/* Live reconfiguration, at a burst boundary: every packet
			 * so far went by the old route, every later one by the new. */
			uint32_t req = __atomic_load_n(&slot->routing_request, __ATOMIC_ACQUIRE);
			char rerr[UNF_ERR_LEN];

			if (open_route(route, &slot->pending, rerr, sizeof(rerr)) == 0) {
				memcpy(&slot->routing, &slot->pending, sizeof(slot->routing));
				c->reconfigs++;
			} else {
				snprintf(slot->error, sizeof(slot->error), "%s", rerr);
				open_route(route, &slot->routing, rerr, sizeof(rerr));
			}
			__atomic_store_n(&slot->routing_applied, req, __ATOMIC_RELEASE);
		}
		/* Busy cycles include the dequeue: a hop costs rx + process + tx. */
		t0 = rte_rdtsc();
		n = unf_rx_burst(&in, pkts, burst);
		if (n == 0) {
			c->idle_polls++;
			if (idle_sleep && ++idle_run >= 256) {
				idle_run = 0;
				rte_delay_us_sleep(idle_sleep);
			}
			if (yield_idle) {
				sched_yield();
				c->yields++;
			} else {
				rte_pause();
			}
			if (unlikely((c->idle_polls & 0x3ff) == 0) && rte_rdtsc() > deadline)
				break;
			continue;
		}
		idle_run = 0;
		if (prefetch) {
			/* The mbuf headers came from another core or process: ask
			 * for all of them now, the processors prefetch the data. */
			uint16_t i;

			for (i = 0; i < n; i++)
				rte_prefetch0(pkts[i]);
		}
		slot->inflight_n = n;
		__atomic_store_n(&slot->inflight_phase, 1, __ATOMIC_RELEASE);
		c->rx += n;
		for (s = 0; s < n_stages; s++) {
			struct stage *st = &stages[s];
			uint16_t i, k;

			st->desc->process_batch(st->state, &st->cfg, pkts, n, results, prefetch);
			if (s + 1 == n_stages)
				break;
			/* Run to completion: survivors go on to the next processor. */
			for (i = 0, k = 0; i < n; i++) {
				if (results[i] == UNF_RESULT_DROP) {
					drop(route, pkts[i]);
					c->dropped++;
					c->stage_drops[s]++;
				} else {
					pkts[k++] = pkts[i];
				}
			}
			n = k;
			slot->inflight_n = n;
			if (n == 0)
				break;
		}
		if (n > 0) {
			uint16_t i;

			if (n_stages > 0)
				for (i = 0; i < n; i++)
					if (results[i] == UNF_RESULT_DROP)
						c->stage_drops[n_stages - 1]++;
			__atomic_store_n(&slot->inflight_phase, 2, __ATOMIC_RELEASE);
			dispatch(route, c, pkts, results, n);
		}
		__atomic_store_n(&slot->inflight_phase, 0, __ATOMIC_RELEASE);
		slot->inflight_n = 0;
		c->busy_cycles += rte_rdtsc() - t0;
		c->bursts++;
		if (yield_after && ++since_yield >= yield_after) {
			since_yield = 0;
			sched_yield();
			c->yields++;
		}
		if (unlikely((c->bursts & 0xff) == 0) && rte_rdtsc() > deadline)
			break;
	}
	ret = 0;
out:
	if (stages != NULL)
		teardown_stages(stages, n_stages);
	rte_free(stages);
	rte_free(route);
	if (ret < 0) {
		snprintf(slot->error, sizeof(slot->error), "%s", err);
		__atomic_store_n(&slot->state, UNF_SLOT_FAILED, __ATOMIC_RELEASE);
	} else {
		__atomic_store_n(&slot->state, UNF_SLOT_EXITED, __ATOMIC_RELEASE);
	}
	return ret;
}
