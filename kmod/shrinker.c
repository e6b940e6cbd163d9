// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: give staged memory back under memory pressure.
 *
 * Staged pages are a bet on the near future; when the system needs memory
 * now, the bet is called off: the shrinker releases staged pages of the
 * node reclaim runs for (oldest first, across groups) and those pools
 * pause their refills on that node for a while (sa_pool_shrink_node()).
 * NUMA-aware: reclaim for one node takes nothing from the others, whose
 * staged pages are not in its way.
 */
#include <linux/nodemask.h>
#include <linux/shrinker.h>

#include "registry.h"

static struct shrinker *sa_shrinker;

/* Staged pages of every group on node @nid. */
static unsigned long sa_shrink_count(struct shrinker *shrinker,
				     struct shrink_control *sc)
{
	struct sa_group *group;
	unsigned long id;
	long staged = 0;

	rcu_read_lock();
	sa_for_each_group(id, group)
		staged += atomic_long_read(
			&group->pool.nodes[sc->nid]->staged_pages);
	rcu_read_unlock();
	return staged > 0 ? staged : SHRINK_EMPTY;
}

/*
 * Release up to sc->nr_to_scan pages of node sc->nid. Groups are visited
 * from a rotating start so no group pays for all the others. Never
 * sleeps; groups are read under RCU and freed only after a grace period.
 */
/* Shrink one group's pool on @nid, counting what it took for GET_STATS. */
static unsigned long sa_shrink_group(struct sa_group *group, int nid,
				     unsigned long nr)
{
	unsigned long freed = sa_pool_shrink_node(&group->pool, nid, nr);

	atomic64_add(freed, &group->pool.shrinker_pages);
	return freed;
}

static unsigned long sa_shrink_scan(struct shrinker *shrinker,
				    struct shrink_control *sc)
{
	static unsigned long next_id;
	unsigned long freed = 0, id, start = READ_ONCE(next_id);
	unsigned long nr = sc->nr_to_scan;
	struct sa_group *group;

	rcu_read_lock();
	xa_for_each_start(&sa_groups, id, group, start) {
		if (freed >= nr)
			goto out;
		freed += sa_shrink_group(group, sc->nid, nr - freed);
		WRITE_ONCE(next_id, id + 1);
	}
	if (start) {
		xa_for_each_range(&sa_groups, id, group, 0, start - 1) {
			if (freed >= nr)
				goto out;
			freed += sa_shrink_group(group, sc->nid, nr - freed);
			WRITE_ONCE(next_id, id + 1);
		}
	}
out:
	rcu_read_unlock();
	return freed ?: SHRINK_STOP;
}

/**
 * sa_shrinker_init() - register the staging-pool shrinker
 *
 * Return: 0 or -ENOMEM.
 */
int sa_shrinker_init(void)
{
	sa_shrinker = shrinker_alloc(SHRINKER_NUMA_AWARE, SA_NAME "-staging");
	if (!sa_shrinker)
		return -ENOMEM;
	sa_shrinker->count_objects = sa_shrink_count;
	sa_shrinker->scan_objects = sa_shrink_scan;
	/* Staged pages are cheap to recreate: give them up readily. */
	sa_shrinker->seeks = 1;
	shrinker_register(sa_shrinker);
	return 0;
}

/**
 * sa_shrinker_exit() - unregister it; waits for running scans
 */
void sa_shrinker_exit(void)
{
	shrinker_free(sa_shrinker);
}
