// SPDX-License-Identifier: GPL-2.0
/*
 * shadowctl check-config | apply | save-models | load-models: the host's
 * configuration file (/etc/shadowalloc/shadowalloc.conf) and the learned
 * models kept across reboots. Documentation/admin-config.rst has the
 * format; etc/shadowalloc.conf is a commented example.
 *
 * The file is parsed and validated whole before anything is done: a bad
 * line is reported as FILE:LINE: reason (every bad line, not only the
 * first) and nothing is applied. apply then reads the host's state, makes
 * a plan of the differences and carries it out in order; a second apply
 * finds nothing to change. A key the file does not give is left as the
 * host has it (the module's default for a new group).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libshadowalloc.h"
#include "shadowctl.h"
#include "telemetry.bpf.h"

#define CFG_MAX_ERRORS	20

/* Keys of a [group ID] section, as bits of cfg_group.set. */
enum {
	G_ENABLED	= 1U << 0,
	G_MAX_VMS	= 1U << 1,
	G_CAP		= 1U << 2,
	G_HORIZON	= 1U << 3,
	G_MAX_AGE	= 1U << 4,
	G_HUGE		= 1U << 5,
	G_ZERO_BUDGET	= 1U << 6,
	G_RESERVE	= 1U << 7,
};

/* Keys of a [mount PATH] section. */
enum {
	M_GROUP		= 1U << 0,
	M_SIZE		= 1U << 1,
	M_MODE		= 1U << 2,
	M_OWNER		= 1U << 3,
	M_NR_INODES	= 1U << 4,
};

struct cfg_group {
	uint32_t id;
	unsigned int set;
	int line;
	bool enabled, huge;
	uint32_t max_vms, horizon_ms, max_age_ms, zero_budget;
	uint64_t cap_bytes, reserve_pages;
};

struct cfg_mount {
	char *path;
	unsigned int set;
	int line;
	uint32_t group;
	char size[32], nr_inodes[32];
	unsigned int mode;
	uid_t uid;
	gid_t gid;
};

/* What a configuration file says, once parsed and validated. */
struct config {
	const char *file;
	bool telemetry_set, telemetry;
	char *model_dir;
	struct cfg_group groups[SHADOWALLOC_CFG_MAX_GROUPS];
	int nr_groups;
	struct cfg_mount mounts[SHADOWALLOC_CFG_MAX_GROUPS];
	int nr_mounts;
	/* The errors found, "FILE:LINE: reason" each. */
	char *errors[CFG_MAX_ERRORS];
	int err_lines[CFG_MAX_ERRORS];
	int nr_errors;
	bool more_errors;
};

static void __attribute__((format(printf, 3, 4)))
cfg_error(struct config *cfg, int line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cfg->nr_errors == CFG_MAX_ERRORS) {
		cfg->more_errors = true;
		return;
	}
	if (asprintf(&cfg->errors[cfg->nr_errors], "%s:%d: %s", cfg->file,
		     line, msg) < 0)
		cfg->errors[cfg->nr_errors] = NULL;
	cfg->err_lines[cfg->nr_errors++] = line;
}

/* A decimal number in [min, max], as the command line takes them. */
static const char *cfg_number(const char *s, uint64_t min, uint64_t max,
			      uint64_t *out)
{
	unsigned long long v;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ?
		       "not a number (numbers are decimal)" : "not a number";
	errno = 0;
	v = strtoull(s, NULL, 10);
	if (errno == ERANGE || v < min || v > max)
		return "out of range";
	*out = v;
	return NULL;
}

