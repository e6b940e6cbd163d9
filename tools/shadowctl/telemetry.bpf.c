// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc telemetry: KVM's fault tracepoints to the module.
 *
 * Two tp_btf programs, run in the vCPU thread that took a nested page
 * fault, hand each event to the module's kfunc shadowalloc_bpf_record(),
 * which keeps only VMs of enabled trust groups and queues them for the
 * module's aggregates. Here only per-group counters are kept (the pinned
 * per-CPU map group_counters, no hash lookup and no atomic operation per
 * event); no guest address is stored on the BPF side.
 *
 * sa_kvm_mmu_spte_requested is the one the module needs (where and how
 * large KVM maps: the VMs' where-predictors); "shadowctl attach" loads
 * only it. sa_kvm_page_fault, one more event per fault for the fault
 * counts and the raw error code, is loaded only by "attach --faults"
 * (Documentation/telemetry.rst, "Which events").
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "telemetry.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Per-CPU slots, summed by the readers (telemetry.bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SHADOWALLOC_BPF_NR_SLOTS);
	__type(key, __u32);
	__type(value, struct shadowalloc_bpf_slot);
} group_counters SEC(".maps");

/* First entries of each program's slots. */
#define SA_BPF_MAPPING_BASE	0
#define SA_BPF_FAULT_BASE	(SHADOWALLOC_BPF_SLOTS + 1)

/*
 * This CPU's slot of @group_id among the program's slots from @base: an
 * inlined array lookup, the first probe in the common case.
 */
static __always_inline struct shadowalloc_bpf_slot *sa_slot(__u32 base,
							    __u32 group_id)
{
	struct shadowalloc_bpf_slot *s;
	__u32 i, key;

#pragma unroll
	for (i = 0; i < SHADOWALLOC_BPF_PROBES; i++) {
		key = base + ((group_id + i) & (SHADOWALLOC_BPF_SLOTS - 1));
		s = bpf_map_lookup_elem(&group_counters, &key);
		if (!s)
			return NULL;
		if (s->used && s->group_id == group_id)
			return s;
		if (!s->used) {
			s->group_id = group_id;
			s->used = 1;
			return s;
		}
	}
	key = base + SHADOWALLOC_BPF_SLOTS;
	s = bpf_map_lookup_elem(&group_counters, &key);
	if (s) {
		s->group_id = SHADOWALLOC_BPF_GROUP_OTHER;
		s->used = 1;
	}
	return s;
}

/* Plain increments: this program is the slot's only writer on this CPU. */
static __always_inline void sa_count(__u32 base, __u32 group_id, int verdict)
{
	struct shadowalloc_bpf_slot *s = sa_slot(base, group_id);

	if (!s)
		return;
	s->seen++;
	switch (verdict) {
	case SHADOWALLOC_BPF_PASSED:
		s->passed++;
		break;
	case SHADOWALLOC_BPF_DROPPED:
		s->dropped++;
		break;
	case SHADOWALLOC_BPF_FILTERED:
		s->filtered++;
		break;
	}
}

SEC("tp_btf/kvm_page_fault")
int BPF_PROG(sa_kvm_page_fault, struct kvm_vcpu *vcpu, u64 fault_address,
	     u64 error_code)
{
	/*
	 * error_code is the vendor's raw value here (Intel: the EPT exit
	 * qualification, AMD: EXITINFO1), passed on undecoded.
	 */
	struct shadowalloc_bpf_event event = {
		.gpa = fault_address,
		.error_code = error_code,
		.kind = SHADOWALLOC_BPF_FAULT,
	};
	int verdict;

	if (vcpu)
		event.vcpu_id = vcpu->vcpu_id;
	verdict = shadowalloc_bpf_record(&event);
	sa_count(SA_BPF_FAULT_BASE, event.group_id, verdict);
	return 0;
}

SEC("tp_btf/kvm_mmu_spte_requested")
int BPF_PROG(sa_kvm_mmu_spte_requested, struct kvm_page_fault *fault)
{
	struct shadowalloc_bpf_event event = {
		.kind = SHADOWALLOC_BPF_MAPPING,
	};
	int verdict;

	if (!fault)
		return 0;
	/* The faulting page; the module masks it to the mapping's base. */
	event.gpa = fault->gfn << 12;
	/* KVM's PFERR_* bits, on Intel synthesised from the EPT exit. */
	event.error_code = fault->error_code;
	event.level = fault->goal_level;
	verdict = shadowalloc_bpf_record(&event);
	sa_count(SA_BPF_MAPPING_BASE, event.group_id, verdict);
	return 0;
}
