/*
 * unf_harness.h: one packet processor run in-process on a list of frames
 * (dataplane/processors/harness.c), for tests, fuzzers and benchmarks.
 */
#ifndef MICRONF_UNF_HARNESS_H
#define MICRONF_UNF_HARNESS_H

#include <stddef.h>
#include <stdint.h>

struct unf_harness;

/* EAL for a standalone program (tests use the session's primary instead). */
int unf_harness_eal_init(int argc, char **argv, char *err, size_t errlen);
/* An initialised instance; params as "name\0value\0...\0\0name\0...\0\0". */
struct unf_harness *unf_harness_new(const char *unf_class, const char *params, size_t params_len,
				    char *err, size_t errlen);
void unf_harness_free(struct unf_harness *h);
/* Result names (the descriptor's labels, or the instance's dynamic ones). */
unsigned unf_harness_labels(const struct unf_harness *h, const char **names, unsigned max);
/* Counter names and values (static, then dynamic). */
unsigned unf_harness_counters(const struct unf_harness *h, const char **names, uint64_t *values,
			      unsigned max);
/* n frames (concatenated in data) as mbuf chains of seg-byte segments (0: whole
 * mbufs), one process_batch; results, the frames after it and its TSC cycles. */
int unf_harness_run(struct unf_harness *h, const uint8_t *data, const uint32_t *lens, uint16_t n,
		    uint32_t seg, uint16_t prefetch, uint8_t *results, uint8_t *out, size_t out_cap,
		    uint32_t *out_lens, uint64_t *cycles, char *err, size_t errlen);
/* rounds x process_batch on fresh copies of the frames; TSC cycles inside process_batch. */
int unf_harness_bench(struct unf_harness *h, const uint8_t *data, const uint32_t *lens,
		      uint16_t n, unsigned rounds, uint16_t prefetch, uint64_t *cycles, char *err,
		      size_t errlen);
unsigned unf_harness_pool_in_use(void);
uint64_t unf_harness_tsc_hz(void);

/* The result and counter names of an instance of unf_class with these
 * parameters (its init run on a scratch state, then fini; no mbuf pool needed),
 * each list as "name\0name\0...\0"; -1 with the processor's message when it
 * refuses the parameters.  The primary names CountUrl's per-pattern counters,
 * PacketSizeCounter's bins and RxService's outputs with it. */
int unf_instance_names(const char *unf_class, const char *params, size_t params_len,
		       char *labels, size_t labels_len, char *counters, size_t counters_len,
		       char *err, size_t errlen);

struct unf_descriptor;
/* The registry (dataplane/processors/registry.c) alone, without test processors. */
unsigned unf_harness_registry_size(void);
const struct unf_descriptor *unf_harness_registry_at(unsigned i);

#endif