static bool cfg_bool(const char *s, bool *out)
{
	static const char * const yes[] = { "yes", "on", "true", "1" };
	static const char * const no[] = { "no", "off", "false", "0" };
	unsigned int i;

	for (i = 0; i < 4; i++) {
		if (!strcmp(s, yes[i]))
			return *out = true;
		if (!strcmp(s, no[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* Total RAM in bytes, the bound on caps and mount sizes (0: unknown). */
static uint64_t total_ram(void)
{
	struct sysinfo si;

	if (sysinfo(&si))
		return 0;
	return (uint64_t)si.totalram * si.mem_unit;
}

/* A size as shadowallocfs's size= takes it: digits and k, m or g. */
static const char *cfg_size(const char *s, uint64_t *bytes)
{
	size_t n = strspn(s, "0123456789");
	uint64_t v, shift = 0;

	if (!n || n > 15)
		return "not a size (digits and an optional k, m or g suffix)";
	if (s[n]) {
		if (s[n + 1])
			return "not a size (digits and an optional k, m or g suffix)";
		switch (tolower((unsigned char)s[n])) {
		case 'k': shift = 10; break;
		case 'm': shift = 20; break;
		case 'g': shift = 30; break;
		default:
			return "not a size (digits and an optional k, m or g suffix)";
		}
	}
	v = strtoull(s, NULL, 10);
	if (v > UINT64_MAX >> 30)
		return "too large";
	*bytes = v << shift;
	return NULL;
}

/* "user[:group]", names or numbers; the group defaults to the user's. */
static const char *cfg_owner(const char *s, uid_t *uid, gid_t *gid)
{
	char user[256], *colon;
	struct passwd *pw;
	struct group *gr;
	uint64_t v;

	if (strlen(s) >= sizeof(user))
		return "owner name too long";
	strcpy(user, s);
	colon = strchr(user, ':');
	if (colon)
		*colon++ = '\0';
	if (!cfg_number(user, 0, UINT32_MAX - 1, &v)) {
		*uid = v;
		pw = getpwuid(*uid);
	} else {
		pw = getpwnam(user);
		if (!pw)
			return "no such user";
		*uid = pw->pw_uid;
	}
	if (!colon) {
		if (!pw)
			return "a numeric user needs a group (UID:GID)";
		*gid = pw->pw_gid;
		return NULL;
	}
	if (!cfg_number(colon, 0, UINT32_MAX - 1, &v)) {
		*gid = v;
		return NULL;
	}
	gr = getgrnam(colon);
	if (!gr)
		return "no such group";
	*gid = gr->gr_gid;
	return NULL;
}

static struct cfg_group *cfg_find_group(struct config *cfg, uint32_t id)
{
	int i;

	for (i = 0; i < cfg->nr_groups; i++)
		if (cfg->groups[i].id == id)
			return &cfg->groups[i];
	return NULL;
}

/* One key of a [group ID] section. */
static void cfg_group_key(struct config *cfg, int line, struct cfg_group *g,
			  const char *key, const char *val)
{
	static const struct {
		const char *name;
		unsigned int bit;
		uint64_t min, max;
	} keys[] = {
		{ "enabled", G_ENABLED, 0, 1 },
		{ "huge", G_HUGE, 0, 1 },
		{ "max_vms", G_MAX_VMS, 0, UINT32_MAX },
		{ "max_staged_mb", G_CAP, 1, UINT64_MAX >> 20 },
		{ "horizon_ms", G_HORIZON, SHADOWALLOC_HORIZON_MIN_MS,
		  SHADOWALLOC_HORIZON_MAX_MS },
		{ "max_age_ms", G_MAX_AGE, SHADOWALLOC_MAX_AGE_MIN_MS,
		  SHADOWALLOC_MAX_AGE_MAX_MS },
		{ "zero_budget", G_ZERO_BUDGET, SHADOWALLOC_ZERO_BUDGET_MIN,
		  SHADOWALLOC_ZERO_BUDGET_MAX },
		{ "reserve_pages", G_RESERVE, 0, UINT64_MAX },
	};
	const char *why;
	unsigned int i;
	uint64_t v = 0;
	bool b;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(key, keys[i].name))
			break;
	if (i == sizeof(keys) / sizeof(keys[0]))
		return cfg_error(cfg, line, "unknown key '%s' in [group %u] (enabled, huge, max_vms, max_staged_mb, horizon_ms, max_age_ms, zero_budget, reserve_pages)",
				 key, g->id);
	if (g->set & keys[i].bit)
		return cfg_error(cfg, line, "%s given twice in [group %u]",
				 key, g->id);
	if (keys[i].bit == G_ENABLED || keys[i].bit == G_HUGE) {
		if (!cfg_bool(val, &b))
			return cfg_error(cfg, line, "%s = '%s': yes or no",
					 key, val);
	} else {
		why = cfg_number(val, keys[i].min, keys[i].max, &v);
		if (why)
			return cfg_error(cfg, line, "%s = '%s': %s %" PRIu64 "..%" PRIu64,
					 key, val, why, keys[i].min,
					 keys[i].max);
	}
	g->set |= keys[i].bit;
	switch (keys[i].bit) {
	case G_ENABLED: g->enabled = b; break;
	case G_HUGE: g->huge = b; break;
	case G_MAX_VMS: g->max_vms = v; break;
	case G_CAP:
		g->cap_bytes = v << 20;
		if (total_ram() && g->cap_bytes > total_ram()) {
			g->set &= ~G_CAP;
			cfg_error(cfg, line, "max_staged_mb = %" PRIu64 ": above total RAM (%" PRIu64 " MiB)",
				  v, total_ram() >> 20);
		}
		break;
	case G_HORIZON: g->horizon_ms = v; break;
	case G_MAX_AGE: g->max_age_ms = v; break;
	case G_ZERO_BUDGET: g->zero_budget = v; break;
	case G_RESERVE: g->reserve_pages = v; break;
	}
}

/* One key of a [mount PATH] section. */
static void cfg_mount_key(struct config *cfg, int line, struct cfg_mount *m,
			  const char *key, const char *val)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} keys[] = {
		{ "group", M_GROUP }, { "size", M_SIZE }, { "mode", M_MODE },
		{ "owner", M_OWNER }, { "nr_inodes", M_NR_INODES },
	};
	uint64_t v, ram = total_ram();
	const char *why;
	unsigned int i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(key, keys[i].name))
			break;
	if (i == sizeof(keys) / sizeof(keys[0]))
		return cfg_error(cfg, line, "unknown key '%s' in [mount %s] (group, size, mode, owner, nr_inodes)",
				 key, m->path);
	if (m->set & keys[i].bit)
		return cfg_error(cfg, line, "%s given twice in [mount %s]",
				 key, m->path);
	/* Given, if bad: no "no size" after "size = 12x". */
	m->set |= keys[i].bit;
	switch (keys[i].bit) {
	case M_GROUP:
		why = cfg_number(val, SHADOWALLOC_GROUP_ID_MIN,
				 SHADOWALLOC_GROUP_ID_MAX, &v);
		if (why)
			return cfg_error(cfg, line, "group = '%s': %s %u..%u",
					 val, why, SHADOWALLOC_GROUP_ID_MIN,
					 SHADOWALLOC_GROUP_ID_MAX);
		m->group = v;
		break;
	case M_SIZE:
		why = cfg_size(val, &v);
		if (!why && (v < 4096 || (ram && v > ram)))
			why = "from one page to all of RAM";
		if (why)
			return cfg_error(cfg, line, "size = '%s': %s", val, why);
		snprintf(m->size, sizeof(m->size), "%s", val);
		break;
	case M_NR_INODES:
		why = cfg_size(val, &v);
		if (!why && (!v || v > INT_MAX))
			why = "1..2147483647";
		if (why)
			return cfg_error(cfg, line, "nr_inodes = '%s': %s",
					 val, why);
		snprintf(m->nr_inodes, sizeof(m->nr_inodes), "%s", val);
		break;
	case M_MODE:
		if (!*val || strspn(val, "01234567") != strlen(val) ||
		    strlen(val) > 5 || strtoul(val, NULL, 8) > 07777)
			return cfg_error(cfg, line, "mode = '%s': octal permission bits, e.g. 0750",
					 val);
		m->mode = strtoul(val, NULL, 8);
		/* Guest RAM is unevictable: anyone creating files is a DoS. */
		if (m->mode & 0002)
			return cfg_error(cfg, line, "mode = %s: world-writable (anyone could pin guest RAM)",
					 val);
		break;
	case M_OWNER:
		why = cfg_owner(val, &m->uid, &m->gid);
		if (why)
			return cfg_error(cfg, line, "owner = '%s': %s", val, why);
		break;
	}
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

enum section { SEC_NONE, SEC_GLOBAL, SEC_GROUP, SEC_MOUNT, SEC_BAD };

/* "[global]", "[group ID]" or "[mount PATH]": the section it opens. */
static enum section cfg_section(struct config *cfg, int line, char *s,
				int *index)
{
	char *name = trim(s + 1), *arg;
	uint64_t id;
	const char *why;
	int i;

	if (name[strlen(name) - 1] != ']') {
		cfg_error(cfg, line, "section header without ']'");
		return SEC_BAD;
	}
	name[strlen(name) - 1] = '\0';
	name = trim(name);
	arg = name + strcspn(name, " \t");
	if (*arg)
		*arg++ = '\0';
	arg = trim(arg);
	if (!strcmp(name, "global") && !*arg)
		return SEC_GLOBAL;
	if (!strcmp(name, "group")) {
		why = cfg_number(arg, SHADOWALLOC_GROUP_ID_MIN,
				 SHADOWALLOC_GROUP_ID_MAX, &id);
		if (why) {
			cfg_error(cfg, line, "[group '%s']: group id %s %u..%u",
				  arg, why, SHADOWALLOC_GROUP_ID_MIN,
				  SHADOWALLOC_GROUP_ID_MAX);
			return SEC_BAD;
		}
		if (cfg_find_group(cfg, id)) {
			cfg_error(cfg, line, "[group %" PRIu64 "] given twice (line %d)",
				  id, cfg_find_group(cfg, id)->line);
			return SEC_BAD;
		}
		if (cfg->nr_groups == SHADOWALLOC_CFG_MAX_GROUPS) {
			cfg_error(cfg, line, "more than %d groups",
				  SHADOWALLOC_CFG_MAX_GROUPS);
			return SEC_BAD;
		}
		*index = cfg->nr_groups++;
		cfg->groups[*index] = (struct cfg_group){ .id = id, .line = line };
		return SEC_GROUP;
	}
	if (!strcmp(name, "mount")) {
		if (arg[0] != '/') {
			cfg_error(cfg, line, "[mount '%s']: an absolute path", arg);
			return SEC_BAD;
		}
		for (i = 0; i < cfg->nr_mounts; i++) {
			if (!strcmp(cfg->mounts[i].path, arg)) {
				cfg_error(cfg, line, "[mount %s] given twice (line %d)",
					  arg, cfg->mounts[i].line);
				return SEC_BAD;
			}
		}
		if (cfg->nr_mounts == SHADOWALLOC_CFG_MAX_GROUPS) {
			cfg_error(cfg, line, "more than %d mounts",
				  SHADOWALLOC_CFG_MAX_GROUPS);
			return SEC_BAD;
		}
		*index = cfg->nr_mounts++;
		cfg->mounts[*index] = (struct cfg_mount){
			.path = strdup(arg), .line = line, .mode = 0755,
			.uid = 0, .gid = 0,
		};
		return SEC_MOUNT;
	}
	cfg_error(cfg, line, "unknown section '[%s%s%s]' ([global], [group ID], [mount PATH])",
		  name, *arg ? " " : "", arg);
	return SEC_BAD;
}

static void cfg_global_key(struct config *cfg, int line, const char *key,
			   const char *val, unsigned int *seen)
{
	if (!strcmp(key, "telemetry")) {
		if (*seen & 1)
			return cfg_error(cfg, line, "telemetry given twice");
		*seen |= 1;
		if (!cfg_bool(val, &cfg->telemetry))
			return cfg_error(cfg, line, "telemetry = '%s': on or off",
					 val);
		cfg->telemetry_set = true;
	} else if (!strcmp(key, "model_dir")) {
		if (*seen & 2)
			return cfg_error(cfg, line, "model_dir given twice");
		*seen |= 2;
		if (val[0] != '/')
			return cfg_error(cfg, line, "model_dir = '%s': an absolute path",
					 val);
		cfg->model_dir = strdup(val);
	} else {
		cfg_error(cfg, line, "unknown key '%s' in [global] (telemetry, model_dir)",
			  key);
	}
}

/* What is checked across sections, once every line is read. */
static void cfg_check_whole(struct config *cfg)
{
	int i;

	for (i = 0; i < cfg->nr_groups; i++) {
		struct cfg_group *g = &cfg->groups[i];

		if ((g->set & G_RESERVE) && (g->set & G_CAP) &&
		    g->reserve_pages > g->cap_bytes / 4096)
			cfg_error(cfg, g->line, "[group %u]: reserve_pages %" PRIu64 " is more than max_staged_mb holds (%" PRIu64 " pages)",
				  g->id, g->reserve_pages, g->cap_bytes / 4096);
	}
	for (i = 0; i < cfg->nr_mounts; i++) {
		struct cfg_mount *m = &cfg->mounts[i];

		if (!(m->set & M_GROUP))
			cfg_error(cfg, m->line, "[mount %s]: no group", m->path);
		else if (!cfg_find_group(cfg, m->group))
			cfg_error(cfg, m->line, "[mount %s]: group %u has no [group %u] section",
				  m->path, m->group, m->group);
		if (!(m->set & M_SIZE))
			cfg_error(cfg, m->line, "[mount %s]: no size (an unbounded mount of unevictable memory)",
				  m->path);
	}
}

/**
 * config_parse() - read and validate a configuration file
 * @path: the file
 * @cfg: filled in; cfg->nr_errors says whether it is usable
 *
 * Return: 0, or an errno if the file cannot be read (cfg->errors empty).
 */
static int config_parse(const char *path, struct config *cfg)
{
	enum section sec = SEC_NONE;
	unsigned int global_seen = 0;
	char *buf = NULL, *s, *eq;
	size_t cap = 0;
	int line = 0, idx = -1;
	FILE *f;

	memset(cfg, 0, sizeof(*cfg));
	cfg->file = path;
	f = fopen(path, "r");
	if (!f)
		return errno;
	while (getline(&buf, &cap, f) >= 0) {
		line++;
		if (strlen(buf) > 1023) {
			cfg_error(cfg, line, "line too long");
			continue;
		}
		s = trim(buf);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			sec = cfg_section(cfg, line, s, &idx);
			if (sec == SEC_GLOBAL && (global_seen & 4)) {
				cfg_error(cfg, line, "[global] given twice");
				sec = SEC_BAD;
			} else if (sec == SEC_GLOBAL) {
				global_seen |= 4;
			}
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			cfg_error(cfg, line, "not 'key = value', a section or a comment");
			continue;
		}
		*eq = '\0';
		s = trim(s);
		eq = trim(eq + 1);
		if (!*s) {
			cfg_error(cfg, line, "no key before '='");
			continue;
		}
		if (!*eq) {
			cfg_error(cfg, line, "%s: no value", s);
			continue;
		}
		switch (sec) {
		case SEC_NONE:
			cfg_error(cfg, line, "'%s' outside a section ([global], [group ID], [mount PATH])",
				  s);
			break;
		case SEC_GLOBAL:
			cfg_global_key(cfg, line, s, eq, &global_seen);
			break;
		case SEC_GROUP:
			cfg_group_key(cfg, line, &cfg->groups[idx], s, eq);
			break;
		case SEC_MOUNT:
			cfg_mount_key(cfg, line, &cfg->mounts[idx], s, eq);
			break;
		case SEC_BAD:	/* its header is reported already */
			break;
		}
	}
	free(buf);
	if (ferror(f)) {
		int err = errno ?: EIO;

		fclose(f);
		return err;
	}
	fclose(f);
	cfg_check_whole(cfg);
	return 0;
}

/*
 * Parse @path and report what is wrong with it: each bad line on stderr as
 * "shadowctl: COMMAND: FILE:LINE: reason", with --json one object with
 * them all in "errors". Returns 0 if the file is usable, else the exit
 * status.
 */
static int config_load(const char *path, struct config *cfg)
{
	int err = config_parse(path, cfg), i;

	if (err) {
		set_context("file", path);
		return failf(err, "cannot read: %s", strerror(err));
	}
	if (!cfg->nr_errors)
		return 0;
	for (i = 0; i < cfg->nr_errors; i++)
		fprintf(stderr, "shadowctl: %s\n", cfg->errors[i]);
	if (cfg->more_errors)
		fprintf(stderr, "shadowctl: %s: more errors not shown\n", path);
	fprintf(stderr, "shadowctl: %s: %d error%s, nothing applied\n", path,
		cfg->nr_errors, cfg->nr_errors > 1 ? "s" : "");
	if (json) {
		set_context("file", path);
		json_fail_begin();
		printf(",\"error\":\"EINVAL\",\"errno\":%d,\"errno_name\":\"EINVAL\",\"message\":",
		       EINVAL);
		json_string(cfg->errors[0]);
		printf(",\"errors\":[");
		for (i = 0; i < cfg->nr_errors; i++) {
			printf("%s{\"line\":%d,\"message\":", i ? "," : "",
			       cfg->err_lines[i]);
			json_string(cfg->errors[i]);
			printf("}");
		}
		printf("]}\n");
	}
	return 1;
}

/* shadowctl check-config FILE: validate only, no device needed. */
int cmd_check_config(int argc, char **argv)
{
	static struct config cfg;
	int ret;

	if (argc < 1)
		usage_error("expects FILE");
	no_extra_args(argc, argv, 1);
	ret = config_load(argv[0], &cfg);
	if (ret)
		return ret;
	if (json) {
		json_ok_begin();
		printf(",\"file\":");
		json_string(argv[0]);
		printf(",\"groups\":%d,\"mounts\":%d,\"telemetry\":%s,\"model_dir\":",
		       cfg.nr_groups, cfg.nr_mounts,
		       !cfg.telemetry_set ? "null" : cfg.telemetry ? "true" : "false");
		if (cfg.model_dir)
			json_string(cfg.model_dir);
		else
			printf("null");
		printf("}\n");
	} else {
		printf("%s: valid: %d group%s, %d mount%s, telemetry %s, models %s\n",
		       argv[0], cfg.nr_groups, cfg.nr_groups == 1 ? "" : "s",
		       cfg.nr_mounts, cfg.nr_mounts == 1 ? "" : "s",
		       !cfg.telemetry_set ? "as is" : cfg.telemetry ? "on" : "off",
		       cfg.model_dir ?: "not kept");
	}
	return 0;
}

int config_group_ids(const char *path, uint32_t *ids, int max, int *n)
{
	static struct config cfg;
	int ret = config_load(path, &cfg), i;

	if (ret)
		return ret;
	for (i = 0; i < cfg.nr_groups && i < max; i++)
		ids[i] = cfg.groups[i].id;
	*n = i;
	return 0;
}

/**
 * host_groups() - the ids of the groups that exist now
 * @ids: filled with up to @max ids, ascending
 * @max: room in @ids
 *
 * The module has no ioctl that lists groups; its debugfs file "pools" has
 * a "group ID pool ..." line per group (debugfs.c keeps key names stable
 * for tools).
 *
 * Return: the number of groups, or a negative errno (debugfs not mounted
 * or not readable).
 */
int host_groups(uint32_t *ids, int max)
{
	char line[512];
	unsigned int id;
	int n = 0;
	FILE *f;

	f = fopen(SHADOWALLOC_DEBUGFS_POOLS, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "group %u pool ", &id) != 1 || n == max)
			continue;
		if (n && ids[n - 1] == id)
			continue;
		ids[n++] = id;
	}
	fclose(f);
	return n;
}

