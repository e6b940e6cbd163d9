# SPDX-License-Identifier: GPL-2.0
#
# shadowalloc top-level Makefile.
#
#   make            build the module, the tools and the selftests
#   make check      install what is missing, build, run every selftest: the
#                   userspace ones here, the rest in two nested-KVM test VMs
#                   side by side (selftests/run_check.sh)
#   make demo       install what is missing, build, show the module at work in
#                   the test VM
#   make install    install the module, shadowctl, libshadowalloc (static,
#                   shared, header, pkg-config file); make uninstall
#   make print-kdir the kernel build tree the module is built against, and why
#   make clean      remove everything built
#
# KDIR selects the kernel build tree (see "The kernel build tree" below);
# KSRC is where the needed parts of linux-source-6.12 (kselftest harness,
# checkpatch) are unpacked at build time.

REPO := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD := $(REPO)/build

# --- The kernel build tree ------------------------------------------------
# KDIR=DIR (command line or environment) is used as given. Otherwise, in
# this order:
#  1. the running kernel's /lib/modules/$(uname -r)/build, if it is a 6.12
#     tree: a module for the machine it is built on;
#  2. the tree of Debian's linux-headers-6.12-cloud-amd64 (the version that
#     metapackage depends on), the kernel of the test VM;
#  3. none: the targets that need one stop with the reason.
# The test-VM targets (check, check-l2, demo, bench*) go straight to 2 when
# KDIR is not given: their module is loaded by the VM's kernel, whatever the
# host runs. Never "the newest headers under /usr/src": an unrelated tree
# there would give a module that loads nowhere.
# KVER is the kernel release the tree is for (its include/config/kernel.release).
VM_GOALS := check check-l2 demo bench bench-l2 bench-l2-backends bench-forecast bench-refault bench-fleet
DEBIAN_HEADERS_PKG := linux-headers-6.12-cloud-amd64

# Every make reads these (make install too, and the selftests run it in the
# TCG test VM, where a process costs): files are read with $(file), and
# dpkg-query runs only when Debian's tree is the candidate.
# kdir_release DIR: the kernel release of a configured build tree, or empty
kdir_release = $(strip $(file <$(1)/include/config/kernel.release))
# is_612 RELEASE: non-empty if RELEASE is a 6.12 kernel's
is_612 = $(filter 6.12 6.12.% 6.12-% 6.12+%,$(1))

RUNNING_KVER := $(strip $(file </proc/sys/kernel/osrelease))
RUNNING_KDIR := /lib/modules/$(RUNNING_KVER)/build
# The version Debian's headers metapackage depends on (once, when needed).
DEBIAN_KVER = $(eval DEBIAN_KVER := $(shell dpkg-query -W -f='$${Status} $${Depends}' \
		$(DEBIAN_HEADERS_PKG) 2>/dev/null | \
		sed -n 's/^install ok installed linux-headers-\([^ ,]*\).*/\1/p'))$(DEBIAN_KVER)
DEBIAN_KDIR = $(if $(DEBIAN_KVER),/usr/src/linux-headers-$(DEBIAN_KVER))

ifneq ($(filter command line environment override,$(origin KDIR)),)
  KDIR_WHY := KDIR given ($(origin KDIR))
  KDIR_REL := $(call kdir_release,$(KDIR))
  ifeq ($(KDIR_REL),)
    KDIR_ERROR := KDIR=$(KDIR) is not a configured kernel build tree (no include/config/kernel.release)
  else ifeq ($(call is_612,$(KDIR_REL)),)
    KDIR_ERROR := KDIR=$(KDIR) is a $(KDIR_REL) tree, not 6.12: shadowalloc is for Linux 6.12
  endif
