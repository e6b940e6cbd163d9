// SPDX-License-Identifier: GPL-2.0
/*
 * shadowctl - manage shadowalloc trust groups from the command line.
 *
 * Text output by default; --json prints one JSON object per command for
 * agents. Exit status: 0 success, 1 the operation failed, 2 usage error.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/shadowalloc_bpf.h>

#include "libshadowalloc.h"
#include "shadowctl.h"

#define SHADOWCTL_VERSION "0.1"

bool json;
static const char *device_path;

static void usage(FILE *out)
{
	fprintf(out,
"usage: shadowctl [--json] [--device PATH] COMMAND\n"
"\n"
"commands:\n"
"  group create ID [--max-vms N] [--max-staged-mb N | --max-staged-bytes N]\n"
"                  [--horizon-ms MS]\n"
"  group destroy ID\n"
"  group add-vm ID PID         add the VMM process PID to group ID\n"
"  group remove-vm ID PID\n"
"  group enable ID             start shadowing (telemetry, forecast, staging)\n"
"  group disable ID            stop it and release the staged pages\n"
"  group horizon ID MS         prediction horizon, 100..3600000 ms\n"
"  group stats ID              state and counters\n"
"  group reserve ID PAGES      keep PAGES 4 KiB pages staged for a launch\n"
"                              (0 cancels)\n"
"  group pool ID [--max-age-ms MS] [--huge 0|1] [--max-staged-mb N]\n"
"                              staging pool settings\n"
"  attach                      load and attach the telemetry BPF programs,\n"
"                              pinned in " SHADOWALLOC_BPF_PIN_DIR "\n"
"  detach                      remove them (needed before rmmod)\n"
"  status                      attached or not, per-group event counters\n"
"  model export ID FILE        write the group's forecaster state (a blob)\n"
"  model import ID FILE        replace it (a pre-trained model; bad blobs refused)\n"
"  record ID FILE [--duration-ms MS]\n"
"                              write the group's first-touch faults as CSV\n"
"                              t_ns,vm,gpa,size (needs 'attach'); FILE may be -\n"
"  version\n"
"\n"
"'shadowctl enable ID', 'shadowctl stats ID' etc. are short for 'group ...'.\n"
"--device PATH (or $SHADOWALLOC_DEVICE) selects another device node.\n"
"exit status: 0 ok, 1 the operation failed, 2 usage error\n");
}

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
		{ EMFILE, "EMFILE" }, { EAGAIN, "EAGAIN" },
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

static int cmd_create(int argc, char **argv)
{
	struct shadowalloc_group_opts opts = {};
	uint32_t id = parse_group_id(argv[0]);
	char what[64], text[64];
	int i, ret;

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

static int cmd_group(const char *name, int argc, char **argv)
{
	static const struct {
		const char *name;
		enum shadowalloc_op op;
		int (*fn)(int fd, uint32_t id);
		const char *done;
	} simple[] = {
		{ "destroy", SHADOWALLOC_OP_GROUP_DESTROY, shadowalloc_group_destroy, "destroyed" },
		{ "enable", SHADOWALLOC_OP_SHADOW_ENABLE, shadowalloc_shadow_enable, "shadowing enabled" },
		{ "disable", SHADOWALLOC_OP_SHADOW_DISABLE, shadowalloc_shadow_disable, "shadowing disabled" },
	};
	char what[96], text[96], command[32];
	uint32_t id;
	size_t i;
	int ret;

	snprintf(command, sizeof(command), "group %s", name);
	for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (strcmp(name, simple[i].name))
			continue;
		if (argc != 1)
			usage_error("%s: expects ID", command);
		id = parse_group_id(argv[0]);
		snprintf(what, sizeof(what), "%s %u", command, id);
		ret = simple[i].fn(open_device(), id);
		if (ret)
			return fail(simple[i].op, what, ret);
		snprintf(text, sizeof(text), "group %u: %s", id, simple[i].done);
		return ok(command, id, text);
	}
	if (!strcmp(name, "add-vm") || !strcmp(name, "remove-vm")) {
		bool add = name[0] == 'a';
		pid_t pid;

		if (argc != 2)
			usage_error("%s: expects ID PID", command);
		id = parse_group_id(argv[0]);
		pid = parse_pid(argv[1]);
		snprintf(what, sizeof(what), "%s %u %d", command, id, pid);
		ret = add ? shadowalloc_group_add_vm(open_device(), id, pid) :
			    shadowalloc_group_remove_vm(open_device(), id, pid);
		if (ret)
			return fail(add ? SHADOWALLOC_OP_GROUP_ADD_VM :
				    SHADOWALLOC_OP_GROUP_REMOVE_VM, what, ret);
		snprintf(text, sizeof(text), "group %u: VM %d %s", id, pid,
			 add ? "added" : "removed");
		return ok(command, id, text);
	}
	if (!strcmp(name, "horizon")) {
		uint32_t ms;

		if (argc != 2)
			usage_error("%s: expects ID MS", command);
		id = parse_group_id(argv[0]);
		ms = parse_u64("horizon", argv[1], 0, UINT32_MAX);
		snprintf(what, sizeof(what), "%s %u %u", command, id, ms);
		ret = shadowalloc_set_horizon(open_device(), id, ms);
		if (ret)
			return fail(SHADOWALLOC_OP_SET_HORIZON, what, ret);
		snprintf(text, sizeof(text), "group %u: horizon %u ms", id, ms);
		return ok(command, id, text);
	}
	if (!strcmp(name, "reserve")) {
		uint64_t pages;

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
	if (!strcmp(name, "pool")) {
		struct shadowalloc_pool_config cfg = {};
		int j;

		if (argc < 1)
			usage_error("%s: expects ID [options]", command);
		id = parse_group_id(argv[0]);
		for (j = 1; j < argc; j += 2) {
			const char *opt = argv[j], *val = argv[j + 1];

			if (!strcmp(opt, "--max-age-ms")) {
				cfg.flags |= SHADOWALLOC_POOL_SET_MAX_AGE;
				cfg.max_age_ms = parse_u64(opt, val, 0, UINT32_MAX);
			} else if (!strcmp(opt, "--huge")) {
				cfg.flags |= SHADOWALLOC_POOL_SET_HUGE;
				cfg.huge = parse_u64(opt, val, 0, 1);
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
	usage_error("unknown command 'group %s'", name);
	return 2;
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
	X(naive_err_permille) X(forecast_windows)

static double avg(uint64_t sum, uint64_t n)
{
	return n ? (double)sum / n : 0.0;
}

static int cmd_stats(int argc, char **argv)
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
	printf("  time saved           %.3f ms (estimate)\n",
	       st.time_saved_ns / 1e6);
	printf("  forecast             target %" PRIu64 " pages, last window error %" PRIu64
	       " pages, accuracy %.1f%%\n", (uint64_t)st.forecast_pages,
	       (uint64_t)st.forecast_abs_err_pages, st.accuracy_permille / 10.0);
	printf("  forecast error       %.1f%% of demand (last-value baseline %.1f%%) over %"
	       PRIu64 " windows\n", st.forecast_err_permille / 10.0,
	       st.naive_err_permille / 10.0, (uint64_t)st.forecast_windows);
	printf("  waste                %.1f%% of staged pages evicted unused\n",
	       st.staged_total ? 100.0 * st.evicted_pages / st.staged_total : 0.0);
	printf("  telemetry events     %" PRIu64 " seen, %" PRIu64 " dropped\n",
	       (uint64_t)st.events_seen, (uint64_t)st.events_dropped);
	return 0;
}

int main(int argc, char **argv)
{
	const char *sub;
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
	if (!strcmp(argv[i], "version")) {
		if (json)
			printf("{\"ok\":true,\"version\":\"%s\"}\n", SHADOWCTL_VERSION);
		else
			printf("shadowctl %s\n", SHADOWCTL_VERSION);
		return 0;
	}
	if (!strcmp(argv[i], "attach") || !strcmp(argv[i], "detach") ||
	    !strcmp(argv[i], "status"))
		return cmd_telemetry(argv[i], argc - i - 1, argv + i + 1);
	if (!strcmp(argv[i], "model"))
		return cmd_model(argc - i - 1, argv + i + 1);
	if (!strcmp(argv[i], "record"))
		return cmd_record(argc - i - 1, argv + i + 1);
	/* "shadowctl stats 1" is short for "shadowctl group stats 1". */
	if (!strcmp(argv[i], "group")) {
		if (++i >= argc)
			usage_error("group: missing subcommand");
	}
	sub = argv[i++];
	if (!strcmp(sub, "create") || !strcmp(sub, "stats")) {
		if (i >= argc)
			usage_error("group %s: expects ID", sub);
	} else if (strcmp(sub, "destroy") && strcmp(sub, "add-vm") &&
		   strcmp(sub, "remove-vm") && strcmp(sub, "enable") &&
		   strcmp(sub, "disable") && strcmp(sub, "horizon") &&
		   strcmp(sub, "reserve") && strcmp(sub, "pool")) {
		usage_error("unknown command '%s'", sub);
	}
	/* Each command checks its arguments before it opens the device. */
	if (!strcmp(sub, "create"))
		return cmd_create(argc - i, argv + i);
	if (!strcmp(sub, "stats"))
		return cmd_stats(argc - i, argv + i);
	return cmd_group(sub, argc - i, argv + i);
}
