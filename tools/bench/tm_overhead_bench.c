// SPDX-License-Identifier: GPL-2.0
/*
 * tm_overhead_bench - what watching the faults costs, against what KVM
 * spends handling them, side by side in one run.
 *
 * A minimal KVM guest (selftests/lib/kvm_guest.c), member of an enabled
 * shadowalloc group, first-touches N MiB of /dev/shadowalloc memory (one
 * write per 4 KiB page, each one nested page fault). Six phases, repeated
 * ROUNDS times in turn:
 *
 *   baseline   nothing watches;
 *   empty      an empty tp_btf program on kvm_mmu_spte_requested: what a
 *              program's entry and its run-time statistics cost;
 *   kfunc      a program there that only calls the module's kfunc (the
 *              verdict, the ring push), no BPF-side counters;
 *   telemetry  the telemetry BPF program on kvm_mmu_spte_requested
 *              (tools/shadowctl/telemetry.bpf.c, what "shadowctl attach"
 *              loads) hands every mapping to the module: its run time per
 *              event comes from BPF run-time statistics (BPF_ENABLE_STATS,
 *              the same counters as kernel.bpf_stats_enabled), drops from
 *              GET_STATS;
 *   tm+faults  both programs, kvm_page_fault too ("shadowctl attach
 *              --faults", and what every attach loaded before): two
 *              events per fault;
 *   damon      DAMON's virtual-address monitoring of this process instead
 *              (sysfs, default attributes): kdamond's CPU time.
 *
 * In every phase fentry/fexit on kvm_mmu_page_fault()
 * (tm_overhead_bench.bpf.c) gives KVM's own handling time per fault.
 * Under TCG every absolute time is inflated: the ratios are the result.
 * Prints one JSON line per phase and round, a JSON summary and a table.
 *
 *   tm_overhead_bench [MIB] [ROUNDS]   (default 32 3; root, /dev/kvm, the
 *                                       module loaded, telemetry detached)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/shadowalloc.h>

#include "kvm_guest.h"
#include "sa_test.h"
#include "libshadowalloc.h"
#include "telemetry.skel.h"
#include "tm_overhead_bench.skel.h"

#define GROUP		902
#define PAGE		4096UL
#define DAMON		"/sys/kernel/mm/damon/admin/kdamonds"

enum phase {
	BASELINE, EMPTY, KFUNC, TELEMETRY, TM_FAULTS, DAMON_VADDR, NR_PHASES
};
static const char * const phase_name[] = {
	"baseline", "empty", "kfunc", "telemetry", "tm+faults", "damon"
};

struct phase_result {
	double touch_ms;
	uint64_t faults;	/* guest first touches */
	uint64_t kvm_ns, kvm_faults;	/* kvm_mmu_page_fault() */
	uint64_t bpf_ns, bpf_runs;	/* telemetry programs */
	uint64_t events, dropped;	/* module's counters */
	uint64_t monitor_ns;	/* kdamond CPU time */
};

static struct tm_overhead_bench_bpf *timing;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A number from a sysfs file, or -1. */
static long read_long(const char *path)
{
	unsigned long val;

	return __sa_read_ulong(path, &val) ? -1 : (long)val;
}

/* Nanoseconds a task has run (first field of /proc/PID/schedstat). */
static uint64_t task_cpu_ns(long pid)
{
	char path[64];
	unsigned long long ns = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/schedstat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	fclose(f);
	return ns;
}

/* One kdamond, one vaddr context, this process as its target. */
static long damon_start(void)
{
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", getpid());
	if (__sa_write_file(DAMON "/nr_kdamonds", "1") ||
	    __sa_write_file(DAMON "/0/contexts/nr_contexts", "1") ||
	    __sa_write_file(DAMON "/0/contexts/0/operations", "vaddr") ||
	    __sa_write_file(DAMON "/0/contexts/0/targets/nr_targets", "1") ||
	    __sa_write_file(DAMON "/0/contexts/0/targets/0/pid_target", pid) ||
	    __sa_write_file(DAMON "/0/state", "on"))
		return -1;
	return read_long(DAMON "/0/pid");
}

static void damon_stop(void)
{
	__sa_write_file(DAMON "/0/state", "off");
	__sa_write_file(DAMON "/nr_kdamonds", "0");
}

