// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: the registry of trust groups and their member VMs.
 *
 * Management calls (ioctls from privileged agents) are rare and change
 * several structures at once (the group table, the VM hash, a group's member
 * list and counts), so they are serialised by one mutex. Hot-path readers
 * (the fault handler and telemetry, later) never take it: groups live in an
 * xarray and VMs in an RCU hash table, and both are freed only after a grace
 * period.
 */
#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "shadowalloc.h"

/* How often exited VMMs are dropped from their groups when nobody asks. */
#define SA_REAPER_PERIOD	(2 * HZ)

/*
 * sa_registry_lock serialises every change to the set of groups (sa_groups,
 * sa_nr_groups), to membership (sa_vm_hash, sa_group.vms, sa_group.nr_vms,
 * sa_nr_vms) and to a group's settings. It is a mutex because callers may
 * sleep (allocations, pid lookups); it is never taken on a fault path.
 */
static DEFINE_MUTEX(sa_registry_lock);

/* id -> struct sa_group; xa_load() under RCU for lockless readers. */
static DEFINE_XARRAY(sa_groups);
static unsigned int sa_nr_groups;

/* struct pid * -> struct sa_vm; RCU readers, writers hold the lock. */
#define SA_VM_HASH_BITS 8
static DEFINE_HASHTABLE(sa_vm_hash, SA_VM_HASH_BITS);
static unsigned int sa_nr_vms;

static void sa_reaper_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(sa_reaper_work, sa_reaper_fn);

static bool sa_group_id_valid(u32 id)
{
	return id >= SHADOWALLOC_GROUP_ID_MIN && id <= SHADOWALLOC_GROUP_ID_MAX;
}

static void sa_group_release(struct kref *ref)
{
	struct sa_group *group = container_of(ref, struct sa_group, ref);

	kfree_rcu(group, rcu);
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
	xa_for_each(&sa_groups, id, group)
		sa_group_prune(group);
	if (sa_nr_vms)
		schedule_delayed_work(&sa_reaper_work, SA_REAPER_PERIOD);
	mutex_unlock(&sa_registry_lock);
}

/*
 * Look up a group for a management call; the registry lock keeps it alive,
 * so no reference is taken.
 */
static struct sa_group *sa_group_find_locked(u32 id)
{
	lockdep_assert_held(&sa_registry_lock);
	return xa_load(&sa_groups, id);
}

/* Resolve a VMM's process id in the caller's pid namespace. */
static struct pid *sa_get_vmm_pid(pid_t nr)
{
	struct pid *pid = find_get_pid(nr);

	if (pid && !sa_pid_alive(pid)) {
		put_pid(pid);
		pid = NULL;
	}
	return pid;
}

/**
 * sa_group_create() - create an empty, disabled trust group
 * @arg: the validated-for-layout ioctl argument (flags and reserved are 0)
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
	group->max_vms = arg->max_vms ?: vm_limit;
	group->max_staged_bytes = arg->max_staged_bytes ?:
		(u64)READ_ONCE(sa_default_max_staged_mb) << 20;
	group->horizon_ms = arg->horizon_ms ?: SHADOWALLOC_HORIZON_DEFAULT_MS;

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
	kfree(group);
	return ret;
}

/* Turn shadowing off; later parts release the group's staged pages here. */
static void sa_group_disable_locked(struct sa_group *group)
{
	lockdep_assert_held(&sa_registry_lock);
	WRITE_ONCE(group->enabled, false);
}

