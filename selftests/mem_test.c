// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory from /dev/shadowalloc, touched from the VMM process itself
 * (the same fault path KVM's get_user_pages takes): first touches served
 * once each, hits when staged, misses when not, zeroed pages, data that
 * stays, isolation between groups, 2 MiB blocks, and the pool ioctls'
 * bad input.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/falloc.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "sa_test.h"

#define G1 501
#define G2 502
#define PAGE 4096UL
#define HUGE (2UL << 20)

FIXTURE(mem) {
	int fd;
};

FIXTURE_SETUP(mem)
{
	self->fd = open(SA_DEV, O_RDWR);
	if (self->fd < 0)
		SKIP(return, "%s: %s", SA_DEV, strerror(errno));
	__sa_remove_vm(self->fd, G1, getpid());
	__sa_remove_vm(self->fd, G2, getpid());
	__sa_destroy(self->fd, G1);
	__sa_destroy(self->fd, G2);
	ASSERT_EQ(0, __sa_create(self->fd, G1, 0, 0, 0));
}

FIXTURE_TEARDOWN(mem)
{
	if (self->fd < 0)
		return;
	__sa_remove_vm(self->fd, G1, getpid());
	__sa_remove_vm(self->fd, G2, getpid());
	__sa_destroy(self->fd, G1);
	__sa_destroy(self->fd, G2);
	close(self->fd);
}

TEST_F(mem, private_mapping_refused)
{
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		       self->fd, 0);

	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(mem, misses_then_hits)
{
	const unsigned long n = 256;
	struct shadowalloc_stats st1, st;
	unsigned long i;
	int mfd;
	char *p, *q;

	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, getpid()));
	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_MAX_AGE,
			     600000, 0, 0));
	ASSERT_EQ(0, __sa_enable(self->fd, G1));
	mfd = open(SA_DEV, O_RDWR);
	ASSERT_GE(mfd, 0);
	p = mmap(NULL, 2 * n * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, p);

	/*
	 * Empty pool: the first touch misses, and every first touch is
	 * served once, a miss or, once the forecaster has seen the demand
	 * of a tick (a slow VM spans several), a hit.
	 */
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, p[i * PAGE + 17]);
		p[i * PAGE] = (char)i;
	}
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st1));
	EXPECT_EQ(n, st1.faults);
	EXPECT_EQ(n, st1.misses + st1.hits);
	EXPECT_GT(st1.misses, 0);

	/* Staged: every first touch is a hit, and reads zero. */
	ASSERT_EQ(0, __sa_reserve(self->fd, G1, n));
	ASSERT_EQ(0, __sa_wait_staged(self->fd, G1, n));
	for (i = n; i < 2 * n; i++) {
		ASSERT_EQ(0, p[i * PAGE + PAGE - 1]);
		p[i * PAGE] = (char)i;
	}
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(2 * n, st.faults);
	EXPECT_EQ(st1.hits + n, st.hits);
	EXPECT_EQ(st1.misses, st.misses);
	EXPECT_EQ(0, st.reserved_pages);
	TH_LOG("mean service time: hit %llu ns, miss %llu ns",
	       st.hit_service_ns / st.hits, st.miss_service_ns / st.misses);

	/* Touching again faults nothing new; the data is there. */
	for (i = 0; i < 2 * n; i++)
		ASSERT_EQ((char)i, p[i * PAGE]);
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(2 * n, st.faults);

	/* A second mapping of the same file sees the same memory. */
	q = mmap(NULL, 2 * n * PAGE, PROT_READ, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, q);
	for (i = 0; i < 2 * n; i++)
		ASSERT_EQ((char)i, q[i * PAGE]);
	munmap(q, 2 * n * PAGE);
	munmap(p, 2 * n * PAGE);
	close(mfd);
	/* Closing the last reference frees the object's pages. */
	ASSERT_EQ(0, sa_debugfs_value("mem_pages "));
}