/* A program's run time and count; nothing for one not loaded. */
static void prog_stats(struct bpf_program *prog, uint64_t *ns, uint64_t *cnt)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_program__fd(prog) >= 0 &&
	    !bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len)) {
		*ns += info.run_time_ns;
		*cnt += info.run_cnt;
	}
}

/* The BPF run time of a phase's programs: telemetry's or the split's. */
static void telemetry_stats(struct telemetry_bpf *tm,
			    struct tm_overhead_bench_bpf *split, uint64_t *ns,
			    uint64_t *cnt)
{
	*ns = *cnt = 0;
	if (tm) {
		prog_stats(tm->progs.sa_kvm_page_fault, ns, cnt);
		prog_stats(tm->progs.sa_kvm_mmu_spte_requested, ns, cnt);
	}
	if (split) {
		prog_stats(split->progs.split_empty, ns, cnt);
		prog_stats(split->progs.split_kfunc, ns, cnt);
	}
}

/*
 * An instance of the benchmark's own object with only the split program
 * of @phase loaded and attached, or NULL.
 */
static struct tm_overhead_bench_bpf *split_start(enum phase phase)
{
	struct tm_overhead_bench_bpf *s = tm_overhead_bench_bpf__open();
	struct bpf_program *prog;

	if (!s)
		return NULL;
	bpf_object__for_each_program(prog, s->obj)
		bpf_program__set_autoload(prog, false);
	prog = phase == EMPTY ? s->progs.split_empty : s->progs.split_kfunc;
	bpf_program__set_autoload(prog, true);
	if (tm_overhead_bench_bpf__load(s) ||
	    tm_overhead_bench_bpf__attach(s)) {
		tm_overhead_bench_bpf__destroy(s);
		return NULL;
	}
	return s;
}

static int run_phase(enum phase phase, size_t len, int ctl,
		     struct phase_result *r)
{
	struct tm_overhead_bench_bpf *split = NULL;
	struct telemetry_bpf *tm = NULL;
	struct shadowalloc_stats st0, st1;
	uint64_t bpf_ns0, bpf_runs0, kvm_ns0, kvm_n0, cpu0 = 0;
	long kdamond = -1;
	struct vm v = {};
	int fd, ret = -1;
	void *data;
	double t0;

	memset(r, 0, sizeof(*r));
	fd = shadowalloc_open();
	if (fd < 0)
		return -1;
	data = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (data == MAP_FAILED)
		goto out_close;
	/* As QEMU does for guest RAM: 2 MiB where the pool allows it. */
	madvise(data, len, MADV_HUGEPAGE);
	if (vm_create(&v, data, len))
		goto out_unmap;
	/* KVM's setup and the code page are not part of the count. */
	if (vm_run_loop(&v, GUEST_WRITE_ONLY, DATA_GPA, 1, PAGE))
		goto out_vm;

	if (phase == TELEMETRY || phase == TM_FAULTS) {
		tm = telemetry_bpf__open();
		/* As shadowctl attach does without --faults. */
		if (tm && phase == TELEMETRY)
			bpf_program__set_autoload(tm->progs.sa_kvm_page_fault,
						  false);
		if (!tm || telemetry_bpf__load(tm) || telemetry_bpf__attach(tm)) {
			fprintf(stderr, "tm_overhead_bench: cannot attach the telemetry programs\n");
			goto out_vm;
		}
	} else if (phase == EMPTY || phase == KFUNC) {
		split = split_start(phase);
		if (!split) {
			fprintf(stderr, "tm_overhead_bench: cannot attach the %s program\n",
				phase_name[phase]);
			goto out_vm;
		}
	} else if (phase == DAMON_VADDR) {
		kdamond = damon_start();
		if (kdamond <= 0) {
			fprintf(stderr, "tm_overhead_bench: cannot start DAMON (%s)\n", DAMON);
			goto out_damon;
		}
		/* Let it build its regions before the workload starts. */
		usleep(300000);
		cpu0 = task_cpu_ns(kdamond);
	}

