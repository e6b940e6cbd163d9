/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shadowalloc: internal declarations shared by the module's files.
 */
#ifndef _SHADOWALLOC_H
#define _SHADOWALLOC_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/shadowalloc.h>

#include "forecast.h"

#define SA_NAME "shadowalloc"

/* params.c: module parameters, validated on every write. */
extern unsigned int sa_max_groups;
extern unsigned int sa_max_vms_per_group;
extern unsigned int sa_default_max_staged_mb;
extern unsigned int sa_telemetry_ring_entries;
extern unsigned int sa_telemetry_drain_ms;
extern unsigned int sa_fill_rate_permille;

static inline bool sa_group_id_valid(u32 id)
{
	return id >= SHADOWALLOC_GROUP_ID_MIN && id <= SHADOWALLOC_GROUP_ID_MAX;
}

/* 4 KiB pages a KVM mapping at @level (1: 4 KiB, 2: 2 MiB, 3: 1 GiB) covers. */
static inline unsigned long sa_level_pages(unsigned int level)
{
	return 1UL << (9 * (level - 1));
}

/* Size classes of staged memory. */
enum sa_size_class {
	SA_CLASS_4K,
	SA_CLASS_2M,
	SA_NR_CLASSES,
};

extern const unsigned int sa_class_order[SA_NR_CLASSES];

/**
 * struct sa_pool_node - the part of a staging pool on one NUMA node
 * @lock: protects @folios, @backoff_shift and the writes of @nr_folios
 *	and @backoff_until (both also read without it). Taken by the refill
 *	worker per folio staged; by faults once per SA_PCP_BATCH 4 KiB folios
 *	(a per-CPU cache fill), per folio taken from this list or returned
 *	to it; by eviction (ageing, the shrinker, a lowered cap, stop), cache
 *	drains and the shrinker's back-off; and by sa_pool_stop() right after
 *	it clears &sa_pool.enabled, so that a return or cache fill that saw
 *	the pool enabled has finished. The innermost of the pool's locks:
 *	nested inside a per-CPU cache's &sa_pcp.lock (cache fills and drains,
 *	pool.c), otherwise taken with no other pool lock held. A spinlock
 *	because faults hold no sleeping lock; never taken from interrupts
 * @folios: per size class, staged folios of this node, oldest first
 *	(linked by ->lru); the per-CPU caches of the node's CPUs hold more
 * @nr_folios: per size class, length of @folios; read locklessly
 * @staged_pages: pages of this node staged now, @folios and the per-CPU
 *	caches of its CPUs together
 * @staged_huge_pages: part of @staged_pages in 2 MiB folios
 * @demand: pages the group's faults wanted on this node since the refill
 *	worker last folded it into @weight (sa_pool_note_demand())
 * @weight: recent demand, decayed every tick; refill worker only
 * @target: this node's share of the pool's target, set by the refill worker
 * @backoff_until: jiffies until which the refill leaves this node alone
 *	because the shrinker took staged pages from it
 * @backoff_shift: the back-off lasts one second shifted by this much
 */
struct sa_pool_node {
	spinlock_t lock;
	struct list_head folios[SA_NR_CLASSES];
	unsigned long nr_folios[SA_NR_CLASSES];
	atomic_long_t staged_pages;
	atomic_long_t staged_huge_pages;
	atomic_long_t demand;
	unsigned long weight;
	unsigned long target;
	unsigned long backoff_until;
	unsigned int backoff_shift;
};

