// SPDX-License-Identifier: GPL-2.0
/*
 * Recordings (SHADOWALLOC_IOC_RECORD) against the real module, no
 * telemetry needed: the module's fault handler records each first touch
 * the group's pool served or missed, in object-offset space.
 *
 *  - a real KVM guest touching known guest-physical pages of RAM mapped at
 *    a non-zero object offset gives exactly the expected (offset, size)
 *    set: 4 KiB records where THP is off, 2 MiB records aligned to the
 *    block where it is on (the guest touches inside the block), the
 *    object's owner as vm_pid; as many records as GET_STATS counts hits
 *    and misses; nothing for touches before the recording, re-touches,
 *    or a disabled group's (plain) faults;
 *  - a reader that does not read: the CPU's ring fills, the rest is lost
 *    and reported by one marker, and records + lost = first touches;
 *  - recordings opened, read, closed and orphaned by destroying the group
 *    while other threads fault pages in: no crash, every reader ends;
 *  - the ioctl's errors.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>

#include "kselftest_harness.h"
#include "sa_test.h"
#include "kvm_guest.h"

#define G		641
#define G2		642
#define PAGE		4096UL
#define HUGE		(2UL << 20)
/* Guest RAM is the object from OBJ_OFF on: offsets are not GPAs. */
#define OBJ_OFF		(64UL << 20)
#define DATA_SIZE	(32UL << 20)
/* What one CPU's ring holds (SA_RECORD_CPU_ENTRIES, kmod/record.c). */
#define CPU_ENTRIES	4096

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int sa_record(int fd, uint32_t id)
{
	struct shadowalloc_record r = { .size = sizeof(r), .group_id = id };
	int ret = ioctl(fd, SHADOWALLOC_IOC_RECORD, &r);

	return ret < 0 ? -errno : ret;
}

/*
 * Everything a non-blocking recording has now: records into @recs (up to
 * @max), the lost markers' sum into @lost. Returns the records, or -1.
 */
static long drain(int rfd, struct shadowalloc_trace_record *recs, long max,
		  uint64_t *lost)
{
	struct shadowalloc_trace_record buf[64];
	long got = 0;
	ssize_t n;
	int i;

	*lost = 0;
	for (;;) {
		n = read(rfd, buf, sizeof(buf));
		if (n < 0)
			return errno == EAGAIN ? got : -1;
		if (n == 0 || n % sizeof(buf[0]))
			return n ? -1 : got;
		for (i = 0; i < n / (ssize_t)sizeof(buf[0]); i++) {
			if (!buf[i].size) {
				*lost += buf[i].lost;
				continue;
			}
			if (got < max)
				recs[got] = buf[i];
			got++;
		}
	}
}

/* This process owns the memory object: group G serves it (bound). */
FIXTURE(rec) {
	int fd, mfd;
	char *data;
	struct vm v;
	bool have_vm;
};

FIXTURE_SETUP(rec)
{
	self->have_vm = false;
	self->mfd = -1;
	self->data = MAP_FAILED;
	self->fd = open(SA_DEV, O_RDWR);
	if (self->fd < 0)
		SKIP(return, "%s: %s", SA_DEV, strerror(errno));
	__sa_destroy(self->fd, G);
	__sa_destroy(self->fd, G2);
	ASSERT_EQ(0, __sa_create(self->fd, G, 0, 0, 0));
	ASSERT_EQ(0, __sa_pool(self->fd, G, SHADOWALLOC_POOL_SET_HUGE |
			     SHADOWALLOC_POOL_SET_MAX_AGE, 600000, 0, 1));
	ASSERT_EQ(0, __sa_enable(self->fd, G));
	self->mfd = open(SA_DEV, O_RDWR);
	ASSERT_GE(self->mfd, 0);
	ASSERT_EQ(0, __sa_mem_bind(self->mfd, SHADOWALLOC_MEM_BIND_SET, G,
				   NULL));
	self->data = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			  self->mfd, OBJ_OFF);
	ASSERT_NE(MAP_FAILED, self->data);
	/* The device aligns the mapping for PMDs (thp_get_unmapped_area). */
	ASSERT_EQ(0, (uintptr_t)self->data % HUGE);
	/* The first half 4 KiB only, the second half 2 MiB where it can. */
	ASSERT_EQ(0, madvise(self->data, DATA_SIZE / 2, MADV_NOHUGEPAGE));
	ASSERT_EQ(0, madvise(self->data + DATA_SIZE / 2, DATA_SIZE / 2,
			     MADV_HUGEPAGE));
	if (access("/dev/kvm", R_OK | W_OK))
		return;
	ASSERT_EQ(0, vm_create(&self->v, self->data, DATA_SIZE));
	self->have_vm = true;
}

