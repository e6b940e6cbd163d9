/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal KVM guest for tests and benchmarks: one vCPU in 32-bit
 * protected mode with flat segments and paging off (guest-physical equals
 * linear addresses), code in a small anonymous memslot at GPA 0 and guest
 * RAM in a memslot at GPA 1 GiB backed by whatever mapping the caller
 * passes. The guest touches pages and reports with an OUT to a port.
 */
#ifndef KVM_GUEST_H
#define KVM_GUEST_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>
#include <linux/kvm.h>

#define CODE_SIZE	(64UL << 10)
#define DATA_GPA	(1UL << 30)
#define DONE_PORT	0x10

/*
 * The guest code (kvm_guest.c) at GPA 0: a read-then-write or write-only
 * first touch of every page of a range; the entries select the variant.
 */
#define GUEST_READ_WRITE	0x00
#define GUEST_WRITE_ONLY	0x0c

struct vm {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	void *code;
};

/* A VM with one vCPU; @data (@data_size bytes) is its RAM at DATA_GPA. */
int vm_create(struct vm *v, void *data, size_t data_size);
int vm_run_loop(struct vm *v, uint64_t entry, uint64_t first_gpa,
		uint32_t pages, uint32_t stride);
int vm_touch(struct vm *v, uint64_t first_gpa, uint32_t pages,
	     uint32_t stride);
void vm_destroy(struct vm *v);

#endif /* KVM_GUEST_H */
