// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc forecaster: the density of a VM's 2 MiB guest-physical
 * regions, whether it uses them whole, which decides the fault path's and
 * the pool's block size. (A stride predictor of the next region used to
 * live here; nothing placed pages by it, so it went.)
 * Documentation/forecast.rst describes it.
 *
 * Pure C, built into the module and into userspace (see internal.h).
 */
#include "internal.h"

/* Region size of the where-predictor: 2 MiB = 512 pages of 4 KiB. */
#define SA_FORECAST_REGION_SHIFT	21
#define SA_FORECAST_REGION_PAGES	512
/* Gain of the density EWMA: the last 4 regions or so count. */
#define SA_FORECAST_DENSE_GAIN	(SA_FORECAST_ONE / 4)

/**
 * sa_forecast_where_init() - start a where-predictor with no history
 * @w: the predictor
 *
 * Density starts at 0: 4 KiB blocks until regions are seen filled, since a
 * wrong 2 MiB guess stages 511 pages that may never be touched.
 */
void sa_forecast_where_init(struct sa_forecast_where *w)
{
	memset(w, 0, sizeof(*w));
}

/**
 * sa_forecast_where_observe() - feed one mapping
 * @w: the predictor
 * @gpa: guest-physical address of the mapping
 * @pages: 4 KiB pages it maps (1, 512 for 2 MiB; 0 is taken as 1)
 *
 * Pages in the current 2 MiB region count towards its density; the first
 * mapping in another region closes the current one (its share of 512
 * pages goes into the density EWMA).
 * A mapping over several regions (1 GiB) makes the last of them current,
 * full: the regions inside it are dense.
 */
void sa_forecast_where_observe(struct sa_forecast_where *w, u64 gpa, u32 pages)
{
	u64 region = gpa >> SA_FORECAST_REGION_SHIFT;
	u64 last = (gpa + ((u64)(pages ? pages : 1) << 12) - 1) >>
		   SA_FORECAST_REGION_SHIFT;
	u32 done;

	if (!pages)
		pages = 1;
	/* pages_in_region is 0 only before the first mapping */
	if (w->pages_in_region && region == w->last_region) {
		done = w->pages_in_region + pages;
		w->pages_in_region = done < SA_FORECAST_REGION_PAGES ?
				     done : SA_FORECAST_REGION_PAGES;
		if (last != region) {
			w->last_region = last;
			w->pages_in_region = SA_FORECAST_REGION_PAGES;
		}
		return;
	}
	if (w->pages_in_region) {
		done = w->pages_in_region;
		if (w->nr_regions != ~0U)
			w->nr_regions++;
		w->dense += sa_forecast_mul(((s64)done << SA_FORECAST_SHIFT) /
				      SA_FORECAST_REGION_PAGES - w->dense,
				      SA_FORECAST_DENSE_GAIN);
		w->dense = sa_forecast_clamp(w->dense, 0, SA_FORECAST_ONE);
	}
	w->last_region = last;
	w->pages_in_region = last != region || pages >= SA_FORECAST_REGION_PAGES ?
			     SA_FORECAST_REGION_PAGES : pages;
}

/**
 * sa_forecast_where_huge() - would 2 MiB blocks be used whole?
 * @w: the predictor
 *
 * Return: true if recent regions had at least half their pages touched.
 */
bool sa_forecast_where_huge(const struct sa_forecast_where *w)
{
	return w->dense >= SA_FORECAST_ONE / 2;
}
