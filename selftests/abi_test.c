// SPDX-License-Identifier: GPL-2.0
/*
 * The growth rules of the ioctl ABI: dispatch by command number with the
 * struct size taken from the command, so callers built against older and
 * newer versions of a struct both reach the same handler; the API
 * handshake; every handler reached through the table; unknown commands.
 *
 * "Another version of a struct" is simulated by building the command
 * number from another size (_IOC(dir, type, nr, size)), exactly what a
 * binary compiled against that version passes.
 */
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "sa_test.h"

/* Group ids of this file; other test programs use other ranges. */
#define G1 201
#define G2 202

/* @cmd as a caller built against a version of its struct of @size bytes. */
#define SA_CMD_SIZED(cmd, size) \
	_IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd), (size))

/* Commands this ABI version has, by number. */
static const unsigned int sa_known_nrs[] = {
	SHADOWALLOC_NR_API, SHADOWALLOC_NR_GROUP_CREATE,
	SHADOWALLOC_NR_GROUP_DESTROY, SHADOWALLOC_NR_GROUP_ADD_VM,
	SHADOWALLOC_NR_GROUP_REMOVE_VM, SHADOWALLOC_NR_SHADOW_ENABLE,
	SHADOWALLOC_NR_SHADOW_DISABLE, SHADOWALLOC_NR_SET_HORIZON,
	SHADOWALLOC_NR_GET_STATS, SHADOWALLOC_NR_STAGE_RESERVE,
	SHADOWALLOC_NR_POOL_CONFIG, SHADOWALLOC_NR_MODEL_EXPORT,
	SHADOWALLOC_NR_MODEL_IMPORT, SHADOWALLOC_NR_RECORD,
	SHADOWALLOC_NR_MEM_BIND, SHADOWALLOC_NR_GROUP_FAULT_HIST,
};

FIXTURE(abi) {
	int fd;
};

FIXTURE_SETUP(abi)
{
	self->fd = open(SA_DEV, O_RDWR);
	if (self->fd < 0)
		SKIP(return, "%s: %s (module not loaded?)", SA_DEV, strerror(errno));
	__sa_destroy(self->fd, G1);
	__sa_destroy(self->fd, G2);
}

FIXTURE_TEARDOWN(abi)
{
	if (self->fd < 0)
		return;
	__sa_destroy(self->fd, G1);
	__sa_destroy(self->fd, G2);
	close(self->fd);
}

static int sa_api(int fd, struct shadowalloc_api *api, uint64_t features)
{
	memset(api, 0, sizeof(*api));
	api->size = sizeof(*api);
	api->api_version = SHADOWALLOC_API_VERSION;
	api->features = features;
	return __sa_ioctl(fd, SHADOWALLOC_IOC_API, api);
}

/* The handshake reports what this module has, and refuses what it lacks. */
TEST_F(abi, api_handshake)
{
	struct shadowalloc_api api;
	unsigned long max_groups = 0, max_vms = 0;
	uint64_t want = 0;
	unsigned int i;

	ASSERT_EQ(0, __sa_read_param("max_groups", &max_groups));
	ASSERT_EQ(0, __sa_read_param("max_vms_per_group", &max_vms));
	ASSERT_EQ(0, sa_api(self->fd, &api, 0));
	EXPECT_EQ(sizeof(api), api.size);
	EXPECT_EQ(SHADOWALLOC_API_VERSION, api.api_version);
	EXPECT_EQ(SHADOWALLOC_FEATURES_ALL, api.features);
	for (i = 0; i < ARRAY_SIZE(sa_known_nrs); i++)
		want |= 1ULL << sa_known_nrs[i];
	EXPECT_EQ(want, api.ioctls);
	EXPECT_EQ(max_groups, api.max_groups);
	EXPECT_EQ(max_vms, api.max_vms_per_group);
	EXPECT_EQ(SHADOWALLOC_HORIZON_MIN_MS, api.horizon_min_ms);
	EXPECT_EQ(SHADOWALLOC_HORIZON_MAX_MS, api.horizon_max_ms);
	EXPECT_EQ(SHADOWALLOC_MAX_AGE_MIN_MS, api.max_age_min_ms);
	EXPECT_EQ(SHADOWALLOC_MAX_AGE_MAX_MS, api.max_age_max_ms);
	EXPECT_EQ(SHADOWALLOC_MODEL_BLOB_MAX, api.model_blob_max);
	EXPECT_EQ(SHADOWALLOC_TICK_MS, api.tick_ms);
	for (i = 0; i < ARRAY_SIZE(api.reserved); i++)
		EXPECT_EQ(0, api.reserved[i]);

	/* Features the module has are granted... */
	ASSERT_EQ(0, sa_api(self->fd, &api, SHADOWALLOC_FEATURE_HUGE |
					      SHADOWALLOC_FEATURE_RECORD));
	EXPECT_EQ(SHADOWALLOC_FEATURES_ALL, api.features);
	/* ...one it lacks is refused, and the answer says what it has. */
	ASSERT_EQ(-EINVAL, sa_api(self->fd, &api, 1ULL << 63));
	EXPECT_EQ(SHADOWALLOC_FEATURES_ALL, api.features);

	/* Version 0 does not exist; flags and reserved0 must be zero. */
	sa_api(self->fd, &api, 0);
	api.api_version = 0;
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_API, &api));
	api.api_version = SHADOWALLOC_API_VERSION;
	api.flags = 1;
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_API, &api));
	api.flags = 0;
	api.reserved0 = 1;
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_API, &api));
	/* A caller of a later ABI version is answered with this one. */
	api.reserved0 = 0;
	api.api_version = SHADOWALLOC_API_VERSION + 7;
	ASSERT_EQ(0, __sa_ioctl(self->fd, SHADOWALLOC_IOC_API, &api));
	EXPECT_EQ(SHADOWALLOC_API_VERSION, api.api_version);
}