FIXTURE_TEARDOWN(rec)
{
	if (self->fd < 0)
		return;
	if (self->have_vm)
		vm_destroy(&self->v);
	if (self->data != MAP_FAILED)
		munmap(self->data, DATA_SIZE);
	if (self->mfd >= 0)
		close(self->mfd);
	__sa_destroy(self->fd, G);
	__sa_destroy(self->fd, G2);
	close(self->fd);
}

/* Guest-physical address of object offset @off. */
#define GPA(off)	(DATA_GPA + (off) - OBJ_OFF)

static int find(const struct shadowalloc_trace_record *recs, long n,
		uint64_t off, uint32_t size)
{
	int hits = 0;
	long i;

	for (i = 0; i < n; i++)
		hits += recs[i].offset == off && recs[i].size == size;
	return hits;
}

/*
 * A KVM guest touches 4 KiB pages at a stride of 3 in the first half and
 * 2 MiB blocks (at 20 KiB into each) in the second: exactly one record per
 * page or block, at its object offset, 2 MiB ones at the block's start;
 * records = hits + misses; nothing else.
 */
TEST_F_TIMEOUT(rec, kvm_guest_exact_offsets, 120)
{
	static struct shadowalloc_trace_record recs[1024];
	const unsigned int small = 100, blocks = 4;
	const uint64_t huge_off = OBJ_OFF + DATA_SIZE / 2;
	struct shadowalloc_stats a, b;
	uint64_t lost, t0, t1;
	unsigned int i, bad = 0;
	long n;
	int rfd;

	if (!self->have_vm)
		SKIP(return, "no /dev/kvm");
	/* Before the recording: not recorded. */
	ASSERT_EQ(0, vm_run_loop(&self->v, GUEST_WRITE_ONLY,
				 GPA(OBJ_OFF + DATA_SIZE / 2 - PAGE), 1, PAGE));
	/* Some hits: two blocks and 64 pages staged (the rest misses). */
	ASSERT_EQ(0, __sa_reserve(self->fd, G, 2 * HUGE / PAGE + 64));
	ASSERT_EQ(0, __sa_wait_staged(self->fd, G, 2 * HUGE / PAGE + 64));

	rfd = sa_record(self->fd, G);
	ASSERT_GE(rfd, 0);
	ASSERT_EQ(0, fcntl(rfd, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, __sa_stats(self->fd, G, &a));
	t0 = now_ns();
	/* 2 MiB first: the blocks are whole and untouched. */
	ASSERT_EQ(0, vm_run_loop(&self->v, GUEST_WRITE_ONLY,
				 GPA(huge_off) + 0x5000, blocks, HUGE));
	ASSERT_EQ(0, vm_run_loop(&self->v, GUEST_READ_WRITE, GPA(OBJ_OFF),
				 small, 3 * PAGE));
	/* Touched again: no first touch. */
	ASSERT_EQ(0, vm_run_loop(&self->v, GUEST_WRITE_ONLY, GPA(OBJ_OFF),
				 small, 3 * PAGE));
	t1 = now_ns();
	ASSERT_EQ(0, __sa_stats(self->fd, G, &b));

	n = drain(rfd, recs, ARRAY_SIZE(recs), &lost);
	ASSERT_GE(n, 0);
	EXPECT_EQ(0, lost);
	EXPECT_EQ(small + blocks, n);
	EXPECT_EQ(n, (b.hits - a.hits) + (b.misses - a.misses));
	EXPECT_EQ(0, b.raced - a.raced);
	EXPECT_GE(b.hits - a.hits, 1);
	EXPECT_GE(b.misses - a.misses, 1);
	EXPECT_EQ(blocks * HUGE / PAGE + small,
		  (b.hit_pages - a.hit_pages) + (b.miss_pages - a.miss_pages));
	for (i = 0; i < blocks; i++)
		EXPECT_EQ(1, find(recs, n, huge_off + i * HUGE, HUGE));
	for (i = 0; i < small; i++)
		EXPECT_EQ(1, find(recs, n, OBJ_OFF + i * 3 * PAGE, PAGE));
	for (i = 0; i < n; i++) {
		if (recs[i].vm_pid != (uint32_t)getpid() ||
		    recs[i].offset % recs[i].size ||
		    recs[i].t_ns < t0 || recs[i].t_ns > t1)
			bad++;
	}
	EXPECT_EQ(0, bad);
	TH_LOG("%ld records: hits %llu (2 MiB %llu), misses %llu", n,
	       (unsigned long long)(b.hits - a.hits),
	       (unsigned long long)(b.hits_huge - a.hits_huge),
	       (unsigned long long)(b.misses - a.misses));

	/* A disabled group's faults are plain: not recorded. */
	ASSERT_EQ(0, __sa_disable(self->fd, G));
	ASSERT_EQ(0, vm_run_loop(&self->v, GUEST_WRITE_ONLY,
				 GPA(OBJ_OFF) + PAGE, 16, PAGE));
	EXPECT_EQ(0, drain(rfd, recs, ARRAY_SIZE(recs), &lost));
	EXPECT_EQ(0, lost);

	/* The group goes: the recording ends (read returns 0). */
	ASSERT_EQ(0, __sa_destroy(self->fd, G));
	EXPECT_EQ(0, read(rfd, recs, sizeof(recs)));
	close(rfd);
}

/*
 * Nobody reads: the (pinned) faulting CPU's ring takes CPU_ENTRIES
 * records, the rest is lost and counted by the marker; no fault waited.
 */
TEST_F_TIMEOUT(rec, lost_marker_when_nobody_reads, 120)
{
	static struct shadowalloc_trace_record recs[2 * CPU_ENTRIES];
	const unsigned long pages = CPU_ENTRIES + 1000;
	struct shadowalloc_stats a, b;
	cpu_set_t one;
	uint64_t lost;
	long n;
	int rfd;

	/* 4 KiB faults from one CPU, on a mapping of its own. */
	char *area = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
			  MAP_SHARED, self->mfd, 0);
	unsigned long i;

	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, madvise(area, pages * PAGE, MADV_NOHUGEPAGE));
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));
	rfd = sa_record(self->fd, G);
	ASSERT_GE(rfd, 0);
	ASSERT_EQ(0, fcntl(rfd, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, __sa_stats(self->fd, G, &a));
	for (i = 0; i < pages; i++)
		area[i * PAGE] = 1;
	ASSERT_EQ(0, __sa_stats(self->fd, G, &b));
	n = drain(rfd, recs, ARRAY_SIZE(recs), &lost);
	TH_LOG("%lu first touches: %ld records, %llu lost", pages, n,
	       (unsigned long long)lost);
	EXPECT_EQ(pages, (b.hits - a.hits) + (b.misses - a.misses));
	EXPECT_EQ(CPU_ENTRIES, n);
	EXPECT_EQ(pages - CPU_ENTRIES, lost);
	/* Read out, the ring takes records again. */
	area[pages * PAGE - PAGE + 64] = 2;	/* not a first touch */
	EXPECT_EQ(0, drain(rfd, recs, ARRAY_SIZE(recs), &lost));
	close(rfd);
	munmap(area, pages * PAGE);
}

