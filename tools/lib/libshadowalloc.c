// SPDX-License-Identifier: GPL-2.0
/*
 * libshadowalloc - the C API of /dev/shadowalloc for management agents.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libshadowalloc.h"

static int sa_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/**
 * shadowalloc_get_api() - the module's ABI version, commands, features, limits
 * @fd: device descriptor
 * @api: filled in (SHADOWALLOC_IOC_API); api->size tells how much the
 *	kernel wrote
 *
 * Return: 0 or -errno; -ENOTTY from a module older than ABI version 2.
 */
int shadowalloc_get_api(int fd, struct shadowalloc_api *api)
{
	memset(api, 0, sizeof(*api));
	api->size = sizeof(*api);
	api->api_version = SHADOWALLOC_API_VERSION;
	return sa_ioctl(fd, SHADOWALLOC_IOC_API, api);
}

/**
 * shadowalloc_open_path() - open a shadowalloc device and check its ABI
 * @path: the device node
 *
 * The handshake (SHADOWALLOC_IOC_API) runs once here, so every later call
 * on the descriptor talks to a module that speaks this library's ABI.
 *
 * Return: a file descriptor; -errno of open(); -EPROTO when the module
 * predates the ABI this library was built for.
 */
int shadowalloc_open_path(const char *path)
{
	struct shadowalloc_api api;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = shadowalloc_get_api(fd, &api);
	if (ret) {
		close(fd);
		return ret == -ENOTTY || ret == -EINVAL ? -EPROTO : ret;
	}
	return fd;
}

/**
 * shadowalloc_open() - open the shadowalloc device
 *
 * The path is $SHADOWALLOC_DEVICE if set, else /dev/shadowalloc.
 *
 * Return: a file descriptor, or -errno.
 */
int shadowalloc_open(void)
{
	const char *path = getenv("SHADOWALLOC_DEVICE");

	return shadowalloc_open_path(path && *path ? path :
				     "/dev/" SHADOWALLOC_DEVICE_NAME);
}

/**
 * shadowalloc_close() - close a descriptor from shadowalloc_open()
 * @fd: the descriptor; negative values are ignored
 */
void shadowalloc_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

/**
 * shadowalloc_group_create() - create a trust group (SHADOWALLOC_IOC_GROUP_CREATE)
 * @fd: device descriptor
 * @group_id: the new group's id
 * @opts: optional settings, NULL for the defaults
 *
 * Return: 0 or -errno.
 */
int shadowalloc_group_create(int fd, uint32_t group_id,
			     const struct shadowalloc_group_opts *opts)
{
	struct shadowalloc_group_create arg = {
		.size = sizeof(arg),
		.group_id = group_id,
	};

	if (opts) {
		arg.max_vms = opts->max_vms;
		arg.max_staged_bytes = opts->max_staged_bytes;
		arg.horizon_ms = opts->horizon_ms;
	}
	return sa_ioctl(fd, SHADOWALLOC_IOC_GROUP_CREATE, &arg);
}

static int sa_group_cmd(int fd, unsigned long cmd, uint32_t group_id)
{
	struct shadowalloc_group_arg arg = {
		.size = sizeof(arg),
		.group_id = group_id,
	};

	return sa_ioctl(fd, cmd, &arg);
}

/**
 * shadowalloc_group_destroy() - destroy a group without members
 * @fd: device descriptor
 * @group_id: the group
 *
 * Return: 0 or -errno.
 */
int shadowalloc_group_destroy(int fd, uint32_t group_id)
{
	return sa_group_cmd(fd, SHADOWALLOC_IOC_GROUP_DESTROY, group_id);
}

/**
 * shadowalloc_shadow_enable() - start shadowing for a group
 * @fd: device descriptor
 * @group_id: the group
 *
 * Return: 0 or -errno.
 */
int shadowalloc_shadow_enable(int fd, uint32_t group_id)
{
	return sa_group_cmd(fd, SHADOWALLOC_IOC_SHADOW_ENABLE, group_id);
}

/**
 * shadowalloc_shadow_disable() - stop shadowing, release staged pages
 * @fd: device descriptor
 * @group_id: the group
 *
 * Return: 0 or -errno.
 */
int shadowalloc_shadow_disable(int fd, uint32_t group_id)
{
	return sa_group_cmd(fd, SHADOWALLOC_IOC_SHADOW_DISABLE, group_id);
}

