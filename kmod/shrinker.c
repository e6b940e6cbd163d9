// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: give staged memory back under memory pressure.
 *
 * Staged pages are a bet on the near future; when the system needs memory
 * now, the bet is called off: the shrinker releases staged pages (oldest
 * first, across groups) and the pools pause their refills for a while.
 */
#include <linux/shrinker.h>

#include "shadowalloc.h"

static struct shrinker *sa_shrinker;

static unsigned long sa_shrink_count(struct shrinker *shrinker,
				     struct shrink_control *sc)
{
	long staged = atomic_long_read(&sa_staged_pages_global);

	return staged > 0 ? staged : SHRINK_EMPTY;
}

static unsigned long sa_shrink_scan(struct shrinker *shrinker,
				    struct shrink_control *sc)
{
	unsigned long freed = sa_registry_shrink(sc->nr_to_scan);

	return freed ?: SHRINK_STOP;
}

/**
 * sa_shrinker_init() - register the staging-pool shrinker
 *
 * Return: 0 or -ENOMEM.
 */
int sa_shrinker_init(void)
{
	sa_shrinker = shrinker_alloc(0, SA_NAME "-staging");
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
