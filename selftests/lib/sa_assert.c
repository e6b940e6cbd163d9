// SPDX-License-Identifier: GPL-2.0
/*
 * The asserting half of the selftest library: sa_*() are __sa_*() that end
 * the process when the call fails, for set-up steps whose failure makes the
 * rest of a test meaningless.
 */
#include "sa_test.h"

/**
 * __sa_assert_ok() - end the test if a raw helper failed
 * @ret: the raw helper's return value, 0 or -errno
 * @call: the call as written in the source
 * @file: source file of the call
 * @line: its line
 */
void __sa_assert_ok(int ret, const char *call, const char *file, int line)
{
	if (!ret)
		return;
	fprintf(stderr, "# %s:%d: %s failed: %s (%d)\n", file, line, call,
		strerror(ret < 0 ? -ret : ret), ret);
	exit(1);
}