/* ADD_VM / REMOVE_VM; @flags SHADOWALLOC_GROUP_VM_PIDFD: @pid is a pidfd. */
static int sa_vm_cmd(int fd, unsigned long cmd, uint32_t group_id, pid_t pid,
		     uint32_t flags)
{
	struct shadowalloc_group_vm arg = {
		.size = sizeof(arg),
		.flags = flags,
		.group_id = group_id,
		.pid = pid,
	};

	return sa_ioctl(fd, cmd, &arg);
}

/**
 * shadowalloc_group_add_vm() - add a VMM process to a group
 * @fd: device descriptor
 * @group_id: the group
 * @pid: the VMM's process id
 *
 * Return: 0 or -errno.
 */
int shadowalloc_group_add_vm(int fd, uint32_t group_id, pid_t pid)
{
	return sa_vm_cmd(fd, SHADOWALLOC_IOC_GROUP_ADD_VM, group_id, pid, 0);
}

/**
 * shadowalloc_group_remove_vm() - remove a VMM process from a group
 * @fd: device descriptor
 * @group_id: the group
 * @pid: the VMM's process id
 *
 * Return: 0 or -errno.
 */
int shadowalloc_group_remove_vm(int fd, uint32_t group_id, pid_t pid)
{
	return sa_vm_cmd(fd, SHADOWALLOC_IOC_GROUP_REMOVE_VM, group_id, pid, 0);
}

/**
 * shadowalloc_group_add_vm_pidfd() - add a VMM process, named by a pidfd
 * @fd: device descriptor
 * @group_id: the group
 * @pidfd: a pidfd of the VMM
 *
 * The memory objects the VMM maps are bound to the group as well.
 *
 * Return: 0 or -errno (-EBADF: not a pidfd).
 */
int shadowalloc_group_add_vm_pidfd(int fd, uint32_t group_id, int pidfd)
{
	return sa_vm_cmd(fd, SHADOWALLOC_IOC_GROUP_ADD_VM, group_id, pidfd,
			 SHADOWALLOC_GROUP_VM_PIDFD);
}

/**
 * shadowalloc_group_remove_vm_pidfd() - remove a VMM named by a pidfd
 * @fd: device descriptor
 * @group_id: the group
 * @pidfd: a pidfd of the VMM
 *
 * Return: 0 or -errno.
 */
int shadowalloc_group_remove_vm_pidfd(int fd, uint32_t group_id, int pidfd)
{
	return sa_vm_cmd(fd, SHADOWALLOC_IOC_GROUP_REMOVE_VM, group_id, pidfd,
			 SHADOWALLOC_GROUP_VM_PIDFD);
}

/**
 * shadowalloc_mem_bind() - read or set a memory object's group binding
 * @memfd: an open of the device, or a file of shadowallocfs
 * @flags: 0, or SHADOWALLOC_MEM_BIND_SET
 * @group_id: with SHADOWALLOC_MEM_BIND_SET: the group, 0 to unbind
 * @out: if not NULL, the binding after the call
 *
 * Return: 0 or -errno.
 */
int shadowalloc_mem_bind(int memfd, uint32_t flags, uint32_t group_id,
			 struct shadowalloc_mem_bind *out)
{
	struct shadowalloc_mem_bind arg = {
		.size = sizeof(arg),
		.flags = flags,
		.group_id = group_id,
	};
	int ret = sa_ioctl(memfd, SHADOWALLOC_IOC_MEM_BIND, &arg);

	if (!ret && out)
		*out = arg;
	return ret;
}

/**
 * shadowalloc_set_horizon() - set a group's prediction horizon
 * @fd: device descriptor
 * @group_id: the group
 * @horizon_ms: SHADOWALLOC_HORIZON_MIN_MS..SHADOWALLOC_HORIZON_MAX_MS
 *
 * Return: 0 or -errno.
 */
int shadowalloc_set_horizon(int fd, uint32_t group_id, uint32_t horizon_ms)
{
	struct shadowalloc_horizon arg = {
		.size = sizeof(arg),
		.group_id = group_id,
		.horizon_ms = horizon_ms,
	};

	return sa_ioctl(fd, SHADOWALLOC_IOC_SET_HORIZON, &arg);
}

/**
 * shadowalloc_get_stats() - read a group's state and counters
 * @fd: device descriptor
 * @group_id: the group
 * @stats: filled in; stats->size tells how much the kernel wrote
 *
 * Return: 0 or -errno.
 */
