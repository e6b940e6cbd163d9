// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: a trust group's staging pool of pre-zeroed pages.
 *
 * A refill worker allocates and zeroes folios up to the pool's target,
 * always off the fault path. The fault path takes a folio in O(1): 4 KiB
 * folios come from a small per-CPU cache that only its CPU touches in the
 * common case, 2 MiB folios straight from the shared list. Folios are kept
 * oldest-first, each stamped with the time it was staged, so ageing evicts
 * from the head. Every staged folio is zeroed before it enters the pool and
 * no folio ever leaves it for anything but a fault of its own group's VMs or
 * the page allocator.
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "shadowalloc.h"

/* Folios moved between the shared list and a per-CPU cache at once. */
#define SA_PCP_BATCH	16
#define SA_PCP_MAX	(2 * SA_PCP_BATCH)

/* Folios a refill run stages before it yields the worker. */
#define SA_REFILL_CHUNK	64

/**
 * struct sa_pcp - per-CPU cache of staged 4 KiB folios
 * @lock: taken by the owning CPU's faults and, rarely, by a drain running
 *	elsewhere (ageing, shrinker, disable); never contended in steady state
 * @nr: folios in @folios
 * @folios: a stack of staged folios; the oldest were moved in first
 */
struct sa_pcp {
	spinlock_t lock;
	unsigned int nr;
	struct folio *folios[SA_PCP_MAX];
};

/* Global count of staged 4 KiB pages, for the shrinker and leak checks. */
atomic_long_t sa_staged_pages_global = ATOMIC_LONG_INIT(0);

const unsigned int sa_class_order[SA_NR_CLASSES] = {
	[SA_CLASS_4K] = 0,
	[SA_CLASS_2M] = PMD_ORDER,
};

static inline unsigned long sa_class_pages(enum sa_size_class class)
{
	return 1UL << sa_class_order[class];
}

static void sa_stamp(struct folio *folio)
{
	/* A staged folio is ours alone: ->private holds its staging time. */
	folio->private = (void *)jiffies;
}

static unsigned long sa_stamp_of(struct folio *folio)
{
	return (unsigned long)folio->private;
}

/* Account @nr_folios of @class leaving (negative) or entering the pool. */
static void sa_pool_account(struct sa_pool *pool, enum sa_size_class class,
			    long nr_folios)
{
	long pages = nr_folios * (long)sa_class_pages(class);

	atomic_long_add(pages, &pool->staged_pages);
	atomic_long_add(pages, &sa_staged_pages_global);
	if (class == SA_CLASS_2M)
		atomic_long_add(pages, &pool->staged_huge_pages);
}

/* Give an evicted folio back to the page allocator. */
static void sa_folio_release(struct folio *folio)
{
	folio->private = NULL;
	folio_put(folio);
}

/**
 * sa_alloc_zeroed_folio() - allocate a zeroed folio of a size class
 * @class: SA_CLASS_4K or SA_CLASS_2M
 * @gfp: allocation flags
 *
 * Used by the refill worker and by the fault path on a miss. The page
 * allocator zeroes the folio (__GFP_ZERO), exactly once whether or not
 * init_on_alloc is on (Debian's kernel has it on by default: clearing
 * again here would zero every page twice).
 *
 * Return: a zeroed folio with one reference, or NULL.
 */
struct folio *sa_alloc_zeroed_folio(enum sa_size_class class, gfp_t gfp)
{
	return folio_alloc(gfp | __GFP_ZERO, sa_class_order[class]);
}

/* Move up to SA_PCP_BATCH of the oldest shared folios into @pcp. */
static void sa_pcp_fill(struct sa_pool *pool, struct sa_pcp *pcp)
{
	struct list_head *list = &pool->folios[SA_CLASS_4K];
	struct folio *folio;
	unsigned int moved = 0;

	spin_lock(&pool->lock);
	while (moved < SA_PCP_BATCH && !list_empty(list)) {
		folio = list_first_entry(list, struct folio, lru);
		list_del(&folio->lru);
		pcp->folios[pcp->nr++] = folio;
		moved++;
	}
	pool->nr_folios[SA_CLASS_4K] -= moved;
	spin_unlock(&pool->lock);
}

/**
 * sa_pool_take() - take a staged, zeroed folio for a fault
 * @pool: the faulting VM's group pool
 * @class: size class wanted
 * @nid: the node the fault's memory policy wants the page on
 * @nodes: if not NULL, the only nodes the policy allows (bind, interleave)
 *
 * O(1) and never sleeps: a per-CPU cache for 4 KiB folios (refilled in
 * batches from the shared list), the shared list's head for 2 MiB ones.
 * Wakes the refill worker when the pool drops below its low mark.
 *
 * Return: a folio with one reference, or NULL if none is staged.
 */
