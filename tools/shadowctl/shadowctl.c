// SPDX-License-Identifier: GPL-2.0
/*
 * shadowctl - manage shadowalloc trust groups from the command line.
 *
 * Text output by default; --json (anywhere on the command line) prints one
 * JSON object per command on stdout for agents, failures and usage errors
 * included. Exit status: 0 success, 1 the operation failed, 2 usage error.
 * Numbers are decimal (010 is ten; 0x10 is refused), checked against the
 * ranges of the module's ABI before anything is done.
 */
#define _GNU_SOURCE
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
#include <sys/sysinfo.h>
#include <unistd.h>

#include "libshadowalloc.h"
#include "shadowctl.h"
#include "telemetry.bpf.h"

#define SHADOWCTL_VERSION "0.2"

bool json;
static const char *device_path;

/*
 * The command being run, for messages and JSON: its full name ("group
 * create", NULL before one is recognised), the table entry (for the
 * "try ... --help" hint), the group it names and one more field.
 */
static struct {
	char command[64];
	const struct cmd *entry;
	uint32_t group_id;
	const char *key, *val;
} ctx;

void set_context(const char *key, const char *val)
{
	ctx.key = val ? key : NULL;
	ctx.val = val;
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

static void json_command(void)
{
	printf("\"command\":");
	if (ctx.command[0])
		json_string(ctx.command);
	else
		printf("null");
	if (ctx.group_id)
		printf(",\"group_id\":%u", ctx.group_id);
	if (ctx.key) {
		printf(",\"%s\":", ctx.key);
		json_string(ctx.val);
	}
}

void json_ok_begin(void)
{
	printf("{\"ok\":true,");
	json_command();
}

void json_fail_begin(void)
{
	printf("{\"ok\":false,");
	json_command();
}

const char *command_name(void)
{
	return ctx.command;
}

/* Every errno has its name (glibc's table), "E?" only for unknown ones. */
static const char *errno_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ?: "E?";
}

/*
 * "shadowctl: group create 10: " as the text messages start, the
 * device or file of the context after it.
 */
static void text_prefix(void)
{
	fputs("shadowctl: ", stderr);
	if (ctx.command[0]) {
		fputs(ctx.command, stderr);
		if (ctx.group_id)
			fprintf(stderr, " %u", ctx.group_id);
		fputs(": ", stderr);
	}
	if (ctx.val)
		fprintf(stderr, "%s: ", ctx.val);
}

/* One failure: a line on stderr, with --json an object on stdout. */
static void report(int err, const char *msg)
{
	text_prefix();
	if (err)
		fprintf(stderr, "%s (%s)\n", msg, errno_name(err));
	else
		fprintf(stderr, "%s\nshadowctl: try 'shadowctl %s%s--help'\n",
			msg, ctx.command, ctx.command[0] ? " " : "");
	if (!json)
		return;
	printf("{\"ok\":false,");
	json_command();
	if (err)
		printf(",\"error\":\"%s\",\"errno\":%d,\"errno_name\":\"%s\"",
		       errno_name(err), err, errno_name(err));
	else
		printf(",\"error\":\"usage\"");
	printf(",\"message\":");
	json_string(msg);
	printf("}\n");
	fflush(stdout);
}

void usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(0, msg);
	exit(2);
}

int failf(int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(err, msg);
	return 1;
}

int fail(enum shadowalloc_op op, int err)
{
	return failf(-err, "%s", shadowalloc_describe_error(op, err));
}

/*
 * Parse a decimal number in [min, max]: digits only (no sign, no space,
 * no 0x; leading zeros are decimal, 010 is ten), else a usage error.
 */
uint64_t parse_u64(const char *what, const char *s, uint64_t min,
		   uint64_t max)
{
	unsigned long long v;
	char *end;

	if (!s)
		usage_error("%s: missing value", what);
	if (!*s || strspn(s, "0123456789") != strlen(s)) {
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			usage_error("%s: not a number: '%s' (numbers are decimal)",
				    what, s);
		usage_error("%s: not a number: '%s'", what, s);
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE || v < min || v > max)
		usage_error("%s: %s out of range %" PRIu64 "..%" PRIu64,
			    what, s, min, max);
	return v;
}

uint32_t parse_group_id(const char *s)
{
	uint32_t id = parse_u64("group id", s, SHADOWALLOC_GROUP_ID_MIN,
				SHADOWALLOC_GROUP_ID_MAX);

	if (!ctx.group_id)
		ctx.group_id = id;
	return id;
}

static pid_t parse_pid(const char *s)
{
	return parse_u64("pid", s, 1, INT_MAX);
}

const char *option_value(int argc, char **argv, int *i, unsigned int *seen,
			 unsigned int bit)
{
	const char *opt = argv[*i];

	if (*seen & bit)
		usage_error("%s given twice", opt);
	*seen |= bit;
	if (*i + 1 >= argc)
		usage_error("%s: missing value", opt);
	return argv[++*i];
}

void no_extra_args(int argc, char **argv, int max)
{
	if (argc > max)
		usage_error("unexpected argument '%s'", argv[max]);
}

/* The group id of a command that takes it and nothing else. */
static uint32_t parse_only_group_id(int argc, char **argv)
{
	if (argc < 1)
		usage_error("expects ID");
	no_extra_args(argc, argv, 1);
	return parse_group_id(argv[0]);
}