else
  RUNNING_REL := $(call kdir_release,$(RUNNING_KDIR))
  ifneq ($(filter $(VM_GOALS),$(MAKECMDGOALS)),)
    KDIR_NOT_RUNNING := make $(filter $(VM_GOALS),$(MAKECMDGOALS)) builds for the test VM
  else ifeq ($(RUNNING_REL),)
    KDIR_NOT_RUNNING := the running kernel $(RUNNING_KVER) has no build tree ($(RUNNING_KDIR))
  else ifeq ($(call is_612,$(RUNNING_REL)),)
    KDIR_NOT_RUNNING := the running kernel $(RUNNING_KVER) is not 6.12
  endif
  ifeq ($(KDIR_NOT_RUNNING),)
    KDIR := $(RUNNING_KDIR)
    KDIR_REL := $(RUNNING_REL)
    KDIR_WHY := the running kernel's build tree (uname -r: $(RUNNING_KVER))
  else ifneq ($(call is_612,$(call kdir_release,$(DEBIAN_KDIR))),)
    KDIR := $(DEBIAN_KDIR)
    KDIR_REL := $(call kdir_release,$(KDIR))
    KDIR_WHY := $(KDIR_NOT_RUNNING); the tree of Debian's $(DEBIAN_HEADERS_PKG), the test VM's kernel
  else
    KDIR :=
    KDIR_ERROR := no 6.12 kernel build tree: $(KDIR_NOT_RUNNING), and Debian's \
	$(DEBIAN_HEADERS_PKG) is not installed$(if $(DEBIAN_KDIR), ($(DEBIAN_KDIR) is not a 6.12 tree)). \
	Install it (tools/setup-deps.sh), or the running 6.12 kernel's headers, or give KDIR=
  endif
  # The sub-makes of the test-VM targets ($(MAKE) all) build for the same
  # tree (none: they find none either, and say why).
  ifneq ($(filter $(VM_GOALS),$(MAKECMDGOALS)),)
    ifneq ($(KDIR),)
      export KDIR
    endif
  endif
endif
ifeq ($(filter command line environment override,$(origin KVER)),)
  KVER := $(KDIR_REL)
endif
KSRC ?= $(BUILD)/linux-source
KSRC_TARBALL ?= /usr/src/linux-source-6.12.tar.xz

VM_RUN := $(REPO)/tools/vm/run-vm.sh
# Every test run gets KFENCE sampling and SLUB debugging in the VM kernel.
VM_DEBUG_APPEND := kfence.sample_interval=10 slub_debug=FZPU
# Each test VM's run (TCG, one host CPU; make check runs two side by side,
# selftests/run_check.sh): about 5 minutes each on the machine of
# 2026-12-03, 3x that on slower days; the timeout leaves room under CI's 90
# minutes.
VM_TIMEOUT ?= 3000

KBUILD_ARGS := -C $(KDIR) M=$(REPO) W=1

.PHONY: all module bpf tools selftests ksrc deps deps-vm check check-l2 demo bench bench-l2 clean \
	checkpatch sparse kernel-check bench-forecast bench-l2-backends bench-refault bench-fleet kdir-ok print-kdir install uninstall

all: module bpf tools selftests

# Stops every target that builds against KDIR when there is no usable tree.
kdir-ok:
ifneq ($(KDIR_ERROR),)
	@echo "shadowalloc: $(KDIR_ERROR)" >&2
	@echo "shadowalloc: see 'make print-kdir' and README.md (Building on a host)" >&2
	@exit 1
endif

print-kdir: kdir-ok
	@printf '%s\n' "KDIR=$(KDIR)" "KVER=$(KVER)" "why: $(KDIR_WHY)"

module: kdir-ok
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
# The programs are CO-RE against KVM's types, from the BTF of the kvm.ko of
# KVER: on a host running that kernel it is installed; for the test VM's
# kernel it comes with its linux-image package (setup-deps.sh --test-vm).
KVM_KO := $(firstword $(wildcard /lib/modules/$(KVER)/kernel/arch/x86/kvm/kvm.ko*))
bpf: kdir-ok
	@test -n "$(KVM_KO)" -o -f $(BUILD)/bpf/kvm.ko || { \
		echo "shadowalloc: kvm.ko of $(KVER) not found in /lib/modules/$(KVER): the telemetry's BPF programs need KVM's BTF." >&2; \
		echo "shadowalloc: build on a host running $(KVER), or install linux-image-$(KVER) (tools/setup-deps.sh --test-vm does, for the test VM)" >&2; \
		exit 1; }
	@set -e; for d in $(BPF_LOADER_DIRS); do \
		$(MAKE) -C $$d bpf KDIR=$(KDIR) KVER=$(KVER) OUTPUT=$(BUILD)/bpf; \
	done

