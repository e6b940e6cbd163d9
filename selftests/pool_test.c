// SPDX-License-Identifier: GPL-2.0
/*
 * The staging pool as the rest of the system sees it: the zeroing budget
 * (its range, and a refill that fills no faster than it allows), staged
 * pages counted as reclaimable kernel memory, the shrinker's back-off, a
 * CPU going offline with staged folios in its per-CPU cache, (on a
 * machine with two NUMA nodes with memory) per-node pools and policies,
 * and 2 MiB blocks split for 4 KiB faults (a KVM guest on a mapping
 * without THP, re-touches of hole-punched ranges) with 4 KiB staged again
 * for them.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/mempolicy.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "kselftest_harness.h"
#include "kvm_guest.h"
#include "sa_test.h"
#include "sa_reliability.h"

#define G1 601
#define PAGE 4096UL
#define BLOCK 512UL		/* 4 KiB pages in a 2 MiB block */
#define HUGE (BLOCK * PAGE)
#define POOLS "/sys/kernel/debug/shadowalloc/pools"
#define CPU1_ONLINE "/sys/devices/system/cpu/cpu1/online"

/* The module's default budget: 1 GiB/s. */
#define DEFAULT_BUDGET (1U << 18)
/* The budget's bucket: one SHADOWALLOC_TICK_MS worth. */
#define BUCKET(rate) ((rate) * SHADOWALLOC_TICK_MS / 1000)

static int pool_budget(int fd, uint32_t id, uint32_t flags,
		       uint32_t max_age_ms, uint32_t pages_per_sec)
{
	struct shadowalloc_pool_config c = {
		.size = sizeof(c), .group_id = id, .flags = flags,
		.max_age_ms = max_age_ms, .zero_pages_per_sec = pages_per_sec,
	};

	return __sa_ioctl(fd, SHADOWALLOC_IOC_POOL_CONFIG, &c);
}

/*
 * Sum of @key over the lines of debugfs "pools" that start with
 * "group @id @what"; -1 if there is no such line or file.
 */
static long pools_sum(uint32_t id, const char *what, const char *key)
{
	char line[512], prefix[64], *p;
	FILE *f = fopen(POOLS, "r");
	long sum = -1;

	if (!f)
		return -1;
	snprintf(prefix, sizeof(prefix), "group %u %s", id, what);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, prefix, strlen(prefix)))
			continue;
		p = strstr(line, key);
		if (!p)
			continue;
		if (sum < 0)
			sum = 0;
		sum += strtol(p + strlen(key), NULL, 10);
	}
	fclose(f);
	return sum;
}

/*
 * nr_kernel_misc_reclaimable of node @nid, or of the system for -1, with
 * the per-CPU deltas folded in first.
 */
static long misc_reclaimable_of(int nid)
{
	char line[128], path[64];
	long v = -1;
	FILE *f;

	if (__sa_write_file("/proc/sys/vm/stat_refresh", "1"))
		return -1;
	if (nid < 0)
		snprintf(path, sizeof(path), "/proc/vmstat");
	else
		snprintf(path, sizeof(path),
			 "/sys/devices/system/node/node%d/vmstat", nid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "nr_kernel_misc_reclaimable ", 27))
			v = strtol(line + 27, NULL, 10);
	fclose(f);
	return v;
}

static long misc_reclaimable(void)
{
	return misc_reclaimable_of(-1);
}

/* Nodes with memory: has_memory lists them as "0-1,3". */
static int nodes_with_memory(void)
{
	FILE *f = fopen("/sys/devices/system/node/has_memory", "r");
	int a, b, n = 0;
	char sep;

	if (!f)
		return 1;
	while (fscanf(f, "%d", &a) == 1) {
		b = a;
		if (fscanf(f, "%c", &sep) == 1 && sep == '-' &&
		    fscanf(f, "%d", &b) == 1)
			fscanf(f, "%c", &sep);
		n += b - a + 1;
	}
	fclose(f);
	return n;
}