/* One step of a plan: what it changes, and how to do it. */
enum act_kind {
	ACT_CREATE, ACT_DISABLE, ACT_POOL, ACT_RESERVE, ACT_HORIZON,
	ACT_ENABLE, ACT_DESTROY, ACT_MKDIR, ACT_MOUNT, ACT_CHMOD, ACT_CHOWN,
	ACT_ATTACH, ACT_DETACH,
};

static const char * const act_names[] = {
	[ACT_CREATE] = "create", [ACT_DISABLE] = "disable",
	[ACT_POOL] = "pool", [ACT_RESERVE] = "reserve",
	[ACT_HORIZON] = "horizon", [ACT_ENABLE] = "enable",
	[ACT_DESTROY] = "destroy", [ACT_MKDIR] = "mkdir",
	[ACT_MOUNT] = "mount", [ACT_CHMOD] = "chmod", [ACT_CHOWN] = "chown",
	[ACT_ATTACH] = "attach", [ACT_DETACH] = "detach",
};

struct action {
	enum act_kind kind;
	uint32_t group;			/* 0: not a group's */
	const struct cfg_mount *mount;	/* a mount's */
	struct shadowalloc_group_opts opts;	/* ACT_CREATE */
	struct shadowalloc_pool_config pool;	/* ACT_POOL */
	uint64_t value;			/* reserve, horizon, mode */
	char what[200];			/* for people */
	int err;			/* after the attempt: 0 or an errno */
	bool done;
};

