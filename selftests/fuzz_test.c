// SPDX-License-Identifier: GPL-2.0
/*
 * A bounded random ioctl fuzzer with an exact model.
 *
 * Random commands (including unknown ones and model blobs with every kind of
 * defect), struct sizes, flags, reserved
 * fields, group ids, pids and values; mostly valid so the state space gets
 * explored. A userspace model of the groups predicts every call's result,
 * 0 or the exact errno, following the check order of
 * Documentation/ioctl-api.rst; every call is compared with it, and at the
 * end every group's GET_STATS with the model.
 *
 * The seed is printed; set SHADOWALLOC_FUZZ_SEED or pass it as argv[1] to
 * replay a run. SHADOWALLOC_FUZZ_CALLS changes the number of calls.
 */
#include <sys/sysinfo.h>

#include "kselftest_harness.h"
#include "sa_test.h"

#define ID_BASE		300
#define NR_IDS		8
#define NR_VMS		4
#define ARG_SIZE_MAX	4096

static unsigned long fuzz_seed = 20261125;
static unsigned long fuzz_calls = 120000;

struct model_group {
	bool exists, enabled;
	uint32_t max_vms, horizon_ms;
	uint64_t max_staged;
	unsigned int members;		/* bitmap of VM indices */
};

struct fuzz {
	int fd;
	uint64_t rng;
	struct model_group g[NR_IDS];
	int member_of[NR_VMS];		/* group index or -1 */
	pid_t vms[NR_VMS];
	pid_t nopid;
	unsigned long max_groups, max_vms, default_mb;
	uint64_t ram_bytes;
	unsigned int nr_groups;
	/* model blobs: the last one exported, and room for a bad one */
	uint32_t blob_size;
	uint8_t good[SHADOWALLOC_MODEL_BLOB_MAX];
	uint8_t blob[SHADOWALLOC_MODEL_BLOB_MAX + 16];
	/* statistics */
	unsigned long calls[10];
	/* the size encoded in the next command (_IOC_SIZE), see pick_size() */
	uint32_t cmd_size;
	/* the argument buffer: room for oversized structs */
	uint8_t buf[ARG_SIZE_MAX + 64] __attribute__((aligned(8)));
};

static uint64_t rnd(struct fuzz *f)
{
	/* xorshift64*: reproducible from the seed on every libc */
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return f->rng * 2685821657736338717ULL;
}

static uint64_t below(struct fuzz *f, uint64_t n)
{
	return rnd(f) % n;
}

static bool chance(struct fuzz *f, unsigned int percent)
{
	return below(f, 100) < percent;
}

/* A group id: mostly from the model's range, sometimes invalid or foreign. */
static uint32_t pick_id(struct fuzz *f, int *idx)
{
	static const uint32_t wild[] = { 0, 0x80000000u, 0xffffffffu };

	*idx = -1;
	if (chance(f, 92)) {
		*idx = below(f, NR_IDS);
		return ID_BASE + *idx;
	}
	return wild[below(f, 3)];
}

static bool id_valid(uint32_t id)
{
	return id >= SHADOWALLOC_GROUP_ID_MIN && id <= SHADOWALLOC_GROUP_ID_MAX;
}

/* A pid: mostly one of our VMs, sometimes bad. Returns the VM index. */
static pid_t pick_pid(struct fuzz *f, int *vm)
{
	*vm = -1;
	if (chance(f, 90)) {
		*vm = below(f, NR_VMS);
		return f->vms[*vm];
	}
	switch (below(f, 3)) {
	case 0: return 0;
	case 1: return -(pid_t)below(f, 1000) - 1;
	default: return f->nopid;
	}
}

/*
 * Lay out an argument of @ksize bytes in f->buf with a random size, as a
 * caller built against another version of the struct would: the size goes
 * into the size field and into the command (fuzz_cmd()), or, once in a
 * while, the two disagree. Returns the errno the size (and tail) must
 * produce, or 0.
 */
