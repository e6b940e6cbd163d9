// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: telemetry from BPF programs on KVM's fault tracepoints.
 *
 * BPF programs attached to kvm:kvm_page_fault and kvmmmu:kvm_mmu_spte_requested
 * (tools/shadowctl/telemetry.bpf.c) call the kfunc shadowalloc_bpf_record() from the
 * vCPU thread that took the fault. The kfunc decides membership (the VMM's
 * group, enabled or not) and pushes the event into a ring of the current
 * CPU. A worker drains the rings every tm_drain_ms while events arrive
 * (sooner while they arrive fast: sa_telemetry_next_delay()) and
 * fans them out into per-VM and per-group aggregates (the groups and VMs of
 * group.c hold them, the arithmetic is here): faults per tick, mapped
 * bytes, KVM's mapping level mix and a coarse histogram of guest-physical
 * regions. That is the input of the forecaster.
 *
 * The rings are single-producer, single-consumer. The producer of a CPU's
 * ring is whichever task runs the kfunc there with preemption disabled:
 * only task context (the vCPU threads, where KVM's fault tracepoints fire)
 * pushes, so nothing else on the CPU can interleave with a push; a caller
 * in interrupt or NMI context (a tracing program may be attached anywhere)
 * is decided without the cache and dropped without the ring. No interrupt
 * is disabled and no full barrier is taken per event: the head is published
 * with a release store, and the drain worker's disarm waits for an RCU
 * grace period instead of pairing with a barrier in every push (see
 * sa_telemetry_armed). The consumer is one work item. A full ring drops the
 * event and counts it; a vCPU thread never waits for the consumer.
 *
 * Membership is decided without a hash lookup on most events: each CPU
 * remembers the verdict for the last VMM (thread-group pid) it saw, valid
 * while the membership generation it was taken at is current. Every change
 * of who is in which group bumps the generation (group.c calls
 * sa_telemetry_membership_changed()), so a VM joining, leaving or moving is
 * seen from the next event on; a miss costs the one lookup it always cost.
 */
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/irq_work.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>
#include "telemetry.bpf.h"

#include "registry.h"

/* Events the worker moves from one ring per pass before yielding. */
#define SA_TELEMETRY_BATCH	256

/**
 * struct sa_telemetry_ring - one CPU's ring of telemetry events
 * @events: sa_telemetry_ring_entries slots, allocated on the CPU's node
 * @head: next slot to fill; written only by the kfunc on this CPU, in task
 *	context with preemption disabled, published with a release store
 * @tail: next slot to drain; written only by the drain worker, published
 *	with a release store once the slots are read
 * @drained: events the worker took from this ring
 * @dropped: events dropped because the ring was full (written by the
 *	producer, like @head)
 */
struct sa_telemetry_ring {
	struct sa_telemetry_event *events;
	unsigned long head;
	unsigned long tail;
	u64 drained;
	u64 dropped;
};

static struct sa_telemetry_ring __percpu *sa_telemetry_rings;
static unsigned long sa_telemetry_mask;

/*
 * Bit 0 set: the drain worker is queued or running and will look at every
 * ring again. Producers queue it (through an irq_work, as they may run with
 * locks held that the workqueue takes) only when the bit was clear, so a
 * busy ring costs them one test_bit() and no barrier.
 *
 * Ordering rule: a producer pushes and tests the bit inside one RCU
 * read-side critical section (rcu_read_lock() plus preemption disabled).
 * The worker, to go idle, clears the bit, then waits for a grace period
 * (synchronize_rcu()), then looks at the rings once more. A push whose
 * section began before the grace period is complete when it ends, so the
 * worker's last look sees its head; a section that began after sees the
 * bit clear and queues the worker itself. No event is left in a ring with
 * no drain coming, without a full barrier on the producer's side.
 */
static unsigned long sa_telemetry_armed;
static struct irq_work sa_telemetry_kick;
/*
 * Queued by the producer whose push made its ring a quarter full: the
 * drain runs now instead of after its pause, so a burst from idle (or a
 * rate the pause did not foresee) is drained before the ring is full.
 */
static struct irq_work sa_telemetry_hurry;
static void sa_telemetry_drain_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(sa_telemetry_drain_work, sa_telemetry_drain_fn);

static struct sa_telemetry_ring *sa_telemetry_cpu_ring(int cpu)
{
	return per_cpu_ptr(sa_telemetry_rings, cpu);
}

/* The drain worker's batch buffer; only the (non-reentrant) worker uses it. */
static struct sa_telemetry_event *sa_telemetry_batch;

static unsigned long sa_telemetry_drain_delay(void)
{
	return msecs_to_jiffies(READ_ONCE(sa_telemetry_drain_ms));
}

static void sa_telemetry_kick_fn(struct irq_work *work)
{
	queue_delayed_work(system_unbound_wq, &sa_telemetry_drain_work,
			   sa_telemetry_drain_delay());
}

static void sa_telemetry_hurry_fn(struct irq_work *work)
{
	mod_delayed_work(system_unbound_wq, &sa_telemetry_drain_work, 0);
}

/*
 * The guest-physical address an event stands for. A mapping's is its base:
 * kvm_mmu_spte_requested reports the faulting gfn (fault->gfn, any 4 KiB
 * page inside the block) with the level KVM maps at (fault->goal_level,
 * after kvm_mmu_hugepage_adjust()), and a 2 MiB or 1 GiB mapping covers
 * the aligned block around it. A fault's address is the faulting one.
 */
static u64 sa_telemetry_gpa(const struct shadowalloc_bpf_event *event)
{
	if (event->kind != SHADOWALLOC_BPF_MAPPING)
		return event->gpa;
	return event->gpa &
	       ~(((u64)sa_level_pages(event->level) << PAGE_SHIFT) - 1);
}

/*
 * The membership generation. Written under sa_registry_lock (release, after
 * the change it announces), read by the kfunc (acquire, before its lookup).
 * Starts at 1: a verdict cache entry with generation 0 is empty.
 */
static unsigned long sa_telemetry_gen = 1;

/**
 * struct sa_telemetry_verdict - one CPU's cached membership verdict
 * @gen: sa_telemetry_gen when @group was looked up; 0: empty
 * @tgid: the VMM (thread-group pid) the verdict is for; only compared,
 *	never dereferenced (a stale one may have been freed)
 * @group: @tgid's group, NULL if none; valid while @gen is current, since
 *	a group is freed only after its members left (each bumping the
 *	generation) and an RCU grace period, and the kfunc holds
 *	rcu_read_lock()
 * @hits: events decided from the cache
 * @misses: events that needed the lookup
 *
 * Read and written only by the kfunc on its CPU, in task context with
 * preemption disabled (interrupt and NMI context never touch it), so an
 * entry is never seen half written.
 */
struct sa_telemetry_verdict {
	unsigned long gen;
	struct pid *tgid;
	struct sa_group *group;
	u64 hits;
	u64 misses;
};

static DEFINE_PER_CPU(struct sa_telemetry_verdict, sa_telemetry_verdicts);

/**
 * sa_telemetry_membership_changed() - invalidate the cached verdicts
 *
 * For group.c, under sa_registry_lock, after every change of which VMM is
 * a member of which group (ADD_VM, REMOVE_VM, an exited VMM pruned, a group
 * destroyed): the next event of any VMM on any CPU looks its group up again.
 */
void sa_telemetry_membership_changed(void)
{
	lockdep_assert_held(&sa_registry_lock);
	/* Pairs with the kfunc's acquire: the change is visible first. */
	smp_store_release(&sa_telemetry_gen, sa_telemetry_gen + 1);
}

/*
 * The calling VMM's group, NULL if none: from this CPU's cache, or looked
 * up once and cached. Task context, preemption off; the caller holds
 * rcu_read_lock().
 */
static struct sa_group *sa_telemetry_group_of_current(void)
{
	struct sa_telemetry_verdict *v = this_cpu_ptr(&sa_telemetry_verdicts);
	/* Pairs with the release in sa_telemetry_membership_changed(). */
	unsigned long gen = smp_load_acquire(&sa_telemetry_gen);
	struct pid *tgid = task_tgid(current);

	if (v->gen == gen && v->tgid == tgid) {
		v->hits++;
		return v->group;
	}
	v->misses++;
	v->group = sa_group_of_vmm_rcu(tgid);
	v->tgid = tgid;
	/*
	 * The generation read before the lookup: a change racing with it
	 * makes the next event look again rather than trust this one.
	 */
	v->gen = gen;
	return v->group;
}

/*
 * Push one event into the current CPU's ring; false if it was full.
 * Task context, preemption off: the CPU's only producer.
 */
static bool sa_telemetry_push(const struct shadowalloc_bpf_event *event,
			      u32 group_id)
{
	struct sa_telemetry_ring *ring = this_cpu_ptr(sa_telemetry_rings);
	struct sa_telemetry_event *slot;
	unsigned long head = ring->head;

	/* Pairs with the drain's release of @tail: its reads are done. */
	unsigned long used = head - smp_load_acquire(&ring->tail);

	if (used > sa_telemetry_mask) {
		ring->dropped++;
		return false;
	}
	/* Once per filling: a no-op while the irq_work is still pending. */
	if (unlikely(used == (sa_telemetry_mask + 1) / 4))
		irq_work_queue(&sa_telemetry_hurry);
	slot = &ring->events[head & sa_telemetry_mask];
	/*
	 * The aggregates want the 100 ms tick only: the coarse clock (the
	 * last timer tick's time, no clocksource read) is good to a jiffy.
	 */
	slot->ts_ns = ktime_get_coarse_ns();
	slot->gpa = sa_telemetry_gpa(event);
	slot->group_id = group_id;
	slot->vm_pid = task_tgid_nr(current);
	slot->vcpu_id = event->vcpu_id;
	slot->kind = event->kind;
	slot->level = event->level;
	/* Pairs with the drain's acquire of @head. */
	smp_store_release(&ring->head, head + 1);
	return true;
}

/*
 * After a push, in the same RCU read-side section: make sure the drain
 * worker will run. No barrier: the worker's grace period before its last
 * look orders this (sa_telemetry_armed).
 */
static void sa_telemetry_arm(void)
{
	if (!test_bit(0, &sa_telemetry_armed) &&
	    !test_and_set_bit(0, &sa_telemetry_armed))
		irq_work_queue(&sa_telemetry_kick);
}

__bpf_kfunc_start_defs();

/**
 * shadowalloc_bpf_record() - hand one KVM fault event to shadowalloc
 * @event: the event; @event->group_id is written
 *
 * For BPF tracing programs on KVM's fault tracepoints, which run in the
 * vCPU thread that took the fault: the caller's process is the VMM. Never
 * sleeps, never waits.
 *
 * Membership comes from this CPU's cached verdict while no membership
 * changed since it was taken, else from one lookup by the caller's tgid.
 *
 * Return: SHADOWALLOC_BPF_PASSED (in the ring), SHADOWALLOC_BPF_FILTERED
 * (the VMM is in no group, or its group is disabled),
 * SHADOWALLOC_BPF_DROPPED (the ring was full), or -EINVAL for an unknown
 * kind, a level out of range or non-zero reserved fields.
 */
__bpf_kfunc int shadowalloc_bpf_record(struct shadowalloc_bpf_event *event)
{
	struct sa_fault_stats __percpu *stats;
	struct sa_group *group;
	int verdict;

	if (!event)
		return -EINVAL;
	event->group_id = 0;
	if (event->reserved || event->reserved2)
		return -EINVAL;
	switch (event->kind) {
	case SHADOWALLOC_BPF_FAULT:
		break;
	case SHADOWALLOC_BPF_MAPPING:
		if (event->level < SHADOWALLOC_BPF_LEVEL_4K ||
		    event->level > SHADOWALLOC_BPF_LEVEL_1G)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}

	/*
	 * Interrupt or NMI context may have interrupted this CPU's producer
	 * or a cache update: decide without the cache, drop without the ring.
	 * KVM's fault tracepoints always run in the vCPU thread.
	 */
	if (unlikely(!in_task())) {
		rcu_read_lock();
		group = sa_group_of_vmm_rcu(task_tgid(current));
		verdict = SHADOWALLOC_BPF_FILTERED;
		if (group) {
			event->group_id = group->id;
			if (READ_ONCE(group->enabled)) {
				this_cpu_inc(group->stats->events);
				this_cpu_inc(group->stats->events_dropped);
				verdict = SHADOWALLOC_BPF_DROPPED;
			}
		}
		rcu_read_unlock();
		return verdict;
	}

	/*
	 * The fault program runs preemptible (migration disabled only):
	 * another task on this CPU must not push in the middle of this one.
	 */
	rcu_read_lock();
	preempt_disable();
	group = sa_telemetry_group_of_current();
	if (!group) {
		verdict = SHADOWALLOC_BPF_FILTERED;
		goto out;
	}
	event->group_id = group->id;
	if (!READ_ONCE(group->enabled)) {
		verdict = SHADOWALLOC_BPF_FILTERED;
		goto out;
	}
	stats = group->stats;
	this_cpu_inc(stats->events);
	if (sa_telemetry_push(event, group->id)) {
		verdict = SHADOWALLOC_BPF_PASSED;
	} else {
		this_cpu_inc(stats->events_dropped);
		verdict = SHADOWALLOC_BPF_DROPPED;
	}
	/* A full ring too: its drain must not be missed. */
	sa_telemetry_arm();
out:
	preempt_enable();
	rcu_read_unlock();
	return verdict;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(sa_telemetry_kfunc_ids)
BTF_ID_FLAGS(func, shadowalloc_bpf_record)
BTF_KFUNCS_END(sa_telemetry_kfunc_ids)

static const struct btf_kfunc_id_set sa_telemetry_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &sa_telemetry_kfunc_ids,
};

/* Move up to SA_TELEMETRY_BATCH events of one ring into the batch buffer. */
static unsigned int sa_telemetry_pull(struct sa_telemetry_ring *ring)
{
	unsigned long head, tail;
	unsigned int n = 0;

	/* Pairs with the producer's release: the slots are filled. */
	head = smp_load_acquire(&ring->head);
	tail = ring->tail;
	while (tail != head && n < SA_TELEMETRY_BATCH)
		sa_telemetry_batch[n++] =
			ring->events[tail++ & sa_telemetry_mask];
	/* Pairs with the producer's acquire: the slots may be reused. */
	smp_store_release(&ring->tail, tail);
	ring->drained += n;
	return n;
}

static bool sa_telemetry_rings_empty(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct sa_telemetry_ring *ring = sa_telemetry_cpu_ring(cpu);

		/* Pairs with the producer's release of @head. */
		if (smp_load_acquire(&ring->head) != READ_ONCE(ring->tail))
			return false;
	}
	return true;
}

