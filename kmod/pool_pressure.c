// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: how a staging pool yields to memory pressure.
 *
 * Staging is speculation, so it yields: it never reclaims memory to stage
 * (SA_REFILL_GFP: kswapd may be woken, nothing more), stops on a node
 * whose free memory is down to the high watermark (sa_node_has_room()),
 * gives staged pages back when the shrinker asks (sa_pool_shrink_node())
 * and then pauses the refill on that node for a while (the back-off), so
 * it does not stage again at once the memory reclaim just freed. The rules
 * by which staging gives way to the rest of the system, in one place.
 */
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/spinlock.h>
#include <linux/vmstat.h>

#include "pool.h"

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
 * Has node @nid room for @pages more staged pages? Only above the high
 * watermarks: staging stops where kswapd would stop reclaiming, so it
 * never drives a node into reclaim itself and leaves the memory between
 * the watermarks to allocations that need it now. Counted over the zones
 * the refill allocates from (ZONE_MOVABLE's free pages are of no use to
 * it, see SA_REFILL_GFP).
 */
bool sa_node_has_room(int nid, unsigned long pages)
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

/*
 * A new node part: its last back-off ended long ago, so a first shrink
 * starts at the shortest.
 */
void sa_node_backoff_init(struct sa_pool_node *node)
{
	node->backoff_until = jiffies -
			      (SA_BACKOFF_MIN << (SA_BACKOFF_MAX_SHIFT + 1));
}