#define MAX_ACTIONS	(SHADOWALLOC_CFG_MAX_GROUPS * 8 + \
			 SHADOWALLOC_CFG_MAX_HOST_GROUPS + 8)

struct plan {
	struct action acts[MAX_ACTIONS];
	int n;
	char conflict[400];	/* the host cannot be made to match */
};

static struct action * __attribute__((format(printf, 4, 5)))
plan_add(struct plan *p, enum act_kind kind, uint32_t group,
	 const char *fmt, ...)
{
	struct action *a = &p->acts[p->n++];
	va_list ap;

	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->group = group;
	va_start(ap, fmt);
	vsnprintf(a->what, sizeof(a->what), fmt, ap);
	va_end(ap);
	return a;
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

/* The actions that bring group @g from its state @st (NULL: absent) to the file. */
static void plan_group(struct plan *p, const struct cfg_group *g,
		       const struct shadowalloc_stats *st, uint32_t def_max_vms)
{
	struct shadowalloc_pool_config pool = { .flags = 0 };
	bool enabled = st && (st->state & SHADOWALLOC_STATE_ENABLED);
	bool huge = st && (st->state & SHADOWALLOC_STATE_HUGE);
	uint64_t reserved = st ? st->reserved_pages : 0;
	char chg[160] = "";
	struct action *a;
	uint32_t want_vms;
	size_t len;

	if (!st) {
		a = plan_add(p, ACT_CREATE, g->id, "create");
		if (g->set & G_MAX_VMS)
			a->opts.max_vms = g->max_vms;
		if (g->set & G_CAP)
			a->opts.max_staged_bytes = g->cap_bytes;
		if (g->set & G_HORIZON)
			a->opts.horizon_ms = g->horizon_ms;
		len = strlen(a->what);
		if (g->set & G_MAX_VMS)
			len += snprintf(a->what + len, sizeof(a->what) - len,
					" max_vms %u", g->max_vms);
		if (g->set & G_CAP)
			len += snprintf(a->what + len, sizeof(a->what) - len,
					" max_staged_mb %" PRIu64, g->cap_bytes >> 20);
		if (g->set & G_HORIZON)
			snprintf(a->what + len, sizeof(a->what) - len,
				 " horizon_ms %u", g->horizon_ms);
	} else if (g->set & G_MAX_VMS) {
		want_vms = g->max_vms ?: def_max_vms;
		if (want_vms != st->max_vms && !p->conflict[0])
			snprintf(p->conflict, sizeof(p->conflict),
				 "group %u: max_vms is %u on the host, %u in the file: it is set at creation only (destroy the group to change it)",
				 g->id, st->max_vms, want_vms);
	}
	/* Disabling cancels the reservation: first, so it can be renewed. */
	if ((g->set & G_ENABLED) && !g->enabled && enabled) {
		plan_add(p, ACT_DISABLE, g->id, "disable");
		reserved = 0;
	}
	len = 0;
	if ((g->set & G_MAX_AGE) && (!st || st->max_age_ms != g->max_age_ms)) {
		pool.flags |= SHADOWALLOC_POOL_SET_MAX_AGE;
		pool.max_age_ms = g->max_age_ms;
		len += snprintf(chg + len, sizeof(chg) - len, " max_age_ms %u",
				g->max_age_ms);
	}
	if ((g->set & G_HUGE) && huge != g->huge) {
		pool.flags |= SHADOWALLOC_POOL_SET_HUGE;
		pool.huge = g->huge;
		len += snprintf(chg + len, sizeof(chg) - len, " huge %s",
				yes_no(g->huge));
	}
	if ((g->set & G_ZERO_BUDGET) &&
	    (!st || st->zero_pages_per_sec != g->zero_budget)) {
		pool.flags |= SHADOWALLOC_POOL_SET_ZERO_BUDGET;
		pool.zero_pages_per_sec = g->zero_budget;
		len += snprintf(chg + len, sizeof(chg) - len, " zero_budget %u",
				g->zero_budget);
	}
	/* A new group got its cap at creation. */
	if ((g->set & G_CAP) && st && st->max_staged_bytes != g->cap_bytes) {
		pool.flags |= SHADOWALLOC_POOL_SET_CAP;
		pool.max_staged_bytes = g->cap_bytes;
		len += snprintf(chg + len, sizeof(chg) - len,
				" max_staged_mb %" PRIu64, g->cap_bytes >> 20);
	}
	/* A lower reservation before a lower cap, a higher one after it. */
	if ((g->set & G_RESERVE) && g->reserve_pages < reserved) {
		a = plan_add(p, ACT_RESERVE, g->id, "reserve %" PRIu64 " pages (was %" PRIu64 ")",
			     g->reserve_pages, reserved);
		a->value = g->reserve_pages;
	}
	if (pool.flags) {
		a = plan_add(p, ACT_POOL, g->id, "pool%s", chg);
		a->pool = pool;
	}
	if ((g->set & G_RESERVE) && g->reserve_pages > reserved) {
		a = plan_add(p, ACT_RESERVE, g->id, "reserve %" PRIu64 " pages (was %" PRIu64 ")",
			     g->reserve_pages, reserved);
		a->value = g->reserve_pages;
	}
	if ((g->set & G_HORIZON) && st && st->horizon_ms != g->horizon_ms) {
		a = plan_add(p, ACT_HORIZON, g->id, "horizon %u ms (was %u)",
			     g->horizon_ms, st->horizon_ms);
		a->value = g->horizon_ms;
	}
	if ((g->set & G_ENABLED) && g->enabled && !enabled)
		plan_add(p, ACT_ENABLE, g->id, "enable");
}

/*
 * The file system mounted at @path (its last mount: the visible one),
 * from /proc/self/mountinfo: its type in @type, or "" if @path is no
 * mount point.
 */
static void mount_type_at(const char *path, char *type, size_t len)
{
	char line[4096], mnt[PATH_MAX], fstype[64];
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char *sep;

	type[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		/* id parent maj:min root mountpoint opts [optional...] - type */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep + 3, "%63s", fstype) != 1)
			continue;
		/* Octal escapes (\040) are left as they are: no match. */
		if (!strcmp(mnt, path))
			snprintf(type, len, "%s", fstype);
	}
	fclose(f);
}

