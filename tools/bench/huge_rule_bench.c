// SPDX-License-Identifier: GPL-2.0
/*
 * huge_rule_bench - both sides of the module's 2 MiB rule, measured side by
 * side in one run (Documentation/benchmarks.rst, "2 MiB or 4 KiB").
 *
 * sa_fault_huge_wanted() (kmod/mem.c) serves a first touch with a whole
 * 2 MiB folio when the pool allows 2 MiB (POOL_CONFIG huge=1), THP is not
 * disabled for the mapping (MADV_NOHUGEPAGE), the aligned 2 MiB of the
 * object is untouched, and either the VMA is MADV_HUGEPAGE or the group's
 * where-predictor expects dense use (pool->forecast_huge).
 *
 * A minimal KVM guest (selftests/lib/kvm_guest.c) touches MIB MiB of a fresh
 * memory object in one of three patterns: dense (every 4 KiB page), sparse8
 * (8 pages per 2 MiB, 256 KiB apart) and sparse1 (one page per 2 MiB).
 * Each pattern runs in each case below, each case in a fresh group (so the
 * forecaster starts from its prior every time):
 *
 *   4k-staged        huge=0, the touched pages staged (the baseline)
 *   4k-miss          huge=0, nothing staged
 *   2m-madv-staged   huge=1, MADV_HUGEPAGE, every touched 2 MiB staged
 *   2m-madv-miss     huge=1, MADV_HUGEPAGE, nothing staged (2 MiB misses)
 *   2m-nomadv-miss   huge=1, no madvise, nothing staged: the
 *                    where-predictor decides (forecast_huge)
 *   nohuge-staged    huge=1, MADV_NOHUGEPAGE, a reservation of the touched
 *                    pages (the pool stages it as it would: 2 MiB blocks
 *                    where the reservation is 2 MiB or more)
 *
 * "Nothing staged" is a staging cap of one 4 KiB page and the minimum
 * zeroing budget, so the forecaster can stage little behind the guest
 * (one page at a time, SHADOWALLOC_ZERO_BUDGET_MIN a second); "staged" is a reservation of exactly what
 * the touch takes (and a staging cap of as much), staged at the maximum
 * zeroing budget, which is then lowered to the minimum for the touch, so
 * the refill neither competes with the guest nor stages more behind it. Per case: the guest touch time and its
 * ratio to 4k-staged of the same pattern in the same round, KVM's nested
 * page faults (debugfs kvm/pf_taken), the module's faults, hits, 2 MiB hits,
 * misses and miss pages, and the memory held after the touch: the pages
 * the touch added to the object (MEM_BIND .pages) plus the pool's staged
 * pages (GET_STATS). Absolute times under TCG are inflated: read ratios.
 *
 * --learn: with the telemetry attached (shadowctl attach), does the
 * where-predictor learn what a guest without madvise does? One group,
 * huge=1, nothing staged (as above), rounds of the sparse1 guest without madvise and
 * with MADV_NOHUGEPAGE, then the dense guest without madvise; before each
 * round the group's forecast_huge and the VM's where-verdict (debugfs
 * shadowalloc/telemetry).
 *
 *   huge_rule_bench [--rounds N] [MIB]   (MIB even, default 64; N 1..9)
 *   huge_rule_bench --learn [MIB]
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>

#include <linux/shadowalloc.h>
#include "kvm_guest.h"
#include "sa_test.h"
#include "libshadowalloc.h"

#define GROUP 902
#define PAGE 4096UL
#define HUGE (2UL << 20)
#define MAX_ROUNDS 9

enum madv { MADV_NONE, MADV_HUGE, MADV_NOHUGE };

struct pattern {
	const char *name;
	uint32_t stride;
};

static const struct pattern patterns[] = {
	{ "dense", PAGE },
	{ "sparse8", HUGE / 8 },
	{ "sparse1", HUGE },
};

struct hcase {
	const char *name;
	int huge;
	enum madv madv;
	bool staged;
};

static const struct hcase cases[] = {
	{ "4k-staged", 0, MADV_NONE, true },
	{ "4k-miss", 0, MADV_NONE, false },
	{ "2m-madv-staged", 1, MADV_HUGE, true },
	{ "2m-madv-miss", 1, MADV_HUGE, false },
	{ "2m-nomadv-miss", 1, MADV_NONE, false },
	{ "nohuge-staged", 1, MADV_NOHUGE, true },
};

#define NR_PATTERNS (sizeof(patterns) / sizeof(patterns[0]))
#define NR_CASES (sizeof(cases) / sizeof(cases[0]))

struct result {
	double touch_ms;
	uint64_t kvm_faults;		/* pf_taken delta, -1 if unknown */
	uint64_t faults, hits, hits_huge, misses, miss_pages;
	uint64_t hit_ns, miss_ns;
	uint64_t resident;		/* pages the touch added to the object */
	uint64_t staged;		/* the pool's staged pages after it */
	uint64_t reserved;		/* pages reserved before it */
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* KVM's nested page faults taken, all VMs (debugfs), or -1. */
static uint64_t kvm_pf_taken(void)
{
	unsigned long long v;
	FILE *f = fopen("/sys/kernel/debug/kvm/pf_taken", "r");
	int ok;

	if (!f)
		return (uint64_t)-1;
	ok = fscanf(f, "%llu", &v) == 1;
	fclose(f);
	return ok ? v : (uint64_t)-1;
}

