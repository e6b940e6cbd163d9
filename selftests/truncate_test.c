// SPDX-License-Identifier: GPL-2.0
/*
 * ftruncate() shrinking a shadowallocfs file under a running KVM guest:
 * the pages past the new end leave the object (its page count and the
 * module's mem_pages drop by exactly them, counted as given back), a
 * touch past the end in a userspace mapping is SIGBUS, the guest's next
 * access there fails (KVM_RUN returns -EFAULT at that address) while the
 * pages below the end keep what the guest wrote, and a regrown file reads
 * zeroes there. Both with 4 KiB and with 2 MiB folios (the new end cuts
 * one in two).
 *
 * The order inside the shrink matters: i_size must be set before the
 * pages are removed, both under the invalidate lock, else a fault racing
 * the shrink refills a page the removal just passed, past the new end for
 * good. shrink_races_faults hammers the range past each new end with
 * userspace faults and the guest's own while it shrinks, and checks
 * after every shrink that nothing is resident there.
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
#include "kvm_guest.h"

#define G1 641
#define PAGE 4096UL
#define HUGE (2UL << 20)
#define NPAGES 4096UL			/* 16 MiB of guest RAM */
#define DIR1 "/tmp/safs-truncate"
#define RACE_ROUNDS 12

static __thread sigjmp_buf fault_jmp;

static void on_sigbus(int sig)
{
	siglongjmp(fault_jmp, 1);
}

/* Write a byte; false if that raised SIGBUS. */
static bool touch(volatile char *p)
{
	if (sigsetjmp(fault_jmp, 1))
		return false;
	*p = 1;
	return true;
}

/* Pages of the object that are in its page cache in [from, to). */
static long resident(volatile char *map, unsigned long from, unsigned long to)
{
	static unsigned char vec[NPAGES];
	unsigned long i;
	long n = 0;

	if (to <= from)
		return 0;
	if (mincore((void *)(map + from * PAGE), (to - from) * PAGE, vec))
		return -errno;
	for (i = 0; i < to - from; i++)
		n += vec[i] & 1;
	return n;
}

static long object_pages(int fd)
{
	struct shadowalloc_mem_bind b;
	int ret = __sa_mem_bind(fd, 0, 0, &b);

	return ret ? ret : (long)b.pages;
}

/* The vCPU: write every page again and again until KVM_RUN fails. */
struct vcpu_run {
	struct vm *v;
	unsigned long pages;
	atomic_long rounds;
	int err;		/* -errno of the failed KVM_RUN, or > 0 */
	uint64_t fail_gpa;	/* the guest's esi then: the page it wrote */
	atomic_bool stop;
};

static void *vcpu_fn(void *arg)
{
	struct vcpu_run *r = arg;
	struct kvm_regs regs;

	while (!atomic_load(&r->stop)) {
		r->err = vm_run_loop(r->v, GUEST_WRITE_ONLY, DATA_GPA,
				     r->pages, PAGE);
		if (r->err) {
			if (!ioctl(r->v->vcpu, KVM_GET_REGS, &regs))
				r->fail_gpa = regs.rsi;
			break;
		}
		atomic_fetch_add(&r->rounds, 1);
	}
	return NULL;
}

/* Userspace faults on random pages of [from, to) until stopped. */
struct faulter {
	volatile char *map;
	unsigned long from, to;
	unsigned int seed;
	atomic_bool *stop;
	long sigbus, written;
};

static void *faulter_fn(void *arg)
{
	struct faulter *f = arg;
	unsigned long i;

	while (!atomic_load(f->stop)) {
		i = f->from + (unsigned long)rand_r(&f->seed) % (f->to - f->from);
		if (touch(f->map + i * PAGE + 64))
			f->written++;
		else
			f->sigbus++;
	}
	return NULL;
}

FIXTURE(truncate) {
	int ctl, fd;
	volatile char *map;
	void *reservation;
	struct vm v;
	bool vm_made;
};

FIXTURE_VARIANT(truncate) {
	unsigned int huge;
	unsigned long new_end;	/* pages */
};

/* 4 KiB folios: cut at 5 MiB. */
FIXTURE_VARIANT_ADD(truncate, small) {
	.huge = 0, .new_end = 1280,
};

/* 2 MiB folios: the end at 5 MiB + 12 KiB splits the block at 4 MiB. */
FIXTURE_VARIANT_ADD(truncate, huge) {
	.huge = 1, .new_end = 1283,
};