static int pick_size(struct fuzz *f, uint32_t ksize, uint32_t ver0,
		     bool check_tail)
{
	uint32_t *size = (uint32_t *)f->buf;
	int want = 0;

	memset(f->buf, 0, sizeof(f->buf));
	if (chance(f, 85)) {
		*size = ksize;
		f->cmd_size = *size;
		return 0;
	}
	switch (below(f, 6)) {
	case 0:
		*size = below(f, ver0);
		want = -EINVAL;
		break;
	case 1:
		*size = ksize + 8 + below(f, 64);
		break;
	case 2:
		*size = ksize + 8 + below(f, 56);
		f->buf[*size - 1 - below(f, *size - ksize)] = 1 + below(f, 255);
		want = check_tail ? -E2BIG : 0;
		break;
	case 3:
		/* the largest size a command can encode is _IOC_SIZEMASK */
		*size = ARG_SIZE_MAX + 1 + below(f, _IOC_SIZEMASK - ARG_SIZE_MAX);
		want = -E2BIG;
		break;
	case 4:
		/* the size field says another size than the command */
		*size = ksize;
		f->cmd_size = ksize + 8 * (1 + below(f, 8));
		return -EINVAL;
	default:
		*size = ver0;
		break;
	}
	f->cmd_size = *size;
	return want;
}

/* @cmd as built from the struct size pick_size() chose. */
static unsigned long fuzz_cmd(const struct fuzz *f, unsigned long cmd)
{
	return _IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd), f->cmd_size);
}

/* Maybe set a flag bit or a reserved word; returns -EINVAL if it did. */
static int pick_junk(struct fuzz *f, __u32 *flags, __u64 *reserved,
		     unsigned int nr_reserved, __u32 *reserved0)
{
	if (chance(f, 94))
		return 0;
	switch (below(f, 3)) {
	case 0:
		*flags = 1u << below(f, 32);
		break;
	case 1:
		if (reserved0) {
			*reserved0 = 1 + below(f, 1000);
			break;
		}
		/* fall through */
	default:
		reserved[below(f, nr_reserved)] = 1ULL << below(f, 64);
		break;
	}
	return -EINVAL;
}

static int model_create(struct fuzz *f, int idx, uint32_t id,
			struct shadowalloc_group_create *c)
{
	if (!id_valid(id) || c->max_vms > f->max_vms)
		return -EINVAL;
	if (c->max_staged_bytes && ((c->max_staged_bytes & 4095) ||
				    c->max_staged_bytes > f->ram_bytes))
		return -EINVAL;
	if (c->horizon_ms && (c->horizon_ms < SHADOWALLOC_HORIZON_MIN_MS ||
			      c->horizon_ms > SHADOWALLOC_HORIZON_MAX_MS))
		return -ERANGE;
	if (idx < 0)	/* a valid id outside the model's range: none here */
		return -EINVAL;
	if (f->g[idx].exists)
		return -EEXIST;
	if (f->nr_groups >= f->max_groups)
		return -ENOSPC;
	f->g[idx] = (struct model_group){
		.exists = true,
		.max_vms = c->max_vms ?: f->max_vms,
		.horizon_ms = c->horizon_ms ?: SHADOWALLOC_HORIZON_DEFAULT_MS,
		.max_staged = c->max_staged_bytes ?: (uint64_t)f->default_mb << 20,
	};
	f->nr_groups++;
	return 0;
}

static int do_create(struct fuzz *f)
{
	struct shadowalloc_group_create *c = (void *)f->buf;
	int idx, want;
	uint32_t id;

	want = pick_size(f, sizeof(*c), SHADOWALLOC_GROUP_CREATE_SIZE_VER0, true);
	id = pick_id(f, &idx);
	c->group_id = id;
	if (chance(f, 30))
		c->max_vms = below(f, f->max_vms + 2);
	if (chance(f, 20)) {
		switch (below(f, 3)) {
		case 0: c->max_staged_bytes = (1 + below(f, 1024)) << 12; break;
		case 1: c->max_staged_bytes = 1 + below(f, 1 << 20); break;
		default: c->max_staged_bytes = 1ULL << (40 + below(f, 24)); break;
		}
	}
	if (chance(f, 20))
		c->horizon_ms = below(f, 2) ? 100 + below(f, 3600000 - 99) :
					      below(f, 100);
	if (!want)
		want = pick_junk(f, &c->flags, c->reserved, 4, &c->reserved0);
	if (!want)
		want = model_create(f, idx, id, c);
	return __sa_ioctl(f->fd, fuzz_cmd(f, SHADOWALLOC_IOC_GROUP_CREATE), f->buf) == want ?
	       0 : want - 1000;
}

