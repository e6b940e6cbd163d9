// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: forecast-driven, pre-zeroed guest memory for KVM trust groups.
 *
 * Module entry points. See Documentation/design.rst for the architecture.
 */
#include <linux/module.h>

#include "shadowalloc.h"

static int __init sa_init(void)
{
	int ret;

	ret = sa_registry_init();
	if (ret)
		return ret;
	ret = sa_dev_init();
	if (ret)
		goto err_registry;
	pr_info(SA_NAME ": loaded\n");
	return 0;

err_registry:
	sa_registry_exit();
	return ret;
}

static void __exit sa_exit(void)
{
	sa_dev_exit();
	sa_registry_exit();
	pr_info(SA_NAME ": unloaded\n");
}

module_init(sa_init);
module_exit(sa_exit);

MODULE_DESCRIPTION("Forecast-driven pre-zeroed guest memory for KVM trust groups");
MODULE_AUTHOR("shadowalloc developers");
MODULE_LICENSE("GPL");
