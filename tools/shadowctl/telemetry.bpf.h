/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shadowalloc telemetry: what the BPF programs pass to the module's kfunc
 * and what they count in their maps.
 *
 * NOT a stable ABI. The kfunc, the event struct and the counters change
 * with the module, like any kfunc (Documentation/bpf/kfuncs.rst): the only
 * programs that call it are built from this tree (telemetry.bpf.c, loaded
 * by "shadowctl attach") against this header, so it lives beside them and
 * not in uapi/. The stable ABI is the ioctl interface in
 * uapi/linux/shadowalloc.h.
 *
 * Readers of the pinned counters need no header at all: the map carries
 * BTF (its value type is struct shadowalloc_bpf_counters), so
 * "bpftool map dump pinned SHADOWALLOC_BPF_PIN_DIR/group_counters" prints
 * the values with their field names, whatever layout this header has.
 *
 * The module exports one kfunc to tracing programs (BPF_PROG_TYPE_TRACING:
 * tp_btf, fentry/fexit, BTF-enabled tracepoints), declared once below for
 * the BPF programs:
 *
 *	int shadowalloc_bpf_record(struct shadowalloc_bpf_event *event);
 *
 * It decides whether the calling thread belongs to a VMM that is a member
 * of a trust group with shadowing enabled (membership and the enabled state
 * live in the module, so BPF keeps no copy that could go stale), writes the
 * group id into @event->group_id (0: no group) and, for an enabled group,
 * pushes the event into the module's per-CPU ring. It never sleeps and never
 * waits: a full ring drops the event.
 *
 * Raw guest addresses go into the module only; the BPF side keeps nothing
 * but per-group counters (struct shadowalloc_bpf_counters).
 *
 * Included by the BPF programs (after vmlinux.h), by the module
 * (kmod/telemetry.c) and by the userspace loader and tests.
 */
#ifndef SHADOWALLOC_TELEMETRY_BPF_H
#define SHADOWALLOC_TELEMETRY_BPF_H

/* vmlinux.h already has the kernel's types, and clashes with uapi headers. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* What an event reports (struct shadowalloc_bpf_event.kind). */
enum shadowalloc_bpf_kind {
	/* A nested page fault exit: kvm:kvm_page_fault. */
	SHADOWALLOC_BPF_FAULT = 1,
	/* KVM about to map a guest page: kvmmmu:kvm_mmu_spte_requested. */
	SHADOWALLOC_BPF_MAPPING = 2,
};

/* Return values of shadowalloc_bpf_record(). */
enum shadowalloc_bpf_verdict {
	/* The event is in the module's ring. */
	SHADOWALLOC_BPF_PASSED = 0,
	/* Not a member of a group, or the group's shadowing is disabled. */
	SHADOWALLOC_BPF_FILTERED = 1,
	/* The ring of this CPU was full: dropped and counted. */
	SHADOWALLOC_BPF_DROPPED = 2,
};

/* KVM's mapping levels (PG_LEVEL_*) in struct shadowalloc_bpf_event.level. */
#define SHADOWALLOC_BPF_LEVEL_4K	1
#define SHADOWALLOC_BPF_LEVEL_2M	2
#define SHADOWALLOC_BPF_LEVEL_1G	3

/**
 * struct shadowalloc_bpf_event - one KVM event, argument of the kfunc
 * @gpa: guest-physical address of the fault (FAULT), or the faulting
 *	address inside a mapping (MAPPING: kvm_page_fault.gfn << 12); the
 *	module masks a mapping's to its base (gpa & ~(size - 1)) for 2 MiB
 *	and 1 GiB
 * @error_code: what the tracepoint carries, which the module does not
 *	decode (Documentation/telemetry.rst, "The error code"): for FAULT
 *	the vendor's raw value, on Intel the EPT violation's exit
 *	qualification (bit 0 read, 1 write, 2 fetch, 3-5 the EPT entry's
 *	permissions), on AMD the NPF's EXITINFO1 (#PF error code bits:
 *	0 present, 1 write, 2 user, 4 fetch; 32/33 final/page-table walk);
 *	for MAPPING struct kvm_page_fault.error_code, KVM's PFERR_* bits on
 *	both (synthesised from the exit qualification on Intel)
 * @vcpu_id: the vCPU's id within its VM (FAULT events; 0 for MAPPING)
 * @kind: enum shadowalloc_bpf_kind
 * @level: for MAPPING events, the level KVM maps at (SHADOWALLOC_BPF_LEVEL_*)
 * @reserved: must be zero
 * @group_id: written by the kfunc: the caller's group, 0 if none
 * @reserved2: must be zero
 *
 * The kfunc returns -EINVAL, without recording, for an unknown kind, a
 * level out of range or a non-zero reserved field.
 */
struct shadowalloc_bpf_event {
	__u64 gpa;
	__u64 error_code;
	__u32 vcpu_id;
	__u8 kind;
	__u8 level;
	__u16 reserved;
	__u32 group_id;
	__u32 reserved2;
};

/**
 * struct shadowalloc_bpf_counters - per-group counters kept by the BPF side
 * @seen: events the programs saw from this group's VMs
 * @passed: events the module took into its ring
 * @dropped: events the module dropped because a ring was full
 * @filtered: events of VMs in no group (key 0) or in a disabled group
 *
 * Values of the pinned map /sys/fs/bpf/shadowalloc/group_counters, keyed by
 * group id (__u32; 0 collects VMs in no group). seen == passed + dropped +
 * filtered (+ events the kfunc refused, which a correct program never has).
 */
struct shadowalloc_bpf_counters {
	__u64 seen;
	__u64 passed;
	__u64 dropped;
	__u64 filtered;
};

/* Where `shadowctl attach` pins the programs' maps and links. */
#define SHADOWALLOC_BPF_PIN_DIR		"/sys/fs/bpf/shadowalloc"

#ifdef __bpf__
#include <bpf/bpf_helpers.h>

/* The module's kfunc (kmod/telemetry.c), resolved against its BTF at load. */
extern int shadowalloc_bpf_record(struct shadowalloc_bpf_event *event) __ksym;
#endif

#endif /* SHADOWALLOC_TELEMETRY_BPF_H */
