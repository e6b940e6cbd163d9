// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: where and in what size a staging pool stages, the split of
 * its target among NUMA nodes and between 4 KiB and 2 MiB by recent
 * demand.
 *
 * Every first touch of the group's VMs counts the pages it wanted on the
 * node its memory policy chose and in the size it was served with
 * (sa_pool_note_demand(), on the fault path); each refill run folds those
 * counts into decaying weights per node and per size class and gives
 * every node a share of the target in proportion to its weight
 * (sa_pool_split_target()), and of that share the part in 4 KiB pages in
 * proportion to the 4 KiB weight (sa_pool_small_share()). The forecaster
 * decides how much to stage; this file decides only where and in what
 * size, so a change to either rule touches one file.
 */
#include <linux/atomic.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/nodemask.h>

#include "pool.h"

/*
 * Recent demand per node loses 1/16 of its weight every tick: a half-life
 * of about 11 ticks (1.1 s). Long enough that one tick's noise does not
 * swing the split, short enough to follow a VM whose vCPUs or policy moved
 * well before the pages staged for the old placement age out (30 s by
 * default). After SA_DEMAND_FORGET_TICKS without a refill, all is
 * forgotten (any weight is gone by then anyway).
 */
#define SA_DEMAND_DECAY_SHIFT	4
#define SA_DEMAND_FORGET_TICKS	1024

/**
 * sa_pool_note_demand() - count pages a fault of the group wanted
 * @pool: the group's pool
 * @nid: the node the fault's memory policy wanted
 * @class: the size the fault is served with (4 KiB where no whole 2 MiB
 *	could be mapped, or the group's rule says 4 KiB: mem.c)
 *
 * For every first touch of the group's VMs, hit or miss: the refill
 * stages on each node, and in each size, in proportion to this. Two
 * atomic adds; callable from the fault path under RCU.
 */
void sa_pool_note_demand(struct sa_pool *pool, int nid,
			 enum sa_size_class class)
{
	unsigned long pages = sa_class_pages(class);

	atomic_long_add(pages, &pool->class_demand[class]);
	if (nid < 0 || nid >= nr_node_ids || !pool->nodes[nid])
		return;
	atomic_long_add(pages, &pool->nodes[nid]->demand);
}

/* @weight after @ticks ticks of decay by 1/16 each (rounded up: to zero). */
static unsigned long sa_demand_decay(unsigned long weight, unsigned long ticks)
{
	if (ticks > SA_DEMAND_FORGET_TICKS)
		return 0;
	while (ticks-- && weight)
		weight -= DIV_ROUND_UP(weight, 1UL << SA_DEMAND_DECAY_SHIFT);
	return weight;
}

/*
 * Split @target among the nodes with memory, setting each node's target.
 *
 * The rule: in proportion to the pages the group's faults wanted on each
 * node recently (sa_pool_note_demand(), decayed by SA_DEMAND_DECAY_SHIFT
 * per tick). A fault takes its page from the node its memory policy wants
 * and only then from another (sa_pool_take()), so a page staged where no
 * fault wants one is, at best, a remote hit (the guest pays the node
 * distance on every later access to it, or a bound policy cannot take it
 * at all) and, at worst, aged out unused with its zeroing wasted. Recent
 * demand per node is the best estimate of where the next faults want
 * theirs: memory policies and vCPU placement change slowly compared with
 * a tick. The forecaster decides how much; this decides only where. With
 * no demand recorded lately, evenly: nothing prefers any node.
 *
 * Rounding leaves less than one page per node over: one more page each to
 * the nodes with demand (all nodes, for an even split).
 */
void sa_pool_split_target(struct sa_pool *pool, unsigned long target)
{
	unsigned long ticks = (jiffies - pool->demand_stamp) / SA_TICK;
	unsigned long share, given = 0;
	struct sa_pool_node *node;
	unsigned int nr = 0;
	u64 sum = 0;
	enum sa_size_class class;
	int nid;

	pool->demand_stamp += ticks * SA_TICK;
	for (class = 0; class < SA_NR_CLASSES; class++)
		WRITE_ONCE(pool->class_weight[class],
			   sa_demand_decay(pool->class_weight[class], ticks) +
			   atomic_long_xchg(&pool->class_demand[class], 0));
	for_each_node(nid) {
		node = pool->nodes[nid];
		WRITE_ONCE(node->weight,
			   sa_demand_decay(node->weight, ticks) +
			   atomic_long_xchg(&node->demand, 0));
		if (node_state(nid, N_MEMORY)) {
			sum += node->weight;
			nr++;
		}
	}
	if (!nr)
		return;
	for_each_node_state(nid, N_MEMORY) {
		node = pool->nodes[nid];
		share = sum ? mul_u64_u64_div_u64(target, node->weight, sum) :
			      target / nr;
		WRITE_ONCE(node->target, share);
		given += share;
	}
	for_each_node_state(nid, N_MEMORY) {
		node = pool->nodes[nid];
		if (given >= target)
			break;
		if (sum && !node->weight)
			continue;
		WRITE_ONCE(node->target, node->target + 1);
		given++;
	}
}

/**
 * sa_pool_small_share() - the part of a node's share to stage in 4 KiB
 * @pool: the pool
 * @node: the node, its &sa_pool_node.target set by sa_pool_split_target()
 *
 * The rule: in proportion to the pages the group's recent first touches
 * took in 4 KiB against those they took in 2 MiB (sa_pool_note_demand(),
 * decayed as the node split's demand). A fault takes a staged folio of its
 * own size first: a 2 MiB block staged for a 4 KiB fault is split for it
 * (pool.c), which costs no zeroing but holds the other 511 pages in 4 KiB
 * from then on, and a 4 KiB page staged for a 2 MiB fault is no hit at
 * all (mem.c allocates 2 MiB rather than map 512 small pages). Recent
 * demand by size is the best estimate of the next faults' sizes for the
 * same reason as the node split's: what decides a fault's size (the
 * mappings' alignment and THP settings, the density verdict, ranges left
 * partly populated by discards, which a VM re-touches in 4 KiB after
 * free page reporting or a balloon) changes slowly compared with a tick.
 * With no recent demand it says nothing: returns -1, and the refill keeps
 * its rule for that case (2 MiB where the operator and the density allow).
 *
 * Return: the node's 4 KiB share in pages, or -1 if no demand is recorded.
 */
long sa_pool_small_share(struct sa_pool *pool, struct sa_pool_node *node)
{
	unsigned long small = READ_ONCE(pool->class_weight[SA_CLASS_4K]);
	unsigned long sum = small + READ_ONCE(pool->class_weight[SA_CLASS_2M]);

	if (!sum)
		return -1;
	return mul_u64_u64_div_u64(READ_ONCE(node->target), small, sum);
}

/* Decay demand from now on: a pool initialised or enabled. */
void sa_demand_reset(struct sa_pool *pool)
{
	pool->demand_stamp = jiffies;
}