/* The mount options of @m: size= and group= always, the rest if given. */
static void mount_opts(const struct cfg_mount *m, char *buf, size_t len)
{
	int n = snprintf(buf, len, "group=%u,size=%s", m->group, m->size);

	if (m->set & M_MODE)
		n += snprintf(buf + n, len - n, ",mode=%04o", m->mode);
	if (m->set & M_OWNER)
		n += snprintf(buf + n, len - n, ",uid=%u,gid=%u", m->uid,
			      m->gid);
	if (m->set & M_NR_INODES)
		snprintf(buf + n, len - n, ",nr_inodes=%s", m->nr_inodes);
}

static void plan_mount(struct plan *p, const struct cfg_mount *m)
{
	char opts[160];
	char type[64], real[PATH_MAX];
	struct action *a;
	struct stat st;

	if (stat(m->path, &st)) {
		a = plan_add(p, ACT_MKDIR, m->group, "mkdir %s", m->path);
		a->mount = m;
		type[0] = '\0';
	} else if (!S_ISDIR(st.st_mode)) {
		if (!p->conflict[0])
			snprintf(p->conflict, sizeof(p->conflict),
				 "mount %s: not a directory", m->path);
		return;
	} else {
		if (!realpath(m->path, real))
			snprintf(real, sizeof(real), "%s", m->path);
		mount_type_at(real, type, sizeof(type));
	}
	if (type[0] && strcmp(type, "shadowallocfs")) {
		if (!p->conflict[0])
			snprintf(p->conflict, sizeof(p->conflict),
				 "mount %s: a %s file system is mounted there",
				 m->path, type);
		return;
	}
	if (!type[0]) {
		mount_opts(m, opts, sizeof(opts));
		a = plan_add(p, ACT_MOUNT, m->group, "mount -t shadowallocfs -o %s",
			     opts);
		a->mount = m;
		return;
	}
	/* Mounted: size= and group= cannot be read back (no show_options). */
	if ((m->set & M_MODE) && (st.st_mode & 07777) != m->mode) {
		a = plan_add(p, ACT_CHMOD, m->group, "chmod %04o %s (was %04o)",
			     m->mode, m->path, st.st_mode & 07777);
		a->mount = m;
	}
	if ((m->set & M_OWNER) && (st.st_uid != m->uid || st.st_gid != m->gid)) {
		a = plan_add(p, ACT_CHOWN, m->group, "chown %u:%u %s (was %u:%u)",
			     m->uid, m->gid, m->path, st.st_uid, st.st_gid);
		a->mount = m;
	}
}

static bool telemetry_attached(void)
{
	return access(SHADOWALLOC_BPF_PIN_DIR "/link_kvm_page_fault", F_OK) == 0;
}

/*
 * attach or detach, as the commands do it, in a child whose output is
 * not ours (one JSON object per command): its messages go to stderr.
 */
static int run_telemetry(bool attach)
{
	int status, devnull;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return errno;
	if (!pid) {
		devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, STDOUT_FILENO);
		json = false;
		_exit(attach ? cmd_attach(0, NULL) : cmd_detach(0, NULL));
	}
	if (waitpid(pid, &status, 0) < 0)
		return errno;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : EIO;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX], *s;

	if (strlen(path) >= sizeof(buf))
		return ENAMETOOLONG;
	strcpy(buf, path);
	for (s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return errno;
		*s = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return errno;
	return 0;
}

/* Carry one action out: 0 or a positive errno. */
static int act_run(int fd, struct action *a)
{
	const struct cfg_mount *m = a->mount;
	char opts[160];
	int ret = 0;

	switch (a->kind) {
	case ACT_CREATE:
		ret = shadowalloc_group_create(fd, a->group, &a->opts);
		break;
	case ACT_DISABLE:
		ret = shadowalloc_shadow_disable(fd, a->group);
		break;
	case ACT_ENABLE:
		ret = shadowalloc_shadow_enable(fd, a->group);
		break;
	case ACT_POOL:
		ret = shadowalloc_pool_config(fd, a->group, &a->pool);
		break;
	case ACT_RESERVE:
		ret = shadowalloc_stage_reserve(fd, a->group, a->value);
		break;
	case ACT_HORIZON:
		ret = shadowalloc_set_horizon(fd, a->group, a->value);
		break;
	case ACT_DESTROY:
		ret = shadowalloc_group_destroy(fd, a->group);
		break;
	case ACT_MKDIR:
		return mkdir_p(m->path, 0755);
	case ACT_MOUNT:
		mount_opts(m, opts, sizeof(opts));
		if (mount("shadowallocfs", m->path, "shadowallocfs",
			  MS_NOSUID | MS_NODEV | MS_NOEXEC, opts))
			return errno;
		return 0;
	case ACT_CHMOD:
		return chmod(m->path, m->mode) ? errno : 0;
	case ACT_CHOWN:
		return chown(m->path, m->uid, m->gid) ? errno : 0;
	case ACT_ATTACH:
	case ACT_DETACH:
		return run_telemetry(a->kind == ACT_ATTACH);
	}
	return -ret;
}