/* DESTROY, ENABLE, DISABLE */
static int do_group_arg(struct fuzz *f, unsigned long cmd)
{
	struct shadowalloc_group_arg *a = (void *)f->buf;
	struct model_group *g;
	int idx, want;

	want = pick_size(f, sizeof(*a), SHADOWALLOC_GROUP_ARG_SIZE_VER0, true);
	a->group_id = pick_id(f, &idx);
	if (!want)
		want = pick_junk(f, &a->flags, a->reserved, 2, &a->reserved0);
	if (!want && !id_valid(a->group_id))
		want = -EINVAL;
	if (!want && (idx < 0 || !f->g[idx].exists))
		want = -ENOENT;
	if (!want) {
		g = &f->g[idx];
		if (cmd == SHADOWALLOC_IOC_GROUP_DESTROY) {
			if (g->members) {
				want = -ENOTEMPTY;
			} else {
				g->exists = false;
				f->nr_groups--;
			}
		} else {
			bool enable = cmd == SHADOWALLOC_IOC_SHADOW_ENABLE;

			if (g->enabled == enable)
				want = -EALREADY;
			else
				g->enabled = enable;
		}
	}
	return __sa_ioctl(f->fd, fuzz_cmd(f, cmd), f->buf) == want ? 0 : want - 1000;
}

/* ADD_VM, REMOVE_VM */
static int do_vm(struct fuzz *f, bool add)
{
	struct shadowalloc_group_vm *v = (void *)f->buf;
	int idx, vm, want;

	want = pick_size(f, sizeof(*v), SHADOWALLOC_GROUP_VM_SIZE_VER0, true);
	v->group_id = pick_id(f, &idx);
	v->pid = pick_pid(f, &vm);
	if (!want)
		want = pick_junk(f, &v->flags, v->reserved, 2, NULL);
	if (want == -EINVAL && v->flags == SHADOWALLOC_GROUP_VM_PIDFD) {
		/*
		 * The one valid flag: @pid is a pidfd. A pid number is no
		 * open pidfd of this process (0 is stdin): -EBADF once the
		 * id and the group pass, and nothing changes.
		 */
		if (!id_valid(v->group_id) || v->pid < 0)
			want = -EINVAL;
		else if (idx < 0 || !f->g[idx].exists)
			want = -ENOENT;
		else
			want = -EBADF;
	}
	if (!want && (!id_valid(v->group_id) || v->pid <= 0))
		want = -EINVAL;
	if (!want && (idx < 0 || !f->g[idx].exists))
		want = -ENOENT;
	if (!want && vm < 0)
		want = -ESRCH;
	if (!want && add) {
		if (f->member_of[vm] == idx)
			want = -EEXIST;
		else if (f->member_of[vm] >= 0)
			want = -EBUSY;
		else if ((unsigned int)__builtin_popcount(f->g[idx].members) >=
			 f->g[idx].max_vms)
			want = -ENOSPC;
		else {
			f->member_of[vm] = idx;
			f->g[idx].members |= 1u << vm;
		}
	} else if (!want) {
		if (f->member_of[vm] != idx) {
			want = -ENXIO;
		} else {
			f->member_of[vm] = -1;
			f->g[idx].members &= ~(1u << vm);
		}
	}
	return __sa_ioctl(f->fd, fuzz_cmd(f, add ? SHADOWALLOC_IOC_GROUP_ADD_VM :
			SHADOWALLOC_IOC_GROUP_REMOVE_VM), f->buf) == want ?
	       0 : want - 1000;
}

static int do_horizon(struct fuzz *f)
{
	struct shadowalloc_horizon *h = (void *)f->buf;
	int idx, want;

	want = pick_size(f, sizeof(*h), SHADOWALLOC_HORIZON_SIZE_VER0, true);
	h->group_id = pick_id(f, &idx);
	h->horizon_ms = chance(f, 80) ? 100 + below(f, 3600000 - 99) :
					below(f, 2) ? below(f, 100) :
					3600001 + below(f, 1u << 30);
	if (!want)
		want = pick_junk(f, &h->flags, h->reserved, 2, NULL);
	if (!want && !id_valid(h->group_id))
		want = -EINVAL;
	if (!want && (h->horizon_ms < SHADOWALLOC_HORIZON_MIN_MS ||
		      h->horizon_ms > SHADOWALLOC_HORIZON_MAX_MS))
		want = -ERANGE;
	if (!want && (idx < 0 || !f->g[idx].exists))
		want = -ENOENT;
	if (!want)
		f->g[idx].horizon_ms = h->horizon_ms;
	return __sa_ioctl(f->fd, fuzz_cmd(f, SHADOWALLOC_IOC_SET_HORIZON), f->buf) == want ?
	       0 : want - 1000;
}

/* Compare a group's GET_STATS with the model; 0 if they agree. */
static int check_stats(struct fuzz *f, int idx, const struct shadowalloc_stats *st)
{
	const struct model_group *g = &f->g[idx];

	if (st->group_id != ID_BASE + (uint32_t)idx ||
	    !!(st->state & SHADOWALLOC_STATE_ENABLED) != g->enabled ||
	    st->nr_vms != (uint32_t)__builtin_popcount(g->members) ||
	    st->max_vms != g->max_vms || st->horizon_ms != g->horizon_ms ||
	    st->max_staged_bytes != g->max_staged)
		return -1;
	return 0;
}

static int do_stats(struct fuzz *f)
{
	struct shadowalloc_stats *st = (void *)f->buf;
	int idx, want, ret;
	uint32_t id;

	/* GET_STATS ignores the tail of its (output) struct. */
	want = pick_size(f, sizeof(*st), SHADOWALLOC_STATS_SIZE_VER0, false);
	id = pick_id(f, &idx);
	st->group_id = id;
	if (!want && chance(f, 5)) {
		st->flags = 1u << below(f, 32);
		want = -EINVAL;
	}
	if (!want && !id_valid(id))
		want = -EINVAL;
	if (!want && (idx < 0 || !f->g[idx].exists))
		want = -ENOENT;
	ret = __sa_ioctl(f->fd, fuzz_cmd(f, SHADOWALLOC_IOC_GET_STATS), f->buf);
	if (ret != want)
		return want - 1000;
	return want ? 0 : check_stats(f, idx, st) ? -2000 : 0;
}

/*
 * MODEL_EXPORT, or MODEL_IMPORT of the last exported blob, intact or with
 * one defect: truncated or extended, bad magic, another version, a flipped
 * payload byte, a length of 0 or above the maximum.
 */
static int do_model(struct fuzz *f)
{
	struct shadowalloc_model *m = (void *)f->buf;
	bool export = below(f, 2);
	int idx, want, ret;
	uint32_t len;

	want = pick_size(f, sizeof(*m), SHADOWALLOC_MODEL_SIZE_VER0, true);
	m->group_id = pick_id(f, &idx);
	if (!want)
		want = pick_junk(f, &m->flags, m->reserved, 2, NULL);
	if (!want && !id_valid(m->group_id))
		want = -EINVAL;
	m->blob = (uintptr_t)f->blob;
	if (export) {
		len = chance(f, 80) ? SHADOWALLOC_MODEL_BLOB_MAX :
				      (uint32_t)below(f, SHADOWALLOC_MODEL_BLOB_MAX);
		m->blob_len = len;
		if (!want && len < f->blob_size)
			want = -ENOSPC;
		if (!want && (idx < 0 || !f->g[idx].exists))
			want = -ENOENT;
		ret = __sa_ioctl(f->fd, fuzz_cmd(f, SHADOWALLOC_IOC_MODEL_EXPORT), f->buf);
		if (!ret && !want) {
			if (m->blob_len != f->blob_size)
				return -4000;
			memcpy(f->good, f->blob, f->blob_size);
		}
		return ret == want ? 0 : want - 1000;
	}

	len = f->blob_size;
	memcpy(f->blob, f->good, len);
	switch (below(f, 8)) {
	case 0:	/* truncated or extended: the size does not match */
		len = below(f, 2) ? len - 1 - below(f, len - 1) : len + 1 + below(f, 15);
		if (!want)
			want = -EINVAL;
		break;
	case 1:	/* bad magic */
		f->blob[below(f, 4)] ^= 1 + below(f, 255);
		if (!want)
			want = -EINVAL;
		break;
	case 2:	/* another version */
		f->blob[4] ^= 1 + below(f, 255);
		if (!want)
			want = -EPROTONOSUPPORT;
		break;
	case 3:	/* a flipped payload byte */
		f->blob[16 + below(f, len - 16)] ^= 1 << below(f, 8);
		if (!want)
			want = -EBADMSG;
		break;
	case 4:	/* no blob, or too long a one */
		len = below(f, 2) ? 0 : SHADOWALLOC_MODEL_BLOB_MAX + 1 + below(f, 8);
		if (!want)
			want = -EINVAL;
		break;
	default:
		break;
	}
	m->blob_len = len;
	if (!want && (idx < 0 || !f->g[idx].exists))
		want = -ENOENT;
	return __sa_ioctl(f->fd, fuzz_cmd(f, SHADOWALLOC_IOC_MODEL_IMPORT), f->buf) == want ?
	       0 : want - 1000;
}

static int do_bogus(struct fuzz *f)
{
	static const unsigned long cmds[] = {
		_IO(SHADOWALLOC_IOC_MAGIC, 0),
		_IOR(SHADOWALLOC_IOC_MAGIC, 0x01, struct shadowalloc_group_create),
		_IOR(SHADOWALLOC_IOC_MAGIC, 0x08, struct shadowalloc_stats),
		_IOW(SHADOWALLOC_IOC_MAGIC, 0x7e, struct shadowalloc_group_arg),
		_IOWR(0x42, 0x08, struct shadowalloc_stats),
		0,
	};

	memset(f->buf, 0xff, 64);
	return __sa_ioctl(f->fd, cmds[below(f, 6)], f->buf) == -ENOTTY ? 0 : -3000;
}

/* A first blob, and its size, from a group outside the model. */
static int first_blob(struct fuzz *f)
{
	struct shadowalloc_model m = {
		.size = sizeof(m), .group_id = ID_BASE + NR_IDS,
		.blob_len = sizeof(f->good), .blob = (uintptr_t)f->good,
	};
	int ret;

	__sa_destroy(f->fd, ID_BASE + NR_IDS);
	ret = __sa_create(f->fd, ID_BASE + NR_IDS, 0, 0, 0);
	if (!ret)
		ret = __sa_ioctl(f->fd, SHADOWALLOC_IOC_MODEL_EXPORT, &m);
	f->blob_size = m.blob_len;
	__sa_destroy(f->fd, ID_BASE + NR_IDS);
	return ret;
}

static const char * const op_names[] = {
	"create", "destroy", "add_vm", "remove_vm", "enable", "disable",
	"horizon", "stats", "model", "bogus",
};

FIXTURE(fuzz) {};
FIXTURE_SETUP(fuzz) {}
FIXTURE_TEARDOWN(fuzz) {}

/* Under TCG an ioctl costs tens of microseconds: allow a few minutes. */
TEST_F_TIMEOUT(fuzz, model_checked, 600)
{
	struct fuzz *f;
	struct sysinfo si;
	unsigned long i, mismatches = 0, old_max_groups;
	char param[32];
	char *env = getenv("SHADOWALLOC_FUZZ_SEED");
	int j;

	if (env)
		fuzz_seed = strtoul(env, NULL, 0);
	env = getenv("SHADOWALLOC_FUZZ_CALLS");
	if (env)
		fuzz_calls = strtoul(env, NULL, 0);
	TH_LOG("seed: %lu (replay with SHADOWALLOC_FUZZ_SEED=%lu), calls: %lu",
	       fuzz_seed, fuzz_seed, fuzz_calls);

	f = calloc(1, sizeof(*f));
	ASSERT_NE(NULL, f);
	f->rng = fuzz_seed * 0x9e3779b97f4a7c15ULL + 1;
	f->fd = open(SA_DEV, O_RDWR);
	if (f->fd < 0)
		SKIP(return, "%s: %s", SA_DEV, strerror(errno));
	ASSERT_EQ(0, __sa_read_param("max_groups", &f->max_groups));
	ASSERT_EQ(0, __sa_read_param("max_vms_per_group", &f->max_vms));
	ASSERT_EQ(0, __sa_read_param("default_max_staged_mb", &f->default_mb));
	ASSERT_EQ(0, sysinfo(&si));
	f->ram_bytes = (uint64_t)si.totalram * si.mem_unit;
	/* Fewer groups allowed than ids used, so ENOSPC happens too. */
	old_max_groups = f->max_groups;
	ASSERT_EQ(0, __sa_write_param("max_groups", "6"));
	f->max_groups = 6;
	for (j = 0; j < NR_VMS; j++) {
		f->vms[j] = sa_spawn_vm();
		ASSERT_GT(f->vms[j], 0);
		f->member_of[j] = -1;
	}
	f->nopid = sa_free_pid();
	ASSERT_GT(f->nopid, 0);
	for (j = 0; j < NR_IDS; j++)
		__sa_destroy(f->fd, ID_BASE + j);
	ASSERT_EQ(0, first_blob(f));
	ASSERT_GT(f->blob_size, 16);

	for (i = 0; i < fuzz_calls; i++) {
		unsigned int op = below(f, 10);
		int ret;

		switch (op) {
		case 0: ret = do_create(f); break;
		case 1: ret = do_group_arg(f, SHADOWALLOC_IOC_GROUP_DESTROY); break;
		case 2: ret = do_vm(f, true); break;
		case 3: ret = do_vm(f, false); break;
		case 4: ret = do_group_arg(f, SHADOWALLOC_IOC_SHADOW_ENABLE); break;
		case 5: ret = do_group_arg(f, SHADOWALLOC_IOC_SHADOW_DISABLE); break;
		case 6: ret = do_horizon(f); break;
		case 7: ret = do_stats(f); break;
		case 8: ret = do_model(f); break;
		default: ret = do_bogus(f); break;
		}
		f->calls[op]++;
		if (ret && mismatches++ < 10)
			TH_LOG("call %lu (%s): kernel and model disagree (%d)",
			       i, op_names[op], ret);
	}
	EXPECT_EQ(0, mismatches);

	/* Final state: every group as the model says. */
	for (j = 0; j < NR_IDS; j++) {
		struct shadowalloc_stats st;
		int ret = __sa_stats(f->fd, ID_BASE + j, &st);

		if (f->g[j].exists) {
			ASSERT_EQ(0, ret);
			EXPECT_EQ(0, check_stats(f, j, &st))
				TH_LOG("group %d differs from the model", ID_BASE + j);
		} else {
			ASSERT_EQ(-ENOENT, ret);
		}
	}
	for (j = 0; j < 10; j++)
		TH_LOG("%-9s %lu calls", op_names[j], f->calls[j]);

	/* Cleanup. */
	for (j = 0; j < NR_VMS; j++)
		sa_reap_vm(f->vms[j]);
	for (j = 0; j < NR_IDS; j++) {
		int ret = __sa_destroy(f->fd, ID_BASE + j);

		EXPECT_EQ(f->g[j].exists ? 0 : -ENOENT, ret);
	}
	snprintf(param, sizeof(param), "%lu", old_max_groups);
	EXPECT_EQ(0, __sa_write_param("max_groups", param));
	close(f->fd);
	free(f);
}

TEST_HARNESS_MAIN