/* Pages a memory object holds (MEM_BIND read), or -1. */
static uint64_t mem_pages(int fd)
{
	struct shadowalloc_mem_bind b = { .size = sizeof(b) };

	if (ioctl(fd, SHADOWALLOC_IOC_MEM_BIND, &b))
		return (uint64_t)-1;
	return b.pages;
}

static void print_file_line(const char *label, const char *path)
{
	char buf[256] = "?";
	FILE *f = fopen(path, "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			strcpy(buf, "?");
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
	printf("# %s: %s\n", label, buf);
}

/* The settings both sides of every comparison run with. */
static void print_settings(void)
{
	struct utsname u;
	char path[128], line[256];
	FILE *f;

	uname(&u);
	printf("# kernel %s\n", u.release);
	print_file_line("thp enabled", "/sys/kernel/mm/transparent_hugepage/enabled");
	print_file_line("thp defrag", "/sys/kernel/mm/transparent_hugepage/defrag");
	print_file_line("thp shmem_enabled",
			"/sys/kernel/mm/transparent_hugepage/shmem_enabled");
	print_file_line("cmdline", "/proc/cmdline");
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	f = fopen(path, "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (strstr(line, "CONFIG_INIT_ON_ALLOC_DEFAULT_ON"))
				printf("# %s", line);
		fclose(f);
	}
}

static int group_setup(int ctl, int huge, uint64_t cap_pages, uint32_t budget)
{
	struct shadowalloc_pool_config cfg = {
		.flags = SHADOWALLOC_POOL_SET_HUGE | SHADOWALLOC_POOL_SET_MAX_AGE |
			 SHADOWALLOC_POOL_SET_CAP | SHADOWALLOC_POOL_SET_ZERO_BUDGET,
		.max_age_ms = 600000,
		.max_staged_bytes = cap_pages * PAGE,
		.huge = huge,
		.zero_pages_per_sec = budget,
	};

	shadowalloc_shadow_disable(ctl, GROUP);
	shadowalloc_group_remove_vm(ctl, GROUP, getpid());
	shadowalloc_group_destroy(ctl, GROUP);
	if (shadowalloc_group_create(ctl, GROUP, NULL) ||
	    shadowalloc_group_add_vm(ctl, GROUP, getpid()) ||
	    shadowalloc_pool_config(ctl, GROUP, &cfg) ||
	    shadowalloc_shadow_enable(ctl, GROUP)) {
		fprintf(stderr, "huge_rule_bench: cannot set up group %d\n", GROUP);
		return -1;
	}
	return 0;
}

static void group_teardown(int ctl)
{
	shadowalloc_shadow_disable(ctl, GROUP);
	shadowalloc_group_remove_vm(ctl, GROUP, getpid());
	shadowalloc_group_destroy(ctl, GROUP);
}

/*
 * One guest on a fresh memory object of the set-up group: @len bytes in
 * the pattern @stride, plus a warm-up page in an extra 2 MiB past them.
 */
static int touch_one(size_t len, uint32_t stride, enum madv madv, int ctl,
		     struct result *r)
{
	size_t map_len = len + HUGE;
	struct shadowalloc_stats st, end;
	uint64_t pf0, pf1, pages0;
	struct vm v = {};
	char *area, *data;
	double t0;
	int fd, ret;

	fd = shadowalloc_open();
	if (fd < 0)
		return -1;
	area = mmap(NULL, map_len + HUGE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		return -1;
	data = (char *)(((uintptr_t)area + HUGE - 1) & ~(HUGE - 1));
	data = mmap(data, map_len, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_SHARED,
		    fd, 0);
	if (data == MAP_FAILED)
		return -1;
	if (madv != MADV_NONE &&
	    madvise(data, map_len, madv == MADV_HUGE ? MADV_HUGEPAGE :
		    MADV_NOHUGEPAGE))
		return -1;
	if (vm_create(&v, data, map_len))
		return -1;
	/* Warm KVM up on the extra 2 MiB so the touch pays no setup. */
	if (vm_touch(&v, DATA_GPA + len, 1, PAGE))
		return -1;
	pages0 = mem_pages(fd);
	shadowalloc_get_stats(ctl, GROUP, &st);
	pf0 = kvm_pf_taken();
	t0 = now_ms();
	ret = vm_touch(&v, DATA_GPA, len / stride, stride);
	r->touch_ms = now_ms() - t0;
	pf1 = kvm_pf_taken();
	shadowalloc_get_stats(ctl, GROUP, &end);
	r->resident = mem_pages(fd) - pages0;
	r->kvm_faults = pf0 == (uint64_t)-1 || pf1 == (uint64_t)-1 ?
			(uint64_t)-1 : pf1 - pf0;
	r->faults = end.faults - st.faults;
	r->hits = end.hits - st.hits;
	r->hits_huge = end.hits_huge - st.hits_huge;
	r->misses = end.misses - st.misses;
	r->miss_pages = end.miss_pages - st.miss_pages;
	r->hit_ns = end.hit_service_ns - st.hit_service_ns;
	r->miss_ns = end.miss_service_ns - st.miss_service_ns;
	r->staged = end.staged_pages;
	vm_destroy(&v);
	munmap(area, map_len + HUGE);
	close(fd);
	return ret;
}

static int run_case(const struct hcase *c, size_t len, uint32_t stride, int ctl,
		    struct result *r)
{
	uint64_t touches = len / stride;
	uint64_t regions = (len + HUGE - 1) / HUGE;
	uint64_t reserve = 0, cap = 1;
	int ret;

	memset(r, 0, sizeof(*r));
	if (c->staged) {
		/* What the touch and the warm-up take, staged exactly. */
		if (c->huge && c->madv == MADV_HUGE)
			reserve = (regions + 1) * (HUGE / PAGE);
		else
			reserve = touches + 1;
		cap = reserve;
	}
	if (group_setup(ctl, c->huge, cap, c->staged ? SHADOWALLOC_ZERO_BUDGET_MAX :
			SHADOWALLOC_ZERO_BUDGET_MIN))
		return -1;
	if (reserve &&
	    (shadowalloc_stage_reserve(ctl, GROUP, reserve) ||
	     __sa_wait_staged(ctl, GROUP, reserve))) {
		fprintf(stderr, "huge_rule_bench: %s: reserve %llu pages failed\n",
			c->name, (unsigned long long)reserve);
		return -1;
	}
	/*
	 * The reservation is staged: from now on the refill may zero only
	 * the minimum budget, so it neither competes with the guest for
	 * the CPU nor stages more behind it (the forecaster would).
	 */
	if (reserve) {
		struct shadowalloc_pool_config slow = {
			.flags = SHADOWALLOC_POOL_SET_ZERO_BUDGET,
			.zero_pages_per_sec = SHADOWALLOC_ZERO_BUDGET_MIN,
		};

		if (shadowalloc_pool_config(ctl, GROUP, &slow))
			return -1;
	}
	r->reserved = reserve;
	ret = touch_one(len, stride, c->madv, ctl, r);
	group_teardown(ctl);
	return ret;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void print_json(int round, const struct pattern *p, const struct hcase *c,
		       unsigned long mib, const struct result *r, double ratio)
{
	printf("{\"round\":%d,\"pattern\":\"%s\",\"case\":\"%s\",\"mib\":%lu,"
	       "\"touches\":%lu,\"guest_touch_ms\":%.2f,\"vs_4k_staged\":%.4f,"
	       "\"kvm_pf_taken\":%lld,\"faults\":%llu,\"hits\":%llu,"
	       "\"hits_huge\":%llu,\"misses\":%llu,\"miss_pages\":%llu,"
	       "\"hit_service_ns\":%llu,\"miss_service_ns\":%llu,"
	       "\"reserved_pages\":%llu,\"resident_pages\":%llu,"
	       "\"staged_pages_after\":%llu}\n",
	       round, p->name, c->name, mib, (mib << 20) / p->stride,
	       r->touch_ms, ratio, (long long)r->kvm_faults,
	       (unsigned long long)r->faults, (unsigned long long)r->hits,
	       (unsigned long long)r->hits_huge, (unsigned long long)r->misses,
	       (unsigned long long)r->miss_pages, (unsigned long long)r->hit_ns,
	       (unsigned long long)r->miss_ns, (unsigned long long)r->reserved,
	       (unsigned long long)r->resident, (unsigned long long)r->staged);
	fflush(stdout);
}

/* @ns / @n in microseconds, "-" when @n is 0. */
static const char *per_us(uint64_t ns, uint64_t n, char *buf)
{
	if (!n)
		return "-";
	snprintf(buf, 16, "%.1f", ns / 1e3 / n);
	return buf;
}

static int rule_main(unsigned long mib, int rounds, int ctl)
{
	static struct result res[MAX_ROUNDS][NR_PATTERNS][NR_CASES];
	size_t len = mib << 20;
	unsigned int p, c;
	int round;

	for (round = 0; round < rounds; round++)
		for (p = 0; p < NR_PATTERNS; p++)
			for (c = 0; c < NR_CASES; c++) {
				struct result *r = &res[round][p][c];

				if (run_case(&cases[c], len, patterns[p].stride,
					     ctl, r)) {
					fprintf(stderr, "huge_rule_bench: %s %s failed\n",
						patterns[p].name, cases[c].name);
					return 1;
				}
				print_json(round + 1, &patterns[p], &cases[c], mib, r,
					   r->touch_ms / res[round][p][0].touch_ms);
			}

	printf("\n# %lu MiB, %d round(s); touch ms: median over rounds; vs 4k: median "
	       "of the per-round ratios to 4k-staged; counts, service times and "
	       "memory: last round; resident and staged in 4 KiB pages, held = "
	       "resident + staged; res/4k: resident vs 4k-staged\n",
	       mib, rounds);
	printf("%-8s %-15s %9s %7s %7s %6s %6s %6s %8s %7s %7s %8s %7s %8s %7s\n",
	       "pattern", "case", "touch ms", "vs 4k", "KVM pf", "hits",
	       "2M hit", "misses", "miss pgs", "hit us", "miss us", "resident",
	       "staged", "held MiB", "res/4k");
	for (p = 0; p < NR_PATTERNS; p++) {
		const struct result *base = &res[rounds - 1][p][0];

		for (c = 0; c < NR_CASES; c++) {
			const struct result *r = &res[rounds - 1][p][c];
			double t[MAX_ROUNDS], q[MAX_ROUNDS];
			char hit_us[16], miss_us[16];
			double held = r->resident + r->staged;

			for (round = 0; round < rounds; round++) {
				t[round] = res[round][p][c].touch_ms;
				q[round] = res[round][p][c].touch_ms /
					   res[round][p][0].touch_ms;
			}
			printf("%-8s %-15s %9.1f %7.3f %7lld %6llu %6llu %6llu %8llu %7s %7s %8llu %7llu %8.1f %7.1f\n",
			       patterns[p].name, cases[c].name, median(t, rounds),
			       median(q, rounds), (long long)r->kvm_faults,
			       (unsigned long long)r->hits,
			       (unsigned long long)r->hits_huge,
			       (unsigned long long)r->misses,
			       (unsigned long long)r->miss_pages,
			       per_us(r->hit_ns, r->hits, hit_us),
			       per_us(r->miss_ns, r->misses, miss_us),
			       (unsigned long long)r->resident,
			       (unsigned long long)r->staged,
			       held * PAGE / (1 << 20),
			       base->resident ? (double)r->resident / base->resident : 0.0);
		}
	}
	return 0;
}

/* forecast_huge of the group, this VM's where-verdict and regions closed, or -1. */
static void read_verdicts(int *group_huge, int *vm_huge, long long *regions)
{
	char line[512], want_g[64], want_v[64];
	FILE *f = fopen("/sys/kernel/debug/shadowalloc/telemetry", "r");
	unsigned long a, b;

	*group_huge = *vm_huge = -1;
	*regions = -1;
	if (!f)
		return;
	snprintf(want_g, sizeof(want_g), "group %d pool target", GROUP);
	snprintf(want_v, sizeof(want_v), "vm %d %d where", GROUP, getpid());
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, want_g, strlen(want_g)))
			sscanf(line + strlen(want_g), " %lu forecast %lu huge %d",
			       &a, &b, group_huge);
		else if (!strncmp(line, want_v, strlen(want_v)))
			sscanf(line + strlen(want_v), " regions %lld huge %d",
			       regions, vm_huge);
	}
	fclose(f);
}