/**
 * struct sa_pool - a group's staging pool of pre-zeroed folios
 * @nodes: per NUMA node (nr_node_ids entries, one for every possible node,
 *	each allocated on its node), the staged folios and their counts
 * @pcp: per-CPU caches of 4 KiB folios, each of its CPU's node (struct
 *	sa_pcp, private to pool.c, with its locks)
 * @staged_pages: pages staged now, all nodes, lists and per-CPU caches
 * @staged_huge_pages: part of @staged_pages in 2 MiB folios
 * @reserved_pages: outstanding reservation (STAGE_RESERVE); used up only by
 *	pages handed to VMs and by ageing, never by the shrinker or a cap
 *	(a cap below it is refused), so the refill re-stages what those took
 * @forecast_pages: the forecaster's demand over the horizon
 * @cap_pages: cap on @staged_pages
 * @max_age_ms: staged folios older than this are evicted
 * @zero_pages_per_sec: the refill's zeroing budget
 * @huge: stage 2 MiB folios (the operator's choice)
 * @forecast_huge: the where-predictor expects 2 MiB blocks to be used
 *	whole; with @huge, the refill stages 2 MiB folios only while set
 * @enabled: the group is enabled; the workers run only while set; written
 *	with every node's lock taken after it (see sa_pool_stop())
 * @zero_tokens: the zeroing budget's token bucket, in pages times
 *	NSEC_PER_SEC (may be negative: a 2 MiB folio borrows); refill worker
 *	only
 * @zero_stamp_ns: when @zero_tokens was last filled; refill worker only
 * @demand_stamp: jiffies up to which the nodes' @weight and
 *	@class_weight are decayed; refill worker only
 * @class_demand: per size class, pages of the group's first touches of
 *	that size since the refill worker last folded them into
 *	@class_weight (sa_pool_note_demand())
 * @class_weight: per size class, recent first-touch demand, decayed as
 *	the nodes' &sa_pool_node.weight; refill worker only
 * @staged_total: pages ever staged
 * @evicted_pages: pages evicted unused
 * @cap_evicted_pages: part of @evicted_pages released because the cap was
 *	lowered below the staged pages
 * @zeroed_pages: pages the refill worker allocated and zeroed
 * @refill_throttled: refill runs cut short by the zeroing budget
 * @refill_backoffs: refill runs cut short because memory was low
 * @refill_zero_ns: time the refill worker spent in the page allocator
 *	allocating and zeroing the folios it staged
 * @refill_cpu_ns: the refill worker's own CPU time across its runs
 *	(sum_exec_runtime deltas, pool_refill.c)
 * @refill_runs: the runs summed in @refill_cpu_ns
 * @aged_out_pages: part of @evicted_pages released by ageing
 * @shrinker_pages: part of @evicted_pages the shrinker took
 * @split_blocks: staged 2 MiB blocks split for 4 KiB faults that found no
 *	4 KiB page staged where their policy allows
 * @refill_work: stages folios up to the target; delayed while the budget
 *	or a back-off holds it
 * @age_work: evicts folios older than @max_age_ms
 */
struct sa_pool {
	struct sa_pool_node **nodes;
	struct sa_pcp __percpu *pcp;
	atomic_long_t staged_pages;
	atomic_long_t staged_huge_pages;
	atomic_long_t reserved_pages;
	unsigned long forecast_pages;
	unsigned long cap_pages;
	unsigned int max_age_ms;
	unsigned int zero_pages_per_sec;
	bool huge;
	bool forecast_huge;
	bool enabled;
	s64 zero_tokens;
	u64 zero_stamp_ns;
	unsigned long demand_stamp;
	atomic_long_t class_demand[SA_NR_CLASSES];
	unsigned long class_weight[SA_NR_CLASSES];
	atomic64_t staged_total;
	atomic64_t evicted_pages;
	atomic64_t cap_evicted_pages;
	atomic64_t zeroed_pages;
	atomic64_t refill_throttled;
	atomic64_t refill_backoffs;
	atomic64_t refill_zero_ns;
	atomic64_t refill_cpu_ns;
	atomic64_t refill_runs;
	atomic64_t aged_out_pages;
	atomic64_t shrinker_pages;
	atomic64_t split_blocks;
	struct delayed_work refill_work;
	struct delayed_work age_work;
};

/**
 * struct sa_fault_stats - per-CPU fault counters of a group
 * @hits: faults served from the pool
 * @hits_huge: hits served with a 2 MiB folio
 * @misses: faults that allocated and zeroed on the fault path
 * @miss_pages: pages those misses allocated (a miss may be 2 MiB)
 * @hit_ns: summed service time of hits
 * @miss_ns: summed service time of misses
 * @raced: first touches whose folio another fault's beat into the object
 * @discarded: pages VMs gave back by a hole punch or a shrinking ftruncate
 * @released: pages freed with a memory object that went away (its inode
 *	evicted: last mapping and file closed, or the file unlinked)
 * @events: telemetry events of the group's VMs while it was enabled
 * @events_dropped: part of @events dropped because a ring was full
 */
