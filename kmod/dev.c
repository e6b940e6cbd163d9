// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: the /dev/shadowalloc misc device and its ioctl dispatch.
 *
 * This file owns the ABI rules of uapi/linux/shadowalloc.h: one table of
 * commands indexed by _IOC_NR() (as drivers/gpu/drm/drm_ioctl.c), privilege,
 * the size-versioned copy in and out, flags and reserved fields. The
 * operations themselves live in group.c and see only validated layouts.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/nospec.h>
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
 * Version-0 sizes are ABI: a caller built against them must keep working.
 * Each struct's VER0 size is where its first published layout ends.
 */
static_assert(sizeof(struct shadowalloc_api) == SHADOWALLOC_API_SIZE_VER0);
static_assert(sizeof(struct shadowalloc_group_create) ==
	      SHADOWALLOC_GROUP_CREATE_SIZE_VER0);
static_assert(sizeof(struct shadowalloc_group_arg) ==
	      SHADOWALLOC_GROUP_ARG_SIZE_VER0);
static_assert(sizeof(struct shadowalloc_group_vm) ==
	      SHADOWALLOC_GROUP_VM_SIZE_VER0);
static_assert(sizeof(struct shadowalloc_horizon) ==
	      SHADOWALLOC_HORIZON_SIZE_VER0);
static_assert(offsetofend(struct shadowalloc_stats, reserved) ==
	      SHADOWALLOC_STATS_SIZE_VER0);
static_assert(offsetofend(struct shadowalloc_stats, miss_pages) ==
	      SHADOWALLOC_STATS_SIZE_VER1);
static_assert(offsetof(struct shadowalloc_stats, held_page_ticks) ==
	      SHADOWALLOC_STATS_SIZE_VER2);
static_assert(offsetof(struct shadowalloc_stats, hit_rate_pages_permille) ==
	      SHADOWALLOC_STATS_SIZE_VER3);
static_assert(offsetof(struct shadowalloc_stats, fault_zeroed_pages) ==
	      SHADOWALLOC_STATS_SIZE_VER4);
static_assert(sizeof(struct shadowalloc_stats) == SHADOWALLOC_STATS_SIZE_VER5);
static_assert(sizeof(struct shadowalloc_stage_reserve) ==
	      SHADOWALLOC_STAGE_RESERVE_SIZE_VER0);
static_assert(sizeof(struct shadowalloc_pool_config) ==
	      SHADOWALLOC_POOL_CONFIG_SIZE_VER0);
static_assert(sizeof(struct shadowalloc_model) == SHADOWALLOC_MODEL_SIZE_VER0);
static_assert(sizeof(struct shadowalloc_record) ==
	      SHADOWALLOC_RECORD_SIZE_VER0);
static_assert(sizeof(struct shadowalloc_mem_bind) ==
	      SHADOWALLOC_MEM_BIND_SIZE_VER0);

/* Every argument struct, for the one kernel copy the dispatcher makes. */
union sa_ioctl_arg {
	struct {
		u32 size;
		u32 flags;
	} head;
	struct shadowalloc_api api;
	struct shadowalloc_group_create create;
	struct shadowalloc_group_arg group;
	struct shadowalloc_group_vm vm;
	struct shadowalloc_horizon horizon;
	struct shadowalloc_stats stats;
	struct shadowalloc_stage_reserve reserve;
	struct shadowalloc_pool_config pool;
	struct shadowalloc_model model;
	struct shadowalloc_record record;
	struct shadowalloc_mem_bind bind;
	struct shadowalloc_fault_hist hist;
};

static bool sa_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

static long sa_ioctl_api(struct file *file, union sa_ioctl_arg *karg,
		void __user *uarg);

static long sa_ioctl_group_create(struct file *file, union sa_ioctl_arg *karg,
		void __user *uarg)
{
	struct shadowalloc_group_create *arg = &karg->create;

	if (arg->flags || arg->reserved0 ||
	    !sa_zero(arg->reserved, sizeof(arg->reserved)))
		return -EINVAL;
	return sa_group_create(arg);
}

