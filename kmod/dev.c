// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: the /dev/shadowalloc misc device and its ioctl dispatch.
 *
 * This file owns the ABI rules of uapi/linux/shadowalloc.h: privilege,
 * size-versioned copies, flags and reserved fields. The operations
 * themselves live in group.c and see only validated layouts.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "shadowalloc.h"

/* Largest argument struct a caller may pass, whatever its version. */
#define SA_ARG_SIZE_MAX SZ_4K

/*
 * Copy a size-versioned argument struct from userspace. Bytes the caller
 * did not pass read as zero; bytes the kernel does not know must be zero.
 */
static int sa_copy_arg(void *karg, size_t ksize, size_t ver0,
		       const void __user *uarg)
{
	u32 usize;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize < ver0)
		return -EINVAL;
	if (usize > SA_ARG_SIZE_MAX)
		return -E2BIG;
	return copy_struct_from_user(karg, ksize, uarg, usize);
}

static bool sa_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

static long sa_ioctl_group_create(const void __user *uarg)
{
	struct shadowalloc_group_create arg;
	int ret;

	ret = sa_copy_arg(&arg, sizeof(arg), SHADOWALLOC_GROUP_CREATE_SIZE_VER0,
			  uarg);
	if (ret)
		return ret;
	if (arg.flags || arg.reserved0 ||
	    !sa_zero(arg.reserved, sizeof(arg.reserved)))
		return -EINVAL;
	return sa_group_create(&arg);
}

/* The argument of DESTROY, SHADOW_ENABLE and SHADOW_DISABLE. */
static int sa_copy_group_arg(struct shadowalloc_group_arg *arg,
			     const void __user *uarg)
{
	int ret;

	ret = sa_copy_arg(arg, sizeof(*arg), SHADOWALLOC_GROUP_ARG_SIZE_VER0,
			  uarg);
	if (ret)
		return ret;
	if (arg->flags || arg->reserved0 ||
	    !sa_zero(arg->reserved, sizeof(arg->reserved)))
		return -EINVAL;
	return 0;
}

static long sa_ioctl_group_destroy(const void __user *uarg)
{
	struct shadowalloc_group_arg arg;
	int ret;

	ret = sa_copy_group_arg(&arg, uarg);
	return ret ?: sa_group_destroy(arg.group_id);
}

static long sa_ioctl_set_enabled(const void __user *uarg, bool enable)
{
	struct shadowalloc_group_arg arg;
	int ret;

	ret = sa_copy_group_arg(&arg, uarg);
	return ret ?: sa_group_set_enabled(arg.group_id, enable);
}

static long sa_ioctl_group_vm(const void __user *uarg, bool add)
{
	struct shadowalloc_group_vm arg;
	int ret;

	ret = sa_copy_arg(&arg, sizeof(arg), SHADOWALLOC_GROUP_VM_SIZE_VER0,
			  uarg);
	if (ret)
		return ret;
	if (arg.flags || !sa_zero(arg.reserved, sizeof(arg.reserved)))
		return -EINVAL;
	return add ? sa_group_add_vm(arg.group_id, arg.pid) :
		     sa_group_remove_vm(arg.group_id, arg.pid);
}

static long sa_ioctl_set_horizon(const void __user *uarg)
{
	struct shadowalloc_horizon arg;
	int ret;

	ret = sa_copy_arg(&arg, sizeof(arg), SHADOWALLOC_HORIZON_SIZE_VER0,
			  uarg);
	if (ret)
		return ret;
	if (arg.flags || !sa_zero(arg.reserved, sizeof(arg.reserved)))
		return -EINVAL;
	return sa_group_set_horizon(arg.group_id, arg.horizon_ms);
}

static long sa_ioctl_stage_reserve(const void __user *uarg)
{
	struct shadowalloc_stage_reserve arg;
	int ret;

	ret = sa_copy_arg(&arg, sizeof(arg), SHADOWALLOC_STAGE_RESERVE_SIZE_VER0,
			  uarg);
	if (ret)
		return ret;
	if (arg.flags || arg.reserved0 ||
	    !sa_zero(arg.reserved, sizeof(arg.reserved)))
		return -EINVAL;
	return sa_group_stage_reserve(arg.group_id, arg.pages);
}

