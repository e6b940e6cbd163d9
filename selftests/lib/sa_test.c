// SPDX-License-Identifier: GPL-2.0
/*
 * The shadowalloc selftest library: raw __sa_*() ioctl and sysfs wrappers
 * that return 0 or -errno, so tests can compare exact error codes, and
 * process helpers for VMs (a VM is a VMM process, identified by its pid).
 * The asserting sa_*() forms are in sa_assert.c.
 */
#include "sa_test.h"

int __sa_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

int __sa_create(int fd, uint32_t id, uint32_t max_vms,
		  uint64_t max_staged, uint32_t horizon)
{
	struct shadowalloc_group_create c = {
		.size = sizeof(c), .group_id = id, .max_vms = max_vms,
		.max_staged_bytes = max_staged, .horizon_ms = horizon,
	};

	return __sa_ioctl(fd, SHADOWALLOC_IOC_GROUP_CREATE, &c);
}

int __sa_group_op(int fd, unsigned long cmd, uint32_t id)
{
	struct shadowalloc_group_arg a = { .size = sizeof(a), .group_id = id };

	return __sa_ioctl(fd, cmd, &a);
}

static int sa_vm_op_flags(int fd, unsigned long cmd, uint32_t id, pid_t pid,
			  uint32_t flags)
{
	struct shadowalloc_group_vm v = {
		.size = sizeof(v), .flags = flags, .group_id = id, .pid = pid,
	};

	return __sa_ioctl(fd, cmd, &v);
}

int __sa_vm_op(int fd, unsigned long cmd, uint32_t id, pid_t pid)
{
	return sa_vm_op_flags(fd, cmd, id, pid, 0);
}

int __sa_vm_pidfd_op(int fd, unsigned long cmd, uint32_t id, int pidfd)
{
	return sa_vm_op_flags(fd, cmd, id, pidfd, SHADOWALLOC_GROUP_VM_PIDFD);
}

int __sa_mem_bind(int memfd, uint32_t flags, uint32_t id,
		  struct shadowalloc_mem_bind *out)
{
	struct shadowalloc_mem_bind b = {
		.size = sizeof(b), .flags = flags, .group_id = id,
	};
	int ret = __sa_ioctl(memfd, SHADOWALLOC_IOC_MEM_BIND, &b);

	if (!ret && out)
		*out = b;
	return ret;
}

int __sa_horizon(int fd, uint32_t id, uint32_t ms)
{
	struct shadowalloc_horizon h = {
		.size = sizeof(h), .group_id = id, .horizon_ms = ms,
	};

	return __sa_ioctl(fd, SHADOWALLOC_IOC_SET_HORIZON, &h);
}

int __sa_stats(int fd, uint32_t id, struct shadowalloc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->group_id = id;
	return __sa_ioctl(fd, SHADOWALLOC_IOC_GET_STATS, st);
}

/* A stand-in VMM: a child that sleeps until killed. */
pid_t sa_spawn_vm(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	return pid;
}

void sa_reap_vm(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* A pid that names no process: the first free one above ours. */
pid_t sa_free_pid(void)
{
	pid_t pid;

	for (pid = getpid() + 1000; pid < 4000000; pid++)
		if (kill(pid, 0) && errno == ESRCH)
			return pid;
	return -1;
}

/**
 * __sa_read_ulong() - read a number from a sysfs/debugfs/procfs file
 * @path: the file
 * @val: the number (any base strtoul() takes)
 *
 * Return: 0, -errno of open(), -EIO for an empty file.
 */
int __sa_read_ulong(const char *path, unsigned long *val)
{
	char buf[64];
	ssize_t n;
	int fd;

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

/**
 * __sa_write_file() - write a string to a sysfs/debugfs/procfs file
 * @path: the file
 * @val: what to write
 *
 * Return: 0 or the open's or write's -errno (the kernel's verdict).
 */
int __sa_write_file(const char *path, const char *val)
{
	int fd, ret = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* A module parameter of shadowalloc. */
int __sa_read_param(const char *name, unsigned long *val)
{
	char path[256];

	snprintf(path, sizeof(path), SA_PARAM_DIR "%s", name);
	return __sa_read_ulong(path, val);
}

/* Write a parameter; returns 0 or the write's -errno. */
int __sa_write_param(const char *name, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), SA_PARAM_DIR "%s", name);
	return __sa_write_file(path, val);
}

/* A value of /sys/kernel/debug/shadowalloc/pages, or -1. */
long sa_debugfs_value(const char *key)
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

int __sa_reserve(int fd, uint32_t id, uint64_t pages)
{
	struct shadowalloc_stage_reserve r = {
		.size = sizeof(r), .group_id = id, .pages = pages,
	};

	return __sa_ioctl(fd, SHADOWALLOC_IOC_STAGE_RESERVE, &r);
}

int __sa_pool(int fd, uint32_t id, uint32_t flags,
		uint32_t max_age_ms, uint64_t cap, uint32_t huge)
{
	struct shadowalloc_pool_config c = {
		.size = sizeof(c), .group_id = id, .flags = flags,
		.max_age_ms = max_age_ms, .max_staged_bytes = cap, .huge = huge,
	};

	return __sa_ioctl(fd, SHADOWALLOC_IOC_POOL_CONFIG, &c);
}

/* Enable @id and have @pages reserved and staged (__sa_wait_staged()). */
int __sa_stage(int fd, uint32_t id, uint64_t pages)
{
	int ret = __sa_enable(fd, id);

	if (!ret)
		ret = __sa_reserve(fd, id, pages);
	return ret ? ret : __sa_wait_staged(fd, id, pages);
}

/* Wait up to 30 s until the refill worker staged at least @pages. */
/* Wait up to 30 s until the refill worker staged at least @pages. */
int __sa_wait_staged(int fd, uint32_t id, uint64_t pages)
{
	struct shadowalloc_stats st;
	int i, ret;

	for (i = 0; i < 600; i++) {
		ret = __sa_stats(fd, id, &st);
		if (ret)
			return ret;
		if (st.staged_pages >= pages)
			return 0;
		usleep(50000);
	}
	return -ETIMEDOUT;
}