/*
 * Every command number in the table reaches its own handler: each call
 * below fails (or succeeds) with an errno only that handler returns.
 */
TEST_F(abi, every_handler_through_table)
{
	struct shadowalloc_api api;
	struct shadowalloc_group_create c = { .size = sizeof(c), .group_id = G1 };
	struct shadowalloc_group_arg a = { .size = sizeof(a), .group_id = G1 };
	struct shadowalloc_group_vm v = { .size = sizeof(v), .group_id = G1 };
	struct shadowalloc_horizon h = { .size = sizeof(h), .group_id = G1 };
	struct shadowalloc_stats st;
	struct shadowalloc_stage_reserve r = { .size = sizeof(r), .group_id = G1,
					       .pages = 1ULL << 62 };
	struct shadowalloc_pool_config p = {
		.size = sizeof(p), .group_id = G1,
		.flags = SHADOWALLOC_POOL_SET_MAX_AGE, .max_age_ms = 1,
	};
	struct shadowalloc_model m = { .size = sizeof(m), .group_id = G1 };
	struct shadowalloc_record rec = { .size = sizeof(rec), .group_id = G2 };
	struct shadowalloc_mem_bind b = {
		.size = sizeof(b), .flags = SHADOWALLOC_MEM_BIND_SET,
		.group_id = G2,
	};
	struct shadowalloc_fault_hist fh = {
		.size = sizeof(fh), .group_id = G1, .buf_len = 8, .buckets = 8,
	};
	unsigned int reached = 0;

	ASSERT_EQ(0, sa_api(self->fd, &api, 0));
	reached |= 1U << SHADOWALLOC_NR_API;
	ASSERT_EQ(0, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_CREATE, &c));
	reached |= 1U << SHADOWALLOC_NR_GROUP_CREATE;
	v.pid = sa_free_pid();
	ASSERT_EQ(-ESRCH, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_ADD_VM, &v));
	reached |= 1U << SHADOWALLOC_NR_GROUP_ADD_VM;
	v.pid = getpid();
	ASSERT_EQ(-ENXIO, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_REMOVE_VM, &v));
	reached |= 1U << SHADOWALLOC_NR_GROUP_REMOVE_VM;
	ASSERT_EQ(-EALREADY, __sa_ioctl(self->fd, SHADOWALLOC_IOC_SHADOW_DISABLE, &a));
	reached |= 1U << SHADOWALLOC_NR_SHADOW_DISABLE;
	ASSERT_EQ(0, __sa_ioctl(self->fd, SHADOWALLOC_IOC_SHADOW_ENABLE, &a));
	ASSERT_EQ(-EALREADY, __sa_ioctl(self->fd, SHADOWALLOC_IOC_SHADOW_ENABLE, &a));
	reached |= 1U << SHADOWALLOC_NR_SHADOW_ENABLE;
	ASSERT_EQ(-ERANGE, __sa_ioctl(self->fd, SHADOWALLOC_IOC_SET_HORIZON, &h));
	reached |= 1U << SHADOWALLOC_NR_SET_HORIZON;
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(SHADOWALLOC_STATE_ENABLED, st.state & SHADOWALLOC_STATE_ENABLED);
	reached |= 1U << SHADOWALLOC_NR_GET_STATS;
	ASSERT_EQ(-ENOSPC, __sa_ioctl(self->fd, SHADOWALLOC_IOC_STAGE_RESERVE, &r));
	reached |= 1U << SHADOWALLOC_NR_STAGE_RESERVE;
	ASSERT_EQ(-ERANGE, __sa_ioctl(self->fd, SHADOWALLOC_IOC_POOL_CONFIG, &p));
	reached |= 1U << SHADOWALLOC_NR_POOL_CONFIG;
	/* EXPORT into no room says how much it needs. */
	ASSERT_EQ(-ENOSPC, __sa_ioctl(self->fd, SHADOWALLOC_IOC_MODEL_EXPORT, &m));
	EXPECT_GT(m.blob_len, 0);
	reached |= 1U << SHADOWALLOC_NR_MODEL_EXPORT;
	/* IMPORT reads the blob from the (here: unmapped) user pointer. */
	m.blob = 0;
	m.blob_len = 16;
	ASSERT_EQ(-EFAULT, __sa_ioctl(self->fd, SHADOWALLOC_IOC_MODEL_IMPORT, &m));
	reached |= 1U << SHADOWALLOC_NR_MODEL_IMPORT;
	ASSERT_EQ(-ENOENT, __sa_ioctl(self->fd, SHADOWALLOC_IOC_RECORD, &rec));
	reached |= 1U << SHADOWALLOC_NR_RECORD;
	ASSERT_EQ(-ENOENT, __sa_ioctl(self->fd, SHADOWALLOC_IOC_MEM_BIND, &b));
	reached |= 1U << SHADOWALLOC_NR_MEM_BIND;
	/* A histogram buffer too small says how much it needs. */
	ASSERT_EQ(-ENOSPC, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_FAULT_HIST, &fh));
	EXPECT_EQ(fh.nr_classes, 0);
	EXPECT_GT(fh.buf_len, 8);
	reached |= 1U << SHADOWALLOC_NR_GROUP_FAULT_HIST;
	ASSERT_EQ(0, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_DESTROY, &a));
	ASSERT_EQ(-ENOENT, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_DESTROY, &a));
	reached |= 1U << SHADOWALLOC_NR_GROUP_DESTROY;

	/* Exactly the commands the handshake announces. */
	EXPECT_EQ(api.ioctls, reached);
}

