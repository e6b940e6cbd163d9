// SPDX-License-Identifier: GPL-2.0
/*
 * Memory pressure against a large staging pool: a quarter of RAM is
 * reserved and staged, then a memory hog allocates and touches more than
 * all free memory (free memory plus 40..60 % of the pool, drawn from the
 * seed). The hog fits only if reclaim takes staged pages, so the pool's
 * shrinker must give way: the hog gets all its memory and exits normally,
 * nothing is OOM-killed (the hog has oom_score_adj 1000, so it would be
 * the victim if the pool failed to yield), the pool shrank by at least
 * what the hog could not find elsewhere, and once the hog has exited the
 * pool is staged back to its target, the reservation (polled with a
 * deadline: the refill backs off for a second or more after the shrinker).
 *
 *   SA_SEED=N   the random seed (printed; default from the clock)
 */
#define _GNU_SOURCE
#include <poll.h>
#include <sys/mman.h>
#include <time.h>

#include "kselftest_harness.h"
#include "sa_test.h"
#include "sa_reliability.h"

#define G1		731
#define PAGE		4096UL
#define RESTAGE_S	30	/* deadline for the pool to come back */
#define HOG_S		60	/* deadline for the hog to touch its memory */

/* A "Key: value kB" line of /proc/meminfo, in KiB, or -1. */
static long meminfo_kib(const char *key)
{
	char line[128];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

/* A counter of /proc/vmstat, or -1. */
static long vmstat_value(const char *key)
{
	char k[64];
	long v, found = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", k, &v) == 2)
		if (!strcmp(k, key))
			found = v;
	fclose(f);
	return found;
}

/*
 * The hog: @bytes of anonymous memory, every page written (in @stride
 * order, so reclaim sees no sequential pattern), then one byte on @done and
 * wait for the parent to close @go. Exits 0 only with all of it touched.
 */
static void hog(size_t bytes, unsigned long stride, int done, int go)
{
	unsigned long pages = bytes / PAGE, i, p;
	char c = 1;
	char *m;

	__sa_write_file("/proc/self/oom_score_adj", "1000");
	m = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		_exit(2);
	/* stride is coprime to pages: every page once. */
	for (i = 0, p = 0; i < pages; i++, p = (p + stride) % pages)
		m[p * PAGE] = 1;
	if (write(done, &c, 1) != 1)
		_exit(3);
	if (read(go, &c, 1) < 0)
		_exit(4);
	_exit(0);
}

static unsigned long gcd(unsigned long a, unsigned long b)
{
	while (b) {
		unsigned long t = a % b;

		a = b;
		b = t;
	}
	return a;
}

FIXTURE(pressure) {
	int fd;
};

FIXTURE_SETUP(pressure)
{
	self->fd = open(SA_DEV, O_RDWR);
	if (self->fd < 0)
		SKIP(return, "%s: %s", SA_DEV, strerror(errno));
	__sa_destroy(self->fd, G1);
	ASSERT_EQ(0, __sa_create(self->fd, G1, 0, 0, 0));
}

FIXTURE_TEARDOWN(pressure)
{
	if (self->fd < 0)
		return;
	__sa_disable(self->fd, G1);
	__sa_destroy(self->fd, G1);
	close(self->fd);
}

TEST_F_TIMEOUT(pressure, hog_takes_the_pool_then_it_comes_back, 240)
{
	unsigned int seed = sa_seed(), huge, pct;
	struct shadowalloc_stats st0, st1, st2;
	long total_kib, free_kib, other_kib, oom0, oom1;
	unsigned long reserve, hog_pages, need, stride, staged_min;
	int done[2], go[2], status;
	struct pollfd pfd;
	double t0, t_hog, t_back = -1;
	char c;
	pid_t pid;

	srand(seed);
	huge = rand() % 2;
	pct = 40 + rand() % 21;
	TH_LOG("seed %u (SA_SEED=%u repeats this run): 2 MiB staging %u, hog beyond free memory %u %% of the pool",
	       seed, seed, huge, pct);
	t0 = sa_now_s();

	/* Caches dropped with nothing staged: free memory is free. */
	ASSERT_EQ(0, __sa_write_file("/proc/sys/vm/drop_caches", "3"));
	total_kib = meminfo_kib("MemTotal");
	ASSERT_GT(total_kib, 0);
	reserve = total_kib / 4 / (PAGE / 1024);
	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_MAX_AGE |
			       SHADOWALLOC_POOL_SET_CAP |
			       SHADOWALLOC_POOL_SET_HUGE, 600000,
			       reserve * PAGE, huge));
	ASSERT_EQ(0, __sa_enable(self->fd, G1));
	ASSERT_EQ(0, __sa_reserve(self->fd, G1, reserve));
	ASSERT_EQ(0, __sa_wait_staged(self->fd, G1, reserve))
		TH_LOG("the pool did not reach its reservation of %lu pages",
		       reserve);
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st0));

	/*
	 * More than free memory by pct % of the pool. What else reclaim could
	 * free (file pages, reclaimable slab) is counted against the part the
	 * pool must give: need is what can only come from staged pages.
	 */
	free_kib = meminfo_kib("MemFree");
	other_kib = meminfo_kib("Active(file)") + meminfo_kib("Inactive(file)") +
		    meminfo_kib("SReclaimable");
	hog_pages = free_kib / (PAGE / 1024) + st0.staged_pages * pct / 100;
	need = hog_pages - free_kib / (PAGE / 1024);
	need = need > (unsigned long)other_kib / (PAGE / 1024) ?
	       need - other_kib / (PAGE / 1024) : 0;
	for (stride = hog_pages / 3 + 1; gcd(stride, hog_pages) != 1; stride++)
		;
	TH_LOG("RAM %ld MiB, staged %llu pages (%llu MiB, %llu as 2 MiB) in %.1f s; free %ld MiB, other reclaimable %ld MiB; hog %lu MiB, at least %lu pages must come from the pool",
	       total_kib >> 10, (unsigned long long)st0.staged_pages,
	       (unsigned long long)st0.staged_pages >> 8,
	       (unsigned long long)st0.staged_huge_pages, sa_now_s() - t0,
	       free_kib >> 10, other_kib >> 10, hog_pages >> 8, need);

	oom0 = vmstat_value("oom_kill");
	ASSERT_GE(oom0, 0);
	ASSERT_EQ(0, pipe(done));
	ASSERT_EQ(0, pipe(go));
	t_hog = sa_now_s();
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(done[0]);
		close(go[1]);
		hog(hog_pages * PAGE, stride, done[1], go[0]);
	}
	close(done[1]);
	close(go[0]);
	pfd.fd = done[0];
	pfd.events = POLLIN;
	/* The hog holds all its memory now, or died trying. */
	EXPECT_EQ(1, poll(&pfd, 1, HOG_S * 1000));
	EXPECT_EQ(1, read(done[0], &c, 1)) TH_LOG("the hog died touching");
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st1));
	staged_min = st1.staged_pages;
	TH_LOG("hog touched %lu MiB in %.1f s: staged %llu pages (was %llu), evicted +%llu, shortfall %llu",
	       hog_pages >> 8, sa_now_s() - t_hog,
	       (unsigned long long)st1.staged_pages,
	       (unsigned long long)st0.staged_pages,
	       (unsigned long long)(st1.evicted_pages - st0.evicted_pages),
	       (unsigned long long)st1.reserve_shortfall_pages);
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	close(done[0]);
	oom1 = vmstat_value("oom_kill");

	/* The pool is staged back to the reservation once memory allows. */
	t_hog = sa_now_s();
	while (sa_now_s() - t_hog < RESTAGE_S) {
		ASSERT_EQ(0, __sa_stats(self->fd, G1, &st2));
		if (st2.staged_pages < staged_min)
			staged_min = st2.staged_pages;
		if (st2.staged_pages >= reserve) {
			t_back = sa_now_s() - t_hog;
			break;
		}
		usleep(100000);
	}
	TH_LOG("after the hog: staged %llu of %lu pages %s %.1f s, target %llu, reserved %llu, shortfall %llu, back-offs %llu; OOM kills %ld; %.1f s in all",
	       (unsigned long long)st2.staged_pages, reserve,
	       t_back >= 0 ? "after" : "still, deadline", t_back >= 0 ? t_back :
	       (double)RESTAGE_S, (unsigned long long)st2.staging_target_pages,
	       (unsigned long long)st2.reserved_pages,
	       (unsigned long long)st2.reserve_shortfall_pages,
	       (unsigned long long)st2.refill_backoffs, oom1 - oom0,
	       sa_now_s() - t0);

	/* No OOM kill: the hog got all of its memory and exited by itself. */
	EXPECT_EQ(0, oom1 - oom0);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("hog status %#x", status);
	/* The pool gave way: at least what nothing else could give. */
	EXPECT_GE(st1.evicted_pages - st0.evicted_pages, need);
	EXPECT_LE(staged_min, st0.staged_pages - need);
	/* And came back to its target. */
	EXPECT_GE(st2.staged_pages, reserve);
	EXPECT_GE(st2.staging_target_pages, reserve);
	EXPECT_EQ(0, st2.reserve_shortfall_pages);

	ASSERT_EQ(0, __sa_disable(self->fd, G1));
	EXPECT_EQ(0, sa_debugfs_value("staged_pages "));
	EXPECT_EQ(0, sa_debugfs_value("mem_pages "));
}

TEST_HARNESS_MAIN
