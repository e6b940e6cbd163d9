# SPDX-License-Identifier: GPL-2.0
#
# shadowalloc top-level Makefile.
#
#   make            build the module, the tools and the selftests
#   make check      install what is missing, build, run every selftest in the
#                   nested-KVM test VM
#   make demo       install what is missing, build, show the module at work in
#                   the test VM
#   make clean      remove everything built
#
# KDIR selects the kernel build tree (default: the installed Debian 6.12
# cloud headers); KSRC is where the needed parts of linux-source-6.12
# (kselftest harness, checkpatch) are unpacked at build time.

REPO := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD := $(REPO)/build

KVER ?= $(shell ls -d /usr/src/linux-headers-6.12*-cloud-amd64 2>/dev/null | \
		sed 's|^/usr/src/linux-headers-||' | sort -V | tail -n 1)
KDIR ?= /usr/src/linux-headers-$(KVER)
KSRC ?= $(BUILD)/linux-source
KSRC_TARBALL ?= /usr/src/linux-source-6.12.tar.xz

VM_RUN := $(REPO)/tools/vm/run-vm.sh
# Every test run gets KFENCE sampling and SLUB debugging in the VM kernel.
VM_DEBUG_APPEND := kfence.sample_interval=10 slub_debug=FZPU
# The whole suite in the VM (TCG, one host core): about 25 minutes on the
# machine of 2026-12-03, where the suite of 2026-12-02 alone took about 20
# (shadowctl_test.sh 124 s); the timeout leaves room under CI's 90 minutes.
VM_TIMEOUT ?= 3000

KBUILD_ARGS := -C $(KDIR) M=$(REPO) W=1

.PHONY: all module bpf tools selftests ksrc deps check check-l2 demo bench bench-l2 clean \
	checkpatch sparse kernel-check bench-forecast

all: module bpf tools selftests

module:
	@test -d "$(KDIR)" || { echo "KDIR=$(KDIR) not found: run tools/setup-deps.sh"; exit 1; }
	$(MAKE) $(KBUILD_ARGS) modules

$(KSRC)/.stamp: $(KSRC_TARBALL)
	@test -f "$(KSRC_TARBALL)" || { echo "$(KSRC_TARBALL) missing: run tools/setup-deps.sh"; exit 1; }
	rm -rf $(KSRC) && mkdir -p $(KSRC)
	tar xJf $(KSRC_TARBALL) -C $(KSRC) --strip-components=1 \
		linux-source-6.12/tools linux-source-6.12/scripts
	touch $@

ksrc: $(KSRC)/.stamp

# The BPF programs, each beside its loader in tools/, and their skeletons,
# all in $(BUILD)/bpf (rules in tools/bpf.mk).
BPF_LOADER_DIRS := tools/shadowctl tools/bench
bpf:
	@set -e; for d in $(BPF_LOADER_DIRS); do \
		$(MAKE) -C $$d bpf KDIR=$(KDIR) KVER=$(KVER) OUTPUT=$(BUILD)/bpf; \
	done

tools: bpf
	$(MAKE) -C tools

selftests: ksrc
	$(MAKE) -C selftests KSRC=$(KSRC)

deps:
	@$(REPO)/tools/setup-deps.sh

check: deps
	$(MAKE) all
	$(VM_RUN) --timeout $(VM_TIMEOUT) --append "$(VM_DEBUG_APPEND)" \
		-- $(REPO)/selftests/run_tests.sh

# Only the end-to-end boot of a real Linux guest on /dev/shadowalloc (also
# part of 'check').
check-l2: deps
	$(MAKE) all
	$(VM_RUN) --timeout $(VM_TIMEOUT) --append "$(VM_DEBUG_APPEND)" \
		-- $(REPO)/selftests/run_tests.sh l2_boot_test.sh

# DEMO_L2=0 skips the (slow, under TCG) boot of a real Linux guest.
DEMO_L2 ?= 1
demo: deps
	$(MAKE) all
	$(VM_RUN) --timeout $(VM_TIMEOUT) --append "$(VM_DEBUG_APPEND)" \
		--env DEMO_L2=$(DEMO_L2) -- $(REPO)/tools/demo.sh

# Side-by-side benchmarks in the test VM; results in Documentation/benchmarks.rst.
BENCH_MIB ?= 32
bench: deps
	$(MAKE) all
	$(VM_RUN) --timeout $(VM_TIMEOUT) -- $(REPO)/tools/bench/run-bench.sh touch $(BENCH_MIB)
	if [ "$(BENCH_FORECAST)" = 1 ]; then $(MAKE) bench-forecast; fi

