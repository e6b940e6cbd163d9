// SPDX-License-Identifier: GPL-2.0
/*
 * Chaos soak: for SA_CHAOS_SECONDS (default 120; `make soak DURATION=s`
 * sets it) three group slots, each driven by its own thread, do at random
 * what an operator and a fleet of VMMs do, all at once:
 *
 *   groups created and destroyed (also under running VMMs: their memory
 *   is bound, they are not members, and they go on with plain faults),
 *   enabled and disabled, cap / horizon / reservation / max age / zeroing
 *   budget changed, 2 MiB staging toggled, recordings opened, drained and
 *   closed (the RECORD ioctl, and `shadowctl record` / `--json group
 *   stats` as separate processes), VMMs (KVM guests writing every page of
 *   4-16 MiB, on /dev/shadowalloc or shadowallocfs, bound by MEM_BIND, by
 *   a group= mount, or members by ADD_VM, and the real tools/minivmm)
 *   started, SIGKILLed at random moments, stopped and continued, removed
 *   from their group; and a memory hog taking 30-50 % of the available
 *   memory now and then.
 *
 * Every call's result is checked against what the slot knows (-ENOTEMPTY
 * exactly when live members remain, -ENOSPC exactly when a reservation is
 * above the cap, -EBUSY only where a recording is open or a cap is below a
 * reservation, ...). It ends with exact page accounting: every page that
 * entered a memory object (counted after its VMM is gone, by the module
 * and by mincore(), which must agree) was served by a group (hit_pages +
 * miss_pages, read with the group's VMMs stopped right before each
 * destroy, and at the end) or was a plain fault (debugfs plain_faults):
 *
 *   pages touched == sum over groups of (hit_pages + miss_pages) + plain
 *
 * and, once everything is torn down, no page staged or held. The seed is
 * printed; SA_SEED=N repeats each thread's choices (how they interleave is
 * the scheduler's). run_tests.sh checks the kernel log.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "kselftest_harness.h"
#include "sa_test.h"
#include "sa_reliability.h"
#include "kvm_guest.h"

#define NSLOTS		3
#define GID_BASE	651
#define MAX_VMM		2		/* live VMMs per slot */
#define PAGE		4096UL
#define HUGE		(2UL << 20)
#define DIR_ROOT	"/tmp/sa-chaos"
#define DIR_FREE	DIR_ROOT "/free"	/* no group=: MEM_BIND */
#define MINIVMM_REL	"/../tools/minivmm/minivmm"
#define MAX_ERRORS_SHOWN 30

enum vmm_kind {
	VMM_DEV_BIND,	/* device opened here, MEM_BIND to the group */
	VMM_DEV_MEMBER,	/* device opened here, the VMM joins by ADD_VM */
	VMM_FS_MOUNT,	/* a file of the slot's group= mount */
	VMM_FS_BIND,	/* a file of the free mount, MEM_BIND */
	VMM_MINIVMM,	/* tools/minivmm, a member; its own device open */
	VMM_KINDS,
};

static const char * const kind_name[VMM_KINDS] = {
	"dev-bind", "dev-member", "fs-mount", "fs-bind", "minivmm",
};

struct vmm {
	pid_t pid;		/* 0: free slot */
	enum vmm_kind kind;
	int objfd;		/* our descriptor of its memory object, or -1 */
	void *map;		/* our (never touched) mapping of it, for mincore */
	size_t len;
	int sock;		/* control socket: 'r' ready, 'g' go */
	int out;		/* minivmm's stdout (line-buffered) */
	bool member;		/* an ADD_VM member (until reaped) */
	char path[96];		/* its file, for the fs kinds */
	struct timespec kill_at;	/* SIGKILL then, if tv_sec */
};

struct counters {
	long vmms, completed, killed, stopped, minivmm_grabbed;
	long creates, destroys, destroy_refused, enables, disables;
	long horizons, caps, cap_refused, reserves, reserve_refused, huge;
	long ages, budgets, add_vm, remove_vm, recordings, records, rec_eof;
	long ctl_runs, bad_input;
	long touched, served, hits_huge;
};

struct slot {
	int idx;
	uint32_t gid;
	unsigned int seed;
	int ctl;
	char mnt[64];
	bool exists, enabled;
	uint64_t cap_pages, last_reserve;
	uint32_t max_vms;
	uint32_t horizon;
	struct vmm vmm[MAX_VMM];
	int rec_fd;
	pid_t ctl_rec;		/* a running `shadowctl record` */
	struct counters c;
};

static atomic_bool stop_all;
static atomic_long errors;
/* Keeps the error lines of the slot and hog threads whole. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char minivmm_path[512], shadowctl_path[512];
static unsigned long max_vms_param;
static struct timespec deadline;

static void bad(struct slot *s, const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&errors, 1) >= MAX_ERRORS_SHOWN)
		return;
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "# slot %d (group %u): ", s ? s->idx : -1,
		s ? s->gid : 0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&log_lock);
}

/* Check a call's -errno against the ones the slot's state allows. */
static bool want(struct slot *s, const char *what, int ret, int ok1, int ok2)
{
	if (ret == ok1 || ret == ok2)
		return true;
	bad(s, "%s: %s (%d), expected %d or %d", what, strerror(-ret), ret,
	    ok1, ok2);
	return false;
}

static unsigned long rnd(struct slot *s, unsigned long n)
{
	return n ? (unsigned long)rand_r(&s->seed) % n : 0;
}

static bool past(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec ||
	       (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static void in_ms(struct timespec *t, unsigned long ms)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += ms / 1000;
	t->tv_nsec += (ms % 1000) * 1000000;
	if (t->tv_nsec >= 1000000000) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000;
	}
}

static long served_pages(const struct shadowalloc_stats *st)
{
	return (long)(st->hit_pages + st->miss_pages);
}

/* ---- the VMM processes ---- */

/*
 * A forked VMM: its object on fd 3, the control socket on fd 4 (moved
 * there from wherever they are, every other descriptor closed: the
 * threads' recordings and other VMMs' objects stay with this process).
 * Only async-signal-safe calls until it runs the guest: this process has
 * threads.
 */
static void move_fds(int a, int b)
{
	int ha = fcntl(a, F_DUPFD, 1000), hb = fcntl(b, F_DUPFD, 1000);

	if (ha < 0 || hb < 0 || dup2(ha, 3) != 3 || dup2(hb, 4) != 4)
		_exit(20);
	syscall(SYS_close_range, 5, ~0U, 0);
}

static void vmm_child(int objfd, int sock, size_t len, bool huge)
{
	struct vm v = {};
	void *base, *map;
	char c = 'r';

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	move_fds(objfd, sock);
	base = mmap(NULL, len + 2 * HUGE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		_exit(21);
	/* 2 MiB aligned, so the pool's 2 MiB blocks can be mapped. */
	map = (void *)(((uintptr_t)base + HUGE - 1) & ~(HUGE - 1));
	if (!huge)
		map = (char *)map + PAGE;
	map = mmap(map, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		   3, 0);
	if (map == MAP_FAILED)
		_exit(22);
	if (huge)
		madvise(map, len, MADV_HUGEPAGE);
	if (vm_create(&v, map, len))
		_exit(23);
	if (write(4, &c, 1) != 1 || read(4, &c, 1) != 1 || c != 'g')
		_exit(24);
	_exit(vm_run_loop(&v, GUEST_WRITE_ONLY, DATA_GPA, len / PAGE, PAGE) ?
	      25 : 0);
}

/* tools/minivmm, line-buffered (stdbuf): its "wrote" line means done. */
static void minivmm_child(int sock, int out, size_t len)
{
	char mib[16], c = 'r';
	int devnull = open("/dev/null", O_RDONLY);

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (devnull < 0 || dup2(devnull, 0) || dup2(out, 1) != 1)
		_exit(20);
	move_fds(sock, out);
	if (write(3, &c, 1) != 1 || read(3, &c, 1) != 1 || c != 'g')
		_exit(24);
	syscall(SYS_close_range, 3, ~0U, 0);
	snprintf(mib, sizeof(mib), "%zu", len >> 20);
	execl("/usr/bin/stdbuf", "stdbuf", "-oL", minivmm_path, mib,
	      (char *)NULL);
	_exit(26);
}

static int free_vmm(struct slot *s)
{
	int i;

	for (i = 0; i < MAX_VMM; i++)
		if (!s->vmm[i].pid)
			return i;
	return -1;
}

static int live_members(struct slot *s)
{
	int i, n = 0;

	for (i = 0; i < MAX_VMM; i++)
		n += s->vmm[i].pid && s->vmm[i].member;
	return n;
}

/* Open the memory object of a new VMM of @kind; fills @m. */
static int vmm_object(struct slot *s, struct vmm *m)
{
	static atomic_long file_no;
	int ret;

	m->objfd = -1;
	switch (m->kind) {
	case VMM_DEV_BIND:
	case VMM_DEV_MEMBER:
		m->objfd = open(SA_DEV, O_RDWR);
		break;
	case VMM_FS_MOUNT:
	case VMM_FS_BIND:
		snprintf(m->path, sizeof(m->path), "%s/vm%ld",
			 m->kind == VMM_FS_MOUNT ? s->mnt : DIR_FREE,
			 atomic_fetch_add(&file_no, 1));
		m->objfd = open(m->path, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (m->objfd >= 0 && ftruncate(m->objfd, m->len)) {
			bad(s, "ftruncate %s: %s", m->path, strerror(errno));
			return -1;
		}
		break;
	default:
		return 0;
	}
	if (m->objfd < 0) {
		bad(s, "opening the object of a %s VMM: %s",
		    kind_name[m->kind], strerror(errno));
		return -1;
	}
	if (m->kind == VMM_DEV_BIND || m->kind == VMM_FS_BIND) {
		ret = __sa_mem_bind(m->objfd, SHADOWALLOC_MEM_BIND_SET, s->gid,
				    NULL);
		want(s, "MEM_BIND", ret, 0, s->exists ? 0 : -ENOENT);
	}
	m->map = mmap(NULL, m->len, PROT_READ, MAP_SHARED, m->objfd, 0);
	if (m->map == MAP_FAILED) {
		bad(s, "mapping a %s object: %s", kind_name[m->kind],
		    strerror(errno));
		m->map = NULL;
	} else if (madvise(m->map, m->len, MADV_DONTFORK)) {
		/*
		 * Not inherited: ADD_VM binds every object a VMM maps, and
		 * a forked VMM would map all of these otherwise.
		 */
		bad(s, "MADV_DONTFORK: %s", strerror(errno));
	}
	return 0;
}

static void vmm_spawn(struct slot *s)
{
	int i = free_vmm(s), sv[2], outp[2] = { -1, -1 }, ret;
	struct vmm *m;
	struct pollfd pfd;
	char c;
	bool huge;

	if (i < 0)
		return;
	m = &s->vmm[i];
	memset(m, 0, sizeof(*m));
	m->kind = rnd(s, VMM_KINDS);
	m->len = (4 + rnd(s, 13)) << 20;
	m->out = -1;
	huge = rnd(s, 2);
	if (vmm_object(s, m))
		goto fail_obj;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		goto fail_obj;
	if (m->kind == VMM_MINIVMM && pipe2(outp, O_CLOEXEC))
		goto fail_sock;
	/* Read without waiting: a child forked meanwhile may hold it too. */
	if (outp[0] >= 0)
		fcntl(outp[0], F_SETFL, O_NONBLOCK);
	m->pid = fork();
	if (m->pid == 0) {
		if (m->kind == VMM_MINIVMM)
			minivmm_child(sv[1], outp[1], m->len);
		vmm_child(m->objfd, sv[1], m->len, huge);
	}
	close(sv[1]);
	if (outp[1] >= 0)
		close(outp[1]);
	m->sock = sv[0];
	m->out = outp[0];
	if (m->pid < 0) {
		bad(s, "fork: %s", strerror(errno));
		m->pid = 0;
		goto fail_sock0;
	}
	s->c.vmms++;
	pfd = (struct pollfd){ .fd = m->sock, .events = POLLIN };
	if (poll(&pfd, 1, 60000) != 1 || read(m->sock, &c, 1) != 1 ||
	    c != 'r') {
		bad(s, "a %s VMM did not get ready", kind_name[m->kind]);
		kill(m->pid, SIGKILL);
		return;		/* reaped and counted as any other */
	}
	if (m->kind == VMM_DEV_MEMBER || m->kind == VMM_MINIVMM) {
		ret = __sa_add_vm(s->ctl, s->gid, m->pid);
		if (!s->exists)
			want(s, "ADD_VM", ret, -ENOENT, -ENOENT);
		else if ((uint32_t)live_members(s) >= s->max_vms)
			want(s, "ADD_VM to a full group", ret, -ENOSPC, -ENOSPC);
		else
			want(s, "ADD_VM", ret, 0, 0);
		m->member = !ret;
		s->c.add_vm += !ret;
	}
	/* Half of them die at a random moment of their run. */
	if (rnd(s, 2))
		in_ms(&m->kill_at, rnd(s, 1500));
	c = 'g';
	if (write(m->sock, &c, 1) != 1)
		bad(s, "cannot start a VMM: %s", strerror(errno));
	return;

fail_sock0:
	if (m->out >= 0)
		close(m->out);
	close(m->sock);
	goto fail_obj;
fail_sock:
	close(sv[0]);
	close(sv[1]);
fail_obj:
	if (m->map)
		munmap(m->map, m->len);
	if (m->objfd >= 0)
		close(m->objfd);
	if (m->path[0])
		unlink(m->path);
	memset(m, 0, sizeof(*m));
}

/*
 * The VMM is gone (reaped, @status): count the pages its object holds,
 * by the module and by the page cache, then release the object.
 */
static void vmm_finish(struct slot *s, struct vmm *m, int status)
{
	long pages = 0, res;
	char line[256];
	ssize_t n = 0;

	if (m->out >= 0) {
		n = read(m->out, line, sizeof(line) - 1);
		line[n > 0 ? n : 0] = 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status))
		bad(s, "a %s VMM of %zu MiB exited with %d", kind_name[m->kind],
		    m->len >> 20, WEXITSTATUS(status));
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
		bad(s, "a %s VMM died of signal %d", kind_name[m->kind],
		    WTERMSIG(status));
	if (m->objfd >= 0) {
		pages = sa_object_pages(m->objfd);
		if (pages < 0) {
			bad(s, "MEM_BIND read: %s", strerror(-pages));
			pages = 0;
		}
		if (m->map) {
			res = sa_resident_pages(m->map, m->len);
			if (res != pages)
				bad(s, "a %s object: mincore %ld pages, the module %ld",
				    kind_name[m->kind], res, pages);
		}
	} else if (m->kind == VMM_MINIVMM && strstr(line, "the guest wrote")) {
		/* Done and closed before it was stopped: all of it. */
		pages = m->len / PAGE;
	}
	if (WIFEXITED(status) && !WEXITSTATUS(status)) {
		s->c.completed++;
		if (pages != (long)(m->len / PAGE))
			bad(s, "a %s VMM wrote %zu pages, its object holds %ld",
			    kind_name[m->kind], m->len / PAGE, pages);
	}
	if ((long)(m->len / PAGE) < pages)
		bad(s, "a %s object of %zu pages holds %ld", kind_name[m->kind],
		    m->len / PAGE, pages);
	s->c.touched += pages;
	if (m->map)
		munmap(m->map, m->len);
	if (m->objfd >= 0)
		close(m->objfd);
	if (m->path[0] && unlink(m->path))
		bad(s, "unlink %s: %s", m->path, strerror(errno));
	if (m->out >= 0)
		close(m->out);
	close(m->sock);
	memset(m, 0, sizeof(*m));
}

/*
 * Stop a VMM (SIGSTOP, until it is stopped): no fault of it is in flight
 * then. Returns false if it ended instead (then it is finished here).
 */
static bool vmm_stop(struct slot *s, struct vmm *m)
{
	int status;

	kill(m->pid, SIGSTOP);
	if (waitpid(m->pid, &status, WUNTRACED) != m->pid) {
		bad(s, "waitpid %d: %s", m->pid, strerror(errno));
		return false;
	}
	if (WIFSTOPPED(status)) {
		s->c.stopped++;
		return true;
	}
	vmm_finish(s, m, status);
	return false;
}

/* SIGKILL a VMM now; a minivmm's object is taken over first. */
static void vmm_kill(struct slot *s, struct vmm *m)
{
	int status, fd;

	if (m->kind == VMM_MINIVMM) {
		if (!vmm_stop(s, m))
			return;
		fd = sa_grab_fd(m->pid, SA_DEV);
		if (fd >= 0) {
			m->objfd = fd;
			s->c.minivmm_grabbed++;
		} else if (fd != -ENOENT) {
			bad(s, "taking minivmm's object: %s", strerror(-fd));
		}
	}
	kill(m->pid, SIGKILL);
	if (waitpid(m->pid, &status, 0) != m->pid) {
		bad(s, "waitpid %d: %s", m->pid, strerror(errno));
		return;
	}
	s->c.killed += WIFSIGNALED(status);
	vmm_finish(s, m, status);
}

/* Reap the VMMs that ended, kill the ones whose moment came. */
static void vmm_poll(struct slot *s)
{
	struct vmm *m;
	int i, status;
	pid_t r;

	for (i = 0; i < MAX_VMM; i++) {
		m = &s->vmm[i];
		if (!m->pid)
			continue;
		r = waitpid(m->pid, &status, WNOHANG);
		if (r == m->pid)
			vmm_finish(s, m, status);
		else if (m->kill_at.tv_sec && past(&m->kill_at))
			vmm_kill(s, m);
	}
	if (s->ctl_rec && waitpid(s->ctl_rec, &status, WNOHANG) == s->ctl_rec) {
		/* 0, or 1: EBUSY (our own recording) or ENOENT (destroyed). */
		if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
			bad(s, "shadowctl record: status %#x", status);
		s->ctl_rec = 0;
	}
}

/* ---- recordings ---- */

static void rec_drain(struct slot *s)
{
	struct shadowalloc_trace_record r[64];
	ssize_t n;
	int i;

	while (s->rec_fd >= 0) {
		n = read(s->rec_fd, r, sizeof(r));
		if (n < 0) {
			if (errno != EAGAIN)
				bad(s, "reading the recording: %s", strerror(errno));
			return;
		}
		if (n == 0) {
			/* The end: only once the group is destroyed. */
			if (s->exists)
				bad(s, "recording ended, the group exists");
			s->c.rec_eof++;
			close(s->rec_fd);
			s->rec_fd = -1;
			return;
		}
		if (n % sizeof(r[0]))
			bad(s, "recording read %zd bytes", n);
		for (i = 0; i < n / (ssize_t)sizeof(r[0]); i++) {
			s->c.records++;
			if (!r[i].size)
				continue;	/* lost-records marker */
			if ((r[i].size != PAGE && r[i].size != HUGE) ||
			    r[i].offset % r[i].size || r[i].offset >= (16UL << 20))
				bad(s, "record offset %#llx size %u",
				    (unsigned long long)r[i].offset, r[i].size);
		}
	}
}

static void rec_toggle(struct slot *s)
{
	struct shadowalloc_record a = { .size = sizeof(a), .group_id = s->gid };
	int fd;

	if (s->rec_fd >= 0) {
		rec_drain(s);
		if (s->rec_fd >= 0)
			close(s->rec_fd);
		s->rec_fd = -1;
		return;
	}
	fd = ioctl(s->ctl, SHADOWALLOC_IOC_RECORD, &a);
	/*
	 * Our last recording may still be open in a child another thread
	 * just forked (it holds every descriptor until its close_range() or
	 * exec): -EBUSY is right then, and brief. Wait that out, up to 2 s.
	 */
	for (int i = 0; fd < 0 && errno == EBUSY && !s->ctl_rec && i < 200; i++) {
		usleep(10000);
		fd = ioctl(s->ctl, SHADOWALLOC_IOC_RECORD, &a);
	}
	if (fd < 0) {
		if (!s->exists)
			want(s, "RECORD", -errno, -ENOENT, -ENOENT);
		else
			want(s, "RECORD", -errno, s->ctl_rec ? -EBUSY : 0, 0);
		return;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	s->rec_fd = fd;
	s->c.recordings++;
}

/* shadowctl as a separate process: stats --json, or a short recording. */
static void ctl_run(struct slot *s)
{
	char id[16], ms[16], out[4096];
	bool record = !s->ctl_rec && rnd(s, 2);
	int p[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	snprintf(id, sizeof(id), "%u", s->gid);
	snprintf(ms, sizeof(ms), "%lu", 200 + rnd(s, 2000));
	if (pipe2(p, O_CLOEXEC))
		return;
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		/* record's summary goes to stderr: not into the TAP output. */
		if (dup2(p[1], 1) != 1 || devnull < 0 ||
		    (record && dup2(devnull, 2) != 2))
			_exit(9);
		syscall(SYS_close_range, 3, ~0U, 0);
		if (record)
			execl(shadowctl_path, "shadowctl", "record", id,
			      "/dev/null", "--duration-ms", ms, (char *)NULL);
		else
			execl(shadowctl_path, "shadowctl", "--json", "group",
			      "stats", id, (char *)NULL);
		_exit(9);
	}
	close(p[1]);
	s->c.ctl_runs++;
	if (record) {
		s->ctl_rec = pid;
		close(p[0]);
		return;
	}
	while ((n = read(p[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += n;
	out[got] = 0;
	close(p[0]);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != (s->exists ? 0 : 1))
		bad(s, "shadowctl --json group stats: status %#x", status);
	else if (s->exists && !strstr(out, "\"hit_pages\":"))
		bad(s, "shadowctl --json group stats: %s", out);
}

/* ---- the group's life ---- */

static void group_create(struct slot *s)
{
	uint64_t cap = (16UL << rnd(s, 4)) << 20;	/* 16..128 MiB */
	uint32_t max_vms = 1 + rnd(s, 3);
	uint32_t horizon = 100 + rnd(s, 10000);
	int ret;

	ret = __sa_create(s->ctl, s->gid, max_vms, cap, horizon);
	if (!want(s, "GROUP_CREATE", ret, 0, 0))
		return;
	s->exists = true;
	s->enabled = false;
	s->cap_pages = cap / PAGE;
	s->last_reserve = 0;
	s->max_vms = max_vms;
	s->horizon = horizon;
	s->c.creates++;
	if (rnd(s, 4)) {
		want(s, "SHADOW_ENABLE", __sa_enable(s->ctl, s->gid), 0, 0);
		s->enabled = true;
		s->c.enables++;
	}
}

/*
 * Destroy the group, its VMMs stopped so that no fault is in flight: the
 * stats read right before are its last. Refused exactly while a member
 * lives; then the numbers are not final and are dropped.
 */
static void group_destroy(struct slot *s)
{
	bool stopped[MAX_VMM] = {};
	struct shadowalloc_stats st;
	int i, ret, members;

	for (i = 0; i < MAX_VMM; i++)
		if (s->vmm[i].pid)
			stopped[i] = vmm_stop(s, &s->vmm[i]);
	members = live_members(s);
	ret = __sa_stats(s->ctl, s->gid, &st);
	want(s, "GET_STATS", ret, 0, 0);
	if (!ret && st.faults != st.hits + st.misses + st.raced)
		bad(s, "faults %llu != hits %llu + misses %llu + raced %llu",
		    (unsigned long long)st.faults, (unsigned long long)st.hits,
		    (unsigned long long)st.misses, (unsigned long long)st.raced);
	ret = __sa_destroy(s->ctl, s->gid);
	if (members) {
		want(s, "GROUP_DESTROY with members", ret, -ENOTEMPTY,
		     -ENOTEMPTY);
		s->c.destroy_refused++;
	} else if (want(s, "GROUP_DESTROY", ret, 0, 0)) {
		s->exists = false;
		s->c.destroys++;
		s->c.served += served_pages(&st);
		s->c.hits_huge += st.hits_huge;
	}
	for (i = 0; i < MAX_VMM; i++)
		if (stopped[i])
			kill(s->vmm[i].pid, SIGCONT);
	/* A recording of a destroyed group reads to its end, then 0. */
	rec_drain(s);
	if (!s->exists && s->rec_fd >= 0) {
		bad(s, "the recording did not end with the group");
		close(s->rec_fd);
		s->rec_fd = -1;
	}
}

/* A member leaves; stopped meanwhile, as its objects change group. */
static void member_remove(struct slot *s)
{
	struct vmm *m = &s->vmm[rnd(s, MAX_VMM)];
	int ret;

	if (!m->pid || !m->member || !vmm_stop(s, m))
		return;
	ret = __sa_remove_vm(s->ctl, s->gid, m->pid);
	if (want(s, "REMOVE_VM", ret, 0, 0)) {
		m->member = false;
		s->c.remove_vm++;
	}
	kill(m->pid, SIGCONT);
}

static void pool_change(struct slot *s)
{
	struct shadowalloc_stats st;
	uint64_t pages, cap;
	int ret;

	switch (rnd(s, 7)) {
	case 0:	/* horizon, now and then out of range: refused, unchanged */
		if (!rnd(s, 8)) {
			ret = __sa_horizon(s->ctl, s->gid, rnd(s, 2) ? 99 : 3600001);
			want(s, "SET_HORIZON out of range", ret, -ERANGE, -ERANGE);
			if (!__sa_stats(s->ctl, s->gid, &st) &&
			    st.horizon_ms != s->horizon)
				bad(s, "a refused horizon changed it to %u",
				    st.horizon_ms);
			s->c.bad_input++;
			break;
		}
		s->horizon = 100 + rnd(s, 20000);
		want(s, "SET_HORIZON", __sa_horizon(s->ctl, s->gid, s->horizon),
		     0, 0);
		s->c.horizons++;
		break;
	case 1:	/* cap: refused only below the last reservation */
		cap = (4UL << rnd(s, 6)) << 20;	/* 4..128 MiB */
		ret = __sa_pool(s->ctl, s->gid, SHADOWALLOC_POOL_SET_CAP, 0,
				cap, 0);
		if (cap / PAGE < s->last_reserve)
			want(s, "POOL_CONFIG cap below the reservation", ret, 0,
			     -EBUSY);
		else
			want(s, "POOL_CONFIG cap", ret, 0, 0);
		if (!ret)
			s->cap_pages = cap / PAGE;
		s->c.caps++;
		s->c.cap_refused += ret == -EBUSY;
		break;
	case 2:	/* reservation: refused exactly above the cap */
		pages = rnd(s, s->cap_pages + s->cap_pages / 4 + 1);
		ret = __sa_reserve(s->ctl, s->gid, pages);
		if (pages > s->cap_pages) {
			want(s, "STAGE_RESERVE above the cap", ret, -ENOSPC,
			     -ENOSPC);
			s->c.reserve_refused++;
		} else if (want(s, "STAGE_RESERVE", ret, 0, 0)) {
			s->last_reserve = pages;
		}
		s->c.reserves++;
		break;
	case 3:
		want(s, "POOL_CONFIG huge",
		     __sa_pool(s->ctl, s->gid, SHADOWALLOC_POOL_SET_HUGE, 0, 0,
			       rnd(s, 2)), 0, 0);
		s->c.huge++;
		break;
	case 4:
		want(s, "POOL_CONFIG max age",
		     __sa_pool(s->ctl, s->gid, SHADOWALLOC_POOL_SET_MAX_AGE,
			       200 + rnd(s, 30000), 0, 0), 0, 0);
		s->c.ages++;
		break;
	case 5: {
		struct shadowalloc_pool_config c = {
			.size = sizeof(c), .group_id = s->gid,
			.flags = SHADOWALLOC_POOL_SET_ZERO_BUDGET,
			.zero_pages_per_sec = 4096 + rnd(s, 262144),
		};

		want(s, "POOL_CONFIG zero budget",
		     __sa_ioctl(s->ctl, SHADOWALLOC_IOC_POOL_CONFIG, &c), 0, 0);
		s->c.budgets++;
		break;
	}
	default:	/* enable / disable; again: -EALREADY */
		if (!rnd(s, 6)) {
			ret = s->enabled ? __sa_enable(s->ctl, s->gid) :
					   __sa_disable(s->ctl, s->gid);
			want(s, "enable/disable again", ret, -EALREADY,
			     -EALREADY);
			s->c.bad_input++;
			break;
		}
		ret = s->enabled ? __sa_disable(s->ctl, s->gid) :
				   __sa_enable(s->ctl, s->gid);
		if (want(s, s->enabled ? "SHADOW_DISABLE" : "SHADOW_ENABLE",
			 ret, 0, 0)) {
			s->enabled = !s->enabled;
			if (s->enabled)
				s->c.enables++;
			else
				s->c.disables++;
		}
		break;
	}
}

/* The slot's end: every VMM killed and counted, the group's last stats. */
static void slot_end(struct slot *s)
{
	struct shadowalloc_stats st;
	int i, status;

	for (i = 0; i < MAX_VMM; i++)
		if (s->vmm[i].pid)
			vmm_kill(s, &s->vmm[i]);
	if (s->ctl_rec) {
		waitpid(s->ctl_rec, &status, 0);
		s->ctl_rec = 0;
	}
	rec_drain(s);
	if (s->rec_fd >= 0)
		close(s->rec_fd);
	s->rec_fd = -1;
	if (!s->exists)
		return;
	if (s->enabled)
		want(s, "SHADOW_DISABLE", __sa_disable(s->ctl, s->gid), 0, 0);
	if (__sa_stats(s->ctl, s->gid, &st)) {
		bad(s, "GET_STATS at the end failed");
		return;
	}
	s->c.served += served_pages(&st);
	s->c.hits_huge += st.hits_huge;
	if (st.faults != st.hits + st.misses + st.raced)
		bad(s, "faults %llu != hits + misses + raced",
		    (unsigned long long)st.faults);
	/* A still pool: every page staged was handed over, is there, or left. */
	if (st.staged_total != st.hit_pages + st.staged_pages + st.evicted_pages)
		bad(s, "staged_total %llu != hit_pages %llu + staged %llu + evicted %llu",
		    (unsigned long long)st.staged_total,
		    (unsigned long long)st.hit_pages,
		    (unsigned long long)st.staged_pages,
		    (unsigned long long)st.evicted_pages);
	if (st.nr_vms)
		bad(s, "%u members after every VMM was reaped", st.nr_vms);
	want(s, "GROUP_DESTROY at the end", __sa_destroy(s->ctl, s->gid), 0, 0);
	s->exists = false;
}

static void *slot_fn(void *arg)
{
	struct slot *s = arg;
	unsigned long r;

	while (!atomic_load(&stop_all) && !past(&deadline)) {
		vmm_poll(s);
		rec_drain(s);
		if (!s->exists) {
			r = rnd(s, 10);
			if (r < 6)
				group_create(s);
			else if (r < 8)
				vmm_spawn(s);	/* plain faults, or ENOENT binds */
			else if (want(s, "SHADOW_ENABLE without a group",
				      __sa_enable(s->ctl, s->gid), -ENOENT,
				      -ENOENT))
				s->c.bad_input++;
		} else {
			r = rnd(s, 100);
			if (r < 22)
				vmm_spawn(s);
			else if (r < 30) {
				struct vmm *m = &s->vmm[rnd(s, MAX_VMM)];

				if (m->pid)
					vmm_kill(s, m);
			} else if (r < 62)
				pool_change(s);
			else if (r < 70)
				rec_toggle(s);
			else if (r < 75)
				ctl_run(s);
			else if (r < 78)
				member_remove(s);
			else if (r < 82)
				group_destroy(s);
		}
		usleep(5000 + rnd(s, 50000));
	}
	slot_end(s);
	return NULL;
}

/* ---- the hog ---- */

struct hog {
	unsigned int seed;
	long runs, max_mb, bad;
};

static long mem_available_kib(void)
{
	char k[64];
	long v, found = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld kB\n", k, &v) == 2)
		if (!strcmp(k, "MemAvailable:"))
			found = v;
	fclose(f);
	return found;
}

static void *hog_fn(void *arg)
{
	struct hog *h = arg;
	unsigned long i, ms;
	size_t len;
	int status;
	pid_t pid;
	char *p;

	while (!atomic_load(&stop_all) && !past(&deadline)) {
		ms = 2000 + (unsigned long)rand_r(&h->seed) % 6000;
		usleep(ms * 1000);
		if (past(&deadline))
			break;
		/* 30..50 % of what is available now: pressure, not OOM. */
		len = (size_t)mem_available_kib() * 1024 / 100 *
		      (30 + rand_r(&h->seed) % 21);
		ms = 500 + (unsigned long)rand_r(&h->seed) % 2500;
		pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			/* No object, socket or recording of the slots held. */
			syscall(SYS_close_range, 3, ~0U, 0);
			p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				_exit(1);
			for (i = 0; i < len; i += PAGE)
				p[i] = 1;
			usleep(ms * 1000);
			_exit(0);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			h->bad++;
			bad(NULL, "the hog (%zu MiB) ended with %#x", len >> 20,
			    status);
		}
		h->runs++;
		if ((long)(len >> 20) > h->max_mb)
			h->max_mb = len >> 20;
	}
	return NULL;
}

/* ---- the test ---- */

static int mount_dir(const char *dir, const char *opts)
{
	mkdir(dir, 0700);
	umount2(dir, MNT_DETACH);
	return mount("none", dir, "shadowallocfs", 0, opts) ? -errno : 0;
}

static void cleanup_dirs(void)
{
	char dir[64];
	int i;

	for (i = 0; i < NSLOTS; i++) {
		snprintf(dir, sizeof(dir), DIR_ROOT "/g%d", i);
		umount2(dir, MNT_DETACH);
		rmdir(dir);
	}
	umount2(DIR_FREE, MNT_DETACH);
	rmdir(DIR_FREE);
	rmdir(DIR_ROOT);
}

static void add(struct counters *t, const struct counters *c)
{
	long *a = (long *)t;
	const long *b = (const long *)c;
	size_t i;

	for (i = 0; i < sizeof(*t) / sizeof(long); i++)
		a[i] += b[i];
}

TEST(chaos_soak)
{
	unsigned long seconds = sa_env_ulong("SA_CHAOS_SECONDS", 120);
	unsigned int seed = sa_seed();
	static struct slot slots[NSLOTS];
	struct counters t = {};
	pthread_t th[NSLOTS], hog_th;
	struct hog hog = { .seed = seed ^ 0x5eed };
	long plain0, plain1, plain, served, staged, mem;
	char self_dir[400], opts[96];
	struct timespec t0, t1;
	ssize_t n;
	int i, ctl;

	ctl = open(SA_DEV, O_RDWR);
	if (ctl < 0)
		SKIP(return, "%s: %s", SA_DEV, strerror(errno));
	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "no /dev/kvm");
	n = readlink("/proc/self/exe", self_dir, sizeof(self_dir) - 1);
	ASSERT_GT(n, 0);
	self_dir[n] = 0;
	*strrchr(self_dir, '/') = 0;
	snprintf(minivmm_path, sizeof(minivmm_path), "%s" MINIVMM_REL, self_dir);
	snprintf(shadowctl_path, sizeof(shadowctl_path),
		 "%s/../tools/shadowctl/shadowctl", self_dir);
	ASSERT_EQ(0, access(minivmm_path, X_OK)) TH_LOG("%s", minivmm_path);
	ASSERT_EQ(0, access(shadowctl_path, X_OK)) TH_LOG("%s", shadowctl_path);
	ASSERT_EQ(0, access("/usr/bin/stdbuf", X_OK));
	ASSERT_EQ(0, __sa_read_param("max_vms_per_group", &max_vms_param));

	mkdir(DIR_ROOT, 0700);
	ASSERT_EQ(0, mount_dir(DIR_FREE, "mode=0700,size=1g"));
	for (i = 0; i < NSLOTS; i++) {
		struct slot *s = &slots[i];

		memset(s, 0, sizeof(*s));
		s->idx = i;
		s->gid = GID_BASE + i;
		s->seed = seed + 7919 * (i + 1);
		s->rec_fd = -1;
		s->ctl = ctl;
		__sa_destroy(ctl, s->gid);
		snprintf(s->mnt, sizeof(s->mnt), DIR_ROOT "/g%d", i);
		snprintf(opts, sizeof(opts), "group=%u,mode=0700,size=1g", s->gid);
		ASSERT_EQ(0, mount_dir(s->mnt, opts));
	}

	TH_LOG("%lu s, %d group slots, up to %d VMMs each, max_vms_per_group %lu",
	       seconds, NSLOTS, MAX_VMM, max_vms_param);
	plain0 = sa_debugfs_value("plain_faults ");
	ASSERT_GE(plain0, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	in_ms(&deadline, seconds * 1000);
	for (i = 0; i < NSLOTS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, slot_fn, &slots[i]));
	ASSERT_EQ(0, pthread_create(&hog_th, NULL, hog_fn, &hog));
	for (i = 0; i < NSLOTS; i++)
		pthread_join(th[i], NULL);
	atomic_store(&stop_all, true);
	pthread_join(hog_th, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	plain1 = sa_debugfs_value("plain_faults ");

	for (i = 0; i < NSLOTS; i++) {
		struct counters *c = &slots[i].c;

		TH_LOG("group %u: %ld VMMs (%ld completed, %ld killed, %ld stopped), %ld created, %ld destroyed (%ld refused), touched %ld, served %ld",
		       slots[i].gid, c->vmms, c->completed, c->killed,
		       c->stopped, c->creates, c->destroys, c->destroy_refused,
		       c->touched, c->served);
		add(&t, c);
	}
	plain = plain1 - plain0;
	served = t.served;
	TH_LOG("%ld s: %ld VMMs, %ld completed, %ld SIGKILLed, %ld stopped, %ld minivmm objects taken over",
	       (long)(t1.tv_sec - t0.tv_sec), t.vmms, t.completed, t.killed,
	       t.stopped, t.minivmm_grabbed);
	TH_LOG("groups: %ld created, %ld destroyed, %ld refused with members; %ld enables, %ld disables, %ld horizons, %ld caps (%ld refused), %ld reservations (%ld above the cap), %ld 2 MiB toggles, %ld max ages, %ld budgets",
	       t.creates, t.destroys, t.destroy_refused, t.enables, t.disables,
	       t.horizons, t.caps, t.cap_refused, t.reserves,
	       t.reserve_refused, t.huge, t.ages, t.budgets);
	TH_LOG("%ld ADD_VM, %ld REMOVE_VM, %ld recordings (%ld records, %ld ended by destroy), %ld shadowctl runs, %ld refused bad inputs; hog %ld runs, up to %ld MiB",
	       t.add_vm, t.remove_vm, t.recordings, t.records, t.rec_eof,
	       t.ctl_runs, t.bad_input, hog.runs, hog.max_mb);
	TH_LOG("pages touched %ld = served %ld (2 MiB hits %ld) + plain %ld ? %s",
	       t.touched, served, t.hits_huge, plain,
	       t.touched == served + plain ? "yes" : "NO");
	EXPECT_EQ(t.touched, served + plain);
	EXPECT_EQ(0, atomic_load(&errors));
	EXPECT_EQ(0, hog.bad);
	EXPECT_GT(t.vmms, 0);
	EXPECT_GT(t.touched, 0);
	if (seconds >= 60) {
		/* Long enough that every kind of event happened. */
		EXPECT_GT(t.killed, 0);
		EXPECT_GT(t.completed, 0);
		EXPECT_GT(t.destroys, 0);
		EXPECT_GT(t.recordings, 0);
		EXPECT_GT(hog.runs, 0);
		EXPECT_GT(served, 0);
	}

	cleanup_dirs();
	/* Torn down: nothing staged, nothing held (pools go in a worker). */
	for (i = 0; i < 200; i++) {
		staged = sa_debugfs_value("staged_pages ");
		mem = sa_debugfs_value("mem_pages ");
		if (!staged && !mem)
			break;
		usleep(50000);
	}
	TH_LOG("after teardown: staged_pages %ld, mem_pages %ld", staged, mem);
	EXPECT_EQ(0, staged);
	EXPECT_EQ(0, mem);
	close(ctl);
}

/*
 * The harness's timeout is a compile-time constant; this test's budget is
 * SA_CHAOS_SECONDS, so its timeout follows it (plus the teardown).
 */
int main(int argc, char **argv)
{
	_chaos_soak_object.timeout =
		sa_env_ulong("SA_CHAOS_SECONDS", 120) + 300;
	return test_harness_run(argc, argv);
}
