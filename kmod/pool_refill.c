// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: the refill worker, which allocates and zeroes folios into a
 * staging pool up to its target, always off the fault path.
 *
 * How much: the larger of the outstanding reservation and the forecast,
 * capped (sa_pool_target()). The shrinker does not shorten a reservation
 * (pool.c, sa_pool_consume_reservation()), so what it took stays in the
 * target and is staged again here once the node's back-off ends and it is
 * above its high watermark. Where: every node up to its share of that
 * (pool_split.c), the node most short of its share first. What size:
 * where the operator allows 2 MiB folios, those for a reservation, and
 * beyond it where dense use is expected, for the part of the node's share
 * that recent first touches did not take in 4 KiB (sa_refill_class());
 * 4 KiB otherwise. When: a take that leaves the pool or its node below the
 * low mark, a new forecast or a changed setting kicks it; a run stages at
 * most SA_REFILL_CHUNK folios and then yields, waits for the zeroing
 * budget (pool_budget.c), and passes over nodes low on memory or backing
 * off after the shrinker (pool_pressure.c).
 *
 * The pool's only producer, so the only code that allocates for it: the
 * lists it fills are pool.c's, the limits it obeys are the other files'.
 */
#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/nodemask.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

#include "pool.h"

/* Folios a refill run stages before it yields the worker. */
#define SA_REFILL_CHUNK	64

/*
 * A zeroed folio of @class from node @nid. The page allocator zeroes it
 * (__GFP_ZERO), exactly once whether or not init_on_alloc is on (Debian's
 * kernel has it on by default: clearing again here would zero every page
 * twice). The time a successful allocation took is added to
 * @pool->refill_zero_ns: per zeroed page, what a miss would have spent on
 * the fault path doing the same, which GET_STATS uses to estimate the
 * time hits saved before the first miss is measured (stats.c).
 */
static struct folio *sa_alloc_zeroed_folio_node(struct sa_pool *pool,
						enum sa_size_class class,
						gfp_t gfp, int nid)
{
	u64 t0 = ktime_get_ns();
	struct folio *folio;

	folio = __folio_alloc_node(gfp | __GFP_ZERO, sa_class_order[class],
				   nid);
	if (folio)
		atomic64_add(ktime_get_ns() - t0, &pool->refill_zero_ns);
	return folio;
}

/**
 * sa_pool_target() - pages the refill worker aims to keep staged
 * @pool: the pool
 *
 * The larger of the outstanding reservation and the forecast, capped by
 * the group's staged-memory limit. Memory pressure does not lower it: it
 * pauses the refill (back-offs) instead, so the target still says what the
 * forecaster wants.
 *
 * Return: target in 4 KiB pages, all nodes together.
 */
unsigned long sa_pool_target(struct sa_pool *pool)
{
	unsigned long target;

	if (!READ_ONCE(pool->enabled))
		return 0;
	target = max_t(long, atomic_long_read(&pool->reserved_pages),
		       READ_ONCE(pool->forecast_pages));
	return min(target, READ_ONCE(pool->cap_pages));
}

/* 4 KiB folios below which a node, or the pool, kicks the refill. */
static unsigned long sa_low_mark_of(unsigned long target)
{
	return target - min(target, target / 4UL + SA_PCP_BATCH) + 1;
}

/* Staged pages below which a take kicks the refill, all nodes together. */
static unsigned long sa_pool_low_mark(struct sa_pool *pool)
{
	return sa_low_mark_of(sa_pool_target(pool));
}

/*
 * The node most short of its share that may be refilled now, or
 * NUMA_NO_NODE. Nodes in @skip are passed over, and so are (added to
 * @skip) nodes the shrinker took pages from within their back-off;
 * *@retry becomes the earliest time, in jiffies from now, to look again.
 */
static int sa_refill_pick_node(struct sa_pool *pool, nodemask_t *skip,
			       unsigned long *retry)
{
	unsigned long now = jiffies, until;
	struct sa_pool_node *node;
	long deficit, best_deficit = 0;
	int nid, best = NUMA_NO_NODE;

	for_each_node_state(nid, N_MEMORY) {
		if (node_isset(nid, *skip))
			continue;
		node = pool->nodes[nid];
		deficit = (long)READ_ONCE(node->target) -
			  atomic_long_read(&node->staged_pages);
		if (deficit <= 0)
			continue;
		until = READ_ONCE(node->backoff_until);
		if (time_before(now, until)) {
			node_set(nid, *skip);
			*retry = min(*retry, until - now);
			continue;
		}
		if (deficit > best_deficit) {
			best = nid;
			best_deficit = deficit;
		}
	}
	return best;
}

/*
 * The size class to stage next on @node, @deficit pages short of its
 * share. 2 MiB blocks only if the operator allows them: for what an
 * explicit reservation asks, always, because a block serves a fault of
 * either size (a 4 KiB one splits it, pool.c) while 4 KiB pages cannot
 * serve a 2 MiB fault, and an operator reserving memory for a VM's
 * launch does not know which sizes it will fault in. Beyond the
 * reservation, while the where-predictor expects dense use, and of that
 * only beyond the node's 4 KiB share, which follows the sizes the group's
 * recent first touches took (sa_pool_small_share(), the rule and why):
 * a group whose VMs fault in 4 KiB (unaligned or THP-less mappings,
 * re-touches of ranges a discard left partly populated) gets 4 KiB pages
 * zeroed here instead of blocks that each fault would have to split.
 * With no recent demand, 2 MiB, for the same asymmetry.
 */