/* The ops of the group actions, for the library's messages. */
static enum shadowalloc_op act_op(enum act_kind k)
{
	switch (k) {
	case ACT_CREATE: return SHADOWALLOC_OP_GROUP_CREATE;
	case ACT_DISABLE: return SHADOWALLOC_OP_SHADOW_DISABLE;
	case ACT_ENABLE: return SHADOWALLOC_OP_SHADOW_ENABLE;
	case ACT_POOL: return SHADOWALLOC_OP_POOL_CONFIG;
	case ACT_RESERVE: return SHADOWALLOC_OP_STAGE_RESERVE;
	case ACT_HORIZON: return SHADOWALLOC_OP_SET_HORIZON;
	case ACT_DESTROY: return SHADOWALLOC_OP_GROUP_DESTROY;
	default: return SHADOWALLOC_OP_OPEN;
	}
}

static const char *act_message(const struct action *a)
{
	if (a->kind == ACT_ATTACH || a->kind == ACT_DETACH)
		return "failed (its message is above)";
	if (a->group && !a->mount)
		return shadowalloc_describe_error(act_op(a->kind), -a->err);
	return strerror(a->err);
}

/* An action's subject, as text: "group 10", "mount /srv/g10", "telemetry". */
static void act_subject(const struct action *a, char *buf, size_t len)
{
	if (a->mount)
		snprintf(buf, len, "mount %s", a->mount->path);
	else if (a->group)
		snprintf(buf, len, "group %u", a->group);
	else
		snprintf(buf, len, "telemetry");
}

static void print_actions(const struct plan *p, bool dry_run)
{
	char subj[PATH_MAX + 16];
	int i;

	if (json) {
		printf(",\"actions\":[");
		for (i = 0; i < p->n; i++) {
			const struct action *a = &p->acts[i];

			printf("%s{\"object\":\"%s\"", i ? "," : "",
			       a->mount ? "mount" : a->group ? "group" : "telemetry");
			if (a->group)
				printf(",\"group_id\":%u", a->group);
			if (a->mount) {
				printf(",\"path\":");
				json_string(a->mount->path);
			}
			printf(",\"action\":\"%s\",\"detail\":", act_names[a->kind]);
			json_string(a->what);
			printf(",\"done\":%s", a->done ? "true" : "false");
			if (a->err) {
				printf(",\"error\":\"%s\",\"errno\":%d,\"message\":",
				       strerrorname_np(a->err) ?: "E?", a->err);
				json_string(act_message(a));
			}
			printf("}");
		}
		printf("]");
		return;
	}
	for (i = 0; i < p->n; i++) {
		const struct action *a = &p->acts[i];

		if (!dry_run && !a->done && !a->err)
			continue;
		act_subject(a, subj, sizeof(subj));
		printf("%s%s: %s%s\n", dry_run ? "would: " : "", subj,
		       a->what, a->err ? " FAILED" : "");
	}
}

#define OPT_DRY_RUN	(1U << 0)
#define OPT_PRUNE	(1U << 1)

/**
 * cmd_apply() - shadowctl apply FILE [--dry-run] [--prune]
 * @argc: arguments after "apply"
 * @argv: the arguments
 *
 * Makes the host match the file: groups created and set, mounts made,
 * telemetry attached or detached. Groups the file does not name are left
 * alone unless --prune (then destroyed; one with members refuses with
 * ENOTEMPTY). Mounts are never unmounted. --dry-run prints the plan.
 *
 * Return: the exit status.
 */
int cmd_apply(int argc, char **argv)
{
	static struct config cfg;
	static struct plan plan;
	uint32_t host[SHADOWALLOC_CFG_MAX_HOST_GROUPS];
	struct shadowalloc_api api;
	unsigned int seen = 0;
	uint32_t def_vms = 0;
	const char *file = NULL;
	int i, fd, ret, nhost = 0, failed = -1;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run")) {
			if (seen & OPT_DRY_RUN)
				usage_error("--dry-run given twice");
			seen |= OPT_DRY_RUN;
		} else if (!strcmp(argv[i], "--prune")) {
			if (seen & OPT_PRUNE)
				usage_error("--prune given twice");
			seen |= OPT_PRUNE;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			usage_error("unknown option '%s'", argv[i]);
		} else if (file) {
			usage_error("unexpected argument '%s'", argv[i]);
		} else {
			file = argv[i];
		}
	}
	if (!file)
		usage_error("expects FILE");
	ret = config_load(file, &cfg);
	if (ret)
		return ret;
	fd = open_device();
	if (!shadowalloc_get_api(fd, &api))
		def_vms = api.max_vms_per_group;

	for (i = 0; i < cfg.nr_groups; i++) {
		const struct cfg_group *g = &cfg.groups[i];
		struct shadowalloc_stats st;

		if ((g->set & G_MAX_VMS) && def_vms && g->max_vms > def_vms) {
			set_context("file", file);
			return failf(EINVAL, "%s:%d: [group %u]: max_vms %u is more VMs than the module allows per group (max_vms_per_group %u); nothing applied",
				     file, g->line, g->id, g->max_vms, def_vms);
		}
		ret = shadowalloc_get_stats(fd, g->id, &st);
		if (ret && ret != -ENOENT)
			return fail(SHADOWALLOC_OP_GET_STATS, ret);
		plan_group(&plan, g, ret ? NULL : &st, def_vms);
	}
	if (seen & OPT_PRUNE) {
		nhost = host_groups(host, SHADOWALLOC_CFG_MAX_HOST_GROUPS);
		if (nhost < 0)
			return failf(-nhost, "--prune: cannot list the host's groups: %s: %s (debugfs mounted?)",
				     SHADOWALLOC_DEBUGFS_POOLS, strerror(-nhost));
		for (i = 0; i < nhost; i++)
			if (!cfg_find_group(&cfg, host[i]))
				plan_add(&plan, ACT_DESTROY, host[i],
					 "destroy (not in %s; --prune)", file);
	}
	for (i = 0; i < cfg.nr_mounts; i++)
		plan_mount(&plan, &cfg.mounts[i]);
	if (cfg.telemetry_set && cfg.telemetry != telemetry_attached())
		plan_add(&plan, cfg.telemetry ? ACT_ATTACH : ACT_DETACH, 0,
			 cfg.telemetry ? "attach" : "detach");
	if (plan.conflict[0]) {
		set_context("file", file);
		return failf(EEXIST, "%s; nothing applied", plan.conflict);
	}

	if (!(seen & OPT_DRY_RUN)) {
		for (i = 0; i < plan.n; i++) {
			plan.acts[i].err = act_run(fd, &plan.acts[i]);
			if (plan.acts[i].err) {
				failed = i;
				break;
			}
			plan.acts[i].done = true;
		}
	}
	if (failed >= 0) {
		char subj[PATH_MAX + 16];
		const struct action *a = &plan.acts[failed];

		act_subject(a, subj, sizeof(subj));
		fprintf(stderr, "shadowctl: apply: %s: %s: %s (%s); %d of %d changes made, the rest not tried\n",
			subj, a->what, act_message(a),
			strerrorname_np(a->err) ?: "E?", failed, plan.n);
	}
	if (json) {
		printf("{\"ok\":%s,\"command\":\"apply\",\"file\":",
		       failed >= 0 ? "false" : "true");
		json_string(file);
		printf(",\"dry_run\":%s,\"changes\":%d,\"changed\":%s",
		       (seen & OPT_DRY_RUN) ? "true" : "false", plan.n,
		       failed > 0 || (failed < 0 && plan.n && !(seen & OPT_DRY_RUN)) ?
		       "true" : "false");
		if (failed >= 0) {
			const struct action *a = &plan.acts[failed];

			printf(",\"error\":\"%s\",\"errno\":%d,\"message\":",
			       strerrorname_np(a->err) ?: "E?", a->err);
			json_string(act_message(a));
		}
		print_actions(&plan, seen & OPT_DRY_RUN);
		printf("}\n");
		return failed >= 0;
	}
	print_actions(&plan, seen & OPT_DRY_RUN);
	if (!plan.n)
		printf("%s: nothing to change\n", file);
	else if (seen & OPT_DRY_RUN)
		printf("%s: %d change%s planned (dry run: nothing done)\n", file,
		       plan.n, plan.n > 1 ? "s" : "");
	else if (failed < 0)
		printf("%s: %d change%s made\n", file, plan.n,
		       plan.n > 1 ? "s" : "");
	return failed >= 0;
}

