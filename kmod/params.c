// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: module parameters.
 *
 * Every parameter has a range; a write outside it (at insmod or through
 * /sys/module/shadowalloc/parameters/) fails with -EINVAL and leaves the old
 * value in place. Readers use READ_ONCE(): a new value applies to the next
 * operation that reads it, never retroactively.
 */
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/moduleparam.h>
#include <linux/sysfs.h>

#include "shadowalloc.h"

unsigned int sa_max_groups = 64;
unsigned int sa_max_vms_per_group = 64;
unsigned int sa_default_max_staged_mb = 256;
unsigned int sa_telemetry_ring_entries = 4096;
unsigned int sa_telemetry_drain_ms = 10;
unsigned int sa_fill_rate_permille = SA_FORECAST_FILL_DEFAULT;

/**
 * struct sa_param_range - an unsigned int parameter and its valid range
 * @val: the parameter
 * @min: smallest accepted value
 * @max: largest accepted value
 * @pow2: only powers of two are accepted
 */
struct sa_param_range {
	unsigned int *val;
	unsigned int min;
	unsigned int max;
	bool pow2;
};

static int sa_param_set(const char *buf, const struct kernel_param *kp)
{
	const struct sa_param_range *range = kp->arg;
	unsigned int v;

	if (kstrtouint(buf, 0, &v) || v < range->min || v > range->max ||
	    (range->pow2 && !is_power_of_2(v)))
		return -EINVAL;
	WRITE_ONCE(*range->val, v);
	return 0;
}

static int sa_param_get(char *buf, const struct kernel_param *kp)
{
	const struct sa_param_range *range = kp->arg;

	return sysfs_emit(buf, "%u\n", READ_ONCE(*range->val));
}

static const struct kernel_param_ops sa_param_ops = {
	.set = sa_param_set,
	.get = sa_param_get,
};

#define SA_PARAM_PERM(name, var, lo, hi, p2, perm, desc)		\
	static struct sa_param_range sa_range_##name = {		\
		.val = &(var), .min = (lo), .max = (hi), .pow2 = (p2),	\
	};								\
	module_param_cb(name, &sa_param_ops, &sa_range_##name, perm);	\
	MODULE_PARM_DESC(name, desc " (" #lo ".." #hi ")")

#define SA_PARAM(name, var, lo, hi, desc)				\
	SA_PARAM_PERM(name, var, lo, hi, false, 0644, desc)

SA_PARAM(max_groups, sa_max_groups, 1, 4096,
	 "Trust groups that may exist at once");
SA_PARAM(max_vms_per_group, sa_max_vms_per_group, 1, 1024,
	 "Upper bound and default of a group's member limit");
SA_PARAM(default_max_staged_mb, sa_default_max_staged_mb, 1, 1048576,
	 "Staged-memory cap (MiB) of a group created without one, clamped to total RAM when the group is created");
SA_PARAM(fill_rate_permille, sa_fill_rate_permille, 500, 999,
	 "Share of demand (permille) the forecaster's safety stock aims to serve from the pool");

/* Read once at load: the rings are sized then. */
SA_PARAM_PERM(tm_ring_entries, sa_telemetry_ring_entries, 64, 1048576, true,
	      0444, "Telemetry events per CPU ring, a power of two, set at load");
SA_PARAM(tm_drain_ms, sa_telemetry_drain_ms, 1, 1000,
	 "Telemetry drain interval (ms) while events arrive");