/* The argument of DESTROY, SHADOW_ENABLE and SHADOW_DISABLE. */
static bool sa_group_arg_valid(const struct shadowalloc_group_arg *arg)
{
	return !arg->flags && !arg->reserved0 &&
	       sa_zero(arg->reserved, sizeof(arg->reserved));
}

static long sa_ioctl_group_destroy(struct file *file, union sa_ioctl_arg *karg,
		void __user *uarg)
{
	if (!sa_group_arg_valid(&karg->group))
		return -EINVAL;
	return sa_group_destroy(karg->group.group_id);
}

static long sa_ioctl_shadow_enable(struct file *file, union sa_ioctl_arg *karg,
		void __user *uarg)
{
	if (!sa_group_arg_valid(&karg->group))
		return -EINVAL;
	return sa_group_set_enabled(karg->group.group_id, true);
}

static long sa_ioctl_shadow_disable(struct file *file, union sa_ioctl_arg *karg,
		void __user *uarg)
{
	if (!sa_group_arg_valid(&karg->group))
		return -EINVAL;
	return sa_group_set_enabled(karg->group.group_id, false);
}

static bool sa_group_vm_valid(const struct shadowalloc_group_vm *arg)
{
	return !(arg->flags & ~SHADOWALLOC_GROUP_VM_PIDFD) &&
	       sa_zero(arg->reserved, sizeof(arg->reserved));
}

static long sa_ioctl_group_add_vm(struct file *file, union sa_ioctl_arg *karg,
		void __user *uarg)
{
	if (!sa_group_vm_valid(&karg->vm))
		return -EINVAL;
	return sa_group_add_vm(&karg->vm);
}

static long sa_ioctl_group_remove_vm(struct file *file, union sa_ioctl_arg *karg,
		void __user *uarg)
{
	if (!sa_group_vm_valid(&karg->vm))
		return -EINVAL;
	return sa_group_remove_vm(&karg->vm);
}

static long sa_ioctl_set_horizon(struct file *file, union sa_ioctl_arg *karg,
		void __user *uarg)
{
	struct shadowalloc_horizon *arg = &karg->horizon;

	if (arg->flags || !sa_zero(arg->reserved, sizeof(arg->reserved)))
		return -EINVAL;
	return sa_group_set_horizon(arg->group_id, arg->horizon_ms);
}

/*
 * GET_STATS reads only size, flags and group_id (the table's in_size): the
 * rest of the caller's struct is output space, whatever it holds on entry.
 */
static long sa_ioctl_get_stats(struct file *file, union sa_ioctl_arg *karg,
		void __user *uarg)
{
	struct shadowalloc_stats *st = &karg->stats;

	if (st->flags)
		return -EINVAL;
	return sa_group_get_stats(st->group_id, capable(CAP_SYS_ADMIN), st);
}

static long sa_ioctl_stage_reserve(struct file *file, union sa_ioctl_arg *karg,
		void __user *uarg)
{
	struct shadowalloc_stage_reserve *arg = &karg->reserve;

	if (arg->flags || arg->reserved0 ||
	    !sa_zero(arg->reserved, sizeof(arg->reserved)))
		return -EINVAL;
	return sa_group_stage_reserve(arg->group_id, arg->pages);
}

static long sa_ioctl_pool_config(struct file *file, union sa_ioctl_arg *karg,
		void __user *uarg)
{
	struct shadowalloc_pool_config *arg = &karg->pool;

	if ((arg->flags & ~SHADOWALLOC_POOL_SET_ALL) ||
	    !sa_zero(arg->reserved, sizeof(arg->reserved)))
		return -EINVAL;
	return sa_group_pool_config(arg);
}

