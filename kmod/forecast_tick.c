// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: the forecast driver, the loop that closes fault -> telemetry
 * -> forecast -> refill.
 *
 * Every SHADOWALLOC_TICK_MS while a group is enabled, one worker visits
 * each enabled group under sa_registry_lock and, in this order:
 *
 *  1. reads the demand: the pages the group's faults handed to VMs since
 *     the last tick (the fault counters, stats.c);
 *  2. observes: that demand, with the share of each launch (memory object
 *     by age, launch.c), is the newest sample of the group's model (ticks
 *     the worker missed count as empty);
 *  3. targets: the pool's forecast becomes the model's target for the
 *     horizon at the pool's zeroing budget and the fill-rate goal
 *     (sa_pool_target() caps it and honours reservations), and 2 MiB
 *     blocks are wanted while most VMs with enough history touch their
 *     regions densely;
 *  4. kicks the pool's refill worker, which stages up to the target.
 *
 * The models themselves are the pure-C core under forecast/.
 */
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/workqueue.h>

#include "registry.h"

/* Regions a VM must have filled before its vote on 2 MiB blocks counts. */
#define SA_FORECAST_VOTE_REGIONS	4

static void sa_forecast_tick_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(sa_forecast_tick_work, sa_forecast_tick_fn);

/*
 * The next run: just after the next tick boundary of the clock the
 * telemetry and the recordings use (sa_telemetry_now_tick()), so the
 * demand a run reads is, but for the worker's wake-up latency, the
 * demand of the tick that just ended, and a recording replayed tick by
 * tick (sa_replay --absolute-ticks) sees the same series.
 */
static void sa_forecast_schedule(void)
{
	const u32 tick_ns = SHADOWALLOC_TICK_MS * NSEC_PER_MSEC;
	u32 into;

	div_u64_rem(ktime_get_ns(), tick_ns, &into);
	/* rounded up: a timer may fire up to a jiffy before its delay */
	queue_delayed_work(system_unbound_wq, &sa_forecast_tick_work,
			   DIV_ROUND_UP(tick_ns - into, TICK_NSEC) + 1);
}

/* The window the models score: the horizon, at most SA_FORECAST_WINDOW_MAX. */
static u32 sa_forecast_window(struct sa_group *group)
{
	return min_t(u32, sa_group_horizon_ticks(group),
		     SA_FORECAST_WINDOW_MAX);
}

/* Step 1: pages handed to the group's VMs since the last tick. */
static u32 sa_forecast_read_demand(struct sa_group *group)
{
	u64 handed = sa_group_handed_pages(group);
	u64 pages = min_t(u64, handed - group->forecast_handed, U32_MAX);

	group->forecast_handed = handed;
	return pages;
}

/* The first tick to observe at @now: at most a window of missed ones. */
static u64 sa_forecast_first_tick(struct sa_group *group, u64 now)
{
	return max(group->forecast_tick + 1, now - SA_FORECAST_WINDOW_MAX + 1);
}

/* The pool's max age in ticks: how long a launch may wait untouched. */
static u64 sa_forecast_max_wait(struct sa_group *group)
{
	return READ_ONCE(group->pool.max_age_ms) / SHADOWALLOC_TICK_MS;
}

/*
 * Step 2: the group's model takes @pages at @now, zeros for missed ticks;
 * the launches' pages all count in the last one.
 */
static void sa_forecast_observe_group(struct sa_group *group, u32 pages,
				      const struct sa_forecast_launch *launches,
				      u32 nr, u64 now)
{
	u32 window = sa_forecast_window(group);
	u64 t;

	for (t = sa_forecast_first_tick(group, now); t < now; t++)
		sa_forecast_observe(&group->demand, 0, NULL, 0, window);
	sa_forecast_observe(&group->demand, pages, launches, nr, window);
}

/*
 * Do 2 MiB regions get filled? Dense while at least half of the VMs with
 * enough where-history touch regions densely, sparse when fewer do,
 * unknown while none has that much history.
 */
static enum sa_density sa_forecast_density(struct sa_group *group)
{
	unsigned int votes = 0, votes_huge = 0;
	struct sa_vm *vm;