/* The ioctl: one recording per group, bad arguments, no group. */
TEST_F(rec, ioctl_errors)
{
	struct shadowalloc_record r = { .size = sizeof(r), .group_id = G };
	struct shadowalloc_trace_record one;
	int rfd;

	rfd = sa_record(self->fd, G);
	ASSERT_GE(rfd, 0);
	EXPECT_EQ(-EBUSY, sa_record(self->fd, G));
	r.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, SHADOWALLOC_IOC_RECORD, &r));
	EXPECT_EQ(EINVAL, errno);
	r.flags = 0;
	r.reserved0 = 1;
	EXPECT_EQ(-1, ioctl(self->fd, SHADOWALLOC_IOC_RECORD, &r));
	EXPECT_EQ(EINVAL, errno);
	r.reserved0 = 0;
	r.size = SHADOWALLOC_RECORD_SIZE_VER0 - 8;
	EXPECT_EQ(-1, ioctl(self->fd, SHADOWALLOC_IOC_RECORD, &r));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-ENOENT, sa_record(self->fd, G2));
	/* Too small a read buffer. */
	EXPECT_EQ(-1, read(rfd, &one, sizeof(one) - 1));
	EXPECT_EQ(EINVAL, errno);
	/* Nothing yet: -EAGAIN without blocking. */
	ASSERT_EQ(0, fcntl(rfd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(rfd, &one, sizeof(one)));
	EXPECT_EQ(EAGAIN, errno);
	/* Closed, the group can be recorded again. */
	close(rfd);
	rfd = sa_record(self->fd, G);
	EXPECT_GE(rfd, 0);
	close(rfd);
}

/* The race: faulting threads, a reader, the group destroyed under them. */
struct race {
	int fd;
	volatile bool stop;
	volatile int rfd;
	unsigned long faults, records, bad, ended;
};