/* Open the device once; exits with a message if it cannot be opened. */
int open_device(void)
{
	static int fd = -1;
	const char *path;

	if (fd >= 0)
		return fd;
	fd = device_path ? shadowalloc_open_path(device_path) :
			   shadowalloc_open();
	if (fd >= 0)
		return fd;
	path = device_path ?: getenv("SHADOWALLOC_DEVICE");
	if (!path || !*path)
		path = "/dev/" SHADOWALLOC_DEVICE_NAME;
	set_context("device", path);
	exit(fail(SHADOWALLOC_OP_OPEN, fd));
}

/* "64 MiB", or "4097 bytes" when not whole MiB. */
static const char *bytes_str(uint64_t bytes)
{
	static char buf[4][48];
	static unsigned int n;
	char *s = buf[n++ % 4];

	if (bytes && !(bytes & ((1ULL << 20) - 1)))
		snprintf(s, sizeof(buf[0]), "%" PRIu64 " MiB", bytes >> 20);
	else
		snprintf(s, sizeof(buf[0]), "%" PRIu64 " bytes", bytes);
	return s;
}

/*
 * A staged-memory cap as the module takes it (group create, group pool):
 * a multiple of the page size (a usage error) and at most total RAM (what
 * the module refuses with EINVAL, said here with the numbers). Returns
 * the exit status of a refusal, or 0.
 */
static int check_cap(const char *opt, uint64_t bytes)
{
	uint64_t page = sysconf(_SC_PAGESIZE), ram;
	struct sysinfo si;

	if (bytes % page)
		usage_error("%s: %" PRIu64 " is not a multiple of the page size (%" PRIu64 " bytes)",
			    opt, bytes, page);
	/* The kernel's totalram_pages(), the limit the module applies. */
	if (sysinfo(&si))
		return 0;
	ram = (uint64_t)si.totalram * si.mem_unit;
	if (bytes > ram)
		return failf(EINVAL, "the cap (%s) is above total RAM (%" PRIu64 " MiB)",
			     bytes_str(bytes), ram >> 20);
	return 0;
}

/* A cap option's value in bytes: --max-staged-mb MIB or --max-staged-bytes N. */
static uint64_t parse_cap(const char *opt, const char *val)
{
	if (!strcmp(opt, "--max-staged-mb"))
		return parse_u64(opt, val, 1, UINT64_MAX >> 20) << 20;
	return parse_u64(opt, val, 1, UINT64_MAX);
}

#define OPT_CAP_MB	(1U << 0)
#define OPT_CAP_BYTES	(1U << 1)

/* Refuse both cap options on one command line. */
static void cap_exclusive(unsigned int seen)
{
	if ((seen & (OPT_CAP_MB | OPT_CAP_BYTES)) == (OPT_CAP_MB | OPT_CAP_BYTES))
		usage_error("--max-staged-mb and --max-staged-bytes exclude each other");
}

#define OPT_MAX_VMS	(1U << 2)
#define OPT_HORIZON	(1U << 3)

static int group_create(int argc, char **argv)
{
	struct shadowalloc_group_opts opts = {};
	struct shadowalloc_stats st;
	struct shadowalloc_api api;
	unsigned int seen = 0;
	const char *cap_opt = NULL;
	int i, fd, ret;
	uint32_t id;

	if (argc < 1)
		usage_error("expects ID");
	id = parse_group_id(argv[0]);
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i], *val;

		if (!strcmp(opt, "--max-vms")) {
			val = option_value(argc, argv, &i, &seen, OPT_MAX_VMS);
			/* 0 is the module's max_vms_per_group, as in the API. */
			opts.max_vms = parse_u64(opt, val, 0, UINT32_MAX);
		} else if (!strcmp(opt, "--max-staged-mb") ||
			   !strcmp(opt, "--max-staged-bytes")) {
			val = option_value(argc, argv, &i, &seen,
					   opt[13] == 'm' ? OPT_CAP_MB : OPT_CAP_BYTES);
			opts.max_staged_bytes = parse_cap(opt, val);
			cap_opt = opt;
		} else if (!strcmp(opt, "--horizon-ms")) {
			val = option_value(argc, argv, &i, &seen, OPT_HORIZON);
			opts.horizon_ms = parse_u64(opt, val,
						    SHADOWALLOC_HORIZON_MIN_MS,
						    SHADOWALLOC_HORIZON_MAX_MS);
		} else {
			usage_error("unknown option '%s'", opt);
		}
	}
	cap_exclusive(seen);
	if (cap_opt && check_cap(cap_opt, opts.max_staged_bytes))
		return 1;
	fd = open_device();
	/* The module's limit now; it refuses more with a bare EINVAL. */
	if (opts.max_vms && !shadowalloc_get_api(fd, &api) &&
	    opts.max_vms > api.max_vms_per_group)
		return failf(EINVAL, "--max-vms %u is more VMs than the module allows per group (max_vms_per_group %u)",
			     opts.max_vms, api.max_vms_per_group);
	ret = shadowalloc_group_create(fd, id, &opts);
	if (ret)
		return fail(SHADOWALLOC_OP_GROUP_CREATE, ret);
	if (!json) {
		printf("group %u created\n", id);
		return 0;
	}
	/* What the group got, defaults resolved. */
	json_ok_begin();
	if (!shadowalloc_get_stats(fd, id, &st))
		printf(",\"max_vms\":%u,\"max_staged_bytes\":%" PRIu64 ",\"horizon_ms\":%u",
		       st.max_vms, (uint64_t)st.max_staged_bytes, st.horizon_ms);
	printf("}\n");
	return 0;
}

