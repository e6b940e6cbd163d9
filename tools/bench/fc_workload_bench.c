// SPDX-License-Identifier: GPL-2.0
/*
 * fc_workload_bench - the forecaster against its baselines, workload by
 * workload, on a real KVM guest.
 *
 * A minimal KVM guest (selftests/lib/kvm_guest.c) on 512 MiB of
 * /dev/shadowalloc memory (4 KiB pool, no 2 MiB blocks, so every count is
 * in pages) first-touches pages on a schedule of 100 ms ticks:
 *
 *   sequential  150 pages per tick from a cursor
 *   strided     100 pages per tick, every 4th page
 *   random      120 random picks per tick in a 96 MiB working set, one
 *               guest run per page (a page already touched does not fault)
 *   burst       1200 pages every 20 ticks, nothing in between
 *   ramp        10 pages per tick rising to 300
 *   mix         30 ticks each of sequential, bursts (800 every 10 ticks),
 *               random, a ramp and strided, each in its own region
 *
 * Each workload runs under three policies, one after the other, each on a
 * fresh group and fresh guest memory:
 *
 *   disabled    the group is not enabled: the plain fault path
 *   fixed       the group is enabled with a cap of R pages and an operator
 *               keeps a STAGE_RESERVE of R pages (re-issued every tick), R =
 *               the workload's mean demand per tick times the horizon's
 *               ticks; the cap keeps the forecaster's own target out of it
 *   forecast    the group is enabled, no reservation: the forecaster alone
 *
 * For fixed and forecast the bench samples GET_STATS at the start of every
 * tick into OUTDIR/WORKLOAD-POLICY.series.csv. For forecast it also writes
 * the schedule as a trace (OUTDIR/WORKLOAD.sched.csv: t_ns,vm,gpa,size of
 * every page it asks the guest to touch) and records the module's own
 * trace (the fault handler's records) with "shadowctl record" in the
 * background (OUTDIR/WORKLOAD.rec.csv). The recorded trace, or the
 * schedule's if the recording is missing or short, is replayed with
 * sa_replay (none, fixed R, naive, ewma, forecast) with the same horizon
 * and max age: the baselines on the same run.
 *
 * Output: one JSON line per (workload, policy) measured, one per replayed
 * policy ("source":"replay"); with --dump-series every series line again
 * on stdout as "series,WORKLOAD,POLICY,..." (the test VM keeps no files);
 * with --dump-traces the recorded traces as "series,WORKLOAD,rec,...".
 *
 *   fc_workload_bench [--workloads LIST] [--outdir DIR] [--horizon-ms MS]
 *                     [--max-age-ms MS] [--dump-series] [--dump-traces]
 *                     [--forecast-only]
 *
 * --forecast-only runs the forecast policy and its replay alone (the
 * module/replay agreement test, selftests/agreement_test.sh).
 *
 * Needs root, /dev/kvm and the module loaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <getopt.h>
#include <limits.h>
#include <libgen.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <linux/shadowalloc.h>
#include "kvm_guest.h"
#include "libshadowalloc.h"

#define GROUP		903
#define PAGE		4096UL
#define HUGE		(2UL << 20)
#define SLOT_PAGES	131072UL	/* 512 MiB */
/* The schedule runs in the module's forecaster ticks. */
#define TICK_NS		(SHADOWALLOC_TICK_MS * 1000000ULL)
#define MAX_OPS		200000

extern char **environ;

/* One guest run: @pages pages from page @first, @stride pages apart. */
struct op {
	uint32_t tick;
	uint32_t first;
	uint32_t pages;
	uint32_t stride;
};

struct schedule {
	const char *name;
	uint32_t ticks;
	uint32_t nr_ops;
	struct op *ops;
	uint64_t *demand;	/* pages per tick */
	uint64_t total;
};

enum policy { POL_DISABLED, POL_FIXED, POL_FORECAST, NR_POL };
static const char * const pol_name[] = { "disabled", "fixed", "forecast" };

struct result {
	double touch_ms;
	uint64_t faults, hits, misses, staged_total, evicted, end_staged;
	uint32_t fc_err, naive_err;
	uint64_t windows;
	uint64_t ticks_late;	/* ticks whose pages did not fit in the tick */
};

