/*
 * runtime.c: what the primary process does through cffi: EAL start-up (primary
 * or secondary), the shared mbuf pool, the control memzone, rings, ethdev
 * ports (vdevs hot-plugged at run time), mempool occupancy, and reclaiming the
 * mbufs a killed worker held.  Every function reports failure as a negative
 * return and a message in err, which the Python layer turns into an exception.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_memzone.h>
#include <rte_ring.h>

#include "unf_runtime.h"

int unf_meta_offset = -1;
static struct unf_control *control;
static struct rte_mempool *pool;

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static const struct rte_mbuf_dynfield meta_desc = {
	.name = UNF_DYNFIELD_NAME,
	.size = sizeof(struct unf_mbuf_meta),
	.align = __alignof__(struct unf_mbuf_meta),
};

int unf_primary_init(int argc, char **argv, unsigned n_mbufs, unsigned cache_size, char *err,
		     size_t errlen)
{
	const struct rte_memzone *mz;

	if (rte_eal_init(argc, argv) < 0)
		return fail(err, errlen, "DPDK EAL init failed: %s", rte_strerror(rte_errno));
	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return fail(err, errlen, "another primary owns this --file-prefix");
	unf_meta_offset = rte_mbuf_dynfield_register(&meta_desc);
	if (unf_meta_offset < 0)
		return fail(err, errlen, "cannot register the mbuf dynamic field: %s",
			    rte_strerror(rte_errno));
	mz = rte_memzone_reserve(UNF_CONTROL_MZ, sizeof(struct unf_control), SOCKET_ID_ANY,
				 RTE_MEMZONE_SIZE_HINT_ONLY);
	if (mz == NULL)
		return fail(err, errlen, "cannot reserve the control memzone (%zu bytes): %s",
			    sizeof(struct unf_control), rte_strerror(rte_errno));
	control = mz->addr;
	memset(control, 0, sizeof(*control));
	control->magic = 0x6d6e6621;
	control->n_slots = UNF_MAX_SLOTS;
	control->dynfield_offset = unf_meta_offset;
	pool = rte_pktmbuf_pool_create(UNF_POOL_NAME, n_mbufs, cache_size, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		return fail(err, errlen, "cannot create the mbuf pool (%u mbufs): %s", n_mbufs,
			    rte_strerror(rte_errno));
	return 0;
}

int unf_secondary_init(int argc, char **argv, char *err, size_t errlen)
{
	const struct rte_memzone *mz;

	if (rte_eal_init(argc, argv) < 0)
		return fail(err, errlen, "DPDK EAL init (secondary) failed: %s",
			    rte_strerror(rte_errno));
	mz = rte_memzone_lookup(UNF_CONTROL_MZ);
	if (mz == NULL)
		return fail(err, errlen, "no control memzone: is the primary running?");
	control = mz->addr;
	unf_meta_offset = rte_mbuf_dynfield_lookup(UNF_DYNFIELD_NAME, NULL);
	if (unf_meta_offset < 0)
		return fail(err, errlen, "mbuf dynamic field not registered by the primary");
	pool = rte_mempool_lookup(UNF_POOL_NAME);
	if (pool == NULL)
		return fail(err, errlen, "no mbuf pool: is the primary running?");
	return 0;
}

void unf_eal_cleanup(void)
{
	uint16_t port;

	if (rte_eal_process_type() == RTE_PROC_PRIMARY) {
		RTE_ETH_FOREACH_DEV(port)
		{
			rte_eth_dev_stop(port);
			rte_eth_dev_close(port);
		}
	}
	rte_eal_cleanup();
}

struct unf_slot *unf_slot(unsigned index)
{
	if (control == NULL || index >= UNF_MAX_SLOTS)
		return NULL;
	return &control->slots[index];
}

struct rte_mempool *unf_pool(void)
{
	return pool;
}

int unf_ring_create(const char *name, unsigned size, int multi_producer, int multi_consumer,
		    char *err, size_t errlen)
{
	unsigned flags = RING_F_EXACT_SZ;

	if (!multi_producer)
		flags |= RING_F_SP_ENQ;
	if (!multi_consumer)
		flags |= RING_F_SC_DEQ;
	if (strlen(name) >= UNF_NAME_LEN)
		return fail(err, errlen, "ring name '%s' longer than %d characters", name,
			    UNF_NAME_LEN - 1);
	if (rte_ring_lookup(name) != NULL)
		return fail(err, errlen, "ring '%s' exists already", name);
	if (rte_ring_create(name, size, SOCKET_ID_ANY, flags) == NULL)
		return fail(err, errlen, "cannot create ring '%s' of %u: %s", name, size,
			    rte_strerror(rte_errno));
	return 0;
}

/* Frees the mbufs still on the ring, then the ring. */
int unf_ring_free(const char *name)
{
	struct rte_ring *r = rte_ring_lookup(name);
	void *objs[64];
	unsigned n;

	if (r == NULL)
		return -1;
	while ((n = rte_ring_dequeue_burst(r, objs, 64, NULL)) > 0)
		rte_pktmbuf_free_bulk((struct rte_mbuf **)objs, n);
	rte_ring_free(r);
	return 0;
}