/* The node each of @n pages from @p is on (move_pages(2) without moving). */
static int pages_on_node(char *p, unsigned long n, int nid)
{
	void *pages[512];
	int status[512];
	unsigned long i;

	if (n > 512)
		return -1;
	for (i = 0; i < n; i++)
		pages[i] = p + i * PAGE;
	if (syscall(SYS_move_pages, 0, n, pages, NULL, status, 0))
		return -1;
	for (i = 0; i < n; i++)
		if (status[i] != nid)
			return 0;
	return 1;
}

static int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static bool cpu1_online(void)
{
	unsigned long v = 1;

	/* No file: CPU 1 cannot go offline (or does not exist). */
	return __sa_read_ulong(CPU1_ONLINE, &v) || v;
}

FIXTURE(pool) {
	int fd;
};

FIXTURE_SETUP(pool)
{
	self->fd = open(SA_DEV, O_RDWR);
	if (self->fd < 0)
		SKIP(return, "%s: %s", SA_DEV, strerror(errno));
	if (!cpu1_online())
		__sa_write_file(CPU1_ONLINE, "1");
	__sa_remove_vm(self->fd, G1, getpid());
	__sa_destroy(self->fd, G1);
	ASSERT_EQ(0, __sa_create(self->fd, G1, 0, 0, 0));
}

FIXTURE_TEARDOWN(pool)
{
	if (self->fd < 0)
		return;
	if (!cpu1_online())
		__sa_write_file(CPU1_ONLINE, "1");
	__sa_remove_vm(self->fd, G1, getpid());
	__sa_destroy(self->fd, G1);
	close(self->fd);
}

TEST_F(pool, zero_budget_range)
{
	struct shadowalloc_stats before, after;

	ASSERT_EQ(0, __sa_stats(self->fd, G1, &before));
	EXPECT_EQ(DEFAULT_BUDGET, before.zero_pages_per_sec);
	EXPECT_EQ(0, before.zeroed_pages);
	EXPECT_EQ(0, before.refill_throttled);
	EXPECT_EQ(0, before.refill_backoffs);

	EXPECT_EQ(-ERANGE, pool_budget(self->fd, G1,
				       SHADOWALLOC_POOL_SET_ZERO_BUDGET, 0, 0));
	EXPECT_EQ(-ERANGE, pool_budget(self->fd, G1,
				       SHADOWALLOC_POOL_SET_ZERO_BUDGET, 0,
				       SHADOWALLOC_ZERO_BUDGET_MIN - 1));
	EXPECT_EQ(-ERANGE, pool_budget(self->fd, G1,
				       SHADOWALLOC_POOL_SET_ZERO_BUDGET, 0,
				       SHADOWALLOC_ZERO_BUDGET_MAX + 1));
	EXPECT_EQ(-ERANGE, pool_budget(self->fd, G1,
				       SHADOWALLOC_POOL_SET_ZERO_BUDGET, 0,
				       UINT32_MAX));
	/* A bad budget fails the whole call: the good max age is not set. */
	EXPECT_EQ(-ERANGE, pool_budget(self->fd, G1,
				       SHADOWALLOC_POOL_SET_ZERO_BUDGET |
				       SHADOWALLOC_POOL_SET_MAX_AGE, 1234, 1));
	/* Without its flag the field is not looked at. */
	EXPECT_EQ(0, pool_budget(self->fd, G1, SHADOWALLOC_POOL_SET_MAX_AGE,
				 before.max_age_ms, 7));
	/* Unknown flags and other groups. */
	EXPECT_EQ(-EINVAL, pool_budget(self->fd, G1,
				       SHADOWALLOC_POOL_SET_ALL + 1, 0,
				       SHADOWALLOC_ZERO_BUDGET_MIN));
	EXPECT_EQ(-ENOENT, pool_budget(self->fd, G1 + 1,
				       SHADOWALLOC_POOL_SET_ZERO_BUDGET, 0,
				       SHADOWALLOC_ZERO_BUDGET_MIN));
	EXPECT_EQ(-EINVAL, pool_budget(self->fd, 0,
				       SHADOWALLOC_POOL_SET_ZERO_BUDGET, 0,
				       SHADOWALLOC_ZERO_BUDGET_MIN));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &after));
	EXPECT_EQ(DEFAULT_BUDGET, after.zero_pages_per_sec);
	EXPECT_EQ(before.max_age_ms, after.max_age_ms);

	/* Both ends of the range apply and are reported. */
	EXPECT_EQ(0, pool_budget(self->fd, G1, SHADOWALLOC_POOL_SET_ZERO_BUDGET,
				 0, SHADOWALLOC_ZERO_BUDGET_MIN));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &after));
	EXPECT_EQ(SHADOWALLOC_ZERO_BUDGET_MIN, after.zero_pages_per_sec);
	EXPECT_EQ(0, pool_budget(self->fd, G1, SHADOWALLOC_POOL_SET_ZERO_BUDGET,
				 0, SHADOWALLOC_ZERO_BUDGET_MAX));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &after));
	EXPECT_EQ(SHADOWALLOC_ZERO_BUDGET_MAX, after.zero_pages_per_sec);
	EXPECT_EQ(before.max_age_ms, after.max_age_ms);
}