tools: bpf
	$(MAKE) -C tools KDIR=$(KDIR) KVER=$(KVER)

selftests: ksrc
	$(MAKE) -C selftests KSRC=$(KSRC)

# deps: what building needs; deps-vm: that and the test VM (QEMU, the VM's
# kernel image, busybox, ...), for the targets that run the VM.
deps:
	@$(REPO)/tools/setup-deps.sh

deps-vm:
	@$(REPO)/tools/setup-deps.sh --test-vm

check: deps-vm
	$(MAKE) all
	$(REPO)/selftests/run_check.sh --timeout $(VM_TIMEOUT) --append "$(VM_DEBUG_APPEND)"

# Only the end-to-end boot of a real Linux guest on /dev/shadowalloc (also
# part of 'check').
check-l2: deps-vm
	$(MAKE) all
	$(VM_RUN) --timeout $(VM_TIMEOUT) --append "$(VM_DEBUG_APPEND)" \
		-- $(REPO)/selftests/run_tests.sh l2_boot_test.sh

# DEMO_L2=0 skips the (slow, under TCG) boot of a real Linux guest.
DEMO_L2 ?= 1
demo: deps-vm
	$(MAKE) all
	$(VM_RUN) --timeout $(VM_TIMEOUT) --append "$(VM_DEBUG_APPEND)" \
		--env DEMO_L2=$(DEMO_L2) -- $(REPO)/tools/demo.sh

# Side-by-side benchmarks in the test VM; results in Documentation/benchmarks.rst.
BENCH_MIB ?= 32
bench: deps-vm
	$(MAKE) all
	$(REPO)/tools/bench/tm_overhead_bench --reference > $(BUILD)/tm-host-reference.json
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
bench-forecast: deps-vm
	$(MAKE) all
	mkdir -p $(FC_OUT)
	@echo "== real-program traces (traces/), every policy beside the oracle, refill 4000 and unlimited"
	$(REPO)/tools/trace/replay-all.sh $(FC_OUT)/replay-all
	{ $(VM_RUN) --timeout $(VM_TIMEOUT) -- $(REPO)/tools/bench/run-bench.sh forecast $(FC_L2); \
	  echo $$? > $(FC_OUT)/status; } 2>&1 | tee $(FC_OUT)/log
	grep '^{' $(FC_OUT)/log > $(FC_OUT)/results.json || true
	python3 $(REPO)/tools/bench/plot_series.py --outdir $(FC_OUT) $(FC_OUT)/log
	@exit $$(cat $(FC_OUT)/status)

# Issue 13's comparison with real Linux guests (L2) booted by QEMU inside
# the test VM, Documentation/benchmarks.rst. make bench-l2 runs its three
# parts one after the other, each in its own boot of the test VM, then
# prints every target line of the three:
#   bench-l2-backends  every RAM backend side by side (tools/bench/l2_bench.sh
#                      BENCH_L2_MIB: first-touch and start-to-ready time,
#                      memory committed, as ratios to prealloc; the module's
#                      fault-time percentiles and off-path work)
#   bench-refault      steady state with virtio-balloon free page reporting,
#                      ram-thp against shadowallocfs (l2_refault_bench.sh,
#                      BENCH_REFAULT_MIB touched per cycle)
#   bench-fleet        BENCH_FLEET_N guests of one group launched staggered,
#                      per backend (l2_fleet_bench.sh)
# Output in $(L2_OUT): per part its log, status and JSON lines
# (backends.{log,status,json}, refault.*, fleet.*), l2-committed.svg (time
# vs memory committed per backend, tools/bench/plot_l2.py) and targets.txt.
# Under nested TCG the three take about 16, 6 and 15 minutes; BENCH_QUICK=1
# (one round of the backends, 3 re-fault cycles instead of 6, one later
# fleet instead of two) about 6, 5 and 9.
BENCH_L2_MIB ?= 256
BENCH_REFAULT_MIB ?= 128
BENCH_FLEET_N ?= 4
BENCH_QUICK ?= 0
L2_OUT ?= $(BUILD)/bench-l2
L2_PARTS := bench-l2-backends bench-refault bench-fleet
bench-l2: deps-vm
	$(MAKE) all
	mkdir -p $(L2_OUT)
	status=0; for part in $(L2_PARTS); do \
		$(MAKE) --no-print-directory $$part L2_BUILT=1 || status=1; \
	done; \
	echo "== issue 13's targets (one run; logs in $(L2_OUT))"; \
	grep -h -e '^target ' -e 'target re-fault cost' -e ': PASS$$' -e ': FAIL' \
		$(L2_OUT)/backends.log $(L2_OUT)/refault.log $(L2_OUT)/fleet.log \
		2>/dev/null | tee $(L2_OUT)/targets.txt; \
	exit $$status

