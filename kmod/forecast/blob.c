// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc forecaster: the blob codec, a demand model as the versioned,
 * checksummed little-endian image MODEL_EXPORT writes and MODEL_IMPORT
 * validates. Documentation/forecast.rst describes the format.
 *
 * One function, sa_forecast_code(), walks the fields in blob order for
 * both directions, so the writer and the reader cannot disagree on the
 * layout; reading checks every value against what sa_forecast_observe()
 * can produce.
 *
 * Pure C, built into the module and into userspace (see internal.h).
 */
#include "internal.h"

/*
 * The blob: a 16-byte header (magic u32, version u32, size u32 of the
 * whole blob, checksum u32: FNV-1a over the payload), then the payload:
 * every field of struct sa_forecast_model in declaration order (nested
 * structs field by field), little-endian, without padding. Version 2
 * added the period detector, the launch profile, the experts and the
 * residuals, and dropped version 1's margin ring.
 */
#define SA_FORECAST_BLOB_HDR		16
#define SA_FORECAST_BLOB_PAYLOAD					\
	(SA_FORECAST_BANK * 32 + 4 + 4 + SA_FORECAST_WINDOW_MAX * 4 + 4 +	\
	 SA_FORECAST_WINDOW_MAX * 8 * 2 + 4 + 4 +			\
	 /* period */							\
	 SA_FORECAST_PERIOD_HIST * 4 + 4 + 4 + 8 +			\
	 (SA_FORECAST_PERIOD_MAX + 1) * 8 + 4 +				\
	 /* profile */							\
	 SA_FORECAST_PROFILE_AGES * 9 + 4 + 8 +				\
	 /* experts, residuals, error sums */				\
	 4 + SA_FORECAST_EXPERTS * 8 +					\
	 SA_FORECAST_EXPERTS * SA_FORECAST_STOCK * 8 +			\
	 SA_FORECAST_STOCK * 4 +					\
	 4 + SA_FORECAST_ALIGNS * 8 + SA_FORECAST_ALIGNS * SA_FORECAST_STOCK * 8 + \
	 SA_FORECAST_STOCK * 4 + 4 + 4 + 7 * 8)

#define SA_FORECAST_FNV_OFFSET	2166136261U
#define SA_FORECAST_FNV_PRIME		16777619U

/* Path and one-step forecasts and residuals stay below this (pages). */
#define SA_FORECAST_STEP_PAGES_MAX	((s64)SA_FORECAST_PATH_PAGES_MAX)
/* |autocovariance| <= (2^24 pages)^2, period.c's clamp squared. */
#define SA_FORECAST_COV_MAX		(1LL << 48)

/**
 * struct sa_forecast_codec - one pass over a blob's payload
 * @p: the next byte
 * @write: export (values from the model) or import (values into it)
 * @store: import only: store what is read (false: a checking pass)
 * @bad: import only: a value was out of range
 */
struct sa_forecast_codec {
	u8 *p;
	bool write;
	bool store;
	bool bad;
};

static u32 sa_forecast_fnv1a(const u8 *p, size_t len)
{
	u32 h = SA_FORECAST_FNV_OFFSET;

	while (len--) {
		h ^= *p++;
		h *= SA_FORECAST_FNV_PRIME;
	}
	return h;
}

/**
 * sa_forecast_blob_size() - bytes of a model blob
 *
 * Return: the size of every version-2 blob.
 */
size_t sa_forecast_blob_size(void)
{
	return SA_FORECAST_BLOB_HDR + SA_FORECAST_BLOB_PAYLOAD;
}

static void sa_forecast_put(u8 **p, u64 v, u32 bytes)
{
	u32 i;

	for (i = 0; i < bytes; i++)
		*(*p)++ = (u8)(v >> (8 * i));
}

static u64 sa_forecast_get(u8 **p, u32 bytes)
{
	u64 v = 0;
	u32 i;

	for (i = 0; i < bytes; i++)
		v |= (u64)*(*p)++ << (8 * i);
	return v;
}

/*
 * One unsigned field of @bytes bytes at @v, valid in 0..@max (or
 * SA_FORECAST_NONE if @none): written, or read, checked and stored.
 * Returns the value.
 */
static u64 sa_forecast_cu(struct sa_forecast_codec *c, void *v, u32 bytes,
			  u64 max, bool none)
{
	u64 x;

	if (c->write) {
		x = bytes == 1 ? *(u8 *)v : bytes == 4 ? *(u32 *)v : *(u64 *)v;
		sa_forecast_put(&c->p, x, bytes);
		return x;
	}
	x = sa_forecast_get(&c->p, bytes);
	if (x > max && !(none && x == SA_FORECAST_NONE))
		c->bad = true;
	if (c->store) {
		if (bytes == 1)
			*(u8 *)v = (u8)x;
		else if (bytes == 4)
			*(u32 *)v = (u32)x;
		else
			*(u64 *)v = x;
	}
	return x;
}

