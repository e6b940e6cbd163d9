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
 * BTF (its value type is struct shadowalloc_bpf_slot), so
 * "bpftool map dump pinned SHADOWALLOC_BPF_PIN_DIR/group_counters" prints
 * each CPU's values with their field names, whatever layout this header
 * has.
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
 * @filtered: events of VMs in no group (group 0) or in a disabled group
 *
 * A group's totals: the sum of its slots (struct shadowalloc_bpf_slot) over
 * all CPUs and both programs, as "shadowctl status" shows them. seen ==
 * passed + dropped + filtered (+ events the kfunc refused, which a correct
 * program never has).
 */
struct shadowalloc_bpf_counters {
	__u64 seen;
	__u64 passed;
	__u64 dropped;
	__u64 filtered;
};

/*
 * The pinned map /sys/fs/bpf/shadowalloc/group_counters is a per-CPU array
 * of struct shadowalloc_bpf_slot: no hash lookup and no atomic operation
 * per event. Each program has its own SHADOWALLOC_BPF_SLOTS + 1 entries
 * (the mapping program from 0, the fault program from
 * SHADOWALLOC_BPF_SLOTS + 1): a tracing program never runs twice at once
 * on one CPU (the kernel skips a nested run), so a slot of one program on
 * one CPU has a single writer and plain increments are exact, whereas the
 * two programs could interleave (the fault program runs preemptible).
 *
 * A group's slot on a CPU is the first of SHADOWALLOC_BPF_PROBES entries
 * from group_id % SHADOWALLOC_BPF_SLOTS that holds it or is unused (then
 * claimed for it, for as long as the programs stay attached); groups that
 * find none count in the program's last entry, with group_id
 * SHADOWALLOC_BPF_GROUP_OTHER. Readers sum the used slots by group_id;
 * a reader racing with the programs may see a count one event behind.
 */
#define SHADOWALLOC_BPF_SLOTS		512
#define SHADOWALLOC_BPF_PROBES		8
#define SHADOWALLOC_BPF_GROUP_OTHER	0xffffffffU
#define SHADOWALLOC_BPF_NR_SLOTS	(2 * (SHADOWALLOC_BPF_SLOTS + 1))

/**
 * struct shadowalloc_bpf_slot - one CPU's counters of one group, one program
 * @group_id: the group counted here (0: VMs in no group;
 *	SHADOWALLOC_BPF_GROUP_OTHER: groups that found no slot)
 * @used: 1 once the slot was claimed for @group_id, 0 while unused
 * @seen: as in struct shadowalloc_bpf_counters
 * @passed: as in struct shadowalloc_bpf_counters
 * @dropped: as in struct shadowalloc_bpf_counters
 * @filtered: as in struct shadowalloc_bpf_counters
 */
struct shadowalloc_bpf_slot {
	__u32 group_id;
	__u32 used;
	__u64 seen;
	__u64 passed;
	__u64 dropped;
	__u64 filtered;
};

/* Where `shadowctl attach` pins the programs' maps and links. */
#define SHADOWALLOC_BPF_PIN_DIR		"/sys/fs/bpf/shadowalloc"

#if !defined(__bpf__) && !defined(__KERNEL__)
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/*
 * For userspace readers of the pinned map (shadowctl status, the tests,
 * the benchmark): the used slots of all CPUs, in *@slots (malloc'ed, the
 * caller frees it), their number in *@n. 0 or -errno.
 */
static inline int shadowalloc_bpf_read_slots(int map_fd,
					     struct shadowalloc_bpf_slot **slots,
					     unsigned int *n)
{
	int cpu, ncpus = libbpf_num_possible_cpus(), err = 0;
	struct shadowalloc_bpf_slot *v, *out;
	__u32 key;

	*slots = NULL;
	*n = 0;
	if (ncpus < 0)
		return ncpus;
	v = calloc(ncpus, sizeof(*v));
	out = calloc((size_t)ncpus * SHADOWALLOC_BPF_NR_SLOTS, sizeof(*out));
	if (!v || !out) {
		free(v);
		free(out);
		return -ENOMEM;
	}
	for (key = 0; key < SHADOWALLOC_BPF_NR_SLOTS; key++) {
		if (bpf_map_lookup_elem(map_fd, &key, v)) {
			err = -errno;
			break;
		}
		for (cpu = 0; cpu < ncpus; cpu++)
			if (v[cpu].used)
				out[(*n)++] = v[cpu];
	}
	free(v);
	if (err) {
		free(out);
		*n = 0;
		return err;
	}
	*slots = out;
	return 0;
}

/* One group's totals over CPUs and programs, into @c. 0 or -errno. */
static inline int shadowalloc_bpf_group_totals(int map_fd, __u32 group_id,
					       struct shadowalloc_bpf_counters *c)
{
	struct shadowalloc_bpf_slot *s;
	unsigned int i, n;
	int err;

	c->seen = c->passed = c->dropped = c->filtered = 0;
	err = shadowalloc_bpf_read_slots(map_fd, &s, &n);
	for (i = 0; i < n; i++) {
		if (s[i].group_id != group_id)
			continue;
		c->seen += s[i].seen;
		c->passed += s[i].passed;
		c->dropped += s[i].dropped;
		c->filtered += s[i].filtered;
	}
	free(s);
	return err;
}
#endif

#ifdef __bpf__
#include <bpf/bpf_helpers.h>

/* The module's kfunc (kmod/telemetry.c), resolved against its BTF at load. */
extern int shadowalloc_bpf_record(struct shadowalloc_bpf_event *event) __ksym;
#endif

#endif /* SHADOWALLOC_TELEMETRY_BPF_H */