/* Models: one file per group, DIR/group-ID.model. */
#define MODEL_PREFIX	"group-"
#define MODEL_SUFFIX	".model"

/*
 * Which groups and which directory a save-models / load-models command
 * means: DIR, or --config FILE (its model_dir and groups), plus ID...
 */
struct model_args {
	const char *dir;
	uint32_t ids[SHADOWALLOC_CFG_MAX_HOST_GROUPS];
	int n;
	bool from_config;
};

#define OPT_CONFIG	(1U << 0)

/* 0, the exit status of a failure, or -1: nothing to do (no model_dir). */
static int model_args(int argc, char **argv, struct model_args *ma)
{
	static struct config cfg;
	const char *conf = NULL;
	unsigned int seen = 0;
	int i, ret;

	memset(ma, 0, sizeof(*ma));
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--config")) {
			conf = option_value(argc, argv, &i, &seen, OPT_CONFIG);
		} else if (argv[i][0] == '-' && argv[i][1]) {
			usage_error("unknown option '%s'", argv[i]);
		} else if (!ma->dir &&
			   strspn(argv[i], "0123456789") != strlen(argv[i])) {
			/* Digits only is an ID; anything else the directory. */
			ma->dir = argv[i];
		} else {
			if (ma->n == SHADOWALLOC_CFG_MAX_HOST_GROUPS)
				usage_error("too many group ids");
			ma->ids[ma->n++] = parse_u64("group id", argv[i],
						     SHADOWALLOC_GROUP_ID_MIN,
						     SHADOWALLOC_GROUP_ID_MAX);
		}
	}
	if (!conf && !ma->dir)
		usage_error("expects DIR or --config FILE");
	if (!conf)
		return 0;
	ret = config_load(conf, &cfg);
	if (ret)
		return ret;
	if (!ma->dir)
		ma->dir = cfg.model_dir;
	/* Models not kept: the service's load and save have nothing to do. */
	if (!ma->dir) {
		if (json) {
			json_ok_begin();
			printf(",\"file\":");
			json_string(conf);
			printf(",\"dir\":null,\"groups\":[]}\n");
		} else {
			printf("%s: no model_dir: models are not kept\n", conf);
		}
		return -1;
	}
	if (!ma->n) {
		/* Even with no groups in it: nothing to do, not "all". */
		ma->from_config = true;
		for (i = 0; i < cfg.nr_groups; i++)
			ma->ids[ma->n++] = cfg.groups[i].id;
	}
	return 0;
}

/* Per group: "group 10: ..." in text, an element of "groups" in JSON. */
static void model_result(bool *first, uint32_t id, const char *path,
			 const char *status, int err, const char *msg,
			 uint32_t bytes)
{
	if (!json) {
		if (err)
			fprintf(stderr, "shadowctl: %s: group %u: %s: %s (%s)\n",
				command_name(), id, path, msg,
				strerrorname_np(err) ?: "E?");
		else
			printf("group %u: %s %s (%u bytes)\n", id, status, path,
			       bytes);
		return;
	}
	printf("%s{\"group_id\":%u,\"file\":", *first ? "" : ",", id);
	json_string(path);
	printf(",\"status\":\"%s\"", status);
	if (err) {
		printf(",\"error\":\"%s\",\"errno\":%d,\"message\":",
		       strerrorname_np(err) ?: "E?", err);
		json_string(msg);
	} else {
		printf(",\"bytes\":%u", bytes);
	}
	printf("}");
	*first = false;
}

