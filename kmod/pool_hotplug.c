// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: CPU hotplug for the staging pools.
 *
 * A per-CPU cache (pool.c) is filled only by its own CPU's faults; once a
 * CPU is dead nothing would ever take the folios left in its caches, and
 * they would wait there, invisible to other CPUs' faults, until ageing or
 * a shrink drained them. So every group's cache of a dead CPU goes back
 * to its node's list at once.
 */
#include <linux/cpuhotplug.h>
#include <linux/rcupdate.h>

#include "pool.h"
#include "registry.h"

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