FIXTURE_SETUP(truncate)
{
	struct sigaction sa = { .sa_handler = on_sigbus, .sa_flags = SA_NODEFER };
	char opts[64];
	uintptr_t aligned;
	int ret;

	self->fd = -1;
	self->vm_made = false;
	self->map = MAP_FAILED;
	self->ctl = open(SA_DEV, O_RDWR);
	if (self->ctl < 0)
		SKIP(return, "%s: %s", SA_DEV, strerror(errno));
	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "no /dev/kvm");
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	__sa_destroy(self->ctl, G1);
	ASSERT_EQ(0, __sa_create(self->ctl, G1, 0, 0, 0));
	ASSERT_EQ(0, __sa_pool(self->ctl, G1, SHADOWALLOC_POOL_SET_HUGE, 0, 0,
			       variant->huge));
	/* A part of the first touches hit, the rest miss: both paths. */
	ASSERT_EQ(0, __sa_stage(self->ctl, G1, NPAGES / 2));

	umount2(DIR1, MNT_DETACH);
	mkdir(DIR1, 0700);
	snprintf(opts, sizeof(opts), "group=%u,mode=0700", G1);
	ASSERT_EQ(0, mount("none", DIR1, "shadowallocfs", 0, opts));
	self->fd = open(DIR1 "/ram", O_RDWR | O_CREAT | O_EXCL, 0600);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, ftruncate(self->fd, NPAGES * PAGE));

	/* 2 MiB aligned, so whole blocks can be mapped (and by KVM). */
	self->reservation = mmap(NULL, NPAGES * PAGE + HUGE, PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->reservation);
	aligned = ((uintptr_t)self->reservation + HUGE - 1) & ~(HUGE - 1);
	self->map = mmap((void *)aligned, NPAGES * PAGE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	if (variant->huge)
		ASSERT_EQ(0, madvise((void *)self->map, NPAGES * PAGE,
				     MADV_HUGEPAGE));
	ret = vm_create(&self->v, (void *)self->map, NPAGES * PAGE);
	ASSERT_EQ(0, ret) TH_LOG("vm_create: %s", strerror(-ret));
	self->vm_made = true;
}

FIXTURE_TEARDOWN(truncate)
{
	if (self->ctl < 0)
		return;
	if (self->vm_made)
		vm_destroy(&self->v);
	if (self->reservation && self->reservation != MAP_FAILED)
		munmap(self->reservation, NPAGES * PAGE + HUGE);
	if (self->fd >= 0)
		close(self->fd);
	unlink(DIR1 "/ram");
	umount2(DIR1, MNT_DETACH);
	rmdir(DIR1);
	__sa_destroy(self->ctl, G1);
	close(self->ctl);
}

TEST_F_TIMEOUT(truncate, shrink_under_running_guest, 60)
{
	const unsigned long end = variant->new_end;
	struct shadowalloc_stats st0, st1;
	struct vcpu_run r = { .v = &self->v, .pages = NPAGES };
	long mem0, mem1, obj, past;
	struct timespec t0, t1;
	unsigned long i, bad;
	struct stat sb;
	pthread_t t;

	/* The guest's first touch of all of it, then it keeps writing. */
	ASSERT_EQ(0, vm_run_loop(&self->v, GUEST_WRITE_ONLY, DATA_GPA, NPAGES,
				 PAGE));
	ASSERT_EQ(NPAGES, object_pages(self->fd));
	ASSERT_EQ(0, __sa_stats(self->ctl, G1, &st0));
	TH_LOG("first touch: hits %llu (2 MiB %llu), misses %llu, %llu + %llu pages",
	       (unsigned long long)st0.hits, (unsigned long long)st0.hits_huge,
	       (unsigned long long)st0.misses,
	       (unsigned long long)st0.hit_pages,
	       (unsigned long long)st0.miss_pages);
	EXPECT_EQ(NPAGES, st0.hit_pages + st0.miss_pages);
	if (variant->huge)
		EXPECT_GT(st0.hits_huge, 0);
	mem0 = sa_debugfs_value("mem_pages ");

	ASSERT_EQ(0, pthread_create(&t, NULL, vcpu_fn, &r));
	while (atomic_load(&r.rounds) < 2 && !r.err)
		usleep(1000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, ftruncate(self->fd, end * PAGE));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Right when it returns: nothing past the end, whatever ran. */
	past = resident(self->map, end, NPAGES);
	obj = object_pages(self->fd);
	mem1 = sa_debugfs_value("mem_pages ");
	pthread_join(t, NULL);

	TH_LOG("shrink to %lu pages took %ld us under %ld guest rounds; the guest stopped with %d at GPA %#llx",
	       end, (t1.tv_sec - t0.tv_sec) * 1000000 +
	       (t1.tv_nsec - t0.tv_nsec) / 1000, atomic_load(&r.rounds),
	       r.err, (unsigned long long)r.fail_gpa);
	EXPECT_EQ(0, past) TH_LOG("%ld pages resident past the new end", past);
	EXPECT_EQ((long)end, obj);
	EXPECT_EQ(mem0 - (long)(NPAGES - end), mem1);
	ASSERT_EQ(0, fstat(self->fd, &sb));
	EXPECT_EQ((off_t)(end * PAGE), sb.st_size);

	/* The guest's access past the end failed, not below it. */
	EXPECT_EQ(-EFAULT, r.err);
	EXPECT_GE(r.fail_gpa, DATA_GPA + end * PAGE);
	EXPECT_LT(r.fail_gpa, DATA_GPA + NPAGES * PAGE);

	/* Userspace: SIGBUS past the end, the data below it intact. */
	EXPECT_FALSE(touch(self->map + end * PAGE));
	EXPECT_FALSE(touch(self->map + (NPAGES - 1) * PAGE));
	EXPECT_TRUE(touch(self->map + (end - 1) * PAGE + 8));
	for (i = 0, bad = 0; i < end; i++)
		bad += *(volatile uint32_t *)(self->map + i * PAGE) !=
		       (uint32_t)(DATA_GPA + i * PAGE);
	EXPECT_EQ(0, bad) TH_LOG("%lu pages below the end lost the guest's data",
				 bad);

	/* The guest runs on below the end, on the same pages. */
	EXPECT_EQ(0, vm_run_loop(&self->v, GUEST_WRITE_ONLY, DATA_GPA, end,
				 PAGE));
	EXPECT_EQ((long)end, object_pages(self->fd));

	/* Given back, counted so; regrown, the range reads zeroes. */
	ASSERT_EQ(0, __sa_stats(self->ctl, G1, &st1));
	EXPECT_EQ(NPAGES - end, st1.discard_returned_pages -
				st0.discard_returned_pages);
	ASSERT_EQ(0, ftruncate(self->fd, NPAGES * PAGE));
	for (i = end, bad = 0; i < NPAGES; i++)
		bad += *(volatile uint32_t *)(self->map + i * PAGE) != 0;
	EXPECT_EQ(0, bad) TH_LOG("%lu pages past the old end not zero", bad);
	EXPECT_EQ(0, vm_run_loop(&self->v, GUEST_WRITE_ONLY, DATA_GPA, NPAGES,
				 PAGE));
	EXPECT_EQ(NPAGES, object_pages(self->fd));
}