/* destroy, enable, disable: a group id and nothing else. */
static int group_id_only(enum shadowalloc_op op, int (*fn)(int fd, uint32_t id),
			 const char *done, int argc, char **argv)
{
	uint32_t id;
	int ret;

	id = parse_only_group_id(argc, argv);
	ret = fn(open_device(), id);
	if (ret)
		return fail(op, ret);
	if (json) {
		json_ok_begin();
		printf("}\n");
	} else {
		printf("group %u: %s\n", id, done);
	}
	return 0;
}

static int group_destroy(int argc, char **argv)
{
	return group_id_only(SHADOWALLOC_OP_GROUP_DESTROY,
			     shadowalloc_group_destroy, "destroyed", argc, argv);
}

static int group_enable(int argc, char **argv)
{
	return group_id_only(SHADOWALLOC_OP_SHADOW_ENABLE,
			     shadowalloc_shadow_enable, "shadowing enabled",
			     argc, argv);
}

static int group_disable(int argc, char **argv)
{
	return group_id_only(SHADOWALLOC_OP_SHADOW_DISABLE,
			     shadowalloc_shadow_disable, "shadowing disabled",
			     argc, argv);
}

static int group_vm(bool add, int argc, char **argv)
{
	enum shadowalloc_op op = add ? SHADOWALLOC_OP_GROUP_ADD_VM :
				       SHADOWALLOC_OP_GROUP_REMOVE_VM;
	int fd, pidfd, ret;
	uint32_t id;
	pid_t pid;

	if (argc < 2)
		usage_error("expects ID PID");
	no_extra_args(argc, argv, 2);
	id = parse_group_id(argv[0]);
	pid = parse_pid(argv[1]);
	fd = open_device();
	/* By pidfd: the process the ioctl reaches is the one named here. */
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return fail(op, -errno);
	ret = add ? shadowalloc_group_add_vm_pidfd(fd, id, pidfd) :
		    shadowalloc_group_remove_vm_pidfd(fd, id, pidfd);
	close(pidfd);
	if (ret)
		return fail(op, ret);
	if (json) {
		json_ok_begin();
		printf(",\"pid\":%d}\n", pid);
	} else {
		printf("group %u: VM %d %s\n", id, pid, add ? "added" : "removed");
	}
	return 0;
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
	uint32_t id, ms;
	int ret;

	if (argc < 2)
		usage_error("expects ID MS");
	no_extra_args(argc, argv, 2);
	id = parse_group_id(argv[0]);
	ms = parse_u64("horizon", argv[1], SHADOWALLOC_HORIZON_MIN_MS,
		       SHADOWALLOC_HORIZON_MAX_MS);
	ret = shadowalloc_set_horizon(open_device(), id, ms);
	if (ret)
		return fail(SHADOWALLOC_OP_SET_HORIZON, ret);
	if (json) {
		json_ok_begin();
		printf(",\"horizon_ms\":%u}\n", ms);
	} else {
		printf("group %u: horizon %u ms\n", id, ms);
	}
	return 0;
}

static int group_reserve(int argc, char **argv)
{
	struct shadowalloc_stats st;
	uint64_t pages;
	uint32_t id;
	int fd, ret;

	if (argc < 2)
		usage_error("expects ID PAGES");
	no_extra_args(argc, argv, 2);
	id = parse_group_id(argv[0]);
	pages = parse_u64("pages", argv[1], 0, UINT64_MAX);
	fd = open_device();
	ret = shadowalloc_stage_reserve(fd, id, pages);
	/* ENOSPC: more than the cap; say what the cap is. */
	if (ret == -ENOSPC && !shadowalloc_get_stats(fd, id, &st))
		return failf(ENOSPC, "%" PRIu64 " pages is more than the group's staged-memory cap of %" PRIu64 " pages (%s)",
			     pages, (uint64_t)st.max_staged_bytes / 4096,
			     bytes_str(st.max_staged_bytes));
	if (ret)
		return fail(SHADOWALLOC_OP_STAGE_RESERVE, ret);
	if (json) {
		json_ok_begin();
		printf(",\"reserved_pages\":%" PRIu64 "}\n", pages);
	} else if (pages) {
		printf("group %u: %" PRIu64 " pages reserved\n", id, pages);
	} else {
		printf("group %u: reservation cancelled\n", id);
	}
	return 0;
}

#define OPT_MAX_AGE	(1U << 2)
#define OPT_HUGE	(1U << 3)
#define OPT_BUDGET	(1U << 4)

