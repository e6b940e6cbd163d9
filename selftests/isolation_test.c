// SPDX-License-Identifier: GPL-2.0
/*
 * Isolation between trust groups: no VMM ever sees a byte another group's
 * VMM wrote. A VMM of group A runs a KVM guest over its guest RAM, on the
 * device and on a shadowallocfs file, writes a pattern over every page,
 * punches holes in the file (the punched pages must read back as zeroes,
 * the rest must keep the pattern), writes the pattern again and exits.
 * Then VMMs of group B map fresh guest RAM, on the device and on a file of
 * group B's shadowallocfs mount, and read every byte, with a KVM guest
 * (guest code that counts non-zero dwords) and from userspace: all zero.
 *
 * That B's pages really were A's is checked, not hoped for: every VMM
 * reads its pages' frame numbers from /proc/self/pagemap, A marks the
 * frames it wrote in a shared bitmap, and B counts the frames it got that
 * A had written. In the concurrent variant A writes, punches and rewrites
 * while B maps, reads and unmaps, both for CONC_S seconds. Every VMM runs
 * on one CPU (drawn from the seed): each CPU of the test VM is a NUMA node
 * of its own, and a VMM on another node would allocate from other memory
 * than the one A freed (a first run on two CPUs found 0 of 47104 B pages
 * on A's frames), testing nothing.
 *
 *   SA_SEED=N   the random seed (printed; default from the clock)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/falloc.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

#include "kselftest_harness.h"
#include "sa_test.h"
#include "sa_reliability.h"
#include "kvm_guest.h"

#define GA		741
#define GB		742
#define PAGE		4096UL
#define HUGE		(2UL << 20)
#define DIR_A		"/tmp/sa-iso-a"
#define DIR_B		"/tmp/sa-iso-b"
#define NPAGES		4096UL		/* 16 MiB per mapping */
#define CHUNK		64UL		/* pages per punched hole */
#define CONC_S		8
#define CONC_PAGES	1024UL		/* a B mapping of the concurrent run */
#define PFN_BITS	(1UL << 24)	/* frames up to 64 GiB */
#define PATTERN		0xa55a5aa500000001ULL

/*
 * Guest code at SCAN_GPA (32-bit protected mode, paging off): esi = first
 * GPA, ecx = dwords; counts the non-zero dwords and reports the count with
 * a 4-byte OUT to DONE_PORT.
 *	 0: 31 db		xor ebx, ebx
 *	 2: 8b 06		mov eax, [esi]
 *	 4: 85 c0		test eax, eax
 *	 6: 74 01		jz 9
 *	 8: 43			inc ebx
 *	 9: 83 c6 04		add esi, 4
 *	 c: 49			dec ecx
 *	 d: 75 f3		jnz 2
 *	 f: 89 d8		mov eax, ebx
 *	11: ba 10 00 00 00	mov edx, DONE_PORT
 *	16: ef			out dx, eax
 *	17: f4			hlt
 */
#define SCAN_GPA	0x1000
static const uint8_t scan_code[] = {
	0x31, 0xdb, 0x8b, 0x06, 0x85, 0xc0, 0x74, 0x01, 0x43,
	0x83, 0xc6, 0x04, 0x49, 0x75, 0xf3, 0x89, 0xd8,
	0xba, DONE_PORT, 0x00, 0x00, 0x00, 0xef, 0xf4,
};

/* What the VMMs (child processes) report, in shared memory. */
struct shared {
	atomic_bool stop;
	/* A */
	atomic_ulong a_pages_written, a_pages_punched, a_rounds;
	atomic_ulong a_punch_not_zero, a_pattern_lost, a_errors;
	/* B */
	atomic_ulong b_pages_read, b_pages_not_zero, b_dwords_not_zero;
	atomic_ulong b_pages_were_a, b_kvm_pages, b_user_pages, b_rounds;
	atomic_ulong b_errors, pfn_unknown;
	unsigned char a_frames[PFN_BITS / 8];
};

