// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: launches, the memory objects of a group by age, which the
 * forecaster's launch profiles learn from (forecast/profile.c).
 *
 * Every memory object gets a launch record when it is created. It joins
 * its group's launch list when it is created bound to an enabled group
 * (a shadowallocfs group= mount, or a creator that is a member) or, if
 * not, at the first of its first touches one serves. The fault path adds the
 * pages it hands out to the record; the forecast tick reads them once per
 * tick, works out the launch's age (ticks since its first fault) and
 * retires it once it is older than the profile, its object is gone (after
 * reporting its last pages), or it waited untouched for longer than the
 * pool's max age.
 *
 * A record is shared by its object and its group's list, each holding a
 * reference, so neither outlives the other's use of it.
 */
#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "registry.h"

/* struct sa_launch.flags */
#define SA_LAUNCH_ATTACHED	0	/* it is on a group's list, or was */
#define SA_LAUNCH_GONE		1	/* its memory object was freed */
#define SA_LAUNCH_LAST		2	/* reported once since it was gone */

/**
 * struct sa_launch - a memory object as a launch of its group
 * @ref: one reference for the object, one while on a group's list
 * @node: entry in sa_group.launches, under sa_group.launch_lock
 * @group_id: the group whose list took it: only that group's first
 *	touches count (an object rebound to another group is background
 *	there)
 * @pages: pages its first touches were handed, added by the fault path
 * @seen: @pages at the last forecast tick; forecast tick only
 * @created_tick: the tick it joined the list
 * @first_tick: the tick its first fault was seen in, U64_MAX before
 * @flags: SA_LAUNCH_* bits
 */
struct sa_launch {
	struct kref ref;
	struct list_head node;
	u32 group_id;
	atomic64_t pages;
	u64 seen;
	u64 created_tick;
	u64 first_tick;
	unsigned long flags;
};

/**
 * sa_launch_new() - a launch record for a new memory object
 *
 * Return: the record (the object's reference), or NULL.
 */
struct sa_launch *sa_launch_new(void)
{
	struct sa_launch *l = kzalloc(sizeof(*l), GFP_KERNEL_ACCOUNT);

	if (!l)
		return NULL;
	kref_init(&l->ref);
	INIT_LIST_HEAD(&l->node);
	l->first_tick = U64_MAX;
	return l;
}

static void sa_launch_release(struct kref *ref)
{
	kfree(container_of(ref, struct sa_launch, ref));
}

/**
 * sa_launch_gone() - the memory object is freed: drop its reference
 * @l: the record, or NULL
 *
 * A listed launch is retired by the next forecast tick.
 */
void sa_launch_gone(struct sa_launch *l)
{
	if (!l)
		return;
	set_bit(SA_LAUNCH_GONE, &l->flags);
	kref_put(&l->ref, sa_launch_release);
}

/*
 * Offer @l to @group: it is listed once, if the group tracks fewer than
 * SA_FORECAST_LAUNCHES_MAX launches (a full list leaves it to be offered
 * again by its next first touch; its demand is background meanwhile).
 * The caller holds rcu_read_lock(), which keeps @group from being freed
 * (sa_launch_release_all() runs after a grace period).
 */
static void sa_launch_attach(struct sa_group *group, struct sa_launch *l)
{
	if (test_bit(SA_LAUNCH_ATTACHED, &l->flags) ||
	    READ_ONCE(group->nr_launches) >= SA_FORECAST_LAUNCHES_MAX)
		return;
	spin_lock(&group->launch_lock);
	if (group->nr_launches < SA_FORECAST_LAUNCHES_MAX &&
	    !test_and_set_bit(SA_LAUNCH_ATTACHED, &l->flags)) {
		kref_get(&l->ref);
		l->group_id = group->id;
		l->created_tick = sa_telemetry_now_tick();
		list_add_tail(&l->node, &group->launches);
		WRITE_ONCE(group->nr_launches, group->nr_launches + 1);
	}
	spin_unlock(&group->launch_lock);
}

/**
 * sa_launch_created() - a memory object was created for @group
 * @group: the enabled group that will serve it; rcu_read_lock() held
 * @l: its record, or NULL
 *
 * The launch begins now, before its first fault: the profile's first
 * ticks are staged while the VMM sets up.
 */