/*
 * The fan-out: fold a batch of drained events into the aggregates of their
 * groups and VMs and feed the VMs' where-predictors with the mappings
 * (recordings come from the fault handler, record.c). Events of groups
 * destroyed or VMs removed since they were recorded count for what still
 * exists. Consecutive events are mostly of one VM: its lookups are cached.
 */
static void sa_telemetry_fan_out(const struct sa_telemetry_event *events,
				 unsigned int n)
{
	struct sa_group *group = NULL;
	struct sa_vm *vm = NULL;
	unsigned int i;

	mutex_lock(&sa_registry_lock);
	for (i = 0; i < n; i++) {
		const struct sa_telemetry_event *ev = &events[i];

		if (!group || group->id != ev->group_id) {
			group = sa_group_find_locked(ev->group_id);
			vm = NULL;
			if (!group)
				continue;
		}
		if (!vm || vm->pid_nr != ev->vm_pid)
			vm = sa_group_find_vm_nr(group, ev->vm_pid);
		sa_telemetry_agg_add(&group->telemetry, ev);
		if (vm)
			sa_telemetry_agg_add(&vm->telemetry, ev);
		if (ev->kind != SHADOWALLOC_BPF_MAPPING)
			continue;
		if (vm)
			sa_forecast_where_observe(&vm->where, ev->gpa,
						  sa_level_pages(ev->level));
	}
	mutex_unlock(&sa_registry_lock);
}