static struct shared *sh;
static int vmm_cpu;	/* where every VMM runs */

/* Frame numbers of @n pages at @addr (0: not present), from pagemap. */
static int frames_of(void *addr, unsigned long n, uint64_t *pfn)
{
	off_t off = (uintptr_t)addr / PAGE * sizeof(uint64_t);
	unsigned long i;
	ssize_t got;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return -errno;
	got = pread(fd, pfn, n * sizeof(uint64_t), off);
	close(fd);
	if (got != (ssize_t)(n * sizeof(uint64_t)))
		return -EIO;
	for (i = 0; i < n; i++)
		pfn[i] = (pfn[i] >> 63) ? pfn[i] & ((1ULL << 55) - 1) : 0;
	return 0;
}

/* A: mark the frames of @n pages at @addr as written by group A. */
static void mark_frames(void *addr, unsigned long n)
{
	uint64_t *pfn = calloc(n, sizeof(*pfn));
	unsigned long i;

	if (!pfn || frames_of(addr, n, pfn)) {
		atomic_fetch_add(&sh->a_errors, 1);
		free(pfn);
		return;
	}
	for (i = 0; i < n; i++) {
		if (!pfn[i] || pfn[i] >= PFN_BITS) {
			atomic_fetch_add(&sh->pfn_unknown, 1);
			continue;
		}
		__atomic_fetch_or(&sh->a_frames[pfn[i] / 8],
				  1 << (pfn[i] % 8), __ATOMIC_SEQ_CST);
	}
	free(pfn);
}

/* B: count the frames of @n pages at @addr that group A wrote. */
static void count_a_frames(void *addr, unsigned long n)
{
	uint64_t *pfn = calloc(n, sizeof(*pfn));
	unsigned long i, were_a = 0;

	if (!pfn || frames_of(addr, n, pfn)) {
		atomic_fetch_add(&sh->b_errors, 1);
		free(pfn);
		return;
	}
	for (i = 0; i < n; i++) {
		if (!pfn[i] || pfn[i] >= PFN_BITS) {
			atomic_fetch_add(&sh->pfn_unknown, 1);
			continue;
		}
		if (__atomic_load_n(&sh->a_frames[pfn[i] / 8],
				    __ATOMIC_SEQ_CST) & (1 << (pfn[i] % 8)))
			were_a++;
	}
	atomic_fetch_add(&sh->b_pages_were_a, were_a);
	free(pfn);
}

static void write_pattern(uint64_t *p, unsigned long first, unsigned long n)
{
	unsigned long i;

	for (i = first * PAGE / 8; i < (first + n) * PAGE / 8; i++)
		p[i] = PATTERN ^ (i << 8);
}

/* Pages of [first, first + n) not holding the pattern; or (zero) not zero. */
static unsigned long pages_differing(const uint64_t *p, unsigned long first,
				     unsigned long n, bool zero)
{
	unsigned long pg, i, bad = 0;

	for (pg = first; pg < first + n; pg++)
		for (i = pg * PAGE / 8; i < (pg + 1) * PAGE / 8; i++)
			if (p[i] != (zero ? 0 : PATTERN ^ (i << 8))) {
				bad++;
				break;
			}
	return bad;
}

/* Join group @g as a VMM: this process, by its pid. */
static int join(uint32_t g)
{
	int fd = open(SA_DEV, O_RDWR);
	int ret;

	if (fd < 0)
		return -errno;
	ret = __sa_add_vm(fd, g, getpid());
	close(fd);
	return ret;
}

/*
 * Guest RAM of @n pages: the device (@dir NULL) or a new file in @dir.
 * Returns the mapping; *@fd is the file (or device) descriptor.
 */