/* Write @len bytes of @blob to @path atomically: a temporary, fsync, rename. */
static int write_atomic(const char *dir, const char *path, const void *blob,
			uint32_t len)
{
	char tmp[PATH_MAX];
	int fd, err = 0, dfd;

	if (snprintf(tmp, sizeof(tmp), "%s/.tmp-%d-%s", dir, getpid(),
		     strrchr(path, '/') + 1) >= (int)sizeof(tmp))
		return ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	if (write(fd, blob, len) != (ssize_t)len)
		err = errno ?: EIO;
	if (!err && fsync(fd))
		err = errno;
	if (close(fd) && !err)
		err = errno;
	if (!err && rename(tmp, path))
		err = errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	/* The rename itself survives a crash once the directory is synced. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

static void model_path(char *buf, size_t len, const char *dir, uint32_t id)
{
	snprintf(buf, len, "%s/" MODEL_PREFIX "%u" MODEL_SUFFIX, dir, id);
}

/**
 * cmd_save_models() - shadowctl save-models DIR | --config FILE [ID...]
 * @argc: arguments after "save-models"
 * @argv: the arguments
 *
 * Exports each group's model to DIR/group-ID.model, atomically (a reader
 * or a crash sees the old file or the new one, never half of one). The
 * groups: the IDs given, else those of --config FILE, else every group on
 * the host (debugfs). A group that fails is reported and the others are
 * still saved.
 *
 * Return: the exit status.
 */
int cmd_save_models(int argc, char **argv)
{
	static unsigned char blob[SHADOWALLOC_MODEL_BLOB_MAX];
	struct model_args ma;
	char path[PATH_MAX];
	int i, fd, ret, bad = 0, saved = 0, err;
	FILE *mem = NULL, *out = stdout;
	bool first = true;
	size_t rows_len;
	char *rows = NULL;
	uint32_t len;

	ret = model_args(argc, argv, &ma);
	if (ret)
		return ret < 0 ? 0 : ret;
	fd = open_device();
	if (!ma.n && !ma.from_config) {
		ma.n = host_groups(ma.ids, SHADOWALLOC_CFG_MAX_HOST_GROUPS);
		if (ma.n < 0)
			return failf(-ma.n, "cannot list the host's groups: %s: %s (debugfs mounted? or name the groups)",
				     SHADOWALLOC_DEBUGFS_POOLS, strerror(-ma.n));
	}
	err = mkdir_p(ma.dir, 0700);
	if (err) {
		set_context("dir", ma.dir);
		return failf(err, "cannot create: %s", strerror(err));
	}
	/* JSON: "ok" comes first and is known at the end: rows go aside. */
	if (json) {
		mem = open_memstream(&rows, &rows_len);
		if (!mem)
			return failf(errno, "out of memory");
		stdout = mem;
	}
	for (i = 0; i < ma.n; i++) {
		model_path(path, sizeof(path), ma.dir, ma.ids[i]);
		ret = shadowalloc_model_export(fd, ma.ids[i], blob,
					       sizeof(blob), &len);
		if (ret == -ENOENT && ma.from_config) {
			/* In the file but not on the host: nothing to keep. */
			model_result(&first, ma.ids[i], path, "no such group",
				     0, NULL, 0);
			continue;
		}
		if (ret) {
			model_result(&first, ma.ids[i], path, "failed", -ret,
				     shadowalloc_describe_error(SHADOWALLOC_OP_MODEL_EXPORT, ret),
				     0);
			bad++;
			continue;
		}
		err = write_atomic(ma.dir, path, blob, len);
		if (err) {
			model_result(&first, ma.ids[i], path, "failed", err,
				     strerror(err), 0);
			bad++;
			continue;
		}
		model_result(&first, ma.ids[i], path, "saved", 0, NULL, len);
		saved++;
	}
	if (mem) {
		fclose(mem);
		stdout = out;
		printf("{\"ok\":%s,\"command\":\"save-models\",\"dir\":",
		       bad ? "false" : "true");
		json_string(ma.dir);
		printf(",\"saved\":%d,\"failed\":%d,\"groups\":[%s]}\n", saved,
		       bad, rows ?: "");
		free(rows);
	} else {
		printf("%d model%s saved in %s, %d failed\n", saved,
		       saved == 1 ? "" : "s", ma.dir, bad);
	}
	return bad ? 1 : 0;
}

/* The group of a file name "group-ID.model", or 0. */
static uint32_t model_file_group(const char *name)
{
	uint64_t id;
	char num[16];
	size_t n;

	if (strncmp(name, MODEL_PREFIX, strlen(MODEL_PREFIX)))
		return 0;
	name += strlen(MODEL_PREFIX);
	n = strspn(name, "0123456789");
	if (!n || n >= sizeof(num) || strcmp(name + n, MODEL_SUFFIX))
		return 0;
	memcpy(num, name, n);
	num[n] = '\0';
	if (cfg_number(num, SHADOWALLOC_GROUP_ID_MIN, SHADOWALLOC_GROUP_ID_MAX,
		       &id))
		return 0;
	return id;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/**
 * cmd_load_models() - shadowctl load-models DIR | --config FILE [ID...]
 * @argc: arguments after "load-models"
 * @argv: the arguments
 *
 * Imports DIR/group-ID.model into each group: the IDs given, else those
 * of --config FILE, else every group-ID.model file in DIR. A missing file
 * (a group never saved: first boot) is reported and is not an error; a
 * bad one (refused by the module: size, magic, version, checksum) or a
 * group that does not exist is, and the others are still loaded.
 *
 * Return: the exit status.
 */
int cmd_load_models(int argc, char **argv)
{
	static unsigned char blob[SHADOWALLOC_MODEL_BLOB_MAX + 1];
	struct model_args ma;
	char path[PATH_MAX];
	int i, fd, ret, bad = 0, loaded = 0, missing = 0, err;
	FILE *in, *mem = NULL, *out = stdout;
	bool first = true;
	struct dirent *de;
	char *rows = NULL;
	size_t len, rows_len;
	DIR *d;

	ret = model_args(argc, argv, &ma);
	if (ret)
		return ret < 0 ? 0 : ret;
	fd = open_device();
	if (!ma.n && !ma.from_config) {
		d = opendir(ma.dir);

		if (!d) {
			err = errno;
			set_context("dir", ma.dir);
			return failf(err, "cannot open: %s", strerror(err));
		}
		while ((de = readdir(d)) &&
		       ma.n < SHADOWALLOC_CFG_MAX_HOST_GROUPS) {
			uint32_t id = model_file_group(de->d_name);

			if (id)
				ma.ids[ma.n++] = id;
		}
		closedir(d);
		qsort(ma.ids, ma.n, sizeof(ma.ids[0]), cmp_u32);
	}
	if (json) {
		mem = open_memstream(&rows, &rows_len);
		if (!mem)
			return failf(errno, "out of memory");
		stdout = mem;
	}
	for (i = 0; i < ma.n; i++) {
		model_path(path, sizeof(path), ma.dir, ma.ids[i]);
		in = fopen(path, "rb");
		if (!in && errno == ENOENT) {
			model_result(&first, ma.ids[i], path, "missing", 0,
				     NULL, 0);
			missing++;
			continue;
		}
		if (!in) {
			err = errno;
			model_result(&first, ma.ids[i], path, "failed", err,
				     strerror(err), 0);
			bad++;
			continue;
		}
		len = fread(blob, 1, sizeof(blob), in);
		err = ferror(in) ? (errno ?: EIO) : 0;
		fclose(in);
		if (!err && len > SHADOWALLOC_MODEL_BLOB_MAX)
			err = EFBIG;
		if (err) {
			model_result(&first, ma.ids[i], path, "failed", err,
				     err == EFBIG ? "larger than a model blob" :
				     strerror(err), 0);
			bad++;
			continue;
		}
		ret = shadowalloc_model_import(fd, ma.ids[i], blob, len);
		if (ret) {
			model_result(&first, ma.ids[i], path, "failed", -ret,
				     shadowalloc_describe_error(SHADOWALLOC_OP_MODEL_IMPORT, ret),
				     0);
			bad++;
			continue;
		}
		model_result(&first, ma.ids[i], path, "loaded", 0, NULL, len);
		loaded++;
	}
	if (mem) {
		fclose(mem);
		stdout = out;
		printf("{\"ok\":%s,\"command\":\"load-models\",\"dir\":",
		       bad ? "false" : "true");
		json_string(ma.dir);
		printf(",\"loaded\":%d,\"missing\":%d,\"failed\":%d,\"groups\":[%s]}\n",
		       loaded, missing, bad, rows ?: "");
		free(rows);
	} else {
		printf("%d model%s loaded from %s, %d missing, %d failed\n",
		       loaded, loaded == 1 ? "" : "s", ma.dir, missing, bad);
	}
	return bad ? 1 : 0;
}