	telemetry_stats(tm, split, &bpf_ns0, &bpf_runs0);
	kvm_ns0 = timing->bss->fault_ns;
	kvm_n0 = timing->bss->fault_count;
	shadowalloc_get_stats(ctl, GROUP, &st0);
	t0 = now_ms();
	ret = vm_run_loop(&v, GUEST_WRITE_ONLY, DATA_GPA + PAGE,
			  len / PAGE - 1, PAGE);
	r->touch_ms = now_ms() - t0;
	shadowalloc_get_stats(ctl, GROUP, &st1);
	r->kvm_ns = timing->bss->fault_ns - kvm_ns0;
	r->kvm_faults = timing->bss->fault_count - kvm_n0;
	telemetry_stats(tm, split, &r->bpf_ns, &r->bpf_runs);
	r->bpf_ns -= bpf_ns0;
	r->bpf_runs -= bpf_runs0;
	if (kdamond > 0)
		r->monitor_ns = task_cpu_ns(kdamond) - cpu0;
	r->faults = st1.faults - st0.faults;
	r->events = st1.events_seen - st0.events_seen;
	r->dropped = st1.events_dropped - st0.events_dropped;

out_damon:
	if (phase == DAMON_VADDR)
		damon_stop();
	telemetry_bpf__destroy(tm);
	tm_overhead_bench_bpf__destroy(split);
out_vm:
	vm_destroy(&v);
out_unmap:
	munmap(data, len);
out_close:
	close(fd);
	return ret;
}

static double per(uint64_t a, uint64_t b)
{
	return b ? (double)a / b : 0;
}

