// SPDX-License-Identifier: GPL-2.0
/*
 * Telemetry end to end: a real KVM guest takes nested page faults, the BPF
 * programs on KVM's tracepoints (shadowctl attach) hand them to the module's
 * kfunc, the module drains its rings into per-group and per-VM aggregates.
 * Counts are checked against what the guest touched, on both sides (at
 * least that many events, a few more only if KVM mapped a page again;
 * exactly none where none belong):
 * the module's aggregates (debugfs telemetry, GET_STATS) and the BPF side's
 * pinned per-group counters.
 *
 * The guest's write-only loop makes each first touch exactly one nested
 * page fault and one mapping request: one event per page (the mapping), two
 * if the telemetry was attached with --faults (telemetry_cli_test.sh runs
 * tm.events_match_first_touches so too).
 *
 * Fixture "overflow" needs a small ring (tm_ring_entries <= 256 at load):
 * telemetry_cli_test.sh reloads the module so and runs it with -f overflow;
 * run_tests.sh runs everything else with -F overflow.
 */
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include "../tools/shadowctl/telemetry.bpf.h"

#include "kselftest_harness.h"
#include "sa_test.h"
#include "kvm_guest.h"

#define G		611
#define G2		612
#define PAGE		4096UL
#define DATA_SIZE	(16UL << 20)
#define N		512
#define TM_DEBUGFS	"/sys/kernel/debug/shadowalloc/telemetry"
#define COUNTERS_PIN	SHADOWALLOC_BPF_PIN_DIR "/group_counters"
#define FAULT_PIN	SHADOWALLOC_BPF_PIN_DIR "/link_kvm_page_fault"
/* The faults @n touches show: n with the fault program, else none. */
#define FAULTS(e, n)	((e)->faults ? (n) : 0)

/*
 * KVM events of @want first touches: at least @want, a few more if KVM
 * mapped a page again after L1's mm zapped it (an MMU notifier: NUMA
 * balancing, compaction), as the overflow test allows. Where no event
 * belongs the tests want exactly 0: a stale membership verdict would put
 * events there.
 */
#define EXPECT_EVENTS(want, got) do {					\
	unsigned long long __w = (want), __g = (got);			\
									\
	EXPECT_LE(__w, __g);						\
	EXPECT_GE(__w + __w / 32, __g);					\
} while (0)

/* A group's or a VM's aggregate, from debugfs. */
struct tm_agg {
	unsigned long long faults, mappings, mapped_bytes, l4k, l2m, l1g, late;
	unsigned long long region8;	/* 128 MiB region of DATA_GPA */
	bool found;
};

struct tm_snap {
	struct tm_agg group, vm;
	unsigned long long ring_dropped, ring_drained, queued;
	unsigned long long verdict_hits, verdict_misses;
	struct shadowalloc_bpf_counters bpf, bpf_none, bpf_g2;
	struct shadowalloc_stats st;
};

static void parse_agg(const char *rest, struct tm_agg *a)
{
	const char *r;

	if (sscanf(rest, " faults %llu mappings %llu mapped_bytes %llu level_4k %llu level_2m %llu level_1g %llu late %llu",
		   &a->faults, &a->mappings, &a->mapped_bytes, &a->l4k,
		   &a->l2m, &a->l1g, &a->late) == 7) {
		a->found = true;
		return;
	}
	if (!strncmp(rest, " regions", 8)) {
		r = strstr(rest, " 8:");
		if (r)
			a->region8 = strtoull(r + 3, NULL, 10);
	}
}

/* Read everything the checks compare; 0 or -1. */
static int snap(int fd, int map_fd, struct tm_snap *s)
{
	char line[1024], who[64];
	FILE *f;
	int n;

	memset(s, 0, sizeof(*s));
	f = fopen(TM_DEBUGFS, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "rings entries %*u drained %llu dropped %llu queued %llu verdict_hits %llu verdict_misses %llu",
			   &s->ring_drained, &s->ring_dropped, &s->queued,
			   &s->verdict_hits, &s->verdict_misses) >= 3)
			continue;
		snprintf(who, sizeof(who), "group %u%n", G, &n);
		if (!strncmp(line, who, n) && line[n] == ' ') {
			parse_agg(line + n, &s->group);
			continue;
		}
		snprintf(who, sizeof(who), "vm %u %d%n", G, getpid(), &n);
		if (!strncmp(line, who, n) && line[n] == ' ')
			parse_agg(line + n, &s->vm);
	}
	fclose(f);
	/* The per-CPU slots, summed as shadowctl status sums them. */
	if (shadowalloc_bpf_group_totals(map_fd, G, &s->bpf) ||
	    shadowalloc_bpf_group_totals(map_fd, 0, &s->bpf_none) ||
	    shadowalloc_bpf_group_totals(map_fd, G2, &s->bpf_g2))
		return -1;
	return __sa_stats(fd, G, &s->st) ? -1 : 0;
}

/*
 * Wait until the module has aggregated @mappings mappings of the group (or
 * 10 s passed), then two drain periods more, so anything extra would show.
 */
static int settle(int fd, int map_fd, unsigned long long mappings,
		  struct tm_snap *s)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (snap(fd, map_fd, s))
			return -1;
		if (s->group.mappings >= mappings && !s->queued)
			break;
		usleep(50000);
	}
	usleep(300000);
	return snap(fd, map_fd, s);
}

/* shadowctl next to the tests: ../tools/shadowctl/shadowctl. */
static int shadowctl(const char *args)
{
	char exe[512], cmd[1024];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return -1;
	exe[n] = 0;
	*strrchr(exe, '/') = 0;
	snprintf(cmd, sizeof(cmd), "%s/../tools/shadowctl/shadowctl %s >/dev/null",
		 exe, args);
	return system(cmd);
}

struct tm_env {
	int fd, mfd, map_fd;
	/* kvm:kvm_page_fault attached too; events per first touch */
	bool faults;
	int ev;
	bool attached_here;
	void *data;
	struct vm v;
};

/* Attach if needed, make this process a VM of enabled group G, warm up. */
static const char *env_setup(struct tm_env *e)
{
	static char why[128];

	e->fd = e->mfd = e->map_fd = -1;
	e->data = MAP_FAILED;
	if (access("/dev/kvm", R_OK | W_OK))
		return "no /dev/kvm";
	e->fd = open(SA_DEV, O_RDWR);
	if (e->fd < 0)
		return "no " SA_DEV;
	if (access(COUNTERS_PIN, F_OK)) {
		if (shadowctl("attach"))
			return "shadowctl attach failed";
		e->attached_here = true;
	}
	e->faults = !access(FAULT_PIN, F_OK);
	e->ev = e->faults ? 2 : 1;
	e->map_fd = bpf_obj_get(COUNTERS_PIN);
	if (e->map_fd < 0)
		return "cannot open " COUNTERS_PIN;
	__sa_remove_vm(e->fd, G, getpid());
	__sa_remove_vm(e->fd, G2, getpid());
	__sa_destroy(e->fd, G);
	__sa_destroy(e->fd, G2);
	if (__sa_create(e->fd, G, 0, 0, 0) ||
	    __sa_pool(e->fd, G, SHADOWALLOC_POOL_SET_HUGE |
		    SHADOWALLOC_POOL_SET_MAX_AGE, 600000, 0, 0) ||
	    __sa_add_vm(e->fd, G, getpid()) || __sa_enable(e->fd, G))
		return "group setup failed";
	e->mfd = open(SA_DEV, O_RDWR);
	e->data = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		       e->mfd, 0);
	if (e->data == MAP_FAILED)
		return "mmap failed";
	/* As QEMU does for guest RAM: 2 MiB where the pool allows it. */
	madvise(e->data, DATA_SIZE, MADV_HUGEPAGE);
	if (vm_create(&e->v, e->data, DATA_SIZE))
		return "vm_create failed";
	/* The code page and the last data page: not part of any count. */
	if (vm_run_loop(&e->v, GUEST_WRITE_ONLY, DATA_GPA + DATA_SIZE - PAGE,
			1, PAGE)) {
		snprintf(why, sizeof(why), "warm-up run failed");
		return why;
	}
	return NULL;
}

static void env_teardown(struct tm_env *e)
{
	if (e->data != MAP_FAILED) {
		vm_destroy(&e->v);
		munmap(e->data, DATA_SIZE);
	}
	if (e->mfd >= 0)
		close(e->mfd);
	if (e->fd >= 0) {
		__sa_remove_vm(e->fd, G, getpid());
		__sa_remove_vm(e->fd, G2, getpid());
		__sa_destroy(e->fd, G);
		__sa_destroy(e->fd, G2);
		close(e->fd);
	}
	if (e->map_fd >= 0)
		close(e->map_fd);
	if (e->attached_here)
		shadowctl("detach");
}

FIXTURE(tm) {
	struct tm_env e;
};

FIXTURE_SETUP(tm)
{
	const char *why = env_setup(&self->e);

	if (why)
		SKIP(return, "%s", why);
}

FIXTURE_TEARDOWN(tm)
{
	env_teardown(&self->e);
}

/* N first touches: N faults and N 4 KiB mappings, 2N events, no drops. */
TEST_F_TIMEOUT(tm, events_match_first_touches, 120)
{
	struct tm_snap a, b;

	ASSERT_EQ(0, settle(self->e.fd, self->e.map_fd, 1, &a));
	ASSERT_TRUE(a.group.found);
	ASSERT_EQ(0, vm_run_loop(&self->e.v, GUEST_WRITE_ONLY, DATA_GPA, N,
				 PAGE));
	ASSERT_EQ(0, settle(self->e.fd, self->e.map_fd, a.group.mappings + N, &b));

	EXPECT_EVENTS(FAULTS(&self->e, N), b.group.faults - a.group.faults);
	EXPECT_EVENTS(N, b.group.mappings - a.group.mappings);
	EXPECT_EVENTS(N, b.group.l4k - a.group.l4k);
	EXPECT_EQ(0, b.group.l2m - a.group.l2m);
	EXPECT_EVENTS(N * PAGE, b.group.mapped_bytes - a.group.mapped_bytes);
	EXPECT_EVENTS(N, b.group.region8 - a.group.region8);
	EXPECT_TRUE(b.vm.found);
	EXPECT_EVENTS(FAULTS(&self->e, N), b.vm.faults - a.vm.faults);
	/* The BPF side saw and passed the event(s) of every touch. */
	EXPECT_EVENTS(self->e.ev * N, b.bpf.seen - a.bpf.seen);
	EXPECT_EVENTS(self->e.ev * N, b.bpf.passed - a.bpf.passed);
	EXPECT_EQ(0, b.bpf.dropped - a.bpf.dropped);
	EXPECT_EQ(0, b.bpf.filtered - a.bpf.filtered);
	EXPECT_EVENTS(self->e.ev * N, b.st.events_seen - a.st.events_seen);
	EXPECT_EQ(0, b.st.events_dropped - a.st.events_dropped);
	/* And the memory hook served each first touch once. */
	EXPECT_EQ(N, b.st.faults - a.st.faults);
	TH_LOG("faults %llu, mappings %llu, bpf seen %llu",
	       b.group.faults - a.group.faults,
	       b.group.mappings - a.group.mappings, b.bpf.seen - a.bpf.seen);
}

/* Disable stops the events; enable brings them back. */
TEST_F_TIMEOUT(tm, disable_stops_events, 120)
{
	struct tm_snap a, b, c;

	ASSERT_EQ(0, settle(self->e.fd, self->e.map_fd, 1, &a));
	ASSERT_EQ(0, __sa_disable(self->e.fd, G));
	ASSERT_EQ(0, vm_run_loop(&self->e.v, GUEST_WRITE_ONLY, DATA_GPA, N,
				 PAGE));
	ASSERT_EQ(0, settle(self->e.fd, self->e.map_fd, a.group.mappings, &b));
	EXPECT_EQ(0, b.group.faults - a.group.faults);
	EXPECT_EQ(0, b.group.mappings - a.group.mappings);
	EXPECT_EQ(0, b.st.events_seen - a.st.events_seen);
	EXPECT_EVENTS(self->e.ev * N, b.bpf.filtered - a.bpf.filtered);
	EXPECT_EQ(0, b.bpf.passed - a.bpf.passed);

	ASSERT_EQ(0, __sa_enable(self->e.fd, G));
	ASSERT_EQ(0, vm_run_loop(&self->e.v, GUEST_WRITE_ONLY,
				 DATA_GPA + N * PAGE, N, PAGE));
	ASSERT_EQ(0, settle(self->e.fd, self->e.map_fd, b.group.mappings + N, &c));
	EXPECT_EVENTS(FAULTS(&self->e, N), c.group.faults - b.group.faults);
	EXPECT_EVENTS(self->e.ev * N, c.bpf.passed - b.bpf.passed);
}

/* A VMM in no group: counted as filtered under key 0, nothing aggregated. */
TEST_F_TIMEOUT(tm, outside_group_yields_none, 120)
{
	struct tm_snap a, b;

	ASSERT_EQ(0, settle(self->e.fd, self->e.map_fd, 1, &a));
	ASSERT_EQ(0, __sa_remove_vm(self->e.fd, G, getpid()));
	ASSERT_EQ(0, vm_run_loop(&self->e.v, GUEST_WRITE_ONLY, DATA_GPA, N,
				 PAGE));
	ASSERT_EQ(0, settle(self->e.fd, self->e.map_fd, a.group.mappings, &b));
	EXPECT_EQ(0, b.group.faults - a.group.faults);
	EXPECT_FALSE(b.vm.found);
	EXPECT_EQ(0, b.st.events_seen - a.st.events_seen);
	EXPECT_EQ(0, b.bpf.seen - a.bpf.seen);
	EXPECT_EVENTS(self->e.ev * N, b.bpf_none.filtered - a.bpf_none.filtered);
	EXPECT_EVENTS(self->e.ev * N, b.bpf_none.seen - a.bpf_none.seen);
}

/* Staged 2 MiB blocks: one fault per block, mapped by KVM at 2 MiB. */
TEST_F_TIMEOUT(tm, huge_blocks_map_at_2m, 120)
{
	const unsigned long blocks = 2, huge = 2UL << 20;
	struct tm_snap a, b;

	ASSERT_EQ(0, __sa_pool(self->e.fd, G, SHADOWALLOC_POOL_SET_HUGE, 0, 0, 1));
	ASSERT_EQ(0, __sa_reserve(self->e.fd, G, blocks * huge / PAGE));
	ASSERT_EQ(0, __sa_wait_staged(self->e.fd, G, blocks * huge / PAGE));
	ASSERT_EQ(0, settle(self->e.fd, self->e.map_fd, 1, &a));
	ASSERT_EQ(0, vm_run_loop(&self->e.v, GUEST_WRITE_ONLY,
				 DATA_GPA + 4 * huge, blocks, huge));
	ASSERT_EQ(0, settle(self->e.fd, self->e.map_fd, a.group.mappings + blocks,
			    &b));
	EXPECT_EVENTS(FAULTS(&self->e, blocks), b.group.faults - a.group.faults);
	EXPECT_EQ(blocks, b.group.l2m - a.group.l2m);
	EXPECT_EQ(0, b.group.l4k - a.group.l4k);
	EXPECT_EQ(blocks * huge, b.group.mapped_bytes - a.group.mapped_bytes);
	EXPECT_EQ(blocks, b.st.hits_huge - a.st.hits_huge);
}

/* N touches of the next N pages of the fixture's data. */
static int touch(struct tm_env *e, unsigned long *next)
{
	int ret = vm_run_loop(&e->v, GUEST_WRITE_ONLY,
			      DATA_GPA + *next * PAGE, N, PAGE);

	*next += N;
	return ret;
}

/*
 * The kfunc's cached verdict follows membership from the next event on:
 * the same VMM, on whatever CPUs its vCPU thread runs, is counted in G,
 * then in no group (left), in G again (joined), then in G2 (moved). Each
 * phase's 2N events land exactly where the membership of that moment says,
 * none in the old place: a stale verdict would miscount the first events
 * after a change. Within a phase the verdict comes from the cache: at most
 * a few lookups per CPU, not one per event.
 */
TEST_F_TIMEOUT(tm, membership_changes_seen_from_next_event, 300)
{
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	struct tm_env *e = &self->e;
	unsigned long next = 0;
	struct tm_snap a, b;
	struct shadowalloc_stats g2a, g2b;

	/* Member of G. */
	ASSERT_EQ(0, settle(e->fd, e->map_fd, 1, &a));
	ASSERT_EQ(0, touch(e, &next));
	ASSERT_EQ(0, settle(e->fd, e->map_fd, a.group.mappings + N, &b));
	EXPECT_EVENTS(self->e.ev * N, b.bpf.passed - a.bpf.passed);
	EXPECT_EQ(0, b.bpf_none.seen - a.bpf_none.seen);
	EXPECT_EVENTS(N, b.vm.mappings - a.vm.mappings);
	/* One lookup per CPU the thread ran on, and per change. */
	EXPECT_LE(b.verdict_misses - a.verdict_misses, 2 * cpus + 2);
	EXPECT_GE(b.verdict_hits - a.verdict_hits, self->e.ev * N - 2 * cpus - 2);
	TH_LOG("member: %llu events, %llu verdict hits, %llu misses (%ld CPUs)",
	       b.bpf.seen - a.bpf.seen, b.verdict_hits - a.verdict_hits,
	       b.verdict_misses - a.verdict_misses, cpus);

	/* Left: no group. */
	ASSERT_EQ(0, __sa_remove_vm(e->fd, G, getpid()));
	ASSERT_EQ(0, settle(e->fd, e->map_fd, 0, &a));
	ASSERT_EQ(0, touch(e, &next));
	ASSERT_EQ(0, settle(e->fd, e->map_fd, 0, &b));
	EXPECT_EQ(0, b.bpf.seen - a.bpf.seen);
	EXPECT_EVENTS(self->e.ev * N, b.bpf_none.filtered - a.bpf_none.filtered);
	EXPECT_EVENTS(self->e.ev * N, b.bpf_none.seen - a.bpf_none.seen);
	EXPECT_EQ(0, b.st.events_seen - a.st.events_seen);
	EXPECT_LE(b.verdict_misses - a.verdict_misses, 2 * cpus + 2);

	/* Joined again. */
	ASSERT_EQ(0, __sa_add_vm(e->fd, G, getpid()));
	ASSERT_EQ(0, settle(e->fd, e->map_fd, 0, &a));
	ASSERT_EQ(0, touch(e, &next));
	ASSERT_EQ(0, settle(e->fd, e->map_fd, a.group.mappings + N, &b));
	EXPECT_EVENTS(self->e.ev * N, b.bpf.passed - a.bpf.passed);
	EXPECT_EVENTS(self->e.ev * N, b.bpf.seen - a.bpf.seen);
	EXPECT_EQ(0, b.bpf_none.seen - a.bpf_none.seen);
	EXPECT_EVENTS(self->e.ev * N, b.st.events_seen - a.st.events_seen);
	EXPECT_EVENTS(N, b.group.mappings - a.group.mappings);

	/* Moved to G2 (enabled): counted there only. */
	ASSERT_EQ(0, __sa_create(e->fd, G2, 0, 0, 0));
	ASSERT_EQ(0, __sa_enable(e->fd, G2));
	ASSERT_EQ(0, __sa_remove_vm(e->fd, G, getpid()));
	ASSERT_EQ(0, __sa_add_vm(e->fd, G2, getpid()));
	ASSERT_EQ(0, settle(e->fd, e->map_fd, 0, &a));
	ASSERT_EQ(0, __sa_stats(e->fd, G2, &g2a));
	ASSERT_EQ(0, touch(e, &next));
	ASSERT_EQ(0, settle(e->fd, e->map_fd, 0, &b));
	ASSERT_EQ(0, __sa_stats(e->fd, G2, &g2b));
	EXPECT_EQ(0, b.bpf.seen - a.bpf.seen);
	EXPECT_EQ(0, b.st.events_seen - a.st.events_seen);
	EXPECT_EQ(0, b.bpf_none.seen - a.bpf_none.seen);
	EXPECT_EVENTS(self->e.ev * N, b.bpf_g2.passed - a.bpf_g2.passed);
	EXPECT_EVENTS(self->e.ev * N, b.bpf_g2.seen - a.bpf_g2.seen);
	EXPECT_EVENTS(self->e.ev * N, g2b.events_seen - g2a.events_seen);

	/* Back to G; G2 is destroyed, its events stop. */
	ASSERT_EQ(0, __sa_remove_vm(e->fd, G2, getpid()));
	ASSERT_EQ(0, __sa_destroy(e->fd, G2));
	ASSERT_EQ(0, __sa_add_vm(e->fd, G, getpid()));
	ASSERT_EQ(0, settle(e->fd, e->map_fd, 0, &a));
	ASSERT_EQ(0, touch(e, &next));
	ASSERT_EQ(0, settle(e->fd, e->map_fd, a.group.mappings + N, &b));
	EXPECT_EVENTS(self->e.ev * N, b.bpf.passed - a.bpf.passed);
	EXPECT_EQ(0, b.bpf_g2.seen - a.bpf_g2.seen);
}

/*
 * A second VMM in a child process: it runs its own guest and, if @join,
 * makes itself a member of G after its warm-up. It writes 'r' to @ready
 * when set up, waits for a byte on @go, touches N pages and exits.
 */
static pid_t child_vmm(int fd, bool join, int ready, int go)
{
	pid_t pid = fork();
	void *data;
	struct vm v;
	char c = 'r';
	int mfd, ok;

	if (pid)
		return pid;
	mfd = open(SA_DEV, O_RDWR);
	data = mmap(NULL, 4 * N * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		    mfd, 0);
	ok = mfd >= 0 && data != MAP_FAILED && !vm_create(&v, data, 4 * N * PAGE) &&
	     !vm_run_loop(&v, GUEST_WRITE_ONLY, DATA_GPA + 4 * N * PAGE - PAGE,
			  1, PAGE) &&
	     (!join || !__sa_add_vm(fd, G, getpid()));
	if (!ok)
		c = 'x';
	if (write(ready, &c, 1) != 1 || !ok || read(go, &c, 1) != 1)
		_exit(1);
	_exit(vm_run_loop(&v, GUEST_WRITE_ONLY, DATA_GPA, N, PAGE) ? 1 : 0);
}

/* Run one child VMM between two settled snapshots; 0 or -1. */
static int run_child(struct tm_env *e, bool join, struct tm_snap *a,
		     struct tm_snap *b, pid_t *child)
{
	int ready[2], go[2], status;
	char c = 0;

	if (pipe(ready) || pipe(go))
		return -1;
	*child = child_vmm(e->fd, join, ready[1], go[0]);
	if (*child < 0 || read(ready[0], &c, 1) != 1 || c != 'r' ||
	    settle(e->fd, e->map_fd, 0, a) || write(go[1], &c, 1) != 1 ||
	    waitpid(*child, &status, 0) != *child || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -1;
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	return settle(e->fd, e->map_fd, 0, b);
}

/*
 * A member VMM exits; another process, which may get the same struct pid
 * memory or even pid number, runs a guest outside any group: its events
 * are no member's. Then the reverse on the same CPUs: the member's are.
 */
TEST_F_TIMEOUT(tm, vmm_exit_then_new_vmm_not_a_member, 300)
{
	struct tm_env *e = &self->e;
	struct tm_snap a, b;
	pid_t first, second;

	ASSERT_EQ(0, run_child(e, true, &a, &b, &first));
	EXPECT_EVENTS(self->e.ev * N, b.bpf.passed - a.bpf.passed);
	EXPECT_EQ(0, b.bpf_none.seen - a.bpf_none.seen);
	EXPECT_EVENTS(self->e.ev * N, b.st.events_seen - a.st.events_seen);

	ASSERT_EQ(0, run_child(e, false, &a, &b, &second));
	TH_LOG("member VMM pid %d, then non-member pid %d", first, second);
	EXPECT_EQ(0, b.bpf.seen - a.bpf.seen);
	EXPECT_EQ(0, b.st.events_seen - a.st.events_seen);
	EXPECT_EVENTS(self->e.ev * N, b.bpf_none.filtered - a.bpf_none.filtered);

	ASSERT_EQ(0, run_child(e, true, &a, &b, &second));
	EXPECT_EVENTS(self->e.ev * N, b.bpf.passed - a.bpf.passed);
	EXPECT_EQ(0, b.bpf_none.seen - a.bpf_none.seen);
}

FIXTURE(overflow) {
	struct tm_env e;
	unsigned long drain_ms;
};

FIXTURE_SETUP(overflow)
{
	unsigned long entries = 0;
	const char *why;

	__sa_read_param("tm_ring_entries", &entries);
	if (entries > 256)
		SKIP(return, "the ring has %lu entries; telemetry_cli_test.sh runs this with tm_ring_entries=64",
		     entries);
	self->drain_ms = 0;
	why = env_setup(&self->e);
	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, __sa_read_param("tm_drain_ms", &self->drain_ms));
}

FIXTURE_TEARDOWN(overflow)
{
	char v[32];

	if (self->drain_ms) {
		snprintf(v, sizeof(v), "%lu", self->drain_ms);
		__sa_write_param("tm_drain_ms", v);
	}
	env_teardown(&self->e);
}

/*
 * Drained once a second, a 64-entry ring cannot take 4095 faults: events are
 * dropped and counted, the guest runs to the end all the same, and every
 * count adds up on both sides.
 */
TEST_F_TIMEOUT(overflow, drops_counted_not_blocking, 180)
{
	/* Every data page but the warm-up one. */
	const unsigned long pages = DATA_SIZE / PAGE - 1;
	struct tm_snap a, b;
	unsigned long long passed, seen;

	ASSERT_EQ(0, settle(self->e.fd, self->e.map_fd, 1, &a));
	ASSERT_EQ(0, __sa_write_param("tm_drain_ms", "1000"));
	ASSERT_EQ(0, vm_run_loop(&self->e.v, GUEST_WRITE_ONLY, DATA_GPA, pages,
				 PAGE));
	usleep(2500000);
	ASSERT_EQ(0, settle(self->e.fd, self->e.map_fd, 0, &b));

	passed = b.bpf.passed - a.bpf.passed;
	seen = b.bpf.seen - a.bpf.seen;
	TH_LOG("%lu touches: bpf seen %llu, passed %llu, dropped %llu",
	       pages, seen, passed, b.bpf.dropped - a.bpf.dropped);
	/*
	 * One event per KVM fault (two with --faults), and at least one
	 * fault per touch; KVM may fault a page again after L1's mm zapped
	 * its mapping (an MMU notifier: compaction, migration), rarely: a
	 * few in a run.
	 */
	EXPECT_LE(self->e.ev * pages, seen);
	EXPECT_GE(self->e.ev * pages + self->e.ev * pages / 100, seen);
	EXPECT_GT(b.bpf.dropped - a.bpf.dropped, 0);
	EXPECT_EQ(seen, passed + b.bpf.dropped - a.bpf.dropped);
	/* The module counted the same drops, and aggregated what passed. */
	EXPECT_EQ(b.bpf.dropped - a.bpf.dropped,
		  b.st.events_dropped - a.st.events_dropped);
	EXPECT_EQ(b.bpf.dropped - a.bpf.dropped,
		  b.ring_dropped - a.ring_dropped);
	EXPECT_EQ(seen, b.st.events_seen - a.st.events_seen);
	EXPECT_EQ(passed, (b.group.faults - a.group.faults) +
			  (b.group.mappings - a.group.mappings));
	/* Every touch was still served: nothing waited on the ring. */
	EXPECT_EQ(pages, b.st.faults - a.st.faults);
}

TEST_HARNESS_MAIN
