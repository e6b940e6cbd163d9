// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: a trust group's staging pool of pre-zeroed pages.
 *
 * A refill worker allocates and zeroes folios up to the pool's target,
 * always off the fault path. The pool is per NUMA node: each node keeps its
 * own lists, and the refill splits the target among nodes by where the
 * group's faults wanted their pages recently (sa_pool_split_target()). The
 * fault path takes a folio in O(1): 4 KiB folios of the CPU's own node come
 * from a small per-CPU cache that only its CPU touches in the common case,
 * everything else from the head of a node's shared list. Folios are kept
 * oldest-first on each node, each stamped with the time it was staged, so
 * ageing evicts from the head. Every staged folio is zeroed before it
 * enters the pool and no folio ever leaves it for anything but a fault of
 * its own group's VMs or the page allocator.
 *
 * Staging is speculation, so it yields: it never reclaims memory to stage
 * (kswapd may be woken, nothing more), stops on a node whose free memory is
 * down to the high watermark, pauses on a node the shrinker just took
 * pages from, and zeroes no faster than the pool's budget. Staged pages are
 * counted as reclaimable kernel memory (NR_KERNEL_MISC_RECLAIMABLE), so
 * MemAvailable includes them.
 *
 * Locks: the per-CPU cache's local lock pins the task to its CPU (RT-safe:
 * a sleeping per-CPU lock there, preemption disabled elsewhere); under it,
 * the cache's spinlock, which drains from other CPUs take too; under that,
 * a node's lock.
 */
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/local_lock.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/topology.h>
#include <linux/vmstat.h>
#include <linux/workqueue.h>

#include "registry.h"

/* Folios moved between a node's shared list and a per-CPU cache at once. */
#define SA_PCP_BATCH	16
#define SA_PCP_MAX	(2 * SA_PCP_BATCH)

/* Folios a refill run stages before it yields the worker. */
#define SA_REFILL_CHUNK	64

/* Nodes a fault tries after its own before it gives up (races only). */
#define SA_TAKE_TRIES	3

/* The forecaster's tick in jiffies: the unit of the pool's clocks. */
#define SA_TICK		msecs_to_jiffies(SHADOWALLOC_TICK_MS)

/*
 * Recent demand per node loses 1/16 of its weight every tick: a half-life
 * of about 11 ticks (1.1 s). Long enough that one tick's noise does not
 * swing the split, short enough to follow a VM whose vCPUs or policy moved
 * well before the pages staged for the old placement age out (30 s by
 * default). After SA_DEMAND_FORGET_TICKS without a refill, all is
 * forgotten (any weight is gone by then anyway).
 */
#define SA_DEMAND_DECAY_SHIFT	4
#define SA_DEMAND_FORGET_TICKS	1024

/*
 * The default zeroing budget: 1 GiB/s (262144 pages/s) per group. Clearing
 * memory runs at roughly 10 GiB/s on one current x86 core, so this is
 * about a tenth of a core: a group can stage a 4 GiB guest's memory in
 * four seconds without the refill taking a host CPU away from the vCPUs.
 * Operators change it per group (SHADOWALLOC_POOL_SET_ZERO_BUDGET).
 */
#define SA_ZERO_BUDGET_DEFAULT	(SZ_1G >> PAGE_SHIFT)
static_assert((SA_ZERO_BUDGET_DEFAULT) >= SHADOWALLOC_ZERO_BUDGET_MIN &&
	      (SA_ZERO_BUDGET_DEFAULT) <= SHADOWALLOC_ZERO_BUDGET_MAX);

/*
 * Back-off after the shrinker took staged pages from a node: one second,
 * doubled each time the shrinker comes back within one period of the
 * refill resuming, up to the pool's max age (at most 2^6 s).
 *
 * One second is ten forecast ticks, longer than kswapd usually needs to
 * bring a node back to its high watermark: a refill any sooner would stage
 * the very memory reclaim just freed for whoever needed it, and the next
 * reclaim pass would take it again, zeroing for nothing each round. Pressure
 * that comes back as soon as the refill resumes is not a passing spike, so
 * the wait doubles; it never exceeds one max age, the longest the pool
 * holds a staged page anyway: staging that would be evicted unused within
 * the back-off is what the back-off avoids.
 */
#define SA_BACKOFF_MIN		((unsigned long)HZ)
#define SA_BACKOFF_MAX_SHIFT	6

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

/**
 * struct sa_pcp - per-CPU cache of staged 4 KiB folios of its CPU's node
 * @llock: pins a fault to its CPU while it uses the cache; a per-CPU lock
 *	on PREEMPT_RT, preemption disabled elsewhere
 * @lock: taken under @llock by the owning CPU's faults and, rarely, by a
 *	drain running elsewhere (ageing, shrinker, disable, CPU hotplug);
 *	never contended in steady state
 * @nr: folios in @folios
 * @folios: a stack of staged folios; the oldest were moved in first
 */
