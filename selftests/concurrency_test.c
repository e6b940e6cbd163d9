// SPDX-License-Identifier: GPL-2.0
/*
 * Management ioctls from many threads at once on a small id space: every
 * call must return 0 or one of the errnos the API defines for it, and the
 * registry must be consistent afterwards (every group can be cleaned up,
 * no member is in two groups, counts match).
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "sa_test.h"

#define NR_THREADS	8
#define OPS_PER_THREAD	2500
#define ID_BASE		200
#define NR_IDS		6
#define NR_VMS		6

struct worker {
	int fd;
	unsigned int seed;
	const pid_t *vms;
	unsigned long ops, unexpected;
	char first_bad[128];
};

static bool errno_allowed(int op, int ret)
{
	if (ret == 0 || ret == -ENOENT)
		return true;
	switch (op) {
	case 0:	/* create */
		return ret == -EEXIST || ret == -ENOSPC;
	case 1:	/* destroy */
		return ret == -ENOTEMPTY;
	case 2:	/* add */
		return ret == -EEXIST || ret == -EBUSY || ret == -ENOSPC;
	case 3:	/* remove */
		return ret == -ENXIO;
	case 4:	/* enable */
	case 5:	/* disable */
		return ret == -EALREADY;
	default: /* horizon, stats */
		return false;
	}
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct shadowalloc_stats st;
	unsigned long i;

	for (i = 0; i < OPS_PER_THREAD; i++) {
		uint32_t id = ID_BASE + rand_r(&w->seed) % NR_IDS;
		pid_t vm = w->vms[rand_r(&w->seed) % NR_VMS];
		int op = rand_r(&w->seed) % 8, ret;

		switch (op) {
		case 0:
			ret = __sa_create(w->fd, id, 3, 0, 0);
			break;
		case 1:
			ret = __sa_destroy(w->fd, id);
			break;
		case 2:
			ret = __sa_add_vm(w->fd, id, vm);
			break;
		case 3:
			ret = __sa_remove_vm(w->fd, id, vm);
			break;
		case 4:
			ret = __sa_enable(w->fd, id);
			break;
		case 5:
			ret = __sa_disable(w->fd, id);
			break;
		case 6:
			ret = __sa_horizon(w->fd, id, 100 + rand_r(&w->seed) % 10000);
			break;
		default:
			ret = __sa_stats(w->fd, id, &st);
			if (!ret && (st.nr_vms > 3 || st.group_id != id))
				ret = -EBADMSG;
			break;
		}
		w->ops++;
		if (!errno_allowed(op, ret) && !w->unexpected++)
			snprintf(w->first_bad, sizeof(w->first_bad),
				 "op %d on group %u: %s", op, id, strerror(-ret));
	}
	return NULL;
}

FIXTURE(conc) {};
FIXTURE_SETUP(conc) {}
FIXTURE_TEARDOWN(conc) {}

TEST_F_TIMEOUT(conc, many_threads, 300)
{
	struct worker workers[NR_THREADS];
	pthread_t threads[NR_THREADS];
	pid_t vms[NR_VMS];
	unsigned long total = 0;
	unsigned int members = 0;
	int fd, i, j;

	fd = open(SA_DEV, O_RDWR);
	if (fd < 0)
		SKIP(return, "%s: %s", SA_DEV, strerror(errno));
	for (i = 0; i < NR_IDS; i++)
		__sa_destroy(fd, ID_BASE + i);
	for (i = 0; i < NR_VMS; i++) {
		vms[i] = sa_spawn_vm();
		ASSERT_GT(vms[i], 0);
	}

	for (i = 0; i < NR_THREADS; i++) {
		workers[i] = (struct worker){
			.fd = fd, .seed = 1234 + i, .vms = vms,
		};
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, worker_fn,
					    &workers[i]));
	}
	for (i = 0; i < NR_THREADS; i++) {
		pthread_join(threads[i], NULL);
		total += workers[i].ops;
		EXPECT_EQ(0, workers[i].unexpected)
			TH_LOG("thread %d: %lu unexpected results, first: %s",
			       i, workers[i].unexpected, workers[i].first_bad);
	}
	TH_LOG("%lu ioctls from %d threads", total, NR_THREADS);

	/* Consistency: each VM is in at most one group; counts add up. */
	for (j = 0; j < NR_VMS; j++) {
		int in = 0;

		for (i = 0; i < NR_IDS; i++) {
			int ret = __sa_add_vm(fd, ID_BASE + i, vms[j]);

			if (ret == -EEXIST) {
				in++;
			} else if (ret == 0) {
				ASSERT_EQ(0, __sa_remove_vm(fd, ID_BASE + i, vms[j]));
			} else {
				ASSERT_TRUE(ret == -EBUSY || ret == -ENOENT ||
					    ret == -ENOSPC);
			}
		}
		ASSERT_LE(in, 1);
		members += in;
	}
	for (i = 0; i < NR_IDS; i++) {
		struct shadowalloc_stats st;

		if (__sa_stats(fd, ID_BASE + i, &st))
			continue;
		members -= st.nr_vms;
	}
	ASSERT_EQ(0, members);

	/* Cleanup: remove every member, then every group goes. */
	for (i = 0; i < NR_IDS; i++) {
		int ret;

		for (j = 0; j < NR_VMS; j++)
			__sa_remove_vm(fd, ID_BASE + i, vms[j]);
		ret = __sa_destroy(fd, ID_BASE + i);
		ASSERT_TRUE(ret == 0 || ret == -ENOENT)
			TH_LOG("destroy %d: %s", ID_BASE + i, strerror(-ret));
	}
	for (i = 0; i < NR_VMS; i++)
		sa_reap_vm(vms[i]);
	close(fd);
}

/* Members exiting while other threads manage their group. */
TEST_F_TIMEOUT(conc, members_exit_concurrently, 300)
{
	struct shadowalloc_stats st;
	pid_t vms[32];
	int fd, i, round;

	fd = open(SA_DEV, O_RDWR);
	if (fd < 0)
		SKIP(return, "%s: %s", SA_DEV, strerror(errno));
	__sa_destroy(fd, ID_BASE + NR_IDS);
	ASSERT_EQ(0, __sa_create(fd, ID_BASE + NR_IDS, 32, 0, 0));
	ASSERT_EQ(0, __sa_enable(fd, ID_BASE + NR_IDS));
	for (round = 0; round < 5; round++) {
		for (i = 0; i < 32; i++) {
			vms[i] = sa_spawn_vm();
			ASSERT_EQ(0, __sa_add_vm(fd, ID_BASE + NR_IDS, vms[i]));
		}
		for (i = 0; i < 32; i++)
			kill(vms[i], SIGKILL);
		for (i = 0; i < 32; i++)
			waitpid(vms[i], NULL, 0);
		ASSERT_EQ(0, __sa_stats(fd, ID_BASE + NR_IDS, &st));
		ASSERT_EQ(0, st.nr_vms);
	}
	ASSERT_EQ(0, __sa_destroy(fd, ID_BASE + NR_IDS));
	close(fd);
}

TEST_HARNESS_MAIN