static int group_pool(int argc, char **argv)
{
	struct shadowalloc_pool_config cfg = {};
	struct shadowalloc_stats st;
	const char *cap_opt = NULL;
	unsigned int seen = 0;
	int i, fd, ret;
	uint32_t id;

	if (argc < 1)
		usage_error("expects ID [options]");
	id = parse_group_id(argv[0]);
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i], *val;

		if (!strcmp(opt, "--max-age-ms")) {
			val = option_value(argc, argv, &i, &seen, OPT_MAX_AGE);
			cfg.flags |= SHADOWALLOC_POOL_SET_MAX_AGE;
			cfg.max_age_ms = parse_u64(opt, val,
						   SHADOWALLOC_MAX_AGE_MIN_MS,
						   SHADOWALLOC_MAX_AGE_MAX_MS);
		} else if (!strcmp(opt, "--huge")) {
			val = option_value(argc, argv, &i, &seen, OPT_HUGE);
			cfg.flags |= SHADOWALLOC_POOL_SET_HUGE;
			cfg.huge = parse_u64(opt, val, 0, 1);
		} else if (!strcmp(opt, "--zero-budget")) {
			val = option_value(argc, argv, &i, &seen, OPT_BUDGET);
			cfg.flags |= SHADOWALLOC_POOL_SET_ZERO_BUDGET;
			cfg.zero_pages_per_sec =
				parse_u64(opt, val, SHADOWALLOC_ZERO_BUDGET_MIN,
					  SHADOWALLOC_ZERO_BUDGET_MAX);
		} else if (!strcmp(opt, "--max-staged-mb") ||
			   !strcmp(opt, "--max-staged-bytes")) {
			val = option_value(argc, argv, &i, &seen,
					   opt[13] == 'm' ? OPT_CAP_MB : OPT_CAP_BYTES);
			cfg.flags |= SHADOWALLOC_POOL_SET_CAP;
			cfg.max_staged_bytes = parse_cap(opt, val);
			cap_opt = opt;
		} else {
			usage_error("unknown option '%s'", opt);
		}
	}
	cap_exclusive(seen);
	if (!cfg.flags)
		usage_error("nothing to set");
	if (cap_opt && check_cap(cap_opt, cfg.max_staged_bytes))
		return 1;
	fd = open_device();
	ret = shadowalloc_pool_config(fd, id, &cfg);
	/* EBUSY: a cap below the outstanding reservation is refused. */
	if (ret == -EBUSY && cap_opt && !shadowalloc_get_stats(fd, id, &st))
		return failf(EBUSY, "the cap (%" PRIu64 " pages) is below the group's reservation of %" PRIu64
			     " pages: lower or cancel it first ('group reserve %u 0')",
			     (uint64_t)cfg.max_staged_bytes / 4096,
			     (uint64_t)st.reserved_pages, id);
	if (ret == -EBUSY && cap_opt)
		return failf(EBUSY, "the cap is below the group's reservation: lower or cancel it first");
	if (ret)
		return fail(SHADOWALLOC_OP_POOL_CONFIG, ret);
	if (!json) {
		printf("group %u: pool settings applied\n", id);
		return 0;
	}
	/* Echo what was set. */
	json_ok_begin();
	if (cfg.flags & SHADOWALLOC_POOL_SET_MAX_AGE)
		printf(",\"max_age_ms\":%u", cfg.max_age_ms);
	if (cfg.flags & SHADOWALLOC_POOL_SET_HUGE)
		printf(",\"huge\":%s", cfg.huge ? "true" : "false");
	if (cfg.flags & SHADOWALLOC_POOL_SET_ZERO_BUDGET)
		printf(",\"zero_pages_per_sec\":%u", cfg.zero_pages_per_sec);
	if (cfg.flags & SHADOWALLOC_POOL_SET_CAP)
		printf(",\"max_staged_bytes\":%" PRIu64, (uint64_t)cfg.max_staged_bytes);
	printf("}\n");
	return 0;
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
	X(zero_pages_per_sec) X(held_page_ticks) X(held_ticks)		\
	X(hit_rate_pages_permille) X(released_pages)			\
	X(reserve_shortfall_pages) X(cap_evicted_pages) X(refill_zero_ns)	\
	X(fault_zeroed_pages) X(refill_cpu_ns) X(refill_runs)		\
	X(aged_out_pages) X(shrinker_evicted_pages) X(evicted_unused_pages)

static double avg(uint64_t sum, uint64_t n)
{
	return n ? (double)sum / n : 0.0;
}

static const char *tf(bool b)
{
	return b ? "true" : "false";
}