/* When the worker's previous pass started; only the worker uses it. */
static u64 sa_telemetry_last_pass_ns;

/*
 * The pause before the next pass: tm_drain_ms, or less when the fullest
 * ring took @peak events in the @elapsed_ns since the last pass, so that at
 * that rate a ring is about a quarter full when the worker comes back (and
 * a burst of four times the rate still fits; a faster one queues the
 * worker at once, sa_telemetry_hurry). Without this a ring of E slots
 * could not take more than E events per tm_drain_ms however fast the
 * worker.
 */
static unsigned long sa_telemetry_next_delay(unsigned long peak,
					     u64 elapsed_ns)
{
	unsigned long delay = sa_telemetry_drain_delay();
	unsigned long quarter = (sa_telemetry_mask + 1) / 4;
	u64 ns;

	if (!peak || !elapsed_ns)
		return delay;
	/* tm_drain_ms is at most a second: no overflow below. */
	ns = div64_u64(min_t(u64, elapsed_ns, NSEC_PER_SEC) * quarter, peak);
	return min(delay, nsecs_to_jiffies(ns));
}

static void sa_telemetry_drain_fn(struct work_struct *work)
{
	unsigned long total = 0, peak = 0, delay;
	u64 now = ktime_get_ns();
	u64 elapsed = now - sa_telemetry_last_pass_ns;
	unsigned int n;
	int cpu;

	sa_telemetry_last_pass_ns = now;
	for_each_possible_cpu(cpu) {
		struct sa_telemetry_ring *ring = sa_telemetry_cpu_ring(cpu);
		unsigned long taken = 0;

		while ((n = sa_telemetry_pull(ring))) {
			sa_telemetry_fan_out(sa_telemetry_batch, n);
			taken += n;
			cond_resched();
		}
		total += taken;
		peak = max(peak, taken);
	}
	if (total) {
		delay = sa_telemetry_next_delay(peak, elapsed);
		goto again;
	}

	/*
	 * Idle: disarm, wait until every producer that may still have seen
	 * the bit set has finished its push (their RCU read-side sections),
	 * then look once more, so none of their events is left behind.
	 */
	clear_bit(0, &sa_telemetry_armed);
	synchronize_rcu();
	if (sa_telemetry_rings_empty() ||
	    test_and_set_bit(0, &sa_telemetry_armed))
		return;
	delay = sa_telemetry_drain_delay();
again:
	queue_delayed_work(system_unbound_wq, &sa_telemetry_drain_work, delay);
}

