// SPDX-License-Identifier: GPL-2.0
/*
 * Real KVM guests on /dev/shadowalloc memory.
 *
 * A minimal VM: one vCPU in 32-bit protected mode with flat segments and
 * paging off (so guest-physical equals linear addresses), code in a small
 * anonymous memslot at GPA 0 and guest RAM in a memslot at GPA 1 GiB backed
 * by a shared mapping of the device. Each first touch by the guest is a
 * nested page fault that KVM resolves with get_user_pages on the VMM's
 * mapping, which lands in the module's fault handler.
 */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include "kselftest_harness.h"
#include "sa_test.h"
#include "kvm_guest.h"

#define G1		601
#define PAGE		4096UL

FIXTURE(kvm) {
	int fd;
};

FIXTURE_SETUP(kvm)
{
	struct shadowalloc_pool_config c = {
		.size = sizeof(c), .group_id = G1,
		.flags = SHADOWALLOC_POOL_SET_MAX_AGE, .max_age_ms = 600000,
	};

	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "no /dev/kvm: %s", strerror(errno));
	self->fd = open(SA_DEV, O_RDWR);
	if (self->fd < 0)
		SKIP(return, "%s: %s", SA_DEV, strerror(errno));
	__sa_remove_vm(self->fd, G1, getpid());
	__sa_destroy(self->fd, G1);
	ASSERT_EQ(0, __sa_create(self->fd, G1, 0, 0, 0));
	ASSERT_EQ(0, __sa_ioctl(self->fd, SHADOWALLOC_IOC_POOL_CONFIG, &c));
	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, getpid()));
	ASSERT_EQ(0, __sa_enable(self->fd, G1));
}

FIXTURE_TEARDOWN(kvm)
{
	if (self->fd < 0)
		return;
	__sa_remove_vm(self->fd, G1, getpid());
	__sa_destroy(self->fd, G1);
	close(self->fd);
}

TEST_F_TIMEOUT(kvm, first_touch_served_once, 300)
{
	struct shadowalloc_stage_reserve r = {
		.size = sizeof(r), .group_id = G1, .pages = 256,
	};
	const size_t size = 1024 * PAGE;
	struct shadowalloc_stats st;
	struct timespec t0, t1;
	struct vm v;
	uint32_t *data;
	unsigned long i;
	int mfd;

	mfd = open(SA_DEV, O_RDWR);
	ASSERT_GE(mfd, 0);
	data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, data);
	ASSERT_EQ(0, vm_create(&v, data, size));

	/* Staged: 256 guest first touches, 256 hits. */
	ASSERT_EQ(0, __sa_ioctl(self->fd, SHADOWALLOC_IOC_STAGE_RESERVE, &r));
	ASSERT_EQ(0, __sa_wait_staged(self->fd, G1, 256));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, vm_touch(&v, DATA_GPA, 256, PAGE));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(256, st.faults);
	EXPECT_EQ(256, st.hits);
	EXPECT_EQ(0, st.misses);
	TH_LOG("256 staged first touches by the guest: %ld us",
	       (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);

	/*
	 * Not staged: 256 more, misses. The forecaster has seen the first
	 * 256 and would stage for more: a one-page cap keeps it from that
	 * (and releases what it staged), and the smallest zeroing budget
	 * keeps the refill from slipping a page in between every two faults
	 * (256 pages/s, a bucket of 26): most are misses.
	 */
	struct shadowalloc_pool_config slow = {
		.size = sizeof(slow), .group_id = G1,
		.flags = SHADOWALLOC_POOL_SET_CAP |
			 SHADOWALLOC_POOL_SET_ZERO_BUDGET,
		.max_staged_bytes = PAGE,
		.zero_pages_per_sec = SHADOWALLOC_ZERO_BUDGET_MIN,
	};

	ASSERT_EQ(0, __sa_ioctl(self->fd, SHADOWALLOC_IOC_POOL_CONFIG, &slow));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, vm_touch(&v, DATA_GPA + 256 * PAGE, 256, PAGE));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(512, st.faults);
	EXPECT_GE(st.misses, 128);
	EXPECT_EQ(512, st.hits + st.misses);
	ASSERT_GT(st.misses, 0);
	TH_LOG("256 unstaged first touches by the guest: %ld us",
	       (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);
	TH_LOG("mean service time: hit %llu ns, miss %llu ns",
	       st.hit_service_ns / st.hits, st.miss_service_ns / st.misses);

	/* Touching the same pages again: no new first touch. */
	ASSERT_EQ(0, vm_touch(&v, DATA_GPA, 512, PAGE));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(512, st.faults);

	/* What the guest wrote, the VMM reads; the rest was never touched. */
	for (i = 0; i < 512; i++)
		ASSERT_EQ(DATA_GPA + i * PAGE, data[i * PAGE / 4]);
	EXPECT_EQ(512, sa_debugfs_value("mem_pages "));

	vm_destroy(&v);
	munmap(data, size);
	close(mfd);
	EXPECT_EQ(0, sa_debugfs_value("mem_pages "));
}