struct sa_fault_stats {
	u64 hits;
	u64 hits_huge;
	u64 misses;
	u64 miss_pages;
	u64 hit_ns;
	u64 miss_ns;
	u64 raced;
	u64 discarded;
	u64 released;
	u64 events;
	u64 events_dropped;
};

/*
 * The fault service-time histogram's layout (fault_hist.c, described to
 * userspace in struct shadowalloc_fault_hist): bucket 0 below 256 ns,
 * four linear buckets per power of two up to 2^30 ns (about 1.07 s), the
 * last bucket above.
 */
#define SA_HIST_FIRST_SHIFT	8
#define SA_HIST_SUB_SHIFT	2
#define SA_HIST_LAST_SHIFT	30
#define SA_HIST_BUCKETS		(2 + ((SA_HIST_LAST_SHIFT - \
				       SA_HIST_FIRST_SHIFT) << SA_HIST_SUB_SHIFT))

/**
 * struct sa_fault_hist - one CPU's fault service-time histogram of a group
 * @buckets: faults per class (enum shadowalloc_fault_class) and bucket;
 *	the fault path increments its own CPU's, GROUP_FAULT_HIST sums them
 * @sum_ns: service time summed per class, for the class's mean (and a
 *	Prometheus histogram's _sum)
 */
struct sa_fault_hist {
	u64 buckets[SHADOWALLOC_FAULT_CLASSES][SA_HIST_BUCKETS];
	u64 sum_ns[SHADOWALLOC_FAULT_CLASSES];
};

/* Telemetry aggregates (telemetry.c). */
#define SA_TELEMETRY_TICKS		64	/* ticks of history kept */
#define SA_TELEMETRY_SHOW_TICKS	16	/* ticks debugfs shows */
#define SA_TELEMETRY_REGION_SHIFT	27	/* 128 MiB histogram regions... */
#define SA_TELEMETRY_REGIONS		64	/* ...the last one takes the rest */

/**
 * struct sa_telemetry_event - a telemetry event in a ring
 * @ts_ns: ktime_get_coarse_ns() when it was recorded (a jiffy's precision)
 * @gpa: guest-physical address
 * @group_id: the VMM's group when it was recorded
 * @vm_pid: the VMM's process id in the initial pid namespace
 * @vcpu_id: the vCPU (FAULT events)
 * @kind: enum shadowalloc_bpf_kind
 * @level: KVM's mapping level (MAPPING events)
 */
struct sa_telemetry_event {
	u64 ts_ns;
	u64 gpa;
	u32 group_id;
	pid_t vm_pid;
	u32 vcpu_id;
	u8 kind;
	u8 level;
};

/**
 * struct sa_telemetry_agg - telemetry aggregates of a VM or of a group
 * @faults: nested page faults (kvm_page_fault; 0 unless attached with
 *	"shadowctl attach --faults")
 * @mappings: mappings KVM requested (kvm_mmu_spte_requested)
 * @mapped_bytes: bytes those mappings cover
 * @levels: mappings per level: 4 KiB, 2 MiB, 1 GiB
 * @late: events older than the tick window when they were drained
 * @last_tick: newest tick in @tick_faults / @tick_pages
 * @tick_faults: faults (as @faults) per tick, slot tick % SA_TELEMETRY_TICKS,
 *	for the SA_TELEMETRY_TICKS ticks up to @last_tick
 * @tick_pages: 4 KiB pages mapped per tick, same slots
 * @regions: mappings per SA_TELEMETRY_REGION_SHIFT-sized guest-physical
 *	region, by the mapping's base
 *
 * Written by the telemetry drain worker only, under sa_registry_lock.
 */
struct sa_telemetry_agg {
	u64 faults;
	u64 mappings;
	u64 mapped_bytes;
	u64 levels[3];
	u64 late;
	u64 last_tick;
	u32 tick_faults[SA_TELEMETRY_TICKS];
	u32 tick_pages[SA_TELEMETRY_TICKS];
	u64 regions[SA_TELEMETRY_REGIONS];
};

