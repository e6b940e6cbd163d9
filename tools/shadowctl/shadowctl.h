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
 * @sub: a command with subcommands: their table (@args, @help unused)
 *
 * Tables end with an entry without a name. The help text is printed from
 * the tables that dispatch uses, so the two cannot disagree.
 */
struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
	const char *args;
	const char *help;
	const struct cmd *sub;
};

/* A command, and a command whose arguments start with a subcommand. */
#define CMD(_name, _func, _args, _help) \
	{ .name = (_name), .func = (_func), .args = (_args), .help = (_help) }
#define CMD_SUB(_name, _func, _sub) \
	{ .name = (_name), .func = (_func), .sub = (_sub) }

const struct cmd *cmd_find(const struct cmd *cmds, const char *name);

/* --json: one JSON object per command on stdout. */
extern bool json;

void json_string(const char *s);
void __attribute__((format(printf, 1, 2), noreturn))
usage_error(const char *fmt, ...);

uint64_t parse_u64(const char *what, const char *s, uint64_t min,
		   uint64_t max);
uint32_t parse_group_id(const char *s);
/* Report a failed operation (text, and JSON with --json); returns 1. */
int fail(enum shadowalloc_op op, const char *what, int err);
/* Open the device; exits with a message if it cannot. */
int open_device(void);

/* model.c */
extern const struct cmd model_cmds[];
int cmd_model(int argc, char **argv);
int cmd_record(int argc, char **argv);

/* telemetry.c */
int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_status(int argc, char **argv);

#endif /* SHADOWCTL_H */
