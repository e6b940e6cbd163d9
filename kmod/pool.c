// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: a trust group's staging pool of pre-zeroed pages: its lists
 * and caches, and the operations on them.
 *
 * The pool is per NUMA node: each node keeps its own lists, which the
 * refill worker (pool_refill.c) fills up to that node's share of the
 * target (pool_split.c). The fault path takes a folio in O(1): 4 KiB
 * folios of the CPU's own node come from a small per-CPU cache that only
 * its CPU touches in the common case, everything else from the head of a
 * node's shared list. Folios are kept oldest-first on each node, each
 * stamped with the time it was staged, so eviction (ageing, the shrinker,
 * a lowered cap, stop) takes from the head. Every staged folio is zeroed
 * before it enters the pool and no folio ever leaves it for anything but
 * a fault of its own group's VMs or the page allocator. Staged pages are
 * counted as reclaimable kernel memory (NR_KERNEL_MISC_RECLAIMABLE), so
 * MemAvailable includes them.
 *
 * This file is the pool's storage and everything that moves folios in or
 * out of it; the policies that decide when and what to move live in the
 * other pool_*.c files (see pool.h). Locks: see struct sa_pcp below and
 * struct sa_pool_node (shadowalloc.h).
 */
#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/local_lock.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/page-flags.h>
#include <linux/page_ref.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/topology.h>
#include <linux/vmstat.h>
#include <linux/workqueue.h>

#include "pool.h"

/* Slots in a per-CPU cache. */
#define SA_PCP_MAX	(2 * SA_PCP_BATCH)

/* Nodes a fault tries after its own before it gives up (races only). */
#define SA_TAKE_TRIES	3

/**
 * struct sa_pcp - per-CPU cache of staged 4 KiB folios of its CPU's node
 * @llock: taken by the owning CPU's faults around every use of the cache:
 *	pins the task to its CPU, so this_cpu_ptr() stays its cache
 *	(preemption disabled; on PREEMPT_RT a per-CPU sleeping lock that
 *	disables migration). Outermost of the pool's locks; drains from other
 *	CPUs do not take it
 * @lock: protects @nr and @folios. Taken under @llock by the owning CPU's
 *	faults (sa_pcp_take(), which fills the cache from its node's list
 *	under it) and, rarely and without @llock, by a drain running
 *	elsewhere (sa_pcp_drain(): eviction for ageing, the shrinker, a
 *	lowered cap or stop; CPU hotplug). A node's &sa_pool_node.lock
 *	nests inside it. Never contended in steady state
 * @nr: folios in @folios; sa_pool_cpu_cached() reads it without @lock
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

/*
 * Count @pages handed to a VM or aged out against the reservation: a
 * reservation is for pages about to be used, and each page handed out or
 * aged out (staged for a launch that did not come in time) uses up part of
 * it. Pages the shrinker or a lowered cap took do not: the reservation
 * still stands, the refill stages them again when memory allows, and until
 * then GET_STATS reports them as reserve_shortfall_pages.
 */