TEST_F_TIMEOUT(truncate, shrink_races_faults, 90)
{
	const unsigned long end = variant->new_end;
	struct faulter f[2];
	struct vcpu_run r;
	atomic_bool stop;
	unsigned long round, efault = 0, past_total = 0, over = 0;
	long past, obj, sigbus = 0, written = 0;
	pthread_t ft[2], vt;
	int i;

	for (round = 0; round < RACE_ROUNDS; round++) {
		ASSERT_EQ(0, ftruncate(self->fd, NPAGES * PAGE));
		/* The guest refills everything, then keeps writing. */
		ASSERT_EQ(0, vm_run_loop(&self->v, GUEST_WRITE_ONLY, DATA_GPA,
					 NPAGES, PAGE));
		memset(&r, 0, sizeof(r));
		r.v = &self->v;
		r.pages = NPAGES;
		atomic_store(&stop, false);
		ASSERT_EQ(0, pthread_create(&vt, NULL, vcpu_fn, &r));
		/* Punch the range past the end first: its faults are first touches. */
		ASSERT_EQ(0, fallocate(self->fd, FALLOC_FL_PUNCH_HOLE |
				       FALLOC_FL_KEEP_SIZE, end * PAGE,
				       (NPAGES - end) * PAGE));
		for (i = 0; i < 2; i++) {
			f[i] = (struct faulter){
				.map = self->map, .from = end, .to = NPAGES,
				.seed = round * 2 + i + 1, .stop = &stop,
			};
			ASSERT_EQ(0, pthread_create(&ft[i], NULL, faulter_fn,
						    &f[i]));
		}
		usleep(20000);
		ASSERT_EQ(0, ftruncate(self->fd, end * PAGE));
		past = resident(self->map, end, NPAGES);
		obj = object_pages(self->fd);
		atomic_store(&stop, true);
		atomic_store(&r.stop, true);
		for (i = 0; i < 2; i++) {
			pthread_join(ft[i], NULL);
			sigbus += f[i].sigbus;
			written += f[i].written;
		}
		pthread_join(vt, NULL);
		efault += r.err == -EFAULT;
		past_total += past;
		over += obj != (long)end;
		EXPECT_EQ(0, past) TH_LOG("round %lu: %ld pages past the end",
					  round, past);
		EXPECT_EQ((long)end, obj) TH_LOG("round %lu", round);
		/* Nothing a fault put in after the shrink: still none. */
		EXPECT_EQ(0, resident(self->map, end, NPAGES));
	}
	TH_LOG("%d rounds: userspace faults past the end %ld written before the shrink, %ld SIGBUS after; the guest stopped with EFAULT in %lu",
	       RACE_ROUNDS, written, sigbus, efault);
	EXPECT_EQ(0, past_total);
	EXPECT_EQ(0, over);
	/* Both sides raced the shrink, or the test proved nothing. */
	EXPECT_GT(written, 0);
	EXPECT_GT(sigbus, 0);
}

TEST_HARNESS_MAIN
