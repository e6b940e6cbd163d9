/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * shadowalloc: pre-zeroed, forecast-driven guest memory for KVM trust groups.
 *
 * The ioctl ABI of /dev/shadowalloc. This is the only header shared by the
 * kernel module and userspace.
 *
 * Commands are dispatched on their number (_IOC_NR) and type (the magic,
 * SHADOWALLOC_IOC_MAGIC); the argument's size is the one encoded in the
 * command (_IOC_SIZE), so a struct can grow without a new command: a caller
 * built against an older, smaller version and one built against a newer,
 * larger version both reach the same handler.
 *
 * Every argument struct starts with __u32 size, which must equal the size
 * encoded in the command (the caller's sizeof()), and __u32 flags. The
 * kernel accepts any size from the first published version
 * (SHADOWALLOC_*_SIZE_VER0) upwards, else -EINVAL: bytes the kernel does not
 * know must be zero (else -E2BIG), fields the caller did not pass read as
 * zero. Reserved fields and undefined flag bits must be zero (else -EINVAL).
 * Output structs are written up to min(caller size, kernel size) and their
 * size field is set to the number of bytes written. Invalid input changes
 * nothing. SHADOWALLOC_IOC_API tells which commands, features and limits the
 * running module has. Documentation/ioctl-api.rst describes every field and
 * errno.
 */
#ifndef _UAPI_LINUX_SHADOWALLOC_H
#define _UAPI_LINUX_SHADOWALLOC_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define SHADOWALLOC_DEVICE_NAME		"shadowalloc"

/* statfs() f_type of a shadowallocfs mount (guest memory as files). */
#define SHADOWALLOCFS_MAGIC		0x5ad0a11d

/* Group ids are chosen by the management agent; 0 is never a valid id. */
#define SHADOWALLOC_GROUP_ID_MIN	1U
#define SHADOWALLOC_GROUP_ID_MAX	0x7fffffffU

/* Prediction horizon bounds, in milliseconds. */
#define SHADOWALLOC_HORIZON_MIN_MS	100U
#define SHADOWALLOC_HORIZON_MAX_MS	3600000U
#define SHADOWALLOC_HORIZON_DEFAULT_MS	5000U

/*
 * The forecaster's tick, in milliseconds: demand is observed, the forecast
 * advanced and the pool target set once per tick (recordings and model
 * blobs count in ticks).
 */
#define SHADOWALLOC_TICK_MS		100U

/* Staged pages unused for this long are released; bounds in milliseconds. */
#define SHADOWALLOC_MAX_AGE_MIN_MS	100U
#define SHADOWALLOC_MAX_AGE_MAX_MS	86400000U
#define SHADOWALLOC_MAX_AGE_DEFAULT_MS	30000U

/**
 * struct shadowalloc_group_create - argument of SHADOWALLOC_IOC_GROUP_CREATE
 * @size: sizeof(struct shadowalloc_group_create) as compiled by the caller
 * @flags: must be 0
 * @group_id: id of the new group, SHADOWALLOC_GROUP_ID_MIN..MAX
 * @max_vms: member limit of this group; 0 means the module parameter
 *	max_vms_per_group, values above that parameter are refused
 * @max_staged_bytes: cap on staged memory of this group, a multiple of the
 *	page size; 0 means the module parameter default_max_staged_mb
 * @horizon_ms: initial prediction horizon; 0 means
 *	SHADOWALLOC_HORIZON_DEFAULT_MS
 * @reserved0: must be 0
 * @reserved: must be 0
 */
struct shadowalloc_group_create {
	__u32 size;
	__u32 flags;
	__u32 group_id;
	__u32 max_vms;
	__u64 max_staged_bytes;
	__u32 horizon_ms;
	__u32 reserved0;
	__u64 reserved[4];
};

#define SHADOWALLOC_GROUP_CREATE_SIZE_VER0	64

/**
 * struct shadowalloc_group_arg - a group id, for DESTROY, ENABLE, DISABLE
 * @size: sizeof(struct shadowalloc_group_arg) as compiled by the caller
 * @flags: must be 0
 * @group_id: the group
 * @reserved0: must be 0
 * @reserved: must be 0
 */
struct shadowalloc_group_arg {
	__u32 size;
	__u32 flags;
	__u32 group_id;
	__u32 reserved0;
	__u64 reserved[2];
};

#define SHADOWALLOC_GROUP_ARG_SIZE_VER0		32

/**
 * struct shadowalloc_group_vm - argument of GROUP_ADD_VM / GROUP_REMOVE_VM
 * @size: sizeof(struct shadowalloc_group_vm) as compiled by the caller
 * @flags: 0 or SHADOWALLOC_GROUP_VM_PIDFD
 * @group_id: the group
 * @pid: thread-group id (process id) of the VMM process that runs the VM,
 *	resolved in the caller's pid namespace; with SHADOWALLOC_GROUP_VM_PIDFD
 *	a pidfd of it (pidfd_open(2)), which cannot name a reused pid
 * @reserved: must be 0
 *
 * A VM is in at most one group; its telemetry is attributed by its VMM
 * process. ADD_VM also binds every guest memory object the VMM maps at the
 * time to the group (moving them from any other), REMOVE_VM unbinds those
 * bound to this group. Which pool serves a first touch is decided by the
 * object's binding (SHADOWALLOC_IOC_MEM_BIND), else its creator's group.
 */
struct shadowalloc_group_vm {
	__u32 size;
	__u32 flags;
	__u32 group_id;
	__s32 pid;
	__u64 reserved[2];
};

#define SHADOWALLOC_GROUP_VM_SIZE_VER0		32

/* shadowalloc_group_vm.flags: @pid is a pidfd (ABI version 3) */
#define SHADOWALLOC_GROUP_VM_PIDFD	(1U << 0)

/* shadowalloc_mem_bind.flags: set the binding to @group_id */
#define SHADOWALLOC_MEM_BIND_SET	(1U << 0)

/**
 * struct shadowalloc_mem_bind - argument of SHADOWALLOC_IOC_MEM_BIND
 * @size: sizeof(struct shadowalloc_mem_bind) as compiled by the caller
 * @flags: 0 to read the binding, SHADOWALLOC_MEM_BIND_SET to change it
 *	(needs CAP_SYS_ADMIN)
 * @group_id: in, with SET: the group to bind to (it must exist), or 0 to
 *	unbind; out: the object's binding, 0 if unbound
 * @serving_group_id: out: the group whose pool serves the object's first
 *	touches now: the bound one, else its creator's, 0 for none
 * @pages: out: pages the object holds
 * @reserved: out: zero (output space: only the fields up to @group_id are
 *	read)
 *
 * Issued on a guest memory object: an open of /dev/shadowalloc or a file of
 * shadowallocfs (the only command a shadowallocfs file takes). Since ABI
 * version 3.
 */
struct shadowalloc_mem_bind {
	__u32 size;
	__u32 flags;
	__u32 group_id;
	__u32 serving_group_id;
	__u64 pages;
	__u64 reserved[2];
};

#define SHADOWALLOC_MEM_BIND_SIZE_VER0		40

/**
 * struct shadowalloc_horizon - argument of SHADOWALLOC_IOC_SET_HORIZON
 * @size: sizeof(struct shadowalloc_horizon) as compiled by the caller
 * @flags: must be 0
 * @group_id: the group
 * @horizon_ms: SHADOWALLOC_HORIZON_MIN_MS..SHADOWALLOC_HORIZON_MAX_MS
 * @reserved: must be 0
 */
struct shadowalloc_horizon {
	__u32 size;
	__u32 flags;
	__u32 group_id;
	__u32 horizon_ms;
	__u64 reserved[2];
};

#define SHADOWALLOC_HORIZON_SIZE_VER0		32

/* shadowalloc_stats.state */
#define SHADOWALLOC_STATE_ENABLED	(1U << 0)
#define SHADOWALLOC_STATE_HUGE		(1U << 1)

/**
 * struct shadowalloc_stats - argument of SHADOWALLOC_IOC_GET_STATS
 * @size: in: caller's sizeof(); out: bytes written by the kernel
 * @flags: must be 0
 * @group_id: in: the group
 * @state: out: SHADOWALLOC_STATE_* bits
 * @nr_vms: out: current members
 * @max_vms: out: member limit
 * @horizon_ms: out: prediction horizon
 * @accuracy_permille: out: forecast accuracy over the completed horizon
 *	windows: 1000 * sum min(forecast, actual) / sum max(forecast, actual)
 *	(1000: every window exact; 0: no overlap, or no data: no window yet,
 *	or neither demand nor forecast in any window)
 * @utilisation_permille: out: staged pages handed to VMs per 1000 staged
 * @hit_rate_permille: out: hits per 1000 of @hits + @misses
 * @max_staged_bytes: out: cap on staged memory
 * @faults: out: first-touch faults served for this group's VMs
 * @hits: out: faults served from the staging pool
 * @misses: out: faults that allocated and zeroed on the fault path
 * @staged_pages: out: pre-zeroed pages waiting in the pool now
 * @staging_target_pages: out: pool size the refill worker aims at
 * @staged_total: out: pages ever staged into the pool
 * @evicted_pages: out: staged pages released unused (ageing, shrinker,
 *	disable, cap)
 * @discard_returned_pages: out: pages VMs gave back (hole punch, shrinking
 *	ftruncate; before ABI version 5 also the object's release, now
 *	@released_pages), freed and zeroed again before any reuse
 * @hit_service_ns: out: sum of fault service times of hits
 * @miss_service_ns: out: sum of fault service times of misses
 * @time_saved_ns: out: estimated fault-path time saved by hits: @hit_pages
 *	times the misses' service time per page, less @hit_service_ns; before
 *	the first miss (since ABI version 5), @hit_pages times the refill's
 *	allocate-and-zero time per page (@refill_zero_ns / @zeroed_pages)
 * @forecast_pages: out: the forecaster's staging target: what the next
 *	ticks' forecast demand needs staged ahead at the pool's zeroing
 *	budget, plus the safety stock, in pages (before the cap)
 * @forecast_abs_err_pages: out: absolute forecast error of the last
 *	completed horizon window, in pages
 * @events_seen: out: telemetry events of the group's VMs that reached the
 *	module while shadowing was enabled (passed + dropped)
 * @events_dropped: out: telemetry events dropped (ring full)
 * @reserved_pages: out: outstanding STAGE_RESERVE reservation, in pages
 * @max_age_ms: out: staged pages unused this long are released
 * @pad0: out: zero
 * @staged_huge_pages: out: part of @staged_pages staged as 2 MiB blocks
 * @hits_huge: out: part of @hits served with a 2 MiB block
 * @forecast_err_permille: out: sum of |forecast - actual| over every
 *	completed horizon window, per 1000 pages of actual demand
 * @naive_err_permille: out: the same for the last-value forecast (next
 *	window = the previous one), the baseline the forecaster must beat
 * @forecast_windows: out: completed horizon windows scored (one per tick,
 *	windows overlap)
 * @reserved: out: zero
 * @hit_pages: out: 4 KiB pages of @hits (a 2 MiB hit counts 512); since
 *	ABI version 2
 * @miss_pages: out: 4 KiB pages of @misses; since ABI version 2
 * @raced: out: first touches that lost the race to insert their folio to
 *	another fault of the same page (a staged folio goes back to the
 *	pool); @hits + @misses + @raced = @faults; since ABI version 3
 * @zeroed_pages: out: pages the refill worker allocated and zeroed for the
 *	pool (the CPU staging costs); since ABI version 3
 * @refill_throttled: out: refill runs cut short by the zeroing budget;
 *	since ABI version 3
 * @refill_backoffs: out: refill runs cut short because memory was low (free
 *	pages under the high watermark, or the shrinker took staged pages
 *	recently); since ABI version 3
 * @zero_pages_per_sec: out: the pool's zeroing budget; since ABI version 3
 * @pad1: out: zero
 * @held_page_ticks: out: memory held: the sum over forecast ticks of the
 *	pages staged when the tick ran (after the refill, before the next
 *	tick's faults), in page-ticks of SHADOWALLOC_TICK_MS; since ABI
 *	version 4
 * @held_ticks: out: the forecast ticks summed in @held_page_ticks: the
 *	mean staged pages is @held_page_ticks / @held_ticks, page-seconds per
 *	hit @held_page_ticks * SHADOWALLOC_TICK_MS / 1000 / @hit_pages; since
 *	ABI version 4
 * @hit_rate_pages_permille: out: @hit_pages per 1000 of @hit_pages +
 *	@miss_pages: the page-weighted hit rate (a 2 MiB hit weighs 512 4 KiB
 *	misses); since ABI version 5
 * @pad2: out: zero
 * @released_pages: out: pages freed because a VM's memory object went
 *	away (its last mapping and file closed), not given back by a discard;
 *	@discard_returned_pages counts only hole punches and shrinking
 *	ftruncate since ABI version 5
 * @reserve_shortfall_pages: out: part of @reserved_pages not staged now
 *	(the shrinker or low memory took them, or the refill has not caught
 *	up); the refill worker re-stages them when memory allows; since ABI
 *	version 5
 * @cap_evicted_pages: out: part of @evicted_pages released because the
 *	cap was lowered below what was staged; since ABI version 5
 * @refill_zero_ns: out: time the refill worker spent allocating and
 *	zeroing the pool's pages (off the fault path); since ABI version 5
 * @fault_zeroed_pages: out: pages allocated and zeroed on the fault path
 *	(the misses' pages, @miss_pages), beside @zeroed_pages, those the
 *	refill worker zeroed off it; bytes are pages times 4096; since ABI
 *	version 6
 * @refill_cpu_ns: out: CPU time of the refill worker's runs for this
 *	pool: the kworker's own runtime (its scheduler sum_exec_runtime)
 *	across each run, so time it was preempted or waited is not counted
 *	(the scheduler updates it at ticks and switches: one run is measured
 *	to a tick, the sum over runs is exact on average); since ABI version 6
 * @refill_runs: out: refill worker runs measured in @refill_cpu_ns; since
 *	ABI version 6
 * @aged_out_pages: out: part of @evicted_pages released by ageing
 *	(@max_age_ms passed unused); since ABI version 6
 * @shrinker_evicted_pages: out: part of @evicted_pages the shrinker took
 *	under memory pressure; since ABI version 6
 * @evicted_unused_pages: out: pages zeroed for the pool and then released
 *	unused: @aged_out_pages + @shrinker_evicted_pages +
 *	@cap_evicted_pages (@evicted_pages also counts those released when
 *	shadowing was disabled); since ABI version 6
 */
struct shadowalloc_stats {
	__u32 size;
	__u32 flags;
	__u32 group_id;
	__u32 state;
	__u32 nr_vms;
	__u32 max_vms;
	__u32 horizon_ms;
	__u32 accuracy_permille;
	__u32 utilisation_permille;
	__u32 hit_rate_permille;
	__u64 max_staged_bytes;
	__u64 faults;
	__u64 hits;
	__u64 misses;
	__u64 staged_pages;
	__u64 staging_target_pages;
	__u64 staged_total;
	__u64 evicted_pages;
	__u64 discard_returned_pages;
	__u64 hit_service_ns;
	__u64 miss_service_ns;
	__u64 time_saved_ns;
	__u64 forecast_pages;
	__u64 forecast_abs_err_pages;
	__u64 events_seen;
	__u64 events_dropped;
	__u64 reserved_pages;
	__u32 max_age_ms;
	__u32 pad0;
	__u64 staged_huge_pages;
	__u64 hits_huge;
	__u32 forecast_err_permille;
	__u32 naive_err_permille;
	__u64 forecast_windows;
	__u64 reserved[2];
	/* ABI version 2 */
	__u64 hit_pages;
	__u64 miss_pages;
	/* ABI version 3 */
	__u64 raced;
	__u64 zeroed_pages;
	__u64 refill_throttled;
	__u64 refill_backoffs;
	__u32 zero_pages_per_sec;
	__u32 pad1;
	/* ABI version 4 */
	__u64 held_page_ticks;
	__u64 held_ticks;
	/* ABI version 5 */
	__u32 hit_rate_pages_permille;
	__u32 pad2;
	__u64 released_pages;
	__u64 reserve_shortfall_pages;
	__u64 cap_evicted_pages;
	__u64 refill_zero_ns;
	/* ABI version 6 */
	__u64 fault_zeroed_pages;
	__u64 refill_cpu_ns;
	__u64 refill_runs;
	__u64 aged_out_pages;
	__u64 shrinker_evicted_pages;
	__u64 evicted_unused_pages;
};

#define SHADOWALLOC_STATS_SIZE_VER0		232
#define SHADOWALLOC_STATS_SIZE_VER1		248
#define SHADOWALLOC_STATS_SIZE_VER2		288
#define SHADOWALLOC_STATS_SIZE_VER3		304
#define SHADOWALLOC_STATS_SIZE_VER4		344
#define SHADOWALLOC_STATS_SIZE_VER5		392

/**
 * struct shadowalloc_stage_reserve - argument of SHADOWALLOC_IOC_STAGE_RESERVE
 * @size: sizeof(struct shadowalloc_stage_reserve) as compiled by the caller
 * @flags: must be 0
 * @group_id: the group
 * @reserved0: must be 0
 * @pages: 4 KiB pages to have staged for an upcoming launch; 0 cancels.
 *	Pages handed to the group's VMs or aged out use the reservation up.
 * @reserved: must be 0
 */
struct shadowalloc_stage_reserve {
	__u32 size;
	__u32 flags;
	__u32 group_id;
	__u32 reserved0;
	__u64 pages;
	__u64 reserved[2];
};

#define SHADOWALLOC_STAGE_RESERVE_SIZE_VER0	40

/* shadowalloc_pool_config.flags: which fields to apply */
#define SHADOWALLOC_POOL_SET_MAX_AGE	(1U << 0)
#define SHADOWALLOC_POOL_SET_CAP	(1U << 1)
#define SHADOWALLOC_POOL_SET_HUGE	(1U << 2)
#define SHADOWALLOC_POOL_SET_ZERO_BUDGET	(1U << 3)	/* API 3 */
#define SHADOWALLOC_POOL_SET_ALL	(SHADOWALLOC_POOL_SET_MAX_AGE | \
					 SHADOWALLOC_POOL_SET_CAP | \
					 SHADOWALLOC_POOL_SET_HUGE | \
					 SHADOWALLOC_POOL_SET_ZERO_BUDGET)

