# micronf: one-command setup, demo, tests and lint on Debian 12 (run as root).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HUGEPAGES ?= 512

APT_PACKAGES := libdpdk-dev dpdk dpdk-dev libyang2-dev libyang2-tools libhyperscan-dev \
	libpcap-dev pkg-config graphviz gcc make python3-venv python3-dev postgresql openssh-client

# The data plane's cffi extension: rebuilt when a C file, header or cdef changes.
DP_EXT := dataplane/_unf.abi3.so
DP_SRC := $(wildcard dataplane/src/*.c dataplane/processors/*.c dataplane/include/*.h \
	dataplane/include/*.cdef) dataplane/build_ffi.py setup.py

PY_PACKAGES := cli yang tosca models controller agent dataplane netconf
YANG_DIR  := yang/modules
OUR_YANG  := $(wildcard $(YANG_DIR)/micronf-*.yang)
IETF_YANG := $(wildcard $(YANG_DIR)/ietf/*.yang)

.PHONY: help setup apt venv hugepages demo test lint docs bench clean fuzz-compiler

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: apt venv hugepages  ## install everything (apt packages, .venv, hugepages); idempotent

apt:  ## Debian packages (skipped when all are installed)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo ">> apt-get install $$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	else echo ">> apt packages present"; fi

venv: $(STAMP) $(DP_EXT)  ## the Python virtual environment with micronf installed (editable)

$(DP_EXT): $(DP_SRC) | $(STAMP)
	@echo ">> build the data-plane extension (pip install -e . again)"
	@$(BIN)/python -m pip install -qq --no-deps -e .
	@touch $@

# libyang's Python binding compiles against libyang2-dev: the apt step comes first.
$(STAMP): pyproject.toml setup.py | apt
	@# -qq: pip and the build backend print only errors (a failure still shows them all)
	@[ -x $(BIN)/python ] || { echo ">> python virtual environment in $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo ">> pip install -e '.[test]' (micronf, editable, and its dependencies)"
	@$(BIN)/python -m pip install -qq --upgrade pip
	@$(BIN)/python -m pip install -qq -e '.[test]'
	@echo ">> micronf $$($(BIN)/python -c 'from importlib.metadata import version; print(version("micronf"))') installed in $(VENV)"
	@touch $@

hugepages:  ## reserve $(HUGEPAGES) x 2 MiB hugepages and mount hugetlbfs (DPDK multi-process)
	@cur=$$(cat /proc/sys/vm/nr_hugepages); \
	if [ "$$cur" -lt $(HUGEPAGES) ]; then \
		echo $(HUGEPAGES) > /proc/sys/vm/nr_hugepages 2>/dev/null \
		|| echo "warning: cannot reserve hugepages (not root?)"; fi; \
	mkdir -p /dev/hugepages; \
	mountpoint -q /dev/hugepages || mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages \
		|| echo "warning: cannot mount hugetlbfs at /dev/hugepages"; \
	echo ">> hugepages: $$(cat /proc/sys/vm/nr_hugepages) x 2 MiB, $$(mountpoint /dev/hugepages)"

DEMO_DB := build/demo/intent.db

demo: setup  ## validate the examples, store them as revisions, show history and a diff, compile the paper's chain and run it on DPDK
	@echo ">> validate the example chains and show them expanded into uNFs"
	$(BIN)/micronf validate --show examples/paper-sfc.yaml examples/paper-sfc.xml examples/paper-sfc.json
	@echo ">> store day 1 and day 2 of the paper chain in a fresh store ($(DEMO_DB))"
	@rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(BIN)/micronf apply --db $(DEMO_DB) --label day-1 examples/paper-sfc.yaml
	$(BIN)/micronf apply --db $(DEMO_DB) --label day-2 --comment "deny telnet" examples/paper-sfc-day2.yaml
	$(BIN)/micronf history --db $(DEMO_DB)
	$(BIN)/micronf diff --db $(DEMO_DB) 2
	@echo ">> dry-run the paper's SFC: compiled graph, savings, placement, actions; picture; desired graph"
	@mkdir -p build
	$(BIN)/micronf dry-run examples/paper-sfc.yaml --graph build/paper-sfc.svg --desired build/desired
	@echo ">> run the compiled graph on the example trace (DPDK): intent to packets"
	$(BIN)/micronf dataplane run build/desired/server-a.json \
		--rx port0=examples/traces/http-sqli.pcap --tx port1=build/demo-out.pcap

lint: venv  ## ruff, mypy, import-linter contracts, pyang --lint
	@# The C of the data plane, without the two warnings the cffi glue needs turned off.
	@for f in dataplane/src/*.c dataplane/processors/*.c; do \
		gcc -fsyntax-only $$(pkg-config --cflags libdpdk libhs) -Idataplane/include \
			-Wall -Wextra -Werror $$f || exit 1; done
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# grimp and mypy cannot see through setuptools' editable finder (mypy would
	@# type every micronf import as Any), so both run on a throw-away copy laid
	@# out as the installed micronf package.
	@rm -rf build/lint && mkdir -p build/lint/micronf
	@for d in $(PY_PACKAGES); do cp -r $$d build/lint/micronf/$$d; done
	cd build/lint && ../../$(BIN)/mypy --config-file ../../pyproject.toml \
		$(foreach p,$(PY_PACKAGES),-p micronf.$(p))
	@# grimp sees only .py files: an empty stand-in names the cffi extension for the contracts.
	@touch build/lint/micronf/dataplane/_unf.py
	cd build/lint && PYTHONPATH=. ../../$(BIN)/lint-imports ../../pyproject.toml
	$(BIN)/pyang --lint --lint-ensure-hyphenated-names -p $(YANG_DIR) -p $(YANG_DIR)/ietf $(OUR_YANG)
	$(BIN)/pyang -p $(YANG_DIR)/ietf $(IETF_YANG) > /dev/null

docs: venv  ## regenerate the YANG trees in docs/yang/
	@mkdir -p docs/yang
	@for m in $(OUR_YANG); do n=$$(basename $$m .yang); \
		$(BIN)/pyang -f tree --tree-print-groupings -p $(YANG_DIR) -p $(YANG_DIR)/ietf $$m > docs/yang/$$n.tree; \
		echo "docs/yang/$$n.tree"; done

test: setup lint  ## set up, lint and run the whole test suite
	$(BIN)/python -m pytest -q

bench: setup  ## run the benchmarks (tables on stdout, JSON and plots in bench/results/)
	$(BIN)/python bench/validate.py
	$(BIN)/python bench/hostile_cost.py
	$(BIN)/python bench/hop_cost.py
	$(BIN)/python bench/floor.py
	$(BIN)/python bench/fig5_shared_core.py
	$(BIN)/python bench/fig6_packet_size.py
	$(BIN)/python bench/fig7_prefetch.py
	$(BIN)/python bench/fig8_parallel.py
	$(BIN)/python bench/fig9_chain_length.py
	$(BIN)/python bench/fig10_pipeline_vs_rtc.py
	$(BIN)/python bench/processor_cycles.py
	$(BIN)/python bench/store.py
	$(BIN)/python bench/compile.py
	$(BIN)/python bench/autoscale.py
	$(BIN)/python bench/sfc_savings.py
	$(BIN)/python bench/netconf_load.py

fuzz-compiler: venv  ## long property-test run of the compiler (MICRONF_FUZZ_EXAMPLES, 1500)
	MICRONF_HYPOTHESIS=fuzz $(BIN)/python -m pytest -q tests/test_compiler_equivalence.py

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache

# Fuzzing needs clang and libFuzzer, installed here only: `make test` does not.
FUZZ_RUNS ?= 1000000
FUZZ_APT := clang libclang-rt-14-dev
.PHONY: fuzz fuzz-tools

fuzz-tools:  ## clang and libFuzzer (for make fuzz only)
	@missing=$$(for p in $(FUZZ_APT); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	else echo ">> fuzz tools present"; fi

fuzz: venv fuzz-tools  ## libFuzzer + ASan/UBSan on every packet processor, $(FUZZ_RUNS) inputs each
	FUZZ_RUNS=$(FUZZ_RUNS) bash fuzz/run.sh
