// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal KVM guest for the selftests and benchmarks: one vCPU in real
 * mode running guest_code over a data slot at DATA_GPA.
 */
#include "kvm_guest.h"

/*
 * The guest: esi = first GPA, ecx = pages, edx = stride.
 *	0: 8b 06	mov eax, [esi]	; a read first touch...
 *	2: 89 36	mov [esi], esi	; ...then write the page's GPA
 *	4: 01 d6	add esi, edx
 *	6: 49		dec ecx
 *	7: 75 f7	jnz 0
 *	9: e6 10	out DONE_PORT, al
 *	b: f4		hlt
 * and a write-only variant, where a first touch is exactly one write fault:
 *	c: 89 36	mov [esi], esi
 *	e: 01 d6	add esi, edx
 *     10: 49		dec ecx
 *     11: 75 f9	jnz c
 *     13: e6 10	out DONE_PORT, al
 *     15: f4		hlt
 */
static const uint8_t guest_code[] = {
	0x8b, 0x06, 0x89, 0x36, 0x01, 0xd6, 0x49, 0x75, 0xf7,
	0xe6, DONE_PORT, 0xf4,
	0x89, 0x36, 0x01, 0xd6, 0x49, 0x75, 0xf9,
	0xe6, DONE_PORT, 0xf4,
};

int vm_create(struct vm *v, void *data, size_t data_size)
{
	struct kvm_userspace_memory_region slot = {};
	struct kvm_sregs sregs;
	struct kvm_segment seg = {
		.base = 0, .limit = 0xffffffff, .present = 1, .dpl = 0,
		.db = 1, .s = 1, .l = 0, .g = 1,
	};
	int run_size;

	v->kvm = open("/dev/kvm", O_RDWR);
	if (v->kvm < 0)
		return -errno;
	v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->vm < 0)
		return -errno;
	v->code = mmap(NULL, CODE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v->code == MAP_FAILED)
		return -errno;
	memcpy(v->code, guest_code, sizeof(guest_code));
	slot.slot = 0;
	slot.guest_phys_addr = 0;
	slot.memory_size = CODE_SIZE;
	slot.userspace_addr = (uintptr_t)v->code;
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &slot))
		return -errno;
	slot.slot = 1;
	slot.guest_phys_addr = DATA_GPA;
	slot.memory_size = data_size;
	slot.userspace_addr = (uintptr_t)data;
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &slot))
		return -errno;

	v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
	if (v->vcpu < 0)
		return -errno;
	run_size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	v->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->vcpu, 0);
	if (v->run == MAP_FAILED)
		return -errno;
	if (ioctl(v->vcpu, KVM_GET_SREGS, &sregs))
		return -errno;
	seg.type = 11;		/* code: execute/read, accessed */
	seg.selector = 8;
	sregs.cs = seg;
	seg.type = 3;		/* data: read/write, accessed */
	seg.selector = 16;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = seg;
	sregs.cr0 |= 1;		/* protected mode, paging off */
	if (ioctl(v->vcpu, KVM_SET_SREGS, &sregs))
		return -errno;
	return 0;
}

/*
 * Run the guest loop at @entry (GUEST_READ_WRITE or GUEST_WRITE_ONLY) over
 * @pages pages from @first_gpa; 0 when it says done.
 */
int vm_run_loop(struct vm *v, uint64_t entry, uint64_t first_gpa,
		uint32_t pages, uint32_t stride)
{
	struct kvm_regs regs = {
		.rip = entry, .rflags = 2, .rsi = first_gpa, .rcx = pages,
		.rdx = stride,
	};

	if (ioctl(v->vcpu, KVM_SET_REGS, &regs))
		return -errno;
	/* A signal (SIGSTOP and SIGCONT too) ends KVM_RUN early: go on. */
	while (ioctl(v->vcpu, KVM_RUN, 0))
		if (errno != EINTR)
			return -errno;
	if (v->run->exit_reason != KVM_EXIT_IO || v->run->io.port != DONE_PORT)
		return 1000 + v->run->exit_reason;
	return 0;
}

/* Read, then write, each page: the guest's first touch is a read. */
int vm_touch(struct vm *v, uint64_t first_gpa, uint32_t pages,
	     uint32_t stride)
{
	return vm_run_loop(v, GUEST_READ_WRITE, first_gpa, pages, stride);
}

void vm_destroy(struct vm *v)
{
	close(v->vcpu);
	close(v->vm);
	close(v->kvm);
}