/*
 * At the lowest budget a reservation of many seconds' worth fills at the
 * budget's pace: never more than budget * elapsed + one bucket, and not
 * much less; raising the budget applies at once.
 */
TEST_F(pool, zero_budget_bounds_refill)
{
	const uint32_t rate = SHADOWALLOC_ZERO_BUDGET_MIN;
	const uint64_t n = 4096;
	struct shadowalloc_stats st;
	double t0, t = 0;
	uint64_t bound = 0;
	int i;

	ASSERT_EQ(0, pool_budget(self->fd, G1, SHADOWALLOC_POOL_SET_ZERO_BUDGET |
				 SHADOWALLOC_POOL_SET_MAX_AGE, 600000, rate));
	ASSERT_EQ(0, __sa_enable(self->fd, G1));
	t0 = sa_now_s();
	ASSERT_EQ(0, __sa_reserve(self->fd, G1, n));
	for (i = 0; i < 12; i++) {
		usleep(100000);
		ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
		t = sa_now_s();
		/* One page of slack: the last folio may take the bucket below 0. */
		bound = (uint64_t)(rate * (t - t0)) + BUCKET(rate) + 1;
		ASSERT_LE(st.staged_pages, bound)
			TH_LOG("%llu pages staged after %.3f s, budget %u/s",
			       st.staged_pages, t - t0, rate);
	}
	TH_LOG("%llu pages staged in %.3f s at %u pages/s (bound %llu); throttled %llu",
	       st.staged_pages, t - t0, rate, (unsigned long long)bound,
	       st.refill_throttled);
	/* It did refill, at about the budget (TCG is slow, not that slow). */
	EXPECT_GE(st.staged_pages, (uint64_t)(rate * (t - t0) / 2));
	EXPECT_GT(st.refill_throttled, 0);
	EXPECT_EQ(st.staged_total, st.zeroed_pages);
	EXPECT_EQ(rate, st.zero_pages_per_sec);

	/* A higher budget wakes the waiting refill: the rest comes quickly. */
	ASSERT_EQ(0, pool_budget(self->fd, G1, SHADOWALLOC_POOL_SET_ZERO_BUDGET,
				 0, SHADOWALLOC_ZERO_BUDGET_MAX));
	t0 = sa_now_s();
	ASSERT_EQ(0, __sa_wait_staged(self->fd, G1, n));
	TH_LOG("the remaining pages in %.3f s at %u pages/s", sa_now_s() - t0,
	       SHADOWALLOC_ZERO_BUDGET_MAX);
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(n, st.staged_pages);
	EXPECT_EQ(n, st.zeroed_pages);
	ASSERT_EQ(0, __sa_disable(self->fd, G1));
}

/*
 * Staged pages are reclaimable kernel memory: nr_kernel_misc_reclaimable
 * rises by exactly the staged pages (2 MiB folios too) and is back where
 * it was once the pool is disabled. debugfs shows them on their node.
 */