static unsigned int horizon_ms = 1000;
static unsigned int max_age_ms = 5000;
static bool dump_series, dump_traces;
static const char *outdir = "/tmp/fc_bench";
static char shadowctl[PATH_MAX], sa_replay[PATH_MAX];
/* The group's zeroing budget (pages/s) as GET_STATS reports it. */
static uint32_t zero_budget;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = {
		.tv_sec = t / 1000000000ULL, .tv_nsec = t % 1000000000ULL,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* xorshift64*, so the random schedule is the same in every run. */
static uint64_t rnd_state = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 2685821657736338717ULL;
}

static void add_op(struct schedule *s, uint32_t tick, uint32_t first,
		   uint32_t pages, uint32_t stride)
{
	if (!pages || s->nr_ops >= MAX_OPS ||
	    first + (uint64_t)(pages - 1) * stride >= SLOT_PAGES - 1)
		return;		/* the last page is the warm-up page */
	s->ops[s->nr_ops++] = (struct op){ tick, first, pages, stride };
	s->demand[tick] += pages;
	s->total += pages;
}

/* Random picks in [base, base + set): only first touches are ops. */
static void random_picks(struct schedule *s, uint8_t *seen, uint32_t tick,
			 uint32_t base, uint32_t set, uint32_t picks)
{
	uint32_t i, p;

	for (i = 0; i < picks; i++) {
		p = base + rnd() % set;
		if (seen[p])
			continue;
		seen[p] = 1;
		add_op(s, tick, p, 1, 1);
	}
}

static int build_schedule(struct schedule *s, const char *name)
{
	uint32_t t, cur = 0, n;
	uint8_t *seen;

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->ticks = !strcmp(name, "burst") ? 160 : 150;
	s->ops = calloc(MAX_OPS, sizeof(*s->ops));
	s->demand = calloc(s->ticks, sizeof(*s->demand));
	seen = calloc(SLOT_PAGES, 1);
	if (!s->ops || !s->demand || !seen)
		return -1;
	rnd_state = 88172645463325252ULL;

	for (t = 0; t < s->ticks; t++) {
		if (!strcmp(name, "sequential")) {
			add_op(s, t, cur, 150, 1);
			cur += 150;
		} else if (!strcmp(name, "strided")) {
			add_op(s, t, cur, 100, 4);
			cur += 400;
		} else if (!strcmp(name, "random")) {
			random_picks(s, seen, t, 0, 24576, 120);
		} else if (!strcmp(name, "burst")) {
			if (t % 20 == 5) {
				add_op(s, t, cur, 1200, 1);
				cur += 1200;
			}
		} else if (!strcmp(name, "ramp")) {
			n = 10 + 290 * t / (s->ticks - 1);
			add_op(s, t, cur, n, 1);
			cur += n;
		} else if (!strcmp(name, "mix")) {
			/* Regions: 0 seq, 8192 burst, 16384 random, 32768 ramp, 49152 strided */
			if (t < 30) {
				add_op(s, t, cur, 150, 1);
				cur += 150;
			} else if (t < 60) {
				if (t % 10 == 5)
					add_op(s, t, 8192 + (t - 30) / 10 * 800, 800, 1);
			} else if (t < 90) {
				random_picks(s, seen, t, 16384, 8192, 100);
			} else if (t < 120) {
				n = 20 + 230 * (t - 90) / 29;
				if (t == 90)
					cur = 32768;
				add_op(s, t, cur, n, 1);
				cur += n;
			} else {
				if (t == 120)
					cur = 49152;
				add_op(s, t, cur, 80, 4);
				cur += 320;
			}
		} else {
			free(seen);
			return -1;
		}
	}
	free(seen);
	return 0;
}

