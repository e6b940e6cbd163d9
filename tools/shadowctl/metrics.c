// SPDX-License-Identifier: GPL-2.0
/*
 * shadowctl metrics: every group's stats in the Prometheus text exposition
 * format (version 0.0.4), for node_exporter's textfile collector:
 *
 *	shadowctl metrics > DIR/shadowalloc.prom.$$ &&
 *		mv DIR/shadowalloc.prom.$$ DIR/shadowalloc.prom
 *
 * Names follow Prometheus's conventions: a shadowalloc_ prefix, base units
 * in the name (_seconds, _bytes, _pages: 4 KiB pages, the module's unit),
 * counters end in _total, ratios in 0..1 end in _ratio. Every sample has a
 * group="ID" label; where the module splits a count by block size, the
 * size="4k" and size="2m" samples add up to the whole. The output is built
 * whole before it is printed: a failure prints nothing on stdout, so a
 * half-written scrape never replaces a good one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libshadowalloc.h"
#include "shadowctl.h"

/* How a stats field becomes a sample value. */
enum conv {
	RAW,		/* a count as it is */
	NS,		/* ns -> seconds */
	MS,		/* ms -> seconds */
	PERMILLE,	/* per 1000 -> ratio */
	TICKS,		/* forecast ticks -> seconds */
	ENABLED,	/* state bit -> 0/1 */
	HUGE,		/* state bit -> 0/1 */
};

/**
 * struct family - one metric family
 * @name: its name (counters with _total)
 * @type: "counter" or "gauge"
 * @help: its HELP text
 * @off: offset of the field in struct shadowalloc_stats
 * @u32: the field is a __u32 (else __u64)
 * @conv: how the value is converted
 * @huge_off: non-zero: offset of the field's 2 MiB part; the family is
 *	split by size="4k" (the rest) and size="2m"
 * @huge_mul: the 2 MiB part is in these units of the field (512 when a
 *	count of 2 MiB blocks splits a count of 4 KiB pages)
 */
struct family {
	const char *name, *type, *help;
	size_t off;
	bool u32;
	enum conv conv;
	size_t huge_off;
	unsigned int huge_mul;
};

#define F64(f)	offsetof(struct shadowalloc_stats, f), false
#define F32(f)	offsetof(struct shadowalloc_stats, f), true