TEST_F(mem, outside_group_takes_plain_path)
{
	struct shadowalloc_stats st;
	long before = sa_debugfs_value("plain_faults ");
	int mfd = open(SA_DEV, O_RDWR);
	char *p;

	ASSERT_GE(mfd, 0);
	/* Staged pages in G1 are not for a VMM outside it. */
	ASSERT_EQ(0, __sa_enable(self->fd, G1));
	ASSERT_EQ(0, __sa_reserve(self->fd, G1, 64));
	ASSERT_EQ(0, __sa_wait_staged(self->fd, G1, 64));
	p = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x5a, 64 * PAGE);
	ASSERT_EQ(before + 64, sa_debugfs_value("plain_faults "));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(0, st.faults);
	EXPECT_EQ(64, st.staged_pages);
	munmap(p, 64 * PAGE);
	close(mfd);
}

/* Group A's VM writes, its memory goes; group B's VM sees only zeros. */
TEST_F(mem, isolation_between_groups)
{
	const unsigned long n = 512;
	unsigned long i, j;
	int mfd;
	char *p;

	ASSERT_EQ(0, __sa_create(self->fd, G2, 0, 0, 0));
	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, getpid()));
	ASSERT_EQ(0, __sa_enable(self->fd, G1));
	ASSERT_EQ(0, __sa_enable(self->fd, G2));
	mfd = open(SA_DEV, O_RDWR);
	p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0xa7, n * PAGE);
	munmap(p, n * PAGE);
	close(mfd);

	ASSERT_EQ(0, __sa_remove_vm(self->fd, G1, getpid()));
	ASSERT_EQ(0, __sa_add_vm(self->fd, G2, getpid()));
	ASSERT_EQ(0, __sa_reserve(self->fd, G2, n));
	ASSERT_EQ(0, __sa_wait_staged(self->fd, G2, n));
	mfd = open(SA_DEV, O_RDWR);
	p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < n; i++)
		for (j = 0; j < PAGE; j += 64)
			ASSERT_EQ(0, p[i * PAGE + j]);
	munmap(p, n * PAGE);
	close(mfd);
}

TEST_F(mem, huge_blocks)
{
	struct shadowalloc_stats st;
	unsigned long i;
	char *area, *p;
	int mfd;

	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, getpid()));
	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_HUGE |
			     SHADOWALLOC_POOL_SET_MAX_AGE, 600000, 0, 1));
	ASSERT_EQ(0, __sa_enable(self->fd, G1));
	ASSERT_EQ(0, __sa_reserve(self->fd, G1, 4 * 512));
	ASSERT_EQ(0, __sa_wait_staged(self->fd, G1, 4 * 512));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(4 * 512, st.staged_huge_pages);
	mfd = open(SA_DEV, O_RDWR);
	/* The device aligns mappings to 2 MiB itself (thp_get_unmapped_area). */
	area = mmap(NULL, 4 * HUGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, (unsigned long)area % HUGE);
	ASSERT_EQ(0, madvise(area, 4 * HUGE, MADV_HUGEPAGE));
	p = area;
	for (i = 0; i < 4 * HUGE; i += PAGE) {
		ASSERT_EQ(0, p[i]);
		p[i] = 1;
	}
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(4, st.faults);
	EXPECT_EQ(4, st.hits_huge);
	munmap(area, 4 * HUGE);
	close(mfd);
}

/*
 * With only 4 KiB pages staged, an untouched aligned 2 MiB still gets one
 * 2 MiB block (a miss), not 512 staged 4 KiB pages.
 */
TEST_F(mem, huge_range_prefers_2m_miss_to_4k_hits)
{
	struct shadowalloc_stats st;
	unsigned long i;
	char *area;
	int mfd;

	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, getpid()));
	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_MAX_AGE,
			     600000, 0, 0));
	ASSERT_EQ(0, __sa_enable(self->fd, G1));
	ASSERT_EQ(0, __sa_reserve(self->fd, G1, 512));
	ASSERT_EQ(0, __sa_wait_staged(self->fd, G1, 512));
	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_HUGE, 0, 0, 1));
	mfd = open(SA_DEV, O_RDWR);
	area = mmap(NULL, HUGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, (unsigned long)area % HUGE);
	ASSERT_EQ(0, madvise(area, HUGE, MADV_HUGEPAGE));
	for (i = 0; i < HUGE; i += PAGE)
		area[i] = 1;
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(1, st.faults);
	EXPECT_EQ(1, st.misses);
	EXPECT_EQ(0, st.hits);
	EXPECT_EQ(512, st.staged_pages);
	munmap(area, HUGE);
	close(mfd);
}

