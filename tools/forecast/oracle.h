/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The oracle staging plan of sa_replay: oracle.c.
 */
#ifndef SA_REPLAY_ORACLE_H
#define SA_REPLAY_ORACLE_H

#include <stdint.h>

/*
 * oracle_plan() - pages to stage at each tick's refill, knowing the future
 * @demand:	pages first-touched in each tick, @n ticks
 * @n:		ticks of the trace
 * @refill:	most pages staged per tick (UINT64_MAX: no limit)
 * @age:	ticks a staged page stays usable (>= 1): a page staged at the
 *		refill of tick s serves faults of ticks s .. s + @age - 1
 * @plan:	out, @n entries: pages to stage at the refill of each tick
 *
 * Returns the number of faults the plan serves from the pool (the most
 * any plan within @refill and @age can serve); every planned page is used.
 * Needs 8 bytes per tick of scratch memory; returns UINT64_MAX if that
 * cannot be allocated.
 */
uint64_t oracle_plan(const uint32_t *demand, uint64_t n, uint64_t refill,
		     uint64_t age, uint64_t *plan);

#endif
