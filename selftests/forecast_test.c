// SPDX-License-Identifier: GPL-2.0
/*
 * The forecaster in the module, with real KVM guests:
 *  - a periodic burst workload: with no reservation, staging follows the
 *    bursts and later bursts are served from the pool;
 *  - when the load stops, the target falls and staged pages age out;
 *  - MODEL_EXPORT / MODEL_IMPORT: round trip, and every kind of bad blob
 *    or argument refused with its errno, changing nothing;
 */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <time.h>

#include "kselftest_harness.h"
#include "sa_test.h"
#include "kvm_guest.h"

#define G1		621
#define G2		622
#define PAGE		4096UL
#define DATA_SIZE	(64UL << 20)
#define BURST		512
#define PERIOD_US	2000000
#define BURSTS		8

static int sa_model(int fd, unsigned long cmd, uint32_t id, void *blob,
		    uint32_t *len)
{
	struct shadowalloc_model m = {
		.size = sizeof(m), .group_id = id, .blob_len = *len,
		.blob = (uintptr_t)blob,
	};
	int ret = __sa_ioctl(fd, cmd, &m);

	*len = m.blob_len;
	return ret;
}

static int sa_export(int fd, uint32_t id, void *blob, uint32_t *len)
{
	return sa_model(fd, SHADOWALLOC_IOC_MODEL_EXPORT, id, blob, len);
}

static int sa_import(int fd, uint32_t id, void *blob, uint32_t len)
{
	return sa_model(fd, SHADOWALLOC_IOC_MODEL_IMPORT, id, blob, &len);
}

/* Export G1's (trained) model and import it into a new group G2. */
static int trained_round_trip(int fd)
{
	static unsigned char blob[SHADOWALLOC_MODEL_BLOB_MAX];
	uint32_t len = sizeof(blob);
	int ret;

	ret = sa_export(fd, G1, blob, &len);
	if (!ret)
		ret = __sa_create(fd, G2, 0, 0, 0);
	if (!ret)
		ret = sa_import(fd, G2, blob, len);
	return ret;
}

/* This process as the one member VM of enabled group G1, with guest RAM. */
FIXTURE(fc) {
	int fd, mfd;
	void *data;
	struct vm v;
	bool have_vm;
};

FIXTURE_SETUP(fc)
{
	self->have_vm = false;
	self->mfd = -1;
	self->fd = open(SA_DEV, O_RDWR);
	if (self->fd < 0)
		SKIP(return, "%s: %s", SA_DEV, strerror(errno));
	__sa_remove_vm(self->fd, G1, getpid());
	__sa_destroy(self->fd, G1);
	__sa_destroy(self->fd, G2);
	ASSERT_EQ(0, __sa_create(self->fd, G1, 0, 0, 1000));
	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_HUGE |
			     SHADOWALLOC_POOL_SET_MAX_AGE, 600000, 0, 0));
	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, getpid()));
	ASSERT_EQ(0, __sa_enable(self->fd, G1));
	if (access("/dev/kvm", R_OK | W_OK))
		return;
	self->mfd = open(SA_DEV, O_RDWR);
	ASSERT_GE(self->mfd, 0);
	self->data = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			  self->mfd, 0);
	ASSERT_NE(MAP_FAILED, self->data);
	/* As QEMU does for guest RAM: 2 MiB where the pool allows it. */
	ASSERT_EQ(0, madvise(self->data, DATA_SIZE, MADV_HUGEPAGE));
	ASSERT_EQ(0, vm_create(&self->v, self->data, DATA_SIZE));
	self->have_vm = true;
}

FIXTURE_TEARDOWN(fc)
{
	if (self->fd < 0)
		return;
	if (self->have_vm) {
		vm_destroy(&self->v);
		munmap(self->data, DATA_SIZE);
	}
	if (self->mfd >= 0)
		close(self->mfd);
	__sa_remove_vm(self->fd, G1, getpid());
	__sa_destroy(self->fd, G1);
	__sa_destroy(self->fd, G2);
	close(self->fd);
}

/*
 * Bursts of 512 first touches every 2 s, horizon 1 s: nothing is reserved,
 * so whatever is staged before a burst is the forecaster's doing. The first
 * burst misses; from the fourth on, bursts are served from the pool.
 */