/*
 * No madvise and no density verdict yet: 4 KiB pages, so the predictor
 * sees how the range is used (a 2 MiB mapping always looks full).
 */
TEST_F(mem, no_madvise_no_verdict_gets_4k)
{
	struct shadowalloc_stats st;
	char *area;
	int mfd;

	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, getpid()));
	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_HUGE |
			     SHADOWALLOC_POOL_SET_MAX_AGE, 600000, 0, 1));
	ASSERT_EQ(0, __sa_enable(self->fd, G1));
	mfd = open(SA_DEV, O_RDWR);
	area = mmap(NULL, HUGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, area);
	area[0] = 1;
	area[HUGE - PAGE] = 1;
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(2, st.faults);
	EXPECT_EQ(2, st.hit_pages + st.miss_pages);
	munmap(area, HUGE);
	close(mfd);
}

/* MADV_NOHUGEPAGE on the mapping: 4 KiB pages even where 2 MiB is staged. */
TEST_F(mem, nohugepage_madvise_gets_4k)
{
	struct shadowalloc_stats st;
	unsigned long i;
	char *area;
	int mfd;

	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, getpid()));
	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_HUGE |
			     SHADOWALLOC_POOL_SET_MAX_AGE, 600000, 0, 1));
	ASSERT_EQ(0, __sa_enable(self->fd, G1));
	ASSERT_EQ(0, __sa_reserve(self->fd, G1, 2 * 512));
	ASSERT_EQ(0, __sa_wait_staged(self->fd, G1, 2 * 512));
	mfd = open(SA_DEV, O_RDWR);
	area = mmap(NULL, 2 * HUGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, madvise(area, HUGE, MADV_NOHUGEPAGE));
	ASSERT_EQ(0, madvise(area + HUGE, HUGE, MADV_HUGEPAGE));
	for (i = 0; i < 2 * HUGE; i += PAGE)
		area[i] = 1;
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	/* 512 faults of 4 KiB in the first half, one 2 MiB in the second. */
	EXPECT_EQ(513, st.faults);
	EXPECT_EQ(1, st.hits_huge);
	munmap(area, 2 * HUGE);
	close(mfd);
}

TEST_F(mem, ageing_releases_unused)
{
	struct shadowalloc_stats st;
	int i;

	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_MAX_AGE,
			     500, 0, 0));
	ASSERT_EQ(0, __sa_enable(self->fd, G1));
	ASSERT_EQ(0, __sa_reserve(self->fd, G1, 128));
	ASSERT_EQ(0, __sa_wait_staged(self->fd, G1, 1));
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
		if (!st.staged_pages && st.evicted_pages == 128)
			break;
		usleep(50000);
	}
	EXPECT_EQ(0, st.staged_pages);
	EXPECT_EQ(128, st.evicted_pages);
	EXPECT_EQ(0, st.reserved_pages);
}

TEST_F(mem, disable_releases_staged)
{
	struct shadowalloc_stats st;

	ASSERT_EQ(0, __sa_enable(self->fd, G1));
	ASSERT_EQ(0, __sa_reserve(self->fd, G1, 300));
	ASSERT_EQ(0, __sa_wait_staged(self->fd, G1, 300));
	ASSERT_EQ(0, __sa_disable(self->fd, G1));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(0, st.staged_pages);
	EXPECT_EQ(300, st.evicted_pages);
	EXPECT_EQ(0, sa_debugfs_value("staged_pages "));
}

