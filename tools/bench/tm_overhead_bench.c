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
 *
 * Then the guest-visible slowdown: SLOWDOWN rounds of the baseline and
 * telemetry phases only, interleaved (ABBA order, so a drift of the
 * machine's speed cancels), each round's touch-time ratio telemetry /
 * baseline; the median of the ratios with a distribution-free 95 %
 * confidence interval from their order statistics. An interval that holds
 * 1.0 says the slowdown is below the noise.
 *
 * Then the capacity (cap_flood in tm_overhead_bench.bpf.c): BPF_PROG_TEST_RUN
 * makes events on this CPU as fast as a loop can hand them to the kfunc,
 * first unpaced with pauses for the drain (the producer's cost per event,
 * less the same loop without the kfunc), then paced at rates rising by
 * sqrt(2), CAP_STEP_MS each, until the ring drops events: the highest rate
 * without a drop is the sustained rate before drops. The same process
 * times a userspace reference loop and a system call; with --host-ref
 * (their times on the host, from "tm_overhead_bench --reference" there)
 * the ratios are TCG slowdown factors that project the per-event costs to
 * the host (the smaller one: the cautious projection).
 *
 * Prints one JSON line per phase and round, a JSON summary and a table.
 *
 *   tm_overhead_bench [--slowdown-rounds N] [--host-ref FILE] [MIB] [ROUNDS]
 *       (default 32 3, 21 slowdown rounds; root, /dev/kvm, the module
 *       loaded, telemetry detached)
 *   tm_overhead_bench --reference      (anyone, anywhere: the reference
 *                                       loop's ns per iteration, JSON)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/*
 * Interleaved slowdown rounds by default (slowdown()). Under TCG one
 * round's ratio telemetry / baseline spread over 1.01-1.17 (15 rounds,
 * 2026-12-03, median 1.11); the median of 21 has a 95 % interval between
 * order statistics 6 and 16, a few per cent wide: narrower than the effect
 * to be told from 1.0. About 1.3 s a round in the test VM.
 */
#define SLOWDOWN_ROUNDS	21
/* Capacity: events per BPF_PROG_TEST_RUN when paced, and per rate step. */
#define CAP_CHUNK	256
#define CAP_STEP_MS	400
/* Reference loop: iterations, and its 64 KiB table. */
#define REF_ITERS	(16UL << 20)
#define REF_WORDS	8192

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
 * An instance of the benchmark's own object with only the program named
 * as @which in the main instance loaded and attached, or NULL.
 */
static struct tm_overhead_bench_bpf *split_start(struct bpf_program *which)
{
	struct tm_overhead_bench_bpf *s = tm_overhead_bench_bpf__open();
	struct bpf_program *prog;

	if (!s)
		return NULL;
	bpf_object__for_each_program(prog, s->obj)
		bpf_program__set_autoload(prog,
			!strcmp(bpf_program__name(prog),
				bpf_program__name(which)));
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
		split = split_start(phase == EMPTY ? timing->progs.split_empty :
				    timing->progs.split_kfunc);
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


static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * For a sorted sample of @n, the order statistic k (1-based) such that
 * [x_k, x_(n+1-k)] holds the median with at least 95 % confidence: the
 * largest k with P(Binomial(n, 1/2) < k) <= 0.025. 0 if n is too small.
 */
static unsigned int median_ci_k(unsigned int n)
{
	double cdf = 0, c = 1;	/* c = C(n, j) */
	unsigned int j, k = 0;

	for (j = 0; j < n; j++) {
		cdf += c * pow(0.5, n);
		if (cdf > 0.025)
			break;
		k = j + 1;
		c = c * (n - j) / (j + 1);
	}
	return k;
}

/*
 * The reference loop: dependent multiply-adds, loads and stores in a
 * 64 KiB table, like the kfunc's mix of arithmetic and memory. Its ns per
 * iteration, the best of three; in the VM against the same on the host it
 * is the TCG slowdown factor.
 */
static double reference_ns(void)
{
	static volatile uint32_t table[REF_WORDS];
	double best = 0;
	int r;

	for (r = 0; r < 3; r++) {
		uint32_t x = 1;
		unsigned long i;
		double t0 = now_ms(), ns;

		for (i = 0; i < REF_ITERS; i++) {
			x = x * 1103515245u + 12345u + table[x % REF_WORDS];
			table[(x >> 7) % REF_WORDS] = x;
		}
		ns = (now_ms() - t0) * 1e6 / REF_ITERS;
		if (!r || ns < best)
			best = ns;
	}
	return best;
}

/*
 * The second reference: a system call that does almost nothing
 * (getppid()), ns per call, the best of three. Kernel entry and exit are
 * what TCG slows most (privileged state, the entry mitigations), the loop
 * above least: the two factors bracket the kernel code of an event.
 */
static double reference_syscall_ns(void)
{
	double best = 0;
	int r, i;

	for (r = 0; r < 3; r++) {
		double t0 = now_ms(), ns;

		for (i = 0; i < 50000; i++)
			syscall(SYS_getppid);
		ns = (now_ms() - t0) * 1e6 / 50000;
		if (!r || ns < best)
			best = ns;
	}
	return best;
}

/* A number after "key": in @buf, or 0. */
static double json_number(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);
	double v;

	if (!p)
		return 0;
	v = strtod(p + strlen(key), NULL);
	return v > 0 ? v : 0;
}

/* The host's references from "--reference" output in @path; 0 if absent. */
static void host_reference(const char *path, double *loop_ns, double *sys_ns)
{
	char buf[256] = "";
	FILE *f;

	*loop_ns = *sys_ns = 0;
	if (!path)
		return;
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	*loop_ns = json_number(buf, "\"reference_ns_per_iter\":");
	*sys_ns = json_number(buf, "\"reference_syscall_ns\":");
}

struct slowdown_result {
	unsigned int rounds;
	double median, lo, hi, min, max;
	unsigned int ci_k;
};

/*
 * @rounds interleaved baseline/telemetry pairs (ABBA: the first of a pair
 * alternates in pairs of rounds, so a steady drift cancels); the touch-time
 * ratios' median, its 95 % interval and the range.
 */
static int slowdown(unsigned int rounds, size_t len, int ctl,
		    struct slowdown_result *sr)
{
	struct phase_result base, tm;
	double *ratio = calloc(rounds, sizeof(*ratio));
	unsigned int i;

	if (!ratio)
		return -1;
	for (i = 0; i < rounds; i++) {
		bool tm_first = (i % 4 == 1 || i % 4 == 2);

		if ((tm_first && run_phase(TELEMETRY, len, ctl, &tm)) ||
		    run_phase(BASELINE, len, ctl, &base) ||
		    (!tm_first && run_phase(TELEMETRY, len, ctl, &tm))) {
			free(ratio);
			return -1;
		}
		ratio[i] = tm.touch_ms / base.touch_ms;
		printf("{\"slowdown_round\":%u,\"telemetry_first\":%s,\"baseline_touch_ms\":%.2f,"
		       "\"telemetry_touch_ms\":%.2f,\"ratio\":%.4f,\"events_dropped\":%llu}\n",
		       i, tm_first ? "true" : "false", base.touch_ms, tm.touch_ms,
		       ratio[i], (unsigned long long)tm.dropped);
		fflush(stdout);
	}
	qsort(ratio, rounds, sizeof(*ratio), cmp_double);
	sr->rounds = rounds;
	sr->median = rounds % 2 ? ratio[rounds / 2] :
		     (ratio[rounds / 2 - 1] + ratio[rounds / 2]) / 2;
	sr->min = ratio[0];
	sr->max = ratio[rounds - 1];
	sr->ci_k = median_ci_k(rounds);
	sr->lo = sr->ci_k ? ratio[sr->ci_k - 1] : sr->min;
	sr->hi = sr->ci_k ? ratio[rounds - sr->ci_k] : sr->max;
	free(ratio);
	return 0;
}

struct cap_result {
	double ref_ns;		/* reference loop in this machine */
	double sys_ns;		/* reference system call in this machine */
	double loop_ns;		/* cap_flood's loop without the kfunc, per event */
	double kfunc_ns;	/* the kfunc's share, per event */
	double sustained;	/* highest paced rate without a drop, events/s */
	double drop_rate;	/* the first rate that dropped (achieved), 0: none */
	double top_rate;	/* the fastest rate the loop achieved paced */
	uint64_t dropped;	/* events dropped at drop_rate */
	long ring_entries, drain_ms;
};

/* One BPF_PROG_TEST_RUN of cap_flood: @n events. */
static int cap_run(struct tm_overhead_bench_bpf *c, unsigned int n)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	c->bss->cap_n = n;
	return bpf_prog_test_run_opts(bpf_program__fd(c->progs.cap_flood),
				      &opts);
}