static int group_stats(int argc, char **argv)
{
	struct shadowalloc_stats st;
	bool enabled, huge, demand;
	uint32_t id;
	int ret;

	id = parse_only_group_id(argc, argv);
	ret = shadowalloc_get_stats(open_device(), id, &st);
	if (ret)
		return fail(SHADOWALLOC_OP_GET_STATS, ret);
	enabled = st.state & SHADOWALLOC_STATE_ENABLED;
	huge = st.state & SHADOWALLOC_STATE_HUGE;
	/* Accuracy and hit rates mean nothing before the first fault. */
	demand = st.hits || st.misses;

	if (json) {
		json_ok_begin();
#define X(f) printf(",\"" #f "\":%" PRIu64, (uint64_t)st.f);
		STATS_FIELDS(X)
#undef X
		printf(",\"enabled\":%s,\"huge\":%s,\"demand_seen\":%s}\n",
		       tf(enabled), tf(huge), tf(demand));
		return 0;
	}
	printf("group %u: shadowing %s, %u of %u VMs, horizon %u ms\n", id,
	       enabled ? "enabled" : "disabled", st.nr_vms, st.max_vms,
	       st.horizon_ms);
	printf("  faults served        %" PRIu64 " (hits %" PRIu64 ", misses %" PRIu64
	       ", raced %" PRIu64 ")\n", (uint64_t)st.faults, (uint64_t)st.hits,
	       (uint64_t)st.misses, (uint64_t)st.raced);
	if (demand)
		printf("  hit rate             %.1f%% of faults, %.1f%% of pages (%" PRIu64
		       " pages hit, %" PRIu64 " missed)\n",
		       st.hit_rate_permille / 10.0,
		       st.hit_rate_pages_permille / 10.0,
		       (uint64_t)st.hit_pages, (uint64_t)st.miss_pages);
	else
		printf("  hit rate             n/a (no demand yet)\n");
	printf("  fault service time   hit %.0f ns, miss %.0f ns (mean)\n",
	       avg(st.hit_service_ns, st.hits), avg(st.miss_service_ns, st.misses));
	if (st.hits && !st.misses && !st.time_saved_ns)
		printf("  time saved           n/a (no miss yet to compare hits with)\n");
	else
		printf("  time saved           %.3f ms (estimate)\n",
		       st.time_saved_ns / 1e6);
	printf("  staged pages         %" PRIu64 " now (%" PRIu64 " in 2 MiB blocks),"
	       " staging target %" PRIu64 ", cap %" PRIu64 " MiB\n",
	       (uint64_t)st.staged_pages, (uint64_t)st.staged_huge_pages,
	       (uint64_t)st.staging_target_pages,
	       (uint64_t)st.max_staged_bytes >> 20);
	printf("  reservation          %" PRIu64 " pages, %" PRIu64
	       " short of it (re-staged when memory allows)\n",
	       (uint64_t)st.reserved_pages, (uint64_t)st.reserve_shortfall_pages);
	printf("  pool                 %s blocks, max age %u ms, 2 MiB hits %" PRIu64 "\n",
	       huge ? "2 MiB + 4 KiB" : "4 KiB", st.max_age_ms,
	       (uint64_t)st.hits_huge);
	printf("  staged total         %" PRIu64 " (evicted unused %" PRIu64 ", %" PRIu64
	       " of them by a lower cap; utilisation %.1f%%)\n",
	       (uint64_t)st.staged_total, (uint64_t)st.evicted_pages,
	       (uint64_t)st.cap_evicted_pages, st.utilisation_permille / 10.0);
	printf("  returned pages       %" PRIu64 " by discards (hole punch, shrinking ftruncate), %"
	       PRIu64 " released with their memory objects\n",
	       (uint64_t)st.discard_returned_pages, (uint64_t)st.released_pages);
	printf("  zeroing              %" PRIu64 " pages in %.3f ms, budget %u pages/s, %" PRIu64
	       " runs throttled, %" PRIu64 " backed off (low memory)\n",
	       (uint64_t)st.zeroed_pages, st.refill_zero_ns / 1e6,
	       st.zero_pages_per_sec, (uint64_t)st.refill_throttled,
	       (uint64_t)st.refill_backoffs);
	printf("  zeroed where         %" PRIu64 " pages (%.1f MiB) by the refill, off the fault path;"
	       " %" PRIu64 " pages (%.1f MiB) on it (misses)\n",
	       (uint64_t)st.zeroed_pages, st.zeroed_pages / 256.0,
	       (uint64_t)st.fault_zeroed_pages, st.fault_zeroed_pages / 256.0);
	printf("  refill CPU time      %.3f ms over %" PRIu64 " runs (the worker's own runtime)\n",
	       st.refill_cpu_ns / 1e6, (uint64_t)st.refill_runs);
	printf("  zeroed, then unused  %" PRIu64 " pages (aged out %" PRIu64 ", shrinker %" PRIu64
	       ", lower cap %" PRIu64 ")\n", (uint64_t)st.evicted_unused_pages,
	       (uint64_t)st.aged_out_pages, (uint64_t)st.shrinker_evicted_pages,
	       (uint64_t)st.cap_evicted_pages);
	printf("  forecast             %" PRIu64 " pages to stage ahead (before the cap), last window error %"
	       PRIu64 " pages, accuracy ", (uint64_t)st.forecast_pages,
	       (uint64_t)st.forecast_abs_err_pages);
	if (demand)
		printf("%.1f%%\n", st.accuracy_permille / 10.0);
	else
		printf("n/a (no demand yet)\n");
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

/* Fault classes by name (enum shadowalloc_fault_class). */
const char * const fault_class_names[SHADOWALLOC_FAULT_CLASSES] = {
	[SHADOWALLOC_FAULT_4K_HIT] = "4k_hit",
	[SHADOWALLOC_FAULT_4K_MISS] = "4k_miss",
	[SHADOWALLOC_FAULT_2M_HIT] = "2m_hit",
	[SHADOWALLOC_FAULT_2M_MISS] = "2m_miss",
};

/*
 * group hist ID: per fault class the count, mean and p50/p90/p99 of the
 * service time, from the module's histogram (GROUP_FAULT_HIST); with
 * --json also the non-empty buckets as [lower_ns, count].
 */
static int group_hist(int argc, char **argv)
{
	static const uint32_t pct[] = { 500, 900, 990 };
	struct shadowalloc_hist h;
	uint64_t lo, hi, n;
	uint32_t id, c, b, i;
	bool first;
	int ret;

	id = parse_only_group_id(argc, argv);
	ret = shadowalloc_get_fault_hist(open_device(), id, &h);
	if (ret)
		return fail(SHADOWALLOC_OP_GROUP_FAULT_HIST, ret);
	if (json) {
		json_ok_begin();
		printf(",\"nr_buckets\":%u,\"first_shift\":%u,"
		       "\"sub_shift\":%u,\"last_shift\":%u,\"classes\":{",
		       h.layout.nr_buckets, h.layout.first_shift,
		       h.layout.sub_shift, h.layout.last_shift);
		for (c = 0; c < SHADOWALLOC_FAULT_CLASSES; c++) {
			n = h.layout.count[c];
			printf("%s\"%s\":{\"count\":%" PRIu64 ",\"sum_ns\":%" PRIu64
			       ",\"mean_ns\":%.0f,\"p50_ns\":%" PRIu64 ",\"p90_ns\":%" PRIu64
			       ",\"p99_ns\":%" PRIu64 ",\"buckets\":[", c ? "," : "",
			       fault_class_names[c], n, (uint64_t)h.layout.sum_ns[c],
			       avg(h.layout.sum_ns[c], n),
			       shadowalloc_hist_percentile(&h, c, 500),
			       shadowalloc_hist_percentile(&h, c, 900),
			       shadowalloc_hist_percentile(&h, c, 990));
			first = true;
			for (b = 0; b < h.layout.nr_buckets; b++) {
				n = h.buckets[c * h.layout.nr_buckets + b];
				if (!n)
					continue;
				shadowalloc_hist_bucket_bounds(&h.layout, b, &lo, &hi);
				printf("%s[%" PRIu64 ",%" PRIu64 "]", first ? "" : ",",
				       lo, n);
				first = false;
			}
			printf("]}");
		}
		printf("}}\n");
		shadowalloc_hist_free(&h);
		return 0;
	}
	printf("group %u: fault service time, ns (%u buckets per power of two: percentiles within 25 %%)\n",
	       id, 1U << h.layout.sub_shift);
	printf("  %-8s %12s %12s %12s %12s %12s\n", "class", "count", "mean",
	       "p50", "p90", "p99");
	for (c = 0; c < SHADOWALLOC_FAULT_CLASSES; c++) {
		n = h.layout.count[c];
		printf("  %-8s %12" PRIu64, fault_class_names[c], n);
		if (!n) {
			printf(" %12s %12s %12s %12s\n", "-", "-", "-", "-");
			continue;
		}
		printf(" %12.0f", avg(h.layout.sum_ns[c], n));
		for (i = 0; i < sizeof(pct) / sizeof(pct[0]); i++)
			printf(" %12" PRIu64, shadowalloc_hist_percentile(&h, c, pct[i]));
		putchar('\n');
	}
	shadowalloc_hist_free(&h);
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
	[SHADOWALLOC_NR_GROUP_FAULT_HIST] = "GROUP_FAULT_HIST",
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
	const char *msg, *path;
	int fd, ret;

	no_extra_args(argc, argv, 0);
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
		path = device_path ?: getenv("SHADOWALLOC_DEVICE");
		set_context("device", path && *path ? path :
			    "/dev/" SHADOWALLOC_DEVICE_NAME);
		return failf(-ret, "module: %s", msg);
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

/* --version: this tool alone, no device needed. */
static int tool_version(void)
{
	if (json)
		printf("{\"ok\":true,\"command\":\"--version\",\"version\":\"%s\",\"api_version\":%u}\n",
		       SHADOWCTL_VERSION, SHADOWALLOC_API_VERSION);
	else
		printf("shadowctl %s, ABI version %u\n", SHADOWCTL_VERSION,
		       SHADOWALLOC_API_VERSION);
	return 0;
}

static int cmd_help(int argc, char **argv);

#define OPT_BIND	(1U << 0)
#define OPT_UNBIND	(1U << 1)

/* mem FILE [--bind ID | --unbind]: a memory object's group binding. */
static int cmd_mem(int argc, char **argv)
{
	struct shadowalloc_mem_bind b;
	uint32_t flags = 0, id = 0;
	unsigned int seen = 0;
	int i, fd, ret;

	if (argc < 1)
		usage_error("expects FILE [--bind ID | --unbind]");
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--bind")) {
			/* Not the command's group: no "mem ID:" in messages. */
			id = parse_u64("group id", option_value(argc, argv, &i,
								&seen, OPT_BIND),
				       SHADOWALLOC_GROUP_ID_MIN,
				       SHADOWALLOC_GROUP_ID_MAX);
			flags = SHADOWALLOC_MEM_BIND_SET;
		} else if (!strcmp(argv[i], "--unbind")) {
			if (seen & OPT_UNBIND)
				usage_error("--unbind given twice");
			seen |= OPT_UNBIND;
			flags = SHADOWALLOC_MEM_BIND_SET;
		} else {
			usage_error("unexpected argument '%s'", argv[i]);
		}
	}
	if (seen == (OPT_BIND | OPT_UNBIND))
		usage_error("--bind and --unbind exclude each other");
	set_context("file", argv[0]);
	fd = open(argv[0], O_RDONLY);
	if (fd < 0)
		return failf(errno, "cannot open: %s", strerror(errno));
	ret = shadowalloc_mem_bind(fd, flags, id, &b);
	close(fd);
	if (ret)
		return fail(SHADOWALLOC_OP_MEM_BIND, ret);
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

/* The ranges the details below spell out: a change of the ABI fails here. */
_Static_assert(SHADOWALLOC_HORIZON_MIN_MS == 100 &&
	       SHADOWALLOC_HORIZON_MAX_MS == 3600000 &&
	       SHADOWALLOC_HORIZON_DEFAULT_MS == 5000 &&
	       SHADOWALLOC_MAX_AGE_MIN_MS == 100 &&
	       SHADOWALLOC_MAX_AGE_MAX_MS == 86400000 &&
	       SHADOWALLOC_ZERO_BUDGET_MIN == 256 &&
	       SHADOWALLOC_ZERO_BUDGET_MAX == 16777216,
	       "the ranges in the command details are out of date");

/*
 * The command tables, as bpftool's struct cmd: dispatch looks the name up
 * here and the help is printed from here, so the two cannot disagree.
 */
static const struct cmd group_cmds[] = {
	CMD_D("create", group_create,
	      "ID [--max-vms N] [--max-staged-mb MIB | --max-staged-bytes BYTES] [--horizon-ms MS]",
	      "create a trust group",
	      "--max-vms N         member limit; 0 or none: the module's max_vms_per_group,\n"
	      "                    more than that is refused\n"
	      "--max-staged-mb MIB, --max-staged-bytes BYTES (one of them)\n"
	      "                    cap on staged memory: a multiple of the page size, at most\n"
	      "                    total RAM; none: the module's default_max_staged_mb\n"
	      "--horizon-ms MS     prediction horizon, 100..3600000 (none: 5000)"),
	CMD("destroy", group_destroy, "ID", "destroy a group without members"),
	CMD("add-vm", group_add_vm, "ID PID",
	    "add the VMM process PID to group ID"),
	CMD("remove-vm", group_remove_vm, "ID PID", "remove it"),
	CMD("enable", group_enable, "ID",
	    "start shadowing (telemetry, forecast, staging)"),
	CMD("disable", group_disable, "ID",
	    "stop it and release the staged pages"),
	CMD_D("horizon", group_horizon, "ID MS", "prediction horizon, in ms",
	      "MS                  100..3600000"),
	CMD("stats", group_stats, "ID", "state and counters"),
	CMD("hist", group_hist, "ID",
	    "fault service time per class (4 KiB/2 MiB, hit/miss): count, mean, p50/p90/p99"),
	CMD_D("reserve", group_reserve, "ID PAGES",
	      "keep PAGES 4 KiB pages staged for a launch (0 cancels)",
	      "PAGES               at most the group's cap (ENOSPC names it)"),
	CMD_D("pool", group_pool,
	      "ID [--max-age-ms MS] [--huge 0|1] [--max-staged-mb MIB | --max-staged-bytes BYTES] [--zero-budget PAGES_PER_S]",
	      "staging pool settings",
	      "--max-age-ms MS     staged pages unused this long are released, 100..86400000\n"
	      "--huge 0|1          stage 2 MiB blocks where they fit\n"
	      "--max-staged-mb MIB, --max-staged-bytes BYTES (one of them)\n"
	      "                    the cap: a multiple of the page size, at most total RAM,\n"
	      "                    not below the reservation (EBUSY)\n"
	      "--zero-budget N     pages zeroed per second at most, 256..16777216"),
	{}
};

static const struct cmd main_cmds[] = {
	CMD_SUB("group", group_cmds),
	CMD_D("attach", cmd_attach, "[--faults]",
	      "load and attach the telemetry BPF programs, pinned in "
	      SHADOWALLOC_BPF_PIN_DIR,
	      "--faults            also kvm:kvm_page_fault: per-fault counters (debugfs),\n"
	      "                    a second event per fault; attached already in the\n"
	      "                    other mode is EEXIST"),
	CMD("detach", cmd_detach, "", "remove them (needed before rmmod)"),
	CMD("status", cmd_status, "",
	    "attached or not, per-group event counters"),
	CMD_SUB("model", model_cmds),
	CMD_D("apply", cmd_apply, "FILE [--dry-run] [--prune]",
	      "make the host match a configuration file (groups, pools, mounts, telemetry)",
	      "FILE                e.g. /etc/shadowalloc/shadowalloc.conf; validated whole\n"
	      "                    first: bad lines as FILE:LINE: reason, nothing applied\n"
	      "--dry-run           print the plan, change nothing\n"
	      "--prune             destroy groups the file does not name (default: left\n"
	      "                    alone); mounts are never unmounted\n"
	      "a key the file leaves out stays as the host has it; a second apply says\n"
	      "'nothing to change'"),
	CMD_D("check-config", cmd_check_config, "FILE",
	      "validate a configuration file (no device needed)",
	      "bad lines as FILE:LINE: reason, exit status 1"),
	CMD_D("save-models", cmd_save_models, "DIR | --config FILE [DIR] [ID...]",
	      "export groups' learned models to DIR/group-ID.model (atomic)",
	      "--config FILE       the groups of FILE, into its model_dir (unless DIR)\n"
	      "ID...               these groups, digits only (none: every group on the host, from\n"
	      "                    debugfs " SHADOWALLOC_DEBUGFS_POOLS ")\n"
	      "each group's result is reported; exit status 1 if one failed"),
	CMD_D("load-models", cmd_load_models, "DIR | --config FILE [DIR] [ID...]",
	      "import them into their groups (after a reboot)",
	      "--config FILE       the groups of FILE, from its model_dir (unless DIR)\n"
	      "ID...               these groups (none: every group-ID.model in DIR)\n"
	      "a missing file is reported (status \"missing\") and is no error; a bad\n"
	      "file or a missing group is, and the others are still loaded"),
	CMD_D("record", cmd_record, "ID FILE [--duration-ms MS]",
	      "write the group's first-touch faults as CSV t_ns,vm,gpa,size; FILE may be -",
	      "--duration-ms MS    stop after MS, 1..86400000 (none: at SIGINT/SIGTERM or\n"
	      "                    when the group is destroyed)\n"
	      "with --json and FILE -, stdout is one JSON object with the faults in it"),
	CMD_D("metrics", cmd_metrics, "[--config FILE] [ID...]",
	      "every group's counters in the Prometheus text format (node_exporter's textfile collector)",
	      "ID...               these groups (none: those of --config FILE, else every\n"
	      "                    group on the host, from debugfs " SHADOWALLOC_DEBUGFS_POOLS ")\n"
	      "--config FILE       the groups of a configuration file\n"
	      "stdout is the exposition text (with --json too; failures are then JSON);\n"
	      "nothing is printed unless every group was read"),
	CMD("mem", cmd_mem, "FILE [--bind ID | --unbind]",
	    "a guest memory file's group binding: show it, or move it (fd-passed guest RAM)"),
	CMD("version", cmd_version, "",
	    "ABI version, features, commands and limits of tool and module"),
	CMD("help", cmd_help, "[COMMAND]", "this text, or a command's"),
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
	fprintf(out, "usage: shadowctl [--json] [--device PATH] COMMAND\n"
		"       shadowctl COMMAND --help | help [COMMAND] | --version\n\ncommands:\n");
	print_cmds(out, "", main_cmds);
	fprintf(out,
		"\n'shadowctl enable ID', 'shadowctl stats ID' etc. are short for 'group ...'.\n"
		"Ranges this tool was built with (the module's: 'shadowctl version'):\n"
		"horizon %u..%u ms, max age %u..%u ms.\n"
		"Numbers are decimal (010 is ten, 0x10 is refused).\n"
		"--json and --device PATH (or $SHADOWALLOC_DEVICE) may stand anywhere.\n"
		"exit status: 0 ok, 1 the operation failed, 2 usage error\n",
		SHADOWALLOC_HORIZON_MIN_MS, SHADOWALLOC_HORIZON_MAX_MS,
		SHADOWALLOC_MAX_AGE_MIN_MS, SHADOWALLOC_MAX_AGE_MAX_MS);
}

/* 'COMMAND --help': the synopsis of @c (named @name), or its subcommands. */
static void cmd_usage(const char *name, const struct cmd *c)
{
	char prefix[80];

	if (c->sub) {
		snprintf(prefix, sizeof(prefix), "%s ", name);
		printf("usage: shadowctl [--json] %s COMMAND\n\ncommands:\n", name);
		print_cmds(stdout, prefix, c->sub);
		return;
	}
	printf("usage: shadowctl [--json] %s%s%s\n%s\n", name,
	       *c->args ? " " : "", c->args, c->help);
	if (c->detail)
		printf("\n%s\n", c->detail);
	printf("\nNumbers are decimal. exit status: 0 ok, 1 the operation failed, 2 usage error\n");
}

static bool is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

/*
 * Find the command that @argv names in @cmds (subcommands included, "stats"
 * short for "group stats"), its full name in ctx.command. Returns it, and in
 * *@used the words its name took. Usage error for an unknown one.
 */
static const struct cmd *resolve(int argc, char **argv, int *used)
{
	const struct cmd *cmds = main_cmds, *c;
	int i;

	for (i = 0; i < argc; i++) {
		size_t len = strlen(ctx.command);

		/* 'model --help': the subcommands of model. */
		if (cmds != main_cmds && is_help(argv[i]))
			break;
		c = cmd_find(cmds, argv[i]);
		if (!c && cmds == main_cmds) {
			c = cmd_find(group_cmds, argv[i]);
			if (c)
				snprintf(ctx.command, sizeof(ctx.command), "group ");
			len = strlen(ctx.command);
		}
		if (!c)
			usage_error("unknown command '%s'", argv[i]);
		snprintf(ctx.command + len, sizeof(ctx.command) - len, "%s%s",
			 len && ctx.command[len - 1] != ' ' ? " " : "", c->name);
		ctx.entry = c;
		if (!c->sub) {
			*used = i + 1;
			return c;
		}
		cmds = c->sub;
	}
	*used = i;
	return ctx.entry;
}

/* help [COMMAND...]: everything, or one command's usage. */
static int cmd_help(int argc, char **argv)
{
	const struct cmd *c;
	int used;

	if (!argc) {
		usage(stdout);
		return 0;
	}
	ctx.command[0] = '\0';
	c = resolve(argc, argv, &used);
	no_extra_args(argc - used, argv + used, 0);
	cmd_usage(ctx.command, c);
	return 0;
}

int main(int argc, char **argv)
{
	const struct cmd *c;
	char **args;
	int i, n = 0, used;

	/* --json anywhere, first: every message after it is JSON too. */
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--json"))
			json = true;
	args = calloc(argc + 1, sizeof(*args));
	if (!args)
		return failf(ENOMEM, "out of memory");
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			continue;
		if (!strcmp(argv[i], "--device")) {
			if (device_path)
				usage_error("--device given twice");
			if (++i >= argc)
				usage_error("--device: missing path");
			device_path = argv[i];
			continue;
		}
		args[n++] = argv[i];
	}
	if (!n)
		usage_error("no command");
	if (is_help(args[0])) {
		return cmd_help(n - 1, args + 1);
	} else if (!strcmp(args[0], "--version")) {
		no_extra_args(n - 1, args + 1, 0);
		return tool_version();
	} else if (args[0][0] == '-') {
		usage_error("unknown option '%s'", args[0]);
	}
	c = resolve(n, args, &used);
	/* 'group create --help': that command's usage, whatever else is there. */
	for (i = used; i < n; i++) {
		if (is_help(args[i])) {
			cmd_usage(ctx.command, c);
			return 0;
		}
	}
	if (c->sub)
		usage_error("missing subcommand");
	/* Each command checks its arguments before it opens the device. */
	return c->func(n - used, args + used);
}
