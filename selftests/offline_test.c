// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory is movable: memory offline and move_pages(2) migrate the
 * pages of a memory object while a KVM guest runs on it, and neither the
 * guest nor the VMM sees a byte change.
 *
 * A minimal KVM guest (lib/kvm_guest.c) has a memory object as its RAM: an
 * open of /dev/shadowalloc, or a file on a shadowallocfs mount (the
 * fixture's variants). It is not in any group, so every page is a plain
 * first touch: allocated GFP_HIGHUSER_MOVABLE through the VMA's memory
 * policy, which can place it in ZONE_MOVABLE. (Staged pages are not
 * movable-zone memory by design; they are not used here.)
 *
 *   offline_migrates_running_guest: the object is bound (mbind) to the node
 *	with the most offlinable ZONE_MOVABLE memory blocks; the guest writes
 *	every page, the VMM a pattern; a ZONE_MOVABLE block holding some of
 *	the object's pages (found with /proc/self/pagemap) is offlined while
 *	the vCPU keeps writing every page; the pages left the block, the
 *	pattern and the checksum are unchanged and the guest's last writes
 *	are in the object; the block is onlined again.
 *   move_pages_to_node1_and_back: move_pages(2) moves every page of the
 *	object to node 1, then back to node 0, with a guest pass after each.
 *
 * Needs root (pagemap PFNs, kpageflags, memory block state), /dev/kvm, and
 * for each case what it moves: ZONE_MOVABLE memory blocks (the test VM
 * boots with movablecore=, tools/vm/run-vm.sh --movable), two NUMA nodes.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <linux/mempolicy.h>

#include "kselftest_harness.h"
#include "sa_test.h"
#include "kvm_guest.h"

#define PAGE		4096UL
#define WORDS		(PAGE / sizeof(uint64_t))
#define MEMORY_DIR	"/sys/devices/system/memory"
#define NODE_DIR	"/sys/devices/system/node"
#define FS_DIR		"/tmp/sa-offline-test"
/* /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h) */
#define KPF_NOPAGE	20
#define KPF_RESERVED	32
#define PM_PFN_MASK	((1ULL << 55) - 1)
#define PM_PRESENT	(1ULL << 63)
#define MAX_NODES	64
/* How long offlining one block may take before it is interrupted. */
#define OFFLINE_TIMEOUT_S 120

/*
 * Guest code at GUEST_GEN in the code slot: write edi (a generation) into
 * the second 32-bit word of every page from esi:
 *	89 7e 04	mov [esi+4], edi
 *	01 d6		add esi, edx
 *	49		dec ecx
 *	75 f8		jnz GUEST_GEN
 *	e6 10		out DONE_PORT, al
 *	f4		hlt
 * The first word of each page keeps the page's GPA, from vm_touch().
 */
#define GUEST_GEN	0x100
static const uint8_t gen_code[] = {
	0x89, 0x7e, 0x04, 0x01, 0xd6, 0x49, 0x75, 0xf8,
	0xe6, DONE_PORT, 0xf4,
};

/* One guest pass: word 1 of each of @pages pages := @gen. */
static int guest_gen_pass(struct vm *v, uint32_t pages, uint32_t gen)
{
	struct kvm_regs regs = {
		.rip = GUEST_GEN, .rflags = 2, .rsi = DATA_GPA, .rcx = pages,
		.rdx = PAGE, .rdi = gen,
	};

	if (ioctl(v->vcpu, KVM_SET_REGS, &regs))
		return -errno;
	while (ioctl(v->vcpu, KVM_RUN, 0))
		if (errno != EINTR)
			return -errno;
	if (v->run->exit_reason != KVM_EXIT_IO || v->run->io.port != DONE_PORT)
		return 1000 + v->run->exit_reason;
	return 0;
}

static uint64_t pattern(uint64_t page, uint64_t word)
{
	uint64_t x = (page << 16 | word) * 0x9e3779b97f4a7c15ULL;

	return x ^ x >> 29;
}

/* The VMM's part: the pattern in words 1.. of every page (word 0 is the guest's). */
static void write_pattern(uint64_t *p, unsigned long pages)
{
	unsigned long i, w;

	for (i = 0; i < pages; i++)
		for (w = 1; w < WORDS; w++)
			p[i * WORDS + w] = pattern(i, w);
}

/* FNV-1a over the VMM's words (the guest's word 0 of each page excluded). */
static uint64_t checksum(const uint64_t *p, unsigned long pages)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned long i, w;

	for (i = 0; i < pages; i++)
		for (w = 1; w < WORDS; w++)
			h = (h ^ p[i * WORDS + w]) * 0x100000001b3ULL;
	return h;
}