static const struct family families[] = {
	{ "shadowalloc_group_enabled", "gauge",
	  "1 if shadowing (telemetry, forecast, staging) is enabled for the group",
	  F32(state), ENABLED, 0, 0 },
	{ "shadowalloc_group_huge", "gauge",
	  "1 if the group's pool stages 2 MiB blocks",
	  F32(state), HUGE, 0, 0 },
	{ "shadowalloc_group_vms", "gauge", "Member VMs of the group",
	  F32(nr_vms), RAW, 0, 0 },
	{ "shadowalloc_group_max_vms", "gauge", "Member limit of the group",
	  F32(max_vms), RAW, 0, 0 },
	{ "shadowalloc_horizon_seconds", "gauge", "Prediction horizon",
	  F32(horizon_ms), MS, 0, 0 },
	{ "shadowalloc_max_age_seconds", "gauge",
	  "Staged pages unused this long are released",
	  F32(max_age_ms), MS, 0, 0 },
	{ "shadowalloc_max_staged_bytes", "gauge", "Cap on staged memory",
	  F64(max_staged_bytes), RAW, 0, 0 },
	{ "shadowalloc_zero_budget_pages_per_second", "gauge",
	  "Zeroing budget of the pool's refill, in 4 KiB pages per second",
	  F32(zero_pages_per_sec), RAW, 0, 0 },
	{ "shadowalloc_faults_total", "counter",
	  "First-touch faults served for the group (hits + misses + raced)",
	  F64(faults), RAW, 0, 0 },
	{ "shadowalloc_hits_total", "counter",
	  "First-touch faults served from the staging pool, by block size",
	  F64(hits), RAW, offsetof(struct shadowalloc_stats, hits_huge), 1 },
	{ "shadowalloc_misses_total", "counter",
	  "First-touch faults that allocated and zeroed on the fault path",
	  F64(misses), RAW, 0, 0 },
	{ "shadowalloc_raced_total", "counter",
	  "First touches that lost the race to insert their page to another fault",
	  F64(raced), RAW, 0, 0 },
	{ "shadowalloc_hit_pages_total", "counter",
	  "4 KiB pages of the hits, by block size (a 2 MiB hit is 512)",
	  F64(hit_pages), RAW, offsetof(struct shadowalloc_stats, hits_huge),
	  512 },
	{ "shadowalloc_miss_pages_total", "counter", "4 KiB pages of the misses",
	  F64(miss_pages), RAW, 0, 0 },
	{ "shadowalloc_staged_pages", "gauge",
	  "Pre-zeroed 4 KiB pages waiting in the pool now, by block size",
	  F64(staged_pages), RAW,
	  offsetof(struct shadowalloc_stats, staged_huge_pages), 1 },
	{ "shadowalloc_staging_target_pages", "gauge",
	  "Pool size the refill worker aims at, in 4 KiB pages",
	  F64(staging_target_pages), RAW, 0, 0 },
	{ "shadowalloc_reserved_pages", "gauge",
	  "Outstanding staging reservation, in 4 KiB pages",
	  F64(reserved_pages), RAW, 0, 0 },
	{ "shadowalloc_reserve_shortfall_pages", "gauge",
	  "Part of the reservation not staged now, in 4 KiB pages",
	  F64(reserve_shortfall_pages), RAW, 0, 0 },
	{ "shadowalloc_pages_staged_total", "counter",
	  "4 KiB pages ever staged into the pool",
	  F64(staged_total), RAW, 0, 0 },
	{ "shadowalloc_pages_evicted_total", "counter",
	  "Staged 4 KiB pages released unused (ageing, shrinker, disable, cap)",
	  F64(evicted_pages), RAW, 0, 0 },
	{ "shadowalloc_pages_cap_evicted_total", "counter",
	  "Part of the evicted pages released because the cap was lowered",
	  F64(cap_evicted_pages), RAW, 0, 0 },
	{ "shadowalloc_pages_discard_returned_total", "counter",
	  "4 KiB pages VMs gave back by hole punch or shrinking ftruncate",
	  F64(discard_returned_pages), RAW, 0, 0 },
	{ "shadowalloc_pages_released_total", "counter",
	  "4 KiB pages freed with VMs' memory objects",
	  F64(released_pages), RAW, 0, 0 },
	{ "shadowalloc_pages_zeroed_total", "counter",
	  "4 KiB pages the refill worker allocated and zeroed off the fault path",
	  F64(zeroed_pages), RAW, 0, 0 },
	{ "shadowalloc_refill_zero_seconds_total", "counter",
	  "Time the refill worker spent allocating and zeroing",
	  F64(refill_zero_ns), NS, 0, 0 },
	{ "shadowalloc_pages_fault_zeroed_total", "counter",
	  "4 KiB pages allocated and zeroed on the fault path (the misses' pages)",
	  F64(fault_zeroed_pages), RAW, 0, 0 },
	{ "shadowalloc_refill_cpu_seconds_total", "counter",
	  "CPU time of the refill worker's runs (its own runtime, not wall time)",
	  F64(refill_cpu_ns), NS, 0, 0 },
	{ "shadowalloc_refill_runs_total", "counter",
	  "Refill worker runs",
	  F64(refill_runs), RAW, 0, 0 },
	{ "shadowalloc_pages_aged_out_total", "counter",
	  "Part of the evicted pages released by ageing (unused for the max age)",
	  F64(aged_out_pages), RAW, 0, 0 },
	{ "shadowalloc_pages_shrinker_evicted_total", "counter",
	  "Part of the evicted pages the shrinker took under memory pressure",
	  F64(shrinker_evicted_pages), RAW, 0, 0 },
	{ "shadowalloc_pages_evicted_unused_total", "counter",
	  "4 KiB pages zeroed for the pool and released unused (aged out + shrinker + cap)",
	  F64(evicted_unused_pages), RAW, 0, 0 },
	{ "shadowalloc_refill_throttled_total", "counter",
	  "Refill runs cut short by the zeroing budget",
	  F64(refill_throttled), RAW, 0, 0 },
	{ "shadowalloc_refill_backoffs_total", "counter",
	  "Refill runs cut short because memory was low",
	  F64(refill_backoffs), RAW, 0, 0 },
	{ "shadowalloc_hit_service_seconds_total", "counter",
	  "Fault service time of the hits",
	  F64(hit_service_ns), NS, 0, 0 },
	{ "shadowalloc_miss_service_seconds_total", "counter",
	  "Fault service time of the misses",
	  F64(miss_service_ns), NS, 0, 0 },
	{ "shadowalloc_time_saved_seconds_total", "counter",
	  "Estimated fault-path time the hits saved",
	  F64(time_saved_ns), NS, 0, 0 },
	{ "shadowalloc_hit_ratio", "gauge", "Hits per fault (hits + misses)",
	  F32(hit_rate_permille), PERMILLE, 0, 0 },
	{ "shadowalloc_hit_pages_ratio", "gauge",
	  "Hit pages per page faulted (page-weighted hit rate)",
	  F32(hit_rate_pages_permille), PERMILLE, 0, 0 },
	{ "shadowalloc_staging_utilisation_ratio", "gauge",
	  "Staged pages handed to VMs per page staged",
	  F32(utilisation_permille), PERMILLE, 0, 0 },
	{ "shadowalloc_forecast_pages", "gauge",
	  "The forecaster's staging target before the cap, in 4 KiB pages",
	  F64(forecast_pages), RAW, 0, 0 },
	{ "shadowalloc_forecast_abs_error_pages", "gauge",
	  "Absolute forecast error of the last completed window, in 4 KiB pages",
	  F64(forecast_abs_err_pages), RAW, 0, 0 },
	{ "shadowalloc_forecast_accuracy_ratio", "gauge",
	  "Overlap of window forecasts and demand, sum min / sum max",
	  F32(accuracy_permille), PERMILLE, 0, 0 },
	{ "shadowalloc_forecast_error_ratio", "gauge",
	  "Forecast error over all windows per page of demand",
	  F32(forecast_err_permille), PERMILLE, 0, 0 },
	{ "shadowalloc_forecast_naive_error_ratio", "gauge",
	  "The same for the last-value forecast, the baseline",
	  F32(naive_err_permille), PERMILLE, 0, 0 },
	{ "shadowalloc_forecast_windows_total", "counter",
	  "Completed horizon windows scored",
	  F64(forecast_windows), RAW, 0, 0 },
	{ "shadowalloc_staged_page_seconds_total", "counter",
	  "Memory held: staged 4 KiB pages integrated over time, in page-seconds",
	  F64(held_page_ticks), TICKS, 0, 0 },
	{ "shadowalloc_held_sampled_seconds_total", "counter",
	  "Time over which staged memory was sampled (mean staged pages = page-seconds / this)",
	  F64(held_ticks), TICKS, 0, 0 },
	{ "shadowalloc_telemetry_events_total", "counter",
	  "Telemetry events of the group's VMs that reached the module",
	  F64(events_seen), RAW, 0, 0 },
	{ "shadowalloc_telemetry_events_dropped_total", "counter",
	  "Telemetry events dropped (ring full)",
	  F64(events_dropped), RAW, 0, 0 },
};