/* A 2 MiB-aligned shared mapping of a fresh /dev/shadowalloc object. */
static void *map_guest(int *fdp)
{
	size_t len = SLOT_PAGES * PAGE;
	char *p = mmap(NULL, len + HUGE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	void *want, *q;
	int fd;

	if (p == MAP_FAILED)
		return NULL;
	want = (void *)(((uintptr_t)p + HUGE - 1) & ~(HUGE - 1));
	fd = shadowalloc_open();
	if (fd < 0)
		return NULL;
	q = mmap(want, len, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_SHARED, fd, 0);
	if (q == MAP_FAILED) {
		close(fd);
		return NULL;
	}
	/* As QEMU does for guest RAM: 2 MiB where the pool allows it. */
	madvise(q, len, MADV_HUGEPAGE);
	*fdp = fd;
	return q;
}

static int group_fresh(int ctl)
{
	int ret;

	shadowalloc_group_remove_vm(ctl, GROUP, getpid());
	shadowalloc_group_destroy(ctl, GROUP);
	ret = shadowalloc_group_create(ctl, GROUP, NULL);
	if (!ret)
		ret = shadowalloc_group_add_vm(ctl, GROUP, getpid());
	return ret;
}

static void group_gone(int ctl)
{
	shadowalloc_group_remove_vm(ctl, GROUP, getpid());
	shadowalloc_group_destroy(ctl, GROUP);
}

static int group_setup(int ctl, enum policy pol, uint64_t reserve)
{
	struct shadowalloc_pool_config cfg = {
		.flags = SHADOWALLOC_POOL_SET_HUGE | SHADOWALLOC_POOL_SET_MAX_AGE,
		.huge = 0,
		.max_age_ms = max_age_ms,
	};
	struct shadowalloc_stats st;
	int ret, i;

	ret = group_fresh(ctl);
	if (ret || pol == POL_DISABLED)
		return ret;
	if (pol == POL_FIXED) {
		cfg.flags |= SHADOWALLOC_POOL_SET_CAP;
		cfg.max_staged_bytes = reserve * PAGE;
	}
	ret = shadowalloc_pool_config(ctl, GROUP, &cfg);
	if (!ret)
		ret = shadowalloc_set_horizon(ctl, GROUP, horizon_ms);
	if (!ret && pol == POL_FIXED)
		ret = shadowalloc_stage_reserve(ctl, GROUP, reserve);
	if (!ret)
		ret = shadowalloc_shadow_enable(ctl, GROUP);
	if (ret || pol != POL_FIXED)
		return ret;
	/* The operator reserves ahead of the launch: wait for the pool. */
	for (i = 0; i < 200; i++) {
		if (shadowalloc_get_stats(ctl, GROUP, &st))
			return -EIO;
		if (st.staged_pages >= reserve)
			break;
		usleep(50000);
	}
	return 0;
}

/*
 * "shadowctl record GROUP FILE" in the background: the fault handler's
 * own records, with or without the telemetry.
 */
static pid_t start_recorder(const char *path)
{
	char group[16];
	char *argv[] = { shadowctl, "record", group, (char *)path, NULL };
	pid_t pid;

	snprintf(group, sizeof(group), "%d", GROUP);
	if (posix_spawn(&pid, shadowctl, NULL, NULL, argv, environ))
		return 0;
	usleep(500000);		/* let it open the recording */
	return pid;
}

static void stop_recorder(pid_t pid)
{
	int i, status;

	if (pid <= 0)
		return;
	for (i = 0; i < 40; i++) {	/* it ends when the group is destroyed */
		if (waitpid(pid, &status, WNOHANG) == pid)
			return;
		usleep(50000);
	}
	kill(pid, SIGINT);
	waitpid(pid, &status, 0);
}

static long count_rows(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	long n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (line[0] >= '0' && line[0] <= '9')
			n++;
	fclose(f);
	return n;
}

static int run_policy(int ctl, struct schedule *s, enum policy pol,
		      uint64_t reserve, struct result *r)
{
	struct shadowalloc_stats st0, st;
	FILE *series = NULL, *trace = NULL;
	char path[PATH_MAX];
	uint64_t t0, t, start, hits = 0, misses = 0;
	uint32_t tick, i = 0, k;
	struct vm v = {};
	int fd = -1, ret = 0;
	bool sa = pol != POL_DISABLED;
	pid_t rec = 0;
	void *data;

	memset(r, 0, sizeof(*r));
	memset(&st0, 0, sizeof(st0));
	if (group_setup(ctl, pol, reserve)) {
		fprintf(stderr, "fc_workload_bench: cannot set up group %d\n", GROUP);
		return -1;
	}
	data = map_guest(&fd);
	if (!data || vm_create(&v, data, SLOT_PAGES * PAGE)) {
		fprintf(stderr, "fc_workload_bench: cannot create the guest\n");
		return -1;
	}
	/* Warm KVM up on the last page, outside the schedule. */
	if (vm_run_loop(&v, GUEST_WRITE_ONLY, DATA_GPA + (SLOT_PAGES - 1) * PAGE, 1, PAGE))
		return -1;
	if (sa) {
		snprintf(path, sizeof(path), "%s/%s-%s.series.csv", outdir,
			 s->name, pol_name[pol]);
		series = fopen(path, "w");
		if (!series)
			return -1;
		fprintf(series, "tick,demand,staged,target,hits,misses,forecast_pages,reserved_pages\n");
	}
	if (pol == POL_FORECAST) {
		snprintf(path, sizeof(path), "%s/%s.sched.csv", outdir, s->name);
		trace = fopen(path, "w");
		if (!trace)
			return -1;
		fprintf(trace, "t_ns,vm,gpa,size\n");
		snprintf(path, sizeof(path), "%s/%s.rec.csv", outdir, s->name);
		unlink(path);
		rec = start_recorder(path);
	}
	if (sa) {
		shadowalloc_get_stats(ctl, GROUP, &st0);
		zero_budget = st0.zero_pages_per_sec;
	}

	start = now_ns();
	for (tick = 0; tick < s->ticks; tick++) {
		sleep_until(start + tick * TICK_NS);
		if (now_ns() > start + (tick + 1) * TICK_NS)
			r->ticks_late++;
		if (pol == POL_FIXED)
			shadowalloc_stage_reserve(ctl, GROUP, reserve);
		if (sa) {
			if (shadowalloc_get_stats(ctl, GROUP, &st))
				return -1;
			fprintf(series, "%u,%llu,%llu,%llu,%llu,%llu,%llu,%llu\n",
				tick, (unsigned long long)s->demand[tick],
				(unsigned long long)st.staged_pages,
				(unsigned long long)st.staging_target_pages,
				(unsigned long long)(st.hits - st0.hits - hits),
				(unsigned long long)(st.misses - st0.misses - misses),
				(unsigned long long)st.forecast_pages,
				(unsigned long long)st.reserved_pages);
			hits = st.hits - st0.hits;
			misses = st.misses - st0.misses;
		}
		for (; i < s->nr_ops && s->ops[i].tick == tick; i++) {
			struct op *o = &s->ops[i];

			t0 = now_ns();
			if (trace)
				for (k = 0; k < o->pages; k++)
					fprintf(trace, "%llu,%d,%#lx,4096\n",
						(unsigned long long)t0, getpid(),
						DATA_GPA + (o->first + (unsigned long)k * o->stride) * PAGE);
			ret = vm_run_loop(&v, GUEST_WRITE_ONLY,
					  DATA_GPA + (uint64_t)o->first * PAGE,
					  o->pages, o->stride * PAGE);
			t = now_ns();
			r->touch_ms += (t - t0) / 1e6;
			if (ret) {
				fprintf(stderr, "fc_workload_bench: guest run failed: %d\n", ret);
				return -1;
			}
		}
	}
	/* One more tick, so the last tick's faults are in the counters. */
	sleep_until(start + (uint64_t)s->ticks * TICK_NS);
	if (sa) {
		shadowalloc_get_stats(ctl, GROUP, &st);
		r->faults = st.faults - st0.faults;
		r->hits = st.hits - st0.hits;
		r->misses = st.misses - st0.misses;
		r->staged_total = st.staged_total;
		r->evicted = st.evicted_pages;
		r->end_staged = st.staged_pages;
		r->fc_err = st.forecast_err_permille;
		r->naive_err = st.naive_err_permille;
		r->windows = st.forecast_windows;
	} else {
		r->faults = s->total;
		r->misses = s->total;
	}
	if (series)
		fclose(series);
	if (trace)
		fclose(trace);
	vm_destroy(&v);
	munmap(data, SLOT_PAGES * PAGE);
	close(fd);
	group_gone(ctl);
	stop_recorder(rec);
	return 0;
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / b : 0;
}

static void print_result(struct schedule *s, enum policy pol, uint64_t reserve,
			 struct result *r)
{
	printf("{\"workload\":\"%s\",\"policy\":\"%s\",\"source\":\"module\","
	       "\"ticks\":%u,\"pages\":%llu,\"guest_touch_ms\":%.1f,"
	       "\"faults\":%llu,\"hits\":%llu,\"misses\":%llu,\"hit_rate\":%.4f,"
	       "\"staged_total\":%llu,\"evicted\":%llu,\"waste\":%.4f,"
	       "\"end_staged\":%llu,\"forecast_err_permille\":%u,"
	       "\"naive_err_permille\":%u,\"forecast_windows\":%llu,"
	       "\"err_vs_naive\":%.3f,\"reserve_pages\":%llu,\"horizon_ms\":%u,"
	       "\"max_age_ms\":%u,\"ticks_late\":%llu}\n",
	       s->name, pol_name[pol], s->ticks, (unsigned long long)s->total,
	       r->touch_ms, (unsigned long long)r->faults,
	       (unsigned long long)r->hits, (unsigned long long)r->misses,
	       ratio(r->hits, r->faults), (unsigned long long)r->staged_total,
	       (unsigned long long)r->evicted, ratio(r->evicted, r->staged_total),
	       (unsigned long long)r->end_staged,
	       pol == POL_FORECAST ? r->fc_err : 0,
	       pol == POL_FORECAST ? r->naive_err : 0,
	       pol == POL_FORECAST ? (unsigned long long)r->windows : 0ULL,
	       pol == POL_FORECAST ? ratio(r->fc_err, r->naive_err) : 0,
	       pol == POL_FIXED ? (unsigned long long)reserve : 0ULL,
	       horizon_ms, max_age_ms, (unsigned long long)r->ticks_late);
	fflush(stdout);
}

static void dump_file(const char *wl, const char *what, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (line[0] >= '0' && line[0] <= '9')
			printf("series,%s,%s,%s", wl, what, line);
	fclose(f);
	fflush(stdout);
}

/* The baselines on the same run: sa_replay over the run's trace. */
static void replay(struct schedule *s, uint64_t reserve)
{
	char path[PATH_MAX], cmd[6 * PATH_MAX], line[1024];
	const char *kind = "recorded";
	long rows;
	FILE *p;

	snprintf(path, sizeof(path), "%s/%s.rec.csv", outdir, s->name);
	rows = count_rows(path);
	if (rows < (long)(s->total * 95 / 100)) {
		fprintf(stderr, "fc_workload_bench: %s: recorded trace has %ld of %llu pages, replaying the schedule\n",
			s->name, rows, (unsigned long long)s->total);
		snprintf(path, sizeof(path), "%s/%s.sched.csv", outdir, s->name);
		kind = "schedule";
		rows = count_rows(path);
	} else {
		/* shadowctl writes records as they are read: sort by time. */
		snprintf(cmd, sizeof(cmd),
			 "(head -n 1 %s; tail -n +2 %s | sort -t, -k1,1n) > %s.sorted && mv %s.sorted %s",
			 path, path, path, path, path);
		if (system(cmd))
			return;
	}
	/*
	 * A recording has the module's clock: its ticks are the module's.
	 * The refill per tick is the group's zeroing budget's.
	 */
	snprintf(cmd, sizeof(cmd),
		 "%s --json --horizon-ms %u --max-age-ms %u --reserve %llu --refill-pages-per-tick %u%s %s",
		 sa_replay, horizon_ms, max_age_ms, (unsigned long long)reserve,
		 zero_budget * SHADOWALLOC_TICK_MS / 1000,
		 strcmp(kind, "recorded") ? "" : " --absolute-ticks", path);
	p = popen(cmd, "r");
	if (!p)
		return;
	while (fgets(line, sizeof(line), p)) {
		if (strncmp(line, "{\"policy\":", 10)) {
			if (!strncmp(line, "{\"trace\":", 9))
				printf("{\"workload\":\"%s\",\"source\":\"replay-trace\",\"trace_kind\":\"%s\",\"trace_rows\":%ld,%s",
				       s->name, kind, rows, line + 1);
			continue;
		}
		printf("{\"workload\":\"%s\",\"source\":\"replay\",\"trace_kind\":\"%s\",%s",
		       s->name, kind, line + 1);
	}
	pclose(p);
	fflush(stdout);
}

static void find_tools(const char *argv0)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *dir;

	if (n <= 0) {
		snprintf(exe, sizeof(exe), "%s", argv0);
		n = strlen(exe);
	}
	exe[n] = 0;
	dir = dirname(exe);
	snprintf(shadowctl, sizeof(shadowctl), "%s/../shadowctl/shadowctl", dir);
	snprintf(sa_replay, sizeof(sa_replay), "%s/../forecast/sa_replay", dir);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fc_workload_bench [--workloads LIST] [--outdir DIR] [--horizon-ms MS]\n"
		"                         [--max-age-ms MS] [--dump-series] [--dump-traces]\n"
		"                         [--forecast-only]\n"
		"  LIST: comma-separated of sequential,strided,random,burst,ramp,mix (default all)\n"
		"  --forecast-only: the forecast policy alone (and its replay), not the baselines\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "workloads", required_argument, NULL, 'w' },
		{ "outdir", required_argument, NULL, 'o' },
		{ "horizon-ms", required_argument, NULL, 'H' },
		{ "max-age-ms", required_argument, NULL, 'A' },
		{ "dump-series", no_argument, NULL, 'd' },
		{ "dump-traces", no_argument, NULL, 't' },
		{ "forecast-only", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char *list = strdup("sequential,strided,random,burst,ramp,mix");
	char *name, *save = NULL, path[PATH_MAX];
	struct schedule s;
	struct result r;
	uint64_t reserve;
	int c, ctl, pol, first_pol = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			free(list);
			list = strdup(optarg);
			break;
		case 'o':
			outdir = optarg;
			break;
		case 'H':
			horizon_ms = strtoul(optarg, NULL, 10);
			if (horizon_ms < 100 || horizon_ms > 6400)
				usage();
			break;
		case 'A':
			max_age_ms = strtoul(optarg, NULL, 10);
			if (max_age_ms < 100)
				usage();
			break;
		case 'd':
			dump_series = true;
			break;
		case 't':
			dump_traces = true;
			break;
		case 'f':
			first_pol = POL_FORECAST;
			break;
		default:
			usage();
		}
	}
	find_tools(argv[0]);
	mkdir(outdir, 0755);
	ctl = shadowalloc_open();
	if (ctl < 0) {
		fprintf(stderr, "fc_workload_bench: /dev/shadowalloc: %s\n", strerror(-ctl));
		return 1;
	}
	for (name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		if (build_schedule(&s, name)) {
			fprintf(stderr, "fc_workload_bench: unknown workload '%s'\n", name);
			return 2;
		}
		/* Mean demand per tick over the run, times the horizon's ticks. */
		reserve = s.total * (horizon_ms / 100) / s.ticks;
		if (!reserve)
			reserve = 1;
		for (pol = first_pol; pol < NR_POL; pol++) {
			if (run_policy(ctl, &s, pol, reserve, &r)) {
				fprintf(stderr, "fc_workload_bench: %s/%s failed\n",
					name, pol_name[pol]);
				group_gone(ctl);
				return 1;
			}
			print_result(&s, pol, reserve, &r);
		}
		replay(&s, reserve);
		if (dump_traces) {
			snprintf(path, sizeof(path), "%s/%s.rec.csv", outdir, name);
			dump_file(name, "rec", path);
		}
		if (dump_series) {
			for (pol = POL_FIXED; pol < NR_POL; pol++) {
				snprintf(path, sizeof(path), "%s/%s-%s.series.csv",
					 outdir, name, pol_name[pol]);
				dump_file(name, pol_name[pol], path);
			}
		}
		free(s.ops);
		free(s.demand);
	}
	free(list);
	close(ctl);
	return 0;
}