	list_for_each_entry(vm, &group->vms, group_node) {
		if (vm->where.nr_regions >= SA_FORECAST_VOTE_REGIONS) {
			votes++;
			votes_huge += sa_forecast_where_huge(&vm->where);
		}
	}
	if (!votes)
		return SA_DENSITY_UNKNOWN;
	return votes_huge * 2 >= votes ? SA_DENSITY_DENSE : SA_DENSITY_SPARSE;
}

/*
 * Memory held: the pages staged now, after the refill of the tick that
 * ended and before the faults of the next, for each tick since the last
 * run (the pool held them all along), as sa_replay counts it.
 */
static void sa_forecast_count_held(struct sa_group *group, u64 now)
{
	u64 ticks = now - sa_forecast_first_tick(group, now) + 1;
	long staged = atomic_long_read(&group->pool.staged_pages);

	group->held_page_ticks += (u64)max(staged, 0L) * ticks;
	group->held_ticks += ticks;
}

/*
 * Step 3: the pool's forecast and block size from the group's model. The
 * refill per tick is the pool's zeroing budget: what it cannot zero in
 * time must be staged ahead.
 */
static void sa_forecast_set_target(struct sa_group *group,
				   const struct sa_forecast_launch *launches,
				   u32 nr)
{
	struct sa_pool *pool = &group->pool;
	u64 refill = (u64)READ_ONCE(pool->zero_pages_per_sec) *
		     SHADOWALLOC_TICK_MS / 1000;
	u64 target = sa_forecast_target(&group->demand, launches, nr,
					sa_group_horizon_ticks(group), refill,
					READ_ONCE(sa_fill_rate_permille));
	enum sa_density density = sa_forecast_density(group);

	WRITE_ONCE(pool->forecast_pages, min_t(u64, target, ULONG_MAX));
	WRITE_ONCE(group->density, density);
	/* Staging: 2 MiB blocks unless the members are seen to be sparse. */
	WRITE_ONCE(pool->forecast_huge, density != SA_DENSITY_SPARSE);
}

/* The tick: every enabled group, read demand -> observe -> target -> kick. */
static void sa_forecast_tick_fn(struct work_struct *work)
{
	struct sa_forecast_launch launches[SA_FORECAST_LAUNCHES_MAX];
	struct sa_group *group;
	bool any = false;
	unsigned long id;
	u32 pages, nr;
	u64 now;

	mutex_lock(&sa_registry_lock);
	/* after the lock: a tick spent waiting for it is not this tick */
	now = sa_telemetry_now_tick();
	sa_for_each_group(id, group) {
		if (!group->enabled)
			continue;
		any = true;
		if (now <= group->forecast_tick)
			continue;

		/*
		 * Launches first: a first touch between the two reads counts
		 * in the demand and not in a launch, never the other way.
		 */
		nr = sa_launch_collect(group, now, sa_forecast_max_wait(group),
				       launches);
		pages = sa_forecast_read_demand(group);

		sa_forecast_observe_group(group, pages, launches, nr, now);
		sa_forecast_count_held(group, now);
		group->forecast_tick = now;

		sa_forecast_set_target(group, launches, nr);

		sa_pool_kick(&group->pool);
	}
	/* Stop ticking with the last enabled group; enabling one restarts. */
	if (any)
		sa_forecast_schedule();
	mutex_unlock(&sa_registry_lock);
}

/**
 * sa_forecast_start() - start forecasting for a group being enabled
 * @group: the group; the caller holds sa_registry_lock
 *
 * What was handed out while the group was disabled is not demand: the
 * count starts now. Starts the tick if it is not running.
 */
void sa_forecast_start(struct sa_group *group)
{
	lockdep_assert_held(&sa_registry_lock);
	sa_launch_reset(group);
	group->forecast_handed = sa_group_handed_pages(group);
	group->forecast_tick = sa_telemetry_now_tick();
	sa_forecast_schedule();
}

/**
 * sa_forecast_exit() - stop the tick at module unload
 *
 * The caller does not hold sa_registry_lock, which the tick takes.
 */
void sa_forecast_exit(void)
{
	cancel_delayed_work_sync(&sa_forecast_tick_work);
}