struct sa_pcp {
	local_lock_t llock;
	spinlock_t lock;
	unsigned int nr;
	struct folio *folios[SA_PCP_MAX];
};

/* Global count of staged 4 KiB pages, for leak checks. */
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

/* Change a node list's length; the node's lock is held. */
static void sa_node_nr_add(struct sa_pool_node *node, enum sa_size_class class,
			   long delta)
{
	WRITE_ONCE(node->nr_folios[class], node->nr_folios[class] + delta);
}

/*
 * Account @nr_folios of @class on node @nid leaving (negative) or entering
 * the pool: the node's, the pool's and the module's counts, and the
 * node's reclaimable kernel memory, which MemAvailable and the shrinker
 * heuristics of the rest of the kernel see.
 */
static void sa_pool_account(struct sa_pool *pool, int nid,
			    enum sa_size_class class, long nr_folios)
{
	struct sa_pool_node *node = pool->nodes[nid];
	long pages = nr_folios * (long)sa_class_pages(class);

	if (!nr_folios)
		return;
	atomic_long_add(pages, &node->staged_pages);
	atomic_long_add(pages, &pool->staged_pages);
	atomic_long_add(pages, &sa_staged_pages_global);
	if (class == SA_CLASS_2M) {
		atomic_long_add(pages, &node->staged_huge_pages);
		atomic_long_add(pages, &pool->staged_huge_pages);
	}
	mod_node_page_state(NODE_DATA(nid), NR_KERNEL_MISC_RECLAIMABLE, pages);
}

/* Give an evicted folio back to the page allocator. */
static void sa_folio_release(struct folio *folio)
{
	folio->private = NULL;
	folio_put(folio);
}

/* A zeroed folio of @class from node @nid, or from anywhere if NUMA_NO_NODE. */
static struct folio *sa_alloc_zeroed_folio_node(enum sa_size_class class,
						gfp_t gfp, int nid)
{
	if (nid == NUMA_NO_NODE)
		return folio_alloc(gfp | __GFP_ZERO, sa_class_order[class]);
	return __folio_alloc_node(gfp | __GFP_ZERO, sa_class_order[class], nid);
}

/**
 * sa_alloc_zeroed_folio() - allocate a zeroed folio of a size class
 * @class: SA_CLASS_4K or SA_CLASS_2M
 * @gfp: allocation flags
 *
 * The page allocator zeroes the folio (__GFP_ZERO), exactly once whether
 * or not init_on_alloc is on (Debian's kernel has it on by default:
 * clearing again here would zero every page twice).
 *
 * Return: a zeroed folio with one reference, or NULL.
 */
struct folio *sa_alloc_zeroed_folio(enum sa_size_class class, gfp_t gfp)
{
	return sa_alloc_zeroed_folio_node(class, gfp, NUMA_NO_NODE);
}

/* 4 KiB folios below which a node, or the pool, kicks the refill. */
static unsigned long sa_low_mark_of(unsigned long target)
{
	return target - min(target, target / 4UL + SA_PCP_BATCH) + 1;
}

/*
 * Move up to SA_PCP_BATCH of @node's oldest 4 KiB folios into @pcp. Not
 * from a stopped pool: sa_pool_stop() drains the caches before the lists,
 * so a fill after its drain would strand folios in a cache.
 */
static void sa_pcp_fill(struct sa_pool *pool, struct sa_pool_node *node,
			struct sa_pcp *pcp)
{
	struct list_head *list = &node->folios[SA_CLASS_4K];
	struct folio *folio;
	unsigned int moved = 0;

	spin_lock(&node->lock);
	if (READ_ONCE(pool->enabled)) {
		while (moved < SA_PCP_BATCH && !list_empty(list)) {
			folio = list_first_entry(list, struct folio, lru);
			list_del(&folio->lru);
			pcp->folios[pcp->nr++] = folio;
			moved++;
		}
		sa_node_nr_add(node, SA_CLASS_4K, -(long)moved);
	}
	spin_unlock(&node->lock);
}

/*
 * A 4 KiB folio from this CPU's cache, if @nid is this CPU's node (the
 * cache holds only those). Return: whether @nid is local, in which case
 * its shared list was tried too.
 */
