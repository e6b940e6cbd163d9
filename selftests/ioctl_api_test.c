// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl API of /dev/shadowalloc, byte by byte: every ioctl's success
 * path and every bad input of Documentation/ioctl-api.rst, each with its
 * exact errno, and a check that a failed call changed nothing.
 */
#include <sys/mman.h>
#include <linux/capability.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "sa_test.h"

/* Group ids of this file; other test programs use other ranges. */
#define G1 101
#define G2 102

FIXTURE(dev) {
	int fd;
	pid_t vm1, vm2;
};

FIXTURE_SETUP(dev)
{
	self->vm1 = self->vm2 = -1;
	self->fd = open(SA_DEV, O_RDWR);
	if (self->fd < 0)
		SKIP(return, "%s: %s (module not loaded?)", SA_DEV, strerror(errno));
	/* Leftovers of an earlier failed run. */
	__sa_destroy(self->fd, G1);
	__sa_destroy(self->fd, G2);
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd < 0)
		return;
	sa_reap_vm(self->vm1);
	sa_reap_vm(self->vm2);
	/* Members that exited are pruned by destroy itself. */
	__sa_destroy(self->fd, G1);
	__sa_destroy(self->fd, G2);
	close(self->fd);
}

/* Snapshot of what GET_STATS says of a group's configuration and state. */
static int group_state(int fd, uint32_t id, struct shadowalloc_stats *st)
{
	return __sa_stats(fd, id, st);
}

#define ASSERT_UNCHANGED(fd, id, before) do {				\
	struct shadowalloc_stats __now;					\
	ASSERT_EQ(0, group_state(fd, id, &__now));			\
	ASSERT_EQ((before)->state, __now.state);			\
	ASSERT_EQ((before)->nr_vms, __now.nr_vms);			\
	ASSERT_EQ((before)->max_vms, __now.max_vms);			\
	ASSERT_EQ((before)->horizon_ms, __now.horizon_ms);		\
	ASSERT_EQ((before)->max_staged_bytes, __now.max_staged_bytes);	\
} while (0)

TEST_F(dev, lifecycle)
{
	struct shadowalloc_stats st;
	unsigned long max_vms = 0, staged_mb = 0;

	ASSERT_EQ(0, __sa_read_param("max_vms_per_group", &max_vms));
	ASSERT_EQ(0, __sa_read_param("default_max_staged_mb", &staged_mb));

	ASSERT_EQ(0, __sa_create(self->fd, G1, 0, 0, 0));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(sizeof(st), st.size);
	EXPECT_EQ(G1, st.group_id);
	EXPECT_EQ(0, st.state);
	EXPECT_EQ(0, st.nr_vms);
	EXPECT_EQ(max_vms, st.max_vms);
	EXPECT_EQ(SHADOWALLOC_HORIZON_DEFAULT_MS, st.horizon_ms);
	EXPECT_EQ(staged_mb << 20, st.max_staged_bytes);

	self->vm1 = sa_spawn_vm();
	ASSERT_GT(self->vm1, 0);
	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, self->vm1));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(1, st.nr_vms);

	ASSERT_EQ(0, __sa_enable(self->fd, G1));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(SHADOWALLOC_STATE_ENABLED, st.state & SHADOWALLOC_STATE_ENABLED);

	ASSERT_EQ(0, __sa_horizon(self->fd, G1, 60000));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(60000, st.horizon_ms);

	ASSERT_EQ(0, __sa_disable(self->fd, G1));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(0, st.state & SHADOWALLOC_STATE_ENABLED);

	ASSERT_EQ(0, __sa_remove_vm(self->fd, G1, self->vm1));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(0, st.nr_vms);

	ASSERT_EQ(0, __sa_destroy(self->fd, G1));
	ASSERT_EQ(-ENOENT, __sa_stats(self->fd, G1, &st));
}