static uint64_t field(const struct shadowalloc_stats *st, size_t off, bool u32)
{
	const char *p = (const char *)st + off;

	return u32 ? *(const uint32_t *)p : *(const uint64_t *)p;
}

/* One sample's value, printed as Prometheus parses it. */
static void value(FILE *o, const struct family *f, uint64_t v, uint32_t state)
{
	switch (f->conv) {
	case RAW:
		fprintf(o, "%" PRIu64 "\n", v);
		break;
	case NS:
		fprintf(o, "%" PRIu64 ".%09" PRIu64 "\n", v / 1000000000,
			v % 1000000000);
		break;
	case MS:
		fprintf(o, "%" PRIu64 ".%03" PRIu64 "\n", v / 1000, v % 1000);
		break;
	case PERMILLE:
		fprintf(o, "%" PRIu64 ".%03" PRIu64 "\n", v / 1000, v % 1000);
		break;
	case TICKS:
		v *= SHADOWALLOC_TICK_MS;
		fprintf(o, "%" PRIu64 ".%03" PRIu64 "\n", v / 1000, v % 1000);
		break;
	case ENABLED:
		fprintf(o, "%d\n", !!(state & SHADOWALLOC_STATE_ENABLED));
		break;
	case HUGE:
		fprintf(o, "%d\n", !!(state & SHADOWALLOC_STATE_HUGE));
		break;
	}
}