static bool sa_pcp_take(struct sa_pool *pool, int nid, struct folio **foliop)
{
	struct sa_pcp *pcp;
	bool local;

	local_lock(&pool->pcp->llock);
	local = nid == numa_node_id();
	if (local) {
		pcp = this_cpu_ptr(pool->pcp);
		spin_lock(&pcp->lock);
		if (!pcp->nr)
			sa_pcp_fill(pool, pool->nodes[nid], pcp);
		if (pcp->nr)
			*foliop = pcp->folios[--pcp->nr];
		spin_unlock(&pcp->lock);
	}
	local_unlock(&pool->pcp->llock);
	return local;
}

/* The oldest folio of @class on @node's shared list, or NULL. */
static struct folio *sa_node_take(struct sa_pool_node *node,
				  enum sa_size_class class)
{
	struct folio *folio;

	if (!READ_ONCE(node->nr_folios[class]))
		return NULL;
	spin_lock(&node->lock);
	folio = list_first_entry_or_null(&node->folios[class], struct folio,
					 lru);
	if (folio) {
		list_del(&folio->lru);
		sa_node_nr_add(node, class, -1);
	}
	spin_unlock(&node->lock);
	return folio;
}

/*
 * A folio from the nearest node other than @nid that has one, among
 * @nodes if the policy restricts them. The counts are read without the
 * lock: a node emptied meanwhile is tried again, a few times at most.
 */
static struct folio *sa_pool_take_near(struct sa_pool *pool,
				       enum sa_size_class class, int nid,
				       const nodemask_t *nodes)
{
	const nodemask_t *allowed = nodes ?: &node_states[N_POSSIBLE];
	struct folio *folio;
	int n, best, tries;

	for (tries = 0; tries < SA_TAKE_TRIES; tries++) {
		best = NUMA_NO_NODE;
		for_each_node_mask(n, *allowed) {
			if (n == nid || n >= nr_node_ids || !pool->nodes[n] ||
			    !READ_ONCE(pool->nodes[n]->nr_folios[class]))
				continue;
			if (best == NUMA_NO_NODE ||
			    node_distance(nid, n) < node_distance(nid, best))
				best = n;
		}
		if (best == NUMA_NO_NODE)
			return NULL;
		folio = sa_node_take(pool->nodes[best], class);
		if (folio)
			return folio;
	}
	return NULL;
}

/**
 * sa_pool_take() - take a staged, zeroed folio for a fault
 * @pool: the faulting VM's group pool
 * @class: size class wanted
 * @nid: the node the fault's memory policy wants the page on
 * @nodes: if not NULL, the only nodes the policy allows (bind, interleave)
 *
 * O(1) in the pool's size and never sleeps. The wanted node first: for a
 * 4 KiB folio on the CPU's own node, its per-CPU cache (refilled in batches
 * from the node's list), else the head of that node's list; then the
 * nearest other node with a staged folio, only among @nodes if given.
 * Wakes the refill worker when the pool or the node drops below its low
 * mark.
 *
 * Return: a folio with one reference, or NULL if none is staged where the
 * policy allows.
 */
struct folio *sa_pool_take(struct sa_pool *pool, enum sa_size_class class,
			   int nid, const nodemask_t *nodes)
{
	struct folio *folio = NULL;
	struct sa_pool_node *node;
	bool tried = false;

	if (nid < 0 || nid >= nr_node_ids || !pool->nodes[nid])
		nid = numa_node_id();
	if (class == SA_CLASS_4K)
		tried = sa_pcp_take(pool, nid, &folio);
	if (!folio && !tried)
		folio = sa_node_take(pool->nodes[nid], class);
	if (!folio)
		folio = sa_pool_take_near(pool, class, nid, nodes);
	if (!folio)
		return NULL;

	folio->private = NULL;
	nid = folio_nid(folio);
	node = pool->nodes[nid];
	sa_pool_account(pool, nid, class, -1);
	sa_pool_consume_reservation(pool, sa_class_pages(class));
	if (atomic_long_read(&pool->staged_pages) < sa_pool_low_mark(pool) ||
	    atomic_long_read(&node->staged_pages) <
	    sa_low_mark_of(READ_ONCE(node->target)))
		sa_pool_kick(pool);
	return folio;
}

/**
 * sa_pool_note_demand() - count pages a fault of the group wanted on a node
 * @pool: the group's pool
 * @nid: the node the fault's memory policy wanted
 * @pages: 4 KiB pages of the first touch
 *
 * For every first touch of the group's VMs, hit or miss: the refill
 * stages on each node in proportion to this. One atomic add on the node's
 * counter; callable from the fault path under RCU.
 */
void sa_pool_note_demand(struct sa_pool *pool, int nid, unsigned long pages)
{
	if (nid < 0 || nid >= nr_node_ids || !pool->nodes[nid])
		return;
	atomic_long_add(pages, &pool->nodes[nid]->demand);
}