TEST_F(dev, create_with_settings)
{
	struct shadowalloc_stats st;

	ASSERT_EQ(0, __sa_create(self->fd, G1, 3, 64 << 20, 250));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(3, st.max_vms);
	EXPECT_EQ(64 << 20, st.max_staged_bytes);
	EXPECT_EQ(250, st.horizon_ms);
	/* An enabled group can be destroyed: it is disabled first. */
	ASSERT_EQ(0, __sa_enable(self->fd, G1));
	ASSERT_EQ(0, __sa_destroy(self->fd, G1));
	/* The extreme ids are valid. */
	ASSERT_EQ(0, __sa_create(self->fd, SHADOWALLOC_GROUP_ID_MAX, 0, 0, 0));
	ASSERT_EQ(0, __sa_destroy(self->fd, SHADOWALLOC_GROUP_ID_MAX));
	ASSERT_EQ(0, __sa_create(self->fd, SHADOWALLOC_GROUP_ID_MIN, 0, 0, 0));
	ASSERT_EQ(0, __sa_destroy(self->fd, SHADOWALLOC_GROUP_ID_MIN));
}

TEST_F(dev, create_bad_input)
{
	struct shadowalloc_stats before;
	unsigned long max_vms = 0;
	long page = sysconf(_SC_PAGESIZE);

	ASSERT_EQ(0, __sa_read_param("max_vms_per_group", &max_vms));
	ASSERT_EQ(-EINVAL, __sa_create(self->fd, 0, 0, 0, 0));
	ASSERT_EQ(-EINVAL, __sa_create(self->fd, SHADOWALLOC_GROUP_ID_MAX + 1, 0, 0, 0));
	ASSERT_EQ(-EINVAL, __sa_create(self->fd, 0xffffffff, 0, 0, 0));
	ASSERT_EQ(-EINVAL, __sa_create(self->fd, G1, max_vms + 1, 0, 0));
	ASSERT_EQ(-EINVAL, __sa_create(self->fd, G1, 0, page + 1, 0));
	ASSERT_EQ(-EINVAL, __sa_create(self->fd, G1, 0, 1ULL << 62, 0));
	ASSERT_EQ(-ERANGE, __sa_create(self->fd, G1, 0, 0, SHADOWALLOC_HORIZON_MIN_MS - 1));
	ASSERT_EQ(-ERANGE, __sa_create(self->fd, G1, 0, 0, SHADOWALLOC_HORIZON_MAX_MS + 1));
	/* Range checks come in field order. */
	ASSERT_EQ(-EINVAL, __sa_create(self->fd, G1, max_vms + 1, 0, 1));
	ASSERT_EQ(-ENOENT, __sa_stats(self->fd, G1, &before));

	ASSERT_EQ(0, __sa_create(self->fd, G1, 2, 0, 1000));
	ASSERT_EQ(0, group_state(self->fd, G1, &before));
	ASSERT_EQ(-EEXIST, __sa_create(self->fd, G1, 0, 0, 0));
	/* Value ranges are checked before existence. */
	ASSERT_EQ(-ERANGE, __sa_create(self->fd, G1, 0, 0, 1));
	ASSERT_UNCHANGED(self->fd, G1, &before);
}

TEST_F(dev, unknown_group)
{
	struct shadowalloc_stats st;

	self->vm1 = sa_spawn_vm();
	ASSERT_EQ(-ENOENT, __sa_destroy(self->fd, G1));
	ASSERT_EQ(-ENOENT, __sa_enable(self->fd, G1));
	ASSERT_EQ(-ENOENT, __sa_disable(self->fd, G1));
	ASSERT_EQ(-ENOENT, __sa_add_vm(self->fd, G1, self->vm1));
	ASSERT_EQ(-ENOENT, __sa_remove_vm(self->fd, G1, self->vm1));
	ASSERT_EQ(-ENOENT, __sa_horizon(self->fd, G1, 1000));
	ASSERT_EQ(-ENOENT, __sa_stats(self->fd, G1, &st));
	/* Invalid ids are -EINVAL for every ioctl. */
	ASSERT_EQ(-EINVAL, __sa_destroy(self->fd, 0));
	ASSERT_EQ(-EINVAL, __sa_enable(self->fd, 0));
	ASSERT_EQ(-EINVAL, __sa_disable(self->fd, 0x80000000));
	ASSERT_EQ(-EINVAL, __sa_add_vm(self->fd, 0, self->vm1));
	ASSERT_EQ(-EINVAL, __sa_remove_vm(self->fd, 0, self->vm1));
	ASSERT_EQ(-EINVAL, __sa_horizon(self->fd, 0, 1000));
	ASSERT_EQ(-EINVAL, __sa_stats(self->fd, 0, &st));
}

