// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_touch_bench - first-touch cost of guest memory, backend by backend,
 * measured side by side in one run.
 *
 * A minimal KVM guest (selftests/lib/kvm_guest.c) touches N MiB of fresh guest
 * memory, one access per 4 KiB page, each a nested page fault resolved on
 * the host. The same guest runs on each RAM backend in turn; the guest
 * touch time and, for shadowalloc, the module's fault service times are
 * printed as JSON lines and as a table of ratios to anonymous 4 KiB memory.
 * Absolute times under TCG are inflated; the ratios are the result.
 *
 *   kvm_touch_bench [MIB]        (default 32; needs /dev/kvm and the module)
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/ioctl.h>

#include <linux/shadowalloc.h>
#include "kvm_guest.h"
#include "sa_test.h"
#include "libshadowalloc.h"

#define GROUP 901
#define PAGE 4096UL
#define HUGE (2UL << 20)

struct result {
	const char *backend;
	double touch_ms;
	uint64_t faults, hits, hit_ns, misses, miss_ns;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A 2 MiB-aligned window of @len inside a larger reservation. */
static void *aligned_area(size_t len)
{
	char *p = mmap(NULL, len + HUGE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	return (void *)(((uintptr_t)p + HUGE - 1) & ~(HUGE - 1));
}

static void *map_backend(const char *name, size_t len, int sa_fd)
{
	void *want = aligned_area(len);
	int flags = MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS;
	void *p;
	int fd;

	if (!want)
		return NULL;
	if (!strcmp(name, "anon-4k") || !strcmp(name, "anon-thp") ||
	    !strcmp(name, "prealloc")) {
		if (!strcmp(name, "prealloc"))
			flags |= MAP_POPULATE;
		p = mmap(want, len, PROT_READ | PROT_WRITE, flags, -1, 0);
		if (p != MAP_FAILED)
			madvise(p, len, !strcmp(name, "anon-thp") ?
				MADV_HUGEPAGE : MADV_NOHUGEPAGE);
		return p == MAP_FAILED ? NULL : p;
	}
	if (!strcmp(name, "memfd")) {
		fd = memfd_create("bench", 0);
		if (fd < 0 || ftruncate(fd, len))
			return NULL;
	} else {
		fd = sa_fd;	/* a fresh open of /dev/shadowalloc */
	}
	p = mmap(want, len, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* As QEMU does for guest RAM: 2 MiB where the pool allows it. */
	madvise(p, len, MADV_HUGEPAGE);
	return p;
}

static int run_one(const char *name, size_t len, int ctl, struct result *r)
{
	struct shadowalloc_pool_config cfg = {
		.flags = SHADOWALLOC_POOL_SET_HUGE | SHADOWALLOC_POOL_SET_MAX_AGE,
		.max_age_ms = 600000,
	};
	struct shadowalloc_stats st;
	bool sa = !strncmp(name, "shadowalloc", 11);
	int sa_fd = -1, ret;
	struct vm v = {};
	void *data;
	double t0;

	memset(r, 0, sizeof(*r));
	r->backend = name;
	if (sa) {
		shadowalloc_shadow_disable(ctl, GROUP);
		cfg.huge = !strcmp(name, "shadowalloc-2m-reserved");
		if (shadowalloc_pool_config(ctl, GROUP, &cfg) ||
		    shadowalloc_shadow_enable(ctl, GROUP))
			return -1;
		if (strcmp(name, "shadowalloc-empty")) {
			if (shadowalloc_stage_reserve(ctl, GROUP, len / PAGE) ||
			    __sa_wait_staged(ctl, GROUP, len / PAGE))
				return -1;
		}
		sa_fd = shadowalloc_open();
		if (sa_fd < 0)
			return -1;
	}
	data = map_backend(name, len, sa_fd);
	if (!data)
		return -1;
	if (vm_create(&v, data, len))
		return -1;
	/* Warm KVM up on one page so the first run pays no setup. */
	if (vm_touch(&v, DATA_GPA, 1, PAGE))
		return -1;
	if (sa)
		shadowalloc_get_stats(ctl, GROUP, &st);
	t0 = now_ms();
	ret = vm_touch(&v, DATA_GPA + PAGE, len / PAGE - 1, PAGE);
	r->touch_ms = now_ms() - t0;
	if (sa) {
		struct shadowalloc_stats end;

		shadowalloc_get_stats(ctl, GROUP, &end);
		r->faults = end.faults - st.faults;
		r->hits = end.hits - st.hits;
		r->hit_ns = end.hit_service_ns - st.hit_service_ns;
		r->misses = end.misses - st.misses;
		r->miss_ns = end.miss_service_ns - st.miss_service_ns;
	}
	vm_destroy(&v);
	munmap(data, len);
	if (sa_fd >= 0)
		close(sa_fd);
	return ret;
}

int main(int argc, char **argv)
{
	static const char * const backends[] = {
		"anon-4k", "anon-thp", "memfd", "prealloc", "shadowalloc-empty",
		"shadowalloc-4k-reserved", "shadowalloc-2m-reserved",
	};
	struct result res[7];
	unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 32;
	size_t len = mib << 20, i;
	int ctl = shadowalloc_open();

	if (!mib || mib > 4096) {
		fprintf(stderr, "usage: kvm_touch_bench [MIB 1..4096]\n");
		return 2;
	}
	if (ctl < 0) {
		fprintf(stderr, "kvm_touch_bench: /dev/shadowalloc: %s\n", strerror(-ctl));
		return 1;
	}
	shadowalloc_group_remove_vm(ctl, GROUP, getpid());
	shadowalloc_group_destroy(ctl, GROUP);
	if (shadowalloc_group_create(ctl, GROUP, NULL) ||
	    shadowalloc_group_add_vm(ctl, GROUP, getpid())) {
		fprintf(stderr, "kvm_touch_bench: cannot set up group %d\n", GROUP);
		return 1;
	}
	for (i = 0; i < 7; i++) {
		if (run_one(backends[i], len, ctl, &res[i])) {
			fprintf(stderr, "kvm_touch_bench: %s failed\n", backends[i]);
			return 1;
		}
		printf("{\"backend\":\"%s\",\"mib\":%lu,\"guest_touch_ms\":%.2f,"
		       "\"faults\":%llu,\"hits\":%llu,\"hit_service_ns\":%llu,"
		       "\"misses\":%llu,\"miss_service_ns\":%llu}\n",
		       res[i].backend, mib, res[i].touch_ms,
		       (unsigned long long)res[i].faults,
		       (unsigned long long)res[i].hits,
		       (unsigned long long)res[i].hit_ns,
		       (unsigned long long)res[i].misses,
		       (unsigned long long)res[i].miss_ns);
		fflush(stdout);
	}
	printf("\n%-26s %12s %10s %14s %14s\n", "backend", "touch ms",
	       "vs anon-4k", "hit ns/fault", "miss ns/fault");
	for (i = 0; i < 7; i++) {
		printf("%-26s %12.1f %10.2f", res[i].backend, res[i].touch_ms,
		       res[i].touch_ms / res[0].touch_ms);
		if (res[i].hits)
			printf(" %14llu", (unsigned long long)(res[i].hit_ns / res[i].hits));
		else
			printf(" %14s", "-");
		if (res[i].misses)
			printf(" %14llu", (unsigned long long)(res[i].miss_ns / res[i].misses));
		else
			printf(" %14s", "-");
		printf("\n");
	}
	shadowalloc_shadow_disable(ctl, GROUP);
	shadowalloc_group_remove_vm(ctl, GROUP, getpid());
	shadowalloc_group_destroy(ctl, GROUP);
	return 0;
}