/*
 * Pages whose content is not what the guest and the VMM wrote: word 0 low
 * half the GPA, high half the guest's last generation, the rest the
 * pattern.
 */
static unsigned long bad_pages(const uint64_t *p, unsigned long pages,
			       uint32_t gen)
{
	unsigned long i, w, bad = 0;
	uint64_t want0;

	for (i = 0; i < pages; i++) {
		want0 = (uint64_t)gen << 32 | (uint32_t)(DATA_GPA + i * PAGE);
		if (p[i * WORDS] != want0) {
			bad++;
			continue;
		}
		for (w = 1; w < WORDS; w++)
			if (p[i * WORDS + w] != pattern(i, w)) {
				bad++;
				break;
			}
	}
	return bad;
}

/* The PFN of each of @pages pages from @p (0 if not present). */
static int read_pfns(const void *p, unsigned long pages, uint64_t *pfns)
{
	size_t len = pages * sizeof(uint64_t);
	off_t off = (uintptr_t)p / PAGE * sizeof(uint64_t);
	unsigned long i;
	ssize_t n;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return -errno;
	n = pread(fd, pfns, len, off);
	close(fd);
	if (n != (ssize_t)len)
		return n < 0 ? -errno : -EIO;
	for (i = 0; i < pages; i++)
		pfns[i] = pfns[i] & PM_PRESENT ? pfns[i] & PM_PFN_MASK : 0;
	return 0;
}

static int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fgets(buf, size, f) != NULL;
	fclose(f);
	if (!ok)
		return -EIO;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int block_attr(long block, const char *attr, char *buf, size_t size)
{
	char path[128];

	snprintf(path, sizeof(path), MEMORY_DIR "/memory%ld/%s", block, attr);
	return read_line(path, buf, size);
}

static int block_set_state(long block, const char *state)
{
	char path[128];

	snprintf(path, sizeof(path), MEMORY_DIR "/memory%ld/state", block);
	return __sa_write_file(path, state);
}

/* The node of a memory block (its nodeN link), or -1. */
static int block_node(long block)
{
	char path[128];
	struct dirent *d;
	int nid = -1;
	DIR *dir;

	snprintf(path, sizeof(path), MEMORY_DIR "/memory%ld", block);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		if (sscanf(d->d_name, "node%d", &nid) == 1)
			break;
	closedir(dir);
	return nid;
}

/*
 * An online ZONE_MOVABLE block without a reserved page or a hole (the
 * boot allocator's memory, e.g. the memory map, can sit in ZONE_MOVABLE
 * blocks given by movablecore=: those cannot be offlined, and trying
 * dumps an "unmovable page" into the kernel log).
 */
static bool block_offlinable(long block, unsigned long block_pages)
{
	uint64_t *flags;
	char buf[64];
	unsigned long i;
	bool ok = true;
	ssize_t n;
	int fd;

	if (block_attr(block, "state", buf, sizeof(buf)) || strcmp(buf, "online"))
		return false;
	if (block_attr(block, "valid_zones", buf, sizeof(buf)) || strcmp(buf, "Movable"))
		return false;
	flags = malloc(block_pages * sizeof(*flags));
	fd = open("/proc/kpageflags", O_RDONLY);
	if (!flags || fd < 0) {
		free(flags);
		if (fd >= 0)
			close(fd);
		return false;
	}
	n = pread(fd, flags, block_pages * sizeof(*flags),
		  block * block_pages * sizeof(*flags));
	close(fd);
	if (n != (ssize_t)(block_pages * sizeof(*flags)))
		ok = false;
	for (i = 0; ok && i < block_pages; i++)
		if (flags[i] & (1ULL << KPF_RESERVED | 1ULL << KPF_NOPAGE))
			ok = false;
	free(flags);
	return ok;
}

static unsigned long block_size_pages(void)
{
	char buf[64];

	if (read_line(MEMORY_DIR "/block_size_bytes", buf, sizeof(buf)))
		return 0;
	return strtoull(buf, NULL, 16) / PAGE;
}

/* The number of memory blocks: one past the highest memoryN. */
static long nr_blocks(void)
{
	struct dirent *d;
	long n, max = -1;
	DIR *dir = opendir(MEMORY_DIR);

	if (!dir)
		return 0;
	while ((d = readdir(dir)))
		if (sscanf(d->d_name, "memory%ld", &n) == 1 && n > max)
			max = n;
	closedir(dir);
	return max + 1;
}

static bool node_has_memory(int nid)
{
	char path[128], buf[256];
	unsigned long total = 0;
	FILE *f;

	snprintf(path, sizeof(path), NODE_DIR "/node%d/meminfo", nid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "Node %*d MemTotal: %lu", &total) == 1)
			break;
	fclose(f);
	return total > 0;
}

/* Per node, how many of @pages pages from @p are on it (move_pages query). */
static int count_nodes(void *p, unsigned long pages, unsigned long *per_node)
{
	void **addrs = malloc(pages * sizeof(*addrs));
	int *status = malloc(pages * sizeof(*status));
	unsigned long i;
	int ret = 0;

	memset(per_node, 0, MAX_NODES * sizeof(*per_node));
	if (!addrs || !status) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < pages; i++)
		addrs[i] = (char *)p + i * PAGE;
	if (syscall(SYS_move_pages, 0, pages, addrs, NULL, status, 0)) {
		ret = -errno;
		goto out;
	}
	for (i = 0; i < pages; i++)
		if (status[i] >= 0 && status[i] < MAX_NODES)
			per_node[status[i]]++;
out:
	free(addrs);
	free(status);
	return ret;
}

/*
 * Move every page to @nid with move_pages(2): 0, or -errno of the call.
 * @moved: pages whose status is @nid afterwards; @errs: pages with an error
 * status (the first in @first_err).
 */
static int move_all(void *p, unsigned long pages, int nid,
		    unsigned long *moved, unsigned long *errs, int *first_err)
{
	void **addrs = malloc(pages * sizeof(*addrs));
	int *nodes = malloc(pages * sizeof(*nodes));
	int *status = malloc(pages * sizeof(*status));
	unsigned long i;
	int ret = 0;

	*moved = *errs = 0;
	*first_err = 0;
	if (!addrs || !nodes || !status) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < pages; i++) {
		addrs[i] = (char *)p + i * PAGE;
		nodes[i] = nid;
	}
	if (syscall(SYS_move_pages, 0, pages, addrs, nodes, status,
		    MPOL_MF_MOVE)) {
		ret = -errno;
		goto out;
	}
	for (i = 0; i < pages; i++) {
		if (status[i] == nid) {
			(*moved)++;
		} else if (status[i] < 0) {
			if (!(*errs)++)
				*first_err = status[i];
		}
	}
out:
	free(addrs);
	free(nodes);
	free(status);
	return ret;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The vCPU thread: generation after generation until told to stop. */
struct runner {
	struct vm *v;
	uint32_t pages;
	atomic_bool stop;
	atomic_uint done;	/* the last generation the guest completed */
	int err;
};

static void *vcpu_loop(void *arg)
{
	struct runner *r = arg;
	uint32_t gen = atomic_load(&r->done);
	sigset_t set;

	/* The offline's timeout signal is for the main thread. */
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!atomic_load(&r->stop)) {
		r->err = guest_gen_pass(r->v, r->pages, ++gen);
		if (r->err)
			break;
		atomic_store(&r->done, gen);
	}
	return NULL;
}

static void on_alarm(int sig)
{
}

FIXTURE(offline) {
	int fd;
	bool mounted;
	bool have_vm;
	struct vm v;
	uint64_t *p;
	unsigned long pages;
	long offlined;		/* a block to online again, or -1 */
};

FIXTURE_VARIANT(offline) {
	bool fs;		/* a shadowallocfs file, else /dev/shadowalloc */
};

FIXTURE_VARIANT_ADD(offline, dev) {
	.fs = false,
};

FIXTURE_VARIANT_ADD(offline, fs) {
	.fs = true,
};

FIXTURE_SETUP(offline)
{
	self->fd = -1;
	self->mounted = false;
	self->have_vm = false;
	self->p = MAP_FAILED;
	self->offlined = -1;
	if (geteuid())
		SKIP(return, "needs root (pagemap PFNs, memory block state)");
	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "no /dev/kvm: %s", strerror(errno));
	if (access(SA_DEV, R_OK | W_OK))
		SKIP(return, "%s: %s", SA_DEV, strerror(errno));
	if (variant->fs) {
		mkdir(FS_DIR, 0700);
		ASSERT_EQ(0, mount("none", FS_DIR, "shadowallocfs", 0, NULL))
			TH_LOG("mount shadowallocfs on %s: %s", FS_DIR, strerror(errno));
		self->mounted = true;
		self->fd = open(FS_DIR "/guest-ram", O_RDWR | O_CREAT, 0600);
	} else {
		self->fd = open(SA_DEV, O_RDWR);
	}
	ASSERT_LE(0, self->fd) TH_LOG("open: %s", strerror(errno));
}

FIXTURE_TEARDOWN(offline)
{
	if (self->offlined >= 0 &&
	    block_set_state(self->offlined, "online_movable"))
		TH_LOG("memory%ld could not be onlined again", self->offlined);
	if (self->have_vm)
		vm_destroy(&self->v);
	if (self->p != MAP_FAILED)
		munmap(self->p, self->pages * PAGE);
	if (self->fd >= 0)
		close(self->fd);
	if (self->mounted) {
		umount(FS_DIR);
		rmdir(FS_DIR);
	}
}

/*
 * Map @pages of the object (bound to @nid if >= 0), run the guest over it
 * (every page a first touch by the guest), write the pattern.
 */
static int setup_guest(FIXTURE_DATA(offline) *self, unsigned long pages, int nid)
{
	unsigned long mask = 1UL << (nid < 0 ? 0 : nid);
	int err;

	self->pages = pages;
	if (ftruncate(self->fd, pages * PAGE) && errno != EINVAL && errno != ENOTTY)
		return -errno;	/* the device has no size to set */
	self->p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		       self->fd, 0);
	if (self->p == MAP_FAILED)
		return -errno;
	if (nid >= 0 && syscall(SYS_mbind, self->p, pages * PAGE, MPOL_BIND,
				&mask, sizeof(mask) * 8, 0))
		return -errno;
	err = vm_create(&self->v, self->p, pages * PAGE);
	if (err)
		return err;
	self->have_vm = true;
	memcpy((char *)self->v.code + GUEST_GEN, gen_code, sizeof(gen_code));
	err = vm_touch(&self->v, DATA_GPA, pages, PAGE);
	if (err)
		return err;
	write_pattern(self->p, pages);
	return guest_gen_pass(&self->v, pages, 1);
}

TEST_F_TIMEOUT(offline, offline_migrates_running_guest, 600)
{
	unsigned long block_pages = block_size_pages(), i, in_block = 0;
	unsigned long per_node[MAX_NODES], clean_per_node[MAX_NODES] = {};
	long blocks = nr_blocks(), b, best = -1, best_count = 0;
	struct sigaction sa = { .sa_handler = on_alarm };
	uint64_t sum_before, sum_after, *pfns_before, *pfns_after;
	unsigned long moved = 0, still_in = 0, bad, *count;
	unsigned long pages, clean = 0;
	struct runner r = {};
	char state[32];
	double t0, ms;
	pthread_t th;
	int nid = -1, n, err, save;

	ASSERT_LT(0, block_pages) TH_LOG("no %s/block_size_bytes", MEMORY_DIR);
	ASSERT_LT(0, blocks);
	/* The node with the most offlinable ZONE_MOVABLE blocks. */
	for (b = 0; b < blocks; b++) {
		if (!block_offlinable(b, block_pages))
			continue;
		n = block_node(b);
		if (n >= 0 && n < MAX_NODES) {
			clean++;
			if (++clean_per_node[n] > (nid < 0 ? 0 : clean_per_node[nid]))
				nid = n;
		}
	}
	if (!clean)
		SKIP(return, "no offlinable ZONE_MOVABLE memory block: boot with movablecore= (tools/vm/run-vm.sh --movable)");
	/* Two blocks' worth: more than fits in any one block of the node. */
	pages = 2 * block_pages;
	TH_LOG("%lu offlinable ZONE_MOVABLE blocks of %lu MiB, %lu on node %d: a %lu MiB object bound to node %d",
	       clean, block_pages * PAGE >> 20, clean_per_node[nid], nid,
	       pages * PAGE >> 20, nid);
	err = setup_guest(self, pages, nid);
	ASSERT_EQ(0, err) TH_LOG("guest set-up: %d (%s)", err, strerror(-err));
	sum_before = checksum(self->p, pages);

	/* Where the pages are: the movable block holding most of them. */
	pfns_before = calloc(pages, sizeof(uint64_t));
	pfns_after = calloc(pages, sizeof(uint64_t));
	count = calloc(blocks, sizeof(*count));
	ASSERT_TRUE(pfns_before && pfns_after && count);
	ASSERT_EQ(0, read_pfns(self->p, pages, pfns_before));
	for (i = 0; i < pages; i++) {
		ASSERT_NE(0, pfns_before[i]) TH_LOG("page %lu not present (pagemap needs CAP_SYS_ADMIN)", i);
		b = pfns_before[i] / block_pages;
		if (b < blocks)
			count[b]++;
	}
	for (b = 0; b < blocks; b++) {
		if (count[b] && block_offlinable(b, block_pages) &&
		    (long)count[b] > best_count) {
			best = b;
			best_count = count[b];
		}
	}
	ASSERT_EQ(0, count_nodes(self->p, pages, per_node));
	TH_LOG("before: node0 %lu node1 %lu pages; %ld of them in offlinable block memory%ld",
	       per_node[0], per_node[1], best_count, best);
	ASSERT_LE(0, best) TH_LOG("no offlinable ZONE_MOVABLE block holds a page of the object");

	/* Offline it while the guest writes every page, generation after generation. */
	r.v = &self->v;
	r.pages = pages;
	atomic_store(&r.done, 1);
	ASSERT_EQ(0, pthread_create(&th, NULL, vcpu_loop, &r));
	sigaction(SIGALRM, &sa, NULL);
	alarm(OFFLINE_TIMEOUT_S);
	t0 = now_ms();
	err = block_set_state(best, "offline");
	ms = now_ms() - t0;
	save = err;
	alarm(0);
	if (!err)
		self->offlined = best;
	atomic_store(&r.stop, true);
	pthread_join(th, NULL);
	ASSERT_EQ(0, r.err) TH_LOG("the guest stopped: %d", r.err);
	ASSERT_EQ(0, save) TH_LOG("offline memory%ld: %s (after %.0f ms%s)", best,
				  strerror(-save), ms,
				  save == -EINTR ? ", timed out" : "");
	ASSERT_EQ(0, block_attr(best, "state", state, sizeof(state)));
	EXPECT_STREQ("offline", state);
	TH_LOG("offlined memory%ld (%ld of the object's pages) in %.0f ms, the guest running: generation %u by then",
	       best, best_count, ms, atomic_load(&r.done));

	/* One more guest pass: its writes must reach the migrated pages. */
	ASSERT_EQ(0, guest_gen_pass(&self->v, pages, atomic_load(&r.done) + 1));
	ASSERT_EQ(0, read_pfns(self->p, pages, pfns_after));
	for (i = 0; i < pages; i++) {
		if ((long)(pfns_after[i] / block_pages) == best)
			still_in++;
		if (pfns_after[i] != pfns_before[i])
			moved++;
		if ((long)(pfns_before[i] / block_pages) == best)
			in_block++;
	}
	sum_after = checksum(self->p, pages);
	bad = bad_pages(self->p, pages, atomic_load(&r.done) + 1);
	ASSERT_EQ(0, count_nodes(self->p, pages, per_node));
	TH_LOG("after: node0 %lu node1 %lu pages; %lu pages have a new PFN, %lu still in memory%ld; checksum %016llx -> %016llx; %lu pages differ",
	       per_node[0], per_node[1], moved, still_in, best,
	       (unsigned long long)sum_before, (unsigned long long)sum_after, bad);
	EXPECT_EQ(0, still_in);
	EXPECT_GE(moved, in_block);
	EXPECT_EQ(sum_before, sum_after);
	EXPECT_EQ(0, bad);

	/* Online again, in ZONE_MOVABLE. */
	ASSERT_EQ(0, block_set_state(best, "online_movable"));
	self->offlined = -1;
	ASSERT_EQ(0, block_attr(best, "state", state, sizeof(state)));
	EXPECT_STREQ("online", state);
	free(pfns_before);
	free(pfns_after);
	free(count);
}