TEST_F(dev, membership_bad_input)
{
	struct shadowalloc_stats b1, b2;
	pid_t nopid = sa_free_pid();

	ASSERT_EQ(0, __sa_create(self->fd, G1, 1, 0, 0));
	ASSERT_EQ(0, __sa_create(self->fd, G2, 0, 0, 0));
	self->vm1 = sa_spawn_vm();
	self->vm2 = sa_spawn_vm();
	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, self->vm1));
	ASSERT_EQ(0, group_state(self->fd, G1, &b1));
	ASSERT_EQ(0, group_state(self->fd, G2, &b2));

	ASSERT_EQ(-EEXIST, __sa_add_vm(self->fd, G1, self->vm1));
	ASSERT_EQ(-EBUSY, __sa_add_vm(self->fd, G2, self->vm1));
	ASSERT_EQ(-ENOSPC, __sa_add_vm(self->fd, G1, self->vm2));
	ASSERT_EQ(-EINVAL, __sa_add_vm(self->fd, G1, 0));
	ASSERT_EQ(-EINVAL, __sa_add_vm(self->fd, G1, -5));
	ASSERT_GT(nopid, 0);
	ASSERT_EQ(-ESRCH, __sa_add_vm(self->fd, G1, nopid));
	ASSERT_EQ(-ENXIO, __sa_remove_vm(self->fd, G2, self->vm1));
	ASSERT_EQ(-ENXIO, __sa_remove_vm(self->fd, G1, self->vm2));
	ASSERT_EQ(-ESRCH, __sa_remove_vm(self->fd, G1, nopid));
	ASSERT_EQ(-EINVAL, __sa_remove_vm(self->fd, G1, 0));
	ASSERT_EQ(-ENOTEMPTY, __sa_destroy(self->fd, G1));
	ASSERT_UNCHANGED(self->fd, G1, &b1);
	ASSERT_UNCHANGED(self->fd, G2, &b2);
}

TEST_F(dev, exited_member_is_pruned)
{
	struct shadowalloc_stats st;

	ASSERT_EQ(0, __sa_create(self->fd, G1, 1, 0, 0));
	self->vm1 = sa_spawn_vm();
	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, self->vm1));
	sa_reap_vm(self->vm1);
	self->vm1 = -1;
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(0, st.nr_vms);
	/* The dead member does not hold the only slot. */
	self->vm2 = sa_spawn_vm();
	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, self->vm2));
	sa_reap_vm(self->vm2);
	self->vm2 = -1;
	/* Nor does it keep the group from being destroyed. */
	ASSERT_EQ(0, __sa_destroy(self->fd, G1));
}

TEST_F(dev, enable_disable_twice)
{
	ASSERT_EQ(0, __sa_create(self->fd, G1, 0, 0, 0));
	ASSERT_EQ(-EALREADY, __sa_disable(self->fd, G1));
	ASSERT_EQ(0, __sa_enable(self->fd, G1));
	ASSERT_EQ(-EALREADY, __sa_enable(self->fd, G1));
	ASSERT_EQ(0, __sa_disable(self->fd, G1));
	ASSERT_EQ(-EALREADY, __sa_disable(self->fd, G1));
}