/* Range of shadowalloc_pool_config.zero_pages_per_sec (1 GiB/s is 262144). */
#define SHADOWALLOC_ZERO_BUDGET_MIN	256U
#define SHADOWALLOC_ZERO_BUDGET_MAX	(1U << 24)

/**
 * struct shadowalloc_pool_config - argument of SHADOWALLOC_IOC_POOL_CONFIG
 * @size: sizeof(struct shadowalloc_pool_config) as compiled by the caller
 * @flags: SHADOWALLOC_POOL_SET_* bits selecting the fields to apply
 * @group_id: the group
 * @max_age_ms: staged pages unused this long are released,
 *	SHADOWALLOC_MAX_AGE_MIN_MS..SHADOWALLOC_MAX_AGE_MAX_MS
 * @max_staged_bytes: cap on staged memory, a non-zero multiple of the page
 *	size, at most total RAM
 * @huge: 1: stage 2 MiB blocks where a whole aligned 2 MiB of guest memory
 *	is untouched, so KVM can map it with one 2 MiB entry; 0: 4 KiB only
 * @zero_pages_per_sec: the refill worker's zeroing budget: at most this
 *	many 4 KiB pages zeroed per second for the pool, so the CPU staging
 *	takes is bounded, SHADOWALLOC_ZERO_BUDGET_MIN..SHADOWALLOC_ZERO_BUDGET_MAX
 *	(was reserved0, must-be-zero, before ABI version 3)
 * @reserved: must be 0
 */