/* The metrics of @n groups (@ids, their stats @st) on @o. */
static void print_metrics(FILE *o, const uint32_t *ids,
			  const struct shadowalloc_stats *st, int n)
{
	unsigned int i;
	int g;

	fprintf(o, "# HELP shadowalloc_groups Trust groups reported here\n"
		"# TYPE shadowalloc_groups gauge\nshadowalloc_groups %d\n", n);
	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		const struct family *f = &families[i];

		fprintf(o, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help,
			f->name, f->type);
		for (g = 0; g < n; g++) {
			uint64_t v = field(&st[g], f->off, f->u32), huge;

			if (!f->huge_off) {
				fprintf(o, "%s{group=\"%u\"} ", f->name, ids[g]);
				value(o, f, v, st[g].state);
				continue;
			}
			huge = field(&st[g], f->huge_off, false) * f->huge_mul;
			/* The module counts both; a torn read never goes below 0. */
			fprintf(o, "%s{group=\"%u\",size=\"4k\"} ", f->name, ids[g]);
			value(o, f, v > huge ? v - huge : 0, st[g].state);
			fprintf(o, "%s{group=\"%u\",size=\"2m\"} ", f->name, ids[g]);
			value(o, f, huge, st[g].state);
		}
	}
}

/* Seconds of @ns as Prometheus parses them. */
static void seconds(FILE *o, uint64_t ns)
{
	fprintf(o, "%" PRIu64 ".%09" PRIu64, ns / 1000000000, ns % 1000000000);
}

/*
 * The fault service-time histograms of @n groups (@h; groups whose module
 * keeps none have no buckets) as one Prometheus histogram family, by
 * size="4k"|"2m" and result="hit"|"miss": cumulative buckets at each
 * module bucket's upper bound (le=, seconds), +Inf, _sum and _count.
 */
static void print_histograms(FILE *o, const uint32_t *ids,
			     const struct shadowalloc_hist *h, int n)
{
	static const char *const size[] = { "4k", "4k", "2m", "2m" };
	static const char *const result[] = { "hit", "miss", "hit", "miss" };
	const char *name = "shadowalloc_fault_service_seconds";
	uint64_t lo, hi, cum;
	uint32_t c, b;
	int g;

	fprintf(o, "# HELP %s First-touch fault service time, by block size and hit or miss\n"
		"# TYPE %s histogram\n", name, name);
	for (g = 0; g < n; g++) {
		const struct shadowalloc_fault_hist *l = &h[g].layout;

		if (!h[g].buckets)
			continue;
		for (c = 0; c < SHADOWALLOC_FAULT_CLASSES && c < l->nr_classes; c++) {
			const uint64_t *row = h[g].buckets + (size_t)c * l->nr_buckets;

			cum = 0;
			for (b = 0; b + 1 < l->nr_buckets; b++) {
				cum += row[b];
				shadowalloc_hist_bucket_bounds(l, b, &lo, &hi);
				fprintf(o, "%s_bucket{group=\"%u\",size=\"%s\",result=\"%s\",le=\"",
					name, ids[g], size[c], result[c]);
				seconds(o, hi);
				fprintf(o, "\"} %" PRIu64 "\n", cum);
			}
			cum += row[l->nr_buckets - 1];
			fprintf(o, "%s_bucket{group=\"%u\",size=\"%s\",result=\"%s\",le=\"+Inf\"} %"
				PRIu64 "\n", name, ids[g], size[c], result[c], cum);
			fprintf(o, "%s_sum{group=\"%u\",size=\"%s\",result=\"%s\"} ",
				name, ids[g], size[c], result[c]);
			seconds(o, l->sum_ns[c]);
			fprintf(o, "\n%s_count{group=\"%u\",size=\"%s\",result=\"%s\"} %"
				PRIu64 "\n", name, ids[g], size[c], result[c], cum);
		}
	}
}