TEST_F(dev, horizon_range)
{
	struct shadowalloc_stats st;

	ASSERT_EQ(0, __sa_create(self->fd, G1, 0, 0, 0));
	ASSERT_EQ(0, __sa_horizon(self->fd, G1, SHADOWALLOC_HORIZON_MIN_MS));
	ASSERT_EQ(0, __sa_horizon(self->fd, G1, SHADOWALLOC_HORIZON_MAX_MS));
	ASSERT_EQ(-ERANGE, __sa_horizon(self->fd, G1, SHADOWALLOC_HORIZON_MIN_MS - 1));
	ASSERT_EQ(-ERANGE, __sa_horizon(self->fd, G1, SHADOWALLOC_HORIZON_MAX_MS + 1));
	ASSERT_EQ(-ERANGE, __sa_horizon(self->fd, G1, 0));
	/* Range before existence. */
	ASSERT_EQ(-ERANGE, __sa_horizon(self->fd, G2, 0));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(SHADOWALLOC_HORIZON_MAX_MS, st.horizon_ms);
}

/* Struct sizes, flags and reserved fields, for each kind of argument. */
TEST_F(dev, struct_versioning)
{
	struct {
		struct shadowalloc_group_create c;
		uint8_t tail[64];
	} big = {};
	struct shadowalloc_group_arg a = { .size = sizeof(a), .group_id = G1 };
	struct shadowalloc_horizon h = { .size = sizeof(h), .group_id = G1,
					 .horizon_ms = 1000 };
	struct shadowalloc_group_vm v = { .size = sizeof(v), .group_id = G1 };
	struct shadowalloc_stats before;
	unsigned int i;

	/*
	 * A size field that is not the command's size (abi_test.c covers
	 * larger and smaller versions through their own command numbers).
	 */
	big.c.size = SHADOWALLOC_GROUP_CREATE_SIZE_VER0 - 1;
	big.c.group_id = G1;
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_CREATE, &big));
	big.c.size = 0;
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_CREATE, &big));
	big.c.size = sizeof(big);
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_CREATE, &big));
	/* Non-zero flags, reserved fields. */
	big.c.size = sizeof(big.c);
	big.c.flags = 1;
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_CREATE, &big));
	big.c.flags = 0x80000000;
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_CREATE, &big));
	big.c.flags = 0;
	big.c.reserved0 = 1;
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_CREATE, &big));
	big.c.reserved0 = 0;
	for (i = 0; i < 4; i++) {
		big.c.reserved[i] = 1;
		ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_CREATE, &big));
		big.c.reserved[i] = 0;
	}
	ASSERT_EQ(-ENOENT, __sa_stats(self->fd, G1, &before));
	ASSERT_EQ(0, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_CREATE, &big));
	ASSERT_EQ(0, group_state(self->fd, G1, &before));

	/* The group_arg ioctls. */
	a.size = SHADOWALLOC_GROUP_ARG_SIZE_VER0 - 4;
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_SHADOW_ENABLE, &a));
	a.size = sizeof(a);
	a.flags = 2;
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_SHADOW_ENABLE, &a));
	a.flags = 0;
	a.reserved0 = 1;
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_DESTROY, &a));
	a.reserved0 = 0;
	a.reserved[1] = 1;
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_SHADOW_DISABLE, &a));
	a.reserved[1] = 0;
	/* The horizon ioctl. */
	h.reserved[0] = 7;
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_SET_HORIZON, &h));
	h.reserved[0] = 0;
	h.flags = 1;
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_SET_HORIZON, &h));
	/* The VM ioctls. */
	v.pid = getpid();
	v.reserved[1] = 1;
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_ADD_VM, &v));
	v.reserved[1] = 0;
	v.flags = 4;
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_REMOVE_VM, &v));
	v.flags = 0;
	v.size = 8;
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_ADD_VM, &v));
	ASSERT_UNCHANGED(self->fd, G1, &before);
}