/* Move an aggregate's tick window forward to @tick, zeroing skipped ticks. */
void sa_telemetry_agg_advance(struct sa_telemetry_agg *agg, u64 tick)
{
	u64 t;

	if (tick <= agg->last_tick)
		return;
	if (tick - agg->last_tick >= SA_TELEMETRY_TICKS) {
		memset(agg->tick_faults, 0, sizeof(agg->tick_faults));
		memset(agg->tick_pages, 0, sizeof(agg->tick_pages));
	} else {
		for (t = agg->last_tick + 1; t <= tick; t++) {
			agg->tick_faults[t % SA_TELEMETRY_TICKS] = 0;
			agg->tick_pages[t % SA_TELEMETRY_TICKS] = 0;
		}
	}
	agg->last_tick = tick;
}

/**
 * sa_telemetry_agg_add() - fold one event into an aggregate
 * @agg: a VM's or a group's aggregate; the caller serialises
 * @event: the event
 */
void sa_telemetry_agg_add(struct sa_telemetry_agg *agg,
			  const struct sa_telemetry_event *event)
{
	u64 tick = div_u64(event->ts_ns, SHADOWALLOC_TICK_MS * NSEC_PER_MSEC);
	unsigned int slot = tick % SA_TELEMETRY_TICKS;
	unsigned long pages;

	if (!agg->last_tick)
		agg->last_tick = tick;
	sa_telemetry_agg_advance(agg, tick);
	if (tick + SA_TELEMETRY_TICKS <= agg->last_tick) {
		/* Older than the window (a ring drained very late). */
		agg->late++;
		slot = SA_TELEMETRY_TICKS;
	}

	if (event->kind == SHADOWALLOC_BPF_FAULT) {
		agg->faults++;
		if (slot < SA_TELEMETRY_TICKS)
			agg->tick_faults[slot]++;
		return;
	}
	/*
	 * A mapping at level L covers 512^(L-1) pages. Regions count
	 * mappings: their event is the one always attached.
	 */
	pages = sa_level_pages(event->level);
	agg->regions[min_t(u64, event->gpa >> SA_TELEMETRY_REGION_SHIFT,
			   SA_TELEMETRY_REGIONS - 1)]++;
	agg->mappings++;
	agg->levels[event->level - 1]++;
	agg->mapped_bytes += (u64)pages << PAGE_SHIFT;
	if (slot < SA_TELEMETRY_TICKS)
		agg->tick_pages[slot] += pages;
}

