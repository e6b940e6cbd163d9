// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: the registry of trust groups and their member VMs.
 *
 * Management calls (ioctls from privileged agents) are rare and change
 * several structures at once (the group table, the VM hash, a group's member
 * list and counts), so they are serialised by one mutex. Hot-path readers
 * (the fault handler, the telemetry kfunc, the shrinker) never take it:
 * groups live in an xarray and VMs in an RCU hash table, and both are freed
 * only after a grace period.
 *
 * What runs on the registry lives elsewhere: the forecast tick in
 * forecast_tick.c, the telemetry fan-out in telemetry.c, the GET_STATS
 * arithmetic in stats.c, debugfs in debugfs.c.
 */
#include <linux/err.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/magic.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "registry.h"

/* How often exited VMMs are dropped from their groups when nobody asks. */
#define SA_REAPER_PERIOD	(2 * HZ)

/* See registry.h for what the lock protects and the lock order. */
DEFINE_MUTEX(sa_registry_lock);

/* id -> struct sa_group, see registry.h; sa_nr_groups under the lock. */
DEFINE_XARRAY(sa_groups);
static unsigned int sa_nr_groups;

/*
 * struct pid * -> struct sa_vm. Written under sa_registry_lock, as is
 * sa_nr_vms; RCU readers (faults, the kfunc, GET_STATS's membership check),
 * VMs are freed only after a grace period.
 */
#define SA_VM_HASH_BITS 8
static DEFINE_HASHTABLE(sa_vm_hash, SA_VM_HASH_BITS);
static unsigned int sa_nr_vms;

static void sa_reaper_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(sa_reaper_work, sa_reaper_fn);

/*
 * sa_free_wq runs the deferred frees of destroyed groups; module exit
 * drains it.
 */
static struct workqueue_struct *sa_free_wq;

/*
 * Free a group, in process context (stopping its pool sleeps) and after an
 * RCU grace period that followed its unpublishing, so no fault or shrinker
 * still sees it.
 */
static void sa_group_free_workfn(struct work_struct *work)
{
	struct sa_group *group = container_of(to_rcu_work(work),
					      struct sa_group, free_rwork);

	sa_pool_destroy(&group->pool);
	sa_launch_release_all(group);
	free_percpu(group->stats);
	sa_fault_hist_free(group);
	kfree(group);
}

static void sa_group_release(struct kref *ref)
{
	struct sa_group *group = container_of(ref, struct sa_group, ref);

	INIT_RCU_WORK(&group->free_rwork, sa_group_free_workfn);
	queue_rcu_work(sa_free_wq, &group->free_rwork);
}

/* Find a VM by its VMM's pid; caller holds the lock or rcu_read_lock(). */
static struct sa_vm *sa_vm_find(struct pid *pid)
{
	struct sa_vm *vm;

	hash_for_each_possible_rcu(sa_vm_hash, vm, hnode, (unsigned long)pid,
				   lockdep_is_held(&sa_registry_lock))
		if (vm->pid == pid)
			return vm;
	return NULL;
}

static void sa_vm_free_rcu(struct rcu_head *rcu)
{
	struct sa_vm *vm = container_of(rcu, struct sa_vm, rcu);

	/*
	 * The pid reference is dropped only now: a reader comparing its own
	 * pid with vm->pid must never see this memory reused for a new pid.
	 */
	put_pid(vm->pid);
	kfree(vm);
}

static void sa_vm_unlink(struct sa_vm *vm)
{
	lockdep_assert_held(&sa_registry_lock);
	hash_del_rcu(&vm->hnode);
	sa_telemetry_membership_changed();
	list_del(&vm->group_node);
	vm->group->nr_vms--;
	sa_nr_vms--;
	call_rcu(&vm->rcu, sa_vm_free_rcu);
}

/* A VMM that has been reaped has no thread-group leader task any more. */
static bool sa_pid_alive(struct pid *pid)
{
	return pid_has_task(pid, PIDTYPE_TGID);
}