int shadowalloc_get_stats(int fd, uint32_t group_id,
			  struct shadowalloc_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	stats->size = sizeof(*stats);
	stats->group_id = group_id;
	return sa_ioctl(fd, SHADOWALLOC_IOC_GET_STATS, stats);
}

/**
 * shadowalloc_stage_reserve() - keep pages staged for an upcoming launch
 * @fd: device descriptor
 * @group_id: the group
 * @pages: 4 KiB pages; 0 cancels the reservation
 *
 * Return: 0 or -errno.
 */
int shadowalloc_stage_reserve(int fd, uint32_t group_id, uint64_t pages)
{
	struct shadowalloc_stage_reserve arg = {
		.size = sizeof(arg),
		.group_id = group_id,
		.pages = pages,
	};

	return sa_ioctl(fd, SHADOWALLOC_IOC_STAGE_RESERVE, &arg);
}

/**
 * shadowalloc_pool_config() - change a group's staging pool settings
 * @fd: device descriptor
 * @group_id: the group
 * @cfg: settings; cfg->flags selects which fields apply
 *
 * Return: 0 or -errno.
 */
int shadowalloc_pool_config(int fd, uint32_t group_id,
			    const struct shadowalloc_pool_config *cfg)
{
	struct shadowalloc_pool_config arg = *cfg;

	arg.size = sizeof(arg);
	arg.group_id = group_id;
	return sa_ioctl(fd, SHADOWALLOC_IOC_POOL_CONFIG, &arg);
}

/**
 * shadowalloc_model_export() - read a group's forecaster state as a blob
 * @fd: device descriptor
 * @group_id: the group
 * @buf: where the blob goes
 * @len: bytes at @buf (SHADOWALLOC_MODEL_BLOB_MAX always suffices)
 * @blob_len: out: the blob's size (also on -ENOSPC: the size needed)
 *
 * Return: 0 or -errno.
 */
int shadowalloc_model_export(int fd, uint32_t group_id, void *buf,
			     uint32_t len, uint32_t *blob_len)
{
	struct shadowalloc_model arg = {
		.size = sizeof(arg), .group_id = group_id, .blob_len = len,
		.blob = (uintptr_t)buf,
	};
	int ret = sa_ioctl(fd, SHADOWALLOC_IOC_MODEL_EXPORT, &arg);

	if (!ret || ret == -ENOSPC)
		*blob_len = arg.blob_len;
	return ret;
}

/**
 * shadowalloc_model_import() - replace a group's forecaster state
 * @fd: device descriptor
 * @group_id: the group
 * @blob: a blob from shadowalloc_model_export()
 * @len: its size
 *
 * Return: 0 or -errno (-EINVAL, -EPROTONOSUPPORT, -EBADMSG: a bad blob).
 */
int shadowalloc_model_import(int fd, uint32_t group_id, const void *blob,
			     uint32_t len)
{
	struct shadowalloc_model arg = {
		.size = sizeof(arg), .group_id = group_id, .blob_len = len,
		.blob = (uintptr_t)blob,
	};

	return sa_ioctl(fd, SHADOWALLOC_IOC_MODEL_IMPORT, &arg);
}

/**
 * shadowalloc_record() - start recording a group's first-touch faults
 * @fd: device descriptor
 * @group_id: the group
 *
 * Return: a descriptor to read struct shadowalloc_trace_record from, or
 * -errno.
 */
int shadowalloc_record(int fd, uint32_t group_id)
{
	struct shadowalloc_record arg = {
		.size = sizeof(arg), .group_id = group_id,
	};
	int ret = ioctl(fd, SHADOWALLOC_IOC_RECORD, &arg);

	return ret < 0 ? -errno : ret;
}

/**
 * shadowalloc_get_fault_hist() - a group's fault service-time histogram
 * @fd: device descriptor
 * @group_id: the group
 * @hist: filled in: the layout and per-class counts, and @hist->buckets
 *	allocated and filled to the layout the module reports
 *
 * Asks the module for its layout first (a call without a buffer), so
 * nothing about the buckets is hardcoded here; a module whose layout grew
 * between both calls answers -ENOSPC and the call is made again.
 *
 * Return: 0 or -errno (-ENOMEM; the ioctl's: -EINVAL, -EPERM, -ENOENT,
 * -ENOTTY from a module without GROUP_FAULT_HIST).
 */
