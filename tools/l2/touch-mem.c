// SPDX-License-Identifier: GPL-2.0
/*
 * touch-mem - the L2 workload: touch N MiB of fresh memory, one write per
 * 4 KiB page, and print the elapsed time measured inside the guest.
 * Built static, so it runs in the busybox-only L2 initramfs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned long mib, i, len;
	unsigned long long t0, t1;
	char *p, *end;

	if (argc != 2 || (mib = strtoul(argv[1], &end, 10)) == 0 || *end) {
		fprintf(stderr, "usage: touch-mem MIB\n");
		return 2;
	}
	len = mib << 20;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	t0 = now_ns();
	for (i = 0; i < len; i += 4096)
		p[i] = 1;
	t1 = now_ns();
	printf("touch-mem: %lu MiB in %llu ns\n", mib, t1 - t0);
	return 0;
}