/* munmap while the memslot still points at the mapping. */
TEST_F_TIMEOUT(kvm, munmap_with_memslot, 300)
{
	const size_t size = 64 * PAGE;
	struct vm v;
	void *data;
	int mfd, ret;

	mfd = open(SA_DEV, O_RDWR);
	data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, data);
	ASSERT_EQ(0, vm_create(&v, data, size));
	ASSERT_EQ(0, vm_touch(&v, DATA_GPA, 32, PAGE));
	/* KVM's mappings go with the VMM's, through the MMU notifier. */
	ASSERT_EQ(0, munmap(data, size));
	close(mfd);
	EXPECT_EQ(0, sa_debugfs_value("mem_pages "));
	/* The guest touching it now cannot be served: KVM says so. */
	ret = vm_touch(&v, DATA_GPA, 1, PAGE);
	EXPECT_NE(0, ret);
	TH_LOG("guest touch after munmap: %d (%s)", ret,
	       ret < 0 ? strerror(-ret) : "exit");
	vm_destroy(&v);
	EXPECT_EQ(0, sa_debugfs_value("mem_pages "));
}

/* A VMM killed at any moment leaks nothing. */
TEST_F_TIMEOUT(kvm, sigkill_vmm, 600)
{
	struct shadowalloc_stage_reserve r = {
		.size = sizeof(r), .group_id = G1, .pages = 2048,
	};
	unsigned int seed = 42, iter;
	long staged_before;

	ASSERT_EQ(0, __sa_ioctl(self->fd, SHADOWALLOC_IOC_STAGE_RESERVE, &r));
	ASSERT_EQ(0, __sa_wait_staged(self->fd, G1, 2048));
	staged_before = sa_debugfs_value("staged_pages ");
	for (iter = 0; iter < 50; iter++) {
		int sync_pipe[2];
		pid_t child;
		char c;

		ASSERT_EQ(0, pipe(sync_pipe));
		child = fork();
		ASSERT_GE(child, 0);
		if (child == 0) {
			const size_t size = 256 * PAGE;
			struct vm v;
			void *data;
			int mfd;

			close(sync_pipe[0]);
			mfd = open(SA_DEV, O_RDWR);
			data = mmap(NULL, size, PROT_READ | PROT_WRITE,
				    MAP_SHARED, mfd, 0);
			if (data == MAP_FAILED || vm_create(&v, data, size))
				_exit(1);
			if (write(sync_pipe[1], "x", 1) != 1)
				_exit(1);
			for (;;)
				vm_touch(&v, DATA_GPA, 256, PAGE);
		}
		close(sync_pipe[1]);
		/* A forked VMM is a process of its own: it joins the group. */
		__sa_add_vm(self->fd, G1, child);
		ASSERT_EQ(1, read(sync_pipe[0], &c, 1));
		close(sync_pipe[0]);
		usleep(rand_r(&seed) % 200000);
		kill(child, SIGKILL);
		ASSERT_EQ(child, waitpid(child, NULL, 0));
	}
	/* Every memory object of the killed VMMs is gone. */
	EXPECT_EQ(0, sa_debugfs_value("mem_pages "));
	TH_LOG("staged pages %ld before, %ld after 50 killed VMMs",
	       staged_before, sa_debugfs_value("staged_pages "));
}

/* rmmod is refused while guest memory is mapped, even with its fd closed. */
TEST_F(kvm, rmmod_refused_while_mapped)
{
	void *data;
	int mfd;

	mfd = open(SA_DEV, O_RDWR);
	data = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, data);
	close(mfd);
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(-1, syscall(SYS_delete_module, "shadowalloc", O_NONBLOCK));
	ASSERT_TRUE(errno == EWOULDBLOCK || errno == EBUSY);
	munmap(data, PAGE);
	self->fd = open(SA_DEV, O_RDWR);
	ASSERT_GE(self->fd, 0);
}

TEST_HARNESS_MAIN
