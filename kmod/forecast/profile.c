// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc forecaster: launch profiles. A group's VMs tend to be
 * launches of the same thing: what one launch first-touched by each age
 * (ticks since its first fault) is what the next will need by that age.
 * The profile is the mean cumulative demand by age over the last
 * launches; a launch is expected to need what the profile adds over the
 * next ticks, plus what it is behind the profile; a launch created but not
 * touched yet, the profile's first ticks.
 * Documentation/forecast.rst describes it.
 *
 * Pure C, built into the module and into userspace (see internal.h).
 */
#include "internal.h"

/* Cumulative pages are clamped here: fixed point stays below 2^57. */
#define SA_FORECAST_PROFILE_PAGES_MAX	(1ULL << 40)

static u64 sa_forecast_profile_pages(u64 total)
{
	return total < SA_FORECAST_PROFILE_PAGES_MAX ? total :
	       SA_FORECAST_PROFILE_PAGES_MAX;
}

/* One age of the profile takes a launch's cumulative @total pages. */
static void sa_forecast_profile_learn_age(struct sa_forecast_profile *p, u32 a,
					  u64 total)
{
	u32 n = p->seen[a] < SA_FORECAST_PROFILE_MEMORY ? p->seen[a] + 1 :
		SA_FORECAST_PROFILE_MEMORY;
	s64 x = (s64)(sa_forecast_profile_pages(total) << SA_FORECAST_SHIFT);
	s64 cur = (s64)p->cum[a];

	cur += sa_forecast_mul(x - cur, (u32)(SA_FORECAST_ONE / n));
	p->cum[a] = (u64)sa_forecast_clamp(cur, 0, (s64)(SA_FORECAST_PROFILE_PAGES_MAX <<
							 SA_FORECAST_SHIFT));
	p->seen[a] = (u8)n;
	if (a >= p->ages)
		p->ages = a + 1;
}

/**
 * sa_forecast_profile_learn() - learn from one launch's tick
 * @p: the profile
 * @l: the launch, @l->total counting this tick's pages
 *
 * The mean over the launches that reached this age, up to the last
 * SA_FORECAST_PROFILE_MEMORY of them (gain 1/n, then 1/MEMORY): the
 * first launch sets the profile, the next ones average into it, and a
 * group whose workload changes follows within a few launches. A launch
 * whose age skipped ticks no launch had reached (a forecast tick that ran
 * late) fills them with what it had before this tick, so the profile
 * stays whole from age 0.
 */
void sa_forecast_profile_learn(struct sa_forecast_profile *p,
			       const struct sa_forecast_launch *l)
{
	u32 a;

	if (!l->total || l->age >= SA_FORECAST_PROFILE_AGES)
		return;
	if (!l->age && p->launches != ~0ULL)
		p->launches++;
	for (a = p->ages; a < l->age; a++)
		sa_forecast_profile_learn_age(p, a, l->total - l->pages);
	sa_forecast_profile_learn_age(p, l->age, l->total);
}

/**
 * sa_forecast_profile_knows() - does an earlier launch tell about an age?
 * @p: the profile
 * @age: ticks since a launch began
 *
 * Return: true if a launch reached @age: a launch's demand at that age is
 * the profile's to forecast, not the background's.
 */
bool sa_forecast_profile_knows(const struct sa_forecast_profile *p, u32 age)
{
	return age < p->ages;
}

/* The profile's cumulative pages by @age, the oldest known for older. */
static u64 sa_forecast_profile_cum(const struct sa_forecast_profile *p, u64 age)
{
	if (age >= p->ages)
		age = p->ages - 1;
	return (p->cum[age] + SA_FORECAST_ONE / 2) >> SA_FORECAST_SHIFT;
}

/*
 * Where a launch that took @took pages is on the profile by progress: the
 * first age by which the profile had taken as many. Cumulative means are
 * near enough monotone for a bisection.
 */
static u32 sa_forecast_profile_progress(const struct sa_forecast_profile *p,
					u64 took)
{
	u32 lo = 0, hi = p->ages - 1, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (sa_forecast_profile_cum(p, mid) >= took)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/**
 * sa_forecast_profile_need() - pages a launch will want within some ticks
 * @p: the profile
 * @l: the launch
 * @k: ticks ahead, at least 1
 * @align: SA_FORECAST_ALIGN_AGE or SA_FORECAST_ALIGN_PROGRESS
 *
 * A launch not touched yet: the profile's first @k ticks (its first fault
 * may come with the next tick). A running one: what the profile adds
 * from its age to age + @k, plus what it is behind the profile, up to as
 * much again: a launch running late catches up, at most at twice the
 * profile's pace (one that is far behind is not like the others and
 * stages its backlog only as it shows it); one running early goes on at
 * the profile's pace rather than waiting for the profile to catch up.
 * Placed by progress instead: the profile from the age at which it had
 * taken what the launch took, on to @k ticks later, less what the launch
 * took: a launch running at another speed than the profile's is where its
 * pages say, not where its clock says.
 *
 * Return: pages; 0 if no launch got older (or further) than @l.
 */
u64 sa_forecast_profile_need(const struct sa_forecast_profile *p,
			     const struct sa_forecast_launch *l, u32 k,
			     u32 align)
{
	u64 now, took, then, inc, behind;

	if (!l->total)
		return p->ages ? sa_forecast_profile_cum(p, k - 1) : 0;
	if (align == SA_FORECAST_ALIGN_PROGRESS) {
		took = sa_forecast_profile_pages(l->total);
		if (!p->ages || took >= sa_forecast_profile_cum(p, p->ages - 1))
			return 0;
		then = sa_forecast_profile_cum(p, (u64)sa_forecast_profile_progress(p, took) + k);
		return then > took ? then - took : 0;
	}
	if (l->age + 1 >= p->ages)
		return 0;
	now = sa_forecast_profile_cum(p, l->age);
	then = sa_forecast_profile_cum(p, (u64)l->age + k);
	took = sa_forecast_profile_pages(l->total);
	/* the mean of cumulative sums of different launches may dip */
	inc = then > now ? then - now : 0;
	behind = now > took ? now - took : 0;
	return inc + (behind < inc ? behind : inc);
}