TEST_F_TIMEOUT(fc, staging_follows_periodic_bursts, 180)
{
	struct shadowalloc_stats a, b, st;
	unsigned long late_hits = 0, late_faults = 0;
	int i;

	if (!self->have_vm)
		SKIP(return, "no /dev/kvm");
	/* The code page, outside the bursts. */
	ASSERT_EQ(0, vm_run_loop(&self->v, GUEST_WRITE_ONLY,
				 DATA_GPA + DATA_SIZE - PAGE, 1, PAGE));
	for (i = 0; i < BURSTS; i++) {
		ASSERT_EQ(0, __sa_stats(self->fd, G1, &a));
		ASSERT_EQ(0, vm_run_loop(&self->v, GUEST_WRITE_ONLY,
					 DATA_GPA + i * BURST * PAGE, BURST,
					 PAGE));
		ASSERT_EQ(0, __sa_stats(self->fd, G1, &b));
		TH_LOG("burst %d: %llu hits, %llu misses; staged before %llu, target %llu",
		       i, b.hits - a.hits, b.misses - a.misses,
		       a.staged_pages, a.staging_target_pages);
		EXPECT_EQ(BURST, b.faults - a.faults);
		if (i >= 3) {
			late_hits += b.hits - a.hits;
			late_faults += b.faults - a.faults;
		}
		usleep(PERIOD_US);
	}
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	TH_LOG("bursts 4..%d: hit rate %lu/%lu; forecast error %u permille, last-value %u permille, %llu windows",
	       BURSTS, late_hits, late_faults, st.forecast_err_permille,
	       st.naive_err_permille, st.forecast_windows);
	EXPECT_GE(late_hits * 100, late_faults * 90);
	EXPECT_GT(st.forecast_windows, 0);
	EXPECT_EQ(0, st.reserved_pages);
	/* What the group learned moves to another group. */
	EXPECT_EQ(0, trained_round_trip(self->fd));
}

/* When the load stops, the forecast falls and the staged pages age out. */
TEST_F_TIMEOUT(fc, staging_ages_out_when_load_stops, 180)
{
	struct shadowalloc_stats st;
	int i;

	if (!self->have_vm)
		SKIP(return, "no /dev/kvm");
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, vm_run_loop(&self->v, GUEST_WRITE_ONLY,
					 DATA_GPA + i * BURST * PAGE, BURST,
					 PAGE));
		usleep(PERIOD_US);
	}
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	TH_LOG("after the load: staged %llu, target %llu", st.staged_pages,
	       st.staging_target_pages);
	EXPECT_GT(st.staged_pages, 0);
	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_MAX_AGE, 500,
			     0, 0));
	for (i = 0; i < 300; i++) {
		ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
		if (!st.staged_pages && !st.staging_target_pages)
			break;
		usleep(100000);
	}
	TH_LOG("%.1f s later: staged %llu, target %llu, evicted %llu", i / 10.0,
	       st.staged_pages, st.staging_target_pages, st.evicted_pages);
	EXPECT_EQ(0, st.staged_pages);
	EXPECT_EQ(0, st.staging_target_pages);
	EXPECT_GT(st.evicted_pages, 0);
}

/* Export, import elsewhere, export again: the same bytes. */
TEST_F(fc, model_round_trip)
{
	static unsigned char a[SHADOWALLOC_MODEL_BLOB_MAX];
	static unsigned char b[SHADOWALLOC_MODEL_BLOB_MAX];
	uint32_t la = sizeof(a), lb = sizeof(b), small = 8;

	ASSERT_EQ(0, __sa_create(self->fd, G2, 0, 0, 0));
	ASSERT_EQ(0, sa_export(self->fd, G1, a, &la));
	ASSERT_GT(la, 16);
	ASSERT_LE(la, SHADOWALLOC_MODEL_BLOB_MAX);
	ASSERT_EQ(0, sa_import(self->fd, G2, a, la));
	ASSERT_EQ(0, sa_export(self->fd, G2, b, &lb));
	ASSERT_EQ(la, lb);
	EXPECT_EQ(0, memcmp(a, b, la));
	/* Too small a buffer: -ENOSPC and the size needed. */
	EXPECT_EQ(-ENOSPC, sa_export(self->fd, G1, b, &small));
	EXPECT_EQ(la, small);
}