TEST_F(pool, staged_counted_reclaimable)
{
	const uint64_t n = 3 * 512 + 100;
	struct shadowalloc_stats st;
	long base, staged;

	base = misc_reclaimable();
	ASSERT_GE(base, 0);
	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_HUGE |
			       SHADOWALLOC_POOL_SET_MAX_AGE, 600000, 0, 1));
	ASSERT_EQ(0, __sa_stage(self->fd, G1, n));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	staged = misc_reclaimable() - base;
	TH_LOG("%llu pages staged (%llu in 2 MiB folios): nr_kernel_misc_reclaimable +%ld",
	       st.staged_pages, st.staged_huge_pages, staged);
	EXPECT_EQ(st.staged_pages, staged);
	EXPECT_EQ(st.staged_pages, pools_sum(G1, "node", " staged "));
	EXPECT_EQ(st.staged_pages, pools_sum(G1, "pool", " staged "));
	EXPECT_EQ(st.staged_huge_pages, pools_sum(G1, "node", " staged_huge "));

	ASSERT_EQ(0, __sa_disable(self->fd, G1));
	EXPECT_EQ(base, misc_reclaimable());
	EXPECT_EQ(0, pools_sum(G1, "node", " staged "));
	EXPECT_EQ(0, sa_debugfs_value("staged_pages "));
}

/*
 * Reclaim (drop_caches runs every shrinker on every node) takes the staged
 * pages, and the pool does not stage again for a second: a new
 * reservation waits for the back-off, which is counted, then fills.
 */
TEST_F(pool, shrinker_backs_off)
{
	const uint64_t n = 512;
	struct shadowalloc_stats st;
	double t0;

	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_MAX_AGE,
			       600000, 0, 0));
	ASSERT_EQ(0, __sa_stage(self->fd, G1, n));
	ASSERT_EQ(0, __sa_write_file("/proc/sys/vm/drop_caches", "2"));
	t0 = sa_now_s();
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(0, st.staged_pages);
	EXPECT_EQ(n, st.evicted_pages);

	ASSERT_EQ(0, __sa_reserve(self->fd, G1, n));
	usleep(300000);
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	if (sa_now_s() - t0 < 0.9) {
		EXPECT_EQ(0, st.staged_pages)
			TH_LOG("staged %llu pages %.3f s after the shrinker",
			       st.staged_pages, sa_now_s() - t0);
		EXPECT_GT(st.refill_backoffs, 0);
	}
	ASSERT_EQ(0, __sa_wait_staged(self->fd, G1, n));
	TH_LOG("refilled %.3f s after the shrinker", sa_now_s() - t0);
	EXPECT_GE(sa_now_s() - t0, 0.9);
	ASSERT_EQ(0, __sa_disable(self->fd, G1));
}

/* Wait until the pool's staged count holds still for half a second. */
static long settled_staged(int fd)
{
	struct shadowalloc_stats a, b;
	int i;

	for (i = 0; i < 60; i++) {
		if (__sa_stats(fd, G1, &a))
			return -1;
		usleep(500000);
		if (__sa_stats(fd, G1, &b))
			return -1;
		if (a.staged_pages == b.staged_pages)
			return b.staged_pages;
	}
	return -1;
}

/*
 * A CPU going offline with folios in its cache: they go back to the
 * node's list (the cache reads empty, nothing is lost from the count) and
 * faults on the other CPUs take them.
 */
