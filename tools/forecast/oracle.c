// SPDX-License-Identifier: GPL-2.0
/*
 * The oracle of sa_replay: the staging plan of a policy that knows every
 * future tick's demand, under the same pool model as the other policies
 * (sa_replay.c, replay()): the limit they are measured against.
 *
 * The pool model, per tick t (A = max age in ticks, L = refill limit):
 *   1. pages staged at the refill of a tick s <= t - A are evicted unused;
 *   2. the refill stages r_t <= L pages;
 *   3. the tick's d_t faults take staged pages, oldest first (hits); the
 *      rest miss.
 * So a fault of tick t can only be served by a page staged at a refill s
 * in its window W_t = [t - A + 1, t], and a plan is r_0 .. r_{n-1} with
 * 0 <= r_s <= L. Memory held (sum over ticks of the pages staged after the
 * refill and before the faults) counts a page staged at s and used at t in
 * t - s + 1 ticks; a page never used would count A ticks and be waste.
 *
 * What the oracle wants: first the most hits, then, among the plans with
 * that many hits, the least memory held, i.e. every page staged as late as
 * it can be.
 *
 * Derivation.
 *  - Hits as a matching. Give each refill s L slots; a plan's hits are a
 *    matching of fault pages to slots, a fault of tick t taking a slot of
 *    W_t. Conversely, staging at each s as many pages as a matching puts
 *    there makes the pool model serve at least as many: every page lives
 *    exactly A ticks, so the oldest page is the one evicted first, and
 *    handing out the oldest first to every fault that comes (a fault that
 *    misses is served on the spot, it cannot wait) is the usual exchange
 *    argument: any page kept back for a later fault can be swapped for the
 *    one given now. Most hits = largest matching.
 *  - The backward sweep. All windows have the same length, so sorting
 *    them by start sorts them by end. Sweep the refills from the last tick
 *    down to the first. At refill s the faults still unserved of ticks
 *    t in [s, s + A - 1] can use it; the one with the largest t has its
 *    last chance soonest (at refill t - A + 1), so serve the pending faults
 *    largest t first, up to L pages. This is earliest-deadline-first in
 *    reversed time, which for unit jobs and a capacity per slot serves the
 *    most jobs: faults of tick t still pending once the sweep has passed
 *    refill t - A + 1 are misses no plan within L and A avoids.
 *  - As late as possible. The sweep fills each refill with everything the
 *    pending demand lets it take, latest refill first, so every page is
 *    staged at the latest refill a plan with the most hits can use, and
 *    no page is staged that is not used (no waste): the least memory
 *    held. (Checked against every plan by brute force: the most hits, then
 *    the least memory held, over every r in [0, L]^n, on 3300 random
 *    series of up to 8 ticks with L <= 3 and A <= 5, and on 400 more
 *    replayed through sa_replay itself: the same in every case.)
 *  - The pending faults in largest-t-first order are a FIFO: ticks enter
 *    the sweep in decreasing order, so the queue's head is the largest t
 *    and its expired entries are at the head too. O(n) time, each tick
 *    queued and dequeued once.
 *
 * Known answers (selftests/replay_test.sh checks them):
 *  - unlimited refill: a tick's demand is pending only at its own refill
 *    (the later ticks are served by theirs), so r_t = d_t: every fault
 *    hits, the mean staged pages are the mean demand per tick and a hit
 *    holds its page one tick (0.1 page-seconds);
 *  - a burst of B pages at tick k, nothing around it, L < B and
 *    A >= ceil(B / L): refills k, k - 1, ... stage L each, the earliest
 *    the remainder B - (ceil(B / L) - 1) * L; staging starts
 *    ceil(B / L) - 1 ticks before the burst, and the pool after the refill
 *    of tick k - j holds B - j * L pages;
 *  - the same with A < ceil(B / L): only the refills k - A + 1 .. k can
 *    serve the burst: A * L hits, B - A * L misses;
 *  - the trace begins at its first row: a burst sooner than its lead time
 *    after that misses what could only have been staged before it.
 *
 * The horizon plays no part: the oracle looks ahead at most A - 1 ticks
 * from a refill, because a page staged earlier than that ages out.
 */
#include <stdlib.h>

#include "oracle.h"

uint64_t oracle_plan(const uint32_t *demand, uint64_t n, uint64_t refill,
		     uint64_t age, uint64_t *plan)
{
	uint32_t *rem, *queue;	/* faults of each tick not yet served; FIFO */
	uint64_t s, head = 0, tail = 0, hits = 0, room, take;

	rem = malloc(n * sizeof(*rem));
	queue = malloc(n * sizeof(*queue));
	if (!rem || !queue) {
		free(rem);
		free(queue);
		return UINT64_MAX;
	}
	for (s = n; s-- > 0;) {
		/* tick t's last refill was t - age + 1: the rest of it misses */
		while (head < tail && queue[head] - s >= age)
			head++;
		plan[s] = 0;
		if (demand[s]) {
			rem[s] = demand[s];
			queue[tail++] = (uint32_t)s;
		}
		/* latest tick first, as much as the refill limit lets through */
		for (room = refill; room && head < tail;) {
			uint32_t t = queue[head];

			take = rem[t] < room ? rem[t] : room;
			rem[t] -= (uint32_t)take;
			room -= take;
			plan[s] += take;
			hits += take;
			if (!rem[t])
				head++;
		}
	}
	free(rem);
	free(queue);
	return hits;
}