int unf_ring_count(const char *name)
{
	struct rte_ring *r = rte_ring_lookup(name);

	return r == NULL ? -1 : (int)rte_ring_count(r);
}

/* Test and replay helper: copy n packets (concatenated in data, lengths in
 * lens) into fresh mbufs and enqueue them; returns how many were enqueued. */
int unf_ring_enqueue_copies(const char *name, const uint8_t *data, const uint32_t *lens,
			    unsigned n, char *err, size_t errlen)
{
	struct rte_ring *r = rte_ring_lookup(name);
	size_t off = 0;
	unsigned i;

	if (r == NULL)
		return fail(err, errlen, "no ring '%s'", name);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		char *p;

		if (m == NULL)
			return fail(err, errlen, "mbuf pool empty after %u packets", i);
		p = rte_pktmbuf_append(m, lens[i]);
		if (p == NULL) {
			rte_pktmbuf_free(m);
			return fail(err, errlen, "packet %u of %u bytes does not fit an mbuf", i,
				    lens[i]);
		}
		memcpy(p, data + off, lens[i]);
		off += lens[i];
		RTE_MBUF_DYNFIELD(m, unf_meta_offset, struct unf_mbuf_meta *)->tag = 0;
		if (rte_ring_enqueue(r, m) != 0) {
			rte_pktmbuf_free(m);
			return (int)i;
		}
	}
	return (int)n;
}

/* Test helper: dequeue up to max packets, copy their bytes into data (at most
 * cap bytes in all), lengths into lens, chain tags into tags, free them. */
int unf_ring_drain(const char *name, uint8_t *data, size_t cap, uint32_t *lens, unsigned max,
		   uint16_t *tags)
{
	struct rte_ring *r = rte_ring_lookup(name);
	size_t off = 0;
	unsigned n = 0;
	void *obj;

	if (r == NULL)
		return -1;
	while (n < max && rte_ring_dequeue(r, &obj) == 0) {
		struct rte_mbuf *m = obj;
		uint32_t len = rte_pktmbuf_pkt_len(m);

		if (off + len <= cap) {
			const void *src = rte_pktmbuf_read(m, 0, len, data + off);

			if (src != NULL && src != data + off)
				memcpy(data + off, src, len);
			off += len;
		} else {
			len = 0;
		}
		lens[n] = len;
		tags[n] = RTE_MBUF_DYNFIELD(m, unf_meta_offset, struct unf_mbuf_meta *)->tag;
		rte_pktmbuf_free(m);
		n++;
	}
	return (int)n;
}

/* Hot-plug a virtual device (e.g. name "net_pcap_in", devargs
 * "rx_pcap=in.pcap") and start it with one Rx and one Tx queue; returns the
 * port id.  Workers started afterwards see it. */
int unf_port_add(const char *name, const char *devargs, char *err, size_t errlen)
{
	struct rte_eth_conf conf;
	uint16_t port;
	int ret;

	memset(&conf, 0, sizeof(conf));
	ret = rte_vdev_init(name, devargs);
	if (ret != 0)
		return fail(err, errlen, "cannot create device %s,%s: %s", name, devargs,
			    rte_strerror(-ret));
	ret = rte_eth_dev_get_port_by_name(name, &port);
	if (ret != 0)
		return fail(err, errlen, "device %s is not an ethdev", name);
	ret = rte_eth_dev_configure(port, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(port, 0, 1024, rte_eth_dev_socket_id(port), NULL,
					     pool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(port, 0, 1024, rte_eth_dev_socket_id(port), NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(port);
	if (ret != 0) {
		rte_vdev_uninit(name);
		return fail(err, errlen, "cannot start device %s: %s", name, rte_strerror(-ret));
	}
	return port;
}

int unf_port_remove(const char *name)
{
	uint16_t port;

	if (rte_eth_dev_get_port_by_name(name, &port) != 0)
		return -1;
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	return rte_vdev_uninit(name);
}

unsigned unf_mempool_in_use(void)
{
	return pool == NULL ? 0 : rte_mempool_in_use_count(pool);
}

unsigned unf_mempool_size(void)
{
	return pool == NULL ? 0 : pool->size;
}

/* After a worker ended (it must not run any more): flush its mempool cache;
 * if it died, also give back the mbufs it held, when ownership is
 * unambiguous (phase 1); returns how many were freed, or -(held) when they
 * could only be counted (phase 2: killed while handing them to egress ports). */
int unf_slot_reclaim(unsigned index)
{
	struct unf_slot *s = unf_slot(index);
	uint32_t n;

	if (s == NULL)
		return 0;
	/* The worker's lcore cache is in shared memory: give its mbufs back to
	 * the common pool, or they stay stranded until that lcore id runs again. */
	if (pool != NULL && pool->cache_size && s->lcore < RTE_MAX_LCORE)
		rte_mempool_cache_flush(rte_mempool_default_cache(pool, s->lcore), pool);
	n = s->inflight_n;
	if (n > UNF_MAX_BURST)
		n = 0;
	if (s->inflight_phase == 1 && n > 0) {
		rte_pktmbuf_free_bulk(s->inflight, n);
		s->inflight_n = 0;
		s->inflight_phase = 0;
		return (int)n;
	}
	if (s->inflight_phase == 2) {
		s->inflight_phase = 0;
		return -(int)n;
	}
	return 0;
}
