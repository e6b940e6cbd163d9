/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shadowalloc: the staging pool's internal interface, for the files that
 * implement the pool and nothing else. One job a file:
 *
 *	pool.c		the per-node lists and per-CPU caches: take and
 *			return on the fault path, staging, eviction,
 *			accounting, settings, start/stop, init/destroy
 *	pool_refill.c	the refill worker: how much to stage, on which node,
 *			of which size, and when it is woken
 *	pool_split.c	the split of the target among nodes and between
 *			4 KiB and 2 MiB by recent demand
 *	pool_budget.c	the zeroing budget, a token bucket
 *	pool_pressure.c	yielding to memory pressure: the high-watermark gate,
 *			the shrinker's release and the back-off after it
 *	pool_age.c	ageing: evicting folios that waited unused too long
 *	pool_hotplug.c	CPU hotplug: a dead CPU's caches go back to its node
 *
 * The rest of the module calls the sa_pool_*() functions declared in
 * shadowalloc.h. The pool's locks are documented where they are declared
 * (struct sa_pcp in pool.c, struct sa_pool_node in shadowalloc.h); their
 * order among the module's locks is in registry.h.
 */
#ifndef _SHADOWALLOC_POOL_H
#define _SHADOWALLOC_POOL_H

#include <linux/gfp.h>
#include <linux/jiffies.h>

#include "shadowalloc.h"

/* Folios moved between a node's shared list and a per-CPU cache at once. */
#define SA_PCP_BATCH	16

/* The forecaster's tick in jiffies: the unit of the pool's clocks. */
#define SA_TICK		msecs_to_jiffies(SHADOWALLOC_TICK_MS)

/*
 * The refill's allocations. Staging is a bet on the future, so it never
 * reclaims or compacts for it (no __GFP_DIRECT_RECLAIM; kswapd may be
 * woken, as for any non-blocking allocation), never retries or warns, and
 * never dips into the reserves kept for atomic allocations
 * (__GFP_NOMEMALLOC: without direct reclaim the allocator would otherwise
 * let it below the min watermark). Exactly the node the worker chose
 * (__GFP_THISNODE).
 *
 * Not movable (GFP_HIGHUSER, not GFP_HIGHUSER_MOVABLE): a staged folio is
 * on no LRU and has no movable_ops, so nothing could migrate it, and in
 * ZONE_MOVABLE or a CMA area it would block memory offline and CMA
 * allocations until it aged out. Once a fault inserts it into a memory
 * object's page cache it is on the LRU like any file folio, and the
 * object's .migrate_folio moves it.
 */
#define SA_REFILL_GFP	((GFP_HIGHUSER & ~__GFP_DIRECT_RECLAIM) | \
			 __GFP_NOWARN | __GFP_NORETRY | __GFP_NOMEMALLOC | \
			 __GFP_THISNODE)

/* 4 KiB pages in a folio of @class. */
static inline unsigned long sa_class_pages(enum sa_size_class class)
{
	return 1UL << sa_class_order[class];
}

/* pool.c: the lists and caches. */
void sa_pool_add(struct sa_pool *pool, int nid, enum sa_size_class class,
		 struct folio *folio);
unsigned long sa_pool_evict(struct sa_pool *pool, int nid,
			    unsigned long max_pages, unsigned long older_than,
			    bool any_age);
void sa_pcp_drain(struct sa_pool *pool, int cpu);
void sa_pool_consume_reservation(struct sa_pool *pool, unsigned long pages);

/* pool_refill.c: the refill worker. */
void sa_refill_init(struct sa_pool *pool);
void sa_pool_kick_if_low(struct sa_pool *pool, struct sa_pool_node *node);

/* pool_split.c: the split of the target among nodes and size classes. */
void sa_demand_reset(struct sa_pool *pool);
void sa_pool_split_target(struct sa_pool *pool, unsigned long target);
long sa_pool_small_share(struct sa_pool *pool, struct sa_pool_node *node);

/* pool_budget.c: the zeroing budget. */
void sa_zero_budget_init(struct sa_pool *pool);
void sa_zero_budget_reset(struct sa_pool *pool);
bool sa_zero_budget_ok(struct sa_pool *pool, unsigned long *delay);
void sa_zero_budget_charge(struct sa_pool *pool, unsigned long pages);

/* pool_pressure.c: yielding to memory pressure. */
void sa_node_backoff_init(struct sa_pool_node *node);
bool sa_node_has_room(int nid, unsigned long pages);

/* pool_age.c: ageing. */
void sa_age_init(struct sa_pool *pool);
void sa_age_start(struct sa_pool *pool);

#endif /* _SHADOWALLOC_POOL_H */