/*
 * Numbers the table has no entry for, another magic, another direction:
 * -ENOTTY, whatever the size. A known command below its version-0 size is
 * that command with a bad argument: -EINVAL.
 */
TEST_F(abi, unknown_commands)
{
	struct shadowalloc_api api;
	uint8_t buf[256] = {};
	unsigned int nr;

	ASSERT_EQ(0, sa_api(self->fd, &api, 0));
	for (nr = 0; nr < 256; nr++) {
		if (nr < 64 && (api.ioctls & (1ULL << nr)))
			continue;
		*(uint32_t *)buf = 32;
		EXPECT_EQ(-ENOTTY, __sa_ioctl(self->fd, _IOC(_IOC_WRITE,
			SHADOWALLOC_IOC_MAGIC, nr, 32), buf));
		EXPECT_EQ(-ENOTTY, __sa_ioctl(self->fd, _IOC(_IOC_READ | _IOC_WRITE,
			SHADOWALLOC_IOC_MAGIC, nr, 32), buf));
	}
	/* Another type (magic), the right number and struct. */
	*(uint32_t *)buf = sizeof(struct shadowalloc_stats);
	ASSERT_EQ(-ENOTTY, __sa_ioctl(self->fd, _IOWR('X', SHADOWALLOC_NR_GET_STATS,
						    struct shadowalloc_stats), buf));
	/* Another direction of a known number. */
	ASSERT_EQ(-ENOTTY, __sa_ioctl(self->fd, _IO(SHADOWALLOC_IOC_MAGIC,
						  SHADOWALLOC_NR_GROUP_DESTROY), NULL));
	*(uint32_t *)buf = sizeof(struct shadowalloc_group_arg);
	ASSERT_EQ(-ENOTTY, __sa_ioctl(self->fd, _IOR(SHADOWALLOC_IOC_MAGIC,
			SHADOWALLOC_NR_GROUP_DESTROY, struct shadowalloc_group_arg), buf));
	ASSERT_EQ(-ENOTTY, __sa_ioctl(self->fd, _IOWR(SHADOWALLOC_IOC_MAGIC,
			SHADOWALLOC_NR_GROUP_DESTROY, struct shadowalloc_group_arg), buf));
	/* A known number with a struct smaller than its first version. */
	*(uint32_t *)buf = sizeof(int);
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, _IOW(SHADOWALLOC_IOC_MAGIC,
			SHADOWALLOC_NR_GROUP_CREATE, int), buf));
}