struct folio *sa_pool_take(struct sa_pool *pool, enum sa_size_class class,
			   int nid, const nodemask_t *nodes)
{
	struct folio *folio = NULL;
	struct sa_pcp *pcp;

	if (class == SA_CLASS_4K) {
		pcp = get_cpu_ptr(pool->pcp);
		spin_lock(&pcp->lock);
		if (!pcp->nr)
			sa_pcp_fill(pool, pcp);
		if (pcp->nr)
			folio = pcp->folios[--pcp->nr];
		spin_unlock(&pcp->lock);
		put_cpu_ptr(pool->pcp);
	} else {
		spin_lock(&pool->lock);
		folio = list_first_entry_or_null(&pool->folios[class],
						 struct folio, lru);
		if (folio) {
			list_del(&folio->lru);
			pool->nr_folios[class]--;
		}
		spin_unlock(&pool->lock);
	}
	if (!folio)
		return NULL;

	folio->private = NULL;
	sa_pool_account(pool, class, -1);
	sa_pool_consume_reservation(pool, sa_class_pages(class));
	if (atomic_long_read(&pool->staged_pages) < sa_pool_low_mark(pool))
		sa_pool_kick(pool);
	return folio;
}

/* Return every per-CPU cached folio to the head of the shared list. */
static void sa_pool_drain_pcp(struct sa_pool *pool)
{
	struct list_head *list = &pool->folios[SA_CLASS_4K];
	struct sa_pcp *pcp;
	int cpu;

	for_each_possible_cpu(cpu) {
		pcp = per_cpu_ptr(pool->pcp, cpu);
		spin_lock(&pcp->lock);
		spin_lock(&pool->lock);
		/* The bottom of the stack is the oldest: it goes first. */
		while (pcp->nr) {
			list_add(&pcp->folios[--pcp->nr]->lru, list);
			pool->nr_folios[SA_CLASS_4K]++;
		}
		spin_unlock(&pool->lock);
		spin_unlock(&pcp->lock);
	}
}

/*
 * Evict from the head (the oldest first) of each class: up to @max_pages
 * pages, only folios staged before @older_than (jiffies) unless @any_age.
 * Returns pages evicted.
 */
static unsigned long sa_pool_evict(struct sa_pool *pool, unsigned long max_pages,
				   unsigned long older_than, bool any_age)
{
	unsigned long evicted = 0;
	enum sa_size_class class;
	struct folio *folio;
	LIST_HEAD(victims);

	sa_pool_drain_pcp(pool);
	spin_lock(&pool->lock);
	for (class = 0; class < SA_NR_CLASSES; class++) {
		struct list_head *list = &pool->folios[class];

		while (evicted < max_pages && !list_empty(list)) {
			folio = list_first_entry(list, struct folio, lru);
			if (!any_age && !time_before(sa_stamp_of(folio), older_than))
				break;
			list_move_tail(&folio->lru, &victims);
			pool->nr_folios[class]--;
			evicted += sa_class_pages(class);
			sa_pool_account(pool, class, -1);
		}
	}
	spin_unlock(&pool->lock);

	while (!list_empty(&victims)) {
		folio = list_first_entry(&victims, struct folio, lru);
		list_del(&folio->lru);
		sa_folio_release(folio);
	}
	if (evicted) {
		atomic64_add(evicted, &pool->evicted_pages);
		sa_pool_consume_reservation(pool, evicted);
	}
	return evicted;
}

/* Stage one folio at the tail (the youngest end) of its class list. */
static void sa_pool_add(struct sa_pool *pool, enum sa_size_class class,
			struct folio *folio)
{
	sa_stamp(folio);
	spin_lock(&pool->lock);
	list_add_tail(&folio->lru, &pool->folios[class]);
	pool->nr_folios[class]++;
	spin_unlock(&pool->lock);
	sa_pool_account(pool, class, 1);
	atomic64_add(sa_class_pages(class), &pool->staged_total);
}

/**
 * sa_pool_return() - give back a staged folio a fault could not insert
 * @pool: the pool it was taken from
 * @class: its size class
 * @folio: the folio: still zeroed, never mapped, not in any page cache
 *
 * A fault that lost the race for its index (another fault inserted the
 * page first) or whose insertion failed returns its folio here rather than
 * freeing zeroing work. It goes to the young end of its list, freshly
 * stamped; it is not counted as staged again (@staged_total). A stopped
 * pool takes nothing: the folio goes back to the page allocator.
 */