/*
 * Move every folio of @cpu's cache to the head of its node's list (the
 * bottom of the stack is the oldest: it ends up first). From any CPU: the
 * cache's spinlock serialises this with its owner. The node's lock per
 * folio: drains are rare and a cache holds SA_PCP_MAX folios at most.
 */
static void sa_pcp_drain(struct sa_pool *pool, int cpu)
{
	struct sa_pcp *pcp = per_cpu_ptr(pool->pcp, cpu);
	struct sa_pool_node *node;
	struct folio *folio;

	spin_lock(&pcp->lock);
	while (pcp->nr) {
		folio = pcp->folios[--pcp->nr];
		node = pool->nodes[folio_nid(folio)];
		spin_lock(&node->lock);
		list_add(&folio->lru, &node->folios[SA_CLASS_4K]);
		sa_node_nr_add(node, SA_CLASS_4K, 1);
		spin_unlock(&node->lock);
	}
	spin_unlock(&pcp->lock);
}

/* Drain the caches of @nid's CPUs, or of every CPU for NUMA_NO_NODE. */
static void sa_pool_drain_pcps(struct sa_pool *pool, int nid)
{
	int cpu;

	for_each_possible_cpu(cpu)
		if (nid == NUMA_NO_NODE || cpu_to_node(cpu) == nid)
			sa_pcp_drain(pool, cpu);
}

/*
 * Move to @victims from the head (the oldest first) of each class on node
 * @nid: up to @max_pages pages, only folios staged before @older_than
 * (jiffies) unless @any_age. Returns pages moved, already unaccounted.
 */
static unsigned long sa_node_evict(struct sa_pool *pool, int nid,
				   unsigned long max_pages,
				   unsigned long older_than, bool any_age,
				   struct list_head *victims)
{
	struct sa_pool_node *node = pool->nodes[nid];
	unsigned long evicted = 0;
	enum sa_size_class class;
	struct folio *folio;
	long nr;

	spin_lock(&node->lock);
	for (class = 0; class < SA_NR_CLASSES; class++) {
		struct list_head *list = &node->folios[class];

		nr = 0;
		while (evicted < max_pages && !list_empty(list)) {
			folio = list_first_entry(list, struct folio, lru);
			if (!any_age &&
			    !time_before(sa_stamp_of(folio), older_than))
				break;
			list_move_tail(&folio->lru, victims);
			evicted += sa_class_pages(class);
			nr++;
		}
		sa_node_nr_add(node, class, -nr);
		sa_pool_account(pool, nid, class, -nr);
	}
	spin_unlock(&node->lock);
	return evicted;
}

/*
 * Evict up to @max_pages from node @nid, or from every node for
 * NUMA_NO_NODE; see sa_node_evict(). Returns pages evicted.
 */