/* struct sa_group.density: the members' verdict on 2 MiB regions. */
enum sa_density {
	SA_DENSITY_UNKNOWN,	/* too few observations yet */
	SA_DENSITY_DENSE,	/* regions get filled: 2 MiB pays */
	SA_DENSITY_SPARSE,	/* a few pages per region: 4 KiB */
};

/**
 * struct sa_group - a trust group: VMs that may share one staging pool
 * @id: agent-chosen id, key in the group registry
 * @ref: references: one held by the registry while the group exists, one
 *	per user that must outlive an unpublish; the last put frees the group,
 *	always after an RCU grace period that follows its unpublishing, so
 *	lockless readers (faults, shrinker) never see it freed
 * @vms: member VMs (struct sa_vm.group_node); protected by sa_registry_lock
 * @nr_vms: length of @vms; protected by sa_registry_lock
 * @max_vms: member limit
 * @max_staged_bytes: cap on staged memory
 * @horizon_ms: prediction horizon; written under sa_registry_lock, read
 *	locklessly with READ_ONCE()
 * @enabled: shadowing on; written under sa_registry_lock, read locklessly
 *	with READ_ONCE()
 * @pool: the staging pool
 * @density: SA_DENSITY_*: how the where-predictors see the members use
 *	2 MiB regions, for the fault path's 2 MiB rule (mem.c); written by
 *	the forecast tick, read locklessly
 * @stats: per-CPU fault counters, summed by GET_STATS
 * @fault_hist: per-CPU fault service-time histogram (fault_hist.c), summed
 *	by GROUP_FAULT_HIST; allocated and freed with the group
 * @telemetry: telemetry aggregates of all members; under sa_registry_lock
 * @demand: the group's demand model, fed every tick with the pages its VMs
 *	first-touched; under sa_registry_lock
 * @launch_lock: protects @launches and @nr_launches: the fault path adds
 *	to them (once per memory object), the forecast tick reads and
 *	retires; a spinlock, held for a list operation or one pass over at
 *	most SA_FORECAST_LAUNCHES_MAX entries
 * @launches: the launches being tracked (struct sa_launch, launch.c)
 * @nr_launches: length of @launches
 * @forecast_handed: pages handed to VMs up to the last forecast tick
 * @forecast_tick: the last forecast tick
 * @held_page_ticks: sum over forecast ticks of the pages staged then
 * @held_ticks: the ticks summed in @held_page_ticks
 * @recorder: the open recording of this group's first touches, if any;
 *	written under sa_registry_lock, read by faults under RCU (record.c)
 * @free_rwork: frees the group after an RCU grace period
 */
struct sa_group {
	u32 id;
	struct kref ref;
	struct list_head vms;
	unsigned int nr_vms;
	unsigned int max_vms;
	u64 max_staged_bytes;
	u32 horizon_ms;
	bool enabled;
	u8 density;
	struct sa_pool pool;
	struct sa_fault_stats __percpu *stats;
	struct sa_fault_hist __percpu *fault_hist;
	struct sa_telemetry_agg telemetry;
	struct sa_forecast_model demand;
	spinlock_t launch_lock;
	struct list_head launches;
	unsigned int nr_launches;
	u64 forecast_handed;
	u64 forecast_tick;
	u64 held_page_ticks;
	u64 held_ticks;
	struct sa_recorder __rcu *recorder;
	struct rcu_work free_rwork;
};

/**
 * struct sa_vm - a VM: the VMM process whose mappings belong to a group
 * @hnode: entry in the VM hash, keyed by @pid; RCU-safe
 * @group_node: entry in @group->vms
 * @pid: the VMM's thread-group pid; a reference is held, so a recycled pid
 *	number is a different struct pid and never inherits the membership
 * @pid_nr: @pid's number in the initial pid namespace, as telemetry
 *	events carry it
 * @group: the group; the VM holds no group reference, a group with members
 *	cannot be destroyed
 * @telemetry: telemetry aggregates of this VM; under sa_registry_lock
 * @where: how densely this VM fills 2 MiB guest-physical regions; under
 *	sa_registry_lock
 * @rcu: for the deferred free in sa_vm_free_rcu()
 */