static int learn_main(unsigned long mib, int ctl)
{
	static const struct {
		unsigned int pattern;
		enum madv madv;
		const char *what;
	} steps[] = {
		{ 2, MADV_NONE, "sparse1 no madvise" },
		{ 2, MADV_NONE, "sparse1 no madvise" },
		{ 2, MADV_NONE, "sparse1 no madvise" },
		{ 2, MADV_NOHUGE, "sparse1 MADV_NOHUGEPAGE" },
		{ 2, MADV_NOHUGE, "sparse1 MADV_NOHUGEPAGE" },
		{ 2, MADV_NONE, "sparse1 no madvise" },
		{ 0, MADV_NONE, "dense no madvise" },
		{ 0, MADV_NONE, "dense no madvise" },
	};
	struct shadowalloc_stats st;
	size_t len = mib << 20;
	unsigned int i;

	if (group_setup(ctl, 1, 1, SHADOWALLOC_ZERO_BUDGET_MIN))
		return 1;
	printf("%-5s %-24s %6s %6s %9s %8s %6s %6s %6s %9s %9s\n", "round",
	       "guest", "pool", "vm", "touch ms", "KVM pf", "hits", "2M hit",
	       "misses", "miss pgs", "resident");
	printf("%-5s %-24s %6s %6s\n", "", "", "huge", "huge");
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const struct pattern *p = &patterns[steps[i].pattern];
		int gh, vh;
		long long regions;
		struct result r = {};

		/* Let the drain and a few forecast ticks see the last round. */
		usleep(10 * SHADOWALLOC_TICK_MS * 1000);
		read_verdicts(&gh, &vh, &regions);
		if (touch_one(len, p->stride, steps[i].madv, ctl, &r)) {
			fprintf(stderr, "huge_rule_bench: learn round %u failed\n", i + 1);
			return 1;
		}
		printf("{\"learn_round\":%u,\"guest\":\"%s\",\"forecast_huge_before\":%d,"
		       "\"vm_where_huge_before\":%d,\"where_regions\":%lld,"
		       "\"guest_touch_ms\":%.2f,\"kvm_pf_taken\":%lld,\"hits\":%llu,"
		       "\"hits_huge\":%llu,\"misses\":%llu,\"miss_pages\":%llu,"
		       "\"resident_pages\":%llu}\n",
		       i + 1, steps[i].what, gh, vh, regions, r.touch_ms,
		       (long long)r.kvm_faults, (unsigned long long)r.hits,
		       (unsigned long long)r.hits_huge,
		       (unsigned long long)r.misses,
		       (unsigned long long)r.miss_pages,
		       (unsigned long long)r.resident);
		printf("%-5u %-24s %6d %6d %9.1f %8lld %6llu %6llu %6llu %9llu %9llu\n",
		       i + 1, steps[i].what, gh, vh, r.touch_ms,
		       (long long)r.kvm_faults, (unsigned long long)r.hits,
		       (unsigned long long)r.hits_huge,
		       (unsigned long long)r.misses,
		       (unsigned long long)r.miss_pages,
		       (unsigned long long)r.resident);
		fflush(stdout);
	}
	shadowalloc_get_stats(ctl, GROUP, &st);
	printf("# telemetry events seen by the group: %llu (0: not attached)\n",
	       (unsigned long long)st.events_seen);
	group_teardown(ctl);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long mib = 64;
	bool learn = false;
	int rounds = 1, i, ctl, ret;
	char *end;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--learn")) {
			learn = true;
		} else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
			rounds = strtol(argv[++i], &end, 10);
			if (*end || rounds < 1 || rounds > MAX_ROUNDS)
				goto usage;
		} else {
			mib = strtoul(argv[i], &end, 10);
			if (*end || !mib || mib > 1024 || mib % 2)
				goto usage;
		}
	}
	ctl = shadowalloc_open();
	if (ctl < 0) {
		fprintf(stderr, "huge_rule_bench: /dev/shadowalloc: %s\n", strerror(-ctl));
		return 1;
	}
	print_settings();
	if (learn) {
		printf("# --learn: %lu MiB per round, huge=1, nothing staged\n", mib);
		ret = learn_main(mib, ctl);
	} else {
		ret = rule_main(mib, rounds, ctl);
	}
	group_teardown(ctl);
	return ret;
usage:
	fprintf(stderr, "usage: huge_rule_bench [--rounds 1..%d] [MIB]  |  "
		"huge_rule_bench --learn [MIB]   (MIB even, 2..1024)\n", MAX_ROUNDS);
	return 2;
}
