// SPDX-License-Identifier: GPL-2.0
/*
 * minivmm - the smallest VMM on /dev/shadowalloc: maps MIB MiB of guest RAM
 * from the device, registers it with KVM and runs a guest
 * (selftests/lib/kvm_guest.c) that writes once to every 4 KiB page. Each first
 * write is a nested page fault served by the module (and seen by the
 * telemetry, if attached). For demos and for trying the module without
 * QEMU; the process joins a group the usual way, by its pid:
 *
 *   sh -c 'shadowctl group add-vm 1 $$ && exec minivmm 64'
 *
 * Prints the guest's touch time. Exit status 0, 1 on failure, 2 on usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <linux/shadowalloc.h>
#include "kvm_guest.h"

#define PAGE 4096UL

int main(int argc, char **argv)
{
	unsigned long mib;
	struct timespec t0, t1;
	struct vm v = {};
	char *end;
	void *data;
	size_t len;
	int fd, ret;

	if (argc != 2 || argv[1][0] < '0' || argv[1][0] > '9') {
		fprintf(stderr, "usage: minivmm MIB   (1..4096)\n");
		return 2;
	}
	mib = strtoul(argv[1], &end, 10);
	if (*end || !mib || mib > 4096) {
		fprintf(stderr, "minivmm: MIB must be 1..4096, not '%s'\n", argv[1]);
		return 2;
	}
	len = mib << 20;
	fd = open("/dev/" SHADOWALLOC_DEVICE_NAME, O_RDWR);
	if (fd < 0) {
		perror("minivmm: /dev/" SHADOWALLOC_DEVICE_NAME);
		return 1;
	}
	data = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (data == MAP_FAILED) {
		perror("minivmm: mmap");
		return 1;
	}
	ret = vm_create(&v, data, len);
	if (ret) {
		fprintf(stderr, "minivmm: creating the VM: %s\n", strerror(-ret));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = vm_run_loop(&v, GUEST_WRITE_ONLY, DATA_GPA, len / PAGE, PAGE);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ret) {
		fprintf(stderr, "minivmm: the guest failed (%d)\n", ret);
		return 1;
	}
	printf("minivmm: the guest wrote %lu MiB (%zu pages) in %.1f ms\n", mib,
	       len / PAGE, (t1.tv_sec - t0.tv_sec) * 1e3 +
	       (t1.tv_nsec - t0.tv_nsec) / 1e6);
	vm_destroy(&v);
	munmap(data, len);
	close(fd);
	return 0;
}