static int sa_model_arg_check(const struct shadowalloc_model *arg)
{
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
static long sa_ioctl_model_export(struct file *file, union sa_ioctl_arg *karg,
		void __user *uarg)
{
	struct shadowalloc_model __user *umodel = uarg;
	struct shadowalloc_model *arg = &karg->model;
	u32 need = sa_forecast_blob_size();
	void *blob;
	int ret;

	ret = sa_model_arg_check(arg);
	if (ret)
		return ret;
	if (arg->blob_len < need) {
		if (put_user(need, &umodel->blob_len))
			return -EFAULT;
		return -ENOSPC;
	}
	blob = kzalloc(need, GFP_KERNEL);
	if (!blob)
		return -ENOMEM;
	ret = sa_group_model_export(arg->group_id, blob);
	if (!ret && copy_to_user(u64_to_user_ptr(arg->blob), blob, need))
		ret = -EFAULT;
	if (!ret && put_user(need, &umodel->blob_len))
		ret = -EFAULT;
	kfree(blob);
	return ret;
}

/* MODEL_IMPORT: the blob is validated whole before the group changes. */
static long sa_ioctl_model_import(struct file *file, union sa_ioctl_arg *karg,
		void __user *uarg)
{
	struct shadowalloc_model *arg = &karg->model;
	struct sa_forecast_model *model;
	void *blob;
	int ret;

	ret = sa_model_arg_check(arg);
	if (ret)
		return ret;
	if (!arg->blob_len || arg->blob_len > SHADOWALLOC_MODEL_BLOB_MAX)
		return -EINVAL;
	blob = memdup_user(u64_to_user_ptr(arg->blob), arg->blob_len);
	if (IS_ERR(blob))
		return PTR_ERR(blob);
	model = kmalloc(sizeof(*model), GFP_KERNEL);
	if (!model) {
		ret = -ENOMEM;
		goto out_blob;
	}
	ret = sa_forecast_import(model, blob, arg->blob_len);
	if (!ret)
		ret = sa_group_model_import(arg->group_id, model);
	kfree(model);
out_blob:
	kfree(blob);
	return ret;
}

static long sa_ioctl_record(struct file *file, union sa_ioctl_arg *karg,
		void __user *uarg)
{
	struct shadowalloc_record *arg = &karg->record;

	if (arg->flags || arg->reserved0 ||
	    !sa_zero(arg->reserved, sizeof(arg->reserved)))
		return -EINVAL;
	return sa_group_record(arg->group_id);
}

/*
 * GROUP_FAULT_HIST reads size, flags, group_id, buf_len and the buckets
 * pointer (the table's in_size); the rest is output. A buffer too small
 * fails with -ENOSPC and reports the bytes needed in buf_len.
 */
static long sa_ioctl_group_fault_hist(struct file *file,
				      union sa_ioctl_arg *karg,
				      void __user *uarg)
{
	struct shadowalloc_fault_hist __user *uhist = uarg;
	struct shadowalloc_fault_hist *arg = &karg->hist;
	int ret;

	if (arg->flags)
		return -EINVAL;
	ret = sa_group_fault_hist(arg, capable(CAP_SYS_ADMIN),
				  u64_to_user_ptr(arg->buckets));
	if (ret == -ENOSPC && put_user(arg->buf_len, &uhist->buf_len))
		return -EFAULT;
	return ret;
}

typedef long (*sa_ioctl_handler_t)(struct file *file, union sa_ioctl_arg *karg,
				   void __user *uarg);

/* struct sa_ioctl_desc.flags */
#define SA_IOCTL_ADMIN	BIT(0)	/* needs CAP_SYS_ADMIN */
#define SA_IOCTL_OUT	BIT(1)	/* the struct is written back on success */
/* Acts on the fd's memory object: shadowallocfs files take it too. */
#define SA_IOCTL_MEM	BIT(2)

/**
 * struct sa_ioctl_desc - one command of /dev/shadowalloc
 * @cmd: the command as built from the current struct; only its direction
 *	bits matter for matching, the number is the table index
 * @handler: runs with the validated kernel copy of the argument
 * @ver0_size: the smallest size a caller may pass (the first version)
 * @ksize: the kernel's size of the struct
 * @in_size: bytes the kernel reads from the caller; for output structs the
 *	input prefix, the rest is output space and not checked
 * @flags: SA_IOCTL_*
 */
struct sa_ioctl_desc {
	unsigned int cmd;
	sa_ioctl_handler_t handler;
	u16 ver0_size;
	u16 ksize;
	u16 in_size;
	u16 flags;
};

#define SA_IOCTL_IN(name, type, ver0, fn, fl)				\
	[SHADOWALLOC_NR_##name] = {					\
		.cmd = SHADOWALLOC_IOC_##name, .handler = fn,		\
		.ver0_size = ver0, .ksize = sizeof(type),		\
		.in_size = sizeof(type), .flags = fl,			\
	}
#define SA_IOCTL_INOUT(name, type, ver0, in, fn, fl)			\
	[SHADOWALLOC_NR_##name] = {					\
		.cmd = SHADOWALLOC_IOC_##name, .handler = fn,		\
		.ver0_size = ver0, .ksize = sizeof(type),		\
		.in_size = offsetofend(type, in),			\
		.flags = (fl) | SA_IOCTL_OUT,				\
	}

/*
 * MEM_BIND: read or set the group binding of the fd's own memory object.
 * Reading needs only the fd; setting is a management call.
 */
static long sa_ioctl_mem_bind(struct file *file, union sa_ioctl_arg *karg,
			      void __user *uarg)
{
	struct shadowalloc_mem_bind *arg = &karg->bind;

	/* Only the prefix up to group_id is input; the rest is output. */
	if (arg->flags & ~SHADOWALLOC_MEM_BIND_SET)
		return -EINVAL;
	if (arg->flags & SHADOWALLOC_MEM_BIND_SET) {
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		return sa_mem_bind(file, arg);
	}
	sa_mem_binding(file, arg);
	return 0;
}

/* The ioctl table, indexed by _IOC_NR(). */
static const struct sa_ioctl_desc sa_ioctls[] = {
	SA_IOCTL_INOUT(API, struct shadowalloc_api, SHADOWALLOC_API_SIZE_VER0,
		       features, sa_ioctl_api, 0),
	SA_IOCTL_IN(GROUP_CREATE, struct shadowalloc_group_create,
		    SHADOWALLOC_GROUP_CREATE_SIZE_VER0, sa_ioctl_group_create,
		    SA_IOCTL_ADMIN),
	SA_IOCTL_IN(GROUP_DESTROY, struct shadowalloc_group_arg,
		    SHADOWALLOC_GROUP_ARG_SIZE_VER0, sa_ioctl_group_destroy,
		    SA_IOCTL_ADMIN),
	SA_IOCTL_IN(GROUP_ADD_VM, struct shadowalloc_group_vm,
		    SHADOWALLOC_GROUP_VM_SIZE_VER0, sa_ioctl_group_add_vm,
		    SA_IOCTL_ADMIN),
	SA_IOCTL_IN(GROUP_REMOVE_VM, struct shadowalloc_group_vm,
		    SHADOWALLOC_GROUP_VM_SIZE_VER0, sa_ioctl_group_remove_vm,
		    SA_IOCTL_ADMIN),
	SA_IOCTL_IN(SHADOW_ENABLE, struct shadowalloc_group_arg,
		    SHADOWALLOC_GROUP_ARG_SIZE_VER0, sa_ioctl_shadow_enable,
		    SA_IOCTL_ADMIN),
	SA_IOCTL_IN(SHADOW_DISABLE, struct shadowalloc_group_arg,
		    SHADOWALLOC_GROUP_ARG_SIZE_VER0, sa_ioctl_shadow_disable,
		    SA_IOCTL_ADMIN),
	SA_IOCTL_IN(SET_HORIZON, struct shadowalloc_horizon,
		    SHADOWALLOC_HORIZON_SIZE_VER0, sa_ioctl_set_horizon,
		    SA_IOCTL_ADMIN),
	SA_IOCTL_INOUT(GET_STATS, struct shadowalloc_stats,
		       SHADOWALLOC_STATS_SIZE_VER0, group_id, sa_ioctl_get_stats,
		       0),
	SA_IOCTL_IN(STAGE_RESERVE, struct shadowalloc_stage_reserve,
		    SHADOWALLOC_STAGE_RESERVE_SIZE_VER0, sa_ioctl_stage_reserve,
		    SA_IOCTL_ADMIN),
	SA_IOCTL_IN(POOL_CONFIG, struct shadowalloc_pool_config,
		    SHADOWALLOC_POOL_CONFIG_SIZE_VER0, sa_ioctl_pool_config,
		    SA_IOCTL_ADMIN),
	SA_IOCTL_IN(MODEL_EXPORT, struct shadowalloc_model,
		    SHADOWALLOC_MODEL_SIZE_VER0, sa_ioctl_model_export,
		    SA_IOCTL_ADMIN),
	SA_IOCTL_IN(MODEL_IMPORT, struct shadowalloc_model,
		    SHADOWALLOC_MODEL_SIZE_VER0, sa_ioctl_model_import,
		    SA_IOCTL_ADMIN),
	SA_IOCTL_IN(RECORD, struct shadowalloc_record,
		    SHADOWALLOC_RECORD_SIZE_VER0, sa_ioctl_record,
		    SA_IOCTL_ADMIN),
	SA_IOCTL_INOUT(MEM_BIND, struct shadowalloc_mem_bind,
		       SHADOWALLOC_MEM_BIND_SIZE_VER0, group_id,
		       sa_ioctl_mem_bind, SA_IOCTL_MEM),
	SA_IOCTL_INOUT(GROUP_FAULT_HIST, struct shadowalloc_fault_hist,
		       SHADOWALLOC_FAULT_HIST_SIZE_VER0, buckets,
		       sa_ioctl_group_fault_hist, 0),
};

static_assert(ARRAY_SIZE(sa_ioctls) <= SHADOWALLOC_NR_MAX + 1);
static_assert(ARRAY_SIZE(sa_ioctls) <= BITS_PER_TYPE(u64));

/*
 * API: the handshake. Reads api_version and the features the caller needs
 * (the table's in_size); everything after them is output.
 */
static long sa_ioctl_api(struct file *file, union sa_ioctl_arg *karg,
		void __user *uarg)
{
	struct shadowalloc_api *api = &karg->api;
	u64 wanted = api->features;
	unsigned int nr;

	if (api->flags || api->reserved0 || !api->api_version)
		return -EINVAL;
	api->api_version = SHADOWALLOC_API_VERSION;
	api->features = SHADOWALLOC_FEATURES_ALL;
	api->ioctls = 0;
	for (nr = 0; nr < ARRAY_SIZE(sa_ioctls); nr++)
		if (sa_ioctls[nr].handler)
			api->ioctls |= BIT_ULL(nr);
	api->max_groups = READ_ONCE(sa_max_groups);
	api->max_vms_per_group = READ_ONCE(sa_max_vms_per_group);
	api->horizon_min_ms = SHADOWALLOC_HORIZON_MIN_MS;
	api->horizon_max_ms = SHADOWALLOC_HORIZON_MAX_MS;
	api->max_age_min_ms = SHADOWALLOC_MAX_AGE_MIN_MS;
	api->max_age_max_ms = SHADOWALLOC_MAX_AGE_MAX_MS;
	api->model_blob_max = SHADOWALLOC_MODEL_BLOB_MAX;
	api->tick_ms = SHADOWALLOC_TICK_MS;
	if (wanted & ~SHADOWALLOC_FEATURES_ALL) {
		/* Tell the caller what is there, then refuse. */
		if (put_user(api->features,
			     &((struct shadowalloc_api __user *)uarg)->features))
			return -EFAULT;
		return -EINVAL;
	}
	return 0;
}

/*
 * sa_copy_arg() - the kernel copy of a size-versioned argument struct
 * @desc: the command
 * @karg: the copy; bytes the caller did not pass read as zero
 * @uarg: the caller's struct
 * @usize: its size, from the command number
 *
 * Bytes beyond the kernel's struct must be zero (copy_struct_from_user():
 * -E2BIG); for output structs only the input prefix is read. The struct's
 * own size field must say the same size as the command.
 */
static int sa_copy_arg(const struct sa_ioctl_desc *desc,
		       union sa_ioctl_arg *karg, const void __user *uarg,
		       u32 usize)
{
	int ret;

	if (usize < desc->ver0_size)
		return -EINVAL;
	if (usize > SA_ARG_SIZE_MAX)
		return -E2BIG;
	memset(karg, 0, sizeof(*karg));
	if (desc->in_size < desc->ksize)
		ret = copy_from_user(karg, uarg, desc->in_size) ? -EFAULT : 0;
	else
		ret = copy_struct_from_user(karg, desc->ksize, uarg, usize);
	if (ret)
		return ret;
	if (karg->head.size != usize)
		return -EINVAL;
	return 0;
}

/**
 * sa_ioctl_dispatch() - dispatch an ioctl on /dev/shadowalloc or a memory file
 * @file: the open device, or a file of shadowallocfs
 * @cmd: one of SHADOWALLOC_IOC_*, built from any version of its struct
 * @arg: user pointer to the command's argument struct
 * @mem_file: @file is a shadowallocfs file: only the commands that act on a
 *	memory object (SA_IOCTL_MEM) are there
 *
 * Commands are looked up by number in sa_ioctls[]; the magic and the
 * direction must match, the size may be that of any version of the struct
 * from version 0 on. Every command but API, GET_STATS and GROUP_FAULT_HIST
 * needs CAP_SYS_ADMIN. Errors are documented per command in
 * Documentation/ioctl-api.rst; a failed call changes nothing.
 *
 * Return: 0 (RECORD: a file descriptor) or a negative errno: -ENOTTY for an
 * unknown command, -EPERM, -EINVAL (size below version 0, size field
 * mismatch, bad flags or reserved fields), -E2BIG (unknown non-zero tail),
 * -EFAULT, or the command's own errors.
 */
static long sa_ioctl_dispatch(struct file *file, unsigned int cmd,
			      unsigned long arg, bool mem_file)
{
	void __user *uarg = (void __user *)arg;
	const struct sa_ioctl_desc *desc;
	union sa_ioctl_arg karg;
	unsigned int nr = _IOC_NR(cmd);
	u32 usize = _IOC_SIZE(cmd);
	long ret;

	if (_IOC_TYPE(cmd) != SHADOWALLOC_IOC_MAGIC || nr >= ARRAY_SIZE(sa_ioctls))
		return -ENOTTY;
	nr = array_index_nospec(nr, ARRAY_SIZE(sa_ioctls));
	desc = &sa_ioctls[nr];
	if (!desc->handler || _IOC_DIR(cmd) != _IOC_DIR(desc->cmd) ||
	    (mem_file && !(desc->flags & SA_IOCTL_MEM)))
		return -ENOTTY;
	if ((desc->flags & SA_IOCTL_ADMIN) && !capable(CAP_SYS_ADMIN))
		return -EPERM;

	ret = sa_copy_arg(desc, &karg, uarg, usize);
	if (ret)
		return ret;
	ret = desc->handler(file, &karg, uarg);
	if (ret < 0 || !(desc->flags & SA_IOCTL_OUT))
		return ret;

	/* Output: up to the smaller of both sizes, size says how much. */
	karg.head.size = min_t(u32, usize, desc->ksize);
	if (copy_to_user(uarg, &karg, karg.head.size))
		return -EFAULT;
	return ret;
}

static long sa_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return sa_ioctl_dispatch(file, cmd, arg, false);
}

/**
 * sa_mem_file_ioctl() - ioctls on a shadowallocfs file (its memory object)
 * @file: the file
 * @cmd: SHADOWALLOC_IOC_MEM_BIND
 * @arg: user pointer to the argument
 *
 * Return: as sa_ioctl_dispatch(); -ENOTTY for any other command.
 */
long sa_mem_file_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return sa_ioctl_dispatch(file, cmd, arg, true);
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