TEST_F_TIMEOUT(pool, cpu_offline_drains_cache, 120)
{
	const unsigned long n = 256, touched = 5;
	struct shadowalloc_stats st, st2;
	long staged, cached, listed;
	unsigned long i;
	char *p;
	int mfd;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || access(CPU1_ONLINE, W_OK))
		SKIP(return, "CPU 1 cannot go offline");
	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, getpid()));
	/* Ageing drains caches too: only once, right after enabling. */
	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_MAX_AGE |
			       SHADOWALLOC_POOL_SET_CAP, 600000, n * PAGE, 0));
	ASSERT_EQ(0, __sa_stage(self->fd, G1, n));
	usleep(300000);
	mfd = open(SA_DEV, O_RDWR);
	ASSERT_GE(mfd, 0);
	p = mmap(NULL, 2 * n * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, p);

	/* From CPU 1: its cache takes a batch, the touches a few of it. */
	ASSERT_EQ(0, pin_to_cpu(1));
	for (i = 0; i < touched; i++)
		p[i * PAGE] = 1;
	ASSERT_EQ(0, pin_to_cpu(0));
	staged = settled_staged(self->fd);
	ASSERT_GT(staged, 0);
	cached = pools_sum(G1, "cpu 1 ", " cached ");
	listed = pools_sum(G1, "node", " listed_4k ");
	TH_LOG("before: staged %ld, CPU 1 caches %ld, lists %ld", staged,
	       cached, listed);
	ASSERT_GT(cached, 0);

	ASSERT_EQ(0, __sa_write_file(CPU1_ONLINE, "0"));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(staged, st.staged_pages);
	EXPECT_EQ(-1, pools_sum(G1, "cpu 1 ", " cached "));
	EXPECT_EQ(listed + cached, pools_sum(G1, "node", " listed_4k "));
	TH_LOG("after: staged %llu, lists %ld", st.staged_pages,
	       pools_sum(G1, "node", " listed_4k "));

	/* Every staged page serves a fault on CPU 0. */
	for (i = touched; i < touched + staged; i++)
		p[i * PAGE] = 1;
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st2));
	EXPECT_EQ(st.hits + staged, st2.hits);
	EXPECT_EQ(st.misses, st2.misses);

	ASSERT_EQ(0, __sa_write_file(CPU1_ONLINE, "1"));
	munmap(p, 2 * n * PAGE);
	close(mfd);
	ASSERT_EQ(0, __sa_disable(self->fd, G1));
	EXPECT_EQ(0, sa_debugfs_value("staged_pages "));
	EXPECT_EQ(0, sa_debugfs_value("mem_pages "));
}

/*
 * Two nodes: with no demand recorded the target is split evenly, each
 * node's staged pages are its reclaimable memory, a fault bound to a node
 * takes only that node's folios, and a fault with the default policy its
 * CPU's node's.
 */
