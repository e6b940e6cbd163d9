/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shadowalloc: internal declarations shared by the module's files.
 */
#ifndef _SHADOWALLOC_H
#define _SHADOWALLOC_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <linux/shadowalloc.h>

#define SA_NAME "shadowalloc"

/* params.c: module parameters, validated on every write. */
extern unsigned int sa_max_groups;
extern unsigned int sa_max_vms_per_group;
extern unsigned int sa_default_max_staged_mb;

/**
 * struct sa_group - a trust group: VMs that may share one staging pool
 * @id: agent-chosen id, key in the group registry
 * @ref: references: one held by the registry while the group exists, one
 *	per lookup in flight; the group is freed after an RCU grace period
 *	when the last one is put
 * @rcu: for kfree_rcu()
 * @vms: member VMs (struct sa_vm.group_node); protected by sa_registry_lock
 * @nr_vms: length of @vms; protected by sa_registry_lock
 * @max_vms: member limit
 * @max_staged_bytes: cap on staged memory
 * @horizon_ms: prediction horizon; written under sa_registry_lock, read
 *	locklessly with READ_ONCE()
 * @enabled: shadowing on; written under sa_registry_lock, read locklessly
 *	with READ_ONCE()
 */
struct sa_group {
	u32 id;
	struct kref ref;
	struct rcu_head rcu;
	struct list_head vms;
	unsigned int nr_vms;
	unsigned int max_vms;
	u64 max_staged_bytes;
	u32 horizon_ms;
	bool enabled;
};

/**
 * struct sa_vm - a VM: the VMM process whose mappings belong to a group
 * @hnode: entry in the VM hash, keyed by @pid; RCU-safe
 * @group_node: entry in @group->vms
 * @pid: the VMM's thread-group pid; a reference is held, so a recycled pid
 *	number is a different struct pid and never inherits the membership
 * @group: the group; the VM holds no group reference, a group with members
 *	cannot be destroyed
 * @rcu: for kfree_rcu()
 */
struct sa_vm {
	struct hlist_node hnode;
	struct list_head group_node;
	struct pid *pid;
	struct sa_group *group;
	struct rcu_head rcu;
};

/* group.c: the registry of groups and VMs. */
int sa_registry_init(void);
void sa_registry_exit(void);
int sa_group_create(const struct shadowalloc_group_create *arg);
int sa_group_destroy(u32 id);
int sa_group_add_vm(u32 id, pid_t nr);
int sa_group_remove_vm(u32 id, pid_t nr);
int sa_group_set_enabled(u32 id, bool enable);
int sa_group_set_horizon(u32 id, u32 horizon_ms);
int sa_group_get_stats(u32 id, bool privileged, struct shadowalloc_stats *st);

/* dev.c: the misc device. */
int sa_dev_init(void);
void sa_dev_exit(void);

#endif /* _SHADOWALLOC_H */