/*
 * Memory pressure: a pool holding half of RAM yields to an allocation of
 * most of RAM through the shrinker, without OOM.
 */
TEST_F_TIMEOUT(mem, shrinker_yields_under_pressure, 300)
{
	struct shadowalloc_stats st;
	long pages = sysconf(_SC_PHYS_PAGES);
	uint64_t reserve = pages / 2, hog = pages * 3 / 4 * PAGE;
	int status;
	pid_t child;

	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_CAP |
			     SHADOWALLOC_POOL_SET_MAX_AGE, 600000,
			     reserve * PAGE, 0));
	ASSERT_EQ(0, __sa_enable(self->fd, G1));
	ASSERT_EQ(0, __sa_reserve(self->fd, G1, reserve));
	ASSERT_EQ(0, __sa_wait_staged(self->fd, G1, reserve * 9 / 10));

	child = fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		char *p = mmap(NULL, hog, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint64_t i;

		if (p == MAP_FAILED)
			_exit(1);
		for (i = 0; i < hog; i += PAGE)
			p[i] = 1;
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	/* Not killed by the OOM killer: it got its memory. */
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	TH_LOG("staged %llu of %llu reserved pages after a %llu MiB allocation; evicted %llu",
	       st.staged_pages, (unsigned long long)reserve,
	       (unsigned long long)hog >> 20, st.evicted_pages);
	EXPECT_GT(st.evicted_pages, 0);
	EXPECT_LT(st.staged_pages, reserve);
	ASSERT_EQ(0, __sa_disable(self->fd, G1));
}

static sigjmp_buf sigbus_jmp;

static void on_sigbus(int sig)
{
	siglongjmp(sigbus_jmp, 1);
}

/*
 * shadowallocfs: guest memory as regular files, for VMMs that discard.
 * Hole punching returns pages (counted), and the range reads as zeroes
 * again, from freshly zeroed pages.
 */
TEST_F(mem, fs_discard)
{
	const char *dir = "/tmp/shadowallocfs-test";
	const unsigned long n = 128;
	struct shadowalloc_stats st;
	struct sigaction sa = { .sa_handler = on_sigbus };
	char path[64];
	unsigned long i;
	volatile char *p;
	int ffd;

	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, getpid()));
	ASSERT_EQ(0, __sa_enable(self->fd, G1));
	mkdir(dir, 0700);
	ASSERT_EQ(0, mount("none", dir, "shadowallocfs", 0, NULL));
	snprintf(path, sizeof(path), "%s/ram0", dir);
	ffd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	ASSERT_GE(ffd, 0);
	ASSERT_EQ(0, ftruncate(ffd, n * PAGE));
	p = mmap(NULL, (n + 1) * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ffd, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < n; i++)
		p[i * PAGE] = 0x11;
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(n, st.faults);

	/* Discard the second half: the pages leave, the range reads zero. */
	ASSERT_EQ(0, fallocate(ffd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       n / 2 * PAGE, n / 2 * PAGE));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(n / 2, st.discard_returned_pages);
	for (i = 0; i < n; i++)
		ASSERT_EQ(i < n / 2 ? 0x11 : 0, p[i * PAGE]);
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(n + n / 2, st.faults);

	/* Only hole punching is supported. */
	EXPECT_EQ(-1, fallocate(ffd, 0, 0, PAGE));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, fallocate(ffd, FALLOC_FL_PUNCH_HOLE, 0, PAGE));
	EXPECT_EQ(EOPNOTSUPP, errno);

	/* Past the end of the file: SIGBUS, as for any file. */
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	if (!sigsetjmp(sigbus_jmp, 1)) {
		p[n * PAGE] = 1;
		ASSERT_TRUE(false) TH_LOG("no SIGBUS past the end");
	}
	signal(SIGBUS, SIG_DFL);

	/*
	 * Shrinking the file gives the pages past the new end back: all n
	 * are resident again (the hole was read back), n - n / 4 go.
	 */
	ASSERT_EQ(0, ftruncate(ffd, n / 4 * PAGE));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(n / 2 + (n - n / 4), st.discard_returned_pages);

	munmap((void *)p, (n + 1) * PAGE);
	close(ffd);
	/* Still mounted: rmmod must be refused, umount first. */
	ASSERT_EQ(0, unlink(path));
	ASSERT_EQ(0, umount(dir));
	rmdir(dir);
	EXPECT_EQ(0, sa_debugfs_value("mem_pages "));
}

