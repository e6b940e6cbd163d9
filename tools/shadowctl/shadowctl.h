/* SPDX-License-Identifier: GPL-2.0 */
/* shadowctl: what its source files share. */
#ifndef SHADOWCTL_H
#define SHADOWCTL_H

#include <stdbool.h>
#include <stdint.h>

#include "libshadowalloc.h"

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
int cmd_model(int argc, char **argv);
int cmd_record(int argc, char **argv);

/* telemetry.c */
int cmd_telemetry(const char *name, int argc, char **argv);

#endif /* SHADOWCTL_H */