struct shadowalloc_pool_config {
	__u32 size;
	__u32 flags;
	__u32 group_id;
	__u32 max_age_ms;
	__u64 max_staged_bytes;
	__u32 huge;
	__u32 zero_pages_per_sec;
	__u64 reserved[2];
};

#define SHADOWALLOC_POOL_CONFIG_SIZE_VER0	48

/* Largest model blob MODEL_EXPORT writes or MODEL_IMPORT reads. */
#define SHADOWALLOC_MODEL_BLOB_MAX	16384U

/**
 * struct shadowalloc_model - argument of MODEL_EXPORT and MODEL_IMPORT
 * @size: sizeof(struct shadowalloc_model) as compiled by the caller
 * @flags: must be 0
 * @group_id: the group whose forecaster state moves
 * @blob_len: EXPORT: in: bytes available at @blob; out: bytes written, or
 *	the bytes needed when the call fails with -ENOSPC. IMPORT: in: bytes
 *	of the blob at @blob (at most SHADOWALLOC_MODEL_BLOB_MAX)
 * @blob: user pointer to the blob (a versioned, checksummed image of the
 *	group's model, see Documentation/forecast.rst)
 * @reserved: must be zero
 */
struct shadowalloc_model {
	__u32 size;
	__u32 flags;
	__u32 group_id;
	__u32 blob_len;
	__u64 blob;
	__u64 reserved[2];
};