/* Unpublish a group; the caller drops the registry's reference. */
static void sa_group_unpublish_locked(struct sa_group *group)
{
	if (group->enabled)
		sa_group_disable_locked(group);
	xa_erase(&sa_groups, group->id);
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

	if (!sa_group_id_valid(id))
		return -EINVAL;

	mutex_lock(&sa_registry_lock);
	group = sa_group_find_locked(id);
	if (!group) {
		mutex_unlock(&sa_registry_lock);
		return -ENOENT;
	}
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
 * @id: the group
 * @nr: the VMM's process id, in the caller's pid namespace
 *
 * Return: 0, -EINVAL for an invalid id or pid, -ENOENT (no group), -ESRCH
 * (no process), -EEXIST (already a member), -EBUSY (member of another
 * group), -ENOSPC (group full), -ENOMEM.
 */
int sa_group_add_vm(u32 id, pid_t nr)
{
	struct sa_group *group;
	struct sa_vm *vm, *old;
	struct pid *pid;
	int ret;

	if (!sa_group_id_valid(id) || nr <= 0)
		return -EINVAL;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;

	mutex_lock(&sa_registry_lock);
	group = sa_group_find_locked(id);
	if (!group) {
		ret = -ENOENT;
		goto out_unlock;
	}
	pid = sa_get_vmm_pid(nr);
	if (!pid) {
		ret = -ESRCH;
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
	vm->group = group;
	list_add_tail(&vm->group_node, &group->vms);
	group->nr_vms++;
	hash_add_rcu(sa_vm_hash, &vm->hnode, (unsigned long)pid);
	if (!sa_nr_vms++)
		schedule_delayed_work(&sa_reaper_work, SA_REAPER_PERIOD);
	mutex_unlock(&sa_registry_lock);
	return 0;

out_put_pid:
	put_pid(pid);
out_unlock:
	mutex_unlock(&sa_registry_lock);
	kfree(vm);
	return ret;
}

/**
 * sa_group_remove_vm() - remove a VMM process from a group
 * @id: the group
 * @nr: the VMM's process id, in the caller's pid namespace
 *
 * Return: 0, -EINVAL for an invalid id or pid, -ENOENT (no group), -ESRCH
 * (no process), -ENXIO (not a member of this group).
 */
int sa_group_remove_vm(u32 id, pid_t nr)
{
	struct sa_group *group;
	struct sa_vm *vm;
	struct pid *pid;
	int ret = 0;

	if (!sa_group_id_valid(id) || nr <= 0)
		return -EINVAL;

	mutex_lock(&sa_registry_lock);
	group = sa_group_find_locked(id);
	if (!group) {
		ret = -ENOENT;
		goto out_unlock;
	}
	pid = sa_get_vmm_pid(nr);
	if (!pid) {
		ret = -ESRCH;
		goto out_unlock;
	}
	vm = sa_vm_find(pid);
	if (vm && vm->group == group)
		sa_vm_unlink(vm);
	else
		ret = -ENXIO;
	put_pid(pid);
out_unlock:
	mutex_unlock(&sa_registry_lock);
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

	if (!sa_group_id_valid(id))
		return -EINVAL;

	mutex_lock(&sa_registry_lock);
	group = sa_group_find_locked(id);
	if (!group)
		ret = -ENOENT;
	else if (group->enabled == enable)
		ret = -EALREADY;
	else if (enable)
		WRITE_ONCE(group->enabled, true);
	else
		sa_group_disable_locked(group);
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
	int ret = 0;

	if (!sa_group_id_valid(id))
		return -EINVAL;
	if (horizon_ms < SHADOWALLOC_HORIZON_MIN_MS ||
	    horizon_ms > SHADOWALLOC_HORIZON_MAX_MS)
		return -ERANGE;

	mutex_lock(&sa_registry_lock);
	group = sa_group_find_locked(id);
	if (group)
		WRITE_ONCE(group->horizon_ms, horizon_ms);
	else
		ret = -ENOENT;
	mutex_unlock(&sa_registry_lock);
	return ret;
}

/* Is the calling process a member VM of group @id? */
static bool sa_current_in_group(u32 id)
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

	mutex_lock(&sa_registry_lock);
	group = sa_group_find_locked(id);
	if (!group) {
		mutex_unlock(&sa_registry_lock);
		return -ENOENT;
	}
	sa_group_prune(group);
	st->group_id = group->id;
	st->state = group->enabled ? SHADOWALLOC_STATE_ENABLED : 0;
	st->nr_vms = group->nr_vms;
	st->max_vms = group->max_vms;
	st->horizon_ms = group->horizon_ms;
	st->max_staged_bytes = group->max_staged_bytes;
	mutex_unlock(&sa_registry_lock);
	return 0;
}

/**
 * sa_registry_init() - prepare the registry
 *
 * Return: 0.
 */
int sa_registry_init(void)
{
	return 0;
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
	mutex_lock(&sa_registry_lock);
	xa_for_each(&sa_groups, id, group) {
		list_for_each_entry_safe(vm, tmp, &group->vms, group_node)
			sa_vm_unlink(vm);
		sa_group_unpublish_locked(group);
		kref_put(&group->ref, sa_group_release);
	}
	mutex_unlock(&sa_registry_lock);
	/* Wait for sa_vm_free_rcu(), which is module code. */
	rcu_barrier();
}