/*
 * A newer binary on this module: its input struct is larger. A zero tail
 * is accepted, a non-zero byte the module does not know is -E2BIG and
 * changes nothing; the size field must agree with the command.
 */
TEST_F(abi, newer_caller_input)
{
	struct {
		struct shadowalloc_group_create c;
		uint8_t tail[64];
	} big = {};
	struct {
		struct shadowalloc_horizon h;
		uint64_t tail[2];
	} bh = { .h = { .size = sizeof(bh), .group_id = G1,
			.horizon_ms = 2000 } };
	static uint8_t huge[4097];
	struct shadowalloc_group_create *hc = (void *)huge;
	struct shadowalloc_stats st;
	unsigned long cmd = SA_CMD_SIZED(SHADOWALLOC_IOC_GROUP_CREATE,
					 sizeof(big));
	unsigned long hcmd = SA_CMD_SIZED(SHADOWALLOC_IOC_SET_HORIZON,
					  sizeof(bh));

	big.c.size = sizeof(big);
	big.c.group_id = G1;
	big.c.horizon_ms = 1234;
	big.tail[63] = 1;
	ASSERT_EQ(-E2BIG, __sa_ioctl(self->fd, cmd, &big));
	big.tail[63] = 0;
	big.tail[0] = 0x80;
	ASSERT_EQ(-E2BIG, __sa_ioctl(self->fd, cmd, &big));
	ASSERT_EQ(-ENOENT, __sa_stats(self->fd, G1, &st));
	big.tail[0] = 0;
	/* The size field and the command disagree. */
	big.c.size = sizeof(big.c);
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, cmd, &big));
	big.c.size = sizeof(big);
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_CREATE, &big));
	ASSERT_EQ(-ENOENT, __sa_stats(self->fd, G1, &st));
	/* Bigger than any version may be: 4 KiB is the limit. */
	hc->size = sizeof(huge);
	hc->group_id = G1;
	ASSERT_EQ(-E2BIG, __sa_ioctl(self->fd, SA_CMD_SIZED(
		SHADOWALLOC_IOC_GROUP_CREATE, sizeof(huge)), huge));
	hc->size = 4096;
	ASSERT_EQ(0, __sa_ioctl(self->fd, SA_CMD_SIZED(
		SHADOWALLOC_IOC_GROUP_CREATE, 4096), huge));
	ASSERT_EQ(0, __sa_destroy(self->fd, G1));
	/* A zero tail: the same as the version the module knows. */
	ASSERT_EQ(0, __sa_ioctl(self->fd, cmd, &big));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(1234, st.horizon_ms);

	/* The same for another argument kind, through its own number. */
	bh.tail[1] = 1;
	ASSERT_EQ(-E2BIG, __sa_ioctl(self->fd, hcmd, &bh));
	bh.tail[1] = 0;
	ASSERT_EQ(0, __sa_ioctl(self->fd, hcmd, &bh));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(2000, st.horizon_ms);
}

/*
 * Output structs in both directions: an older binary passes the
 * version-0 size and gets exactly that many bytes; a newer one passes a
 * larger struct and the module writes what it knows and says so. Only the
 * input prefix (size, flags, group_id) is read: the rest is output space.
 */