void sa_pool_return(struct sa_pool *pool, enum sa_size_class class,
		    struct folio *folio)
{
	folio_clear_uptodate(folio);
	sa_stamp(folio);
	spin_lock(&pool->lock);
	/* Under the lock: sa_pool_stop() clears it before its drain. */
	if (!READ_ONCE(pool->enabled)) {
		spin_unlock(&pool->lock);
		sa_folio_release(folio);
		return;
	}
	list_add_tail(&folio->lru, &pool->folios[class]);
	pool->nr_folios[class]++;
	spin_unlock(&pool->lock);
	sa_pool_account(pool, class, 1);
}

/**
 * sa_pool_target() - pages the refill worker aims to keep staged
 * @pool: the pool
 *
 * The larger of the outstanding reservation and the forecast, capped by the
 * group's staged-memory limit; zero while under memory pressure.
 *
 * Return: target in 4 KiB pages.
 */
unsigned long sa_pool_target(struct sa_pool *pool)
{
	unsigned long target;

	if (!READ_ONCE(pool->enabled) ||
	    time_before(jiffies, READ_ONCE(pool->pressure_until)))
		return 0;
	target = max_t(long, atomic_long_read(&pool->reserved_pages),
		       READ_ONCE(pool->forecast_pages));
	return min(target, READ_ONCE(pool->cap_pages));
}

static void sa_refill_fn(struct work_struct *work)
{
	struct sa_pool *pool = container_of(work, struct sa_pool, refill_work);
	const gfp_t gfp = GFP_HIGHUSER | __GFP_NORETRY | __GFP_NOWARN;
	enum sa_size_class class;
	unsigned long target, staged;
	struct folio *folio;
	unsigned int n;

	for (n = 0; n < SA_REFILL_CHUNK; n++) {
		target = sa_pool_target(pool);
		staged = atomic_long_read(&pool->staged_pages);
		if (staged >= target)
			return;
		class = SA_CLASS_4K;
		/*
		 * 2 MiB blocks if the operator allows them, for what an
		 * explicit reservation asks and, beyond it, while the
		 * where-predictor expects dense use.
		 */
		if (READ_ONCE(pool->huge) &&
		    target - staged >= sa_class_pages(SA_CLASS_2M) &&
		    (READ_ONCE(pool->forecast_huge) ||
		     staged < atomic_long_read(&pool->reserved_pages)))
			class = SA_CLASS_2M;
		folio = sa_alloc_zeroed_folio(class, gfp);
		if (!folio && class == SA_CLASS_2M) {
			class = SA_CLASS_4K;
			folio = sa_alloc_zeroed_folio(class, gfp);
		}
		if (!folio) {
			/* The system is short of memory: back off. */
			WRITE_ONCE(pool->pressure_until, jiffies + HZ);
			return;
		}
		sa_pool_add(pool, class, folio);
		cond_resched();
	}
	/* More to do: let other work run first. */
	queue_work(system_unbound_wq, &pool->refill_work);
}

/**
 * sa_pool_kick() - wake the refill worker if the pool is below its target
 * @pool: the pool
 *
 * Safe from the fault path: queue_work() does not sleep.
 */
void sa_pool_kick(struct sa_pool *pool)
{
	if (READ_ONCE(pool->enabled) &&
	    atomic_long_read(&pool->staged_pages) < sa_pool_target(pool))
		queue_work(system_unbound_wq, &pool->refill_work);
}

static void sa_age_fn(struct work_struct *work)
{
	struct sa_pool *pool = container_of(to_delayed_work(work),
					    struct sa_pool, age_work);
	unsigned long max_age = msecs_to_jiffies(READ_ONCE(pool->max_age_ms));

	if (!READ_ONCE(pool->enabled))
		return;
	sa_pool_evict(pool, ULONG_MAX, jiffies - max_age, false);
	queue_delayed_work(system_unbound_wq, &pool->age_work,
			   max(max_age / 4, (unsigned long)HZ / 10));
}

/**
 * sa_pool_shrink() - release up to @nr_pages staged pages, oldest first
 * @pool: the pool
 * @nr_pages: how many
 *
 * Called by the shrinker; refills pause for a second afterwards so the
 * pool yields to the rest of the system.
 *
 * Return: pages released.
 */
unsigned long sa_pool_shrink(struct sa_pool *pool, unsigned long nr_pages)
{
	WRITE_ONCE(pool->pressure_until, jiffies + HZ);
	return sa_pool_evict(pool, nr_pages, 0, true);
}

