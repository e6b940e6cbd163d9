// SPDX-License-Identifier: GPL-2.0
/*
 * Guest pages are charged to the memcg of the task that faults them in,
 * staged pages to nobody until then: a VMM in a cgroup with memory.max
 * cannot use its group's staged pages to go past the limit, and the OOM
 * kill that follows stays inside that cgroup.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "sa_test.h"

#define G1 621
#define PAGE 4096UL
#define CG_ROOT "/sys/fs/cgroup"
#define CG CG_ROOT "/sa-memcg-test"
#define LIMIT_MB 16UL
#define TOUCH_MB 64UL

static int cg_write(const char *file, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", CG, file);
	return __sa_write_file(path, val);
}

/* A "key value" line of a cgroup file, or -1. */
static long cg_key(const char *file, const char *key)
{
	char path[128], k[64];
	long v, found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", CG, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", k, &v) == 2)
		if (!strcmp(k, key))
			found = v;
	fclose(f);
	return found;
}

static long cg_value(const char *file)
{
	char path[128];
	unsigned long v;

	snprintf(path, sizeof(path), "%s/%s", CG, file);
	return __sa_read_ulong(path, &v) ? -1 : (long)v;
}

FIXTURE(memcg) {
	int fd;
};

FIXTURE_SETUP(memcg)
{
	char ctl[256] = "";
	FILE *f;

	self->fd = -1;
	f = fopen(CG_ROOT "/cgroup.controllers", "r");
	if (!f || !fgets(ctl, sizeof(ctl), f) || !strstr(ctl, "memory")) {
		if (f)
			fclose(f);
		SKIP(return, "no cgroup v2 memory controller at %s", CG_ROOT);
	}
	fclose(f);
	ASSERT_EQ(0, __sa_write_file(CG_ROOT "/cgroup.subtree_control",
				     "+memory"));
	rmdir(CG);
	ASSERT_EQ(0, mkdir(CG, 0755));
	self->fd = open(SA_DEV, O_RDWR);
	ASSERT_GE(self->fd, 0);
	__sa_destroy(self->fd, G1);
	ASSERT_EQ(0, __sa_create(self->fd, G1, 0, 0, 0));
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->fd < 0)
		return;
	__sa_destroy(self->fd, G1);
	close(self->fd);
	rmdir(CG);
}

/* The VMM: joins the cgroup, maps an object of G1, touches TOUCH_MB. */
static void vmm(void)
{
	struct shadowalloc_mem_bind b = { 0 };
	char pid[16];
	volatile char *p;
	unsigned long i;
	int mfd;

	snprintf(pid, sizeof(pid), "%d", getpid());
	if (cg_write("cgroup.procs", pid))
		_exit(10);
	mfd = open(SA_DEV, O_RDWR);
	if (mfd < 0 || __sa_mem_bind(mfd, SHADOWALLOC_MEM_BIND_SET, G1, &b))
		_exit(11);
	p = mmap(NULL, TOUCH_MB << 20, PROT_READ | PROT_WRITE, MAP_SHARED,
		 mfd, 0);
	if (p == MAP_FAILED)
		_exit(12);
	for (i = 0; i < (TOUCH_MB << 20) / PAGE; i++)
		p[i * PAGE] = 1;
	_exit(0);	/* went past memory.max: the test fails */
}

TEST_F_TIMEOUT(memcg, staged_pages_do_not_lift_memory_max, 120)
{
	const unsigned long staged = (TOUCH_MB << 20) / PAGE;
	struct shadowalloc_stats st;
	char max[32];
	int status;
	pid_t pid;

	ASSERT_EQ(0, __sa_stage(self->fd, G1, staged));
	snprintf(max, sizeof(max), "%lu", LIMIT_MB << 20);
	ASSERT_EQ(0, cg_write("memory.max", max));

	/* run_tests.sh tolerates the OOM report's stack dump between these. */
	__sa_write_file("/dev/kmsg", "shadowalloc-selftest: expected OOM begins");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		vmm();
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	__sa_write_file("/dev/kmsg", "shadowalloc-selftest: expected OOM ends");

	/* Killed by the memcg OOM killer, not allowed through. */
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("VMM status %#x", status);
	EXPECT_GE(cg_key("memory.events", "oom_kill"), 1);
	EXPECT_LE(cg_value("memory.peak"), (long)(LIMIT_MB << 20));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	TH_LOG("hits %llu misses %llu, peak %ld KiB of a %lu MiB limit",
	       (unsigned long long)st.hits, (unsigned long long)st.misses,
	       cg_value("memory.peak") >> 10, LIMIT_MB);
	/* It used staged pages, up to the limit and no further. */
	EXPECT_GT(st.hits, 0);
	EXPECT_LE(st.hit_pages + st.miss_pages, (LIMIT_MB << 20) / PAGE);
	/* The staged pages left were charged to nobody. */
	EXPECT_LE(cg_value("memory.current"), 1L << 20);
	EXPECT_GT(st.staged_pages, 0);
	/* This process, outside the cgroup, was not the victim. */
	EXPECT_EQ(0, kill(getpid(), 0));
}

TEST_HARNESS_MAIN