TEST_F(mem, pool_ioctls_bad_input)
{
	struct shadowalloc_stage_reserve r = { .size = sizeof(r), .group_id = G1 };
	struct shadowalloc_pool_config c = { .size = sizeof(c), .group_id = G1 };
	struct shadowalloc_stats before, after;

	ASSERT_EQ(0, __sa_stats(self->fd, G1, &before));
	/* reserve */
	EXPECT_EQ(-ENOSPC, __sa_reserve(self->fd, G1, (before.max_staged_bytes / PAGE) + 1));
	EXPECT_EQ(-ENOENT, __sa_reserve(self->fd, G2, 1));
	EXPECT_EQ(-EINVAL, __sa_reserve(self->fd, 0, 1));
	r.flags = 1;
	EXPECT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_STAGE_RESERVE, &r));
	r.flags = 0;
	r.reserved0 = 1;
	EXPECT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_STAGE_RESERVE, &r));
	r.reserved0 = 0;
	r.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_STAGE_RESERVE, &r));
	r.reserved[1] = 0;
	r.size = 8;
	EXPECT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_STAGE_RESERVE, &r));
	/* pool config */
	EXPECT_EQ(-ERANGE, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_MAX_AGE, 99, 0, 0));
	EXPECT_EQ(-ERANGE, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_MAX_AGE,
				   SHADOWALLOC_MAX_AGE_MAX_MS + 1, 0, 0));
	EXPECT_EQ(-EINVAL, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_CAP, 0, 0, 0));
	EXPECT_EQ(-EINVAL, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_CAP, 0, PAGE + 1, 0));
	EXPECT_EQ(-EINVAL, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_CAP, 0, 1ULL << 62, 0));
	EXPECT_EQ(-EINVAL, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_HUGE, 0, 0, 2));
	EXPECT_EQ(-EINVAL, __sa_pool(self->fd, G1, 1U << 4, 0, 0, 0));
	EXPECT_EQ(-ENOENT, __sa_pool(self->fd, G2, SHADOWALLOC_POOL_SET_HUGE, 0, 0, 1));
	EXPECT_EQ(-EINVAL, __sa_pool(self->fd, 0, SHADOWALLOC_POOL_SET_HUGE, 0, 0, 1));
	c.flags = SHADOWALLOC_POOL_SET_HUGE;
	c.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_POOL_CONFIG, &c));
	c.reserved[0] = 0;
	/* None of it changed anything. */
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &after));
	EXPECT_EQ(before.max_age_ms, after.max_age_ms);
	EXPECT_EQ(before.max_staged_bytes, after.max_staged_bytes);
	EXPECT_EQ(before.state, after.state);
	EXPECT_EQ(0, after.reserved_pages);
	/* Good values apply, all at once. */
	c.flags = SHADOWALLOC_POOL_SET_ALL;
	c.max_age_ms = 1000;
	c.max_staged_bytes = 1 << 20;
	c.huge = 1;
	c.zero_pages_per_sec = SHADOWALLOC_ZERO_BUDGET_MIN;
	EXPECT_EQ(0, __sa_ioctl(self->fd, SHADOWALLOC_IOC_POOL_CONFIG, &c));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &after));
	EXPECT_EQ(1000, after.max_age_ms);
	EXPECT_EQ(1 << 20, after.max_staged_bytes);
	EXPECT_EQ(SHADOWALLOC_STATE_HUGE, after.state & SHADOWALLOC_STATE_HUGE);
	EXPECT_EQ(SHADOWALLOC_ZERO_BUDGET_MIN, after.zero_pages_per_sec);
}

TEST_HARNESS_MAIN
