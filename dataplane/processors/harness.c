/*
 * harness.c: runs one packet processor in-process on a list of frames, for
 * the tests that hold every processor to its Python reference model, the
 * fuzzers and the processor_cycles benchmark.  EAL must be up (the test
 * session's primary, or unf_harness_eal_init for a standalone program); the
 * harness keeps its own small mbuf pool so that a leak shows there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "unf_harness.h"
#include "unf_pkt.h"

#define HARNESS_MBUFS 8191
#define HARNESS_MAX_VALUES 64
#define HARNESS_BURST 256

struct unf_harness {
	const struct unf_descriptor *desc;
	void *state;
	bool initialised;
	struct unf_config cfg;
	uint64_t counters[UNF_MAX_COUNTERS];
	struct unf_param_value values[UNF_MAX_PARAMS];
	const char *strings[UNF_MAX_PARAMS][HARNESS_MAX_VALUES];
	char *blob;
};

static struct rte_mempool *pool;

int unf_harness_eal_init(int argc, char **argv, char *err, size_t errlen)
{
	if (rte_eal_init(argc, argv) < 0) {
		snprintf(err, errlen, "EAL: %s", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static int need_pool(char *err, size_t errlen)
{
	char name[RTE_MEMPOOL_NAMESIZE];

	if (pool)
		return 0;
	snprintf(name, sizeof(name), "unf_harness_%d", (int)getpid());
	pool = rte_pktmbuf_pool_create(name, HARNESS_MBUFS, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (!pool) {
		snprintf(err, errlen, "harness mbuf pool: %s", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

unsigned unf_harness_pool_in_use(void)
{
	return pool ? rte_mempool_in_use_count(pool) : 0;
}

/* "name\0value\0value\0\0name\0...\0\0" (the runtime's slot format) into values. */
static int parse_blob(struct unf_harness *h, const char *blob, size_t len, char *err,
		      size_t errlen)
{
	const char *p, *end;
	uint16_t np = 0;

	h->blob = malloc(len + 2);
	if (!h->blob) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(h->blob, blob, len);
	h->blob[len] = h->blob[len + 1] = '\0';
	p = h->blob;
	end = h->blob + len + 2;
	while (p < end && *p) {
		uint16_t nv = 0;

		if (np == UNF_MAX_PARAMS) {
			snprintf(err, errlen, "more than %d parameters", UNF_MAX_PARAMS);
			return -1;
		}
		h->values[np].name = p;
		p += strlen(p) + 1;
		while (p < end && *p) {
			if (nv == HARNESS_MAX_VALUES) {
				snprintf(err, errlen, "more than %d values", HARNESS_MAX_VALUES);
				return -1;
			}
			h->strings[np][nv++] = p;
			p += strlen(p) + 1;
		}
		p++;
		h->values[np].n_values = nv;
		h->values[np].values = h->strings[np];
		np++;
	}
	h->cfg.n_params = np;
	h->cfg.params = h->values;
	return 0;
}

