/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shadowalloc: the registry's internal interface, for the files that walk
 * groups and VMs under the registry lock: the forecast driver
 * (forecast_tick.c), the telemetry fan-out (telemetry.c), GET_STATS
 * (stats.c) and debugfs (debugfs.c). Management calls go through the
 * sa_group_*() functions of shadowalloc.h instead.
 *
 * Locks of the module, outermost first; no lock is taken in the other
 * direction:
 *
 *	sa_registry_lock (mutex, group.c)
 *	  struct sa_pcp.llock (local lock, pool.c; its own CPU's faults only)
 *	    struct sa_pcp.lock (spinlock, pool.c; drains take it alone)
 *	      struct sa_pool_node.lock (spinlock, shadowalloc.h)
 *
 * struct sa_recorder.read_lock (mutex, record.c) serialises a recording's
 * readers and is taken alone.
 *
 * The pool's workers (refill in pool_refill.c, ageing in pool_age.c) never
 * take sa_registry_lock, so sa_pool_stop() may wait for them while holding
 * it. The workers that do take it (the reaper, the forecast tick, the
 * telemetry drain) are cancelled without it.
 */
#ifndef _SHADOWALLOC_REGISTRY_H
#define _SHADOWALLOC_REGISTRY_H

#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/xarray.h>

#include "shadowalloc.h"

/*
 * sa_registry_lock serialises every change to the set of groups
 * (sa_groups), to membership (the VM hash, sa_group.vms and .nr_vms), to a
 * group's settings, and every access to the state the slow paths share:
 * the telemetry aggregates (sa_group.telemetry, sa_vm.telemetry), the demand
 * models and where-predictors (sa_group.demand, sa_vm.demand, sa_vm.where),
 * the forecast tick's bookkeeping, and the writes of sa_group.recorder
 * (faults read it under RCU).
 *
 * Taken by the management ioctls, the reaper, the forecast tick, the
 * telemetry drain worker and debugfs readers: all in process context. A
 * mutex because its holders sleep (allocations, pid lookups, stopping a
 * pool's workers); never taken on a fault path nor by the shrinker, which
 * read groups and VMs under RCU.
 */
extern struct mutex sa_registry_lock;

/*
 * id -> struct sa_group. Written under sa_registry_lock; lockless readers
 * use xa_load() or xa_for_each() under rcu_read_lock(), groups are freed
 * only after a grace period.
 */
extern struct xarray sa_groups;

/* Every group, in id order; the caller holds sa_registry_lock or RCU. */
#define sa_for_each_group(id, group)	xa_for_each(&sa_groups, id, group)

/* A group's horizon in forecast ticks, at least one. */
static inline u32 sa_group_horizon_ticks(struct sa_group *group)
{
	return max_t(u32, READ_ONCE(group->horizon_ms) / SHADOWALLOC_TICK_MS,
		     1);
}

struct sa_group *sa_group_find_locked(u32 id);
struct sa_group *sa_registry_lock_group(u32 id);
struct sa_vm *sa_group_find_vm_nr(struct sa_group *group, pid_t nr);

/* stats.c: GET_STATS arithmetic. */
void sa_group_sum_stats(struct sa_group *group, struct sa_fault_stats *sum);
u64 sa_group_handed_pages(struct sa_group *group);
void sa_group_fill_stats(struct sa_group *group, struct shadowalloc_stats *st);

/* forecast_tick.c: the forecast driver. */
void sa_forecast_start(struct sa_group *group);
void sa_forecast_exit(void);

#endif /* _SHADOWALLOC_REGISTRY_H */