# One part; L2_BUILT=1 when bench-l2 has built already.
$(L2_PARTS): deps-vm
	[ "$(L2_BUILT)" = 1 ] || $(MAKE) all
	mkdir -p $(L2_OUT)
	name=$(patsubst bench-%,%,$(patsubst bench-l2-%,%,$@)); \
	case $$name in \
	backends) suite=l2; arg=$(BENCH_L2_MIB) ;; \
	refault) suite=refault; arg=$(BENCH_REFAULT_MIB) ;; \
	fleet) suite=fleet; arg=$(BENCH_FLEET_N) ;; \
	esac; \
	{ $(VM_RUN) --timeout $(VM_TIMEOUT) --env BENCH_QUICK=$(BENCH_QUICK) -- \
		$(REPO)/tools/bench/run-bench.sh $$suite $$arg; \
	  echo $$? > $(L2_OUT)/$$name.status; } 2>&1 | tee $(L2_OUT)/$$name.log; \
	grep '^{' $(L2_OUT)/$$name.log > $(L2_OUT)/$$name.json || true; \
	if [ $$name = backends ]; then \
		python3 $(REPO)/tools/bench/plot_l2.py --outdir $(L2_OUT) $(L2_OUT)/$$name.log; \
	fi; \
	exit $$(cat $(L2_OUT)/$$name.status)

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

sparse: kdir-ok
	$(MAKE) $(KBUILD_ARGS) C=2 modules

kernel-check: checkpatch sparse

# --- make install / make uninstall ---------------------------------------
# DESTDIR (staging root) and PREFIX (default /usr/local) as usual; the
# module goes to /lib/modules/<its kernel>/updates (found first by modprobe),
# <its kernel> read from the built module's vermagic. depmod and ldconfig run
# only for a real install (no DESTDIR). What is already built is installed
# as it is: 'make install' builds only what is missing and so writes
# nothing in the tree after 'make' (the test VM sees it read-only).
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR ?= $(PREFIX)/share/man
LIBEXECDIR ?= $(PREFIX)/libexec/shadowalloc
# systemd reads units from /usr/local/lib/systemd/system too; the unit's
# paths are rewritten for PREFIX as it is installed.
UNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR ?= $(PREFIX)/share/doc/shadowalloc
MAN_PAGES := $(REPO)/Documentation/man/shadowalloc.4 \
	     $(REPO)/Documentation/man/shadowallocfs.5 \
	     $(REPO)/Documentation/man/shadowctl.8
MODULE_SUBDIR ?= updates
INSTALL ?= install
INSTALL_VARS = PREFIX=$(PREFIX) SBINDIR=$(SBINDIR) LIBDIR=$(LIBDIR) \
	       INCLUDEDIR=$(INCLUDEDIR) PKGCONFIGDIR=$(PKGCONFIGDIR) DESTDIR=$(DESTDIR)
MODULE_KO := $(REPO)/kmod/shadowalloc.ko
INSTALL_BUILT := $(REPO)/tools/shadowctl/shadowctl $(REPO)/tools/lib/libshadowalloc.a \
		 $(REPO)/tools/lib/libshadowalloc.so.1
