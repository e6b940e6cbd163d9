/* SPDX-License-Identifier: GPL-2.0 */
/* shadowctl: what its source files share. */
#ifndef SHADOWCTL_H
#define SHADOWCTL_H

#include <stdbool.h>
#include <stdint.h>

#include "libshadowalloc.h"

/**
 * struct cmd - one command of shadowctl, as bpftool's
 * @name: what the user types
 * @func: runs it with the arguments after @name; returns the exit status
 * @args: synopsis of the arguments, for the help ("" for none)
 * @help: what it does, one line
 * @detail: more about the arguments, for 'COMMAND --help' (NULL for none)
 * @sub: a command with subcommands: their table (@func, @args, @help
 *	unused)
 *
 * Tables end with an entry without a name. The help text is printed from
 * the tables that dispatch uses, so the two cannot disagree.
 */
struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
	const char *args;
	const char *help;
	const char *detail;
	const struct cmd *sub;
};

/* A command, one with details for its --help, one with subcommands. */
#define CMD(_name, _func, _args, _help) \
	{ .name = (_name), .func = (_func), .args = (_args), .help = (_help) }
#define CMD_D(_name, _func, _args, _help, _detail) \
	{ .name = (_name), .func = (_func), .args = (_args), .help = (_help), \
	  .detail = (_detail) }
#define CMD_SUB(_name, _sub) { .name = (_name), .sub = (_sub) }

const struct cmd *cmd_find(const struct cmd *cmds, const char *name);

/* --json: one JSON object per command on stdout, failures included. */
extern bool json;

void json_string(const char *s);
/* {"ok":true,"command":...[,"group_id":N]: the caller adds the rest. */
void json_ok_begin(void);
/* {"ok":false,"command":...[,"group_id":N][,KEY:VAL]: the same for failures. */
void json_fail_begin(void);
/* The command being run ("group create"), for messages. */
const char *command_name(void);

/*
 * What a failure report says besides the command: @key (e.g. "file",
 * "device") and its value @val, a JSON field of its own; NULL clears it.
 */
void set_context(const char *key, const char *val);

/* A usage error: message (JSON with --json), exit status 2. */
void __attribute__((format(printf, 1, 2), noreturn))
usage_error(const char *fmt, ...);
/* An operation failed with errno @err (> 0): report it; returns 1. */
int __attribute__((format(printf, 2, 3)))
failf(int err, const char *fmt, ...);
/* The same with the library's message for @op and @err (< 0). */
int fail(enum shadowalloc_op op, int err);

/* Decimal only, [min, max], no sign, no junk; usage error otherwise. */
uint64_t parse_u64(const char *what, const char *s, uint64_t min,
		   uint64_t max);
uint32_t parse_group_id(const char *s);
/*
 * The value of option argv[*i] (advancing *i past it); refuses a repeated
 * option (its bit @bit already in *@seen) and a missing value.
 */
const char *option_value(int argc, char **argv, int *i, unsigned int *seen,
			 unsigned int bit);
/* No more than @max arguments: the first extra one is refused. */
void no_extra_args(int argc, char **argv, int max);
/* Open the device once (later calls return the same fd); exits if not. */
int open_device(void);

/* model.c */
extern const struct cmd model_cmds[];
int cmd_record(int argc, char **argv);

/* config.c: apply, check-config, save-models, load-models */
#define SHADOWALLOC_CFG_MAX_GROUPS	256	/* [group] or [mount] sections */
#define SHADOWALLOC_CFG_MAX_HOST_GROUPS	4096	/* the module's max_groups at most */
/* The module's debugfs file with a "group ID pool ..." line per group. */
#define SHADOWALLOC_DEBUGFS_POOLS	"/sys/kernel/debug/shadowalloc/pools"
int cmd_apply(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_save_models(int argc, char **argv);
int cmd_load_models(int argc, char **argv);
int host_groups(uint32_t *ids, int max);
/* The ids of a configuration file's groups; 0 or the exit status. */
int config_group_ids(const char *path, uint32_t *ids, int max, int *n);

/* metrics.c */
int cmd_metrics(int argc, char **argv);
/* Fault classes by name (enum shadowalloc_fault_class): "4k_hit"... */
extern const char * const fault_class_names[SHADOWALLOC_FAULT_CLASSES];

/* telemetry.c */
int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_status(int argc, char **argv);

#endif /* SHADOWCTL_H */
