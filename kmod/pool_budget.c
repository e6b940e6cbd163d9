// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: the zeroing budget, how fast a staging pool's refill may
 * zero pages.
 *
 * Zeroing is CPU time taken from the host for a bet on the future: a
 * per-group token bucket bounds it (SHADOWALLOC_POOL_SET_ZERO_BUDGET sets
 * the rate), so staging a large guest cannot take a host CPU away from the
 * vCPUs. The refill asks before every folio and pays after
 * (sa_zero_budget_ok(), sa_zero_budget_charge()). The bucket is the
 * refill worker's alone (sa_pool_start() refills it before the worker can
 * run), so it needs no lock.
 */
#include <linux/build_bug.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/sizes.h>
#include <linux/time64.h>
#include <linux/workqueue.h>

#include "pool.h"

/*
 * The default zeroing budget: 1 GiB/s (262144 pages/s) per group. Clearing
 * memory runs at roughly 10 GiB/s on one current x86 core, so this is
 * about a tenth of a core: a group can stage a 4 GiB guest's memory in
 * four seconds without the refill taking a host CPU away from the vCPUs.
 * Operators change it per group (SHADOWALLOC_POOL_SET_ZERO_BUDGET).
 */
#define SA_ZERO_BUDGET_DEFAULT	(SZ_1G >> PAGE_SHIFT)
static_assert((SA_ZERO_BUDGET_DEFAULT) >= SHADOWALLOC_ZERO_BUDGET_MIN &&
	      (SA_ZERO_BUDGET_DEFAULT) <= SHADOWALLOC_ZERO_BUDGET_MAX);

/*
 * The zeroing budget: a token bucket of zero_pages_per_sec pages a
 * second, one tick's worth deep (SHADOWALLOC_TICK_MS). The forecaster
 * moves the target once a tick, so one tick's worth lets the refill answer
 * a new target at once, while over any window of t seconds the refill
 * zeroes at most budget * t + one tick's worth (+ one folio, see below):
 * a deeper bucket would let an idle pool zero a long burst at full speed,
 * the CPU the budget exists to bound. A folio is allowed while the bucket
 * holds anything and its pages are charged after: a 2 MiB folio may take
 * the bucket below zero (at the lowest budget one costs two seconds' worth,
 * more than the bucket holds), paid back before the next.
 */
static s64 sa_zero_depth(u64 rate)
{
	return (s64)max_t(u64, div_u64(rate * SHADOWALLOC_TICK_MS, MSEC_PER_SEC),
			  1) * NSEC_PER_SEC;
}

/* Reset the bucket to full (a pool being enabled). */
void sa_zero_budget_reset(struct sa_pool *pool)
{
	pool->zero_tokens = sa_zero_depth(READ_ONCE(pool->zero_pages_per_sec));
	pool->zero_stamp_ns = ktime_get_ns();
}

/*
 * May the refill zero another folio now? If not, *@delay is how long, in
 * jiffies, until it may.
 */
bool sa_zero_budget_ok(struct sa_pool *pool, unsigned long *delay)
{
	u64 rate = READ_ONCE(pool->zero_pages_per_sec);
	s64 depth = sa_zero_depth(rate);
	u64 now = ktime_get_ns(), elapsed = now - pool->zero_stamp_ns;

	pool->zero_stamp_ns = now;
	if (pool->zero_tokens >= depth ||
	    elapsed >= div64_u64(depth - pool->zero_tokens, rate))
		pool->zero_tokens = depth;
	else
		pool->zero_tokens += (s64)(elapsed * rate);
	if (pool->zero_tokens > 0)
		return true;
	*delay = nsecs_to_jiffies(div64_u64(1 - pool->zero_tokens + rate - 1,
					    rate)) + 1;
	return false;
}

/* Pay for @pages just zeroed, and count them. */
void sa_zero_budget_charge(struct sa_pool *pool, unsigned long pages)
{
	pool->zero_tokens -= (s64)pages * NSEC_PER_SEC;
	atomic64_add(pages, &pool->zeroed_pages);
}

/**
 * sa_pool_set_zero_budget() - change the refill's zeroing budget
 * @pool: the pool
 * @pages_per_sec: pages the refill may zero per second,
 *	SHADOWALLOC_ZERO_BUDGET_MIN..SHADOWALLOC_ZERO_BUDGET_MAX
 *
 * A refill waiting for budget runs again now, so a higher budget applies
 * at once. Caller holds sa_registry_lock (serialised against
 * sa_pool_stop()).
 */
void sa_pool_set_zero_budget(struct sa_pool *pool, unsigned int pages_per_sec)
{
	WRITE_ONCE(pool->zero_pages_per_sec, pages_per_sec);
	if (READ_ONCE(pool->enabled))
		mod_delayed_work(system_unbound_wq, &pool->refill_work, 0);
}

/* A new pool's budget: the default rate. */
void sa_zero_budget_init(struct sa_pool *pool)
{
	pool->zero_pages_per_sec = SA_ZERO_BUDGET_DEFAULT;
}