static struct unf_harness *instance_new(const char *unf_class, const char *params,
					size_t params_len, char *err, size_t errlen)
{
	struct unf_harness *h;
	const struct unf_descriptor *d = unf_registry_find(unf_class);

	if (!d) {
		snprintf(err, errlen, "unknown uNF class '%s'", unf_class);
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->desc = d;
	h->cfg.counters = h->counters;
	if (parse_blob(h, params, params_len, err, errlen) < 0)
		goto fail;
	if (d->state_size && !(h->state = calloc(1, d->state_size))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (d->init && d->init(h->state, &h->cfg, err, errlen) != 0)
		goto fail;
	h->initialised = true;
	return h;
fail:
	unf_harness_free(h);
	return NULL;
}

struct unf_harness *unf_harness_new(const char *unf_class, const char *params, size_t params_len,
				    char *err, size_t errlen)
{
	if (need_pool(err, errlen) < 0)
		return NULL;
	return instance_new(unf_class, params, params_len, err, errlen);
}

static int put_names(const char **names, unsigned n, char *out, size_t len, char *err,
		     size_t errlen)
{
	size_t off = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		size_t l = strlen(names[i]) + 1;

		if (off + l + 1 > len) {
			snprintf(err, errlen, "names longer than %zu bytes", len);
			return -1;
		}
		memcpy(out + off, names[i], l);
		off += l;
	}
	out[off] = '\0';
	return 0;
}

int unf_instance_names(const char *unf_class, const char *params, size_t params_len,
		       char *labels, size_t labels_len, char *counters, size_t counters_len,
		       char *err, size_t errlen)
{
	const char *names[256];
	uint64_t values[UNF_MAX_COUNTERS];
	unsigned n;
	int ret;
	struct unf_harness *h = instance_new(unf_class, params, params_len, err, errlen);

	if (!h)
		return -1;
	n = unf_harness_labels(h, names, 256);
	ret = put_names(names, n < 256 ? n : 256, labels, labels_len, err, errlen);
	if (ret == 0) {
		n = unf_harness_counters(h, names, values, UNF_MAX_COUNTERS);
		ret = put_names(names, n, counters, counters_len, err, errlen);
	}
	unf_harness_free(h);
	return ret;
}

void unf_harness_free(struct unf_harness *h)
{
	if (!h)
		return;
	if (h->initialised && h->desc->fini)
		h->desc->fini(h->state);
	free(h->state);
	free(h->blob);
	free(h);
}

unsigned unf_harness_labels(const struct unf_harness *h, const char **names, unsigned max)
{
	unsigned i;

	if (h->desc->dynamic_labels)
		return h->desc->dynamic_labels(h->state, names, max);
	for (i = 0; i < h->desc->n_labels && i < max; i++)
		names[i] = h->desc->labels[i];
	return h->desc->n_labels;
}

unsigned unf_harness_counters(const struct unf_harness *h, const char **names, uint64_t *values,
			      unsigned max)
{
	unsigned n = h->desc->n_counters, i;

	for (i = 0; i < n && i < max; i++)
		names[i] = h->desc->counter_names[i];
	if (h->desc->dynamic_counters && n < max)
		n += h->desc->dynamic_counters(h->state, names + n, max - n);
	if (n > max)
		n = max;
	for (i = 0; i < n; i++)
		values[i] = h->counters[i];
	return n;
}

/* One frame as an mbuf chain of segments of at most seg bytes (0: one mbuf's room). */
static struct rte_mbuf *make_mbuf(const uint8_t *data, uint32_t len, uint32_t seg)
{
	struct rte_mbuf *head = NULL;
	uint32_t room = RTE_MBUF_DEFAULT_DATAROOM, off = 0;

	if (seg == 0 || seg > room)
		seg = room;
	do {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint32_t chunk = len - off < seg ? len - off : seg;
		char *dst;

		if (!m)
			goto fail;
		dst = rte_pktmbuf_append(m, (uint16_t)chunk);
		if (chunk)
			memcpy(dst, data + off, chunk);
		off += chunk;
		if (!head)
			head = m;
		else if (rte_pktmbuf_chain(head, m) < 0) {
			rte_pktmbuf_free(m);
			goto fail;
		}
	} while (off < len);
	return head;
fail:
	rte_pktmbuf_free(head);
	return NULL;
}

static int load(struct rte_mbuf **mbufs, const uint8_t *data, const uint32_t *lens, uint16_t n,
		uint32_t seg, char *err, size_t errlen)
{
	uint16_t i;
	size_t off = 0;

	for (i = 0; i < n; i++) {
		mbufs[i] = make_mbuf(data + off, lens[i], seg);
		if (!mbufs[i]) {
			while (i--)
				rte_pktmbuf_free(mbufs[i]);
			snprintf(err, errlen, "harness pool exhausted (frame too long?)");
			return -1;
		}
		off += lens[i];
	}
	return 0;
}

int unf_harness_run(struct unf_harness *h, const uint8_t *data, const uint32_t *lens, uint16_t n,
		    uint32_t seg, uint16_t prefetch, uint8_t *results, uint8_t *out, size_t out_cap,
		    uint32_t *out_lens, uint64_t *cycles, char *err, size_t errlen)
{
	struct rte_mbuf *mbufs[HARNESS_BURST];
	uint16_t i;
	size_t off = 0;
	uint64_t t0;
	int ret = 0;

	if (n > HARNESS_BURST) {
		snprintf(err, errlen, "at most %d frames per run", HARNESS_BURST);
		return -1;
	}
	if (load(mbufs, data, lens, n, seg, err, errlen) < 0)
		return -1;
	t0 = rte_rdtsc_precise();
	h->desc->process_batch(h->state, &h->cfg, mbufs, n, results, prefetch);
	*cycles = rte_rdtsc_precise() - t0;
	for (i = 0; i < n; i++) {
		uint32_t len = rte_pktmbuf_pkt_len(mbufs[i]);
		const void *p;

		if (ret == 0 && off + len > out_cap) {
			snprintf(err, errlen, "output buffer too small");
			ret = -1;
		}
		if (ret == 0) {
			p = rte_pktmbuf_read(mbufs[i], 0, len, out + off);
			if (p != out + off)
				memcpy(out + off, p, len);
			out_lens[i] = len;
			off += len;
		}
		rte_pktmbuf_free(mbufs[i]);
	}
	return ret;
}

int unf_harness_bench(struct unf_harness *h, const uint8_t *data, const uint32_t *lens,
		      uint16_t n, unsigned rounds, uint16_t prefetch, uint64_t *cycles, char *err,
		      size_t errlen)
{
	struct rte_mbuf *mbufs[HARNESS_BURST];
	uint8_t results[HARNESS_BURST];
	unsigned r;
	uint16_t i;

	*cycles = 0;
	if (n > HARNESS_BURST) {
		snprintf(err, errlen, "at most %d frames per round", HARNESS_BURST);
		return -1;
	}
	for (r = 0; r < rounds; r++) {
		uint64_t t0;

		if (load(mbufs, data, lens, n, 0, err, errlen) < 0)
			return -1;
		t0 = rte_rdtsc_precise();
		h->desc->process_batch(h->state, &h->cfg, mbufs, n, results, prefetch);
		*cycles += rte_rdtsc_precise() - t0;
		for (i = 0; i < n; i++)
			rte_pktmbuf_free(mbufs[i]);
	}
	return 0;
}

uint64_t unf_harness_tsc_hz(void)
{
	return rte_get_tsc_hz();
}

unsigned unf_harness_registry_size(void)
{
	return unf_registry_size;
}

const struct unf_descriptor *unf_harness_registry_at(unsigned i)
{
	return i < unf_registry_size ? unf_registry[i] : NULL;
}
