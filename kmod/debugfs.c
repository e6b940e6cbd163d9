// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: everything the module shows in /sys/kernel/debug/shadowalloc.
 *
 *	pages		what the module holds, for leak checks in tests and by
 *			operators
 *	telemetry	the telemetry rings, then per group and per VM its
 *			aggregates, its demand model's forecast and (groups)
 *			the pool's target or (VMs) the where-predictor
 *	pools		per group its pool: totals, budget, blocks split and
 *			recent demand by size, then per node with memory its
 *			staged pages, share of the target, recent demand and
 *			back-off, then per CPU with a non-empty cache the
 *			folios cached there
 *	fault_hist	per group and fault class (4k_hit, 4k_miss, 2m_hit,
 *			2m_miss) its count and sum_ns, then LOWER_NS:COUNT for every
 *			non-empty bucket of its service-time histogram
 *
 * Lines are "prefix key value key value ..."; tests and tools parse them
 * by key, so a key keeps its name. Only aggregates: no guest address is
 * shown.
 */
#include <linux/debugfs.h>
#include <linux/jiffies.h>
#include <linux/nodemask.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>

#include "registry.h"

static struct dentry *sa_debugfs_dir;

static int sa_debugfs_pages_show(struct seq_file *m, void *v)
{
	u64 plain = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		plain += per_cpu(sa_plain_faults, cpu);
	seq_printf(m, "staged_pages %ld\n",
		   atomic_long_read(&sa_staged_pages_global));
	seq_printf(m, "mem_pages %ld\n",
		   atomic_long_read(&sa_mem_pages_global));
	seq_printf(m, "plain_faults %llu\n", plain);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sa_debugfs_pages);

static void sa_debugfs_show_rings(struct seq_file *m)
{
	struct sa_telemetry_ring_totals t;

	sa_telemetry_ring_totals(&t);
	seq_printf(m, "rings entries %lu drained %llu dropped %llu queued %llu verdict_hits %llu verdict_misses %llu\n",
		   t.entries, t.drained, t.dropped, t.queued, t.verdict_hits,
		   t.verdict_misses);
}

/*
 * An aggregate, already advanced to the current tick, on three lines:
 * totals; "ticks" with the last SA_TELEMETRY_SHOW_TICKS ticks' faults,
 * oldest first; "regions" with the non-empty 128 MiB regions as
 * index:faults.
 */
static void sa_debugfs_show_agg(struct seq_file *m, const char *who,
				const struct sa_telemetry_agg *agg)
{
	unsigned int i;
	u64 t;

	seq_printf(m, "%s faults %llu mappings %llu mapped_bytes %llu level_4k %llu level_2m %llu level_1g %llu late %llu\n",
		   who, agg->faults, agg->mappings, agg->mapped_bytes,
		   agg->levels[0], agg->levels[1], agg->levels[2], agg->late);
	seq_printf(m, "%s ticks", who);
	for (i = SA_TELEMETRY_SHOW_TICKS; i-- > 0; ) {
		t = agg->last_tick - i;
		seq_printf(m, " %u", t <= agg->last_tick ?
			   agg->tick_faults[t % SA_TELEMETRY_TICKS] : 0);
	}
	seq_printf(m, "\n%s regions", who);
	for (i = 0; i < SA_TELEMETRY_REGIONS; i++)
		if (agg->regions[i])
			seq_printf(m, " %u:%llu", i, agg->regions[i]);
	seq_putc(m, '\n');
}

/*
 * The group model's forecast, stock, experts, profile and errors on one
 * line. The launches of the last tick are not kept, and the refill budget
 * is left out: "background" and "target" here are the background's
 * forecast and that plus the stock at an unlimited refill, not the pool's
 * target (which "pool target" shows).
 */
static void sa_debugfs_show_model(struct seq_file *m, const char *who,
				  const struct sa_forecast_model *model,
				  u32 horizon)
{
	u32 fill = READ_ONCE(sa_fill_rate_permille);

	seq_printf(m, "%s forecast background %llu stock %llu target %llu expert %s period %u best %u launches %llu profile_ticks %u windows %llu err_permille %u naive_err_permille %u last_abs_err %llu\n",
		   who, sa_forecast_demand(model, NULL, 0, horizon),
		   sa_forecast_stock(model, fill),
		   sa_forecast_target(model, NULL, 0, horizon, ~0ULL, fill),
		   model->expert == SA_FORECAST_EXPERT_SEASONAL ? "seasonal" :
		   "holt", model->period.lag, model->best,
		   model->profile.launches, model->profile.ages,
		   model->nr_windows, sa_forecast_error_permille(model),
		   sa_forecast_naive_error_permille(model),
		   model->last_abs_err);
}

static void sa_debugfs_show_vm(struct seq_file *m, struct sa_vm *vm, u64 now)
{
	char who[48];

	snprintf(who, sizeof(who), "vm %u %d", vm->group->id, vm->pid_nr);
	sa_telemetry_agg_advance(&vm->telemetry, now);
	sa_debugfs_show_agg(m, who, &vm->telemetry);
	seq_printf(m, "%s where regions %u huge %d\n", who,
		   vm->where.nr_regions, sa_forecast_where_huge(&vm->where));
}