/* Every bad blob and argument is refused and changes nothing. */
TEST_F(fc, model_bad_input)
{
	static unsigned char good[SHADOWALLOC_MODEL_BLOB_MAX];
	static unsigned char bad[SHADOWALLOC_MODEL_BLOB_MAX + 8];
	static unsigned char after[SHADOWALLOC_MODEL_BLOB_MAX];
	uint32_t len = sizeof(good), alen = sizeof(after), big;
	struct shadowalloc_model m;

	ASSERT_EQ(0, sa_export(self->fd, G1, good, &len));

	/* Truncated, and too long. */
	memcpy(bad, good, len);
	EXPECT_EQ(-EINVAL, sa_import(self->fd, G1, bad, len - 1));
	EXPECT_EQ(-EINVAL, sa_import(self->fd, G1, bad, len + 1));
	EXPECT_EQ(-EINVAL, sa_import(self->fd, G1, bad, 0));
	EXPECT_EQ(-EINVAL, sa_import(self->fd, G1, bad,
				     SHADOWALLOC_MODEL_BLOB_MAX + 1));
	/* Bad magic (first word). */
	bad[0] ^= 0xff;
	EXPECT_EQ(-EINVAL, sa_import(self->fd, G1, bad, len));
	bad[0] ^= 0xff;
	/* Another version (second word). */
	bad[4] += 1;
	EXPECT_EQ(-EPROTONOSUPPORT, sa_import(self->fd, G1, bad, len));
	bad[4] -= 1;
	/* A flipped payload byte. */
	bad[len - 3] ^= 0x40;
	EXPECT_EQ(-EBADMSG, sa_import(self->fd, G1, bad, len));
	bad[len - 3] ^= 0x40;
	/* The intact blob still imports; unknown group, bad id. */
	EXPECT_EQ(-ENOENT, sa_import(self->fd, G2, bad, len));
	EXPECT_EQ(-EINVAL, sa_import(self->fd, 0, bad, len));
	big = sizeof(after);
	EXPECT_EQ(-ENOENT, sa_export(self->fd, G2, after, &big));
	/* Flags and reserved fields. */
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.group_id = G1;
	m.blob_len = len;
	m.blob = (uintptr_t)bad;
	m.flags = 1;
	EXPECT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_MODEL_IMPORT, &m));
	m.flags = 0;
	m.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_MODEL_IMPORT, &m));
	m.reserved[1] = 0;
	m.size = SHADOWALLOC_MODEL_SIZE_VER0 - 8;
	EXPECT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_MODEL_IMPORT, &m));
	m.size = sizeof(m);
	m.blob = 16;	/* an unmapped address */
	EXPECT_EQ(-EFAULT, __sa_ioctl(self->fd, SHADOWALLOC_IOC_MODEL_IMPORT, &m));

	/* Nothing changed (the worker may have ticked: compare the header). */
	ASSERT_EQ(0, sa_export(self->fd, G1, after, &alen));
	EXPECT_EQ(len, alen);
	EXPECT_EQ(0, memcmp(good, after, 8));
	EXPECT_EQ(0, sa_import(self->fd, G1, good, len));
}

/* Without CAP_SYS_ADMIN: -EPERM for export, import and record. */
TEST_F(fc, model_and_record_need_privilege)
{
	static unsigned char blob[SHADOWALLOC_MODEL_BLOB_MAX];
	uint32_t len = sizeof(blob);
	pid_t pid;
	int status;

	ASSERT_EQ(0, sa_export(self->fd, G1, blob, &len));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct data[2] = {};
		struct shadowalloc_record r = {
			.size = sizeof(r), .group_id = G1,
		};
		uint32_t l = sizeof(blob);

		if (syscall(SYS_capset, &hdr, data))
			_exit(10);
		if (sa_export(self->fd, G1, blob, &l) != -EPERM)
			_exit(11);
		if (sa_import(self->fd, G1, blob, len) != -EPERM)
			_exit(12);
		if (ioctl(self->fd, SHADOWALLOC_IOC_RECORD, &r) != -1 ||
		    errno != EPERM)
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