/* One s64 field, valid in @lo..@hi. */
static s64 sa_forecast_cs(struct sa_forecast_codec *c, s64 *v, s64 lo, s64 hi)
{
	s64 x;

	if (c->write) {
		sa_forecast_put(&c->p, (u64)*v, 8);
		return *v;
	}
	x = (s64)sa_forecast_get(&c->p, 8);
	if (x < lo || x > hi)
		c->bad = true;
	if (c->store)
		*v = x;
	return x;
}

#define SA_CU8(c, f, max)	sa_forecast_cu(c, &(f), 1, max, false)
#define SA_CU32(c, f, max)	sa_forecast_cu(c, &(f), 4, max, false)
#define SA_CU64(c, f, max)	sa_forecast_cu(c, &(f), 8, max, false)
#define SA_CFC(c, f)		sa_forecast_cu(c, &(f), 8, SA_FORECAST_PATH_PAGES_MAX, true)

static void sa_forecast_code_bank(struct sa_forecast_codec *c,
				  struct sa_forecast_model *m)
{
	u32 i;

	for (i = 0; i < SA_FORECAST_BANK; i++) {
		struct sa_forecast_holt *b = &m->bank[i];

		sa_forecast_cs(c, &b->level, 0, SA_FORECAST_LEVEL_MAX);
		sa_forecast_cs(c, &b->trend, -SA_FORECAST_LEVEL_MAX,
			       SA_FORECAST_LEVEL_MAX);
		sa_forecast_cs(c, &b->err, 0, SA_FORECAST_ERR_MAX);
		SA_CFC(c, b->window_fc);
	}
	SA_CU32(c, m->best, SA_FORECAST_BANK - 1);
	SA_CU32(c, m->ticks, ~0U);
	for (i = 0; i < SA_FORECAST_WINDOW_MAX; i++)
		SA_CU32(c, m->hist[i], ~0U);
	SA_CU32(c, m->hist_pos, SA_FORECAST_WINDOW_MAX - 1);
	for (i = 0; i < SA_FORECAST_WINDOW_MAX; i++)
		SA_CFC(c, m->pending[i]);
	for (i = 0; i < SA_FORECAST_WINDOW_MAX; i++)
		SA_CFC(c, m->naive[i]);
	SA_CU32(c, m->window, SA_FORECAST_WINDOW_MAX);
	SA_CU32(c, m->phase, SA_FORECAST_WINDOW_MAX);
}

static void sa_forecast_code_period(struct sa_forecast_codec *c,
				    struct sa_forecast_period *p)
{
	u32 i, lag;

	for (i = 0; i < SA_FORECAST_PERIOD_HIST; i++)
		SA_CU32(c, p->x[i], ~0U);
	SA_CU32(c, p->pos, SA_FORECAST_PERIOD_HIST - 1);
	SA_CU32(c, p->n, ~0U);
	sa_forecast_cs(c, &p->mean, 0, (s64)(1 << 24) << SA_FORECAST_SHIFT);
	for (i = 0; i <= SA_FORECAST_PERIOD_MAX; i++)
		sa_forecast_cs(c, &p->cov[i], -SA_FORECAST_COV_MAX,
			       SA_FORECAST_COV_MAX);
	lag = (u32)SA_CU32(c, p->lag, SA_FORECAST_PERIOD_MAX);
	if (lag == 1)
		c->bad = true;
}

static void sa_forecast_code_profile(struct sa_forecast_codec *c,
				     struct sa_forecast_profile *p)
{
	u8 seen[SA_FORECAST_PROFILE_AGES];
	u32 i, ages;

	for (i = 0; i < SA_FORECAST_PROFILE_AGES; i++)
		SA_CU64(c, p->cum[i], (1ULL << 40) << SA_FORECAST_SHIFT);
	for (i = 0; i < SA_FORECAST_PROFILE_AGES; i++)
		seen[i] = (u8)SA_CU8(c, p->seen[i], SA_FORECAST_PROFILE_MEMORY);
	ages = (u32)SA_CU32(c, p->ages, SA_FORECAST_PROFILE_AGES);
	SA_CU64(c, p->launches, ~0ULL);
	/* launches start at age 0: exactly the ages below @ages were seen */
	for (i = 0; i < SA_FORECAST_PROFILE_AGES; i++)
		if (!seen[i] == (i < ages))
			c->bad = true;
}

static void sa_forecast_code(struct sa_forecast_codec *c,
			     struct sa_forecast_model *m)
{
	u32 i, e, pos, nr;