TEST_F(dev, bad_pointers_and_commands)
{
	void *unmapped;
	struct shadowalloc_stats before;

	ASSERT_EQ(0, __sa_create(self->fd, G1, 0, 0, 0));
	ASSERT_EQ(0, group_state(self->fd, G1, &before));
	unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, unmapped);
	ASSERT_EQ(-EFAULT, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_CREATE, NULL));
	ASSERT_EQ(-EFAULT, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_DESTROY, unmapped));
	ASSERT_EQ(-EFAULT, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_ADD_VM, unmapped));
	ASSERT_EQ(-EFAULT, __sa_ioctl(self->fd, SHADOWALLOC_IOC_SET_HORIZON, unmapped));
	ASSERT_EQ(-EFAULT, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GET_STATS, unmapped));
	ASSERT_EQ(-EFAULT, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GET_STATS, (void *)1));
	munmap(unmapped, 4096);
	/* Unknown commands (abi_test.c tries every number and direction). */
	ASSERT_EQ(-ENOTTY, __sa_ioctl(self->fd, _IOW(SHADOWALLOC_IOC_MAGIC, 0x7f, int), &before));
	ASSERT_EQ(-ENOTTY, __sa_ioctl(self->fd, _IO(SHADOWALLOC_IOC_MAGIC, 0x02), NULL));
	ASSERT_EQ(-ENOTTY, __sa_ioctl(self->fd, _IOWR('X', 0x08, struct shadowalloc_stats), &before));
	ASSERT_UNCHANGED(self->fd, G1, &before);
}

/* Drop CAP_SYS_ADMIN (and every other capability) in this process. */
static int drop_all_caps(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};

	return syscall(SYS_capset, &hdr, data);
}

TEST_F(dev, unprivileged_caller)
{
	struct shadowalloc_stats b1, b2;
	int sync_pipe[2];
	pid_t child;
	int status;

	ASSERT_EQ(0, __sa_create(self->fd, G1, 0, 0, 0));
	ASSERT_EQ(0, __sa_create(self->fd, G2, 0, 0, 0));
	ASSERT_EQ(0, pipe(sync_pipe));

	child = fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		struct shadowalloc_fault_hist fh;
		struct shadowalloc_stats st;
		char c;
		int fail = 0;

		/* Wait until the parent made us a member of G1. */
		if (read(sync_pipe[0], &c, 1) != 1)
			_exit(100);
		if (drop_all_caps())
			_exit(101);
#define CHILD_EXPECT(want, call) do { if ((call) != (want)) { \
		fprintf(stderr, "# child: %s != %s\n", #call, #want); fail++; } } while (0)
		CHILD_EXPECT(-EPERM, __sa_create(self->fd, 150, 0, 0, 0));
		CHILD_EXPECT(-EPERM, __sa_destroy(self->fd, G2));
		CHILD_EXPECT(-EPERM, __sa_enable(self->fd, G1));
		CHILD_EXPECT(-EPERM, __sa_disable(self->fd, G1));
		CHILD_EXPECT(-EPERM, __sa_add_vm(self->fd, G2, getpid()));
		CHILD_EXPECT(-EPERM, __sa_remove_vm(self->fd, G1, getpid()));
		CHILD_EXPECT(-EPERM, __sa_horizon(self->fd, G1, 1000));
		/* Privilege is checked before the argument is even read. */
		CHILD_EXPECT(-EPERM, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_CREATE, NULL));
		/* Its own group's stats: yes; another's, existing or not: no. */
		CHILD_EXPECT(0, __sa_stats(self->fd, G1, &st));
		CHILD_EXPECT(1, (int)st.nr_vms);
		CHILD_EXPECT(-EPERM, __sa_stats(self->fd, G2, &st));
		CHILD_EXPECT(-EPERM, __sa_stats(self->fd, 150, &st));
		/* The fault histogram: the same rule as the stats. */
		fh = (struct shadowalloc_fault_hist){ .size = sizeof(fh),
						      .group_id = G1 };
		CHILD_EXPECT(0, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_FAULT_HIST, &fh));
		CHILD_EXPECT(SHADOWALLOC_FAULT_CLASSES, (int)fh.nr_classes);
		/* (buf_len came back set: a query again.) */
		fh = (struct shadowalloc_fault_hist){ .size = sizeof(fh),
						      .group_id = G2 };
		CHILD_EXPECT(-EPERM, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_FAULT_HIST, &fh));
		fh.group_id = 150;
		CHILD_EXPECT(-EPERM, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_FAULT_HIST, &fh));
		_exit(fail);
	}
	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, child));
	ASSERT_EQ(0, group_state(self->fd, G1, &b1));
	ASSERT_EQ(0, group_state(self->fd, G2, &b2));
	ASSERT_EQ(1, write(sync_pipe[1], "x", 1));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* Nothing changed (the child has exited and is pruned). */
	b1.nr_vms = 0;
	ASSERT_UNCHANGED(self->fd, G1, &b1);
	ASSERT_UNCHANGED(self->fd, G2, &b2);
	ASSERT_EQ(-ENOENT, __sa_stats(self->fd, 150, &b2));
	close(sync_pipe[0]);
	close(sync_pipe[1]);
}