/* cap_flood's BPF run time per event over @runs runs of @n events. */
static double cap_cost(struct tm_overhead_bench_bpf *c, unsigned int runs,
		       unsigned int n, unsigned int pause_us)
{
	uint64_t ns0 = 0, c0 = 0, ns1 = 0, c1 = 0;
	unsigned int i;

	prog_stats(c->progs.cap_flood, &ns0, &c0);
	for (i = 0; i < runs; i++) {
		if (cap_run(c, n))
			return -1;
		if (pause_us)
			usleep(pause_us);
	}
	prog_stats(c->progs.cap_flood, &ns1, &c1);
	return (double)(ns1 - ns0) / ((double)runs * n);
}

#define PARAM "/sys/module/shadowalloc/parameters/"

static int capacity(struct cap_result *cr)
{
	struct tm_overhead_bench_bpf *c = split_start(timing->progs.cap_flood);
	double rate, t0, t, next, achieved;
	uint64_t sent, d0;
	unsigned int pause_us;

	memset(cr, 0, sizeof(*cr));
	if (!c) {
		fprintf(stderr, "tm_overhead_bench: cannot attach cap_flood (fentry/bpf_fentry_test1)\n");
		return -1;
	}
	cr->ring_entries = read_long(PARAM "tm_ring_entries");
	cr->drain_ms = read_long(PARAM "tm_drain_ms");
	pause_us = 3000 * (cr->drain_ms > 0 ? cr->drain_ms : 10);
	cr->ref_ns = reference_ns();
	cr->sys_ns = reference_syscall_ns();

	/* The loop alone, then with the kfunc in bursts a ring holds. */
	c->bss->cap_kfunc = 0;
	cr->loop_ns = cap_cost(c, 16, 65536, 0);
	c->bss->cap_kfunc = 1;
	d0 = c->bss->cap_dropped;
	cr->kfunc_ns = cap_cost(c, 32, 1024, pause_us) - cr->loop_ns;
	if (cr->loop_ns < 0 || c->bss->cap_dropped != d0 || c->bss->cap_other) {
		fprintf(stderr, "tm_overhead_bench: capacity: runs failed, or events dropped or filtered in bursts of 1024\n");
		tm_overhead_bench_bpf__destroy(c);
		return -1;
	}

	/* Paced, the rate up by sqrt(2) until a drop or the loop's limit. */
	for (rate = 25000; rate <= 25.6e6; rate *= M_SQRT2) {
		usleep(pause_us);
		d0 = c->bss->cap_dropped;
		sent = 0;
		t0 = next = now_ms();
		do {
			if (cap_run(c, CAP_CHUNK))
				break;
			sent += CAP_CHUNK;
			next += CAP_CHUNK * 1e3 / rate;
			while ((t = now_ms()) < next)
				if (next - t > 0.3)
					usleep((next - t) * 1e3 - 200);
		} while (t - t0 < CAP_STEP_MS);
		achieved = sent * 1e3 / (now_ms() - t0);
		if (achieved > cr->top_rate)
			cr->top_rate = achieved;
		printf("{\"capacity_step\":true,\"target_per_s\":%.0f,\"achieved_per_s\":%.0f,"
		       "\"events\":%llu,\"dropped\":%llu}\n", rate, achieved,
		       (unsigned long long)sent,
		       (unsigned long long)(c->bss->cap_dropped - d0));
		fflush(stdout);
		if (c->bss->cap_dropped != d0) {
			cr->drop_rate = achieved;
			cr->dropped = c->bss->cap_dropped - d0;
			break;
		}
		cr->sustained = achieved;
		/* The loop cannot go faster: the producer is the limit. */
		if (achieved < 0.8 * rate)
			break;
	}
	tm_overhead_bench_bpf__destroy(c);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: tm_overhead_bench [--slowdown-rounds N 0..99] [--host-ref FILE] [MIB 1..1024] [ROUNDS 1..20]\n"
			"       tm_overhead_bench --reference\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct phase_result sum[NR_PHASES] = {}, r;
	unsigned long mib = 32, rounds = 3, slow_rounds = SLOWDOWN_ROUNDS;
	struct shadowalloc_pool_config cfg = {
		.flags = SHADOWALLOC_POOL_SET_HUGE, .huge = 0,
	};
	const char *host_ref_path = NULL;
	struct slowdown_result sr = {};
	struct cap_result cr;
	double kvm_ns, host_ref, host_sys, factor, factor_sys, tm_ns;
	double t_start = now_ms();
	unsigned long i;
	int ctl, stats_fd, p, pos = 0;
	char *end;

	for (i = 1; i < (unsigned long)argc; i++) {
		unsigned long v;

		if (!strcmp(argv[i], "--reference") && argc == 2) {
			printf("{\"reference_ns_per_iter\":%.4f,\"reference_syscall_ns\":%.1f}\n",
			       reference_ns(), reference_syscall_ns());
			return 0;
		}
		if (!strcmp(argv[i], "--host-ref") && i + 1 < (unsigned long)argc) {
			host_ref_path = argv[++i];
			continue;
		}
		if (!strcmp(argv[i], "--slowdown-rounds") && i + 1 < (unsigned long)argc) {
			i++;
			errno = 0;
			slow_rounds = strtoul(argv[i], &end, 10);
			if (errno || *end || !*argv[i] || slow_rounds > 99)
				usage();
			continue;
		}
		errno = 0;
		v = strtoul(argv[i], &end, 10);
		if (argv[i][0] == '-' || errno || *end || !*argv[i] || pos > 1)
			usage();
		if (pos++ == 0)
			mib = v;
		else
			rounds = v;
	}
	if (!mib || mib > 1024 || !rounds || rounds > 20)
		usage();
	host_reference(host_ref_path, &host_ref, &host_sys);
	if (host_ref_path && (!host_ref || !host_sys)) {
		fprintf(stderr, "tm_overhead_bench: %s: no \"reference_ns_per_iter\" and \"reference_syscall_ns\"\n",
			host_ref_path);
		return 1;
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
		bpf_program__set_autoload(timing->progs.cap_flood, false);
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

	if (slow_rounds && slowdown(slow_rounds, mib << 20, ctl, &sr)) {
		fprintf(stderr, "tm_overhead_bench: slowdown rounds failed\n");
		return 1;
	}
	if (capacity(&cr))
		return 1;
	factor = host_ref ? cr.ref_ns / host_ref : 0;
	factor_sys = host_sys ? cr.sys_ns / host_sys : 0;

	/* KVM's handling time per fault, from the unwatched runs. */
	kvm_ns = per(sum[BASELINE].kvm_ns, sum[BASELINE].kvm_faults);
	tm_ns = per(sum[TELEMETRY].bpf_ns, sum[TELEMETRY].bpf_runs);
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
	       "\"touch_damon_vs_baseline\":%.3f",
	       per(sum[DAMON_VADDR].monitor_ns, sum[DAMON_VADDR].kvm_faults),
	       per(sum[DAMON_VADDR].monitor_ns, sum[DAMON_VADDR].kvm_faults) / kvm_ns,
	       sum[DAMON_VADDR].touch_ms / sum[BASELINE].touch_ms);
	printf(",\"slowdown_rounds\":%u,\"slowdown_median\":%.4f,"
	       "\"slowdown_ci95\":[%.4f,%.4f],\"slowdown_range\":[%.4f,%.4f]",
	       sr.rounds, sr.median, sr.lo, sr.hi, sr.min, sr.max);
	printf(",\"cap_loop_ns_per_event\":%.0f,\"cap_kfunc_ns_per_event\":%.0f,"
	       "\"cap_sustained_per_s\":%.0f,\"cap_first_drop_per_s\":%.0f,"
	       "\"cap_top_paced_per_s\":%.0f,\"ring_entries\":%ld,\"drain_ms\":%ld,"
	       "\"reference_ns\":%.4f,\"host_reference_ns\":%.4f,\"tcg_factor\":%.1f,"
	       "\"reference_syscall_ns\":%.1f,\"host_reference_syscall_ns\":%.1f,"
	       "\"tcg_factor_syscall\":%.1f",
	       cr.loop_ns, cr.kfunc_ns, cr.sustained, cr.drop_rate, cr.top_rate,
	       cr.ring_entries, cr.drain_ms, cr.ref_ns, host_ref, factor,
	       cr.sys_ns, host_sys, factor_sys);
	/* The headline uses the smaller factor: the cautious projection. */
	if (factor_sys && factor_sys < factor)
		factor = factor_sys;
	if (factor)
		printf(",\"projected_ns_per_event\":%.1f,\"projected_per_s_per_cpu\":%.0f,"
		       "\"projected_kfunc_loop_per_s_per_cpu\":%.0f,"
		       "\"projected_sustained_per_s\":%.0f,"
		       "\"projected_per_s_per_cpu_syscall_factor\":%.0f",
		       tm_ns / factor, tm_ns ? 1e9 * factor / tm_ns : 0,
		       1e9 * factor / (cr.loop_ns + cr.kfunc_ns),
		       cr.sustained * factor,
		       tm_ns ? 1e9 * factor_sys / tm_ns : 0);
	printf(",\"bench_s\":%.0f}\n", (now_ms() - t_start) / 1e3);

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

	printf("\nguest-visible slowdown, telemetry vs baseline, %u interleaved rounds:\n"
	       "  median %.3f, 95%% interval [%.3f, %.3f] (order statistics %u and %u), range [%.3f, %.3f]%s\n",
	       sr.rounds, sr.median, sr.lo, sr.hi, sr.ci_k,
	       sr.rounds + 1 - sr.ci_k, sr.min, sr.max,
	       !sr.rounds ? " (not run)" : sr.lo <= 1.0 ? ": below the noise" : "");
	printf("\ncapacity, one CPU (BPF_PROG_TEST_RUN loop; ring %ld entries, drain %ld ms):\n"
	       "  loop %.0f ns + kfunc %.0f ns per event; sustained %.0f events/s without a drop",
	       cr.ring_entries, cr.drain_ms, cr.loop_ns, cr.kfunc_ns, cr.sustained);
	if (cr.drop_rate)
		printf(", %llu dropped at %.0f/s\n", (unsigned long long)cr.dropped,
		       cr.drop_rate);
	else
		printf(", no drop up to %.0f/s (the loop's limit)\n", cr.top_rate);
	if (factor)
		printf("  TCG factor: loop %.1f (%.2f ns here, %.2f ns on the host), system call %.1f (%.0f ns, %.0f ns)\n"
		       "  projected with %.1f: telemetry %.0f ns per event = %.2fM events/s per CPU"
		       " (%.2fM with the system call's); sustained through the ring %.2fM events/s\n",
		       cr.ref_ns / host_ref, cr.ref_ns, host_ref, factor_sys,
		       cr.sys_ns, host_sys, factor, tm_ns / factor,
		       tm_ns ? 1e-6 * factor * 1e9 / tm_ns : 0,
		       tm_ns ? 1e-6 * factor_sys * 1e9 / tm_ns : 0,
		       1e-6 * cr.sustained * factor);
	else
		printf("  no projection: no --host-ref (reference loop %.2f ns, system call %.0f ns here)\n",
		       cr.ref_ns, cr.sys_ns);
	printf("bench took %.0f s\n", (now_ms() - t_start) / 1e3);

	tm_overhead_bench_bpf__destroy(timing);
	close(stats_fd);
	shadowalloc_shadow_disable(ctl, GROUP);
	shadowalloc_group_remove_vm(ctl, GROUP, getpid());
	shadowalloc_group_destroy(ctl, GROUP);
	return 0;
}