TEST_F(abi, stats_versions)
{
	struct {
		struct shadowalloc_stats st;
		uint8_t canary[64];
	} buf;
	unsigned long ver0 = SA_CMD_SIZED(SHADOWALLOC_IOC_GET_STATS,
					  SHADOWALLOC_STATS_SIZE_VER0);
	unsigned long newer = SA_CMD_SIZED(SHADOWALLOC_IOC_GET_STATS,
					   sizeof(buf));
	unsigned int i;

	ASSERT_EQ(SHADOWALLOC_STATS_SIZE_VER5, sizeof(buf.st));
	ASSERT_EQ(0, __sa_create(self->fd, G1, 0, 0, 4321));

	/* An old binary: version 0, the fields added later are not written. */
	memset(&buf, 0xa5, sizeof(buf));
	buf.st.size = SHADOWALLOC_STATS_SIZE_VER0;
	buf.st.flags = 0;
	buf.st.group_id = G1;
	ASSERT_EQ(0, __sa_ioctl(self->fd, ver0, &buf));
	EXPECT_EQ(SHADOWALLOC_STATS_SIZE_VER0, buf.st.size);
	EXPECT_EQ(4321, buf.st.horizon_ms);
	EXPECT_EQ(0, buf.st.reserved[0]);
	for (i = SHADOWALLOC_STATS_SIZE_VER0; i < sizeof(buf); i++)
		ASSERT_EQ(0xa5, ((uint8_t *)&buf)[i]);

	/* This binary: the whole struct. */
	memset(&buf, 0xa5, sizeof(buf));
	buf.st.size = sizeof(buf.st);
	buf.st.flags = 0;
	buf.st.group_id = G1;
	ASSERT_EQ(0, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GET_STATS, &buf));
	EXPECT_EQ(sizeof(buf.st), buf.st.size);
	EXPECT_EQ(0, buf.st.hit_pages);
	EXPECT_EQ(0, buf.st.miss_pages);
	EXPECT_EQ(0, buf.st.raced);
	EXPECT_EQ(0, buf.st.pad1);
	EXPECT_EQ(0, buf.st.fault_zeroed_pages);
	EXPECT_EQ(0, buf.st.evicted_unused_pages);
	for (i = 0; i < sizeof(buf.canary); i++)
		ASSERT_EQ(0xa5, buf.canary[i]);

	/* A binary of stats VER4 (ABI version 5): its 344 bytes, no more. */
	memset(&buf, 0xa5, sizeof(buf));
	buf.st.size = SHADOWALLOC_STATS_SIZE_VER4;
	buf.st.flags = 0;
	buf.st.group_id = G1;
	ASSERT_EQ(0, __sa_ioctl(self->fd, SA_CMD_SIZED(SHADOWALLOC_IOC_GET_STATS,
			SHADOWALLOC_STATS_SIZE_VER4), &buf));
	EXPECT_EQ(SHADOWALLOC_STATS_SIZE_VER4, buf.st.size);
	EXPECT_EQ(4321, buf.st.horizon_ms);
	for (i = SHADOWALLOC_STATS_SIZE_VER4; i < sizeof(buf); i++)
		ASSERT_EQ(0xa5, ((uint8_t *)&buf)[i]);

	/* A newer binary: the module writes what it knows, says how much. */
	memset(&buf, 0xa5, sizeof(buf));
	buf.st.size = sizeof(buf);
	buf.st.flags = 0;
	buf.st.group_id = G1;
	ASSERT_EQ(0, __sa_ioctl(self->fd, newer, &buf));
	EXPECT_EQ(sizeof(buf.st), buf.st.size);
	EXPECT_EQ(4321, buf.st.horizon_ms);
	for (i = 0; i < sizeof(buf.canary); i++)
		ASSERT_EQ(0xa5, buf.canary[i]);

	/* Too small, too big, size field mismatch, flags. */
	buf.st.size = SHADOWALLOC_STATS_SIZE_VER0 - 8;
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SA_CMD_SIZED(
		SHADOWALLOC_IOC_GET_STATS, SHADOWALLOC_STATS_SIZE_VER0 - 8), &buf));
	buf.st.size = 8192;
	ASSERT_EQ(-E2BIG, __sa_ioctl(self->fd, SA_CMD_SIZED(
		SHADOWALLOC_IOC_GET_STATS, 8192), &buf));
	buf.st.size = SHADOWALLOC_STATS_SIZE_VER0;
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GET_STATS, &buf));
	buf.st.size = sizeof(buf.st);
	buf.st.flags = 1;
	ASSERT_EQ(-EINVAL, __sa_ioctl(self->fd, SHADOWALLOC_IOC_GET_STATS, &buf));
}

/* The handshake itself can grow: an older and a newer struct both work. */
TEST_F(abi, api_versions)
{
	struct {
		struct shadowalloc_api api;
		uint8_t canary[32];
	} buf;
	unsigned int i;

	memset(&buf, 0xa5, sizeof(buf));
	memset(&buf.api, 0, SHADOWALLOC_API_SIZE_VER0);
	buf.api.size = sizeof(buf);
	buf.api.api_version = 1;
	ASSERT_EQ(0, __sa_ioctl(self->fd, SA_CMD_SIZED(SHADOWALLOC_IOC_API,
						     sizeof(buf)), &buf));
	EXPECT_EQ(sizeof(buf.api), buf.api.size);
	EXPECT_EQ(SHADOWALLOC_API_VERSION, buf.api.api_version);
	for (i = 0; i < sizeof(buf.canary); i++)
		ASSERT_EQ(0xa5, buf.canary[i]);
}

TEST_HARNESS_MAIN
