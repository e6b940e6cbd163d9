/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shadowalloc selftest library (selftests/lib/), as the KVM selftests'
 * kvm_util.h: raw __sa_*() helpers return 0 or -errno, so a test can
 * compare the exact error of a call; their asserting forms sa_*() end the
 * test (or benchmark) with a message naming the call and the errno, for
 * the calls that are set-up, not the subject of the test.
 */
#ifndef SA_TEST_H
#define SA_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/shadowalloc.h>

#define SA_DEV "/dev/" SHADOWALLOC_DEVICE_NAME
#define SA_PARAM_DIR "/sys/module/shadowalloc/parameters/"

/* Raw helpers: 0 or -errno. */
int __sa_ioctl(int fd, unsigned long cmd, void *arg);
int __sa_create(int fd, uint32_t id, uint32_t max_vms,
		uint64_t max_staged, uint32_t horizon);
int __sa_group_op(int fd, unsigned long cmd, uint32_t id);
#define __sa_destroy(fd, id) \
	__sa_group_op(fd, SHADOWALLOC_IOC_GROUP_DESTROY, id)
#define __sa_enable(fd, id) \
	__sa_group_op(fd, SHADOWALLOC_IOC_SHADOW_ENABLE, id)
#define __sa_disable(fd, id) \
	__sa_group_op(fd, SHADOWALLOC_IOC_SHADOW_DISABLE, id)
int __sa_vm_op(int fd, unsigned long cmd, uint32_t id, pid_t pid);
#define __sa_add_vm(fd, id, pid) \
	__sa_vm_op(fd, SHADOWALLOC_IOC_GROUP_ADD_VM, id, pid)
#define __sa_remove_vm(fd, id, pid) \
	__sa_vm_op(fd, SHADOWALLOC_IOC_GROUP_REMOVE_VM, id, pid)
/* ADD_VM / REMOVE_VM naming the VMM by a pidfd. */
int __sa_vm_pidfd_op(int fd, unsigned long cmd, uint32_t id, int pidfd);
/* MEM_BIND on a memory fd; @out (may be NULL) gets the answer. */
int __sa_mem_bind(int memfd, uint32_t flags, uint32_t id,
		  struct shadowalloc_mem_bind *out);
int __sa_horizon(int fd, uint32_t id, uint32_t ms);
int __sa_stats(int fd, uint32_t id, struct shadowalloc_stats *st);
int __sa_reserve(int fd, uint32_t id, uint64_t pages);
int __sa_pool(int fd, uint32_t id, uint32_t flags, uint32_t max_age_ms,
	      uint64_t cap, uint32_t huge);
/* Wait up to 30 s until the refill worker staged at least @pages. */
int __sa_wait_staged(int fd, uint32_t id, uint64_t pages);
/* Enable group @id, reserve @pages and wait until they are staged. */
int __sa_stage(int fd, uint32_t id, uint64_t pages);
int __sa_read_ulong(const char *path, unsigned long *val);
int __sa_write_file(const char *path, const char *val);
int __sa_read_param(const char *name, unsigned long *val);
int __sa_write_param(const char *name, const char *val);

/* Process helpers. */
/* A stand-in VMM: a child that sleeps until killed. */
pid_t sa_spawn_vm(void);
void sa_reap_vm(pid_t pid);
/* A pid that names no process: the first free one above ours. */
pid_t sa_free_pid(void);
/* A value of /sys/kernel/debug/shadowalloc/pages, or -1. */
long sa_debugfs_value(const char *key);

/*
 * Asserting helpers: the raw call, and on failure a message on stderr
 * naming the call, its line and the errno, then exit(1) (KSFT_FAIL: the
 * harness reports the test failed).
 */
void __sa_assert_ok(int ret, const char *call, const char *file, int line);
#define SA_ASSERT_OK(call) __sa_assert_ok((call), #call, __FILE__, __LINE__)

#define sa_ioctl(fd, cmd, arg)	SA_ASSERT_OK(__sa_ioctl(fd, cmd, arg))
#define sa_create(fd, id, max_vms, max_staged, horizon) \
	SA_ASSERT_OK(__sa_create(fd, id, max_vms, max_staged, horizon))
#define sa_destroy(fd, id)	SA_ASSERT_OK(__sa_destroy(fd, id))
#define sa_enable(fd, id)	SA_ASSERT_OK(__sa_enable(fd, id))
#define sa_disable(fd, id)	SA_ASSERT_OK(__sa_disable(fd, id))
#define sa_add_vm(fd, id, pid)	SA_ASSERT_OK(__sa_add_vm(fd, id, pid))
#define sa_remove_vm(fd, id, pid) SA_ASSERT_OK(__sa_remove_vm(fd, id, pid))
#define sa_horizon(fd, id, ms)	SA_ASSERT_OK(__sa_horizon(fd, id, ms))
#define sa_stats(fd, id, st)	SA_ASSERT_OK(__sa_stats(fd, id, st))
#define sa_reserve(fd, id, pages) SA_ASSERT_OK(__sa_reserve(fd, id, pages))
#define sa_pool(fd, id, flags, max_age_ms, cap, huge) \
	SA_ASSERT_OK(__sa_pool(fd, id, flags, max_age_ms, cap, huge))
#define sa_wait_staged(fd, id, pages) \
	SA_ASSERT_OK(__sa_wait_staged(fd, id, pages))
#define sa_read_param(name, val) SA_ASSERT_OK(__sa_read_param(name, val))
#define sa_write_param(name, val) SA_ASSERT_OK(__sa_write_param(name, val))

#endif /* SA_TEST_H */