/* The current tick, for readers that want idle ticks shown as zeros. */
u64 sa_telemetry_now_tick(void)
{
	return div_u64(ktime_get_ns(), SHADOWALLOC_TICK_MS * NSEC_PER_MSEC);
}

/**
 * sa_telemetry_ring_totals() - the rings' counters, summed over CPUs
 * @t: filled in; racing producers and the drain make it approximate
 */
void sa_telemetry_ring_totals(struct sa_telemetry_ring_totals *t)
{
	int cpu;

	memset(t, 0, sizeof(*t));
	t->entries = sa_telemetry_mask + 1;
	for_each_possible_cpu(cpu) {
		struct sa_telemetry_ring *ring = sa_telemetry_cpu_ring(cpu);

		t->drained += READ_ONCE(ring->drained);
		t->dropped += READ_ONCE(ring->dropped);
		t->queued += READ_ONCE(ring->head) - READ_ONCE(ring->tail);
		t->verdict_hits +=
			READ_ONCE(per_cpu(sa_telemetry_verdicts, cpu).hits);
		t->verdict_misses +=
			READ_ONCE(per_cpu(sa_telemetry_verdicts, cpu).misses);
	}
}

static void sa_telemetry_free_rings(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		kvfree(sa_telemetry_cpu_ring(cpu)->events);
	free_percpu(sa_telemetry_rings);
}