TEST_F(pool, numa_nodes_and_policy)
{
	const unsigned long n = 1000, bound = 100, local = 50;
	struct shadowalloc_stats st, st2;
	unsigned long mask = 1UL << 1, i;
	long base0, base1, node0, node1;
	char *p;
	int mfd;

	if (nodes_with_memory() < 2)
		SKIP(return, "one NUMA node with memory");
	base0 = misc_reclaimable_of(0);
	base1 = misc_reclaimable_of(1);
	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, getpid()));
	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_MAX_AGE,
			       600000, 0, 0));
	ASSERT_EQ(0, __sa_stage(self->fd, G1, n));
	node0 = pools_sum(G1, "node 0 ", " staged ");
	node1 = pools_sum(G1, "node 1 ", " staged ");
	TH_LOG("even split: node 0 %ld, node 1 %ld", node0, node1);
	EXPECT_EQ(n / 2, node0);
	EXPECT_EQ(n / 2, node1);
	EXPECT_EQ(node0, misc_reclaimable_of(0) - base0);
	EXPECT_EQ(node1, misc_reclaimable_of(1) - base1);

	mfd = open(SA_DEV, O_RDWR);
	ASSERT_GE(mfd, 0);
	p = mmap(NULL, 2 * n * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, p);

	/* Bound to node 1, from CPU 0 (node 0): node 1's folios only. */
	ASSERT_EQ(0, syscall(SYS_mbind, p, bound * PAGE, MPOL_BIND, &mask,
			     8 * sizeof(mask), 0));
	ASSERT_EQ(0, pin_to_cpu(0));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	for (i = 0; i < bound; i++)
		p[i * PAGE] = 1;
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st2));
	EXPECT_EQ(st.hits + bound, st2.hits);
	EXPECT_EQ(st.misses, st2.misses);
	EXPECT_EQ(1, pages_on_node(p, bound, 1));
	EXPECT_EQ(node0, pools_sum(G1, "node 0 ", " staged "));

	/* The default policy on CPU 1: its node's, from its cache. */
	ASSERT_EQ(0, pin_to_cpu(1));
	for (i = bound; i < bound + local; i++)
		p[i * PAGE] = 1;
	ASSERT_EQ(0, pin_to_cpu(0));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(st2.hits + local, st.hits);
	EXPECT_EQ(1, pages_on_node(p + bound * PAGE, local, 1));
	EXPECT_EQ(node0, pools_sum(G1, "node 0 ", " staged "));
	EXPECT_LT(0, pools_sum(G1, "cpu 1 ", " cached "));

	/*
	 * Every fault so far wanted node 1: once the fault path records
	 * that demand, a new target all goes to node 1.
	 */
	ASSERT_EQ(0, __sa_reserve(self->fd, G1, n));
	ASSERT_EQ(0, __sa_wait_staged(self->fd, G1, n));
	TH_LOG("demand node 0 %ld node 1 %ld; targets %ld and %ld",
	       pools_sum(G1, "node 0 ", " demand "),
	       pools_sum(G1, "node 1 ", " demand "),
	       pools_sum(G1, "node 0 ", " target "),
	       pools_sum(G1, "node 1 ", " target "));
	if (pools_sum(G1, "node 1 ", " demand ") > 0) {
		EXPECT_EQ(0, pools_sum(G1, "node 0 ", " demand "));
		EXPECT_EQ(0, pools_sum(G1, "node 0 ", " target "));
		EXPECT_EQ(n, pools_sum(G1, "node 1 ", " target "));
	}
	EXPECT_EQ(node0, pools_sum(G1, "node 0 ", " staged "));

	munmap(p, 2 * n * PAGE);
	close(mfd);
	ASSERT_EQ(0, __sa_disable(self->fd, G1));
	EXPECT_EQ(base0, misc_reclaimable_of(0));
	EXPECT_EQ(base1, misc_reclaimable_of(1));
}

/*
 * A --huge 1 pool with only 2 MiB blocks staged, reserved for @blocks
 * blocks; the group G1 has this process as its VM. Fails the test if the
 * pool does not hold exactly that: @blocks even, so that each node's
 * share of an even split is whole blocks on a VM of one or two nodes.
 */
static void stage_blocks(struct __test_metadata *_metadata, int fd,
			 unsigned long blocks, struct shadowalloc_stats *st)
{
	ASSERT_EQ(0, __sa_add_vm(fd, G1, getpid()));
	ASSERT_EQ(0, __sa_pool(fd, G1, SHADOWALLOC_POOL_SET_HUGE |
			       SHADOWALLOC_POOL_SET_MAX_AGE, 600000, 0, 1));
	ASSERT_EQ(0, __sa_enable(fd, G1));
	ASSERT_EQ(0, __sa_reserve(fd, G1, blocks * BLOCK));
	ASSERT_EQ(0, __sa_wait_staged(fd, G1, blocks * BLOCK));
	ASSERT_EQ(0, __sa_stats(fd, G1, st));
	ASSERT_EQ(blocks * BLOCK, st->staged_pages);
	ASSERT_EQ(blocks * BLOCK, st->staged_huge_pages);
}

/*
 * After the refill settled: every page staged since @a is accounted for
 * (staged = staged then + zeroed since - handed out - evicted), the node
 * lists and caches hold exactly the 4 KiB part, and the system's
 * reclaimable kernel memory moved with the staged pages. Returns the
 * blocks split since @split0 (debugfs pools).
 */
static long check_split_accounting(struct __test_metadata *_metadata, int fd,
				   const struct shadowalloc_stats *a,
				   long misc0, long split0,
				   struct shadowalloc_stats *b)
{
	long staged, listed, cached, split;