struct sa_vm {
	struct hlist_node hnode;
	struct list_head group_node;
	struct pid *pid;
	pid_t pid_nr;
	struct sa_group *group;
	struct sa_telemetry_agg telemetry;
	struct sa_forecast_where where;
	struct rcu_head rcu;
};

/* launch.c: memory objects as launches of their group. */
struct sa_launch;
struct sa_launch *sa_launch_new(void);
void sa_launch_gone(struct sa_launch *l);
void sa_launch_created(struct sa_group *group, struct sa_launch *l);
void sa_launch_account(struct sa_group *group, struct sa_launch *l, long pages);
u32 sa_launch_collect(struct sa_group *group, u64 now, u64 max_wait,
		      struct sa_forecast_launch *out);
void sa_launch_reset(struct sa_group *group);
void sa_launch_release_all(struct sa_group *group);

/* group.c: the registry of groups and VMs. */
int sa_registry_init(void);
void sa_registry_exit(void);
int sa_group_create(const struct shadowalloc_group_create *arg);
int sa_group_destroy(u32 id);
int sa_group_add_vm(const struct shadowalloc_group_vm *arg);
int sa_group_remove_vm(const struct shadowalloc_group_vm *arg);
int sa_group_set_enabled(u32 id, bool enable);
int sa_group_set_horizon(u32 id, u32 horizon_ms);
int sa_group_get_stats(u32 id, bool privileged, struct shadowalloc_stats *st);
bool sa_current_in_group(u32 id);

int sa_group_stage_reserve(u32 id, u64 pages);
int sa_group_pool_config(const struct shadowalloc_pool_config *arg);
int sa_group_model_export(u32 id, void *blob);
int sa_group_model_import(u32 id, const struct sa_forecast_model *model);
int sa_group_record(u32 id);
void sa_group_record_closed(struct sa_recorder *rec, u32 id);
struct sa_group *sa_group_of_vmm_rcu(struct pid *pid);
struct sa_group *sa_group_find_rcu(u32 id);

/* pool*.c: staging pools (their internal interface is pool.h). */
/* pool.c: the lists and caches, take and return, settings, lifecycle. */
extern atomic_long_t sa_staged_pages_global;
int sa_pool_init(struct sa_pool *pool, u64 cap_bytes);
void sa_pool_destroy(struct sa_pool *pool);
void sa_pool_start(struct sa_pool *pool);
void sa_pool_stop(struct sa_pool *pool);
void sa_pool_reserve(struct sa_pool *pool, unsigned long pages);
void sa_pool_set_cap(struct sa_pool *pool, unsigned long cap_pages);
unsigned int sa_pool_cpu_cached(struct sa_pool *pool, int cpu);
struct folio *sa_pool_take(struct sa_pool *pool, enum sa_size_class class,
			   int nid, const nodemask_t *nodes);
void sa_pool_return(struct sa_pool *pool, enum sa_size_class class,
		    struct folio *folio);
/* pool_refill.c: the refill worker. */
void sa_pool_kick(struct sa_pool *pool);
unsigned long sa_pool_target(struct sa_pool *pool);
/* pool_split.c: the split by demand among nodes and size classes. */
void sa_pool_note_demand(struct sa_pool *pool, int nid,
			 enum sa_size_class class);
/* pool_budget.c: the zeroing budget. */
void sa_pool_set_zero_budget(struct sa_pool *pool, unsigned int pages_per_sec);
/* pool_pressure.c: yielding to memory pressure. */
unsigned long sa_pool_shrink_node(struct sa_pool *pool, int nid,
				  unsigned long nr_pages);
/* pool_age.c: ageing. */
void sa_pool_set_max_age(struct sa_pool *pool, unsigned int max_age_ms);
/* pool_hotplug.c: CPU hotplug. */
int sa_pool_hotplug_init(void);
void sa_pool_hotplug_exit(void);