TEST_F(dev, module_params)
{
	unsigned long old_groups = 0, old_vms = 0, old_mb = 0, v = 0;
	struct shadowalloc_stats st;
	static const char * const bad[] = {
		"0", "4097", "-1", "junk", "12junk", "\n", "99999999999999999999",
	};
	unsigned int i;
	char buf[32];

	ASSERT_EQ(0, __sa_read_param("max_groups", &old_groups));
	ASSERT_EQ(0, __sa_read_param("max_vms_per_group", &old_vms));
	ASSERT_EQ(0, __sa_read_param("default_max_staged_mb", &old_mb));

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, __sa_write_param("max_groups", bad[i]))
			TH_LOG("max_groups=\"%s\"", bad[i]);
	}
	EXPECT_EQ(-EINVAL, __sa_write_param("max_vms_per_group", "1025"));
	EXPECT_EQ(-EINVAL, __sa_write_param("max_vms_per_group", "0"));
	EXPECT_EQ(-EINVAL, __sa_write_param("default_max_staged_mb", "1048577"));
	EXPECT_EQ(-EINVAL, __sa_write_param("default_max_staged_mb", "0"));
	ASSERT_EQ(0, __sa_read_param("max_groups", &v));
	EXPECT_EQ(old_groups, v);
	ASSERT_EQ(0, __sa_read_param("max_vms_per_group", &v));
	EXPECT_EQ(old_vms, v);
	ASSERT_EQ(0, __sa_read_param("default_max_staged_mb", &v));
	EXPECT_EQ(old_mb, v);

	/* In range: takes effect for later creations. */
	ASSERT_EQ(0, __sa_write_param("max_vms_per_group", "4"));
	ASSERT_EQ(0, __sa_create(self->fd, G1, 0, 0, 0));
	ASSERT_EQ(-EINVAL, __sa_create(self->fd, G2, 5, 0, 0));
	ASSERT_EQ(0, __sa_write_param("default_max_staged_mb", "8"));
	ASSERT_EQ(0, __sa_create(self->fd, G2, 0, 0, 0));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(4, st.max_vms);
	ASSERT_EQ(0, __sa_stats(self->fd, G2, &st));
	EXPECT_EQ(8 << 20, st.max_staged_bytes);
	/* Two groups exist here (and none elsewhere while this runs). */
	ASSERT_EQ(0, __sa_write_param("max_groups", "2"));
	EXPECT_EQ(-ENOSPC, __sa_create(self->fd, 103, 0, 0, 0));
	ASSERT_EQ(0, __sa_destroy(self->fd, G2));
	EXPECT_EQ(0, __sa_create(self->fd, 103, 0, 0, 0));
	EXPECT_EQ(0, __sa_destroy(self->fd, 103));

	snprintf(buf, sizeof(buf), "%lu", old_groups);
	ASSERT_EQ(0, __sa_write_param("max_groups", buf));
	snprintf(buf, sizeof(buf), "%lu", old_vms);
	ASSERT_EQ(0, __sa_write_param("max_vms_per_group", buf));
	snprintf(buf, sizeof(buf), "%lu", old_mb);
	ASSERT_EQ(0, __sa_write_param("default_max_staged_mb", buf));
}

TEST_HARNESS_MAIN