int shadowalloc_get_fault_hist(int fd, uint32_t group_id,
			       struct shadowalloc_hist *hist)
{
	struct shadowalloc_fault_hist *arg = &hist->layout;
	uint32_t len;
	int ret, tries;

	hist->buckets = NULL;
	for (tries = 0; tries < 4; tries++) {
		memset(arg, 0, sizeof(*arg));
		arg->size = sizeof(*arg);
		arg->group_id = group_id;
		ret = sa_ioctl(fd, SHADOWALLOC_IOC_GROUP_FAULT_HIST, arg);
		if (ret)
			return ret;
		len = arg->buf_len;
		free(hist->buckets);
		hist->buckets = calloc(1, len ? len : 1);
		if (!hist->buckets)
			return -ENOMEM;
		memset(arg, 0, sizeof(*arg));
		arg->size = sizeof(*arg);
		arg->group_id = group_id;
		arg->buf_len = len;
		arg->buckets = (uintptr_t)hist->buckets;
		ret = sa_ioctl(fd, SHADOWALLOC_IOC_GROUP_FAULT_HIST, arg);
		if (ret != -ENOSPC)
			break;
	}
	if (ret) {
		free(hist->buckets);
		hist->buckets = NULL;
	}
	return ret;
}

/**
 * shadowalloc_hist_free() - free what shadowalloc_get_fault_hist() allocated
 * @hist: the histogram; its buckets become NULL
 */
void shadowalloc_hist_free(struct shadowalloc_hist *hist)
{
	free(hist->buckets);
	hist->buckets = NULL;
}

/**
 * shadowalloc_hist_bucket_bounds() - the service times a bucket counts
 * @layout: the module's layout (struct shadowalloc_fault_hist)
 * @b: the bucket, 0..@layout->nr_buckets - 1
 * @lo: its lower bound in ns (included)
 * @hi: its upper bound in ns (excluded); UINT64_MAX for the last bucket
 *
 * As the uapi header describes: bucket 0 below 2^first_shift, then
 * 2^sub_shift equal buckets per power of two, the last from 2^last_shift.
 */
void shadowalloc_hist_bucket_bounds(const struct shadowalloc_fault_hist *layout,
				    uint32_t b, uint64_t *lo, uint64_t *hi)
{
	uint32_t j, p, sub = layout->sub_shift;

	if (b == 0) {
		*lo = 0;
		*hi = 1ULL << layout->first_shift;
		return;
	}
	if (b + 1 >= layout->nr_buckets) {
		*lo = 1ULL << layout->last_shift;
		*hi = UINT64_MAX;
		return;
	}
	j = b - 1;
	p = layout->first_shift + (j >> sub);
	*lo = (1ULL << p) + ((uint64_t)(j & ((1U << sub) - 1)) << (p - sub));
	*hi = *lo + (1ULL << (p - sub));
}

/**
 * shadowalloc_hist_percentile() - a percentile of one class's service times
 * @hist: from shadowalloc_get_fault_hist()
 * @class: SHADOWALLOC_FAULT_4K_HIT .. SHADOWALLOC_FAULT_2M_MISS
 * @permille: which percentile, 1..1000 (500: the median)
 *
 * The rank is ceil(count * permille / 1000) (at least 1); the bucket that
 * holds the fault of that rank gives the value, interpolated linearly
 * within it: lo + (hi - lo) * (rank - faults below the bucket) / (faults
 * in it), so the last fault of a bucket reads as its upper bound. The
 * true value is in the same bucket, whose upper bound is at most 1.25
 * times its lower (sub_shift 2): the estimate is within 25 % of it. The
 * last bucket (2^last_shift ns and more) reads as its lower bound.
 *
 * Return: ns, or 0 when the class has no faults or is unknown.
 */
uint64_t shadowalloc_hist_percentile(const struct shadowalloc_hist *hist,
				     uint32_t class, uint32_t permille)
{
	const struct shadowalloc_fault_hist *l = &hist->layout;
	const uint64_t *row;
	uint64_t count = 0, rank, below = 0, lo, hi;
	uint32_t b;

	if (!hist->buckets || class >= l->nr_classes || !permille ||
	    permille > 1000)
		return 0;
	row = hist->buckets + (size_t)class * l->nr_buckets;
	for (b = 0; b < l->nr_buckets; b++)
		count += row[b];
	if (!count)
		return 0;
	rank = (count * permille + 999) / 1000;
	if (!rank)
		rank = 1;
	for (b = 0; b < l->nr_buckets; b++) {
		if (below + row[b] >= rank)
			break;
		below += row[b];
	}
	shadowalloc_hist_bucket_bounds(l, b, &lo, &hi);
	if (hi == UINT64_MAX)
		return lo;
	return lo + (uint64_t)((double)(hi - lo) * (double)(rank - below) /
			       (double)row[b]);
}

