// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the reliability tests: seed and budgets from the
 * environment, exact page counts of memory objects, and taking over a
 * VMM's memory object (pidfd_getfd) before the VMM is killed, so what it
 * touched can be counted after it is gone.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include "sa_test.h"
#include "sa_reliability.h"

unsigned long sa_env_ulong(const char *name, unsigned long def)
{
	const char *s = getenv(name);
	unsigned long v;
	char *end;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || s[0] < '0' || s[0] > '9') {
		fprintf(stderr, "# %s=%s: not a number\n", name, s);
		exit(2);
	}
	return v;
}

double sa_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

unsigned int sa_seed(void)
{
	struct timespec ts;
	unsigned int seed;

	clock_gettime(CLOCK_REALTIME, &ts);
	seed = (unsigned int)sa_env_ulong("SA_SEED",
					  (ts.tv_sec ^ ts.tv_nsec) & 0x7fffffff);
	printf("# seed %u (SA_SEED=%u repeats its choices)\n", seed, seed);
	fflush(stdout);
	return seed;
}

long sa_object_pages(int memfd)
{
	struct shadowalloc_mem_bind b;
	int ret = __sa_mem_bind(memfd, 0, 0, &b);

	return ret ? ret : (long)b.pages;
}

long sa_resident_pages(const void *addr, size_t len)
{
	size_t pages = (len + 4095) / 4096, i;
	unsigned char *vec = malloc(pages);
	long n = 0;

	if (!vec)
		return -ENOMEM;
	if (mincore((void *)addr, len, vec)) {
		n = -errno;
	} else {
		for (i = 0; i < pages; i++)
			n += vec[i] & 1;
	}
	free(vec);
	return n;
}

int sa_grab_fd(pid_t pid, const char *path)
{
	char dir[64], link[340], target[300];
	int pidfd, fd = -ENOENT;
	struct dirent *d;
	ssize_t n;
	DIR *dp;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	dp = opendir(dir);
	if (!dp)
		return -errno;
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		fd = -errno;
		goto out;
	}
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, d->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		if (strcmp(target, path))
			continue;
		fd = syscall(SYS_pidfd_getfd, pidfd, atoi(d->d_name), 0);
		if (fd < 0)
			fd = -errno;
		break;
	}
	close(pidfd);
out:
	closedir(dp);
	return fd;
}
