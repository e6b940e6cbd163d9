/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the shadowalloc selftests: raw ioctl wrappers that
 * return 0 or -errno, so tests can compare exact error codes, and small
 * process helpers for VMs (a VM is a VMM process, identified by its pid).
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

static inline int sa_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int sa_create(int fd, uint32_t id, uint32_t max_vms,
			    uint64_t max_staged, uint32_t horizon)
{
	struct shadowalloc_group_create c = {
		.size = sizeof(c), .group_id = id, .max_vms = max_vms,
		.max_staged_bytes = max_staged, .horizon_ms = horizon,
	};

	return sa_ioctl(fd, SHADOWALLOC_IOC_GROUP_CREATE, &c);
}

static inline int sa_group_op(int fd, unsigned long cmd, uint32_t id)
{
	struct shadowalloc_group_arg a = { .size = sizeof(a), .group_id = id };

	return sa_ioctl(fd, cmd, &a);
}

#define sa_destroy(fd, id) sa_group_op(fd, SHADOWALLOC_IOC_GROUP_DESTROY, id)
#define sa_enable(fd, id) sa_group_op(fd, SHADOWALLOC_IOC_SHADOW_ENABLE, id)
#define sa_disable(fd, id) sa_group_op(fd, SHADOWALLOC_IOC_SHADOW_DISABLE, id)

static inline int sa_vm_op(int fd, unsigned long cmd, uint32_t id, pid_t pid)
{
	struct shadowalloc_group_vm v = {
		.size = sizeof(v), .group_id = id, .pid = pid,
	};

	return sa_ioctl(fd, cmd, &v);
}

#define sa_add_vm(fd, id, pid) \
	sa_vm_op(fd, SHADOWALLOC_IOC_GROUP_ADD_VM, id, pid)
#define sa_remove_vm(fd, id, pid) \
	sa_vm_op(fd, SHADOWALLOC_IOC_GROUP_REMOVE_VM, id, pid)

static inline int sa_horizon(int fd, uint32_t id, uint32_t ms)
{
	struct shadowalloc_horizon h = {
		.size = sizeof(h), .group_id = id, .horizon_ms = ms,
	};

	return sa_ioctl(fd, SHADOWALLOC_IOC_SET_HORIZON, &h);
}

static inline int sa_stats(int fd, uint32_t id, struct shadowalloc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->group_id = id;
	return sa_ioctl(fd, SHADOWALLOC_IOC_GET_STATS, st);
}

/* A stand-in VMM: a child that sleeps until killed. */
static inline pid_t sa_spawn_vm(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	return pid;
}

static inline void sa_reap_vm(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* A pid that names no process: the first free one above ours. */
static inline pid_t sa_free_pid(void)
{
	pid_t pid;

	for (pid = getpid() + 1000; pid < 4000000; pid++)
		if (kill(pid, 0) && errno == ESRCH)
			return pid;
	return -1;
}

static inline int sa_read_param(const char *name, unsigned long *val)
{
	char path[256], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), SA_PARAM_DIR "%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	*val = strtoul(buf, NULL, 0);
	return 0;
}

/* Write a parameter; returns 0 or the write's -errno. */
static inline int sa_write_param(const char *name, const char *val)
{
	char path[256];
	int fd, ret = 0;

	snprintf(path, sizeof(path), SA_PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* A value of /sys/kernel/debug/shadowalloc/pages, or -1. */
static inline long sa_debugfs_value(const char *key)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/sys/kernel/debug/shadowalloc/pages", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return v;
}

static inline int sa_reserve(int fd, uint32_t id, uint64_t pages)
{
	struct shadowalloc_stage_reserve r = {
		.size = sizeof(r), .group_id = id, .pages = pages,
	};

	return sa_ioctl(fd, SHADOWALLOC_IOC_STAGE_RESERVE, &r);
}

static inline int sa_pool(int fd, uint32_t id, uint32_t flags,
			  uint32_t max_age_ms, uint64_t cap, uint32_t huge)
{
	struct shadowalloc_pool_config c = {
		.size = sizeof(c), .group_id = id, .flags = flags,
		.max_age_ms = max_age_ms, .max_staged_bytes = cap, .huge = huge,
	};

	return sa_ioctl(fd, SHADOWALLOC_IOC_POOL_CONFIG, &c);
}

/* Wait up to 30 s until the refill worker staged at least @pages. */
static inline int sa_wait_staged(int fd, uint32_t id, uint64_t pages)
{
	struct shadowalloc_stats st;
	int i;

	for (i = 0; i < 600; i++) {
		if (sa_stats(fd, id, &st))
			return -1;
		if (st.staged_pages >= pages)
			return 0;
		usleep(50000);
	}
	return -1;
}

#endif /* SA_TEST_H */