	sa_forecast_code_bank(c, m);
	sa_forecast_code_period(c, &m->period);
	sa_forecast_code_profile(c, &m->profile);
	SA_CU32(c, m->expert, SA_FORECAST_EXPERTS - 1);
	SA_CU32(c, m->align, SA_FORECAST_ALIGNS - 1);
	for (e = 0; e < SA_FORECAST_EXPERTS; e++)
		SA_CU64(c, m->expert_next[e], SA_FORECAST_STEP_PAGES_MAX);
	for (e = 0; e < SA_FORECAST_EXPERTS; e++)
		for (i = 0; i < SA_FORECAST_STOCK; i++)
			sa_forecast_cs(c, &m->expert_resid[e][i],
				       -SA_FORECAST_STEP_PAGES_MAX,
				       SA_FORECAST_STEP_PAGES_MAX);
	for (i = 0; i < SA_FORECAST_STOCK; i++)
		SA_CU32(c, m->background[i], ~0U);
	for (e = 0; e < SA_FORECAST_ALIGNS; e++)
		sa_forecast_cu(c, &m->next[e], 8, SA_FORECAST_STEP_PAGES_MAX, true);
	for (e = 0; e < SA_FORECAST_ALIGNS; e++)
		for (i = 0; i < SA_FORECAST_STOCK; i++)
			sa_forecast_cs(c, &m->resid[e][i],
				       -SA_FORECAST_STEP_PAGES_MAX,
				       SA_FORECAST_STEP_PAGES_MAX);
	for (i = 0; i < SA_FORECAST_STOCK; i++)
		SA_CU32(c, m->resid_demand[i], ~0U);
	pos = (u32)SA_CU32(c, m->resid_pos, SA_FORECAST_STOCK - 1);
	nr = (u32)SA_CU32(c, m->nr_resid, SA_FORECAST_STOCK);
	/* the ring fills from slot 0 */
	if (nr < SA_FORECAST_STOCK && pos != nr)
		c->bad = true;
	SA_CU64(c, m->last_abs_err, ~0ULL);
	SA_CU64(c, m->sum_abs_err, ~0ULL);
	SA_CU64(c, m->sum_naive_abs_err, ~0ULL);
	SA_CU64(c, m->sum_actual, ~0ULL);
	SA_CU64(c, m->sum_overlap, ~0ULL);
	SA_CU64(c, m->sum_union, ~0ULL);
	SA_CU64(c, m->nr_windows, ~0ULL);
}

/**
 * sa_forecast_export() - write a model blob
 * @m: the model
 * @buf: sa_forecast_blob_size() bytes, any alignment
 */
void sa_forecast_export(const struct sa_forecast_model *m, void *buf)
{
	u8 *start = buf, *p = start;
	struct sa_forecast_codec c = {
		.p = start + SA_FORECAST_BLOB_HDR, .write = true,
	};

	/* writing only reads the model */
	sa_forecast_code(&c, (struct sa_forecast_model *)m);
	sa_forecast_put(&p, SA_FORECAST_BLOB_MAGIC, 4);
	sa_forecast_put(&p, SA_FORECAST_BLOB_VERSION, 4);
	sa_forecast_put(&p, sa_forecast_blob_size(), 4);
	sa_forecast_put(&p, sa_forecast_fnv1a(start + SA_FORECAST_BLOB_HDR,
					      SA_FORECAST_BLOB_PAYLOAD), 4);
}

/**
 * sa_forecast_import() - read a model blob
 * @m: the model, written only if the blob is valid
 * @buf: the blob
 * @len: its length in bytes
 *
 * Checks, in order: length and magic, version, the size field, the
 * checksum, then every field's range (a blob with a valid checksum can
 * still have been written by something other than sa_forecast_export()):
 * a checking pass, then a storing one.
 *
 * Return: 0; -EINVAL for a bad length, magic, size or a value out of
 * range; -EPROTONOSUPPORT for another version; -EBADMSG for a checksum
 * mismatch.
 */
int sa_forecast_import(struct sa_forecast_model *m, const void *buf,
		       size_t len)
{
	/* reading never writes through p */
	u8 *start = (u8 *)buf, *p = start;
	struct sa_forecast_codec c = { .p = start + SA_FORECAST_BLOB_HDR };
	u32 magic, version, size, sum;

	if (len < SA_FORECAST_BLOB_HDR)
		return -EINVAL;
	magic = (u32)sa_forecast_get(&p, 4);
	version = (u32)sa_forecast_get(&p, 4);
	size = (u32)sa_forecast_get(&p, 4);
	sum = (u32)sa_forecast_get(&p, 4);
	if (magic != SA_FORECAST_BLOB_MAGIC)
		return -EINVAL;
	/* another version may have another size: say so before the size */
	if (version != SA_FORECAST_BLOB_VERSION)
		return -EPROTONOSUPPORT;
	if (size != sa_forecast_blob_size() || len != size)
		return -EINVAL;
	if (sa_forecast_fnv1a(p, SA_FORECAST_BLOB_PAYLOAD) != sum)
		return -EBADMSG;
	sa_forecast_code(&c, m);
	if (c.bad)
		return -EINVAL;
	c = (struct sa_forecast_codec){ .p = p, .store = true };
	sa_forecast_code(&c, m);
	return 0;
}