static void sa_debugfs_show_group(struct seq_file *m, struct sa_group *group,
				  u64 now)
{
	u32 horizon = sa_group_horizon_ticks(group);
	struct sa_vm *vm;
	char who[48];

	snprintf(who, sizeof(who), "group %u", group->id);
	sa_telemetry_agg_advance(&group->telemetry, now);
	sa_debugfs_show_agg(m, who, &group->telemetry);
	sa_debugfs_show_model(m, who, &group->demand, horizon);
	seq_printf(m, "%s pool target %lu forecast %lu huge %d\n", who,
		   sa_pool_target(&group->pool),
		   READ_ONCE(group->pool.forecast_pages),
		   READ_ONCE(group->pool.forecast_huge));
	list_for_each_entry(vm, &group->vms, group_node)
		sa_debugfs_show_vm(m, vm, now);
}

static int sa_debugfs_telemetry_show(struct seq_file *m, void *v)
{
	u64 now = sa_telemetry_now_tick();
	struct sa_group *group;
	unsigned long id;

	sa_debugfs_show_rings(m);
	/* Advancing the aggregates writes them: the registry lock's job. */
	mutex_lock(&sa_registry_lock);
	sa_for_each_group(id, group)
		sa_debugfs_show_group(m, group, now);
	mutex_unlock(&sa_registry_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sa_debugfs_telemetry);

/* A group's pool: one line, one per node with memory, one per busy cache. */
static void sa_debugfs_show_pool(struct seq_file *m, struct sa_group *group)
{
	struct sa_pool *pool = &group->pool;
	unsigned long now = jiffies, until;
	struct sa_pool_node *node;
	unsigned int cached;
	int nid, cpu;

	seq_printf(m, "group %u pool staged %ld staged_huge %ld target %lu zeroed %lld throttled %lld backoffs %lld zero_pages_per_sec %u split_blocks %lld demand_4k %lu demand_2m %lu\n",
		   group->id, atomic_long_read(&pool->staged_pages),
		   atomic_long_read(&pool->staged_huge_pages),
		   sa_pool_target(pool),
		   (s64)atomic64_read(&pool->zeroed_pages),
		   (s64)atomic64_read(&pool->refill_throttled),
		   (s64)atomic64_read(&pool->refill_backoffs),
		   READ_ONCE(pool->zero_pages_per_sec),
		   (s64)atomic64_read(&pool->split_blocks),
		   READ_ONCE(pool->class_weight[SA_CLASS_4K]),
		   READ_ONCE(pool->class_weight[SA_CLASS_2M]));
	for_each_node_state(nid, N_MEMORY) {
		node = pool->nodes[nid];
		until = READ_ONCE(node->backoff_until);
		seq_printf(m, "group %u node %d staged %ld staged_huge %ld listed_4k %lu listed_2m %lu target %lu demand %lu backoff_ms %u\n",
			   group->id, nid,
			   atomic_long_read(&node->staged_pages),
			   atomic_long_read(&node->staged_huge_pages),
			   READ_ONCE(node->nr_folios[SA_CLASS_4K]),
			   READ_ONCE(node->nr_folios[SA_CLASS_2M]),
			   READ_ONCE(node->target), READ_ONCE(node->weight),
			   time_before(now, until) ?
			   jiffies_to_msecs(until - now) : 0);
	}
	for_each_possible_cpu(cpu) {
		cached = sa_pool_cpu_cached(pool, cpu);
		if (cached)
			seq_printf(m, "group %u cpu %d node %d cached %u\n",
				   group->id, cpu, cpu_to_node(cpu), cached);
	}
}

static int sa_debugfs_pools_show(struct seq_file *m, void *v)
{
	struct sa_group *group;
	unsigned long id;

	mutex_lock(&sa_registry_lock);
	sa_for_each_group(id, group)
		sa_debugfs_show_pool(m, group);
	mutex_unlock(&sa_registry_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sa_debugfs_pools);

/* Each group's fault service-time histogram (fault_hist.c). */
static int sa_debugfs_fault_hist_show(struct seq_file *m, void *v)
{
	struct sa_group *group;
	unsigned long id;

	mutex_lock(&sa_registry_lock);
	sa_for_each_group(id, group)
		sa_fault_hist_show(m, group);
	mutex_unlock(&sa_registry_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sa_debugfs_fault_hist);

/**
 * sa_debugfs_init() - create /sys/kernel/debug/shadowalloc and its files
 *
 * Nothing depends on debugfs: errors are ignored, as debugfs wants.
 */
void sa_debugfs_init(void)
{
	sa_debugfs_dir = debugfs_create_dir(SA_NAME, NULL);
	debugfs_create_file("pages", 0400, sa_debugfs_dir, NULL,
			    &sa_debugfs_pages_fops);
	debugfs_create_file("telemetry", 0400, sa_debugfs_dir, NULL,
			    &sa_debugfs_telemetry_fops);
	debugfs_create_file("pools", 0400, sa_debugfs_dir, NULL,
			    &sa_debugfs_pools_fops);
	debugfs_create_file("fault_hist", 0400, sa_debugfs_dir, NULL,
			    &sa_debugfs_fault_hist_fops);
}

/**
 * sa_debugfs_exit() - remove them; waits for open readers' calls to end
 */
void sa_debugfs_exit(void)
{
	debugfs_remove(sa_debugfs_dir);
}