# The kernel release the built module is for (its vermagic's first word);
# expanded only when install's recipe runs, after the module is there.
MODULE_KVER = $(eval MODULE_KVER := $(shell /sbin/modinfo -F vermagic $(MODULE_KO) 2>/dev/null | cut -d" " -f1))$(MODULE_KVER)
# Every installed copy, of whatever kernel release, for uninstall.
INSTALLED_KOS = $(wildcard $(DESTDIR)/lib/modules/*/$(MODULE_SUBDIR)/shadowalloc.ko)

# Built only if missing (no prerequisites); &: one 'make tools' for all
# three, also under -j.
$(MODULE_KO):
	$(MAKE) module
$(INSTALL_BUILT) &:
	$(MAKE) tools

install: $(MODULE_KO) $(INSTALL_BUILT)
	@test -n "$(MODULE_KVER)" || { echo "shadowalloc: no vermagic in $(MODULE_KO)" >&2; exit 1; }
	$(INSTALL) -D -m 0644 $(MODULE_KO) $(DESTDIR)/lib/modules/$(MODULE_KVER)/$(MODULE_SUBDIR)/shadowalloc.ko
	$(if $(DESTDIR),,/sbin/depmod -a $(MODULE_KVER))
	$(MAKE) -C tools install $(INSTALL_VARS)
	for p in $(MAN_PAGES); do \
		$(INSTALL) -D -m 0644 $$p $(DESTDIR)$(MANDIR)/man$${p##*.}/$${p##*/} || exit 1; done
	$(INSTALL) -D -m 0755 $(REPO)/tools/systemd/shadowalloc-start.sh $(DESTDIR)$(LIBEXECDIR)/shadowalloc-start.sh
	$(INSTALL) -D -m 0755 $(REPO)/tools/systemd/shadowalloc-stop.sh $(DESTDIR)$(LIBEXECDIR)/shadowalloc-stop.sh
	$(INSTALL) -d $(DESTDIR)$(UNITDIR)
	sed -e 's|/usr/local/sbin/|$(SBINDIR)/|g' -e 's|/usr/local/libexec/shadowalloc/|$(LIBEXECDIR)/|g' \
		$(REPO)/tools/systemd/shadowalloc.service > $(DESTDIR)$(UNITDIR)/shadowalloc.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/shadowalloc.service
	$(INSTALL) -D -m 0644 $(REPO)/etc/shadowalloc.conf $(DESTDIR)$(DOCDIR)/shadowalloc.conf.example
	$(if $(DESTDIR),,/sbin/ldconfig)

# The module of every kernel release it was installed for, so one built
# for another kernel since is not left behind.
uninstall:
	rm -f $(INSTALLED_KOS)
	$(if $(DESTDIR),,$(foreach k,$(patsubst /lib/modules/%/$(MODULE_SUBDIR)/shadowalloc.ko,%,$(INSTALLED_KOS)),/sbin/depmod -a $(k);))
	$(MAKE) -C tools uninstall $(INSTALL_VARS)
	rm -f $(foreach p,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(p)))/$(notdir $(p)))
	rm -f $(DESTDIR)$(LIBEXECDIR)/shadowalloc-start.sh $(DESTDIR)$(LIBEXECDIR)/shadowalloc-stop.sh \
		$(DESTDIR)$(UNITDIR)/shadowalloc.service $(DESTDIR)$(DOCDIR)/shadowalloc.conf.example
	$(if $(DESTDIR),,/sbin/ldconfig)

clean:
	-test -d "$(KDIR)" && $(MAKE) $(KBUILD_ARGS) clean
	-$(MAKE) -C tools clean
	-$(MAKE) -C selftests clean KSRC=$(KSRC)
	rm -rf $(BUILD)