TEST_F_TIMEOUT(offline, move_pages_to_node1_and_back, 300)
{
	const unsigned long pages = 4096;	/* 16 MiB */
	unsigned long per_node[MAX_NODES], moved, errs, changed, i, bad;
	uint64_t sum_before, *pfns_before, *pfns_after;
	uint32_t gen = 1;
	int err, first_err, to, step;
	double t0;

	if (!node_has_memory(0) || !node_has_memory(1))
		SKIP(return, "needs memory on NUMA nodes 0 and 1 (tools/vm/run-vm.sh --nodes 2)");
	err = setup_guest(self, pages, -1);
	ASSERT_EQ(0, err) TH_LOG("guest set-up: %d (%s)", err, strerror(-err));
	sum_before = checksum(self->p, pages);
	pfns_before = calloc(pages, sizeof(uint64_t));
	pfns_after = calloc(pages, sizeof(uint64_t));
	ASSERT_TRUE(pfns_before && pfns_after);
	ASSERT_EQ(0, count_nodes(self->p, pages, per_node));
	TH_LOG("first touched: node0 %lu node1 %lu pages", per_node[0], per_node[1]);

	for (step = 0; step < 2; step++) {
		to = step == 0 ? 1 : 0;
		ASSERT_EQ(0, read_pfns(self->p, pages, pfns_before));
		t0 = now_ms();
		err = move_all(self->p, pages, to, &moved, &errs, &first_err);
		ASSERT_EQ(0, err) TH_LOG("move_pages to node %d: %s", to, strerror(-err));
		TH_LOG("move_pages to node %d: %lu of %lu pages there in %.0f ms, %lu failed (first status %d)",
		       to, moved, pages, now_ms() - t0, errs, first_err);
		EXPECT_EQ(pages, moved);
		EXPECT_EQ(0, errs);
		/* The guest writes the moved pages: KVM must map the new ones. */
		ASSERT_EQ(0, guest_gen_pass(&self->v, pages, ++gen));
		ASSERT_EQ(0, read_pfns(self->p, pages, pfns_after));
		ASSERT_EQ(0, count_nodes(self->p, pages, per_node));
		for (i = changed = 0; i < pages; i++)
			changed += pfns_after[i] != pfns_before[i];
		bad = bad_pages(self->p, pages, gen);
		TH_LOG("now node0 %lu node1 %lu pages; %lu new PFNs; %lu pages differ",
		       per_node[0], per_node[1], changed, bad);
		EXPECT_EQ(pages, per_node[to]);
		EXPECT_EQ(0, bad);
		EXPECT_EQ(sum_before, checksum(self->p, pages));
	}
	free(pfns_before);
	free(pfns_after);
}

TEST_HARNESS_MAIN