/**
 * sa_telemetry_init() - allocate the rings and register the kfunc
 *
 * Return: 0, -ENOMEM, or the error of the kfunc registration.
 */
int sa_telemetry_init(void)
{
	unsigned int entries = READ_ONCE(sa_telemetry_ring_entries);
	int cpu, ret;

	sa_telemetry_mask = entries - 1;
	init_irq_work(&sa_telemetry_kick, sa_telemetry_kick_fn);
	init_irq_work(&sa_telemetry_hurry, sa_telemetry_hurry_fn);
	sa_telemetry_batch = kmalloc_array(SA_TELEMETRY_BATCH,
					   sizeof(*sa_telemetry_batch),
					   GFP_KERNEL);
	if (!sa_telemetry_batch)
		return -ENOMEM;
	sa_telemetry_rings = alloc_percpu(struct sa_telemetry_ring);
	if (!sa_telemetry_rings) {
		ret = -ENOMEM;
		goto err_batch;
	}
	for_each_possible_cpu(cpu) {
		struct sa_telemetry_ring *ring = sa_telemetry_cpu_ring(cpu);

		ring->events = kvmalloc_node(array_size(entries,
							sizeof(*ring->events)),
					     GFP_KERNEL, cpu_to_node(cpu));
		if (!ring->events) {
			ret = -ENOMEM;
			goto err_rings;
		}
	}
	/*
	 * Tracing programs only (tp_btf, fentry/fexit): a failed registration
	 * for a program type would drop the module's earlier ones.
	 */
	ret = register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING,
					&sa_telemetry_kfunc_set);
	if (ret) {
		pr_err(SA_NAME ": registering the BPF kfunc failed: %d\n", ret);
		goto err_rings;
	}
	return 0;

err_rings:
	sa_telemetry_free_rings();
err_batch:
	kfree(sa_telemetry_batch);
	return ret;
}

/**
 * sa_telemetry_exit() - stop the drain and free the rings
 *
 * No BPF program can still call the kfunc: each holds a module reference.
 */
void sa_telemetry_exit(void)
{
	irq_work_sync(&sa_telemetry_kick);
	irq_work_sync(&sa_telemetry_hurry);
	cancel_delayed_work_sync(&sa_telemetry_drain_work);
	sa_telemetry_free_rings();
	kfree(sa_telemetry_batch);
}
