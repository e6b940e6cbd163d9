// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: ageing, which evicts staged folios that waited unused
 * longer than the pool's max age.
 *
 * A staged folio is a prediction that a fault will want it soon; one that
 * has waited max_age_ms is a prediction that failed, and holding it longer
 * only keeps memory from the rest of the system. A worker per pool runs at
 * a quarter of the max age and evicts from the old end of every node's
 * list (each folio is stamped when staged, see pool.c). Aged-out pages use
 * up the reservation as pages handed to VMs do: staged for a launch that
 * did not come within the max age, they are not staged again for it.
 */
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/numa.h>
#include <linux/workqueue.h>

#include "pool.h"

static void sa_age_fn(struct work_struct *work)
{
	struct sa_pool *pool = container_of(to_delayed_work(work),
					    struct sa_pool, age_work);
	unsigned long max_age = msecs_to_jiffies(READ_ONCE(pool->max_age_ms));
	unsigned long aged;

	if (!READ_ONCE(pool->enabled))
		return;
	aged = sa_pool_evict(pool, NUMA_NO_NODE, ULONG_MAX, jiffies - max_age,
			     false);
	atomic64_add(aged, &pool->aged_out_pages);
	/* A reservation whose pages waited this long for nobody is over. */
	sa_pool_consume_reservation(pool, aged);
	queue_delayed_work(system_unbound_wq, &pool->age_work,
			   max(max_age / 4, (unsigned long)HZ / 10));
}

/**
 * sa_pool_set_max_age() - change how long staged folios may wait unused
 * @pool: the pool
 * @max_age_ms: the new limit
 *
 * The ageing worker runs at a quarter of the limit: it is run again now, so
 * a shorter limit applies at once rather than after the old period.
 * Caller holds sa_registry_lock (serialised against sa_pool_stop()).
 */
void sa_pool_set_max_age(struct sa_pool *pool, unsigned int max_age_ms)
{
	WRITE_ONCE(pool->max_age_ms, max_age_ms);
	if (READ_ONCE(pool->enabled))
		mod_delayed_work(system_unbound_wq, &pool->age_work, 0);
}

/* Set up a new pool's ageing worker, with the default max age. */
void sa_age_init(struct sa_pool *pool)
{
	INIT_DELAYED_WORK(&pool->age_work, sa_age_fn);
	pool->max_age_ms = SHADOWALLOC_MAX_AGE_DEFAULT_MS;
}

/* Start ageing a pool being enabled: the first run in a tenth of a second. */
void sa_age_start(struct sa_pool *pool)
{
	queue_delayed_work(system_unbound_wq, &pool->age_work, HZ / 10);
}
