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
 *  2. observes: that demand is the newest sample of the group's model
 *     (ticks the worker missed count as empty), and each VM's model takes
 *     its completed telemetry ticks (telemetry.c fills them);
 *  3. targets: the pool's forecast becomes the group model's demand over the
 *     horizon plus its burst margin (sa_pool_target() caps it and honours
 *     reservations), and 2 MiB blocks are wanted while most VMs with enough
 *     history touch their regions densely;
 *  4. kicks the pool's refill worker, which stages up to the target.
 *
 * The models themselves are the pure-C core under forecast/.
 */
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/workqueue.h>

#include "registry.h"

/* Where-predictor steps a VM needs before its vote on 2 MiB blocks counts. */
#define SA_FORECAST_VOTE_STEPS	4

static void sa_forecast_tick_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(sa_forecast_tick_work, sa_forecast_tick_fn);

static void sa_forecast_schedule(void)
{
	queue_delayed_work(system_unbound_wq, &sa_forecast_tick_work,
			   msecs_to_jiffies(SHADOWALLOC_TICK_MS));
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

/* Step 2a: the group's model takes @pages at @now, zeros for missed ticks. */
static void sa_forecast_observe_group(struct sa_group *group, u32 pages,
				      u64 now)
{
	u32 window = sa_forecast_window(group);
	u64 t;

	for (t = sa_forecast_first_tick(group, now); t <= now; t++)
		sa_forecast_observe(&group->demand, t == now ? pages : 0,
				    window);
}

/*
 * Step 2b: each VM's model takes the pages KVM mapped for it per
 * telemetry tick; telemetry tick t is complete once tick t + 1 began.
 */
static void sa_forecast_observe_vms(struct sa_group *group, u64 now)
{
	u32 window = sa_forecast_window(group);
	u64 from = sa_forecast_first_tick(group, now), t;
	struct sa_vm *vm;

	list_for_each_entry(vm, &group->vms, group_node) {
		struct sa_telemetry_agg *tlm = &vm->telemetry;

		for (t = from - 1; t < now; t++) {
			bool in = t <= tlm->last_tick &&
				  t + SA_TELEMETRY_TICKS > tlm->last_tick;
			u32 slot = t % SA_TELEMETRY_TICKS;
			u32 pages = in ? tlm->tick_pages[slot] : 0;

			sa_forecast_observe(&vm->demand, pages, window);
		}
	}
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
		if (vm->where.nr_steps >= SA_FORECAST_VOTE_STEPS) {
			votes++;
			votes_huge += sa_forecast_where_huge(&vm->where);
		}
	}
	if (!votes)
		return SA_DENSITY_UNKNOWN;
	return votes_huge * 2 >= votes ? SA_DENSITY_DENSE : SA_DENSITY_SPARSE;
}

/* Step 3: the pool's forecast and block size from the group's models. */
static void sa_forecast_set_target(struct sa_group *group)
{
	u64 target = sa_forecast_target(&group->demand,
					sa_group_horizon_ticks(group));
	enum sa_density density = sa_forecast_density(group);
	struct sa_pool *pool = &group->pool;

	WRITE_ONCE(pool->forecast_pages, min_t(u64, target, ULONG_MAX));
	WRITE_ONCE(group->density, density);
	/* Staging: 2 MiB blocks unless the members are seen to be sparse. */
	WRITE_ONCE(pool->forecast_huge, density != SA_DENSITY_SPARSE);
}

/* The tick: every enabled group, read demand -> observe -> target -> kick. */
static void sa_forecast_tick_fn(struct work_struct *work)
{
	u64 now = sa_telemetry_now_tick();
	struct sa_group *group;
	bool any = false;
	unsigned long id;
	u32 pages;

	mutex_lock(&sa_registry_lock);
	sa_for_each_group(id, group) {
		if (!group->enabled)
			continue;
		any = true;
		if (now <= group->forecast_tick)
			continue;

		pages = sa_forecast_read_demand(group);

		sa_forecast_observe_group(group, pages, now);
		sa_forecast_observe_vms(group, now);
		group->forecast_tick = now;

		sa_forecast_set_target(group);

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