# The forecaster against its baselines: first the real-program traces
# replayed on the host beside the oracle ($(FC_OUT)/replay-all: results.txt,
# results.json), then KVM guest workloads and Linux boots in the test VM
# (Documentation/forecast-eval.rst). Output in $(FC_OUT): the log,
# results.json (one JSON object per line) and one SVG per workload.
# FC_L2=0 skips the Linux boots; BENCH_FORECAST=0 keeps it out of 'bench'.
BENCH_FORECAST ?= 1
FC_L2 ?= 1
FC_OUT ?= $(BUILD)/bench-forecast
bench-forecast: deps
	$(MAKE) all
	mkdir -p $(FC_OUT)
	@echo "== real-program traces (traces/), every policy beside the oracle, refill 4000 and unlimited"
	$(REPO)/tools/trace/replay-all.sh $(FC_OUT)/replay-all
	{ $(VM_RUN) --timeout $(VM_TIMEOUT) -- $(REPO)/tools/bench/run-bench.sh forecast $(FC_L2); \
	  echo $$? > $(FC_OUT)/status; } 2>&1 | tee $(FC_OUT)/log
	grep '^{' $(FC_OUT)/log > $(FC_OUT)/results.json || true
	python3 $(REPO)/tools/bench/plot_series.py --outdir $(FC_OUT) $(FC_OUT)/log
	@exit $$(cat $(FC_OUT)/status)

# The same with a real Linux guest (L2) booted by QEMU on each backend
# (tools/bench/l2_bench.sh); slow: about 11 minutes under nested TCG.
BENCH_L2_MIB ?= 256
bench-l2: deps
	$(MAKE) all
	$(VM_RUN) --timeout $(VM_TIMEOUT) -- $(REPO)/tools/bench/run-bench.sh l2 $(BENCH_L2_MIB)

# Anchors for the forecaster (Documentation/forecast-anchors.rst.inc):
# statsmodels ETS/Holt-Winters and a small LSTM against the in-kernel
# forecaster (through sa_replay) on the same traces, window by window.
# Traces: ANCHOR_TRACES, default traces/*.csv.xz, else the synthetic kinds
# written by sa_replay --synth into $(ANCHOR_OUT). Its packages
# (python3-statsmodels, python3-torch, python3-matplotlib, for Debian's
# /usr/bin/python3) come from tools/setup-deps.sh --forecast-bench.
.PHONY: bench-anchors
ANCHOR_OUT ?= $(BUILD)/bench-anchors
ANCHOR_TRACES ?= $(wildcard $(REPO)/traces/*.csv.xz)
ANCHOR_SYNTH ?= sequential strided random burst ramp boot mix
ANCHOR_PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
bench-anchors:
	@$(REPO)/tools/setup-deps.sh --forecast-bench
	$(MAKE) -C $(REPO)/tools/forecast
	mkdir -p $(ANCHOR_OUT)
	set -e; traces="$(ANCHOR_TRACES)"; \
	if [ -z "$$traces" ]; then \
		for k in $(ANCHOR_SYNTH); do \
			$(REPO)/tools/forecast/sa_replay --synth $$k > $(ANCHOR_OUT)/$$k.csv; \
			traces="$$traces $(ANCHOR_OUT)/$$k.csv"; \
		done; \
	fi; \
	$(ANCHOR_PYTHON) $(REPO)/tools/bench/forecast_anchors.py \
		--sa-replay $(REPO)/tools/forecast/sa_replay --out $(ANCHOR_OUT) \
		$$traces > $(ANCHOR_OUT)/table.txt || status=$$?; \
	cat $(ANCHOR_OUT)/table.txt; exit $${status:-0}

# Kernel hygiene: checkpatch and sparse on the module and the uapi header.
checkpatch: ksrc
	$(KSRC)/scripts/checkpatch.pl --no-tree -q -f \
		$(filter-out %.mod.c,$(wildcard $(REPO)/kmod/*.[ch] $(REPO)/kmod/forecast/*.[ch])) \
		$(REPO)/uapi/linux/*.h $(wildcard $(REPO)/tools/*/*.bpf.[ch])

sparse:
	$(MAKE) $(KBUILD_ARGS) C=2 modules

kernel-check: checkpatch sparse

clean:
	-test -d "$(KDIR)" && $(MAKE) $(KBUILD_ARGS) clean
	-$(MAKE) -C tools clean
	-$(MAKE) -C selftests clean KSRC=$(KSRC)
	rm -rf $(BUILD)

# The chaos soak of make check (selftests/chaos_test.c, 120 s there) alone
# and as long as asked: make soak DURATION=seconds (default 600). SA_SEED=N
# repeats a run (every run prints its seed).
DURATION ?= 600
.PHONY: soak
soak: deps
	@case "$(DURATION)" in ''|*[!0-9]*) echo "DURATION=$(DURATION): seconds, a number"; exit 2 ;; esac
	$(MAKE) all
	$(VM_RUN) --timeout $$(($(DURATION) + 900)) --append "$(VM_DEBUG_APPEND)" \
		--env SA_CHAOS_SECONDS=$(DURATION) $(if $(SA_SEED),--env SA_SEED=$(SA_SEED)) \
		-- $(REPO)/selftests/run_tests.sh chaos_test
