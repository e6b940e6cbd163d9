// SPDX-License-Identifier: GPL-2.0
/*
 * shadowallocfs as a shared host sees it: mount options and their bad
 * input, who may create files, the size= and nr_inodes= bounds, membership
 * by object (group=, MEM_BIND, fd passing, ADD_VM by pidfd), read-only
 * shared mappings, fault-around, and discarded data never reaching another
 * group.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <linux/falloc.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "sa_test.h"

#define G1 601
#define G2 602
#define PAGE 4096UL
#define NOBODY 65534
#define DIR1 "/tmp/safs-test1"
#define DIR2 "/tmp/safs-test2"

static sigjmp_buf sigbus_jmp;

static void on_sigbus(int sig)
{
	siglongjmp(sigbus_jmp, 1);
}

/* Touch (write) a page; false if that raised SIGBUS. */
static bool touch(volatile char *p, char v)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	bool ok = true;

	sigaction(SIGBUS, &sa, NULL);
	if (!sigsetjmp(sigbus_jmp, 1))
		*p = v;
	else
		ok = false;
	signal(SIGBUS, SIG_DFL);
	return ok;
}

static int mount_fs(const char *dir, const char *opts)
{
	mkdir(dir, 0700);
	return mount("none", dir, "shadowallocfs", 0, opts) ? -errno : 0;
}

static bool is_shadowallocfs(const char *dir)
{
	struct statfs sf;

	return !statfs(dir, &sf) && sf.f_type == SHADOWALLOCFS_MAGIC;
}

/* Create a file of @pages pages on @dir, as the caller. */
static int create_file(const char *dir, const char *name, unsigned long pages)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return -errno;
	if (pages && ftruncate(fd, pages * PAGE)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Run @fn in a child as nobody; its exit status (0: passed). */
static int as_nobody(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(100);
		_exit(fn(arg));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int send_fd(int sock, int fd)
{
	char byte = 0, buf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char byte, buf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/*
 * A small VMM in a child: receives a memory fd over @sock, maps it, then
 * for every byte it reads from @sock touches that many pages more (writing
 * 0x5a) and answers with one byte; exits at EOF.
 */
static pid_t spawn_fd_vmm(int *sock_out, unsigned long pages)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -1;
	pid = fork();
	if (pid == 0) {
		unsigned char n;
		unsigned long done = 0, i;
		volatile char *p;
		int fd;

		close(sv[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = recv_fd(sv[1]);
		if (fd < 0)
			_exit(1);
		p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			_exit(2);
		if (write(sv[1], "m", 1) != 1)
			_exit(3);
		while (read(sv[1], &n, 1) == 1) {
			for (i = 0; i < n && done < pages; i++, done++)
				p[done * PAGE] = 0x5a;
			if (write(sv[1], "t", 1) != 1)
				_exit(4);
		}
		_exit(0);
	}
	close(sv[1]);
	*sock_out = sv[0];
	return pid;
}

/* Ask the fd VMM to touch @n more pages; 0 once it has. */
static int vmm_touch(int sock, unsigned char n)
{
	char c;

	if (write(sock, &n, 1) != 1 || read(sock, &c, 1) != 1)
		return -1;
	return 0;
}

static void finish_vmm(pid_t pid, int sock)
{
	close(sock);
	waitpid(pid, NULL, 0);
}

FIXTURE(memfs) {
	int fd;
};

FIXTURE_SETUP(memfs)
{
	self->fd = open(SA_DEV, O_RDWR);
	if (self->fd < 0)
		SKIP(return, "%s: %s", SA_DEV, strerror(errno));
	__sa_remove_vm(self->fd, G1, getpid());
	__sa_destroy(self->fd, G1);
	__sa_destroy(self->fd, G2);
	ASSERT_EQ(0, __sa_create(self->fd, G1, 0, 0, 0));
	ASSERT_EQ(0, __sa_create(self->fd, G2, 0, 0, 0));
}

FIXTURE_TEARDOWN(memfs)
{
	if (self->fd < 0)
		return;
	umount2(DIR1, MNT_DETACH);
	umount2(DIR2, MNT_DETACH);
	rmdir(DIR1);
	rmdir(DIR2);
	__sa_remove_vm(self->fd, G1, getpid());
	__sa_destroy(self->fd, G1);
	__sa_destroy(self->fd, G2);
	close(self->fd);
}

TEST_F(memfs, root_defaults_to_0755_of_the_mounter)
{
	struct stat st;

	ASSERT_EQ(0, mount_fs(DIR1, NULL));
	ASSERT_EQ(0, stat(DIR1, &st));
	EXPECT_EQ(S_IFDIR | 0755, st.st_mode);
	EXPECT_EQ(getuid(), st.st_uid);
	EXPECT_EQ(getgid(), st.st_gid);
	ASSERT_EQ(0, umount(DIR1));

	ASSERT_EQ(0, mount_fs(DIR1, "mode=1777,uid=65534,gid=65534"));
	ASSERT_EQ(0, stat(DIR1, &st));
	EXPECT_EQ(S_IFDIR | 01777, st.st_mode);
	EXPECT_EQ(NOBODY, st.st_uid);
	EXPECT_EQ(NOBODY, st.st_gid);
}

/* The options of the mount at @dir in /proc/self/mountinfo, or "". */
static void mount_options(const char *dir, char *opts, size_t len)
{
	char line[1024], mnt[256], super[512];
	FILE *f = fopen("/proc/self/mountinfo", "r");

	opts[0] = 0;
	while (f && fgets(line, sizeof(line), f)) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - TYPE SOURCE SUPER */
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %255s", mnt) != 1 ||
		    strcmp(mnt, dir) ||
		    sscanf(sep, " - %*s %*s %511s", super) != 1)
			continue;
		snprintf(opts, len, "%s", super);
	}
	if (f)
		fclose(f);
}

/* /proc/mounts shows every bound, as tmpfs does: what apply compares. */
TEST_F(memfs, options_shown_in_mountinfo)
{
	char opts[512];

	ASSERT_EQ(0, mount_fs(DIR1, "mode=0750,uid=65534,gid=65534,size=64m,nr_inodes=10,group=77"));
	mount_options(DIR1, opts, sizeof(opts));
	TH_LOG("%s: %s", DIR1, opts);
	EXPECT_STREQ("rw,mode=750,uid=65534,gid=65534,size=65536k,nr_inodes=10,group=77",
		     opts);
	ASSERT_EQ(0, umount(DIR1));

	/* Defaults: 0755, the mounter (root), half of RAM, no group. */
	ASSERT_EQ(0, mount_fs(DIR1, NULL));
	mount_options(DIR1, opts, sizeof(opts));
	TH_LOG("%s: %s", DIR1, opts);
	EXPECT_EQ(0, strncmp(opts, "rw,mode=755,size=", 17));
	EXPECT_EQ(NULL, strstr(opts, "group="));
	EXPECT_EQ(NULL, strstr(opts, "uid="));
}

TEST_F(memfs, bad_mount_options_mount_nothing)
{
	static const char *const bad[] = {
		"mode=8", "mode=17777", "mode=abc", "size=0", "size=abc",
		"size=1x", "size=1", "size=100000g", "nr_inodes=0",
		"nr_inodes=3q", "nr_inodes=9999999999", "group=0",
		"group=2147483648", "group=x", "uid=abc", "gid=-", "bogus=1",
		"size",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, mount_fs(DIR1, bad[i]))
			TH_LOG("mount -o %s", bad[i]);
		EXPECT_FALSE(is_shadowallocfs(DIR1)) TH_LOG("-o %s", bad[i]);
		if (is_shadowallocfs(DIR1))
			umount(DIR1);
	}
}

static int try_create(void *dir)
{
	int fd = create_file(dir, "mine", 0);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return fd == -EACCES ? 1 : 2;
}

TEST_F(memfs, unprivileged_user_cannot_create_on_default_mount)
{
	ASSERT_EQ(0, mount_fs(DIR1, NULL));
	chmod("/tmp", 01777);
	EXPECT_EQ(1, as_nobody(try_create, DIR1));
	ASSERT_EQ(0, umount(DIR1));
	/* The check is the directory's mode: an open mount lets them. */
	ASSERT_EQ(0, mount_fs(DIR1, "mode=1777"));
	EXPECT_EQ(0, as_nobody(try_create, DIR1));
}

/* As nobody on a mode=1777,size=64k mount: 16 pages, then SIGBUS. */
static int fill_past_size(void *dir)
{
	volatile char *p;
	unsigned long i;
	int fd = create_file(dir, "big", 32);

	if (fd < 0)
		return 10;
	p = mmap(NULL, 32 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 11;
	for (i = 0; i < 16; i++)
		if (!touch(p + i * PAGE, 1))
			return 12;
	if (touch(p + 16 * PAGE, 1))
		return 13;	/* beyond size= and no SIGBUS */
	/* Giving a page back makes room for one. */
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, PAGE))
		return 14;
	if (!touch(p + 16 * PAGE, 1))
		return 15;
	if (touch(p + 17 * PAGE, 1))
		return 16;
	return 0;
}

TEST_F(memfs, size_bounds_every_user)
{
	volatile char *p;
	int fd;

	ASSERT_EQ(0, mount_fs(DIR1, "mode=1777,size=64k"));
	EXPECT_EQ(0, as_nobody(fill_past_size, DIR1));
	/* Root is bound too: the mount is full. */
	fd = create_file(DIR1, "root", 1);
	ASSERT_GE(fd, 0);
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_FALSE(touch(p, 1));
	munmap((void *)p, PAGE);
	close(fd);
	ASSERT_EQ(0, umount(DIR1));
	EXPECT_EQ(0, sa_debugfs_value("mem_pages "));
}

/* Less than 2 MiB left under size=: a 2 MiB-eligible touch gets 4 KiB. */
TEST_F(memfs, size_limit_falls_back_to_4k)
{
	struct shadowalloc_stats st;
	volatile char *p;
	unsigned long i;
	char opts[64];
	int fd;

	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_HUGE, 0, 0, 1));
	ASSERT_EQ(0, __sa_enable(self->fd, G1));
	snprintf(opts, sizeof(opts), "group=%u,size=1m", G1);
	ASSERT_EQ(0, mount_fs(DIR1, opts));
	fd = create_file(DIR1, "ram", 1024);
	ASSERT_GE(fd, 0);
	p = mmap(NULL, 1024 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, madvise((void *)p, 1024 * PAGE, MADV_HUGEPAGE));
	EXPECT_TRUE(touch(p, 1)) TH_LOG("SIGBUS with 1 MiB of room left");
	for (i = 1; i < 256; i++)
		ASSERT_TRUE(touch(p + i * PAGE, 1)) TH_LOG("page %lu", i);
	EXPECT_FALSE(touch(p + 256 * PAGE, 1));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(0, st.hits_huge);
	munmap((void *)p, 1024 * PAGE);
	close(fd);
}

TEST_F(memfs, nr_inodes_bounds_files)
{
	char path[64];
	int a, b;

	ASSERT_EQ(0, mount_fs(DIR1, "nr_inodes=2"));
	a = create_file(DIR1, "a", 0);
	b = create_file(DIR1, "b", 0);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	EXPECT_EQ(-ENOSPC, create_file(DIR1, "c", 0));
	/* An unlinked file still counts until its last reference goes. */
	snprintf(path, sizeof(path), "%s/a", DIR1);
	ASSERT_EQ(0, unlink(path));
	EXPECT_EQ(-ENOSPC, create_file(DIR1, "c", 0));
	close(a);
	a = create_file(DIR1, "c", 0);
	EXPECT_GE(a, 0);
	close(a);
	close(b);
}

TEST_F(memfs, group_option_serves_fd_passed_file)
{
	struct shadowalloc_mem_bind b;
	struct shadowalloc_stats st;
	char opts[32];
	int ffd, sock;
	char c;
	pid_t vmm;

	/* Neither this process nor the VMM is a member of any group. */
	ASSERT_EQ(0, __sa_stage(self->fd, G1, 64));
	snprintf(opts, sizeof(opts), "group=%u", G1);
	ASSERT_EQ(0, mount_fs(DIR1, opts));
	ffd = create_file(DIR1, "ram", 64);
	ASSERT_GE(ffd, 0);
	ASSERT_EQ(0, __sa_mem_bind(ffd, 0, 0, &b));
	EXPECT_EQ(G1, b.group_id);
	EXPECT_EQ(G1, b.serving_group_id);

	vmm = spawn_fd_vmm(&sock, 64);
	ASSERT_GT(vmm, 0);
	ASSERT_EQ(0, send_fd(sock, ffd));
	ASSERT_EQ(1, read(sock, &c, 1));
	ASSERT_EQ(0, vmm_touch(sock, 32));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(32, st.hits);
	EXPECT_EQ(0, st.misses);
	ASSERT_EQ(0, __sa_mem_bind(ffd, 0, 0, &b));
	EXPECT_EQ(32, b.pages);
	finish_vmm(vmm, sock);
	close(ffd);
}

static int bind_as_nobody(void *fdp)
{
	return __sa_mem_bind(*(int *)fdp, SHADOWALLOC_MEM_BIND_SET, G1,
			     NULL) == -EPERM ? 0 : 1;
}

TEST_F(memfs, mem_bind_moves_an_object_and_bad_input_changes_nothing)
{
	struct shadowalloc_mem_bind b;
	struct shadowalloc_stats st;
	volatile char *p;
	unsigned long i;
	int mfd;

	ASSERT_EQ(0, __sa_stage(self->fd, G1, 64));
	mfd = open(SA_DEV, O_RDWR);	/* an object of its own */
	ASSERT_GE(mfd, 0);
	p = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, p);

	ASSERT_EQ(0, __sa_mem_bind(mfd, 0, 0, &b));
	EXPECT_EQ(0, b.group_id);
	EXPECT_EQ(0, b.serving_group_id);
	EXPECT_EQ(-EINVAL, __sa_mem_bind(mfd, 2, G1, NULL));
	EXPECT_EQ(-EINVAL, __sa_mem_bind(mfd, SHADOWALLOC_MEM_BIND_SET,
					 SHADOWALLOC_GROUP_ID_MAX + 1, NULL));
	EXPECT_EQ(-ENOENT, __sa_mem_bind(mfd, SHADOWALLOC_MEM_BIND_SET, 42,
					 NULL));
	EXPECT_EQ(0, as_nobody(bind_as_nobody, &mfd));
	ASSERT_EQ(0, __sa_mem_bind(mfd, 0, 0, &b));
	EXPECT_EQ(0, b.group_id);

	/* Bound: hits. Unbound again: plain faults, the group sees none. */
	ASSERT_EQ(0, __sa_mem_bind(mfd, SHADOWALLOC_MEM_BIND_SET, G1, &b));
	EXPECT_EQ(G1, b.group_id);
	EXPECT_EQ(G1, b.serving_group_id);
	for (i = 0; i < 16; i++)
		p[i * PAGE] = 1;
	ASSERT_EQ(0, __sa_mem_bind(mfd, SHADOWALLOC_MEM_BIND_SET, 0, NULL));
	for (i = 16; i < 32; i++)
		p[i * PAGE] = 1;
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(16, st.hits);
	EXPECT_EQ(16, st.faults);
	munmap((void *)p, 64 * PAGE);
	close(mfd);
}

TEST_F(memfs, fs_file_takes_only_memory_commands)
{
	struct shadowalloc_stats st = { .size = sizeof(st), .group_id = G1 };
	struct shadowalloc_api api = { .size = sizeof(api) };
	int ffd;

	ASSERT_EQ(0, mount_fs(DIR1, NULL));
	ffd = create_file(DIR1, "ram", 1);
	ASSERT_GE(ffd, 0);
	EXPECT_EQ(-ENOTTY, __sa_ioctl(ffd, SHADOWALLOC_IOC_GET_STATS, &st));
	EXPECT_EQ(-ENOTTY, __sa_ioctl(ffd, SHADOWALLOC_IOC_API, &api));
	EXPECT_EQ(0, __sa_mem_bind(ffd, 0, 0, NULL));
	close(ffd);
}

TEST_F(memfs, add_vm_by_pidfd_moves_the_objects_it_maps)
{
	struct shadowalloc_stats st;
	int ffd, sock, pidfd;
	pid_t vmm;
	char c;

	ASSERT_EQ(0, __sa_stage(self->fd, G1, 64));
	ASSERT_EQ(0, mount_fs(DIR1, NULL));	/* no group= */
	ffd = create_file(DIR1, "ram", 64);	/* created by a non-member */
	ASSERT_GE(ffd, 0);
	vmm = spawn_fd_vmm(&sock, 64);
	ASSERT_GT(vmm, 0);
	ASSERT_EQ(0, send_fd(sock, ffd));
	ASSERT_EQ(1, read(sock, &c, 1));

	/* Not bound, the creator in no group: plain faults. */
	ASSERT_EQ(0, vmm_touch(sock, 8));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(0, st.faults);

	pidfd = syscall(SYS_pidfd_open, vmm, 0);
	ASSERT_GE(pidfd, 0);
	/* Not a pidfd, not an fd: nothing joins. */
	EXPECT_EQ(-EBADF, __sa_vm_pidfd_op(self->fd, SHADOWALLOC_IOC_GROUP_ADD_VM,
					   G1, ffd));
	EXPECT_EQ(-EBADF, __sa_vm_pidfd_op(self->fd, SHADOWALLOC_IOC_GROUP_ADD_VM,
					   G1, 1000));
	EXPECT_EQ(-EINVAL, __sa_vm_pidfd_op(self->fd,
					    SHADOWALLOC_IOC_GROUP_ADD_VM, G1, -1));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(0, st.nr_vms);

	ASSERT_EQ(0, __sa_vm_pidfd_op(self->fd, SHADOWALLOC_IOC_GROUP_ADD_VM,
				      G1, pidfd));
	ASSERT_EQ(0, vmm_touch(sock, 16));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(1, st.nr_vms);
	EXPECT_EQ(16, st.hits);

	/* Leaving unbinds what it mapped: plain again. */
	ASSERT_EQ(0, __sa_vm_pidfd_op(self->fd,
				      SHADOWALLOC_IOC_GROUP_REMOVE_VM, G1, pidfd));
	ASSERT_EQ(0, vmm_touch(sock, 8));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(16, st.faults);
	finish_vmm(vmm, sock);
	close(pidfd);
	close(ffd);
}

TEST_F(memfs, shared_mapping_of_readonly_fd)
{
	char path[64];
	volatile char *w, *r;
	int ffd, ro;

	ASSERT_EQ(0, mount_fs(DIR1, NULL));
	ffd = create_file(DIR1, "ram", 4);
	ASSERT_GE(ffd, 0);
	w = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ffd, 0);
	ASSERT_NE(MAP_FAILED, w);
	w[PAGE] = 0x77;
	snprintf(path, sizeof(path), "%s/ram", DIR1);
	ro = open(path, O_RDONLY);
	ASSERT_GE(ro, 0);
	r = mmap(NULL, 4 * PAGE, PROT_READ, MAP_SHARED, ro, 0);
	ASSERT_NE(MAP_FAILED, r) TH_LOG("MAP_SHARED of O_RDONLY: %s",
					strerror(errno));
	EXPECT_EQ(0x77, r[PAGE]);
	EXPECT_EQ(0, r[0]);
	/* Still no private mappings. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, ro, 0));
	munmap((void *)r, 4 * PAGE);
	munmap((void *)w, 4 * PAGE);
	close(ro);
	close(ffd);
}

static long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

TEST_F(memfs, fault_around_maps_resident_neighbours)
{
	volatile char *a, *b;
	unsigned long i;
	long before;
	int ffd;

	ASSERT_EQ(0, mount_fs(DIR1, NULL));
	ffd = create_file(DIR1, "ram", 16);
	ASSERT_GE(ffd, 0);
	a = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ffd, 0);
	ASSERT_NE(MAP_FAILED, a);
	for (i = 0; i < 16; i++)
		a[i * PAGE] = i;
	/* A second mapping: one read fault maps the resident 64 KiB. */
	b = mmap(NULL, 16 * PAGE, PROT_READ, MAP_SHARED, ffd, 0);
	ASSERT_NE(MAP_FAILED, b);
	EXPECT_EQ(0, b[0]);
	before = minor_faults();
	for (i = 1; i < 16; i++)
		EXPECT_EQ(i, b[i * PAGE]);
	EXPECT_LT(minor_faults() - before, 15)
		TH_LOG("every page faulted: no fault-around");
	munmap((void *)b, 16 * PAGE);
	munmap((void *)a, 16 * PAGE);
	close(ffd);
}

TEST_F(memfs, discarded_data_reads_zero_in_another_group)
{
	const unsigned long n = 256;
	struct shadowalloc_stats st1, st2;
	volatile char *a, *b;
	char opts[32];
	unsigned long i, j;
	int fa, fb;

	ASSERT_EQ(0, __sa_stage(self->fd, G1, n));
	ASSERT_EQ(0, __sa_stage(self->fd, G2, n));
	snprintf(opts, sizeof(opts), "group=%u", G1);
	ASSERT_EQ(0, mount_fs(DIR1, opts));
	snprintf(opts, sizeof(opts), "group=%u", G2);
	ASSERT_EQ(0, mount_fs(DIR2, opts));

	fa = create_file(DIR1, "a", n);
	ASSERT_GE(fa, 0);
	a = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fa, 0);
	ASSERT_NE(MAP_FAILED, a);
	for (i = 0; i < n; i++)
		memset((char *)a + i * PAGE, 0xab, PAGE);
	ASSERT_EQ(0, fallocate(fa, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       0, n * PAGE));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st1));

	/* G2's VM gets its first touches from its own pool, all zero. */
	fb = create_file(DIR2, "b", 2 * n);
	ASSERT_GE(fb, 0);
	b = mmap(NULL, 2 * n * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fb, 0);
	ASSERT_NE(MAP_FAILED, b);
	for (i = 0; i < 2 * n; i++)
		for (j = 0; j < PAGE; j += 8)
			ASSERT_EQ(0, *(volatile uint64_t *)(b + i * PAGE + j))
				TH_LOG("page %lu byte %lu", i, j);
	/* A's range reads zero again too. */
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, a[i * PAGE + 17]);
	ASSERT_EQ(0, __sa_disable(self->fd, G2));	/* a still pool */
	ASSERT_EQ(0, __sa_stats(self->fd, G2, &st2));
	EXPECT_EQ(2 * n, st2.hits + st2.misses);
	EXPECT_EQ(st2.staged_total, st2.hit_pages + st2.staged_pages +
				     st2.evicted_pages);
	munmap((void *)a, n * PAGE);
	munmap((void *)b, 2 * n * PAGE);
	close(fa);
	close(fb);
}

TEST_HARNESS_MAIN