static long sa_ioctl_pool_config(const void __user *uarg)
{
	struct shadowalloc_pool_config arg;
	int ret;

	ret = sa_copy_arg(&arg, sizeof(arg), SHADOWALLOC_POOL_CONFIG_SIZE_VER0,
			  uarg);
	if (ret)
		return ret;
	if ((arg.flags & ~SHADOWALLOC_POOL_SET_ALL) || arg.reserved0 ||
	    !sa_zero(arg.reserved, sizeof(arg.reserved)))
		return -EINVAL;
	return sa_group_pool_config(&arg);
}

static int sa_copy_model_arg(struct shadowalloc_model *arg,
			     const void __user *uarg)
{
	int ret;

	ret = sa_copy_arg(arg, sizeof(*arg), SHADOWALLOC_MODEL_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (arg->flags || !sa_zero(arg->reserved, sizeof(arg->reserved)))
		return -EINVAL;
	/* Field order: the group id's range comes before the blob's checks. */
	if (!sa_group_id_valid(arg->group_id))
		return -EINVAL;
	return 0;
}

/*
 * MODEL_EXPORT: a buffer too small fails with -ENOSPC and reports the size
 * needed in blob_len.
 */
static long sa_ioctl_model_export(void __user *uarg)
{
	struct shadowalloc_model __user *umodel = uarg;
	u32 need = sa_fc_blob_size();
	struct shadowalloc_model arg;
	void *blob;
	int ret;

	ret = sa_copy_model_arg(&arg, uarg);
	if (ret)
		return ret;
	if (arg.blob_len < need) {
		if (put_user(need, &umodel->blob_len))
			return -EFAULT;
		return -ENOSPC;
	}
	blob = kzalloc(need, GFP_KERNEL);
	if (!blob)
		return -ENOMEM;
	ret = sa_group_model_export(arg.group_id, blob);
	if (!ret && copy_to_user(u64_to_user_ptr(arg.blob), blob, need))
		ret = -EFAULT;
	if (!ret && put_user(need, &umodel->blob_len))
		ret = -EFAULT;
	kfree(blob);
	return ret;
}

/* MODEL_IMPORT: the blob is validated whole before the group changes. */
static long sa_ioctl_model_import(const void __user *uarg)
{
	struct shadowalloc_model arg;
	struct sa_fc_model *model;
	void *blob;
	int ret;

	ret = sa_copy_model_arg(&arg, uarg);
	if (ret)
		return ret;
	if (!arg.blob_len || arg.blob_len > SHADOWALLOC_MODEL_BLOB_MAX)
		return -EINVAL;
	blob = memdup_user(u64_to_user_ptr(arg.blob), arg.blob_len);
	if (IS_ERR(blob))
		return PTR_ERR(blob);
	model = kmalloc(sizeof(*model), GFP_KERNEL);
	if (!model) {
		ret = -ENOMEM;
		goto out_blob;
	}
	ret = sa_fc_import(model, blob, arg.blob_len);
	if (!ret)
		ret = sa_group_model_import(arg.group_id, model);
	kfree(model);
out_blob:
	kfree(blob);
	return ret;
}

static long sa_ioctl_record(const void __user *uarg)
{
	struct shadowalloc_record arg;
	int ret;

	ret = sa_copy_arg(&arg, sizeof(arg), SHADOWALLOC_RECORD_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (arg.flags || arg.reserved0 ||
	    !sa_zero(arg.reserved, sizeof(arg.reserved)))
		return -EINVAL;
	return sa_group_record(arg.group_id);
}

/*
 * GET_STATS reads only size, flags and group_id: the rest of the caller's
 * struct is output space, whatever it holds on entry.
 */
static long sa_ioctl_get_stats(void __user *uarg)
{
	struct shadowalloc_stats __user *ust = uarg;
	struct shadowalloc_stats st = {};
	u32 usize, len;
	int ret;

	if (get_user(usize, &ust->size) || get_user(st.flags, &ust->flags) ||
	    get_user(st.group_id, &ust->group_id))
		return -EFAULT;
	if (usize < SHADOWALLOC_STATS_SIZE_VER0)
		return -EINVAL;
	if (usize > SA_ARG_SIZE_MAX)
		return -E2BIG;
	if (st.flags)
		return -EINVAL;

	ret = sa_group_get_stats(st.group_id, capable(CAP_SYS_ADMIN), &st);
	if (ret)
		return ret;
	len = min_t(u32, usize, sizeof(st));
	st.size = len;
	if (copy_to_user(ust, &st, len))
		return -EFAULT;
	return 0;
}

/**
 * sa_ioctl() - dispatch an ioctl on /dev/shadowalloc
 * @file: the open device
 * @cmd: one of SHADOWALLOC_IOC_*
 * @arg: user pointer to the command's argument struct
 *
 * Every command but GET_STATS needs CAP_SYS_ADMIN. Errors are documented
 * per command in Documentation/ioctl-api.rst; a failed call changes nothing.
 *
 * Return: 0 or a negative errno.
 */
static long sa_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case SHADOWALLOC_IOC_GROUP_CREATE:
	case SHADOWALLOC_IOC_GROUP_DESTROY:
	case SHADOWALLOC_IOC_GROUP_ADD_VM:
	case SHADOWALLOC_IOC_GROUP_REMOVE_VM:
	case SHADOWALLOC_IOC_SHADOW_ENABLE:
	case SHADOWALLOC_IOC_SHADOW_DISABLE:
	case SHADOWALLOC_IOC_SET_HORIZON:
	case SHADOWALLOC_IOC_STAGE_RESERVE:
	case SHADOWALLOC_IOC_POOL_CONFIG:
	case SHADOWALLOC_IOC_MODEL_EXPORT:
	case SHADOWALLOC_IOC_MODEL_IMPORT:
	case SHADOWALLOC_IOC_RECORD:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		break;
	case SHADOWALLOC_IOC_GET_STATS:
		return sa_ioctl_get_stats(uarg);
	default:
		return -ENOTTY;
	}

	switch (cmd) {
	case SHADOWALLOC_IOC_GROUP_CREATE:
		return sa_ioctl_group_create(uarg);
	case SHADOWALLOC_IOC_GROUP_DESTROY:
		return sa_ioctl_group_destroy(uarg);
	case SHADOWALLOC_IOC_GROUP_ADD_VM:
		return sa_ioctl_group_vm(uarg, true);
	case SHADOWALLOC_IOC_GROUP_REMOVE_VM:
		return sa_ioctl_group_vm(uarg, false);
	case SHADOWALLOC_IOC_SHADOW_ENABLE:
		return sa_ioctl_set_enabled(uarg, true);
	case SHADOWALLOC_IOC_SHADOW_DISABLE:
		return sa_ioctl_set_enabled(uarg, false);
	case SHADOWALLOC_IOC_SET_HORIZON:
		return sa_ioctl_set_horizon(uarg);
	case SHADOWALLOC_IOC_STAGE_RESERVE:
		return sa_ioctl_stage_reserve(uarg);
	case SHADOWALLOC_IOC_MODEL_EXPORT:
		return sa_ioctl_model_export(uarg);
	case SHADOWALLOC_IOC_MODEL_IMPORT:
		return sa_ioctl_model_import(uarg);
	case SHADOWALLOC_IOC_RECORD:
		return sa_ioctl_record(uarg);
	default: /* SHADOWALLOC_IOC_POOL_CONFIG */
		return sa_ioctl_pool_config(uarg);
	}
}

static int sa_open(struct inode *inode, struct file *file)
{
	return sa_mem_open(file);
}

static int sa_release(struct inode *inode, struct file *file)
{
	sa_mem_release(file);
	return 0;
}

/*
 * Every open file is a guest memory object (mem.c) as well as a handle for
 * the ioctls. llseek reports position 0 for every whence: the object is
 * sparse and has no meaningful end, and QEMU reads a size of 0 as "take
 * the size from the command line".
 */
static const struct file_operations sa_fops = {
	.owner			= THIS_MODULE,
	.open			= sa_open,
	.release		= sa_release,
	.mmap			= sa_mem_mmap,
	.get_unmapped_area	= thp_get_unmapped_area,
	.unlocked_ioctl		= sa_ioctl,
	.compat_ioctl		= compat_ptr_ioctl,
	.llseek			= noop_llseek,
};

static struct miscdevice sa_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= SHADOWALLOC_DEVICE_NAME,
	.fops	= &sa_fops,
	.mode	= 0600,
};

int sa_dev_init(void)
{
	return misc_register(&sa_miscdev);
}

void sa_dev_exit(void)
{
	misc_deregister(&sa_miscdev);
}
