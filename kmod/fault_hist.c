// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: the fault service-time histogram of a group, per class
 * (4 KiB or 2 MiB, hit or miss), and GROUP_FAULT_HIST, which reads it.
 *
 * GET_STATS sums service times, which gives means; an operator judging a
 * pool needs the tail (p99) too, and a mean hides it. The fault path adds
 * one to a per-CPU counter: no lock, no atomic, no allocation. Buckets are
 * log-linear (HdrHistogram's layout with 2^SA_HIST_SUB_SHIFT linear
 * buckets per power of two): 90 counters per class cover 256 ns to 1 s
 * with a bucket's upper bound at most 1.25 times its lower, so a
 * percentile interpolated within its bucket is off by under 25 % (under
 * 20 % in three of every four buckets). The layout goes to userspace with
 * the counts, so tools compute the bounds instead of hardcoding them.
 * Beside the buckets, each class's summed service time: GET_STATS sums
 * hits and misses of both sizes together, and a class's mean (and a
 * Prometheus histogram's _sum) needs its own.
 */
#include <linux/bitops.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "registry.h"

#define SA_HIST_BYTES	(SHADOWALLOC_FAULT_CLASSES * SA_HIST_BUCKETS * \
			 sizeof(u64))

static_assert(sizeof(struct shadowalloc_fault_hist) ==
	      SHADOWALLOC_FAULT_HIST_SIZE_VER0);
static_assert(SHADOWALLOC_FAULT_CLASSES ==
	      ARRAY_SIZE(((struct shadowalloc_fault_hist *)0)->count));

/**
 * sa_fault_hist_alloc() - give a new group an empty histogram
 * @group: the group being created
 *
 * Return: 0 or -ENOMEM.
 */
int sa_fault_hist_alloc(struct sa_group *group)
{
	group->fault_hist = alloc_percpu(struct sa_fault_hist);
	return group->fault_hist ? 0 : -ENOMEM;
}

/**
 * sa_fault_hist_free() - free a group's histogram
 * @group: the group, unpublished and past its grace period
 */
void sa_fault_hist_free(struct sa_group *group)
{
	free_percpu(group->fault_hist);
	group->fault_hist = NULL;
}

/* The bucket of a service time of @ns nanoseconds. */
static unsigned int sa_fault_hist_bucket(u64 ns)
{
	unsigned int p;

	if (ns < BIT_ULL(SA_HIST_FIRST_SHIFT))
		return 0;
	if (ns >= BIT_ULL(SA_HIST_LAST_SHIFT))
		return SA_HIST_BUCKETS - 1;
	p = fls64(ns) - 1;
	return 1 + ((p - SA_HIST_FIRST_SHIFT) << SA_HIST_SUB_SHIFT) +
	       ((ns >> (p - SA_HIST_SUB_SHIFT)) &
		(BIT(SA_HIST_SUB_SHIFT) - 1));
}

/**
 * sa_fault_hist_account() - count one first touch in its group's histogram
 * @group: the group whose pool served or missed it; the caller holds RCU
 * @hit: served from the pool
 * @huge: with a 2 MiB folio
 * @ns: its service time, as GET_STATS sums it
 *
 * Called from the fault path (mem.c, sa_fault_account()): one per-CPU
 * increment and one per-CPU add, no lock.
 */
void sa_fault_hist_account(struct sa_group *group, bool hit, bool huge,
			   u64 ns)
{
	unsigned int class = huge ? (hit ? SHADOWALLOC_FAULT_2M_HIT :
				     SHADOWALLOC_FAULT_2M_MISS) :
				    (hit ? SHADOWALLOC_FAULT_4K_HIT :
				     SHADOWALLOC_FAULT_4K_MISS);

	this_cpu_inc(group->fault_hist->buckets[class][sa_fault_hist_bucket(ns)]);
	this_cpu_add(group->fault_hist->sum_ns[class], ns);
}

/* Sum every CPU's histogram of @group into @sum; no lock, as GET_STATS. */
static void sa_fault_hist_sum(struct sa_group *group, struct sa_fault_hist *sum)
{
	unsigned int c, b;
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		struct sa_fault_hist *h = per_cpu_ptr(group->fault_hist, cpu);

		for (c = 0; c < SHADOWALLOC_FAULT_CLASSES; c++) {
			for (b = 0; b < SA_HIST_BUCKETS; b++)
				sum->buckets[c][b] += h->buckets[c][b];
			sum->sum_ns[c] += h->sum_ns[c];
		}
	}
}