/* mem.c: guest memory objects behind mmap of the device. */
/**
 * struct sa_mem_limit - bounds on a set of memory objects (a shadowallocfs
 *	mount's size= and nr_inodes=)
 * @max_pages: pages all objects may hold together
 * @pages: pages they hold, charged as a first touch inserts a folio
 * @max_objects: objects at most
 * @objects: objects now, counted by their creator and their eviction
 */
struct sa_mem_limit {
	unsigned long max_pages;
	atomic_long_t pages;
	unsigned long max_objects;
	atomic_long_t objects;
};

extern atomic_long_t sa_mem_pages_global;
DECLARE_PER_CPU(u64, sa_plain_faults);

/* fault_hist.c: the fault service-time histogram. */
int sa_fault_hist_alloc(struct sa_group *group);
void sa_fault_hist_free(struct sa_group *group);
void sa_fault_hist_account(struct sa_group *group, bool hit, bool huge,
			   u64 ns);
int sa_group_fault_hist(struct shadowalloc_fault_hist *arg, bool privileged,
			void __user *ubuckets);
struct seq_file;
void sa_fault_hist_show(struct seq_file *m, struct sa_group *group);
int sa_mem_init(void);
void sa_mem_exit(void);
int sa_mem_attach(struct inode *inode, struct sa_mem_limit *limit,
		  u32 group_id);
void sa_mem_evict_inode(struct inode *inode);
void sa_mem_punch_hole(struct inode *inode, loff_t start, loff_t len);
void sa_mem_set_size(struct inode *inode, loff_t size);
int sa_mem_open(struct file *file);
void sa_mem_release(struct file *file);
int sa_mem_mmap(struct file *file, struct vm_area_struct *vma);
int sa_mem_bind(struct file *file, struct shadowalloc_mem_bind *arg);
void sa_mem_binding(struct file *file, struct shadowalloc_mem_bind *arg);
/* sa_mem_bind_mapped()'s @from_id for objects bound anywhere or nowhere. */
#define SA_MEM_ANY_GROUP	U32_MAX
void sa_mem_bind_mapped(struct pid *pid, u32 from_id, u32 to_id);
long sa_mem_file_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* fs.c: shadowallocfs, guest memory as regular files. */
int sa_fs_init(void);
void sa_fs_exit(void);

/* shrinker.c: yield staged memory under pressure. */
int sa_shrinker_init(void);
void sa_shrinker_exit(void);

/* telemetry.c: events from BPF, aggregated. */
struct shadowalloc_bpf_event;
int shadowalloc_bpf_record(struct shadowalloc_bpf_event *event);
int sa_telemetry_init(void);
void sa_telemetry_exit(void);
u64 sa_telemetry_now_tick(void);
void sa_telemetry_agg_advance(struct sa_telemetry_agg *agg, u64 tick);
void sa_telemetry_agg_add(struct sa_telemetry_agg *agg,
			  const struct sa_telemetry_event *event);

/**
 * struct sa_telemetry_ring_totals - the rings' counters, for debugfs
 * @entries: slots per ring
 * @drained: events the drain took
 * @dropped: events dropped because a ring was full
 * @queued: events waiting in the rings
 * @verdict_hits: kfunc calls whose membership came from a CPU's cache
 * @verdict_misses: kfunc calls that looked the VMM up
 */
struct sa_telemetry_ring_totals {
	unsigned long entries;
	u64 drained;
	u64 dropped;
	u64 queued;
	u64 verdict_hits;
	u64 verdict_misses;
};

void sa_telemetry_ring_totals(struct sa_telemetry_ring_totals *t);
void sa_telemetry_membership_changed(void);

/* record.c: recordings of a group's first-touch faults. */
struct sa_recorder;
int sa_recorder_open(struct sa_group *group);
void sa_recorder_fault(struct sa_group *group, u64 t_ns, u64 offset,
		       u32 size, struct pid *owner);
void sa_recorder_orphan(struct sa_recorder *rec);

/* debugfs.c: /sys/kernel/debug/shadowalloc. */
void sa_debugfs_init(void);
void sa_debugfs_exit(void);

/* dev.c: the misc device. */
int sa_dev_init(void);
void sa_dev_exit(void);

#endif /* _SHADOWALLOC_H */