static enum sa_size_class sa_refill_class(struct sa_pool *pool,
					  struct sa_pool_node *node,
					  long deficit)
{
	long small, staged_small;

	if (!READ_ONCE(pool->huge) ||
	    deficit < (long)sa_class_pages(SA_CLASS_2M))
		return SA_CLASS_4K;
	if (atomic_long_read(&pool->staged_pages) <
	    atomic_long_read(&pool->reserved_pages))
		return SA_CLASS_2M;
	if (!READ_ONCE(pool->forecast_huge))
		return SA_CLASS_4K;
	small = sa_pool_small_share(pool, node);
	staged_small = atomic_long_read(&node->staged_pages) -
		       atomic_long_read(&node->staged_huge_pages);
	if (small >= 0 && staged_small < small)
		return SA_CLASS_4K;
	return SA_CLASS_2M;
}

/*
 * The refill worker: stages folios on the nodes short of their share
 * until the pool reaches its target, SA_REFILL_CHUNK folios per run. A run
 * out of zeroing budget, or with every node that is short backing off,
 * queues itself again for when that ends (kicks meanwhile find the work
 * pending and change nothing) and counts it.
 */
static void sa_refill_run(struct sa_pool *pool)
{
	unsigned long target, retry = ULONG_MAX, delay;
	nodemask_t skip = NODE_MASK_NONE;
	enum sa_size_class class;
	struct folio *folio;
	unsigned int n;
	long deficit;
	int nid;

	if (!READ_ONCE(pool->enabled))
		return;
	target = sa_pool_target(pool);
	sa_pool_split_target(pool, target);
	for (n = 0; n < SA_REFILL_CHUNK; n++) {
		if (atomic_long_read(&pool->staged_pages) >= target)
			return;
		nid = sa_refill_pick_node(pool, &skip, &retry);
		if (nid == NUMA_NO_NODE)
			break;
		deficit = (long)READ_ONCE(pool->nodes[nid]->target) -
			  atomic_long_read(&pool->nodes[nid]->staged_pages);
		class = sa_refill_class(pool, pool->nodes[nid], deficit);
		if (class == SA_CLASS_2M &&
		    !sa_node_has_room(nid, sa_class_pages(class)))
			class = SA_CLASS_4K;
		if (!sa_node_has_room(nid, sa_class_pages(class))) {
			/* Low on memory: look again next tick. */
			node_set(nid, skip);
			retry = min(retry, SA_TICK);
			continue;
		}
		if (!sa_zero_budget_ok(pool, &delay)) {
			atomic64_inc(&pool->refill_throttled);
			queue_delayed_work(system_unbound_wq, &pool->refill_work,
					   delay);
			return;
		}
		folio = sa_alloc_zeroed_folio_node(pool, class, SA_REFILL_GFP,
						   nid);
		if (!folio && class == SA_CLASS_2M) {
			class = SA_CLASS_4K;
			folio = sa_alloc_zeroed_folio_node(pool, class,
							   SA_REFILL_GFP, nid);
		}
		if (!folio) {
			/* Short of memory after all (a race, or fragmented). */
			node_set(nid, skip);
			retry = min(retry, SA_TICK);
			continue;
		}
		sa_zero_budget_charge(pool, sa_class_pages(class));
		sa_pool_add(pool, nid, class, folio);
		cond_resched();
	}
	if (n == SA_REFILL_CHUNK) {
		/* More to do: let other work run first. */
		queue_delayed_work(system_unbound_wq, &pool->refill_work, 0);
	} else if (!nodes_empty(skip)) {
		/* Nodes short of their share are backing off. */
		atomic64_inc(&pool->refill_backoffs);
		queue_delayed_work(system_unbound_wq, &pool->refill_work,
				   max(retry, 1UL));
	}
}

/*
 * One refill run, its CPU time counted: the kworker's own runtime
 * (sum_exec_runtime) across the run, not the wall time, which would also
 * count the time the worker was preempted by vCPUs or slept in the page
 * allocator's cond_resched(). The scheduler brings the running task's
 * sum up to date at ticks and switches only, so a short run may read
 * 0 or one tick; the sum over many runs is right on average.
 */
static void sa_refill_fn(struct work_struct *work)
{
	struct sa_pool *pool = container_of(to_delayed_work(work),
					    struct sa_pool, refill_work);
	u64 t0 = READ_ONCE(current->se.sum_exec_runtime);

	sa_refill_run(pool);
	atomic64_add(READ_ONCE(current->se.sum_exec_runtime) - t0,
		     &pool->refill_cpu_ns);
	atomic64_inc(&pool->refill_runs);
}

/**
 * sa_pool_kick() - wake the refill worker if the pool is below its target
 * @pool: the pool
 *
 * Safe from the fault path: queueing work does not sleep. A refill that
 * waits for budget or a back-off is pending already and stays as it is.
 */
void sa_pool_kick(struct sa_pool *pool)
{
	if (READ_ONCE(pool->enabled) &&
	    atomic_long_read(&pool->staged_pages) < sa_pool_target(pool))
		queue_delayed_work(system_unbound_wq, &pool->refill_work, 0);
}

/* Kick the refill if a take left @pool or its @node below the low mark. */
void sa_pool_kick_if_low(struct sa_pool *pool, struct sa_pool_node *node)
{
	if (atomic_long_read(&pool->staged_pages) < sa_pool_low_mark(pool) ||
	    atomic_long_read(&node->staged_pages) <
	    sa_low_mark_of(READ_ONCE(node->target)))
		sa_pool_kick(pool);
}

/* Set up a new pool's refill worker. */
void sa_refill_init(struct sa_pool *pool)
{
	INIT_DELAYED_WORK(&pool->refill_work, sa_refill_fn);
}
