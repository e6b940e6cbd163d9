// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: forecast-driven, pre-zeroed guest memory for KVM trust groups.
 *
 * Module entry points. See Documentation/design.rst for the architecture.
 */
#include <linux/module.h>

#include "shadowalloc.h"

/*
 * Internal state first, the interfaces userspace can reach (the device,
 * the filesystem, debugfs) last: once one is registered, an open or a
 * mount may already use the module. The last step that can fail,
 * register_filesystem(), fails only on a name clash (-EBUSY).
 */
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
	ret = sa_pool_hotplug_init();
	if (ret)
		goto err_shrinker;
	ret = sa_telemetry_init();
	if (ret)
		goto err_hotplug;
	ret = sa_dev_init();
	if (ret)
		goto err_tm;
	ret = sa_fs_init();
	if (ret)
		goto err_dev;
	sa_debugfs_init();
	pr_info(SA_NAME ": loaded\n");
	return 0;

err_dev:
	sa_dev_exit();
err_tm:
	sa_telemetry_exit();
err_hotplug:
	sa_pool_hotplug_exit();
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
	sa_debugfs_exit();
	sa_fs_exit();
	sa_dev_exit();
	sa_telemetry_exit();
	sa_pool_hotplug_exit();
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
MODULE_VERSION(SHADOWALLOC_VERSION);
