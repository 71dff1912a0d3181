/*
 * fuzz_processors.c: libFuzzer target for the packet processors (make fuzz).
 *
 * UNF_FUZZ_CLASS names the processor.  Each input is one frame behind a
 * selector byte: its low nibble picks one of the class's configurations
 * below, its high nibble the mbuf segment size (0: whole mbufs, else
 * 4 x nibble bytes, so headers straddle segments).  The frame runs through
 * the harness, built with AddressSanitizer and UBSan; besides any memory
 * error, the target aborts when a result is neither a known output nor a
 * drop, when a frame grows or shrinks by more than a tunnel header, or when
 * an mbuf is not returned to the pool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unf_harness.h"
#include "unf_processor.h"

/* A configuration: "name\0value\0...\0\0...\0" blob with its length. */
struct config {
	const char *blob;
	size_t len;
};
#define CFG(s) {s, sizeof(s)}

struct class_configs {
	const char *unf_class;
	struct config configs[4];
	unsigned n;
};

static const struct class_configs table[] = {
	{"MacSwapper", {CFG("")}, 1},
	{"IPTtlDecrementer", {CFG("")}, 1},
	{"CheckIPHeader", {CFG("")}, 1},
	{"L3L4Filter",
	 {CFG("rule\0deny proto udp dport 53\0allow proto tcp dport 80\0\0default-action\0deny\0\0"),
	  CFG("rule\0deny src 10.1.0.0/16 proto tcp dport 22\0allow dst 10.0.0.0/8 sport "
	      "1024-65535\0deny proto icmp\0allow\0\0")},
	 2},
	{"HttpClassifier", {CFG(""), CFG("ports\0" "80\0" "8000-8080\0\0")}, 2},
	{"ValidateUrl", {CFG(""), CFG("on-attack\0label\0\0")}, 2},
	{"CountUrl", {CFG("url\0^/login\0^/api/\0(?i)select\0\0")}, 1},
	{"PacketSizeCounter", {CFG(""), CFG("bins\0" "100\0" "1000\0\0")}, 2},
	{"FlowLoadBalancer", {CFG("backend\0" "02:00:00:00:0b:01\0" "02:00:00:00:0b:02\0\0")}, 1},
	{"Busy", {CFG("cycles\0" "1\0\0")}, 1},
	{"RxService",
	 {CFG(""), CFG("classifier\0" "7 vlan 100\0" "8 vni 5000 proto tcp\0" "9 dport 80\0\0"),
	  CFG("decapsulate\0false\0\0")},
	 3},
	{"TxService",
	 {CFG(""), CFG("encapsulation\0vlan\0\0tunnel-tag\0" "100\0\0"),
	  CFG("encapsulation\0vxlan\0\0tunnel-tag\0" "5000\0\0local-address\0" "192.0.2.1\0\0"
	      "remote-address\0" "192.0.2.2\0\0src-mac\0" "02:aa:00:00:00:01\0\0")},
	 3},
};

static struct unf_harness *instances[4];
static unsigned n_instances;
static unsigned n_outputs[4];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char prefix[64], err[256];
	char *eal[] = {"fuzz", "--no-huge", "-m", "512", "--no-shconf", "--no-pci", "--no-telemetry",
		       "-l", "0", "--log-level=error", prefix};
	const char *cls = getenv("UNF_FUZZ_CLASS");
	const struct class_configs *c = NULL;
	unsigned i;

	(void)argc, (void)argv;
	snprintf(prefix, sizeof(prefix), "--file-prefix=unf-fuzz-%d", (int)getpid());
	for (i = 0; cls && i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].unf_class, cls) == 0)
			c = &table[i];
	if (!c) {
		fprintf(stderr, "set UNF_FUZZ_CLASS to a processor class\n");
		exit(2);
	}
	if (unf_harness_eal_init(sizeof(eal) / sizeof(eal[0]), eal, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		exit(2);
	}
	for (i = 0; i < c->n; i++) {
		const char *names[UNF_MAX_LABELS];

		instances[i] = unf_harness_new(c->unf_class, c->configs[i].blob, c->configs[i].len, err,
					       sizeof(err));
		if (!instances[i]) {
			fprintf(stderr, "%s config %u: %s\n", c->unf_class, i, err);
			exit(2);
		}
		n_outputs[i] = unf_harness_labels(instances[i], names, UNF_MAX_LABELS);
		if (n_outputs[i] == 0)
			n_outputs[i] = 1;
	}
	n_instances = c->n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[16384];
	char err[256];
	uint8_t result;
	uint32_t len, out_len;
	uint64_t cycles;
	unsigned which;
	uint32_t seg;

	if (size < 1 || size - 1 > 9200)
		return -1;
	which = (data[0] & 0x0F) % n_instances;
	seg = (uint32_t)(data[0] >> 4) * 4;
	len = (uint32_t)(size - 1);
	if (unf_harness_run(instances[which], data + 1, &len, 1, seg, 4, &result, out, sizeof(out),
			    &out_len, &cycles, err, sizeof(err)) < 0) {
		fprintf(stderr, "harness: %s\n", err);
		abort();
	}
	if (result != UNF_RESULT_DROP && result >= n_outputs[which]) {
		fprintf(stderr, "result %u past the %u outputs\n", result, n_outputs[which]);
		abort();
	}
	if (result != UNF_RESULT_DROP && (out_len + 128 < len || out_len > len + 128)) {
		fprintf(stderr, "frame of %u bytes became %u\n", len, out_len);
		abort();
	}
	if (unf_harness_pool_in_use() != 0) {
		fprintf(stderr, "%u mbufs not returned\n", unf_harness_pool_in_use());
		abort();
	}
	return 0;
}
