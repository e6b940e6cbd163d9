// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: the arithmetic of GET_STATS.
 *
 * A group's fault counters are per-CPU (the fault path only increments its
 * own CPU's) and summed here on demand; the rates, the pages handed to VMs
 * and the time the pool saved them are derived from the sum, the pool's
 * counters and the group's demand model.
 */
#include <linux/limits.h>
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
		sum->released += s->released;
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

/*
 * Time saved by the @handed pages hits took. Once misses are measured:
 * what those pages would have cost at the misses' service time per page,
 * less what the hits actually took. Before the first miss: the pages at
 * the refill worker's allocate-and-zero time per page (@zero_ns over
 * @zeroed_pages), because a miss does what a hit does (insert and map
 * the folio) and in place of taking a staged folio, the allocation and
 * zeroing the refill did off the fault path. 0 while neither was
 * measured, or if the hits took longer.
 */
static u64 sa_time_saved_ns(const struct sa_fault_stats *sum, u64 handed,
			    u64 zeroed_pages, u64 zero_ns)
{
	u64 per_page, cost, spent = sum->hit_ns;

	if (sum->miss_pages) {
		per_page = div64_u64(sum->miss_ns, sum->miss_pages);
	} else if (zeroed_pages) {
		per_page = div64_u64(zero_ns, zeroed_pages);
		spent = 0;
	} else {
		return 0;
	}
	if (per_page && handed > U64_MAX / per_page)
		cost = U64_MAX;
	else
		cost = handed * per_page;
	return cost > spent ? cost - spent : 0;
}

/* The pool's and the faults' side of GET_STATS. */
static void sa_group_fill_pool_stats(struct sa_group *group,
				     struct shadowalloc_stats *st)
{
	const struct sa_forecast_model *demand = &group->demand;
	struct sa_pool *pool = &group->pool;
	struct sa_fault_stats sum;
	u64 handed_pages;

	sa_group_sum_stats(group, &sum);
	st->hits = sum.hits;
	st->hits_huge = sum.hits_huge;
	st->misses = sum.misses;
	st->faults = sum.hits + sum.misses + sum.raced;
	st->raced = sum.raced;
	st->hit_service_ns = sum.hit_ns;
	st->miss_service_ns = sum.miss_ns;
	st->discard_returned_pages = sum.discarded;
	st->released_pages = sum.released;
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
	/* What the shrinker, low memory or a slow refill left unstaged. */
	if (st->reserved_pages > st->staged_pages)
		st->reserve_shortfall_pages = st->reserved_pages -
					      st->staged_pages;
	st->staged_total = atomic64_read(&pool->staged_total);
	st->evicted_pages = atomic64_read(&pool->evicted_pages);
	st->cap_evicted_pages = atomic64_read(&pool->cap_evicted_pages);
	st->refill_zero_ns = atomic64_read(&pool->refill_zero_ns);
	st->refill_cpu_ns = atomic64_read(&pool->refill_cpu_ns);
	st->refill_runs = atomic64_read(&pool->refill_runs);
	st->aged_out_pages = atomic64_read(&pool->aged_out_pages);
	st->shrinker_evicted_pages = atomic64_read(&pool->shrinker_pages);
	/* Zeroed for nothing: every eviction but the disable's release. */
	st->evicted_unused_pages = st->aged_out_pages +
				   st->shrinker_evicted_pages +
				   st->cap_evicted_pages;
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
	/* A miss's folio is zeroed by the page allocator on the fault path. */
	st->fault_zeroed_pages = sum.miss_pages;
	st->hit_rate_pages_permille = sa_permille(handed_pages, handed_pages +
						  sum.miss_pages);
	st->utilisation_permille = sa_permille(handed_pages, st->staged_total);
	st->time_saved_ns = sa_time_saved_ns(&sum, handed_pages,
					     st->zeroed_pages,
					     st->refill_zero_ns);
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
