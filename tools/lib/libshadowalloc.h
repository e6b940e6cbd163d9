/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libshadowalloc - the C API of /dev/shadowalloc for management agents.
 *
 * One function per ioctl. Every function returns 0 (or a file descriptor)
 * on success and a negative errno on failure; none prints or exits.
 * Documentation/ioctl-api.rst gives each errno's meaning per call.
 */
#ifndef LIBSHADOWALLOC_H
#define LIBSHADOWALLOC_H

#include <stdint.h>
#include <sys/types.h>
#include <linux/shadowalloc.h>

/**
 * struct shadowalloc_group_opts - optional settings of a new group
 * @max_vms: member limit, 0 for the module default
 * @max_staged_bytes: staged-memory cap, 0 for the module default
 * @horizon_ms: prediction horizon, 0 for the default
 */
struct shadowalloc_group_opts {
	uint32_t max_vms;
	uint64_t max_staged_bytes;
	uint32_t horizon_ms;
};

/* Operations, for shadowalloc_describe_error(). */
enum shadowalloc_op {
	SHADOWALLOC_OP_OPEN,
	SHADOWALLOC_OP_GROUP_CREATE,
	SHADOWALLOC_OP_GROUP_DESTROY,
	SHADOWALLOC_OP_GROUP_ADD_VM,
	SHADOWALLOC_OP_GROUP_REMOVE_VM,
	SHADOWALLOC_OP_SHADOW_ENABLE,
	SHADOWALLOC_OP_SHADOW_DISABLE,
	SHADOWALLOC_OP_SET_HORIZON,
	SHADOWALLOC_OP_GET_STATS,
	SHADOWALLOC_OP_STAGE_RESERVE,
	SHADOWALLOC_OP_POOL_CONFIG,
	SHADOWALLOC_OP_MODEL_EXPORT,
	SHADOWALLOC_OP_MODEL_IMPORT,
	SHADOWALLOC_OP_RECORD,
	SHADOWALLOC_OP_MEM_BIND,
	SHADOWALLOC_OP_GROUP_FAULT_HIST,
};

/* Open the device (path from $SHADOWALLOC_DEVICE, default /dev/shadowalloc). */
int shadowalloc_open(void);
/* Open a device at @path; both check the module's ABI once (-EPROTO). */
int shadowalloc_open_path(const char *path);
void shadowalloc_close(int fd);
/* SHADOWALLOC_IOC_API: version, supported ioctls and features, limits. */
int shadowalloc_get_api(int fd, struct shadowalloc_api *api);

int shadowalloc_group_create(int fd, uint32_t group_id,
			     const struct shadowalloc_group_opts *opts);
int shadowalloc_group_destroy(int fd, uint32_t group_id);
int shadowalloc_group_add_vm(int fd, uint32_t group_id, pid_t pid);
int shadowalloc_group_remove_vm(int fd, uint32_t group_id, pid_t pid);
/* The same, naming the VMM by a pidfd (pidfd_open(2)): no pid reuse. */
int shadowalloc_group_add_vm_pidfd(int fd, uint32_t group_id, int pidfd);
int shadowalloc_group_remove_vm_pidfd(int fd, uint32_t group_id, int pidfd);
/*
 * MEM_BIND on a memory file @memfd (an open of the device or a file of
 * shadowallocfs): @flags 0 reads the binding, SHADOWALLOC_MEM_BIND_SET binds
 * it to @group_id (0 unbinds); @out (may be NULL) gets the answer.
 */
int shadowalloc_mem_bind(int memfd, uint32_t flags, uint32_t group_id,
			 struct shadowalloc_mem_bind *out);
int shadowalloc_shadow_enable(int fd, uint32_t group_id);
int shadowalloc_shadow_disable(int fd, uint32_t group_id);
int shadowalloc_set_horizon(int fd, uint32_t group_id, uint32_t horizon_ms);
int shadowalloc_get_stats(int fd, uint32_t group_id,
			  struct shadowalloc_stats *stats);

int shadowalloc_stage_reserve(int fd, uint32_t group_id, uint64_t pages);
/* Apply the fields of @cfg selected by cfg->flags (SHADOWALLOC_POOL_SET_*). */
int shadowalloc_pool_config(int fd, uint32_t group_id,
			    const struct shadowalloc_pool_config *cfg);

/*
 * MODEL_EXPORT into @buf of @len bytes; on success *@blob_len is the blob's
 * size. -ENOSPC if @len is too small, with *@blob_len the size needed.
 */
int shadowalloc_model_export(int fd, uint32_t group_id, void *buf,
			     uint32_t len, uint32_t *blob_len);
int shadowalloc_model_import(int fd, uint32_t group_id, const void *blob,
			     uint32_t len);
/* RECORD: a new read-only descriptor of trace records, or -errno. */
int shadowalloc_record(int fd, uint32_t group_id);

/**
 * struct shadowalloc_hist - a group's fault service-time histogram
 * @layout: the kernel's answer: layout (nr_classes, nr_buckets,
 *	first_shift, sub_shift, last_shift) and count[] per class
 * @buckets: @layout.nr_classes rows of @layout.nr_buckets counts, row r
 *	at @buckets[r * @layout.nr_buckets] (malloc'ed, see
 *	shadowalloc_hist_free())
 */
struct shadowalloc_hist {
	struct shadowalloc_fault_hist layout;
	uint64_t *buckets;
};

/*
 * GROUP_FAULT_HIST: read the histogram of @group_id into @hist (its
 * buckets allocated to the module's layout). Free with
 * shadowalloc_hist_free(). -ENOTTY from a module older than ABI version 6.
 */
int shadowalloc_get_fault_hist(int fd, uint32_t group_id,
			       struct shadowalloc_hist *hist);
void shadowalloc_hist_free(struct shadowalloc_hist *hist);
/* Bounds of bucket @b in ns: [*lo, *hi); the last bucket's *hi is UINT64_MAX. */
void shadowalloc_hist_bucket_bounds(const struct shadowalloc_fault_hist *layout,
				    uint32_t b, uint64_t *lo, uint64_t *hi);
/*
 * The @permille-th percentile (500 p50, 900 p90, 990 p99) of class @class
 * (enum shadowalloc_fault_class) in ns, interpolated within its bucket;
 * 0 when the class has no faults.
 */
uint64_t shadowalloc_hist_percentile(const struct shadowalloc_hist *hist,
				     uint32_t class, uint32_t permille);

/*
 * What @err (a negative errno) means for @op, e.g. -ENOTEMPTY for
 * SHADOWALLOC_OP_GROUP_DESTROY: "group still has member VMs". Falls back
 * to strerror().
 */
const char *shadowalloc_describe_error(enum shadowalloc_op op, int err);

#endif /* LIBSHADOWALLOC_H */