/* The range an -ERANGE of @op refers to, from the ABI header's bounds. */
static const char *sa_describe_range(enum shadowalloc_op op)
{
	static __thread char msg[128];

	if (op == SHADOWALLOC_OP_POOL_CONFIG)
		snprintf(msg, sizeof(msg),
			 "max age (%u..%u ms) or zeroing budget (%u..%u pages/s) out of range",
			 SHADOWALLOC_MAX_AGE_MIN_MS, SHADOWALLOC_MAX_AGE_MAX_MS,
			 SHADOWALLOC_ZERO_BUDGET_MIN, SHADOWALLOC_ZERO_BUDGET_MAX);
	else
		snprintf(msg, sizeof(msg), "horizon out of range (%u..%u ms)",
			 SHADOWALLOC_HORIZON_MIN_MS, SHADOWALLOC_HORIZON_MAX_MS);
	return msg;
}

/**
 * shadowalloc_describe_error() - what an error means for an operation
 * @op: the operation that failed
 * @err: its negative errno
 *
 * Return: a static string.
 */
const char *shadowalloc_describe_error(enum shadowalloc_op op, int err)
{
	switch (err) {
	case -ENOENT:
		if (op == SHADOWALLOC_OP_OPEN)
			return "no such device (is the shadowalloc module loaded?)";
		return "no such group";
	case -EPERM:
		if (op == SHADOWALLOC_OP_GET_STATS ||
		    op == SHADOWALLOC_OP_GROUP_FAULT_HIST)
			return "not permitted (needs CAP_SYS_ADMIN, or membership of the group)";
		return "not permitted (needs CAP_SYS_ADMIN)";
	case -EACCES:
		return "permission denied on the device";
	case -EEXIST:
		if (op == SHADOWALLOC_OP_GROUP_ADD_VM)
			return "the process is already a member of this group";
		return "a group with this id exists";
	case -ENOSPC:
		if (op == SHADOWALLOC_OP_MODEL_EXPORT)
			return "the buffer is smaller than the model blob";
		if (op == SHADOWALLOC_OP_GROUP_ADD_VM)
			return "the group has its maximum number of VMs";
		if (op == SHADOWALLOC_OP_STAGE_RESERVE)
			return "more than the group's staged-memory cap";
		return "the maximum number of groups exists (module parameter max_groups)";
	case -ENOTEMPTY:
		return "group still has member VMs";
	case -EBUSY:
		if (op == SHADOWALLOC_OP_RECORD)
			return "a recording of this group is already open";
		return "the process is a member of another group";
	case -EPROTO:
		return "no ABI handshake (SHADOWALLOC_IOC_API): not a shadowalloc device, or a module older than this tool";
	case -EPROTONOSUPPORT:
		return "the model blob has another format version";
	case -EBADMSG:
		return "the model blob is corrupt (checksum mismatch)";
	case -ESRCH:
		return "no such process";
	case -ENXIO:
		return "the process is not a member of this group";
	case -EALREADY:
		return op == SHADOWALLOC_OP_SHADOW_ENABLE ?
		       "shadowing is already enabled" :
		       "shadowing is already disabled";
	case -ERANGE:
		return sa_describe_range(op);
	case -EINVAL:
		if (op == SHADOWALLOC_OP_MODEL_IMPORT)
			return "not a model blob (size, magic or values out of range)";
		return "invalid argument (group id 1..2147483647, pid > 0, limits within the module parameters)";
	case -E2BIG:
		return "argument struct too big for this kernel";
	case -ENOTTY:
		if (op == SHADOWALLOC_OP_MEM_BIND)
			return "not a shadowalloc memory file (the device or a shadowallocfs file)";
		if (op == SHADOWALLOC_OP_GROUP_FAULT_HIST)
			return "this module keeps no fault histogram (ABI version 6 or later has it)";
		return "not a shadowalloc device, or an ioctl this module lacks";
	case -EBADF:
		return "not a pidfd";
	default:
		return strerror(-err);
	}
}