#define SHADOWALLOC_MODEL_SIZE_VER0		40

/**
 * struct shadowalloc_record - argument of SHADOWALLOC_IOC_RECORD
 * @size: sizeof(struct shadowalloc_record) as compiled by the caller
 * @flags: must be 0
 * @group_id: the group whose first-touch faults are recorded
 * @reserved0: must be zero
 * @reserved: must be zero
 *
 * On success the ioctl returns a new read-only file descriptor; read()
 * returns whole struct shadowalloc_trace_record entries (blocking unless
 * O_NONBLOCK; poll() works) until the group is destroyed, then 0. One
 * recording per group at a time. Records are in time order per CPU; each
 * CPU buffers a few thousand (4096 now), a reader that falls behind loses
 * the rest and is told by a lost-records marker.
 */
struct shadowalloc_record {
	__u32 size;
	__u32 flags;
	__u32 group_id;
	__u32 reserved0;
	__u64 reserved[2];
};

#define SHADOWALLOC_RECORD_SIZE_VER0		32

/**
 * struct shadowalloc_trace_record - one recorded first touch
 * @t_ns: CLOCK_MONOTONIC time of the fault, ns
 * @offset: byte offset of the folio in the memory object, a multiple of
 *	@size: object-offset space (the offset in the file the VMM maps), not
 *	guest-physical (a VMM maps its RAM at some offset of the object and
 *	the guest sees it at some GPA; neither is known to the module)
 * @gpa: the field's former name, the same value: an object offset
 * @lost: in a lost-records marker (@size 0), the number of records lost
 *	because the reader was too slow
 * @vm_pid: the memory object's owner, the process that created it (a VMM
 *	that opens the device itself), initial pid namespace
 * @size: bytes of the folio the fault handler inserted: 4096 or 2097152;
 *	0 marks lost records
 *
 * One record per first touch the group's pool served (a hit, 4 KiB or
 * 2 MiB) or missed, taken in the module's fault handler: the same events
 * GET_STATS counts as hits and misses; a fault that lost the race to
 * insert its page is not a first touch. With SHADOWALLOC_FEATURE_RECORD
 * but without SHADOWALLOC_FEATURE_RECORD_OFFSETS, a module filled records
 * from KVM's mapping events instead (@gpa a guest-physical address, only
 * with the telemetry attached).
 */
struct shadowalloc_trace_record {
	__u64 t_ns;
	union {
		__u64 offset;
		__u64 gpa;
		__u64 lost;
	};
	__u32 vm_pid;
	__u32 size;
};

/*
 * Fault classes of struct shadowalloc_fault_hist, the rows of its bucket
 * array: a first touch served from the staging pool (hit) or allocated and
 * zeroed on the fault path (miss), with a 4 KiB or a 2 MiB folio.
 */
enum shadowalloc_fault_class {
	SHADOWALLOC_FAULT_4K_HIT	= 0,
	SHADOWALLOC_FAULT_4K_MISS	= 1,
	SHADOWALLOC_FAULT_2M_HIT	= 2,
	SHADOWALLOC_FAULT_2M_MISS	= 3,
	SHADOWALLOC_FAULT_CLASSES	= 4,
};

/**
 * struct shadowalloc_fault_hist - argument of SHADOWALLOC_IOC_GROUP_FAULT_HIST
 * @size: in: caller's sizeof(); out: bytes written by the kernel
 * @flags: must be 0
 * @group_id: in: the group
 * @buf_len: in: bytes available at @buckets; out: bytes written, or the
 *	bytes needed (@nr_classes * @nr_buckets * 8) when the call fails with
 *	-ENOSPC, or when @buckets is 0 (a query of the layout)
 * @buckets: in: user pointer to __u64[@nr_classes][@nr_buckets], filled
 *	with the fault counts per class (enum shadowalloc_fault_class) and
 *	bucket; 0, with @buf_len 0, asks for the layout and @count only
 * @nr_classes: out: rows: SHADOWALLOC_FAULT_CLASSES
 * @nr_buckets: out: buckets per class, 2 + ((@last_shift - @first_shift)
 *	<< @sub_shift)
 * @first_shift: out: bucket 0 counts service times below 2^@first_shift ns
 * @sub_shift: out: each power of two from 2^@first_shift to 2^@last_shift
 *	ns is split into 2^@sub_shift buckets of equal width
 * @last_shift: out: the last bucket counts times of 2^@last_shift ns and
 *	more
 * @pad0: out: zero
 * @count: out: faults per class (the sum of the class's buckets, the same
 *	snapshot), for the first four classes
 * @sum_ns: out: their summed service time per class: @sum_ns / @count is
 *	the class's mean (GET_STATS's @hit_service_ns is the sum of both hit
 *	classes, @miss_service_ns of both miss classes)
 * @reserved: out: zero
 *
 * The module keeps, per group, a histogram of the fault service time (as
 * GET_STATS's @hit_service_ns and @miss_service_ns sum it) of every first
 * touch the group's pool served or missed; it starts empty with the group
 * and goes with it. Bucket i, for 1 <= i <= @nr_buckets - 2, with j = i - 1,
 * p = @first_shift + (j >> @sub_shift) and s = j & ((1 << @sub_shift) - 1),
 * counts times in [2^p + s * 2^(p - @sub_shift), 2^p + (s + 1) * 2^(p -
 * @sub_shift)) ns: log-linear buckets whose upper bound is at most 1.25
 * times the lower (with @sub_shift 2), so a percentile interpolated within
 * its bucket is within 25 % of the true one. Counters are per CPU and
 * summed without a lock: faults racing with the call are counted or not.
 * Needs CAP_SYS_ADMIN or membership of the group, as GET_STATS. Since ABI
 * version 6.
 */
struct shadowalloc_fault_hist {
	__u32 size;
	__u32 flags;
	__u32 group_id;
	__u32 buf_len;
	__u64 buckets;
	__u32 nr_classes;
	__u32 nr_buckets;
	__u32 first_shift;
	__u32 sub_shift;
	__u32 last_shift;
	__u32 pad0;
	__u64 count[4];
	__u64 sum_ns[4];
	__u64 reserved[4];
};

#define SHADOWALLOC_FAULT_HIST_SIZE_VER0	144

/*
 * The ABI version SHADOWALLOC_IOC_API reports. 1: the first published ABI;
 * 2: dispatch by command number with the size from the command, the API
 * ioctl, struct shadowalloc_stats grew (VER1); 3: membership by object
 * (MEM_BIND, ADD_VM by pidfd), the pool's zeroing budget, stats VER2; 4:
 * model blobs of version 2 (launch profiles, periods; up to
 * SHADOWALLOC_MODEL_BLOB_MAX 16384), accuracy_permille as the windows'
 * overlap, recordings from the fault handler in object-offset space
 * (SHADOWALLOC_FEATURE_RECORD_OFFSETS), stats VER3 (memory held); 5:
 * stats VER4 (page-weighted hit rate, pages released apart from discards,
 * reservation shortfall, cap evictions, refill zeroing time), POOL_CONFIG
 * refuses a cap below the outstanding reservation with -EBUSY; 6: the
 * fault service-time histogram (GROUP_FAULT_HIST), stats VER5 (work off
 * the fault path: fault-path zeroing, the refill's CPU time, pages evicted
 * unused by cause). A module accepts every version from 1 up to its own.
 */
#define SHADOWALLOC_API_VERSION		6U

/* shadowalloc_api.features: what the running module can do. */
/* Staging of 2 MiB blocks (SHADOWALLOC_POOL_SET_HUGE). */
#define SHADOWALLOC_FEATURE_HUGE	(1ULL << 0)
/* shadowallocfs: guest memory as files, with hole punching. */
#define SHADOWALLOC_FEATURE_FS		(1ULL << 1)
/* The telemetry kfunc for BPF tracing programs (shadowctl attach). */
#define SHADOWALLOC_FEATURE_TELEMETRY	(1ULL << 2)
/* Model blobs, SHADOWALLOC_IOC_MODEL_EXPORT / _IMPORT. */
#define SHADOWALLOC_FEATURE_MODELS	(1ULL << 3)
/* Recordings of first touches, SHADOWALLOC_IOC_RECORD. */
#define SHADOWALLOC_FEATURE_RECORD	(1ULL << 4)
/*
 * Recordings come from the fault handler, in object offsets (struct
 * shadowalloc_trace_record.offset), and need no telemetry.
 */
#define SHADOWALLOC_FEATURE_RECORD_OFFSETS	(1ULL << 5)
#define SHADOWALLOC_FEATURES_ALL	(SHADOWALLOC_FEATURE_HUGE | \
					 SHADOWALLOC_FEATURE_FS | \
					 SHADOWALLOC_FEATURE_TELEMETRY | \
					 SHADOWALLOC_FEATURE_MODELS | \
					 SHADOWALLOC_FEATURE_RECORD | \
					 SHADOWALLOC_FEATURE_RECORD_OFFSETS)

/**
 * struct shadowalloc_api - argument of SHADOWALLOC_IOC_API, the handshake
 * @size: in: caller's sizeof(); out: bytes written by the kernel
 * @flags: must be 0
 * @api_version: in: the SHADOWALLOC_API_VERSION the caller was built
 *	against, 1 or more (else -EINVAL); out: the module's version
 * @reserved0: must be 0
 * @features: in: SHADOWALLOC_FEATURE_* bits the caller needs: a bit the
 *	module lacks fails the call with -EINVAL (and @features holds what it
 *	has); out: every feature the module has
 * @ioctls: out: bit n set when command number n (_IOC_NR) is supported
 * @max_groups: out: the max_groups module parameter now
 * @max_vms_per_group: out: the max_vms_per_group module parameter now
 * @horizon_min_ms: out: SHADOWALLOC_HORIZON_MIN_MS
 * @horizon_max_ms: out: SHADOWALLOC_HORIZON_MAX_MS
 * @max_age_min_ms: out: SHADOWALLOC_MAX_AGE_MIN_MS
 * @max_age_max_ms: out: SHADOWALLOC_MAX_AGE_MAX_MS
 * @model_blob_max: out: SHADOWALLOC_MODEL_BLOB_MAX
 * @tick_ms: out: the forecaster's tick, SHADOWALLOC_TICK_MS
 * @reserved: must be 0
 *
 * Needs no privilege. Call it once after open, as UFFDIO_API: it is how a
 * newer tool learns what an older module lacks instead of guessing from
 * -ENOTTY.
 */
struct shadowalloc_api {
	__u32 size;
	__u32 flags;
	__u32 api_version;
	__u32 reserved0;
	__u64 features;
	__u64 ioctls;
	__u32 max_groups;
	__u32 max_vms_per_group;
	__u32 horizon_min_ms;
	__u32 horizon_max_ms;
	__u32 max_age_min_ms;
	__u32 max_age_max_ms;
	__u32 model_blob_max;
	__u32 tick_ms;
	__u64 reserved[4];
};

#define SHADOWALLOC_API_SIZE_VER0		96

/*
 * The ioctl magic ('type'), as Documentation/userspace-api/ioctl/
 * ioctl-number.rst would list it: 0xB9, numbers 0x00-0x3F, this header.
 * Command numbers (_IOC_NR) identify commands; the size part of a command
 * is the caller's struct size and the direction is part of the command.
 */
#define SHADOWALLOC_IOC_MAGIC	0xB9

/* Command numbers, _IOC_NR() of the commands below. */
enum {
	SHADOWALLOC_NR_API		= 0x00,
	SHADOWALLOC_NR_GROUP_CREATE	= 0x01,
	SHADOWALLOC_NR_GROUP_DESTROY	= 0x02,
	SHADOWALLOC_NR_GROUP_ADD_VM	= 0x03,
	SHADOWALLOC_NR_GROUP_REMOVE_VM	= 0x04,
	SHADOWALLOC_NR_SHADOW_ENABLE	= 0x05,
	SHADOWALLOC_NR_SHADOW_DISABLE	= 0x06,
	SHADOWALLOC_NR_SET_HORIZON	= 0x07,
	SHADOWALLOC_NR_GET_STATS	= 0x08,
	SHADOWALLOC_NR_STAGE_RESERVE	= 0x09,
	SHADOWALLOC_NR_POOL_CONFIG	= 0x0a,
	SHADOWALLOC_NR_MODEL_EXPORT	= 0x0b,
	SHADOWALLOC_NR_MODEL_IMPORT	= 0x0c,
	SHADOWALLOC_NR_RECORD		= 0x0d,
	SHADOWALLOC_NR_MEM_BIND		= 0x0e,
	SHADOWALLOC_NR_GROUP_FAULT_HIST	= 0x0f,
	SHADOWALLOC_NR_MAX		= 0x3f,
};

#define SHADOWALLOC_IOC_API \
	_IOWR(SHADOWALLOC_IOC_MAGIC, SHADOWALLOC_NR_API, struct shadowalloc_api)

#define SHADOWALLOC_IOC_GROUP_CREATE \
	_IOW(SHADOWALLOC_IOC_MAGIC, SHADOWALLOC_NR_GROUP_CREATE, struct shadowalloc_group_create)
#define SHADOWALLOC_IOC_GROUP_DESTROY \
	_IOW(SHADOWALLOC_IOC_MAGIC, SHADOWALLOC_NR_GROUP_DESTROY, struct shadowalloc_group_arg)
#define SHADOWALLOC_IOC_GROUP_ADD_VM \
	_IOW(SHADOWALLOC_IOC_MAGIC, SHADOWALLOC_NR_GROUP_ADD_VM, struct shadowalloc_group_vm)
#define SHADOWALLOC_IOC_GROUP_REMOVE_VM \
	_IOW(SHADOWALLOC_IOC_MAGIC, SHADOWALLOC_NR_GROUP_REMOVE_VM, struct shadowalloc_group_vm)
#define SHADOWALLOC_IOC_SHADOW_ENABLE \
	_IOW(SHADOWALLOC_IOC_MAGIC, SHADOWALLOC_NR_SHADOW_ENABLE, struct shadowalloc_group_arg)
#define SHADOWALLOC_IOC_SHADOW_DISABLE \
	_IOW(SHADOWALLOC_IOC_MAGIC, SHADOWALLOC_NR_SHADOW_DISABLE, struct shadowalloc_group_arg)
#define SHADOWALLOC_IOC_SET_HORIZON \
	_IOW(SHADOWALLOC_IOC_MAGIC, SHADOWALLOC_NR_SET_HORIZON, struct shadowalloc_horizon)
#define SHADOWALLOC_IOC_GET_STATS \
	_IOWR(SHADOWALLOC_IOC_MAGIC, SHADOWALLOC_NR_GET_STATS, struct shadowalloc_stats)
#define SHADOWALLOC_IOC_STAGE_RESERVE \
	_IOW(SHADOWALLOC_IOC_MAGIC, SHADOWALLOC_NR_STAGE_RESERVE, struct shadowalloc_stage_reserve)
#define SHADOWALLOC_IOC_POOL_CONFIG \
	_IOW(SHADOWALLOC_IOC_MAGIC, SHADOWALLOC_NR_POOL_CONFIG, struct shadowalloc_pool_config)
#define SHADOWALLOC_IOC_MODEL_EXPORT \
	_IOWR(SHADOWALLOC_IOC_MAGIC, SHADOWALLOC_NR_MODEL_EXPORT, struct shadowalloc_model)
#define SHADOWALLOC_IOC_MODEL_IMPORT \
	_IOW(SHADOWALLOC_IOC_MAGIC, SHADOWALLOC_NR_MODEL_IMPORT, struct shadowalloc_model)
#define SHADOWALLOC_IOC_RECORD \
	_IOW(SHADOWALLOC_IOC_MAGIC, SHADOWALLOC_NR_RECORD, struct shadowalloc_record)
#define SHADOWALLOC_IOC_MEM_BIND \
	_IOWR(SHADOWALLOC_IOC_MAGIC, SHADOWALLOC_NR_MEM_BIND, struct shadowalloc_mem_bind)
#define SHADOWALLOC_IOC_GROUP_FAULT_HIST \
	_IOWR(SHADOWALLOC_IOC_MAGIC, SHADOWALLOC_NR_GROUP_FAULT_HIST, struct shadowalloc_fault_hist)

#endif /* _UAPI_LINUX_SHADOWALLOC_H */