	EXPECT_GE(split0, 0);
	staged = settled_staged(fd);
	ASSERT_GE(staged, 0);
	ASSERT_EQ(0, __sa_stats(fd, G1, b));
	split = pools_sum(G1, "pool", " split_blocks ") - split0;
	listed = pools_sum(G1, "node", " listed_4k ");
	/* Only CPUs whose cache holds folios have a line. */
	cached = pools_sum(G1, "cpu", " cached ");
	if (cached < 0)
		cached = 0;
	TH_LOG("staged %llu -> %llu (2 MiB %llu -> %llu), zeroed +%llu, hit pages +%llu, evicted +%llu, split %ld, listed 4 KiB %ld + cached %ld, reclaimable %+ld",
	       a->staged_pages, b->staged_pages, a->staged_huge_pages,
	       b->staged_huge_pages, b->zeroed_pages - a->zeroed_pages,
	       b->hit_pages - a->hit_pages, b->evicted_pages - a->evicted_pages,
	       split, listed, cached, misc_reclaimable() - misc0);
	EXPECT_EQ(a->staged_pages + (b->zeroed_pages - a->zeroed_pages) -
		  (b->hit_pages - a->hit_pages) -
		  (b->evicted_pages - a->evicted_pages), b->staged_pages);
	EXPECT_EQ(b->staged_pages - b->staged_huge_pages,
		  (unsigned long long)(listed + cached));
	EXPECT_EQ(b->staged_huge_pages, pools_sum(G1, "node", " staged_huge "));
	EXPECT_EQ((long)b->staged_pages - (long)a->staged_pages,
		  misc_reclaimable() - misc0);
	return split;
}

/*
 * A 4 KiB VM on a --huge 1 pool holding only 2 MiB blocks: a KVM guest
 * whose RAM is mapped without MADV_HUGEPAGE (as minivmm, or libvirt
 * without align=2M) faults 4 KiB pages, and each is a hit: the first
 * fault that finds no 4 KiB page staged splits a block, the next 511
 * take its pages. The refill then stages 4 KiB pages, not blocks, for
 * that demand.
 */
TEST_F(pool, split_serves_4k_vm)
{
	const unsigned long n = 2 * BLOCK;
	struct shadowalloc_stats a, b;
	long misc0, split0, split;
	struct vm v;
	char *ram;
	int mfd;

	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "no /dev/kvm");
	stage_blocks(_metadata, self->fd, 4, &a);
	misc0 = misc_reclaimable();
	split0 = pools_sum(G1, "pool", " split_blocks ");
	mfd = open(SA_DEV, O_RDWR);
	ASSERT_GE(mfd, 0);
	ram = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, ram);
	ASSERT_EQ(0, vm_create(&v, ram, n * PAGE));
	ASSERT_EQ(0, vm_touch(&v, DATA_GPA, n, PAGE));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &b));
	TH_LOG("%lu 4 KiB guest pages: faults %llu, hits %llu, 2 MiB hits %llu, misses %llu",
	       n, b.faults - a.faults, b.hits - a.hits,
	       b.hits_huge - a.hits_huge, b.misses - a.misses);
	EXPECT_EQ(n, b.faults - a.faults);
	EXPECT_EQ(n, b.hits - a.hits);
	EXPECT_EQ(0, b.misses - a.misses);
	EXPECT_EQ(0, b.hits_huge - a.hits_huge);
	/* The guest wrote each page's GPA; the host sees it. */
	EXPECT_EQ(DATA_GPA + (n - 1) * PAGE,
		  *(uint32_t *)(ram + (n - 1) * PAGE));

	/*
	 * The reservation back at four blocks' worth: the refill stages it
	 * in 2 MiB blocks again, whatever the recent sizes, since a block
	 * serves a 4 KiB fault (split) and 4 KiB pages no 2 MiB one
	 * (pool_refill.c, sa_refill_class()).
	 */
	ASSERT_EQ(0, __sa_reserve(self->fd, G1, 4 * BLOCK));
	ASSERT_EQ(0, __sa_wait_staged(self->fd, G1, 4 * BLOCK));

	split = check_split_accounting(_metadata, self->fd, &a, misc0, split0,
				       &b);
	/* One block per 512 faults at most, fewer if the refill was quick. */
	EXPECT_GE(split, 1);
	EXPECT_LE(split, (long)(n / BLOCK));
	/* Every page staged since is in blocks, back to the four. */
	EXPECT_EQ(a.staged_huge_pages, b.staged_huge_pages);
	EXPECT_LE(4 * BLOCK, b.staged_pages);
	EXPECT_EQ(0, pools_sum(G1, "pool", " demand_2m "));

	vm_destroy(&v);
	munmap(ram, n * PAGE);
	close(mfd);
	ASSERT_EQ(0, __sa_disable(self->fd, G1));
	EXPECT_EQ(0, sa_debugfs_value("staged_pages "));
}