/* Drop members whose VMM process has exited. */
static void sa_group_prune(struct sa_group *group)
{
	struct sa_vm *vm, *tmp;

	lockdep_assert_held(&sa_registry_lock);
	list_for_each_entry_safe(vm, tmp, &group->vms, group_node)
		if (!sa_pid_alive(vm->pid))
			sa_vm_unlink(vm);
}

static void sa_reaper_fn(struct work_struct *work)
{
	struct sa_group *group;
	unsigned long id;

	mutex_lock(&sa_registry_lock);
	sa_for_each_group(id, group)
		sa_group_prune(group);
	if (sa_nr_vms)
		schedule_delayed_work(&sa_reaper_work, SA_REAPER_PERIOD);
	mutex_unlock(&sa_registry_lock);
}

/**
 * sa_group_find_locked() - look up a group under the registry lock
 * @id: the group
 *
 * The lock keeps the group alive, so no reference is taken.
 *
 * Return: the group, or NULL.
 */
struct sa_group *sa_group_find_locked(u32 id)
{
	lockdep_assert_held(&sa_registry_lock);
	return xa_load(&sa_groups, id);
}

/**
 * sa_registry_lock_group() - take the registry lock and look up a group
 * @id: the group
 *
 * For management calls. Callers that validate other arguments first check
 * the id themselves before them, so -EINVAL for a bad id still comes first.
 *
 * Return: the group, with sa_registry_lock held (drop it with
 * mutex_unlock()); or, without the lock, ERR_PTR(-EINVAL) for an invalid
 * id, ERR_PTR(-ENOENT) if there is no such group.
 */
struct sa_group *sa_registry_lock_group(u32 id)
{
	struct sa_group *group;

	if (!sa_group_id_valid(id))
		return ERR_PTR(-EINVAL);
	mutex_lock(&sa_registry_lock);
	group = sa_group_find_locked(id);
	if (!group) {
		mutex_unlock(&sa_registry_lock);
		return ERR_PTR(-ENOENT);
	}
	return group;
}

/*
 * The VMM an ADD_VM / REMOVE_VM names: a process id in the caller's pid
 * namespace or, with SHADOWALLOC_GROUP_VM_PIDFD, a pidfd (the pidfs inode's
 * i_private is its struct pid, as pidfd_pid() reads it). A pidfd cannot
 * name a reused pid.
 */
static struct pid *sa_get_vmm_pid(const struct shadowalloc_group_vm *arg)
{
	struct pid *pid = NULL;
	struct fd f;

	if (arg->flags & SHADOWALLOC_GROUP_VM_PIDFD) {
		f = fdget(arg->pid);
		if (!fd_file(f))
			return ERR_PTR(-EBADF);
		if (file_inode(fd_file(f))->i_sb->s_magic == PID_FS_MAGIC)
			pid = get_pid(file_inode(fd_file(f))->i_private);
		fdput(f);
		if (!pid)
			return ERR_PTR(-EBADF);
	} else {
		pid = find_get_pid(arg->pid);
		if (!pid)
			return ERR_PTR(-ESRCH);
	}
	if (!sa_pid_alive(pid)) {
		put_pid(pid);
		return ERR_PTR(-ESRCH);
	}
	return pid;
}

/* A process id must be positive; any number may be a pidfd's fd. */
static bool sa_group_vm_arg_valid(const struct shadowalloc_group_vm *arg)
{
	return sa_group_id_valid(arg->group_id) &&
	       ((arg->flags & SHADOWALLOC_GROUP_VM_PIDFD) ? arg->pid >= 0 :
		arg->pid > 0);
}

/**
 * sa_group_create() - create an empty, disabled trust group
 * @arg: the validated-for-layout ioctl argument (flags and reserved are 0)
 *
 * Without a cap the group gets default_max_staged_mb, at most the total
 * RAM.
 *
 * Return: 0, or -EINVAL / -ERANGE for a value out of range, -EEXIST if the
 * id is taken, -ENOSPC if max_groups groups exist, -ENOMEM.
 */
