/* SPDX-License-Identifier: GPL-2.0 */
/* shadowctl: what its source files share. */
#ifndef SHADOWCTL_H
#define SHADOWCTL_H

#include <stdbool.h>

/* --json: one JSON object per command on stdout. */
extern bool json;

void json_string(const char *s);
void __attribute__((format(printf, 1, 2), noreturn))
usage_error(const char *fmt, ...);

/* telemetry.c */
int cmd_telemetry(const char *name, int argc, char **argv);

#endif /* SHADOWCTL_H */