void sa_launch_created(struct sa_group *group, struct sa_launch *l)
{
	if (l)
		sa_launch_attach(group, l);
}

/**
 * sa_launch_account() - a first touch of the object was handed pages
 * @group: the group that served it; rcu_read_lock() held
 * @l: the object's record, or NULL
 * @pages: pages handed
 *
 * One atomic add per first touch (not per fault: a page is first-touched
 * once); the first one offers the launch to @group if its creation did not.
 * Pages count only for the group that listed the launch.
 */
void sa_launch_account(struct sa_group *group, struct sa_launch *l, long pages)
{
	if (!l)
		return;
	sa_launch_attach(group, l);
	if (test_bit(SA_LAUNCH_ATTACHED, &l->flags) &&
	    READ_ONCE(l->group_id) == group->id)
		atomic64_add(pages, &l->pages);
}

/* Take @l off its group's list; launch_lock held. */
static void sa_launch_retire(struct sa_group *group, struct sa_launch *l)
{
	list_del_init(&l->node);
	WRITE_ONCE(group->nr_launches, group->nr_launches - 1);
	kref_put(&l->ref, sa_launch_release);
}

/**
 * sa_launch_collect() - the group's launches for this forecast tick
 * @group: the group; sa_registry_lock held (the forecast tick)
 * @now: the tick
 * @max_wait: ticks a launch may wait for its first fault
 * @out: SA_FORECAST_LAUNCHES_MAX entries
 *
 * Return: the number of launches written to @out, each with the pages it
 * took since the last call; retires the ones that are done.
 */
u32 sa_launch_collect(struct sa_group *group, u64 now, u64 max_wait,
		      struct sa_forecast_launch *out)
{
	struct sa_launch *l, *tmp;
	u32 nr = 0;
	u64 total;

	lockdep_assert_held(&sa_registry_lock);
	spin_lock(&group->launch_lock);
	list_for_each_entry_safe(l, tmp, &group->launches, node) {
		total = atomic64_read(&l->pages);
		if (total && l->first_tick == U64_MAX)
			l->first_tick = now;
		/* created after @now was read: it waits from @now on */
		if (l->created_tick > now)
			l->created_tick = now;
		/*
		 * A launch whose object is gone is reported once more, with
		 * the pages of its last tick, then retired; one that never
		 * faulted has nothing to report.
		 */
		if ((test_bit(SA_LAUNCH_GONE, &l->flags) &&
		     (!total || test_and_set_bit(SA_LAUNCH_LAST, &l->flags))) ||
		    (!total && now - l->created_tick > max_wait) ||
		    (total && now - l->first_tick >= SA_FORECAST_PROFILE_AGES)) {
			sa_launch_retire(group, l);
			continue;
		}
		out[nr++] = (struct sa_forecast_launch){
			.age = total ? (u32)(now - l->first_tick) : 0,
			.pages = (u32)min_t(u64, total - l->seen, U32_MAX),
			.total = total,
		};
		l->seen = total;
	}
	spin_unlock(&group->launch_lock);
	return nr;
}

/**
 * sa_launch_reset() - forget a group's launches
 * @group: the group being enabled; sa_registry_lock held
 *
 * While a group is disabled its faults are not counted and its ticks do
 * not run: the ages and totals of the launches it tracked would be wrong,
 * so enabling starts from an empty list. The objects stay marked: their
 * demand is background from now on.
 */
void sa_launch_reset(struct sa_group *group)
{
	struct sa_launch *l, *tmp;

	lockdep_assert_held(&sa_registry_lock);
	spin_lock(&group->launch_lock);
	list_for_each_entry_safe(l, tmp, &group->launches, node)
		sa_launch_retire(group, l);
	spin_unlock(&group->launch_lock);
}

/**
 * sa_launch_release_all() - drop a freed group's launch list
 * @group: the group, after the grace period that followed its unpublishing
 */
void sa_launch_release_all(struct sa_group *group)
{
	struct sa_launch *l, *tmp;

	list_for_each_entry_safe(l, tmp, &group->launches, node)
		sa_launch_retire(group, l);
}