/*
 * Discards (a hole punch of every other page of a 2 MiB folio, as a
 * balloon gives 4 KiB pages back) leave the range partly populated, so
 * re-touches are 4 KiB faults: with only 2 MiB blocks staged they are
 * hits now, from a split block, and read zeroes.
 */
TEST_F(pool, split_serves_retouch_after_punch)
{
	const char *dir = "/tmp/shadowallocfs-split";
	const unsigned long punched = BLOCK / 2;
	struct shadowalloc_stats a, b, t;
	long misc0, split0, split;
	char path[64];
	unsigned long i;
	volatile char *p;
	int ffd;

	stage_blocks(_metadata, self->fd, 4, &a);
	mkdir(dir, 0700);
	ASSERT_EQ(0, mount("none", dir, "shadowallocfs", 0, NULL));
	snprintf(path, sizeof(path), "%s/ram0", dir);
	ffd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	ASSERT_GE(ffd, 0);
	ASSERT_EQ(0, ftruncate(ffd, 2 * HUGE));
	p = mmap(NULL, 2 * HUGE, PROT_READ | PROT_WRITE, MAP_SHARED, ffd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, (unsigned long)p % HUGE);
	ASSERT_EQ(0, madvise((void *)p, 2 * HUGE, MADV_HUGEPAGE));
	for (i = 0; i < 2 * BLOCK; i++)
		p[i * PAGE] = 0x11;
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &t));
	ASSERT_EQ(2, t.faults - a.faults);
	ASSERT_EQ(2, t.hits_huge - a.hits_huge);

	/* Every other page of the first block goes back. */
	for (i = 0; i < BLOCK; i += 2)
		ASSERT_EQ(0, fallocate(ffd, FALLOC_FL_PUNCH_HOLE |
				       FALLOC_FL_KEEP_SIZE, i * PAGE, PAGE));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &a));
	ASSERT_EQ(punched, a.discard_returned_pages - t.discard_returned_pages);
	ASSERT_EQ(2 * BLOCK, a.staged_huge_pages);
	misc0 = misc_reclaimable();
	split0 = pools_sum(G1, "pool", " split_blocks ");

	for (i = 0; i < BLOCK; i++)
		ASSERT_EQ(i % 2 ? 0x11 : 0, p[i * PAGE]);
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &b));
	TH_LOG("%lu re-touches after the punch: faults %llu, hits %llu, misses %llu",
	       punched, b.faults - a.faults, b.hits - a.hits,
	       b.misses - a.misses);
	EXPECT_EQ(punched, b.faults - a.faults);
	EXPECT_EQ(punched, b.hits - a.hits);
	EXPECT_EQ(0, b.misses - a.misses);

	split = check_split_accounting(_metadata, self->fd, &a, misc0, split0,
				       &b);
	/* 511 pages of the one block split cover the other 255. */
	EXPECT_EQ(1, split);

	munmap((void *)p, 2 * HUGE);
	close(ffd);
	ASSERT_EQ(0, unlink(path));
	ASSERT_EQ(0, umount(dir));
	rmdir(dir);
	ASSERT_EQ(0, __sa_disable(self->fd, G1));
	EXPECT_EQ(0, sa_debugfs_value("staged_pages "));
	EXPECT_EQ(0, sa_debugfs_value("mem_pages "));
}

TEST_HARNESS_MAIN