# DKMS (dkms.conf): the module's sources under /usr/src, then dkms adds,
# builds and installs them for $(DKMS_KVER) (default: the running kernel),
# and rebuilds them for every later 6.12 kernel installed (AUTOINSTALL).
# dkms-build only adds and builds; dkms-install builds unless dkms already
# holds a build of the same sources for that kernel, then installs;
# dkms-uninstall removes every build and install, and the sources. With
# DKMS_DIR, dkms keeps its tree and the sources there instead of
# /var/lib/dkms and /usr/src (make check builds in build/dkms on the host:
# compiling in the TCG test VM takes ten minutes; the VM's dkms_test.sh
# installs that build with dkms and loads it).
SA_VERSION := $(shell cat $(REPO)/VERSION)
DKMS_KVER ?= $(shell uname -r)
DKMS_DIR ?=
DKMS_SRC = $(if $(DKMS_DIR),$(DKMS_DIR)/src,$(DESTDIR)/usr/src)/shadowalloc-$(SA_VERSION)
DKMS = dkms $(if $(DKMS_DIR),--dkmstree $(DKMS_DIR)/tree --sourcetree $(DKMS_DIR)/src)
DKMS_MOD = -m shadowalloc -v $(SA_VERSION)
DKMS_FILES := Kbuild dkms.conf VERSION kmod/Kbuild uapi/linux/shadowalloc.h \
	tools/shadowctl/telemetry.bpf.h \
	$(patsubst $(REPO)/%,%,$(filter-out %.mod.c,$(wildcard $(REPO)/kmod/*.[ch] $(REPO)/kmod/forecast/*.[ch])))

dkms-source:
	rm -rf $(DKMS_SRC)
	for f in $(DKMS_FILES); do install -D -m 644 $(REPO)/$$f $(DKMS_SRC)/$$f || exit 1; done

dkms-check:
	@command -v dkms >/dev/null || { echo "dkms: not installed (apt-get install dkms)" >&2; exit 1; }
	@case "$(DKMS_KVER)" in 6.12.*) ;; *) echo "dkms: kernel $(DKMS_KVER) is not a 6.12 kernel (DKMS_KVER=)" >&2; exit 1;; esac
	@test -d /lib/modules/$(DKMS_KVER)/build || { echo "dkms: no headers for $(DKMS_KVER): /lib/modules/$(DKMS_KVER)/build missing (apt-get install linux-headers-$(DKMS_KVER))" >&2; exit 1; }

dkms-build: dkms-check
	$(if $(DKMS_DIR),mkdir -p $(DKMS_DIR)/tree $(DKMS_DIR)/src)
	if $(DKMS) status $(DKMS_MOD) | grep -q .; then $(DKMS) remove $(DKMS_MOD) --all; fi
	$(MAKE) -f $(REPO)/Makefile dkms-source DESTDIR=
	$(DKMS) add $(DKMS_MOD)
	$(DKMS) build $(DKMS_MOD) -k $(DKMS_KVER)

# The same sources: the tree's copy has every file of DKMS_FILES, unchanged.
dkms-install: dkms-check
	@if $(DKMS) status $(DKMS_MOD) -k $(DKMS_KVER) | grep -Eq ': (built|installed)$$' && \
	    for f in $(DKMS_FILES); do cmp -s $(REPO)/$$f $(DKMS_SRC)/$$f || exit 1; done; then \
		echo "dkms-install: dkms has a build of these sources for $(DKMS_KVER)"; \
	else $(MAKE) -f $(REPO)/Makefile dkms-build; fi
	$(DKMS) install $(DKMS_MOD) -k $(DKMS_KVER) --force

dkms-uninstall:
	@command -v dkms >/dev/null || { echo "dkms: not installed" >&2; exit 1; }
	if $(DKMS) status $(DKMS_MOD) | grep -q .; then $(DKMS) remove $(DKMS_MOD) --all; fi
	rm -rf $(DKMS_SRC)

.PHONY: dkms-source dkms-check dkms-build dkms-install dkms-uninstall

# The chaos soak of make check (selftests/chaos_test.c, 120 s there) alone
# and as long as asked: make soak DURATION=seconds (default 600). SA_SEED=N
# repeats a run (every run prints its seed).
DURATION ?= 600
.PHONY: soak
soak: deps-vm
	@case "$(DURATION)" in ''|*[!0-9]*) echo "DURATION=$(DURATION): seconds, a number"; exit 2 ;; esac
	$(MAKE) all
	$(VM_RUN) --timeout $$(($(DURATION) + 900)) --append "$(VM_DEBUG_APPEND)" \
		--env SA_CHAOS_SECONDS=$(DURATION) $(if $(SA_SEED),--env SA_SEED=$(SA_SEED)) \
		-- $(REPO)/selftests/run_tests.sh chaos_test