int main(int argc, char **argv)
{
	struct phase_result sum[NR_PHASES] = {}, r;
	unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 32;
	unsigned long rounds = argc > 2 ? strtoul(argv[2], NULL, 10) : 3;
	struct shadowalloc_pool_config cfg = {
		.flags = SHADOWALLOC_POOL_SET_HUGE, .huge = 0,
	};
	unsigned long i;
	int ctl, stats_fd, p;
	double kvm_ns;

	if (argc > 3 || !mib || mib > 1024 || !rounds || rounds > 20) {
		fprintf(stderr, "usage: tm_overhead_bench [MIB 1..1024] [ROUNDS 1..20]\n");
		return 2;
	}
	if (!access("/sys/fs/bpf/shadowalloc", F_OK)) {
		fprintf(stderr, "tm_overhead_bench: telemetry is attached: 'shadowctl detach' first\n");
		return 1;
	}
	if (read_long(DAMON "/nr_kdamonds") != 0) {
		fprintf(stderr, "tm_overhead_bench: %s/nr_kdamonds is not 0: DAMON is in use or missing\n",
			DAMON);
		return 1;
	}
	ctl = shadowalloc_open();
	if (ctl < 0) {
		fprintf(stderr, "tm_overhead_bench: /dev/shadowalloc: %s\n", strerror(-ctl));
		return 1;
	}
	shadowalloc_group_remove_vm(ctl, GROUP, getpid());
	shadowalloc_group_destroy(ctl, GROUP);
	if (shadowalloc_group_create(ctl, GROUP, NULL) ||
	    shadowalloc_pool_config(ctl, GROUP, &cfg) ||
	    shadowalloc_group_add_vm(ctl, GROUP, getpid()) ||
	    shadowalloc_shadow_enable(ctl, GROUP)) {
		fprintf(stderr, "tm_overhead_bench: cannot set up group %d\n", GROUP);
		return 1;
	}
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	timing = tm_overhead_bench_bpf__open();
	/* The split programs load only in their phases (split_start()). */
	if (timing) {
		bpf_program__set_autoload(timing->progs.split_empty, false);
		bpf_program__set_autoload(timing->progs.split_kfunc, false);
	}
	if (stats_fd < 0 || !timing || tm_overhead_bench_bpf__load(timing)) {
		fprintf(stderr, "tm_overhead_bench: BPF unavailable: %s\n", strerror(errno));
		return 1;
	}
	timing->bss->target_tgid = getpid();
	if (tm_overhead_bench_bpf__attach(timing)) {
		fprintf(stderr, "tm_overhead_bench: cannot time kvm_mmu_page_fault: %s\n",
			strerror(errno));
		return 1;
	}

	for (i = 0; i < rounds; i++) {
		for (p = 0; p < NR_PHASES; p++) {
			if (run_phase(p, mib << 20, ctl, &r)) {
				fprintf(stderr, "tm_overhead_bench: phase %s failed\n",
					phase_name[p]);
				return 1;
			}
			printf("{\"phase\":\"%s\",\"round\":%lu,\"mib\":%lu,\"guest_touch_ms\":%.2f,"
			       "\"faults\":%llu,\"kvm_faults\":%llu,\"kvm_fault_ns\":%llu,"
			       "\"bpf_runs\":%llu,\"bpf_run_ns\":%llu,\"events\":%llu,"
			       "\"events_dropped\":%llu,\"kdamond_cpu_ns\":%llu}\n",
			       phase_name[p], i, mib, r.touch_ms,
			       (unsigned long long)r.faults,
			       (unsigned long long)r.kvm_faults,
			       (unsigned long long)r.kvm_ns,
			       (unsigned long long)r.bpf_runs,
			       (unsigned long long)r.bpf_ns,
			       (unsigned long long)r.events,
			       (unsigned long long)r.dropped,
			       (unsigned long long)r.monitor_ns);
			fflush(stdout);
			sum[p].touch_ms += r.touch_ms;
			sum[p].faults += r.faults;
			sum[p].kvm_ns += r.kvm_ns;
			sum[p].kvm_faults += r.kvm_faults;
			sum[p].bpf_ns += r.bpf_ns;
			sum[p].bpf_runs += r.bpf_runs;
			sum[p].events += r.events;
			sum[p].dropped += r.dropped;
			sum[p].monitor_ns += r.monitor_ns;
		}
	}

	/* KVM's handling time per fault, from the unwatched runs. */
	kvm_ns = per(sum[BASELINE].kvm_ns, sum[BASELINE].kvm_faults);
	printf("{\"summary\":true,\"mib\":%lu,\"rounds\":%lu,\"kvm_ns_per_fault\":%.0f",
	       mib, rounds, kvm_ns);
	for (p = TELEMETRY; p <= TM_FAULTS; p++) {
		const char *k = p == TELEMETRY ? "" : "faults_";

		printf(",\"%sbpf_ns_per_event\":%.0f,\"%sbpf_events_per_fault\":%.2f,"
		       "\"%sbpf_ns_per_fault\":%.0f,\"%sbpf_vs_kvm\":%.4f,"
		       "\"%sevents_dropped\":%llu,\"touch_%stelemetry_vs_baseline\":%.3f",
		       k, per(sum[p].bpf_ns, sum[p].bpf_runs),
		       k, per(sum[p].bpf_runs, sum[p].kvm_faults),
		       k, per(sum[p].bpf_ns, sum[p].kvm_faults),
		       k, per(sum[p].bpf_ns, sum[p].kvm_faults) / kvm_ns,
		       k, (unsigned long long)sum[p].dropped,
		       k, sum[p].touch_ms / sum[BASELINE].touch_ms);
	}
	printf(",\"empty_ns_per_event\":%.0f,\"kfunc_ns_per_event\":%.0f",
	       per(sum[EMPTY].bpf_ns, sum[EMPTY].bpf_runs),
	       per(sum[KFUNC].bpf_ns, sum[KFUNC].bpf_runs));
	printf(",\"damon_ns_per_fault\":%.0f,\"damon_vs_kvm\":%.4f,"
	       "\"touch_damon_vs_baseline\":%.3f}\n",
	       per(sum[DAMON_VADDR].monitor_ns, sum[DAMON_VADDR].kvm_faults),
	       per(sum[DAMON_VADDR].monitor_ns, sum[DAMON_VADDR].kvm_faults) / kvm_ns,
	       sum[DAMON_VADDR].touch_ms / sum[BASELINE].touch_ms);

	printf("\n%-10s %10s %8s %12s %14s %10s %8s\n", "phase", "touch ms",
	       "vs base", "KVM ns/flt", "monitor ns/flt", "vs KVM", "dropped");
	for (p = 0; p < NR_PHASES; p++) {
		uint64_t mon = p == DAMON_VADDR ? sum[p].monitor_ns : sum[p].bpf_ns;
		double mon_per = per(mon, sum[p].kvm_faults);

		printf("%-10s %10.1f %8.3f %12.0f %14.0f %10.4f %8llu\n",
		       phase_name[p], sum[p].touch_ms / rounds,
		       sum[p].touch_ms / sum[BASELINE].touch_ms,
		       per(sum[p].kvm_ns, sum[p].kvm_faults), mon_per,
		       mon_per / kvm_ns, (unsigned long long)sum[p].dropped);
	}

	tm_overhead_bench_bpf__destroy(timing);
	close(stats_fd);
	shadowalloc_shadow_disable(ctl, GROUP);
	shadowalloc_group_remove_vm(ctl, GROUP, getpid());
	shadowalloc_group_destroy(ctl, GROUP);
	return 0;
}