static int cmp_id(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

#define OPT_CONFIG	(1U << 0)

/**
 * cmd_metrics() - shadowctl metrics [--config FILE] [ID...]
 * @argc: arguments after "metrics"
 * @argv: the arguments
 *
 * The groups: the IDs given, else those of --config FILE, else every group
 * on the host (the module's debugfs). A group listed by debugfs or the
 * file that no longer exists (destroyed meanwhile, or not created yet) is
 * left out; one named by ID must exist.
 *
 * Return: the exit status.
 */
int cmd_metrics(int argc, char **argv)
{
	static uint32_t ids[SHADOWALLOC_CFG_MAX_HOST_GROUPS];
	static struct shadowalloc_stats st[SHADOWALLOC_CFG_MAX_HOST_GROUPS];
	static struct shadowalloc_hist hist[SHADOWALLOC_CFG_MAX_HOST_GROUPS];
	const char *conf = NULL;
	unsigned int seen = 0;
	int i, n = 0, kept = 0, fd, ret;
	bool named = false;
	size_t len;
	char *text;
	FILE *o;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--config")) {
			conf = option_value(argc, argv, &i, &seen, OPT_CONFIG);
		} else if (argv[i][0] == '-' && argv[i][1]) {
			usage_error("unknown option '%s'", argv[i]);
		} else {
			if (n == SHADOWALLOC_CFG_MAX_HOST_GROUPS)
				usage_error("too many group ids");
			ids[n++] = parse_u64("group id", argv[i],
					     SHADOWALLOC_GROUP_ID_MIN,
					     SHADOWALLOC_GROUP_ID_MAX);
			named = true;
		}
	}
	if (named && conf)
		usage_error("--config and group ids exclude each other");
	if (conf) {
		ret = config_group_ids(conf, ids, SHADOWALLOC_CFG_MAX_HOST_GROUPS,
				       &n);
		if (ret)
			return ret;
	}
	fd = open_device();
	if (!named && !conf) {
		n = host_groups(ids, SHADOWALLOC_CFG_MAX_HOST_GROUPS);
		if (n < 0)
			return failf(-n, "cannot list the host's groups: %s: %s (debugfs mounted? or name them: metrics ID... or --config FILE)",
				     SHADOWALLOC_DEBUGFS_POOLS, strerror(-n));
	}
	qsort(ids, n, sizeof(ids[0]), cmp_id);
	for (i = 0; i < n; i++) {
		if (i && ids[i] == ids[i - 1])
			continue;
		ret = shadowalloc_get_stats(fd, ids[i], &st[kept]);
		if (ret == -ENOENT && !named)
			continue;
		if (ret)
			return failf(-ret, "group %u: %s", ids[i],
				     shadowalloc_describe_error(SHADOWALLOC_OP_GET_STATS, ret));
		/* A module before ABI version 6 keeps no histogram: none shown. */
		ret = shadowalloc_get_fault_hist(fd, ids[i], &hist[kept]);
		if (ret == -ENOENT && !named)
			continue;
		if (ret && ret != -ENOTTY)
			return failf(-ret, "group %u: %s", ids[i],
				     shadowalloc_describe_error(SHADOWALLOC_OP_GROUP_FAULT_HIST, ret));
		ids[kept++] = ids[i];
	}
	o = open_memstream(&text, &len);
	if (!o)
		return failf(errno, "out of memory");
	print_metrics(o, ids, st, kept);
	print_histograms(o, ids, hist, kept);
	for (i = 0; i < kept; i++)
		shadowalloc_hist_free(&hist[i]);
	if (fclose(o))
		return failf(errno, "out of memory");
	if (fwrite(text, 1, len, stdout) != len || fflush(stdout)) {
		free(text);
		return failf(errno ?: EIO, "cannot write the metrics");
	}
	free(text);
	return 0;
}