/**
 * sa_group_fault_hist() - GROUP_FAULT_HIST: a group's histogram
 * @arg: the validated argument (size, flags, group_id, buf_len, buckets
 *	read); the layout, the counts and buf_len are filled in
 * @privileged: the caller has CAP_SYS_ADMIN; otherwise it may only read
 *	the group its own process is a member of
 * @ubuckets: where the counts go (@arg->buckets), or NULL for the layout
 *	only
 *
 * The sums are taken under sa_registry_lock, so the group cannot go away
 * meanwhile, and copied to the caller after it is dropped: a caller's
 * buffer that faults must not fault with the registry locked.
 *
 * Return: 0, -EINVAL (an invalid group id; @ubuckets NULL with a non-zero
 * buf_len), -EPERM (not privileged and not a member), -ENOENT (no such
 * group), -ENOSPC (buf_len below the bytes needed: buf_len is set to
 * them), -ENOMEM, -EFAULT.
 */
int sa_group_fault_hist(struct shadowalloc_fault_hist *arg, bool privileged,
			void __user *ubuckets)
{
	struct sa_fault_hist *sum;
	struct sa_group *group;
	unsigned int c, b;
	int ret = 0;

	if (!sa_group_id_valid(arg->group_id))
		return -EINVAL;
	if (!ubuckets && arg->buf_len)
		return -EINVAL;
	if (!privileged && !sa_current_in_group(arg->group_id))
		return -EPERM;
	if (ubuckets && arg->buf_len < SA_HIST_BYTES) {
		/* As MODEL_EXPORT: say what it takes (dev.c copies it out). */
		ret = -ENOSPC;
	}

	sum = kmalloc(sizeof(*sum), GFP_KERNEL);
	if (!sum)
		return -ENOMEM;
	group = sa_registry_lock_group(arg->group_id);
	if (IS_ERR(group)) {
		ret = PTR_ERR(group);
		goto out_free;
	}
	sa_fault_hist_sum(group, sum);
	mutex_unlock(&sa_registry_lock);

	arg->buf_len = SA_HIST_BYTES;
	if (ret)
		goto out_free;
	arg->nr_classes = SHADOWALLOC_FAULT_CLASSES;
	arg->nr_buckets = SA_HIST_BUCKETS;
	arg->first_shift = SA_HIST_FIRST_SHIFT;
	arg->sub_shift = SA_HIST_SUB_SHIFT;
	arg->last_shift = SA_HIST_LAST_SHIFT;
	for (c = 0; c < SHADOWALLOC_FAULT_CLASSES; c++) {
		for (b = 0; b < SA_HIST_BUCKETS; b++)
			arg->count[c] += sum->buckets[c][b];
		arg->sum_ns[c] = sum->sum_ns[c];
	}
	if (ubuckets && copy_to_user(ubuckets, sum->buckets, SA_HIST_BYTES))
		ret = -EFAULT;
out_free:
	kfree(sum);
	return ret;
}

/* Lower bound in ns of bucket @b. */
static u64 sa_fault_hist_lower(unsigned int b)
{
	unsigned int j, p;

	if (!b)
		return 0;
	if (b == SA_HIST_BUCKETS - 1)
		return BIT_ULL(SA_HIST_LAST_SHIFT);
	j = b - 1;
	p = SA_HIST_FIRST_SHIFT + (j >> SA_HIST_SUB_SHIFT);
	return BIT_ULL(p) + ((u64)(j & (BIT(SA_HIST_SUB_SHIFT) - 1)) <<
			     (p - SA_HIST_SUB_SHIFT));
}

/**
 * sa_fault_hist_show() - a group's histogram in debugfs
 * @m: the seq_file of debugfs's "fault_hist"
 * @group: the group; the caller holds sa_registry_lock
 *
 * One line per class: "group ID CLASS count N sum_ns NS" then
 * "LOWER_NS:COUNT" for every non-empty bucket.
 */
void sa_fault_hist_show(struct seq_file *m, struct sa_group *group)
{
	static const char *const names[SHADOWALLOC_FAULT_CLASSES] = {
		[SHADOWALLOC_FAULT_4K_HIT] = "4k_hit",
		[SHADOWALLOC_FAULT_4K_MISS] = "4k_miss",
		[SHADOWALLOC_FAULT_2M_HIT] = "2m_hit",
		[SHADOWALLOC_FAULT_2M_MISS] = "2m_miss",
	};
	struct sa_fault_hist *sum;
	unsigned int c, b;
	u64 count;

	sum = kmalloc(sizeof(*sum), GFP_KERNEL);
	if (!sum)
		return;
	sa_fault_hist_sum(group, sum);
	for (c = 0; c < SHADOWALLOC_FAULT_CLASSES; c++) {
		count = 0;
		for (b = 0; b < SA_HIST_BUCKETS; b++)
			count += sum->buckets[c][b];
		seq_printf(m, "group %u %s count %llu sum_ns %llu", group->id,
			   names[c], count, sum->sum_ns[c]);
		for (b = 0; b < SA_HIST_BUCKETS; b++)
			if (sum->buckets[c][b])
				seq_printf(m, " %llu:%llu",
					   sa_fault_hist_lower(b),
					   sum->buckets[c][b]);
		seq_putc(m, '\n');
	}
	kfree(sum);
}