/* New memory objects bound to G, touched page by page, then dropped. */
static void *race_faulter(void *arg)
{
	const size_t len = 8 * HUGE;
	struct race *r = arg;
	unsigned long touched = 0;
	size_t off;
	char *p;
	int mfd;

	while (!r->stop) {
		mfd = open(SA_DEV, O_RDWR);
		if (mfd < 0)
			break;
		/* G may be gone just now: then the faults are plain. */
		__sa_mem_bind(mfd, SHADOWALLOC_MEM_BIND_SET, G, NULL);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
		if (p != MAP_FAILED) {
			/* Half of it may go 2 MiB. */
			madvise(p, len / 2, MADV_NOHUGEPAGE);
			madvise(p + len / 2, len / 2, MADV_HUGEPAGE);
			for (off = 0; off < len && !r->stop; off += PAGE) {
				p[off] = 1;
				touched++;
			}
			munmap(p, len);
		}
		close(mfd);
	}
	__atomic_add_fetch(&r->faults, touched, __ATOMIC_RELAXED);
	return NULL;
}

/* Read one recording until it ends (0) or the file is to be closed. */
static void *race_reader(void *arg)
{
	struct shadowalloc_trace_record buf[64];
	struct race *r = arg;
	int rfd = r->rfd, i;
	ssize_t n;

	for (;;) {
		struct pollfd p = { .fd = rfd, .events = POLLIN };

		/* Told to stop (the file is about to be closed). */
		if (r->rfd < 0)
			return NULL;
		if (poll(&p, 1, 20) <= 0)
			continue;
		n = read(rfd, buf, sizeof(buf));
		if (n == 0) {
			__atomic_add_fetch(&r->ended, 1, __ATOMIC_RELAXED);
			return NULL;
		}
		if (n < 0) {
			if (errno == EAGAIN)
				continue;
			__atomic_add_fetch(&r->bad, 1, __ATOMIC_RELAXED);
			return NULL;
		}
		for (i = 0; i < n / (ssize_t)sizeof(buf[0]); i++) {
			if (buf[i].size && ((buf[i].size != PAGE &&
					     buf[i].size != HUGE) ||
					    buf[i].offset % buf[i].size))
				__atomic_add_fetch(&r->bad, 1,
						   __ATOMIC_RELAXED);
			r->records++;
		}
	}
}

/*
 * 60 rounds: create and enable G, open a recording, read it from a thread
 * while three threads fault pages of objects bound to G in; then destroy
 * G under the reader (it must see the end), or close the recording first
 * and then destroy G. The kernel log is checked by run_tests.sh.
 */
TEST_F_TIMEOUT(rec, destroy_and_close_while_faulting, 300)
{
	struct race r = { .fd = self->fd };
	pthread_t faulters[3], reader;
	unsigned int round, i, orphaned = 0;
	int rfd;

	ASSERT_EQ(0, __sa_destroy(self->fd, G));
	for (i = 0; i < ARRAY_SIZE(faulters); i++)
		ASSERT_EQ(0, pthread_create(&faulters[i], NULL, race_faulter,
					    &r));
	for (round = 0; round < 60; round++) {
		ASSERT_EQ(0, __sa_create(self->fd, G, 0, 0, 0));
		ASSERT_EQ(0, __sa_pool(self->fd, G, SHADOWALLOC_POOL_SET_HUGE,
				       0, 0, 1));
		ASSERT_EQ(0, __sa_enable(self->fd, G));
		if (round % 4 == 0)
			__sa_reserve(self->fd, G, 1024);
		rfd = sa_record(self->fd, G);
		ASSERT_GE(rfd, 0);
		r.rfd = rfd;
		ASSERT_EQ(0, pthread_create(&reader, NULL, race_reader, &r));
		usleep(1000 * (round % 7));
		if (round % 2) {
			/* Orphaned under the reader, which then sees 0. */
			ASSERT_EQ(0, __sa_destroy(self->fd, G));
			ASSERT_EQ(0, pthread_join(reader, NULL));
			r.rfd = -1;
			close(rfd);
			orphaned++;
		} else {
			/* Closed while faults still find it, then destroyed. */
			r.rfd = -1;
			ASSERT_EQ(0, pthread_join(reader, NULL));
			close(rfd);
			ASSERT_EQ(0, __sa_destroy(self->fd, G));
		}
	}
	r.stop = true;
	for (i = 0; i < ARRAY_SIZE(faulters); i++)
		pthread_join(faulters[i], NULL);
	TH_LOG("%u rounds: %lu first touches, %lu records, %lu ends seen",
	       round, r.faults, r.records, r.ended);
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ(orphaned, r.ended);
	EXPECT_GT(r.records, 0);
}

TEST_HARNESS_MAIN