static unsigned long sa_pool_evict(struct sa_pool *pool, int nid,
				   unsigned long max_pages,
				   unsigned long older_than, bool any_age)
{
	unsigned long evicted = 0;
	struct folio *folio;
	LIST_HEAD(victims);
	int n;

	sa_pool_drain_pcps(pool, nid);
	if (nid != NUMA_NO_NODE) {
		evicted = sa_node_evict(pool, nid, max_pages, older_than,
					any_age, &victims);
	} else {
		for_each_node(n) {
			if (evicted >= max_pages)
				break;
			evicted += sa_node_evict(pool, n, max_pages - evicted,
						 older_than, any_age, &victims);
		}
	}

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

/*
 * Evict @pages, any age, from the nodes in proportion to what each holds,
 * so a lowered cap keeps the split; then from any node for what rounding
 * or racing faults left. Returns pages evicted.
 */
static unsigned long sa_pool_evict_spread(struct sa_pool *pool,
					  unsigned long pages)
{
	long staged = atomic_long_read(&pool->staged_pages), on_node;
	unsigned long evicted = 0, quota;
	int nid;

	if (staged <= 0)
		return 0;
	for_each_node(nid) {
		if (evicted >= pages)
			break;
		on_node = atomic_long_read(&pool->nodes[nid]->staged_pages);
		if (on_node <= 0)
			continue;
		quota = div64_u64((u64)pages * on_node + staged - 1, staged);
		evicted += sa_pool_evict(pool, nid, min(quota, pages - evicted),
					 0, true);
	}
	for_each_node(nid) {
		if (evicted >= pages)
			break;
		evicted += sa_pool_evict(pool, nid, pages - evicted, 0, true);
	}
	return evicted;
}

/* Stage one folio at the tail (the youngest end) of its node's list. */
static void sa_pool_add(struct sa_pool *pool, int nid,
			enum sa_size_class class, struct folio *folio)
{
	struct sa_pool_node *node = pool->nodes[nid];

	sa_stamp(folio);
	spin_lock(&node->lock);
	list_add_tail(&folio->lru, &node->folios[class]);
	sa_node_nr_add(node, class, 1);
	spin_unlock(&node->lock);
	sa_pool_account(pool, nid, class, 1);
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
 * freeing zeroing work. It goes to the young end of its node's list,
 * freshly stamped; it is not counted as staged again (@staged_total). A
 * stopped pool takes nothing: the folio goes back to the page allocator.
 */
void sa_pool_return(struct sa_pool *pool, enum sa_size_class class,
		    struct folio *folio)
{
	int nid = folio_nid(folio);
	struct sa_pool_node *node = pool->nodes[nid];

	folio_clear_uptodate(folio);
	sa_stamp(folio);
	spin_lock(&node->lock);
	/* Under the lock: sa_pool_stop() takes it after clearing this. */
	if (!READ_ONCE(pool->enabled)) {
		spin_unlock(&node->lock);
		sa_folio_release(folio);
		return;
	}
	list_add_tail(&folio->lru, &node->folios[class]);
	sa_node_nr_add(node, class, 1);
	spin_unlock(&node->lock);
	sa_pool_account(pool, nid, class, 1);
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

/* @weight after @ticks ticks of decay by 1/16 each (rounded up: to zero). */
static unsigned long sa_demand_decay(unsigned long weight, unsigned long ticks)
{
	if (ticks > SA_DEMAND_FORGET_TICKS)
		return 0;
	while (ticks-- && weight)
		weight -= DIV_ROUND_UP(weight, 1UL << SA_DEMAND_DECAY_SHIFT);
	return weight;
}

/*
 * Split @target among the nodes with memory, setting each node's target.
 *
 * The rule: in proportion to the pages the group's faults wanted on each
 * node recently (sa_pool_note_demand(), decayed by SA_DEMAND_DECAY_SHIFT
 * per tick). A fault takes its page from the node its memory policy wants
 * and only then from another (sa_pool_take()), so a page staged where no
 * fault wants one is, at best, a remote hit (the guest pays the node
 * distance on every later access to it, or a bound policy cannot take it
 * at all) and, at worst, aged out unused with its zeroing wasted. Recent
 * demand per node is the best estimate of where the next faults want
 * theirs: memory policies and vCPU placement change slowly compared with
 * a tick. The forecaster decides how much; this decides only where. With
 * no demand recorded lately, evenly: nothing prefers any node.
 *
 * Rounding leaves less than one page per node over: one more page each to
 * the nodes with demand (all nodes, for an even split).
 */
static void sa_pool_split_target(struct sa_pool *pool, unsigned long target)
{
	unsigned long ticks = (jiffies - pool->demand_stamp) / SA_TICK;
	unsigned long share, given = 0;
	struct sa_pool_node *node;
	unsigned int nr = 0;
	u64 sum = 0;
	int nid;

	pool->demand_stamp += ticks * SA_TICK;
	for_each_node(nid) {
		node = pool->nodes[nid];
		WRITE_ONCE(node->weight,
			   sa_demand_decay(node->weight, ticks) +
			   atomic_long_xchg(&node->demand, 0));
		if (node_state(nid, N_MEMORY)) {
			sum += node->weight;
			nr++;
		}
	}
	if (!nr)
		return;
	for_each_node_state(nid, N_MEMORY) {
		node = pool->nodes[nid];
		share = sum ? mul_u64_u64_div_u64(target, node->weight, sum) :
			      target / nr;
		WRITE_ONCE(node->target, share);
		given += share;
	}
	for_each_node_state(nid, N_MEMORY) {
		node = pool->nodes[nid];
		if (given >= target)
			break;
		if (sum && !node->weight)
			continue;
		WRITE_ONCE(node->target, node->target + 1);
		given++;
	}
}

/*
 * Has node @nid room for @pages more staged pages? Only above the high
 * watermarks: staging stops where kswapd would stop reclaiming, so it
 * never drives a node into reclaim itself and leaves the memory between
 * the watermarks to allocations that need it now. Counted over the zones
 * the refill allocates from (ZONE_MOVABLE's free pages are of no use to
 * it, see SA_REFILL_GFP).
 */
static bool sa_node_has_room(int nid, unsigned long pages)
{
	enum zone_type top = gfp_zone(SA_REFILL_GFP), z;
	pg_data_t *pgdat = NODE_DATA(nid);
	unsigned long free = 0, high = 0;
	struct zone *zone;

	for (z = 0; z <= top; z++) {
		zone = &pgdat->node_zones[z];
		if (!populated_zone(zone))
			continue;
		free += zone_page_state(zone, NR_FREE_PAGES);
		high += high_wmark_pages(zone);
	}
	return free >= high + pages;
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

/* The size class to stage next on a node @deficit pages short. */
static enum sa_size_class sa_refill_class(struct sa_pool *pool, long deficit)
{
	/*
	 * 2 MiB blocks if the operator allows them, for what an explicit
	 * reservation asks and, beyond it, while the where-predictor
	 * expects dense use.
	 */
	if (READ_ONCE(pool->huge) &&
	    deficit >= (long)sa_class_pages(SA_CLASS_2M) &&
	    (READ_ONCE(pool->forecast_huge) ||
	     atomic_long_read(&pool->staged_pages) <
	     atomic_long_read(&pool->reserved_pages)))
		return SA_CLASS_2M;
	return SA_CLASS_4K;
}

/*
 * The zeroing budget: a token bucket of zero_pages_per_sec pages a
 * second, one tick's worth deep (SHADOWALLOC_TICK_MS). The forecaster
 * moves the target once a tick, so one tick's worth lets the refill answer
 * a new target at once, while over any window of t seconds the refill
 * zeroes at most budget * t + one tick's worth (+ one folio, see below):
 * a deeper bucket would let an idle pool zero a long burst at full speed,
 * the CPU the budget exists to bound. A folio is allowed while the bucket
 * holds anything and its pages are charged after: a 2 MiB folio may take
 * the bucket below zero (at the lowest budget one costs two seconds' worth,
 * more than the bucket holds), paid back before the next.
 */
static s64 sa_zero_depth(u64 rate)
{
	return (s64)max_t(u64, div_u64(rate * SHADOWALLOC_TICK_MS, MSEC_PER_SEC),
			  1) * NSEC_PER_SEC;
}

/* Reset the bucket to full (a pool being enabled). */
static void sa_zero_budget_reset(struct sa_pool *pool)
{
	pool->zero_tokens = sa_zero_depth(READ_ONCE(pool->zero_pages_per_sec));
	pool->zero_stamp_ns = ktime_get_ns();
}

/*
 * May the refill zero another folio now? If not, *@delay is how long, in
 * jiffies, until it may.
 */
static bool sa_zero_budget_ok(struct sa_pool *pool, unsigned long *delay)
{
	u64 rate = READ_ONCE(pool->zero_pages_per_sec);
	s64 depth = sa_zero_depth(rate);
	u64 now = ktime_get_ns(), elapsed = now - pool->zero_stamp_ns;

	pool->zero_stamp_ns = now;
	if (pool->zero_tokens >= depth ||
	    elapsed >= div64_u64(depth - pool->zero_tokens, rate))
		pool->zero_tokens = depth;
	else
		pool->zero_tokens += (s64)(elapsed * rate);
	if (pool->zero_tokens > 0)
		return true;
	*delay = nsecs_to_jiffies(div64_u64(1 - pool->zero_tokens + rate - 1,
					    rate)) + 1;
	return false;
}

static void sa_zero_budget_charge(struct sa_pool *pool, unsigned long pages)
{
	pool->zero_tokens -= (s64)pages * NSEC_PER_SEC;
	atomic64_add(pages, &pool->zeroed_pages);
}

/*
 * The refill worker: stages folios on the nodes short of their share
 * until the pool reaches its target, SA_REFILL_CHUNK folios per run. A run
 * out of zeroing budget, or with every node that is short backing off,
 * queues itself again for when that ends (kicks meanwhile find the work
 * pending and change nothing) and counts it.
 */
static void sa_refill_fn(struct work_struct *work)
{
	struct sa_pool *pool = container_of(to_delayed_work(work),
					    struct sa_pool, refill_work);
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
		class = sa_refill_class(pool, deficit);
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
		folio = sa_alloc_zeroed_folio_node(class, SA_REFILL_GFP, nid);
		if (!folio && class == SA_CLASS_2M) {
			class = SA_CLASS_4K;
			folio = sa_alloc_zeroed_folio_node(class, SA_REFILL_GFP,
							   nid);
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

static void sa_age_fn(struct work_struct *work)
{
	struct sa_pool *pool = container_of(to_delayed_work(work),
					    struct sa_pool, age_work);
	unsigned long max_age = msecs_to_jiffies(READ_ONCE(pool->max_age_ms));

	if (!READ_ONCE(pool->enabled))
		return;
	sa_pool_evict(pool, NUMA_NO_NODE, ULONG_MAX, jiffies - max_age, false);
	queue_delayed_work(system_unbound_wq, &pool->age_work,
			   max(max_age / 4, (unsigned long)HZ / 10));
}

/*
 * The shrinker took pages from @node: pause its refill (see
 * SA_BACKOFF_MIN for the rule).
 */
static void sa_node_back_off(struct sa_pool *pool, struct sa_pool_node *node)
{
	unsigned long cap = max(msecs_to_jiffies(READ_ONCE(pool->max_age_ms)),
				SA_BACKOFF_MIN);
	unsigned long now = jiffies, period;

	spin_lock(&node->lock);
	period = min(SA_BACKOFF_MIN << node->backoff_shift, cap);
	if (time_before(now, node->backoff_until)) {
		/* The same episode: the period runs from its last shrink. */
	} else if (time_before(now, node->backoff_until + period)) {
		/* Back soon after the refill resumed: it persists. */
		if (node->backoff_shift < SA_BACKOFF_MAX_SHIFT)
			node->backoff_shift++;
		period = min(SA_BACKOFF_MIN << node->backoff_shift, cap);
	} else {
		node->backoff_shift = 0;
		period = SA_BACKOFF_MIN;
	}
	WRITE_ONCE(node->backoff_until, now + period);
	spin_unlock(&node->lock);
}

/**
 * sa_pool_shrink_node() - release up to @nr_pages staged pages of a node
 * @pool: the pool
 * @nid: the node reclaim runs for
 * @nr_pages: how many
 *
 * Called by the NUMA-aware shrinker; oldest first. If it took anything,
 * the node's refill backs off so the pool yields to the rest of the system
 * rather than staging the freed memory again at once.
 *
 * Return: pages released.
 */
unsigned long sa_pool_shrink_node(struct sa_pool *pool, int nid,
				  unsigned long nr_pages)
{
	unsigned long freed;

	if (nid < 0 || nid >= nr_node_ids || !pool->nodes[nid])
		return 0;
	freed = sa_pool_evict(pool, nid, nr_pages, 0, true);
	if (freed)
		sa_node_back_off(pool, pool->nodes[nid]);
	return freed;
}

/**
 * sa_pool_shrink() - release up to @nr_pages staged pages of any node
 * @pool: the pool
 * @nr_pages: how many
 *
 * sa_pool_shrink_node() on each node in turn, for callers that do not
 * reclaim for a node.
 *
 * Return: pages released.
 */
unsigned long sa_pool_shrink(struct sa_pool *pool, unsigned long nr_pages)
{
	unsigned long freed = 0;
	int nid;

	for_each_node(nid) {
		if (freed >= nr_pages)
			break;
		freed += sa_pool_shrink_node(pool, nid, nr_pages - freed);
	}
	return freed;
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
	return sa_low_mark_of(sa_pool_target(pool));
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
 * Pages staged beyond a lowered cap are released at once, oldest first on
 * each node, from the nodes in proportion to what they hold.
 */
void sa_pool_set_cap(struct sa_pool *pool, unsigned long cap_pages)
{
	long excess;

	WRITE_ONCE(pool->cap_pages, cap_pages);
	excess = atomic_long_read(&pool->staged_pages) - (long)cap_pages;
	if (excess > 0)
		sa_pool_evict_spread(pool, excess);
	sa_pool_kick(pool);
}

/**
 * sa_pool_start() - start staging (SHADOW_ENABLE)
 * @pool: the pool, stopped
 *
 * The zeroing budget starts with a full bucket.
 */
void sa_pool_start(struct sa_pool *pool)
{
	sa_zero_budget_reset(pool);
	pool->demand_stamp = jiffies;
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
 * sa_pool_set_zero_budget() - change the refill's zeroing budget
 * @pool: the pool
 * @pages_per_sec: pages the refill may zero per second,
 *	SHADOWALLOC_ZERO_BUDGET_MIN..SHADOWALLOC_ZERO_BUDGET_MAX
 *
 * A refill waiting for budget runs again now, so a higher budget applies
 * at once. Caller holds sa_registry_lock (serialised against
 * sa_pool_stop()).
 */
void sa_pool_set_zero_budget(struct sa_pool *pool, unsigned int pages_per_sec)
{
	WRITE_ONCE(pool->zero_pages_per_sec, pages_per_sec);
	if (READ_ONCE(pool->enabled))
		mod_delayed_work(system_unbound_wq, &pool->refill_work, 0);
}

/**
 * sa_pool_cpu_cached() - staged folios in a CPU's cache, for debugfs
 * @pool: the pool
 * @cpu: the CPU
 *
 * Return: a snapshot, read without the cache's lock.
 */
unsigned int sa_pool_cpu_cached(struct sa_pool *pool, int cpu)
{
	return READ_ONCE(per_cpu_ptr(pool->pcp, cpu)->nr);
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
	int nid;

	WRITE_ONCE(pool->enabled, false);
	/*
	 * Every node's lock after the store: a return or a cache fill that
	 * saw the pool enabled has finished before the drain below starts,
	 * and any later one sees it stopped.
	 */
	for_each_node(nid) {
		spin_lock(&pool->nodes[nid]->lock);
		spin_unlock(&pool->nodes[nid]->lock);
	}
	cancel_delayed_work_sync(&pool->age_work);
	cancel_delayed_work_sync(&pool->refill_work);
	atomic_long_set(&pool->reserved_pages, 0);
	sa_pool_evict(pool, NUMA_NO_NODE, ULONG_MAX, 0, true);
}

/* Free the node parts of a pool; nodes never allocated are NULL. */
static void sa_pool_free_nodes(struct sa_pool *pool)
{
	int nid;

	for_each_node(nid)
		kfree(pool->nodes[nid]);
	kfree(pool->nodes);
}

/**
 * sa_pool_init() - initialise a disabled, empty pool
 * @pool: the pool
 * @cap_bytes: cap on staged memory
 *
 * Allocates a part for every possible node (on the node, if it has
 * memory), so a node whose memory is hot-added later has one.
 *
 * Return: 0 or -ENOMEM.
 */
int sa_pool_init(struct sa_pool *pool, u64 cap_bytes)
{
	unsigned long past = jiffies - (SA_BACKOFF_MIN << (SA_BACKOFF_MAX_SHIFT + 1));
	struct sa_pool_node *node;
	enum sa_size_class class;
	int nid, cpu;

	pool->nodes = kcalloc(nr_node_ids, sizeof(*pool->nodes),
			      GFP_KERNEL_ACCOUNT);
	if (!pool->nodes)
		return -ENOMEM;
	for_each_node(nid) {
		node = kzalloc_node(sizeof(*node), GFP_KERNEL_ACCOUNT,
				    node_state(nid, N_MEMORY) ? nid :
				    NUMA_NO_NODE);
		if (!node)
			goto err_nodes;
		spin_lock_init(&node->lock);
		for (class = 0; class < SA_NR_CLASSES; class++)
			INIT_LIST_HEAD(&node->folios[class]);
		/* Long past: a first shrink starts at the shortest back-off. */
		node->backoff_until = past;
		pool->nodes[nid] = node;
	}
	pool->pcp = alloc_percpu(struct sa_pcp);
	if (!pool->pcp)
		goto err_nodes;
	for_each_possible_cpu(cpu) {
		local_lock_init(&per_cpu_ptr(pool->pcp, cpu)->llock);
		spin_lock_init(&per_cpu_ptr(pool->pcp, cpu)->lock);
	}
	INIT_DELAYED_WORK(&pool->refill_work, sa_refill_fn);
	INIT_DELAYED_WORK(&pool->age_work, sa_age_fn);
	pool->cap_pages = cap_bytes >> PAGE_SHIFT;
	pool->max_age_ms = SHADOWALLOC_MAX_AGE_DEFAULT_MS;
	pool->zero_pages_per_sec = SA_ZERO_BUDGET_DEFAULT;
	pool->forecast_huge = true;
	pool->demand_stamp = jiffies;
	return 0;

err_nodes:
	sa_pool_free_nodes(pool);
	return -ENOMEM;
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
	sa_pool_free_nodes(pool);
}

static enum cpuhp_state sa_pool_cpuhp_state;

/*
 * CPU hotplug teardown, on a control CPU once @cpu is dead (a PREPARE-
 * section state, as mm/page_alloc.c drains a dead CPU's lists): no task
 * can run on it any more, so nothing refills its caches after this. Every
 * group's cache of that CPU goes back to its node's list, where the other
 * CPUs' faults find it. Under RCU, as the shrinker reads groups: a group
 * is freed only after a grace period, and a drain never sleeps.
 */
static int sa_pool_cpu_dead(unsigned int cpu)
{
	struct sa_group *group;
	unsigned long id;

	rcu_read_lock();
	sa_for_each_group(id, group)
		sa_pcp_drain(&group->pool, cpu);
	rcu_read_unlock();
	return 0;
}

/**
 * sa_pool_hotplug_init() - drain the pools' caches of CPUs going offline
 *
 * Return: 0 or a negative errno.
 */
int sa_pool_hotplug_init(void)
{
	int ret;

	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN,
					SA_NAME "/pool:dead", NULL,
					sa_pool_cpu_dead);
	if (ret < 0)
		return ret;
	sa_pool_cpuhp_state = ret;
	return 0;
}

/**
 * sa_pool_hotplug_exit() - stop draining on CPU hotplug
 */
void sa_pool_hotplug_exit(void)
{
	cpuhp_remove_state_nocalls(sa_pool_cpuhp_state);
}