/**
 * sa_pool_consume_reservation() - count pages against the reservation
 * @pool: the pool
 * @pages: pages handed to a VM or evicted
 *
 * A reservation is for pages about to be used: each page handed out or
 * aged out uses up part of it.
 */
void sa_pool_consume_reservation(struct sa_pool *pool, unsigned long pages)
{
	long old = atomic_long_read(&pool->reserved_pages), new;

	do {
		if (old <= 0)
			return;
		new = old > (long)pages ? old - (long)pages : 0;
	} while (!atomic_long_try_cmpxchg(&pool->reserved_pages, &old, new));
}

/**
 * sa_pool_low_mark() - staged pages below which a take kicks the refill
 * @pool: the pool
 *
 * Return: pages.
 */
unsigned long sa_pool_low_mark(struct sa_pool *pool)
{
	unsigned long target = sa_pool_target(pool);

	return target - min(target, target / 4UL + SA_PCP_BATCH) + 1;
}

/**
 * sa_pool_reserve() - set the number of pages to keep staged for a launch
 * @pool: the pool
 * @pages: the reservation in 4 KiB pages; 0 cancels it
 */
void sa_pool_reserve(struct sa_pool *pool, unsigned long pages)
{
	atomic_long_set(&pool->reserved_pages, pages);
	sa_pool_kick(pool);
}

/**
 * sa_pool_set_cap() - change the cap on staged pages
 * @pool: the pool
 * @cap_pages: the new cap
 *
 * Pages staged beyond a lowered cap are released at once, oldest first.
 */
void sa_pool_set_cap(struct sa_pool *pool, unsigned long cap_pages)
{
	long excess;

	WRITE_ONCE(pool->cap_pages, cap_pages);
	excess = atomic_long_read(&pool->staged_pages) - (long)cap_pages;
	if (excess > 0)
		sa_pool_evict(pool, excess, 0, true);
	sa_pool_kick(pool);
}

/**
 * sa_pool_start() - start staging (SHADOW_ENABLE)
 * @pool: the pool
 */
void sa_pool_start(struct sa_pool *pool)
{
	WRITE_ONCE(pool->enabled, true);
	queue_delayed_work(system_unbound_wq, &pool->age_work, HZ / 10);
	sa_pool_kick(pool);
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

/**
 * sa_pool_stop() - stop staging and release every staged page
 * @pool: the pool
 *
 * Sleeps until the workers have stopped. A fault racing with this may
 * still take a folio it found before the drain; it never finds one after.
 */
void sa_pool_stop(struct sa_pool *pool)
{
	/* Under the lock, for sa_pool_return(). */
	spin_lock(&pool->lock);
	WRITE_ONCE(pool->enabled, false);
	spin_unlock(&pool->lock);
	cancel_delayed_work_sync(&pool->age_work);
	cancel_work_sync(&pool->refill_work);
	atomic_long_set(&pool->reserved_pages, 0);
	sa_pool_evict(pool, ULONG_MAX, 0, true);
}

/**
 * sa_pool_init() - initialise a disabled, empty pool
 * @pool: the pool
 * @cap_bytes: cap on staged memory
 *
 * Return: 0 or -ENOMEM.
 */
int sa_pool_init(struct sa_pool *pool, u64 cap_bytes)
{
	enum sa_size_class class;
	int cpu;

	pool->pcp = alloc_percpu(struct sa_pcp);
	if (!pool->pcp)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		spin_lock_init(&per_cpu_ptr(pool->pcp, cpu)->lock);
	spin_lock_init(&pool->lock);
	for (class = 0; class < SA_NR_CLASSES; class++)
		INIT_LIST_HEAD(&pool->folios[class]);
	INIT_WORK(&pool->refill_work, sa_refill_fn);
	INIT_DELAYED_WORK(&pool->age_work, sa_age_fn);
	pool->cap_pages = cap_bytes >> PAGE_SHIFT;
	pool->max_age_ms = SHADOWALLOC_MAX_AGE_DEFAULT_MS;
	pool->forecast_huge = true;
	return 0;
}

/**
 * sa_pool_destroy() - free a stopped pool
 * @pool: the pool
 *
 * The caller made sure no fault can reach the pool any more (an RCU grace
 * period after the group was unpublished); a refill queued by a fault
 * before that is cancelled and anything it staged is released here.
 */
void sa_pool_destroy(struct sa_pool *pool)
{
	sa_pool_stop(pool);
	free_percpu(pool->pcp);
}