static uint64_t *guest_ram(const char *dir, unsigned long n, int *fd,
			   char *path, size_t path_len)
{
	uintptr_t aligned;
	void *p;

	if (dir) {
		snprintf(path, path_len, "%s/vm.%d.XXXXXX", dir, getpid());
		*fd = mkstemp(path);
		if (*fd < 0)
			return NULL;
		if (ftruncate(*fd, n * PAGE))
			return NULL;
	} else {
		*fd = open(SA_DEV, O_RDWR);
		if (*fd < 0)
			return NULL;
	}
	/* 2 MiB aligned, as QEMU maps guest RAM (align=2M): PMDs fit. */
	p = mmap(NULL, n * PAGE + HUGE, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	aligned = ((uintptr_t)p + HUGE - 1) & ~(HUGE - 1);
	munmap(p, aligned - (uintptr_t)p);
	munmap((char *)aligned + n * PAGE,
	       (uintptr_t)p + HUGE - aligned);
	p = mmap((void *)aligned, n * PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, *fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void guest_ram_free(uint64_t *p, unsigned long n, int fd,
			   const char *path)
{
	munmap(p, n * PAGE);
	close(fd);
	if (path && *path)
		unlink(path);
}

/* A KVM guest over @n pages at @p counts their non-zero dwords. */
static long kvm_scan(uint64_t *p, unsigned long n)
{
	struct kvm_regs regs = {
		.rip = SCAN_GPA, .rflags = 2, .rsi = DATA_GPA,
		.rcx = n * PAGE / 4,
	};
	struct vm v = {};
	long count = -1;

	if (vm_create(&v, p, n * PAGE))
		return -1;
	memcpy((char *)v.code + SCAN_GPA, scan_code, sizeof(scan_code));
	if (!ioctl(v.vcpu, KVM_SET_REGS, &regs) && !ioctl(v.vcpu, KVM_RUN, 0) &&
	    v.run->exit_reason == KVM_EXIT_IO &&
	    v.run->io.port == DONE_PORT && v.run->io.size == 4)
		count = *(uint32_t *)((char *)v.run + v.run->io.data_offset);
	vm_destroy(&v);
	return count;
}

/* A KVM guest's first touch of every page: a write of its GPA. */
static int kvm_touch(uint64_t *p, unsigned long n)
{
	struct vm v = {};
	int ret;

	ret = vm_create(&v, p, n * PAGE);
	if (!ret)
		ret = vm_run_loop(&v, GUEST_WRITE_ONLY, DATA_GPA, n, PAGE);
	vm_destroy(&v);
	return ret;
}

/*
 * Group A's guest RAM at @p: the guest touches it, the VMM writes the
 * pattern everywhere; for a file (@fd_file >= 0) holes are punched at
 * random chunks, checked zero (the rest keeps the pattern) and written
 * again. Counts in sh.
 */
static void a_fill_and_punch(uint64_t *p, unsigned long n, int fd_file,
			     unsigned int *seed, bool guest)
{
	unsigned long c, chunks = n / CHUNK, punched = 0;
	unsigned char *hole = calloc(chunks, 1);

	if (!hole || (guest && kvm_touch(p, n))) {
		atomic_fetch_add(&sh->a_errors, 1);
		free(hole);
		return;
	}
	write_pattern(p, 0, n);
	atomic_fetch_add(&sh->a_pages_written, n);
	mark_frames(p, n);
	if (fd_file < 0)
		goto out;
	for (c = 0; c < chunks; c++) {
		if (rand_r(seed) % 2)
			continue;
		if (fallocate(fd_file, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      c * CHUNK * PAGE, CHUNK * PAGE)) {
			atomic_fetch_add(&sh->a_errors, 1);
			continue;
		}
		hole[c] = 1;
		punched += CHUNK;
	}
	for (c = 0; c < chunks; c++)
		atomic_fetch_add(hole[c] ? &sh->a_punch_not_zero :
				 &sh->a_pattern_lost,
				 pages_differing(p, c * CHUNK, CHUNK, hole[c]));
	/* The holes fault again, with fresh zeroed pages: pattern on them. */
	for (c = 0; c < chunks; c++)
		if (hole[c])
			write_pattern(p, c * CHUNK, CHUNK);
	mark_frames(p, n);
	atomic_fetch_add(&sh->a_pages_punched, punched);
	atomic_fetch_add(&sh->a_pages_written, punched);
out:
	free(hole);
}

/* The VMM of group A, sequential variant. */
static int vmm_a(unsigned int seed)
{
	char path[128] = "";
	uint64_t *dev, *file;
	int fd_dev, fd_file;

	if (join(GA))
		return 10;
	dev = guest_ram(NULL, NPAGES, &fd_dev, NULL, 0);
	file = guest_ram(DIR_A, NPAGES, &fd_file, path, sizeof(path));
	if (!dev || !file || madvise(dev, NPAGES * PAGE, MADV_HUGEPAGE) ||
	    madvise(file, NPAGES * PAGE, MADV_HUGEPAGE))
		return 11;
	a_fill_and_punch(dev, NPAGES, -1, &seed, true);
	a_fill_and_punch(file, NPAGES, fd_file, &seed, true);
	atomic_fetch_add(&sh->a_rounds, 1);
	guest_ram_free(dev, NPAGES, fd_dev, NULL);
	guest_ram_free(file, NPAGES, fd_file, path);
	return 0;
}

/*
 * A VMM of group B: guest RAM of @n pages on the device or in DIR_B, read
 * whole by a KVM guest (@kvm) or by the VMM itself; none of it may be
 * anything but zero.
 */
static void b_read_once(unsigned long n, bool on_file, bool kvm)
{
	char path[128] = "";
	unsigned long bad;
	uint64_t *p;
	long dwords;
	int fd;

	p = guest_ram(on_file ? DIR_B : NULL, n, &fd, path, sizeof(path));
	if (!p) {
		atomic_fetch_add(&sh->b_errors, 1);
		return;
	}
	if (kvm) {
		dwords = kvm_scan(p, n);
		if (dwords < 0) {
			atomic_fetch_add(&sh->b_errors, 1);
		} else {
			atomic_fetch_add(&sh->b_dwords_not_zero, dwords);
			atomic_fetch_add(&sh->b_kvm_pages, n);
		}
	} else {
		atomic_fetch_add(&sh->b_user_pages, n);
	}
	/* The VMM's own view too: after a guest scan it is the same pages. */
	bad = pages_differing(p, 0, n, true);
	atomic_fetch_add(&sh->b_pages_not_zero, bad);
	atomic_fetch_add(&sh->b_pages_read, n);
	count_a_frames(p, n);
	guest_ram_free(p, n, fd, path);
}

/* Run @fn(@arg) in a child process; returns its pid. */
static pid_t spawn(int (*fn)(unsigned int), unsigned int arg)
{
	pid_t pid = fork();

	if (pid == 0) {
		cpu_set_t one;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		CPU_ZERO(&one);
		CPU_SET(vmm_cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			_exit(9);
		_exit(fn(arg));
	}
	return pid;
}

static int reap(pid_t pid)
{
	int status;

	if (pid <= 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A VMM of group B: variant @v (bit 0: on a file, bit 1: a KVM guest). */
static int vmm_b(unsigned int v)
{
	if (join(GB))
		return 10;
	b_read_once(NPAGES, v & 1, v & 2);
	atomic_fetch_add(&sh->b_rounds, 1);
	return 0;
}

/* Concurrent A: one file and device RAM, filled, punched, refilled. */
static int vmm_a_loop(unsigned int seed)
{
	char path[128] = "";
	uint64_t *file, *dev;
	int fd_file, fd_dev;
	bool first = true;

	if (join(GA))
		return 10;
	file = guest_ram(DIR_A, NPAGES, &fd_file, path, sizeof(path));
	if (!file || madvise(file, NPAGES * PAGE, MADV_HUGEPAGE))
		return 11;
	while (!atomic_load(&sh->stop)) {
		a_fill_and_punch(file, NPAGES, fd_file, &seed, first);
		/* Device RAM lives one round: its pages are freed at close. */
		dev = guest_ram(NULL, CONC_PAGES, &fd_dev, NULL, 0);
		if (!dev || madvise(dev, CONC_PAGES * PAGE, MADV_HUGEPAGE))
			return 12;
		a_fill_and_punch(dev, CONC_PAGES, -1, &seed, first);
		guest_ram_free(dev, CONC_PAGES, fd_dev, NULL);
		/* Punch the whole file: every page goes back at once. */
		fallocate(fd_file, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			  NPAGES * PAGE);
		atomic_fetch_add(&sh->a_rounds, 1);
		first = false;
	}
	guest_ram_free(file, NPAGES, fd_file, path);
	return 0;
}

/* Concurrent B: fresh RAM each round, every variant in turn. */
static int vmm_b_loop(unsigned int seed)
{
	unsigned int r;

	if (join(GB))
		return 10;
	for (r = seed; !atomic_load(&sh->stop); r++) {
		b_read_once(CONC_PAGES, r & 1, r & 2);
		atomic_fetch_add(&sh->b_rounds, 1);
	}
	return 0;
}

/* The (@seed mod n)-th of the n CPUs this test may run on. */
static int pick_cpu(unsigned int seed)
{
	cpu_set_t set;
	int cpu, n;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	n = seed % CPU_COUNT(&set);
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set) && n-- == 0)
			return cpu;
	return -1;
}

FIXTURE(iso) {
	int fd;
	unsigned int seed;
};

FIXTURE_SETUP(iso)
{
	char opts[64];

	self->fd = -1;
	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "no /dev/kvm: %s", strerror(errno));
	if (access("/proc/self/pagemap", R_OK))
		SKIP(return, "no /proc/self/pagemap");
	self->fd = open(SA_DEV, O_RDWR);
	if (self->fd < 0)
		SKIP(return, "%s: %s", SA_DEV, strerror(errno));
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	self->seed = sa_seed();
	srand(self->seed);
	vmm_cpu = pick_cpu(self->seed);
	ASSERT_GE(vmm_cpu, 0);
	__sa_destroy(self->fd, GA);
	__sa_destroy(self->fd, GB);
	ASSERT_EQ(0, __sa_create(self->fd, GA, 0, 0, 0));
	ASSERT_EQ(0, __sa_create(self->fd, GB, 0, 0, 0));
	mkdir(DIR_A, 0700);
	mkdir(DIR_B, 0700);
	snprintf(opts, sizeof(opts), "group=%u,mode=0700", GA);
	ASSERT_EQ(0, mount("none", DIR_A, "shadowallocfs", 0, opts));
	snprintf(opts, sizeof(opts), "group=%u,mode=0700", GB);
	ASSERT_EQ(0, mount("none", DIR_B, "shadowallocfs", 0, opts));
}

FIXTURE_TEARDOWN(iso)
{
	if (self->fd < 0)
		return;
	umount2(DIR_A, MNT_DETACH);
	umount2(DIR_B, MNT_DETACH);
	rmdir(DIR_A);
	rmdir(DIR_B);
	__sa_disable(self->fd, GA);
	__sa_disable(self->fd, GB);
	__sa_destroy(self->fd, GA);
	__sa_destroy(self->fd, GB);
	close(self->fd);
	munmap(sh, sizeof(*sh));
}

/*
 * Both group pools 2 MiB or both 4 KiB, drawn from the seed, or
 * (!@may_be_huge) 4 KiB. A's VMMs ask for 2 MiB as QEMU does
 * (MADV_HUGEPAGE), so with huge on A's guest RAM is 2 MiB folios, punched
 * into; B's read densely, and their faults become 2 MiB too once the
 * group's where-predictor sees it. One size for both: B's pages are A's
 * freed frames only if both take the same size (A 4 KiB and B 2 MiB, none
 * of 63488 B pages were A's in one run; the same size, 13 to 97 %).
 */
static int setup_pools(int fd, bool may_be_huge, unsigned int *huge_a,
		       unsigned int *huge_b)
{
	int ret;

	*huge_a = rand() % 2 && may_be_huge;
	*huge_b = *huge_a;
	ret = __sa_pool(fd, GA, SHADOWALLOC_POOL_SET_MAX_AGE |
			SHADOWALLOC_POOL_SET_HUGE, 600000, 0, *huge_a);
	if (!ret)
		ret = __sa_pool(fd, GB, SHADOWALLOC_POOL_SET_MAX_AGE |
				SHADOWALLOC_POOL_SET_HUGE, 600000, 0, *huge_b);
	return ret;
}

static void log_counts(struct __test_metadata *_metadata, const char *what,
		       double took)
{
	TH_LOG("%s: A %lu rounds, %lu pages written, %lu punched (%lu not zero after the punch, %lu lost their pattern, %lu errors); B %lu rounds, %lu pages read (%lu by KVM guests, %lu from userspace), %lu of them A's frames, %lu pages / %lu guest dwords not zero, %lu errors; %lu frames unknown; %.1f s",
	       what, atomic_load(&sh->a_rounds),
	       atomic_load(&sh->a_pages_written),
	       atomic_load(&sh->a_pages_punched),
	       atomic_load(&sh->a_punch_not_zero),
	       atomic_load(&sh->a_pattern_lost), atomic_load(&sh->a_errors),
	       atomic_load(&sh->b_rounds), atomic_load(&sh->b_pages_read),
	       atomic_load(&sh->b_kvm_pages), atomic_load(&sh->b_user_pages),
	       atomic_load(&sh->b_pages_were_a),
	       atomic_load(&sh->b_pages_not_zero),
	       atomic_load(&sh->b_dwords_not_zero),
	       atomic_load(&sh->b_errors), atomic_load(&sh->pfn_unknown),
	       took);
}

/* The checks both variants end with. */
static void check_counts(struct __test_metadata *_metadata)
{
	EXPECT_EQ(0, atomic_load(&sh->a_errors));
	EXPECT_EQ(0, atomic_load(&sh->b_errors));
	EXPECT_EQ(0, atomic_load(&sh->pfn_unknown));
	EXPECT_EQ(0, atomic_load(&sh->a_punch_not_zero));
	EXPECT_EQ(0, atomic_load(&sh->a_pattern_lost));
	EXPECT_GT(atomic_load(&sh->a_pages_punched), 0);
	/* Isolation itself: */
	EXPECT_EQ(0, atomic_load(&sh->b_pages_not_zero));
	EXPECT_EQ(0, atomic_load(&sh->b_dwords_not_zero));
	EXPECT_GT(atomic_load(&sh->b_kvm_pages), 0);
	EXPECT_GT(atomic_load(&sh->b_user_pages), 0);
	/* ... with pages that had been A's. */
	EXPECT_GT(atomic_load(&sh->b_pages_were_a), 0);
}

TEST_F_TIMEOUT(iso, a_then_b, 180)
{
	struct shadowalloc_stats st;
	unsigned int huge_a, huge_b, v;
	double t0 = sa_now_s();
	pid_t pid;

	TH_LOG("seed %u (SA_SEED=%u repeats this run), VMMs on CPU %d",
	       self->seed, self->seed, vmm_cpu);
	/*
	 * Both pools 4 KiB: A's pages go back to the allocator as 4 KiB
	 * pages and B's pool, staged after A exited, takes order-0 pages,
	 * which A's freed pages are among: 9847 and 14017 of B's 16384 pages
	 * were A's frames in two runs. With 2 MiB (A's RAM freed as 2 MiB
	 * blocks, B's pool elsewhere) it was 994 and 0: the concurrent
	 * variant, where B takes A's punched pages at once, covers 2 MiB.
	 */
	ASSERT_EQ(0, setup_pools(self->fd, false, &huge_a, &huge_b));
	TH_LOG("2 MiB staging: group A %u, group B %u", huge_a, huge_b);
	ASSERT_EQ(0, __sa_stage(self->fd, GA, NPAGES));
	pid = spawn(vmm_a, self->seed);
	ASSERT_EQ(0, reap(pid));
	/* A's pages go back to the page allocator: staged, mapped, filed. */
	ASSERT_EQ(0, __sa_disable(self->fd, GA));
	EXPECT_EQ(0, sa_debugfs_value("mem_pages "));

	/* B's pool is staged now, from the memory A gave back. */
	ASSERT_EQ(0, __sa_stage(self->fd, GB, 2 * NPAGES));
	for (v = 0; v < 4; v++) {
		pid = spawn(vmm_b, v);
		EXPECT_EQ(0, reap(pid)) TH_LOG("B variant %u failed", v);
	}
	log_counts(_metadata, "A then B", sa_now_s() - t0);
	EXPECT_EQ(4 * NPAGES, atomic_load(&sh->b_pages_read));
	check_counts(_metadata);
	/* B's RAM, device (by pid) and file (by mount), was group B's. */
	ASSERT_EQ(0, __sa_stats(self->fd, GB, &st));
	TH_LOG("group B: faults %llu, hits %llu (%llu pages), misses %llu (%llu pages)",
	       (unsigned long long)st.faults, (unsigned long long)st.hits,
	       (unsigned long long)st.hit_pages, (unsigned long long)st.misses,
	       (unsigned long long)st.miss_pages);
	EXPECT_EQ(atomic_load(&sh->b_pages_read), st.hit_pages + st.miss_pages);
	EXPECT_GT(st.hits, 0);
	ASSERT_EQ(0, __sa_disable(self->fd, GB));
	EXPECT_EQ(0, sa_debugfs_value("mem_pages "));
	EXPECT_EQ(0, sa_debugfs_value("staged_pages "));
}

TEST_F_TIMEOUT(iso, a_and_b_at_once, 180)
{
	unsigned int huge_a, huge_b;
	double t0 = sa_now_s();
	pid_t a, b;

	TH_LOG("seed %u (SA_SEED=%u repeats this run), VMMs on CPU %d",
	       self->seed, self->seed, vmm_cpu);
	ASSERT_EQ(0, setup_pools(self->fd, true, &huge_a, &huge_b));
	TH_LOG("2 MiB staging: group A %u, group B %u", huge_a, huge_b);
	ASSERT_EQ(0, __sa_stage(self->fd, GA, NPAGES));
	ASSERT_EQ(0, __sa_stage(self->fd, GB, NPAGES));
	a = spawn(vmm_a_loop, self->seed);
	b = spawn(vmm_b_loop, self->seed);
	sleep(CONC_S);
	atomic_store(&sh->stop, true);
	EXPECT_EQ(0, reap(a));
	EXPECT_EQ(0, reap(b));
	log_counts(_metadata, "A and B at once", sa_now_s() - t0);
	EXPECT_GE(atomic_load(&sh->a_rounds), 2);
	EXPECT_GE(atomic_load(&sh->b_rounds), 4);
	check_counts(_metadata);
	ASSERT_EQ(0, __sa_disable(self->fd, GA));
	ASSERT_EQ(0, __sa_disable(self->fd, GB));
	EXPECT_EQ(0, sa_debugfs_value("mem_pages "));
	EXPECT_EQ(0, sa_debugfs_value("staged_pages "));
}

TEST_HARNESS_MAIN
