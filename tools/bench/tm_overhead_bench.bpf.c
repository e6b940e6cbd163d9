// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's own fault handling time, for the telemetry overhead benchmark
 * (tools/bench/tm_overhead_bench): fentry/fexit on kvm_mmu_page_fault(),
 * summed for the threads of one process (target_tgid); and the split of
 * one telemetry event's cost (split_empty, split_kfunc below).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "../shadowctl/telemetry.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the benchmark before it attaches: the VMM whose vCPUs are timed. */
__u32 target_tgid;

__u64 fault_ns;
__u64 fault_count;

/* Entry time per vCPU thread. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} fault_start SEC(".maps");

SEC("fentry/kvm_mmu_page_fault")
int BPF_PROG(kvm_fault_enter)
{
	__u64 id = bpf_get_current_pid_tgid(), now;
	__u32 tid = (__u32)id;

	if ((id >> 32) != target_tgid)
		return 0;
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&fault_start, &tid, &now, BPF_ANY);
	return 0;
}

SEC("fexit/kvm_mmu_page_fault")
int BPF_PROG(kvm_fault_exit)
{
	__u64 id = bpf_get_current_pid_tgid(), *start;
	__u32 tid = (__u32)id;

	if ((id >> 32) != target_tgid)
		return 0;
	start = bpf_map_lookup_elem(&fault_start, &tid);
	if (!start)
		return 0;
	__sync_fetch_and_add(&fault_ns, bpf_ktime_get_ns() - *start);
	__sync_fetch_and_add(&fault_count, 1);
	bpf_map_delete_elem(&fault_start, &tid);
	return 0;
}

/*
 * The cost split of one telemetry event (tm_overhead_bench phases "empty"
 * and "kfunc"): the same tracepoint as telemetry.bpf.c's mapping program,
 * first with nothing in it (the program's entry and the run-time
 * statistics themselves), then calling the kfunc but keeping no BPF-side
 * counters. Loaded only for those phases, in an instance of their own.
 */
SEC("tp_btf/kvm_mmu_spte_requested")
int BPF_PROG(split_empty, struct kvm_page_fault *fault)
{
	return 0;
}

SEC("tp_btf/kvm_mmu_spte_requested")
int BPF_PROG(split_kfunc, struct kvm_page_fault *fault)
{
	struct shadowalloc_bpf_event event = {
		.kind = SHADOWALLOC_BPF_MAPPING,
	};

	if (!fault)
		return 0;
	event.gpa = fault->gfn << 12;
	event.error_code = fault->error_code;
	event.level = fault->goal_level;
	shadowalloc_bpf_record(&event);
	return 0;
}

/*
 * Capacity (tm_overhead_bench --capacity): events as fast as this CPU
 * makes them. Run by BPF_PROG_TEST_RUN, which calls bpf_fentry_test1():
 * cap_n iterations of a loop that, with cap_kfunc set, hands the module
 * one 4 KiB mapping event each (the member VMM is the benchmark itself);
 * without it the same loop empty, the reference for the loop's own cost.
 * Verdicts are counted in cap_passed, cap_dropped, cap_other (one runner
 * at a time: plain increments).
 */
__u32 cap_n;
__u32 cap_kfunc;
__u64 cap_gpa;
__u64 cap_passed;
__u64 cap_dropped;
__u64 cap_other;

static long cap_one(__u64 i, void *ctx)
{
	struct shadowalloc_bpf_event event = {
		.kind = SHADOWALLOC_BPF_MAPPING,
		.level = SHADOWALLOC_BPF_LEVEL_4K,
	};
	int verdict;

	/* Distinct pages of a 1 GiB window, as a first-touch sweep. */
	event.gpa = (cap_gpa++ & 0x3ffff) << 12;
	if (!cap_kfunc)
		return 0;
	verdict = shadowalloc_bpf_record(&event);
	if (verdict == SHADOWALLOC_BPF_PASSED)
		cap_passed++;
	else if (verdict == SHADOWALLOC_BPF_DROPPED)
		cap_dropped++;
	else
		cap_other++;
	return 0;
}

SEC("fentry/bpf_fentry_test1")
int BPF_PROG(cap_flood)
{
	bpf_loop(cap_n, cap_one, NULL, 0);
	return 0;
}
