// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: the arithmetic of GET_STATS.
 *
 * A group's fault counters are per-CPU (the fault path only increments its
 * own CPU's) and summed here on demand; the rates, the pages handed to VMs
 * and the time the pool saved them are derived from the sum, the pool's
 * counters and the group's demand model.
 */
#include <linux/lockdep.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/percpu.h>

#include "registry.h"

/**
 * sa_group_sum_stats() - sum a group's per-CPU fault counters
 * @group: the group
 * @sum: the sums
 *
 * Takes no lock: counters racing with the sum are counted or not.
 */
void sa_group_sum_stats(struct sa_group *group, struct sa_fault_stats *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		struct sa_fault_stats *s = per_cpu_ptr(group->stats, cpu);

		sum->hits += s->hits;
		sum->hits_huge += s->hits_huge;
		sum->misses += s->misses;
		sum->miss_pages += s->miss_pages;
		sum->hit_ns += s->hit_ns;
		sum->miss_ns += s->miss_ns;
		sum->raced += s->raced;
		sum->discarded += s->discarded;
		sum->events += s->events;
		sum->events_dropped += s->events_dropped;
	}
}

/* Pages staged folios handed to VMs: a 2 MiB hit hands over HPAGE_PMD_NR. */
static u64 sa_staged_pages_handed(const struct sa_fault_stats *sum)
{
	return sum->hits + sum->hits_huge * (HPAGE_PMD_NR - 1);
}

/**
 * sa_group_handed_pages() - pages a group's faults handed to its VMs
 * @group: the group
 *
 * Return: the staged pages hits took plus the pages misses allocated.
 */
u64 sa_group_handed_pages(struct sa_group *group)
{
	struct sa_fault_stats sum;

	sa_group_sum_stats(group, &sum);
	return sa_staged_pages_handed(&sum) + sum.miss_pages;
}

/* @part per 1000 of @whole, capped at 1000. */
static u64 sa_permille(u64 part, u64 whole)
{
	return whole ? div64_u64(min(part, whole) * 1000, whole) : 0;
}

/* The pool's and the faults' side of GET_STATS. */
static void sa_group_fill_pool_stats(struct sa_group *group,
				     struct shadowalloc_stats *st)
{
	const struct sa_forecast_model *demand = &group->demand;
	struct sa_pool *pool = &group->pool;
	u64 handed_pages, miss_ns_per_page;
	struct sa_fault_stats sum;

	sa_group_sum_stats(group, &sum);
	st->hits = sum.hits;
	st->hits_huge = sum.hits_huge;
	st->misses = sum.misses;
	st->faults = sum.hits + sum.misses + sum.raced;
	st->raced = sum.raced;
	st->hit_service_ns = sum.hit_ns;
	st->miss_service_ns = sum.miss_ns;
	st->discard_returned_pages = sum.discarded;
	st->events_seen = sum.events;
	st->events_dropped = sum.events_dropped;
	st->hit_rate_permille = sa_permille(sum.hits, sum.hits + sum.misses);

	st->staged_pages = max(atomic_long_read(&pool->staged_pages), 0L);
	st->held_page_ticks = group->held_page_ticks;
	st->held_ticks = group->held_ticks;
	st->staged_huge_pages = max(atomic_long_read(&pool->staged_huge_pages),
				    0L);
	st->staging_target_pages = sa_pool_target(pool);
	st->reserved_pages = max(atomic_long_read(&pool->reserved_pages), 0L);
	st->staged_total = atomic64_read(&pool->staged_total);
	st->evicted_pages = atomic64_read(&pool->evicted_pages);
	st->max_age_ms = READ_ONCE(pool->max_age_ms);
	st->zeroed_pages = atomic64_read(&pool->zeroed_pages);
	st->refill_throttled = atomic64_read(&pool->refill_throttled);
	st->refill_backoffs = atomic64_read(&pool->refill_backoffs);
	st->zero_pages_per_sec = READ_ONCE(pool->zero_pages_per_sec);
	st->forecast_pages = READ_ONCE(pool->forecast_pages);
	st->forecast_abs_err_pages = demand->last_abs_err;
	st->forecast_err_permille = sa_forecast_error_permille(demand);
	st->naive_err_permille = sa_forecast_naive_error_permille(demand);
	st->forecast_windows = demand->nr_windows;
	st->accuracy_permille = sa_forecast_accuracy_permille(demand);

	handed_pages = sa_staged_pages_handed(&sum);
	st->hit_pages = handed_pages;
	st->miss_pages = sum.miss_pages;
	st->utilisation_permille = sa_permille(handed_pages, st->staged_total);
	/*
	 * Time saved: what the handed-over pages would have cost at the
	 * measured miss cost per page, less what the hits actually took.
	 * No estimate before the first miss.
	 */
	if (sum.miss_pages) {
		miss_ns_per_page = div64_u64(sum.miss_ns, sum.miss_pages);
		if (handed_pages * miss_ns_per_page > sum.hit_ns)
			st->time_saved_ns = handed_pages * miss_ns_per_page -
					    sum.hit_ns;
	}
}

/**
 * sa_group_fill_stats() - a group's GET_STATS reply
 * @group: the group; the caller holds sa_registry_lock
 * @st: filled in, but for size and flags
 */
void sa_group_fill_stats(struct sa_group *group, struct shadowalloc_stats *st)
{
	lockdep_assert_held(&sa_registry_lock);
	st->group_id = group->id;
	st->state = group->enabled ? SHADOWALLOC_STATE_ENABLED : 0;
	if (group->pool.huge)
		st->state |= SHADOWALLOC_STATE_HUGE;
	st->nr_vms = group->nr_vms;
	st->max_vms = group->max_vms;
	st->horizon_ms = group->horizon_ms;
	st->max_staged_bytes = group->max_staged_bytes;
	sa_group_fill_pool_stats(group, st);
}
