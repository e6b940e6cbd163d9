// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: forecast-driven, pre-zeroed guest memory for KVM trust groups.
 *
 * Module entry points. See Documentation/design.rst for the architecture.
 */
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>

#include "shadowalloc.h"

static struct dentry *sa_debugfs_dir;

/*
 * /sys/kernel/debug/shadowalloc/pages: what the module holds, for leak
 * checks in tests and by operators.
 */
static int sa_pages_show(struct seq_file *m, void *v)
{
	u64 plain = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		plain += per_cpu(sa_plain_faults, cpu);
	seq_printf(m, "staged_pages %ld\n",
		   atomic_long_read(&sa_staged_pages_global));
	seq_printf(m, "mem_pages %ld\n",
		   atomic_long_read(&sa_mem_pages_global));
	seq_printf(m, "plain_faults %llu\n", plain);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sa_pages);

/*
 * /sys/kernel/debug/shadowalloc/telemetry: the rings and the aggregates of
 * every group and VM (see sa_tm_agg_show()).
 */
static int sa_telemetry_show(struct seq_file *m, void *v)
{
	sa_registry_show_telemetry(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sa_telemetry);

static int __init sa_init(void)
{
	int ret;

	ret = sa_registry_init();
	if (ret)
		return ret;
	ret = sa_mem_init();
	if (ret)
		goto err_registry;
	ret = sa_shrinker_init();
	if (ret)
		goto err_mem;
	ret = sa_fs_init();
	if (ret)
		goto err_shrinker;
	ret = sa_tm_init();
	if (ret)
		goto err_fs;
	ret = sa_dev_init();
	if (ret)
		goto err_tm;
	sa_debugfs_dir = debugfs_create_dir(SA_NAME, NULL);
	debugfs_create_file("pages", 0400, sa_debugfs_dir, NULL,
			    &sa_pages_fops);
	debugfs_create_file("telemetry", 0400, sa_debugfs_dir, NULL,
			    &sa_telemetry_fops);
	pr_info(SA_NAME ": loaded\n");
	return 0;

err_tm:
	sa_tm_exit();
err_fs:
	sa_fs_exit();
err_shrinker:
	sa_shrinker_exit();
err_mem:
	sa_mem_exit();
err_registry:
	sa_registry_exit();
	return ret;
}

static void __exit sa_exit(void)
{
	debugfs_remove(sa_debugfs_dir);
	sa_dev_exit();
	sa_tm_exit();
	sa_fs_exit();
	sa_shrinker_exit();
	sa_registry_exit();
	sa_mem_exit();
	pr_info(SA_NAME ": unloaded\n");
}

module_init(sa_init);
module_exit(sa_exit);

MODULE_DESCRIPTION("Forecast-driven pre-zeroed guest memory for KVM trust groups");
MODULE_AUTHOR("shadowalloc developers");
MODULE_LICENSE("GPL");