int sa_group_create(const struct shadowalloc_group_create *arg)
{
	unsigned int vm_limit = READ_ONCE(sa_max_vms_per_group);
	u64 ram_bytes = (u64)totalram_pages() << PAGE_SHIFT;
	struct sa_group *group;
	int ret;

	if (!sa_group_id_valid(arg->group_id) || arg->max_vms > vm_limit)
		return -EINVAL;
	if (arg->max_staged_bytes &&
	    (!PAGE_ALIGNED(arg->max_staged_bytes) ||
	     arg->max_staged_bytes > ram_bytes))
		return -EINVAL;
	if (arg->horizon_ms && (arg->horizon_ms < SHADOWALLOC_HORIZON_MIN_MS ||
				arg->horizon_ms > SHADOWALLOC_HORIZON_MAX_MS))
		return -ERANGE;

	group = kzalloc(sizeof(*group), GFP_KERNEL_ACCOUNT);
	if (!group)
		return -ENOMEM;
	group->id = arg->group_id;
	kref_init(&group->ref);
	INIT_LIST_HEAD(&group->vms);
	spin_lock_init(&group->launch_lock);
	INIT_LIST_HEAD(&group->launches);
	group->max_vms = arg->max_vms ?: vm_limit;
	/*
	 * The default is clamped to RAM, the bound an explicit cap is
	 * checked against: a default_max_staged_mb above it would give the
	 * group a cap POOL_CONFIG refuses.
	 */
	group->max_staged_bytes = arg->max_staged_bytes ?:
		min((u64)READ_ONCE(sa_default_max_staged_mb) << 20, ram_bytes);
	group->horizon_ms = arg->horizon_ms ?: SHADOWALLOC_HORIZON_DEFAULT_MS;
	sa_forecast_init(&group->demand);
	group->stats = alloc_percpu(struct sa_fault_stats);
	if (!group->stats) {
		ret = -ENOMEM;
		goto err_free_group;
	}
	ret = sa_fault_hist_alloc(group);
	if (ret)
		goto err_free_stats;
	ret = sa_pool_init(&group->pool, group->max_staged_bytes);
	if (ret)
		goto err_free_hist;

	mutex_lock(&sa_registry_lock);
	if (sa_group_find_locked(group->id)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	if (sa_nr_groups >= READ_ONCE(sa_max_groups)) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	ret = xa_insert(&sa_groups, group->id, group, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto out_unlock;
	sa_nr_groups++;
	mutex_unlock(&sa_registry_lock);
	return 0;

out_unlock:
	mutex_unlock(&sa_registry_lock);
	sa_pool_destroy(&group->pool);
err_free_hist:
	sa_fault_hist_free(group);
err_free_stats:
	free_percpu(group->stats);
err_free_group:
	kfree(group);
	return ret;
}

/* Turn shadowing off and release the group's staged pages. */
static void sa_group_disable_locked(struct sa_group *group)
{
	lockdep_assert_held(&sa_registry_lock);
	WRITE_ONCE(group->enabled, false);
	sa_pool_stop(&group->pool);
}

/* Unpublish a group; the caller drops the registry's reference. */
static void sa_group_unpublish_locked(struct sa_group *group)
{
	struct sa_recorder *rec;

	if (group->enabled)
		sa_group_disable_locked(group);
	rec = rcu_dereference_protected(group->recorder,
					lockdep_is_held(&sa_registry_lock));
	if (rec) {
		sa_recorder_orphan(rec);
		RCU_INIT_POINTER(group->recorder, NULL);
	}
	xa_erase(&sa_groups, group->id);
	sa_telemetry_membership_changed();
	sa_nr_groups--;
}

/**
 * sa_group_destroy() - destroy a trust group that has no members
 * @id: the group
 *
 * Return: 0, -EINVAL for an invalid id, -ENOENT if there is no such group,
 * -ENOTEMPTY if live VMs are still members.
 */
int sa_group_destroy(u32 id)
{
	struct sa_group *group;

	group = sa_registry_lock_group(id);
	if (IS_ERR(group))
		return PTR_ERR(group);
	sa_group_prune(group);
	if (group->nr_vms) {
		mutex_unlock(&sa_registry_lock);
		return -ENOTEMPTY;
	}
	sa_group_unpublish_locked(group);
	mutex_unlock(&sa_registry_lock);

	kref_put(&group->ref, sa_group_release);
	return 0;
}

/**
 * sa_group_add_vm() - make a VMM process a member of a group
 * @arg: the group and the VMM (a process id, or a pidfd)
 *
 * Every memory object the VMM maps is bound to the group as well.
 *
 * Return: 0, -EINVAL for an invalid id or pid, -ENOENT (no group), -EBADF
 * (not a pidfd), -ESRCH (no process), -EEXIST (already a member), -EBUSY (member of another
 * group), -ENOSPC (group full), -ENOMEM.
 */
int sa_group_add_vm(const struct shadowalloc_group_vm *arg)
{
	struct sa_group *group;
	struct sa_vm *vm, *old;
	u32 id = arg->group_id;
	struct pid *pid;
	int ret;

	if (!sa_group_vm_arg_valid(arg))
		return -EINVAL;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;

	group = sa_registry_lock_group(id);
	if (IS_ERR(group)) {
		ret = PTR_ERR(group);
		goto out_free;
	}
	pid = sa_get_vmm_pid(arg);
	if (IS_ERR(pid)) {
		ret = PTR_ERR(pid);
		goto out_unlock;
	}
	old = sa_vm_find(pid);
	if (old) {
		ret = old->group == group ? -EEXIST : -EBUSY;
		goto out_put_pid;
	}
	sa_group_prune(group);
	if (group->nr_vms >= group->max_vms) {
		ret = -ENOSPC;
		goto out_put_pid;
	}

	vm->pid = pid;
	vm->pid_nr = pid_nr(pid);
	vm->group = group;
	sa_forecast_where_init(&vm->where);
	list_add_tail(&vm->group_node, &group->vms);
	group->nr_vms++;
	hash_add_rcu(sa_vm_hash, &vm->hnode, (unsigned long)pid);
	sa_telemetry_membership_changed();
	if (!sa_nr_vms++)
		schedule_delayed_work(&sa_reaper_work, SA_REAPER_PERIOD);
	get_pid(pid);
	mutex_unlock(&sa_registry_lock);
	/* Outside the registry lock: it takes the VMM's mmap_lock. */
	sa_mem_bind_mapped(pid, SA_MEM_ANY_GROUP, id);
	put_pid(pid);
	return 0;

out_put_pid:
	put_pid(pid);
out_unlock:
	mutex_unlock(&sa_registry_lock);
out_free:
	kfree(vm);
	return ret;
}

/**
 * sa_group_remove_vm() - remove a VMM process from a group
 * @arg: the group and the VMM (a process id, or a pidfd)
 *
 * The memory objects it maps that are bound to the group are unbound.
 *
 * Return: 0, -EINVAL for an invalid id or pid, -ENOENT (no group), -EBADF
 * (not a pidfd), -ESRCH (no process), -ENXIO (not a member of this group).
 */
int sa_group_remove_vm(const struct shadowalloc_group_vm *arg)
{
	struct sa_group *group;
	u32 id = arg->group_id;
	struct sa_vm *vm;
	struct pid *pid;
	int ret = 0;

	if (!sa_group_vm_arg_valid(arg))
		return -EINVAL;

	group = sa_registry_lock_group(id);
	if (IS_ERR(group))
		return PTR_ERR(group);
	pid = sa_get_vmm_pid(arg);
	if (IS_ERR(pid)) {
		mutex_unlock(&sa_registry_lock);
		return PTR_ERR(pid);
	}
	vm = sa_vm_find(pid);
	if (vm && vm->group == group)
		sa_vm_unlink(vm);
	else
		ret = -ENXIO;
	mutex_unlock(&sa_registry_lock);
	if (!ret)
		sa_mem_bind_mapped(pid, id, 0);
	put_pid(pid);
	return ret;
}

/**
 * sa_group_set_enabled() - turn shadowing of a group on or off
 * @id: the group
 * @enable: the new state
 *
 * Return: 0, -EINVAL for an invalid id, -ENOENT (no group), -EALREADY (the
 * group is already in that state).
 */
int sa_group_set_enabled(u32 id, bool enable)
{
	struct sa_group *group;
	int ret = 0;

	group = sa_registry_lock_group(id);
	if (IS_ERR(group))
		return PTR_ERR(group);
	if (group->enabled == enable) {
		ret = -EALREADY;
	} else if (enable) {
		WRITE_ONCE(group->enabled, true);
		sa_forecast_start(group);
		sa_pool_start(&group->pool);
	} else {
		sa_group_disable_locked(group);
	}
	mutex_unlock(&sa_registry_lock);
	return ret;
}

/**
 * sa_group_set_horizon() - set a group's prediction horizon
 * @id: the group
 * @horizon_ms: SHADOWALLOC_HORIZON_MIN_MS..SHADOWALLOC_HORIZON_MAX_MS
 *
 * Return: 0, -EINVAL for an invalid id, -ERANGE for a horizon out of range,
 * -ENOENT (no group).
 */
int sa_group_set_horizon(u32 id, u32 horizon_ms)
{
	struct sa_group *group;

	if (!sa_group_id_valid(id))
		return -EINVAL;
	if (horizon_ms < SHADOWALLOC_HORIZON_MIN_MS ||
	    horizon_ms > SHADOWALLOC_HORIZON_MAX_MS)
		return -ERANGE;

	group = sa_registry_lock_group(id);
	if (IS_ERR(group))
		return PTR_ERR(group);
	WRITE_ONCE(group->horizon_ms, horizon_ms);
	mutex_unlock(&sa_registry_lock);
	return 0;
}

/**
 * sa_group_of_vmm_rcu() - the group of a VMM process, if any
 * @pid: the VMM's thread-group pid
 *
 * For the fault path: the caller holds rcu_read_lock(), and the group stays
 * valid until it drops it.
 *
 * Return: the group, or NULL.
 */
struct sa_group *sa_group_of_vmm_rcu(struct pid *pid)
{
	struct sa_vm *vm = sa_vm_find(pid);

	return vm ? vm->group : NULL;
}

/**
 * sa_group_find_rcu() - a group by id, for the fault path
 * @id: the group id
 *
 * The caller holds rcu_read_lock(); the group stays valid until it drops
 * it. A group being destroyed is already gone from the table.
 *
 * Return: the group, or NULL.
 */
struct sa_group *sa_group_find_rcu(u32 id)
{
	return xa_load(&sa_groups, id);
}

/**
 * sa_group_find_vm_nr() - a member of a group by its pid number
 * @group: the group; the caller holds sa_registry_lock
 * @nr: the VMM's pid in the initial pid namespace, as events carry it
 *
 * Return: the VM, or NULL if it left.
 */
struct sa_vm *sa_group_find_vm_nr(struct sa_group *group, pid_t nr)
{
	struct sa_vm *vm;

	lockdep_assert_held(&sa_registry_lock);
	list_for_each_entry(vm, &group->vms, group_node)
		if (vm->pid_nr == nr)
			return vm;
	return NULL;
}

/**
 * sa_group_model_export() - write a group's model as a blob
 * @id: the group
 * @blob: sa_forecast_blob_size() bytes
 *
 * Return: 0, -EINVAL for an invalid id, -ENOENT (no group).
 */
int sa_group_model_export(u32 id, void *blob)
{
	struct sa_group *group;

	group = sa_registry_lock_group(id);
	if (IS_ERR(group))
		return PTR_ERR(group);
	sa_forecast_export(&group->demand, blob);
	mutex_unlock(&sa_registry_lock);
	return 0;
}

/**
 * sa_group_model_import() - replace a group's model
 * @id: the group
 * @model: a model validated by sa_forecast_import()
 *
 * The pool's target follows at the next forecast tick. Member VMs keep
 * their own models.
 *
 * Return: 0, -EINVAL for an invalid id, -ENOENT (no group).
 */
int sa_group_model_import(u32 id, const struct sa_forecast_model *model)
{
	struct sa_group *group;

	group = sa_registry_lock_group(id);
	if (IS_ERR(group))
		return PTR_ERR(group);
	group->demand = *model;
	mutex_unlock(&sa_registry_lock);
	return 0;
}

/**
 * sa_group_record() - start recording a group's first-touch faults
 * @id: the group
 *
 * The fault handler records every first touch the group's pool serves or
 * misses (record.c); no telemetry is needed.
 *
 * Return: a new file descriptor, -EINVAL for an invalid id, -ENOENT (no
 * group), -EBUSY (a recording of the group is open), -ENOMEM, -EMFILE.
 */
int sa_group_record(u32 id)
{
	struct sa_group *group;
	int ret;

	group = sa_registry_lock_group(id);
	if (IS_ERR(group))
		return PTR_ERR(group);
	if (rcu_access_pointer(group->recorder))
		ret = -EBUSY;
	else
		ret = sa_recorder_open(group);
	mutex_unlock(&sa_registry_lock);
	return ret;
}

/**
 * sa_group_record_closed() - a recording's file is being released
 * @rec: the recording
 * @id: its group
 *
 * After this no new fault finds @rec; the caller waits for the faults
 * that did (an RCU grace period) before freeing it.
 */
void sa_group_record_closed(struct sa_recorder *rec, u32 id)
{
	struct sa_group *group;

	mutex_lock(&sa_registry_lock);
	group = sa_group_find_locked(id);
	if (group && rcu_access_pointer(group->recorder) == rec)
		RCU_INIT_POINTER(group->recorder, NULL);
	mutex_unlock(&sa_registry_lock);
}

/**
 * sa_group_stage_reserve() - reserve staged pages for an upcoming launch
 * @id: the group
 * @pages: 4 KiB pages; 0 cancels the reservation
 *
 * Staging starts at once if the group is enabled, else when it is.
 *
 * Return: 0, -EINVAL for an invalid id, -ENOENT (no group), -ENOSPC (more
 * than the group's staged-memory cap).
 */
int sa_group_stage_reserve(u32 id, u64 pages)
{
	struct sa_group *group;
	int ret = 0;

	group = sa_registry_lock_group(id);
	if (IS_ERR(group))
		return PTR_ERR(group);
	if (pages > READ_ONCE(group->pool.cap_pages))
		ret = -ENOSPC;
	else
		sa_pool_reserve(&group->pool, pages);
	mutex_unlock(&sa_registry_lock);
	return ret;
}

/**
 * sa_group_pool_config() - change a group's staging pool settings
 * @arg: the ioctl argument; flags select the fields to apply
 *
 * All or nothing: a refused request changes no setting.
 *
 * Return: 0, -EINVAL for an invalid id, cap or huge value, -ERANGE for a
 * max age or zeroing budget out of range, -ENOENT (no group), -EBUSY for a
 * cap below the outstanding reservation (STAGE_RESERVE: lower or cancel
 * the reservation first; a cap never silently cuts it).
 */
int sa_group_pool_config(const struct shadowalloc_pool_config *arg)
{
	u64 ram_bytes = (u64)totalram_pages() << PAGE_SHIFT;
	struct sa_group *group;
	struct sa_pool *pool;
	int ret = 0;

	if (!sa_group_id_valid(arg->group_id))
		return -EINVAL;
	if ((arg->flags & SHADOWALLOC_POOL_SET_MAX_AGE) &&
	    (arg->max_age_ms < SHADOWALLOC_MAX_AGE_MIN_MS ||
	     arg->max_age_ms > SHADOWALLOC_MAX_AGE_MAX_MS))
		return -ERANGE;
	if ((arg->flags & SHADOWALLOC_POOL_SET_CAP) &&
	    (!arg->max_staged_bytes || !PAGE_ALIGNED(arg->max_staged_bytes) ||
	     arg->max_staged_bytes > ram_bytes))
		return -EINVAL;
	if ((arg->flags & SHADOWALLOC_POOL_SET_HUGE) && arg->huge > 1)
		return -EINVAL;
	if ((arg->flags & SHADOWALLOC_POOL_SET_ZERO_BUDGET) &&
	    (arg->zero_pages_per_sec < SHADOWALLOC_ZERO_BUDGET_MIN ||
	     arg->zero_pages_per_sec > SHADOWALLOC_ZERO_BUDGET_MAX))
		return -ERANGE;

	group = sa_registry_lock_group(arg->group_id);
	if (IS_ERR(group))
		return PTR_ERR(group);
	pool = &group->pool;
	/*
	 * The reservation only shrinks without sa_registry_lock (faults and
	 * ageing use it up), so a cap not below it now stays not below it.
	 */
	if ((arg->flags & SHADOWALLOC_POOL_SET_CAP) &&
	    (arg->max_staged_bytes >> PAGE_SHIFT) <
	    (u64)max(atomic_long_read(&pool->reserved_pages), 0L)) {
		ret = -EBUSY;
		goto out_unlock;
	}
	if (arg->flags & SHADOWALLOC_POOL_SET_MAX_AGE)
		sa_pool_set_max_age(pool, arg->max_age_ms);
	if (arg->flags & SHADOWALLOC_POOL_SET_HUGE)
		WRITE_ONCE(pool->huge, arg->huge);
	if (arg->flags & SHADOWALLOC_POOL_SET_ZERO_BUDGET)
		sa_pool_set_zero_budget(pool, arg->zero_pages_per_sec);
	if (arg->flags & SHADOWALLOC_POOL_SET_CAP) {
		group->max_staged_bytes = arg->max_staged_bytes;
		sa_pool_set_cap(pool, arg->max_staged_bytes >> PAGE_SHIFT);
	}
out_unlock:
	mutex_unlock(&sa_registry_lock);
	return ret;
}

/* Is the calling process a member VM of group @id? */
bool sa_current_in_group(u32 id)
{
	struct sa_vm *vm;
	bool member;

	rcu_read_lock();
	vm = sa_vm_find(task_tgid(current));
	member = vm && READ_ONCE(vm->group)->id == id;
	rcu_read_unlock();
	return member;
}

/**
 * sa_group_get_stats() - read a group's state and counters
 * @id: the group
 * @privileged: the caller has CAP_SYS_ADMIN; otherwise it may only read the
 *	group its own process is a member of
 * @st: filled in; the caller sets size and flags
 *
 * Return: 0, -EINVAL for an invalid id, -EPERM (not privileged and not a
 * member), -ENOENT (no group).
 */
int sa_group_get_stats(u32 id, bool privileged, struct shadowalloc_stats *st)
{
	struct sa_group *group;

	if (!sa_group_id_valid(id))
		return -EINVAL;
	if (!privileged && !sa_current_in_group(id))
		return -EPERM;

	group = sa_registry_lock_group(id);
	if (IS_ERR(group))
		return PTR_ERR(group);
	/* Members that exited are not counted. */
	sa_group_prune(group);
	sa_group_fill_stats(group, st);
	mutex_unlock(&sa_registry_lock);
	return 0;
}

/**
 * sa_registry_init() - prepare the registry
 *
 * Return: 0 or -ENOMEM.
 */
int sa_registry_init(void)
{
	sa_free_wq = alloc_workqueue(SA_NAME "-free", WQ_UNBOUND, 0);
	return sa_free_wq ? 0 : -ENOMEM;
}

/**
 * sa_registry_exit() - free every group and VM at module unload
 *
 * No file is open any more (each holds a module reference), so no ioctl can
 * race with this; the reaper is stopped first.
 */
void sa_registry_exit(void)
{
	struct sa_group *group;
	struct sa_vm *vm, *tmp;
	unsigned long id;

	cancel_delayed_work_sync(&sa_reaper_work);
	sa_forecast_exit();
	mutex_lock(&sa_registry_lock);
	sa_for_each_group(id, group) {
		list_for_each_entry_safe(vm, tmp, &group->vms, group_node)
			sa_vm_unlink(vm);
		if (group->enabled)
			sa_group_disable_locked(group);
	}
	mutex_unlock(&sa_registry_lock);

	mutex_lock(&sa_registry_lock);
	sa_for_each_group(id, group) {
		sa_group_unpublish_locked(group);
		kref_put(&group->ref, sa_group_release);
	}
	mutex_unlock(&sa_registry_lock);
	/*
	 * Wait for the RCU callbacks (sa_vm_free_rcu() and those queueing
	 * group frees), then for the frees themselves: all module code.
	 */
	rcu_barrier();
	destroy_workqueue(sa_free_wq);
}
