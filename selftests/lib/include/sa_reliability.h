/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the reliability tests (chaos_test, truncate_test, vmm_kill_test,
 * pressure_test, isolation_test): the seed and time budget from the
 * environment, a monotonic clock in seconds, and exact page counts of a
 * memory object, by the module (MEM_BIND) and by the page cache (mincore),
 * for the accounting those tests end with.
 */
#ifndef SA_RELIABILITY_H
#define SA_RELIABILITY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * An unsigned number from the environment variable @name, @def if unset;
 * exits with a message naming the variable if it is not a number.
 */
unsigned long sa_env_ulong(const char *name, unsigned long def);
/*
 * The random seed of a test: $SA_SEED, else one from the clock; printed
 * ("# seed N (SA_SEED=N repeats its choices)") so that any run can be repeated.
 */
unsigned int sa_seed(void);
/* Seconds on CLOCK_MONOTONIC, for durations and deadlines. */
double sa_now_s(void);
/* Pages a memory object holds (MEM_BIND's answer), or -errno. */
long sa_object_pages(int memfd);
/*
 * Pages of [@addr, @addr + @len) in the page cache of the file mapped
 * there (mincore(): counts without faulting anything in), or -errno.
 */
long sa_resident_pages(const void *addr, size_t len);
/*
 * A duplicate of the open file of process @pid whose /proc/PID/fd link
 * reads @path (pidfd_getfd(): the same open file, not a new open), or
 * -errno: -ENOENT when it has none.
 */
int sa_grab_fd(pid_t pid, const char *path);

#endif /* SA_RELIABILITY_H */
