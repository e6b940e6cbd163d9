// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc telemetry: KVM's fault tracepoints to the module.
 *
 * Two tp_btf programs, run in the vCPU thread that took a nested page
 * fault, hand each event to the module's kfunc shadowalloc_bpf_record(),
 * which keeps only VMs of enabled trust groups and queues them for the
 * module's aggregates. Here only per-group counters are kept (the pinned
 * map group_counters); no guest address is stored on the BPF side.
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

/* Groups counted at most; one more entry for "no group" (key 0). */
#define SA_BPF_MAX_GROUPS	4097

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SA_BPF_MAX_GROUPS);
	__type(key, __u32);
	__type(value, struct shadowalloc_bpf_counters);
} group_counters SEC(".maps");

static __always_inline void sa_count(__u32 group_id, int verdict)
{
	struct shadowalloc_bpf_counters *c, zero = {};

	c = bpf_map_lookup_elem(&group_counters, &group_id);
	if (!c) {
		/* BPF_NOEXIST: another CPU may have created it meanwhile. */
		bpf_map_update_elem(&group_counters, &group_id, &zero,
				    BPF_NOEXIST);
		c = bpf_map_lookup_elem(&group_counters, &group_id);
		if (!c)
			return;
	}
	__sync_fetch_and_add(&c->seen, 1);
	switch (verdict) {
	case SHADOWALLOC_BPF_PASSED:
		__sync_fetch_and_add(&c->passed, 1);
		break;
	case SHADOWALLOC_BPF_DROPPED:
		__sync_fetch_and_add(&c->dropped, 1);
		break;
	case SHADOWALLOC_BPF_FILTERED:
		__sync_fetch_and_add(&c->filtered, 1);
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
	sa_count(event.group_id, verdict);
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
	sa_count(event.group_id, verdict);
	return 0;
}
