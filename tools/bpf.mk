# SPDX-License-Identifier: GPL-2.0
#
# tools/bpf.mk - the BPF programs of tools/, each beside its loader
# (foo.bpf.c next to foo.c, as tools/sched_ext/scx_simple.bpf.c), built
# with clang -target bpf and CO-RE against the BTF of the 6.12 kernel and
# of kvm.ko (KVM's types, e.g. struct kvm_page_fault, are in the module's
# BTF). Every generated file (vmlinux.h, the kvm.ko copy, *.bpf.o,
# *.skel.h) goes to one directory, $(OUTPUT), as in libbpf-bootstrap.
#
# Included by the loaders' makefiles, which set before including it:
#   REPO      the repository's top directory
#   BPF_APPS  stems of the programs their loaders use: STEM.bpf.c (in this
#             directory, or another found through vpath) gives
#             $(OUTPUT)/STEM.skel.h with the skeleton 'struct STEM_bpf'
# and get the target 'bpf' (those skeletons) and $(BPF_SKELS) to depend on.
# KDIR and KVER select the kernel (the top Makefile passes them).

KVER ?= $(shell ls -d /usr/src/linux-headers-6.12*-cloud-amd64 2>/dev/null | \
		sed 's|^/usr/src/linux-headers-||' | sort -V | tail -n 1)
KDIR ?= /usr/src/linux-headers-$(KVER)
OUTPUT ?= $(REPO)/build/bpf
# kvm.ko of the same kernel, from the installed linux-image package.
KVM_KO ?= $(firstword $(wildcard /lib/modules/$(KVER)/kernel/arch/x86/kvm/kvm.ko*))

CLANG ?= clang-16
LLVM_STRIP ?= llvm-strip-16
BPFTOOL ?= bpftool

# -MMD: each object's header dependencies (telemetry.bpf.h) in $(OUTPUT).
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror \
	      -I$(OUTPUT) -MMD -MP

BPF_SKELS := $(patsubst %,$(OUTPUT)/%.skel.h,$(BPF_APPS))

# A failed step must not leave a file that looks up to date.
.DELETE_ON_ERROR:

bpf: $(BPF_SKELS)

$(OUTPUT):
	mkdir -p $@

$(OUTPUT)/kvm.ko: | $(OUTPUT)
	@test -n "$(KVM_KO)" || { echo "kvm.ko of $(KVER) not found: run tools/setup-deps.sh --test-vm (it comes with the image of the test VM's kernel)" >&2; exit 1; }
	case "$(KVM_KO)" in *.xz) xz -dc "$(KVM_KO)" > $@ ;; *) cp "$(KVM_KO)" $@ ;; esac

# vmlinux.h with the kernel's and KVM's types (split BTF on vmlinux).
$(OUTPUT)/vmlinux.h: $(OUTPUT)/kvm.ko
	$(BPFTOOL) -B $(KDIR)/vmlinux btf dump file $< format c > $@

# The absolute source path keeps the dependency files valid from any
# directory that includes them. DWARF is not needed by the loader and trips
# bpftool gen skeleton: stripped (BTF stays, it is what CO-RE and the
# maps' typed values need).
$(OUTPUT)/%.bpf.o: %.bpf.c $(OUTPUT)/vmlinux.h
	$(CLANG) $(BPF_CFLAGS) -c $(abspath $<) -o $@
	$(LLVM_STRIP) -g $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

-include $(wildcard $(patsubst %,$(OUTPUT)/%.bpf.d,$(BPF_APPS)))

.PHONY: bpf
# The objects are intermediate, but a rebuild of every skeleton each time
# they look missing would rebuild the loaders too.
.SECONDARY:
