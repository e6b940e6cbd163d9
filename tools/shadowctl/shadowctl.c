// SPDX-License-Identifier: GPL-2.0
/*
 * shadowctl - manage shadowalloc trust groups from the command line.
 *
 * Text output by default; --json prints one JSON object per command for
 * agents. Exit status: 0 success, 1 the operation failed, 2 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "libshadowalloc.h"
#include "shadowctl.h"
#include "telemetry.bpf.h"

#define SHADOWCTL_VERSION "0.1"

bool json;
static const char *device_path;

void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("shadowctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nshadowctl: try 'shadowctl --help'\n", stderr);
	exit(2);
}

/* Parse an unsigned number in [min, max]; no sign, no junk. */
uint64_t parse_u64(const char *what, const char *s, uint64_t min,
			  uint64_t max)
{
	unsigned long long v;
	char *end;

	if (!s)
		usage_error("%s: missing", what);
	if (*s < '0' || *s > '9')
		usage_error("%s: not a number: '%s'", what, s);
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		usage_error("%s: not a number: '%s'", what, s);
	if (v < min || v > max)
		usage_error("%s: %s out of range %" PRIu64 "..%" PRIu64,
			    what, s, min, max);
	return v;
}

uint32_t parse_group_id(const char *s)
{
	return parse_u64("group id", s, SHADOWALLOC_GROUP_ID_MIN,
			 SHADOWALLOC_GROUP_ID_MAX);
}

static pid_t parse_pid(const char *s)
{
	return parse_u64("pid", s, 1, INT_MAX);
}

static const char *errno_name(int err)
{
	static const struct { int err; const char *name; } names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
		{ ENXIO, "ENXIO" }, { E2BIG, "E2BIG" }, { EACCES, "EACCES" },
		{ EFAULT, "EFAULT" }, { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" },
		{ ENODEV, "ENODEV" }, { EINVAL, "EINVAL" }, { ENOTTY, "ENOTTY" },
		{ ENOSPC, "ENOSPC" }, { ERANGE, "ERANGE" }, { ENOMEM, "ENOMEM" },
		{ ENOTEMPTY, "ENOTEMPTY" }, { EALREADY, "EALREADY" },
		{ EBADMSG, "EBADMSG" }, { EPROTONOSUPPORT, "EPROTONOSUPPORT" },
		{ EMFILE, "EMFILE" }, { EAGAIN, "EAGAIN" }, { EPROTO, "EPROTO" },
		{ EBADF, "EBADF" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == err)
			return names[i].name;
	return "E?";
}

void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* Report a failed operation; returns the exit status. */
int fail(enum shadowalloc_op op, const char *what, int err)
{
	const char *msg = shadowalloc_describe_error(op, err);

	fprintf(stderr, "shadowctl: %s: %s (%s)\n", what, msg, errno_name(-err));
	if (json) {
		printf("{\"ok\":false,\"command\":");
		json_string(what);
		printf(",\"error\":");
		json_string(msg);
		printf(",\"errno\":%d,\"errno_name\":\"%s\"}\n", -err,
		       errno_name(-err));
	}
	return 1;
}

static int ok(const char *command, uint32_t id, const char *text)
{
	if (json)
		printf("{\"ok\":true,\"command\":\"%s\",\"group_id\":%u}\n",
		       command, id);
	else
		printf("%s\n", text);
	return 0;
}

/* Open the device once; exits with a message if it cannot be opened. */
int open_device(void)
{
	int fd = device_path ? shadowalloc_open_path(device_path) :
			       shadowalloc_open();

	if (fd < 0) {
		const char *path = device_path ?: getenv("SHADOWALLOC_DEVICE");

		if (!path || !*path)
			path = "/dev/" SHADOWALLOC_DEVICE_NAME;
		exit(fail(SHADOWALLOC_OP_OPEN, path, fd));
	}
	return fd;
}

static int group_create(int argc, char **argv)
{
	struct shadowalloc_group_opts opts = {};
	char what[64], text[64];
	uint32_t id;
	int i, ret;

	if (argc < 1)
		usage_error("group create: expects ID");
	id = parse_group_id(argv[0]);
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = argv[i + 1];

		if (!strcmp(opt, "--max-vms"))
			opts.max_vms = parse_u64(opt, val, 1, UINT32_MAX);
		else if (!strcmp(opt, "--max-staged-mb"))
			opts.max_staged_bytes = parse_u64(opt, val, 1, 1ULL << 40) << 20;
		else if (!strcmp(opt, "--max-staged-bytes"))
			opts.max_staged_bytes = parse_u64(opt, val, 1, UINT64_MAX);
		else if (!strcmp(opt, "--horizon-ms"))
			opts.horizon_ms = parse_u64(opt, val, 1, UINT32_MAX);
		else
			usage_error("group create: unknown option '%s'", opt);
		i++;
	}
	snprintf(what, sizeof(what), "group create %u", id);
	ret = shadowalloc_group_create(open_device(), id, &opts);
	if (ret)
		return fail(SHADOWALLOC_OP_GROUP_CREATE, what, ret);
	snprintf(text, sizeof(text), "group %u created", id);
	return ok("group create", id, text);
}

/* destroy, enable, disable: a group id and nothing else. */
static int group_id_only(const char *name, enum shadowalloc_op op,
			 int (*fn)(int fd, uint32_t id), const char *done,
			 int argc, char **argv)
{
	char what[96], text[96], command[32];
	uint32_t id;
	int ret;

	snprintf(command, sizeof(command), "group %s", name);
	if (argc != 1)
		usage_error("%s: expects ID", command);
	id = parse_group_id(argv[0]);
	snprintf(what, sizeof(what), "%s %u", command, id);
	ret = fn(open_device(), id);
	if (ret)
		return fail(op, what, ret);
	snprintf(text, sizeof(text), "group %u: %s", id, done);
	return ok(command, id, text);
}

static int group_destroy(int argc, char **argv)
{
	return group_id_only("destroy", SHADOWALLOC_OP_GROUP_DESTROY,
			     shadowalloc_group_destroy, "destroyed", argc, argv);
}

static int group_enable(int argc, char **argv)
{
	return group_id_only("enable", SHADOWALLOC_OP_SHADOW_ENABLE,
			     shadowalloc_shadow_enable, "shadowing enabled",
			     argc, argv);
}

static int group_disable(int argc, char **argv)
{
	return group_id_only("disable", SHADOWALLOC_OP_SHADOW_DISABLE,
			     shadowalloc_shadow_disable, "shadowing disabled",
			     argc, argv);
}

static int group_vm(bool add, int argc, char **argv)
{
	const char *command = add ? "group add-vm" : "group remove-vm";
	char what[96], text[96];
	int pidfd, ret;
	uint32_t id;
	pid_t pid;

	if (argc != 2)
		usage_error("%s: expects ID PID", command);
	id = parse_group_id(argv[0]);
	pid = parse_pid(argv[1]);
	snprintf(what, sizeof(what), "%s %u %d", command, id, pid);
	/* By pidfd: the process the ioctl reaches is the one named here. */
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return fail(add ? SHADOWALLOC_OP_GROUP_ADD_VM :
			    SHADOWALLOC_OP_GROUP_REMOVE_VM, what, -errno);
	ret = add ? shadowalloc_group_add_vm_pidfd(open_device(), id, pidfd) :
		    shadowalloc_group_remove_vm_pidfd(open_device(), id, pidfd);
	close(pidfd);
	if (ret)
		return fail(add ? SHADOWALLOC_OP_GROUP_ADD_VM :
			    SHADOWALLOC_OP_GROUP_REMOVE_VM, what, ret);
	snprintf(text, sizeof(text), "group %u: VM %d %s", id, pid,
		 add ? "added" : "removed");
	return ok(command, id, text);
}

static int group_add_vm(int argc, char **argv)
{
	return group_vm(true, argc, argv);
}

static int group_remove_vm(int argc, char **argv)
{
	return group_vm(false, argc, argv);
}

static int group_horizon(int argc, char **argv)
{
	const char *command = "group horizon";
	char what[96], text[96];
	uint32_t id, ms;
	int ret;

	if (argc != 2)
		usage_error("%s: expects ID MS", command);
	id = parse_group_id(argv[0]);
	/* The range is the module's to check (ERANGE), as for any caller. */
	ms = parse_u64("horizon", argv[1], 0, UINT32_MAX);
	snprintf(what, sizeof(what), "%s %u %u", command, id, ms);
	ret = shadowalloc_set_horizon(open_device(), id, ms);
	if (ret)
		return fail(SHADOWALLOC_OP_SET_HORIZON, what, ret);
	snprintf(text, sizeof(text), "group %u: horizon %u ms", id, ms);
	return ok(command, id, text);
}

static int group_reserve(int argc, char **argv)
{
	const char *command = "group reserve";
	char what[96], text[96];
	uint64_t pages;
	uint32_t id;
	int ret;

	if (argc != 2)
		usage_error("%s: expects ID PAGES", command);
	id = parse_group_id(argv[0]);
	pages = parse_u64("pages", argv[1], 0, UINT64_MAX);
	snprintf(what, sizeof(what), "%s %u %" PRIu64, command, id, pages);
	ret = shadowalloc_stage_reserve(open_device(), id, pages);
	if (ret)
		return fail(SHADOWALLOC_OP_STAGE_RESERVE, what, ret);
	snprintf(text, sizeof(text), "group %u: %" PRIu64 " pages reserved",
		 id, pages);
	return ok(command, id, text);
}

static int group_pool(int argc, char **argv)
{
	const char *command = "group pool";
	struct shadowalloc_pool_config cfg = {};
	char what[96], text[96];
	uint32_t id;
	int i, ret;

	if (argc < 1)
		usage_error("%s: expects ID [options]", command);
	id = parse_group_id(argv[0]);
	for (i = 1; i < argc; i += 2) {
		const char *opt = argv[i], *val = argv[i + 1];

		if (!strcmp(opt, "--max-age-ms")) {
			cfg.flags |= SHADOWALLOC_POOL_SET_MAX_AGE;
			cfg.max_age_ms = parse_u64(opt, val, 0, UINT32_MAX);
		} else if (!strcmp(opt, "--huge")) {
			cfg.flags |= SHADOWALLOC_POOL_SET_HUGE;
			cfg.huge = parse_u64(opt, val, 0, 1);
		} else if (!strcmp(opt, "--zero-budget")) {
			cfg.flags |= SHADOWALLOC_POOL_SET_ZERO_BUDGET;
			/* The range is the module's to check (ERANGE). */
			cfg.zero_pages_per_sec = parse_u64(opt, val, 0, UINT32_MAX);
		} else if (!strcmp(opt, "--max-staged-mb")) {
			cfg.flags |= SHADOWALLOC_POOL_SET_CAP;
			cfg.max_staged_bytes = parse_u64(opt, val, 1, 1ULL << 40) << 20;
		} else {
			usage_error("%s: unknown option '%s'", command, opt);
		}
	}
	if (!cfg.flags)
		usage_error("%s: nothing to set", command);
	snprintf(what, sizeof(what), "%s %u", command, id);
	ret = shadowalloc_pool_config(open_device(), id, &cfg);
	if (ret)
		return fail(SHADOWALLOC_OP_POOL_CONFIG, what, ret);
	snprintf(text, sizeof(text), "group %u: pool settings applied", id);
	return ok(command, id, text);
}

/* Every field of struct shadowalloc_stats, by name. */
#define STATS_FIELDS(X)							\
	X(state) X(nr_vms) X(max_vms) X(horizon_ms) X(accuracy_permille)	\
	X(utilisation_permille) X(hit_rate_permille) X(max_staged_bytes)	\
	X(faults) X(hits) X(misses) X(staged_pages) X(staging_target_pages)	\
	X(staged_total) X(evicted_pages) X(discard_returned_pages)	\
	X(hit_service_ns) X(miss_service_ns) X(time_saved_ns)		\
	X(forecast_pages) X(forecast_abs_err_pages) X(events_seen)	\
	X(events_dropped) X(reserved_pages) X(max_age_ms)		\
	X(staged_huge_pages) X(hits_huge) X(forecast_err_permille)		\
	X(naive_err_permille) X(forecast_windows) X(hit_pages) X(miss_pages)	\
	X(raced) X(zeroed_pages) X(refill_throttled) X(refill_backoffs)	\
	X(zero_pages_per_sec) X(held_page_ticks) X(held_ticks)

static double avg(uint64_t sum, uint64_t n)
{
	return n ? (double)sum / n : 0.0;
}

static int group_stats(int argc, char **argv)
{
	struct shadowalloc_stats st;
	char what[64];
	uint32_t id;
	int ret;

	if (argc != 1)
		usage_error("group stats: expects ID");
	id = parse_group_id(argv[0]);
	snprintf(what, sizeof(what), "group stats %u", id);
	ret = shadowalloc_get_stats(open_device(), id, &st);
	if (ret)
		return fail(SHADOWALLOC_OP_GET_STATS, what, ret);

	if (json) {
		printf("{\"ok\":true,\"command\":\"group stats\",\"group_id\":%u", id);
#define X(f) printf(",\"" #f "\":%" PRIu64, (uint64_t)st.f);
		STATS_FIELDS(X)
#undef X
		printf(",\"enabled\":%s}\n",
		       st.state & SHADOWALLOC_STATE_ENABLED ? "true" : "false");
		return 0;
	}
	printf("group %u: shadowing %s, %u of %u VMs, horizon %u ms\n", id,
	       st.state & SHADOWALLOC_STATE_ENABLED ? "enabled" : "disabled",
	       st.nr_vms, st.max_vms, st.horizon_ms);
	printf("  faults served        %" PRIu64 " (hits %" PRIu64 ", misses %" PRIu64
	       ", hit rate %.1f%%)\n", (uint64_t)st.faults, (uint64_t)st.hits,
	       (uint64_t)st.misses, st.hit_rate_permille / 10.0);
	printf("  fault service time   hit %.0f ns, miss %.0f ns (mean)\n",
	       avg(st.hit_service_ns, st.hits), avg(st.miss_service_ns, st.misses));
	printf("  staged pages         %" PRIu64 " now (%" PRIu64 " in 2 MiB blocks),"
	       " target %" PRIu64 ", reserved %" PRIu64 ", cap %" PRIu64 " MiB\n",
	       (uint64_t)st.staged_pages, (uint64_t)st.staged_huge_pages,
	       (uint64_t)st.staging_target_pages, (uint64_t)st.reserved_pages,
	       (uint64_t)st.max_staged_bytes >> 20);
	printf("  pool                 %s blocks, max age %u ms, 2 MiB hits %" PRIu64 "\n",
	       st.state & SHADOWALLOC_STATE_HUGE ? "2 MiB + 4 KiB" : "4 KiB",
	       st.max_age_ms, (uint64_t)st.hits_huge);
	printf("  staged total         %" PRIu64 " (evicted unused %" PRIu64
	       ", utilisation %.1f%%)\n", (uint64_t)st.staged_total,
	       (uint64_t)st.evicted_pages, st.utilisation_permille / 10.0);
	printf("  discard-returned     %" PRIu64 " pages\n",
	       (uint64_t)st.discard_returned_pages);
	printf("  zeroing              %" PRIu64 " pages, budget %u pages/s, %" PRIu64
	       " runs throttled, %" PRIu64 " backed off (low memory)\n",
	       (uint64_t)st.zeroed_pages, st.zero_pages_per_sec,
	       (uint64_t)st.refill_throttled, (uint64_t)st.refill_backoffs);
	printf("  time saved           %.3f ms (estimate)\n",
	       st.time_saved_ns / 1e6);
	printf("  forecast             target %" PRIu64 " pages, last window error %" PRIu64
	       " pages, accuracy %.1f%%\n", (uint64_t)st.forecast_pages,
	       (uint64_t)st.forecast_abs_err_pages, st.accuracy_permille / 10.0);
	printf("  forecast error       %.1f%% of demand (last-value baseline %.1f%%) over %"
	       PRIu64 " windows\n", st.forecast_err_permille / 10.0,
	       st.naive_err_permille / 10.0, (uint64_t)st.forecast_windows);
	printf("  memory held          %.1f pages staged on average over %" PRIu64
	       " ticks, %.3f page-s per hit page\n",
	       avg(st.held_page_ticks, st.held_ticks), (uint64_t)st.held_ticks,
	       st.hit_pages ? st.held_page_ticks * (SHADOWALLOC_TICK_MS / 1000.0) /
	       st.hit_pages : 0.0);
	printf("  waste                %.1f%% of staged pages evicted unused\n",
	       st.staged_total ? 100.0 * st.evicted_pages / st.staged_total : 0.0);
	printf("  telemetry events     %" PRIu64 " seen, %" PRIu64 " dropped\n",
	       (uint64_t)st.events_seen, (uint64_t)st.events_dropped);
	return 0;
}

/* SHADOWALLOC_FEATURE_* bits by name, for 'version'. */
static const char * const feature_names[64] = {
	[0] = "huge",		/* SHADOWALLOC_FEATURE_HUGE */
	[1] = "fs",		/* SHADOWALLOC_FEATURE_FS */
	[2] = "telemetry",	/* SHADOWALLOC_FEATURE_TELEMETRY */
	[3] = "models",		/* SHADOWALLOC_FEATURE_MODELS */
	[4] = "record",		/* SHADOWALLOC_FEATURE_RECORD */
	[5] = "record-offsets",	/* SHADOWALLOC_FEATURE_RECORD_OFFSETS */
};

/* Command numbers (SHADOWALLOC_NR_*) by name, to decode api.ioctls. */
static const char * const ioctl_names[64] = {
	[SHADOWALLOC_NR_API] = "API",
	[SHADOWALLOC_NR_GROUP_CREATE] = "GROUP_CREATE",
	[SHADOWALLOC_NR_GROUP_DESTROY] = "GROUP_DESTROY",
	[SHADOWALLOC_NR_GROUP_ADD_VM] = "GROUP_ADD_VM",
	[SHADOWALLOC_NR_GROUP_REMOVE_VM] = "GROUP_REMOVE_VM",
	[SHADOWALLOC_NR_SHADOW_ENABLE] = "SHADOW_ENABLE",
	[SHADOWALLOC_NR_SHADOW_DISABLE] = "SHADOW_DISABLE",
	[SHADOWALLOC_NR_SET_HORIZON] = "SET_HORIZON",
	[SHADOWALLOC_NR_GET_STATS] = "GET_STATS",
	[SHADOWALLOC_NR_STAGE_RESERVE] = "STAGE_RESERVE",
	[SHADOWALLOC_NR_POOL_CONFIG] = "POOL_CONFIG",
	[SHADOWALLOC_NR_MODEL_EXPORT] = "MODEL_EXPORT",
	[SHADOWALLOC_NR_MODEL_IMPORT] = "MODEL_IMPORT",
	[SHADOWALLOC_NR_RECORD] = "RECORD",
	[SHADOWALLOC_NR_MEM_BIND] = "MEM_BIND",
};

/* Every name above must sit at its bit: a renumbering breaks the build. */
_Static_assert(SHADOWALLOC_FEATURE_HUGE == 1ULL << 0 &&
	       SHADOWALLOC_FEATURE_FS == 1ULL << 1 &&
	       SHADOWALLOC_FEATURE_TELEMETRY == 1ULL << 2 &&
	       SHADOWALLOC_FEATURE_MODELS == 1ULL << 3 &&
	       SHADOWALLOC_FEATURE_RECORD == 1ULL << 4 &&
	       SHADOWALLOC_FEATURE_RECORD_OFFSETS == 1ULL << 5 &&
	       SHADOWALLOC_FEATURES_ALL == 0x3f,
	       "feature_names[] out of date");
_Static_assert(SHADOWALLOC_NR_MAX < 64, "api.ioctls has 64 bits");

/* Text output is wrapped before this column. */
#define LINE_WIDTH	79

/*
 * The names of the bits set in @mask: the elements of a JSON array, or
 * text from column @col on, space-separated and wrapped with continuation
 * lines at column @col. Bits without a name here (a newer module than this
 * tool) print as "bitN".
 */
static void print_bit_names(uint64_t mask, const char * const names[64],
			    int col)
{
	int indent = col;
	unsigned int bit;
	bool first = true;

	for (bit = 0; bit < 64; bit++) {
		char unnamed[8];
		const char *name = names[bit];
		int len;

		if (!(mask & (1ULL << bit)))
			continue;
		if (!name) {
			snprintf(unnamed, sizeof(unnamed), "bit%u", bit);
			name = unnamed;
		}
		if (json) {
			printf("%s\"%s\"", first ? "" : ",", name);
		} else {
			len = strlen(name);
			if (!first && col + 1 + len > LINE_WIDTH) {
				printf("\n%*s", indent, "");
				col = indent;
			} else if (!first) {
				putchar(' ');
				col++;
			}
			col += printf("%s", name);
		}
		first = false;
	}
}

/* 'version': this tool's ABI and, from SHADOWALLOC_IOC_API, the module's. */
static int cmd_version(int argc, char **argv)
{
	struct shadowalloc_api api;
	const char *msg;
	int fd, ret;

	(void)argv;
	if (argc)
		usage_error("version: takes no arguments");
	fd = device_path ? shadowalloc_open_path(device_path) :
			   shadowalloc_open();
	ret = fd < 0 ? fd : shadowalloc_get_api(fd, &api);
	shadowalloc_close(fd);

	if (!json)
		printf("shadowctl %s, ABI version %u\n", SHADOWCTL_VERSION,
		       SHADOWALLOC_API_VERSION);
	if (ret) {
		/* Open runs the handshake: -EPROTO is a module without it. */
		msg = ret == -EPROTO ?
		      "the module predates the ABI handshake (ABI version 1)" :
		      shadowalloc_describe_error(SHADOWALLOC_OP_OPEN, ret);
		fprintf(stderr, "shadowctl: version: module: %s (%s)\n", msg,
			errno_name(-ret));
		if (json) {
			printf("{\"ok\":false,\"command\":\"version\",\"version\":\"%s\",\"api_version\":%u,\"error\":",
			       SHADOWCTL_VERSION, SHADOWALLOC_API_VERSION);
			json_string(msg);
			printf(",\"errno\":%d,\"errno_name\":\"%s\"}\n", -ret,
			       errno_name(-ret));
		}
		return 1;
	}

	if (json) {
		printf("{\"ok\":true,\"command\":\"version\",\"version\":\"%s\",\"api_version\":%u,\"module\":{\"api_version\":%u,\"features\":[",
		       SHADOWCTL_VERSION, SHADOWALLOC_API_VERSION,
		       api.api_version);
		print_bit_names(api.features, feature_names, 0);
		printf("],\"features_mask\":%" PRIu64 ",\"ioctls\":[",
		       (uint64_t)api.features);
		print_bit_names(api.ioctls, ioctl_names, 0);
		printf("],\"ioctls_mask\":%" PRIu64 ",\"max_groups\":%u,\"max_vms_per_group\":%u,\"horizon_min_ms\":%u,\"horizon_max_ms\":%u,\"max_age_min_ms\":%u,\"max_age_max_ms\":%u,\"model_blob_max\":%u,\"tick_ms\":%u}}\n",
		       (uint64_t)api.ioctls, api.max_groups,
		       api.max_vms_per_group, api.horizon_min_ms,
		       api.horizon_max_ms, api.max_age_min_ms,
		       api.max_age_max_ms, api.model_blob_max, api.tick_ms);
		return 0;
	}
	printf("module ABI version %u\n", api.api_version);
	printf("  features  ");
	print_bit_names(api.features, feature_names, 12);
	printf("\n  commands  ");
	print_bit_names(api.ioctls, ioctl_names, 12);
	printf("\n  limits    %u groups, %u VMs per group, horizon %u..%u ms, max age %u..%u ms,\n"
	       "            model blobs up to %u bytes, forecast tick %u ms\n",
	       api.max_groups, api.max_vms_per_group, api.horizon_min_ms,
	       api.horizon_max_ms, api.max_age_min_ms, api.max_age_max_ms,
	       api.model_blob_max, api.tick_ms);
	return 0;
}

static int cmd_help(int argc, char **argv);

/*
 * The command tables, as bpftool's struct cmd: dispatch looks the name up
 * here and the help is printed from here, so the two cannot disagree.
 */
static const struct cmd group_cmds[] = {
	CMD("create", group_create,
	    "ID [--max-vms N] [--max-staged-mb N | --max-staged-bytes N] [--horizon-ms MS]",
	    "create a trust group"),
	CMD("destroy", group_destroy, "ID", "destroy a group without members"),
	CMD("add-vm", group_add_vm, "ID PID",
	    "add the VMM process PID to group ID"),
	CMD("remove-vm", group_remove_vm, "ID PID", "remove it"),
	CMD("enable", group_enable, "ID",
	    "start shadowing (telemetry, forecast, staging)"),
	CMD("disable", group_disable, "ID",
	    "stop it and release the staged pages"),
	CMD("horizon", group_horizon, "ID MS", "prediction horizon, in ms"),
	CMD("stats", group_stats, "ID", "state and counters"),
	CMD("reserve", group_reserve, "ID PAGES",
	    "keep PAGES 4 KiB pages staged for a launch (0 cancels)"),
	CMD("pool", group_pool,
	    "ID [--max-age-ms MS] [--huge 0|1] [--max-staged-mb N] [--zero-budget PAGES_PER_S]",
	    "staging pool settings"),
	{}
};

static int cmd_group(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 1)
		usage_error("group: missing subcommand");
	c = cmd_find(group_cmds, argv[0]);
	if (!c)
		usage_error("unknown command '%s'", argv[0]);
	return c->func(argc - 1, argv + 1);
}

/* mem FILE [--bind ID | --unbind]: a memory object's group binding. */
static int cmd_mem(int argc, char **argv)
{
	const char *command = "mem";
	struct shadowalloc_mem_bind b;
	uint32_t flags = 0, id = 0;
	char what[300];
	int fd, ret;

	if (argc == 3 && !strcmp(argv[1], "--bind")) {
		flags = SHADOWALLOC_MEM_BIND_SET;
		id = parse_group_id(argv[2]);
	} else if (argc == 2 && !strcmp(argv[1], "--unbind")) {
		flags = SHADOWALLOC_MEM_BIND_SET;
	} else if (argc != 1) {
		usage_error("%s: expects FILE [--bind ID | --unbind]", command);
	}
	snprintf(what, sizeof(what), "%s %s", command, argv[0]);
	fd = open(argv[0], O_RDONLY);
	if (fd < 0)
		return fail(SHADOWALLOC_OP_MEM_BIND, what, -errno);
	ret = shadowalloc_mem_bind(fd, flags, id, &b);
	close(fd);
	if (ret)
		return fail(SHADOWALLOC_OP_MEM_BIND, what, ret);
	if (json) {
		printf("{\"ok\":true,\"command\":\"mem\",\"file\":");
		json_string(argv[0]);
		printf(",\"group_id\":%u,\"serving_group_id\":%u,\"pages\":%" PRIu64 "}\n",
		       b.group_id, b.serving_group_id, (uint64_t)b.pages);
		return 0;
	}
	if (b.group_id)
		printf("%s: bound to group %u, %" PRIu64 " pages\n", argv[0],
		       b.group_id, (uint64_t)b.pages);
	else if (b.serving_group_id)
		printf("%s: unbound, served by its creator's group %u, %" PRIu64
		       " pages\n", argv[0], b.serving_group_id,
		       (uint64_t)b.pages);
	else
		printf("%s: unbound, served by no group, %" PRIu64 " pages\n",
		       argv[0], (uint64_t)b.pages);
	return 0;
}

static const struct cmd main_cmds[] = {
	CMD_SUB("group", cmd_group, group_cmds),
	CMD("attach", cmd_attach, "",
	    "load and attach the telemetry BPF programs, pinned in "
	    SHADOWALLOC_BPF_PIN_DIR),
	CMD("detach", cmd_detach, "", "remove them (needed before rmmod)"),
	CMD("status", cmd_status, "",
	    "attached or not, per-group event counters"),
	CMD_SUB("model", cmd_model, model_cmds),
	CMD("record", cmd_record, "ID FILE [--duration-ms MS]",
	    "write the group's first-touch faults as CSV t_ns,vm,gpa,size (needs 'attach'); FILE may be -"),
	CMD("mem", cmd_mem, "FILE [--bind ID | --unbind]",
	    "a guest memory file's group binding: show it, or move it (fd-passed guest RAM)"),
	CMD("version", cmd_version, "",
	    "ABI version, features, commands and limits of tool and module"),
	CMD("help", cmd_help, "", "this text"),
	{}
};

/**
 * cmd_find() - look a command up in a table
 * @cmds: the table, ended by an entry without a name
 * @name: the command's name
 *
 * Return: the entry, or NULL.
 */
const struct cmd *cmd_find(const struct cmd *cmds, const char *name)
{
	for (; cmds->name; cmds++)
		if (!strcmp(cmds->name, name))
			return cmds;
	return NULL;
}

#define HELP_COLUMN	30

/*
 * Print @text, which starts at column @col, wrapped at spaces before
 * LINE_WIDTH with continuation lines starting at column @indent. Returns
 * the column it ends at.
 */
static int print_wrapped(FILE *out, const char *text, int col, int indent)
{
	bool first = true;

	while (*text) {
		int len = strcspn(text, " ");

		if (!first && col + 1 + len > LINE_WIDTH) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		} else if (!first) {
			fputc(' ', out);
			col++;
		}
		col += fprintf(out, "%.*s", len, text);
		text += len;
		text += strspn(text, " ");
		first = false;
	}
	return col;
}

/* One line per command of @cmds (subcommands after @prefix) and its help. */
static void print_cmds(FILE *out, const char *prefix, const struct cmd *cmds)
{
	for (; cmds->name; cmds++) {
		char name[64];
		int col;

		snprintf(name, sizeof(name), "%s%s ", prefix, cmds->name);
		if (cmds->sub) {
			print_cmds(out, name, cmds->sub);
			continue;
		}
		/* The synopsis, its continuation lines under the arguments. */
		col = fprintf(out, "  %s", name);
		col = print_wrapped(out, cmds->args, col, col);
		/* The help in its column, on a line of its own if need be. */
		if (col >= HELP_COLUMN - 1) {
			fputc('\n', out);
			col = 0;
		}
		fprintf(out, "%*s", HELP_COLUMN - col, "");
		print_wrapped(out, cmds->help, HELP_COLUMN, HELP_COLUMN);
		fputc('\n', out);
	}
}

static void usage(FILE *out)
{
	fprintf(out, "usage: shadowctl [--json] [--device PATH] COMMAND\n\ncommands:\n");
	print_cmds(out, "", main_cmds);
	fprintf(out,
		"\n'shadowctl enable ID', 'shadowctl stats ID' etc. are short for 'group ...'.\n"
		"Ranges this tool was built with (the module's: 'shadowctl version'):\n"
		"horizon %u..%u ms, max age %u..%u ms.\n"
		"--device PATH (or $SHADOWALLOC_DEVICE) selects another device node.\n"
		"exit status: 0 ok, 1 the operation failed, 2 usage error\n",
		SHADOWALLOC_HORIZON_MIN_MS, SHADOWALLOC_HORIZON_MAX_MS,
		SHADOWALLOC_MAX_AGE_MIN_MS, SHADOWALLOC_MAX_AGE_MAX_MS);
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	const struct cmd *c;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--device")) {
			if (++i >= argc)
				usage_error("--device needs a path");
			device_path = argv[i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage_error("unknown option '%s'", argv[i]);
		}
	}
	if (i >= argc)
		usage_error("no command");
	/* "shadowctl stats 1" is short for "shadowctl group stats 1". */
	c = cmd_find(main_cmds, argv[i]) ?: cmd_find(group_cmds, argv[i]);
	if (!c)
		usage_error("unknown command '%s'", argv[i]);
	/* Each command checks its arguments before it opens the device. */
	return c->func(argc - i - 1, argv + i + 1);
}
