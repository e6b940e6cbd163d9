// SPDX-License-Identifier: GPL-2.0
/*
 * First touches racing truncation and hole punching on a shadowallocfs
 * file, for a bounded time: threads fault random pages while one punches
 * random holes and one shrinks and regrows the file. Checked while it runs:
 * right after a shrink returns no page is resident past the new end (a
 * fault that raced it would have inserted one); after the run: every page
 * that entered the object is either still there or was counted as given
 * back, every staged page is accounted for (handed over, staged or
 * evicted), the size= charge matches what is resident, and nothing leaks.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

#include "kselftest_harness.h"
#include "sa_test.h"

#define G1 611
#define PAGE 4096UL
#define NPAGES 512UL
#define DIR1 "/tmp/safs-race"
#define FAULTERS 3
#define RUN_SECONDS 8

static __thread sigjmp_buf fault_jmp;
static atomic_bool stop;
static atomic_ulong sigbus_count, shrinks_checked, past_eof_found;

static void on_sigbus(int sig)
{
	siglongjmp(fault_jmp, 1);
}

struct race {
	int fd;
	volatile char *map;
};

static unsigned long rnd(unsigned int *seed, unsigned long n)
{
	return (unsigned long)rand_r(seed) % n;
}

static void *faulter(void *arg)
{
	struct race *r = arg;
	unsigned int seed = (unsigned int)(uintptr_t)&seed;
	unsigned long i;

	while (!atomic_load(&stop)) {
		i = rnd(&seed, NPAGES);
		if (!sigsetjmp(fault_jmp, 1))
			r->map[i * PAGE + 8] = 1;
		else
			atomic_fetch_add(&sigbus_count, 1);
	}
	return NULL;
}

static void *puncher(void *arg)
{
	struct race *r = arg;
	unsigned int seed = 7;
	unsigned long start, len;

	while (!atomic_load(&stop)) {
		start = rnd(&seed, NPAGES);
		len = 1 + rnd(&seed, 32);
		fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			  start * PAGE, len * PAGE);
	}
	return NULL;
}

/* Pages resident in [from, NPAGES) of the mapping. */
static unsigned long resident_from(struct race *r, unsigned long from)
{
	static __thread unsigned char vec[NPAGES];
	unsigned long i, n = 0;

	if (mincore((void *)(r->map + from * PAGE), (NPAGES - from) * PAGE,
		    vec))
		return ~0UL;
	for (i = 0; i < NPAGES - from; i++)
		n += vec[i] & 1;
	return n;
}

static void *truncater(void *arg)
{
	struct race *r = arg;
	unsigned int seed = 11;
	unsigned long size;

	while (!atomic_load(&stop)) {
		size = NPAGES / 4 + rnd(&seed, NPAGES * 3 / 4);
		if (ftruncate(r->fd, size * PAGE))
			break;
		/* i_size is @size now: no fault may have put a page past it. */
		if (resident_from(r, size))
			atomic_fetch_add(&past_eof_found, 1);
		atomic_fetch_add(&shrinks_checked, 1);
		if (ftruncate(r->fd, NPAGES * PAGE))
			break;
	}
	return NULL;
}

FIXTURE(race) {
	int fd;
};

FIXTURE_SETUP(race)
{
	self->fd = open(SA_DEV, O_RDWR);
	if (self->fd < 0)
		SKIP(return, "%s: %s", SA_DEV, strerror(errno));
	__sa_destroy(self->fd, G1);
	ASSERT_EQ(0, __sa_create(self->fd, G1, 0, 0, 0));
}

FIXTURE_TEARDOWN(race)
{
	if (self->fd < 0)
		return;
	umount2(DIR1, MNT_DETACH);
	rmdir(DIR1);
	__sa_destroy(self->fd, G1);
	close(self->fd);
}

TEST_F_TIMEOUT(race, faults_vs_truncate_and_punch, 120)
{
	struct sigaction sa = { .sa_handler = on_sigbus, .sa_flags = SA_NODEFER };
	pthread_t f[FAULTERS], p, t;
	struct shadowalloc_mem_bind b;
	struct shadowalloc_stats st;
	struct race r;
	char opts[64];
	unsigned int i;
	int fill;

	ASSERT_EQ(0, __sa_enable(self->fd, G1));
	ASSERT_EQ(0, __sa_reserve(self->fd, G1, 4096));
	ASSERT_EQ(0, __sa_wait_staged(self->fd, G1, 1024));
	mkdir(DIR1, 0700);
	/* size= exactly the file: a charge that leaked would show at refill. */
	snprintf(opts, sizeof(opts), "group=%u,size=%lu", G1, NPAGES * PAGE);
	ASSERT_EQ(0, mount("none", DIR1, "shadowallocfs", 0, opts));
	r.fd = open(DIR1 "/ram", O_RDWR | O_CREAT | O_EXCL, 0600);
	ASSERT_GE(r.fd, 0);
	ASSERT_EQ(0, ftruncate(r.fd, NPAGES * PAGE));
	r.map = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		     r.fd, 0);
	ASSERT_NE(MAP_FAILED, r.map);
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));

	for (i = 0; i < FAULTERS; i++)
		ASSERT_EQ(0, pthread_create(&f[i], NULL, faulter, &r));
	ASSERT_EQ(0, pthread_create(&p, NULL, puncher, &r));
	ASSERT_EQ(0, pthread_create(&t, NULL, truncater, &r));
	sleep(RUN_SECONDS);
	atomic_store(&stop, true);
	for (i = 0; i < FAULTERS; i++)
		pthread_join(f[i], NULL);
	pthread_join(p, NULL);
	pthread_join(t, NULL);

	TH_LOG("%lu shrinks checked, %lu SIGBUS past the end",
	       atomic_load(&shrinks_checked), atomic_load(&sigbus_count));
	EXPECT_GT(atomic_load(&shrinks_checked), 10);
	EXPECT_EQ(0, atomic_load(&past_eof_found));

	/* Every page that entered is resident or was given back. */
	ASSERT_EQ(0, __sa_disable(self->fd, G1));	/* a still pool */
	ASSERT_EQ(0, __sa_mem_bind(r.fd, 0, 0, &b));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	TH_LOG("faults %llu hits %llu misses %llu raced %llu resident %llu",
	       (unsigned long long)st.faults, (unsigned long long)st.hits,
	       (unsigned long long)st.misses, (unsigned long long)st.raced,
	       (unsigned long long)b.pages);
	EXPECT_EQ(st.hit_pages + st.miss_pages,
		  b.pages + st.discard_returned_pages);
	EXPECT_EQ(st.faults, st.hits + st.misses + st.raced);
	EXPECT_EQ(st.staged_total, st.hit_pages + st.staged_pages +
				    st.evicted_pages);

	/* The size= charge is what is resident: the whole file fits again. */
	ASSERT_EQ(0, fallocate(r.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       0, NPAGES * PAGE));
	fill = 0;
	if (!sigsetjmp(fault_jmp, 1)) {
		for (i = 0; i < NPAGES; i++, fill++)
			r.map[i * PAGE] = 2;
	}
	EXPECT_EQ(NPAGES, fill) TH_LOG("size= charge leaked");
	signal(SIGBUS, SIG_DFL);

	munmap((void *)r.map, NPAGES * PAGE);
	close(r.fd);
	ASSERT_EQ(0, unlink(DIR1 "/ram"));
	ASSERT_EQ(0, umount(DIR1));
	EXPECT_EQ(0, sa_debugfs_value("mem_pages "));
}

TEST_HARNESS_MAIN