void sa_pool_consume_reservation(struct sa_pool *pool, unsigned long pages)
{
	long old = atomic_long_read(&pool->reserved_pages), new;

	if (!pages)
		return;
	do {
		if (old <= 0)
			return;
		new = old > (long)pages ? old - (long)pages : 0;
	} while (!atomic_long_try_cmpxchg(&pool->reserved_pages, &old, new));
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
 * Split a staged 2 MiB folio into 512 order-0 folios, in place, the way
 * the page allocator takes a compound page apart when it is freed
 * (free_pages_prepare(), free_tail_page_prepare()) followed by
 * split_page(), which hands out each page of a high-order allocation on
 * its own. Neither split_folio() nor anything else of mm that splits a
 * large folio applies: those are for folios in a page cache or an
 * anon_vma (they need its locks, unmap the folio and fix up the xarray)
 * and are not exported, while a staged folio is in neither, was never
 * mapped, is on no LRU and is charged to no memcg (it is charged when a
 * fault inserts it), so there is nothing to unmap, move or recharge: the
 * compound metadata is all there is to undo. split_page() then gives the
 * tail pages their reference and splits what the page owner, allocation
 * profiling and memcg keep per allocation.
 *
 * The reference count is frozen first, as split_huge_page() does: a PFN
 * walker (compaction, memory-failure, /proc/kpage*) that took a
 * speculative reference to the folio must not see it change size under
 * it; if one holds one now, the split is refused and the folio stays
 * whole. So is a folio with a poisoned page: handing out its other pages
 * is memory-failure's business, not a fault's.
 *
 * No lock: the folio is the caller's alone. Costs a pass over 512 struct
 * pages and no zeroing: the pages stay as zeroed as the folio was.
 */
static bool sa_folio_split(struct folio *folio)
{
	struct page *head = &folio->page;
	unsigned int order = folio_order(folio);
	unsigned long i, nr = folio_nr_pages(folio);

	if (folio_contain_hwpoisoned_page(folio) || !folio_ref_freeze(folio, 1))
		return false;
	/* The order and the large-folio flags live in the first tail page. */
	head[1].flags &= ~PAGE_FLAGS_SECOND;
	/*
	 * ->mapping of each tail is TAIL_MAPPING, or overlaid by the
	 * folio's mapcounts (page 1), deferred-split list (page 2) or
	 * hugetlb fields (page 3): all are meaningless for an order-0 page.
	 */
	for (i = 1; i < nr; i++) {
		head[i].mapping = NULL;
		clear_compound_head(&head[i]);
	}
	__ClearPageHead(head);
	folio_ref_unfreeze(folio, 1);
	split_page(head, order);
	return true;
}

/*
 * Take the oldest 2 MiB block of @node and split it for a 4 KiB fault
 * that found no 4 KiB page staged: one page is returned, the other 511
 * go to the head of the node's 4 KiB list (they are the oldest pages
 * there: a split only happens where that list was empty), each with the
 * block's staging time, so ageing sees them as old as their zeroing. The
 * block's pages stay staged, only no longer as 2 MiB: staged_pages and
 * the node's reclaimable memory do not change here, the caller takes the
 * one page out as any 4 KiB take. NULL if the node has no block or it
 * could not be split (it goes back where it was).
 */
static struct folio *sa_node_take_split(struct sa_pool *pool,
					struct sa_pool_node *node)
{
	struct folio *folio, *tail;
	unsigned long stamp, i, nr;
	LIST_HEAD(rest);
	int nid;

	folio = sa_node_take(node, SA_CLASS_2M);
	if (!folio)
		return NULL;
	stamp = sa_stamp_of(folio);
	nr = folio_nr_pages(folio);
	nid = folio_nid(folio);
	if (!sa_folio_split(folio)) {
		spin_lock(&node->lock);
		/* Under the lock: sa_pool_stop() takes it after clearing this. */
		if (READ_ONCE(pool->enabled)) {
			list_add(&folio->lru, &node->folios[SA_CLASS_2M]);
			sa_node_nr_add(node, SA_CLASS_2M, 1);
			folio = NULL;
		}
		spin_unlock(&node->lock);
		if (folio) {
			sa_pool_account(pool, nid, SA_CLASS_2M, -1);
			sa_folio_release(folio);
		}
		return NULL;
	}
	/* Each of the block's pages is a folio of its own now. */
	for (i = 1; i < nr; i++) {
		tail = page_folio(&folio->page + i);
		tail->private = (void *)stamp;
		list_add_tail(&tail->lru, &rest);
	}
	atomic_long_sub(nr, &node->staged_huge_pages);
	atomic_long_sub(nr, &pool->staged_huge_pages);
	atomic64_inc(&pool->split_blocks);

	spin_lock(&node->lock);
	/* Under the lock: sa_pool_stop() takes it after clearing this. */
	if (READ_ONCE(pool->enabled)) {
		list_splice_init(&rest, &node->folios[SA_CLASS_4K]);
		sa_node_nr_add(node, SA_CLASS_4K, nr - 1);
	}
	spin_unlock(&node->lock);
	if (!list_empty(&rest)) {
		/* Stopped meanwhile: the rest goes to the page allocator. */
		sa_pool_account(pool, nid, SA_CLASS_4K, -(long)(nr - 1));
		while (!list_empty(&rest)) {
			tail = list_first_entry(&rest, struct folio, lru);
			list_del(&tail->lru);
			sa_folio_release(tail);
		}
	}
	return folio;
}

/*
 * A folio of @class from @node's shared list; for a 4 KiB one, if none is
 * listed there, a page of a 2 MiB block split for it.
 */
static struct folio *sa_node_take_any(struct sa_pool *pool,
				      struct sa_pool_node *node,
				      enum sa_size_class class)
{
	struct folio *folio = sa_node_take(node, class);

	if (!folio && class == SA_CLASS_4K)
		folio = sa_node_take_split(pool, node);
	return folio;
}

/* Whether @node has a folio sa_node_take_any() could take; lockless. */
static bool sa_node_has_any(struct sa_pool_node *node,
			    enum sa_size_class class)
{
	return READ_ONCE(node->nr_folios[class]) ||
	       (class == SA_CLASS_4K &&
		READ_ONCE(node->nr_folios[SA_CLASS_2M]));
}

/*
 * A folio from the nearest node other than @nid that has one (for 4 KiB,
 * a 4 KiB folio or a block to split), among @nodes if the policy
 * restricts them: the node distance a guest pays on every access weighs
 * more than the split. The counts are read without the lock: a node
 * emptied meanwhile is tried again, a few times at most.
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
			    !sa_node_has_any(pool->nodes[n], class))
				continue;
			if (best == NUMA_NO_NODE ||
			    node_distance(nid, n) < node_distance(nid, best))
				best = n;
		}
		if (best == NUMA_NO_NODE)
			return NULL;
		folio = sa_node_take_any(pool, pool->nodes[best], class);
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
 * A 4 KiB take that finds no 4 KiB folio on a node but a 2 MiB block
 * splits the block (sa_node_take_split()): its pages were zeroed off the
 * fault path as much as a 4 KiB folio's, and a fault that allocated and
 * zeroed instead would leave them waiting for a 2 MiB fault that a VM
 * faulting 4 KiB (unaligned mapping, no THP, ranges left partly
 * populated by discards) never makes. Wakes the refill worker when the
 * pool or the node drops below its low mark.
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
	if (!folio && class == SA_CLASS_4K)
		folio = sa_node_take_split(pool, pool->nodes[nid]);
	if (!folio)
		folio = sa_pool_take_near(pool, class, nid, nodes);
	if (!folio)
		return NULL;

	folio->private = NULL;
	nid = folio_nid(folio);
	node = pool->nodes[nid];
	sa_pool_account(pool, nid, class, -1);
	sa_pool_consume_reservation(pool, sa_class_pages(class));
	sa_pool_kick_if_low(pool, node);
	return folio;
}

/*
 * Move every folio of @cpu's cache to the head of its node's list (the
 * bottom of the stack is the oldest: it ends up first). From any CPU: the
 * cache's spinlock serialises this with its owner. The node's lock per
 * folio: drains are rare and a cache holds SA_PCP_MAX folios at most.
 */
void sa_pcp_drain(struct sa_pool *pool, int cpu)
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
 * NUMA_NO_NODE; see sa_node_evict(). The reservation is left as it is
 * (ageing uses it up itself, see sa_pool_consume_reservation()). Returns
 * pages evicted.
 */
unsigned long sa_pool_evict(struct sa_pool *pool, int nid,
			    unsigned long max_pages, unsigned long older_than,
			    bool any_age)
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
	if (evicted)
		atomic64_add(evicted, &pool->evicted_pages);
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
void sa_pool_add(struct sa_pool *pool, int nid, enum sa_size_class class,
		 struct folio *folio)
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
 * @cap_pages: the new cap, not below the outstanding reservation (the
 *	caller refuses that, under sa_registry_lock, which every change of
 *	the reservation but its use holds)
 *
 * Pages staged beyond a lowered cap are released at once, oldest first on
 * each node, from the nodes in proportion to what they hold, and counted
 * in @cap_evicted_pages. They are forecast pages: the cap is not below the
 * reservation, and the reservation is not used up by this.
 */
void sa_pool_set_cap(struct sa_pool *pool, unsigned long cap_pages)
{
	long excess;

	WRITE_ONCE(pool->cap_pages, cap_pages);
	excess = atomic_long_read(&pool->staged_pages) - (long)cap_pages;
	if (excess > 0)
		atomic64_add(sa_pool_evict_spread(pool, excess),
			     &pool->cap_evicted_pages);
	sa_pool_kick(pool);
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
 * sa_pool_start() - start staging (SHADOW_ENABLE)
 * @pool: the pool, stopped
 *
 * The zeroing budget starts with a full bucket.
 */
void sa_pool_start(struct sa_pool *pool)
{
	sa_zero_budget_reset(pool);
	sa_demand_reset(pool);
	WRITE_ONCE(pool->enabled, true);
	sa_age_start(pool);
	sa_pool_kick(pool);
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
		sa_node_backoff_init(node);
		pool->nodes[nid] = node;
	}
	pool->pcp = alloc_percpu(struct sa_pcp);
	if (!pool->pcp)
		goto err_nodes;
	for_each_possible_cpu(cpu) {
		local_lock_init(&per_cpu_ptr(pool->pcp, cpu)->llock);
		spin_lock_init(&per_cpu_ptr(pool->pcp, cpu)->lock);
	}
	sa_refill_init(pool);
	sa_age_init(pool);
	sa_zero_budget_init(pool);
	sa_demand_reset(pool);
	pool->cap_pages = cap_bytes >> PAGE_SHIFT;
	pool->forecast_huge = true;
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
