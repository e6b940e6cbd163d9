// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc forecaster: the blob codec, a demand model as the versioned,
 * checksummed little-endian image MODEL_EXPORT writes and MODEL_IMPORT
 * validates. Documentation/forecast.rst describes the format.
 *
 * Pure C, built into the module and into userspace (see internal.h).
 */
#include "internal.h"

/*
 * The blob: a 16-byte header, then every field of struct sa_forecast_model in
 * declaration order, little-endian, without padding:
 *
 *	magic u32, version u32, size u32 (whole blob), checksum u32 (FNV-1a
 *	over the payload);
 *	bank[6] { level s64, trend s64, err s64, window_fc u64 }, best u32,
 *	ticks u32, hist[64] u32, hist_pos u32, pending[64] u64,
 *	naive[64] u64, window u32, phase u32, errs[32] s64, peaks[32] u64,
 *	err_pos u32,
 *	nr_errs u32, last_abs_err u64, sum_abs_err u64,
 *	sum_naive_abs_err u64, sum_actual u64, nr_windows u64.
 */
#define SA_FORECAST_BLOB_HDR		16
#define SA_FORECAST_BLOB_PAYLOAD	(SA_FORECAST_BANK * 32 + 4 + 4 +		\
				 SA_FORECAST_WINDOW_MAX * 4 + 4 +		\
				 SA_FORECAST_WINDOW_MAX * 8 * 2 + 4 + 4 +	\
				 SA_FORECAST_ERRS * 8 * 2 + 4 + 4 + 5 * 8)

#define SA_FORECAST_FNV_OFFSET	2166136261U
#define SA_FORECAST_FNV_PRIME		16777619U

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
 * Return: the size of every version-1 blob.
 */
size_t sa_forecast_blob_size(void)
{
	return SA_FORECAST_BLOB_HDR + SA_FORECAST_BLOB_PAYLOAD;
}

static void sa_forecast_put32(u8 **p, u32 v)
{
	u32 i;

	for (i = 0; i < 4; i++)
		*(*p)++ = (u8)(v >> (8 * i));
}

static void sa_forecast_put64(u8 **p, u64 v)
{
	sa_forecast_put32(p, (u32)v);
	sa_forecast_put32(p, (u32)(v >> 32));
}

static u32 sa_forecast_get32(const u8 **p)
{
	u32 v = 0, i;

	for (i = 0; i < 4; i++)
		v |= (u32)*(*p)++ << (8 * i);
	return v;
}

static u64 sa_forecast_get64(const u8 **p)
{
	u64 lo = sa_forecast_get32(p);

	return lo | (u64)sa_forecast_get32(p) << 32;
}

/**
 * sa_forecast_export() - write a model blob
 * @m: the model
 * @buf: sa_forecast_blob_size() bytes, any alignment
 */
void sa_forecast_export(const struct sa_forecast_model *m, void *buf)
{
	u8 *start = buf, *p = start + SA_FORECAST_BLOB_HDR;
	u32 i;

	for (i = 0; i < SA_FORECAST_BANK; i++) {
		sa_forecast_put64(&p, m->bank[i].level);
		sa_forecast_put64(&p, m->bank[i].trend);
		sa_forecast_put64(&p, m->bank[i].err);
		sa_forecast_put64(&p, m->bank[i].window_fc);
	}
	sa_forecast_put32(&p, m->best);
	sa_forecast_put32(&p, m->ticks);
	for (i = 0; i < SA_FORECAST_WINDOW_MAX; i++)
		sa_forecast_put32(&p, m->hist[i]);
	sa_forecast_put32(&p, m->hist_pos);
	for (i = 0; i < SA_FORECAST_WINDOW_MAX; i++)
		sa_forecast_put64(&p, m->pending[i]);
	for (i = 0; i < SA_FORECAST_WINDOW_MAX; i++)
		sa_forecast_put64(&p, m->naive[i]);
	sa_forecast_put32(&p, m->window);
	sa_forecast_put32(&p, m->phase);
	for (i = 0; i < SA_FORECAST_ERRS; i++)
		sa_forecast_put64(&p, m->errs[i]);
	for (i = 0; i < SA_FORECAST_ERRS; i++)
		sa_forecast_put64(&p, m->peaks[i]);
	sa_forecast_put32(&p, m->err_pos);
	sa_forecast_put32(&p, m->nr_errs);
	sa_forecast_put64(&p, m->last_abs_err);
	sa_forecast_put64(&p, m->sum_abs_err);
	sa_forecast_put64(&p, m->sum_naive_abs_err);
	sa_forecast_put64(&p, m->sum_actual);
	sa_forecast_put64(&p, m->nr_windows);

	p = start;
	sa_forecast_put32(&p, SA_FORECAST_BLOB_MAGIC);
	sa_forecast_put32(&p, SA_FORECAST_BLOB_VERSION);
	sa_forecast_put32(&p, (u32)sa_forecast_blob_size());
	sa_forecast_put32(&p, sa_forecast_fnv1a(start + SA_FORECAST_BLOB_HDR,
						SA_FORECAST_BLOB_PAYLOAD));
}

static bool sa_forecast_value_ok(u64 v)
{
	return v == SA_FORECAST_NONE || v <= SA_FORECAST_WINDOW_PAGES_MAX;
}

/*
 * Read a payload, checking every value against what sa_forecast_observe() can
 * produce; store into @m only if it is not NULL. Return: 0 or -EINVAL.
 */
static int sa_forecast_decode(const u8 *p, struct sa_forecast_model *m)
{
	struct sa_forecast_holt b;
	u32 v32, i;
	u64 v64;
	s64 e;

	for (i = 0; i < SA_FORECAST_BANK; i++) {
		b.level = (s64)sa_forecast_get64(&p);
		b.trend = (s64)sa_forecast_get64(&p);
		b.err = (s64)sa_forecast_get64(&p);
		b.window_fc = sa_forecast_get64(&p);
		if (b.level < 0 || b.level > SA_FORECAST_LEVEL_MAX ||
		    b.trend < -SA_FORECAST_LEVEL_MAX || b.trend > SA_FORECAST_LEVEL_MAX ||
		    b.err < 0 || b.err > SA_FORECAST_ERR_MAX ||
		    !sa_forecast_value_ok(b.window_fc))
			return -EINVAL;
		if (m)
			m->bank[i] = b;
	}
	v32 = sa_forecast_get32(&p);
	if (v32 >= SA_FORECAST_BANK)
		return -EINVAL;
	if (m)
		m->best = v32;
	v32 = sa_forecast_get32(&p);
	if (m)
		m->ticks = v32;
	for (i = 0; i < SA_FORECAST_WINDOW_MAX; i++) {
		v32 = sa_forecast_get32(&p);
		if (m)
			m->hist[i] = v32;
	}
	v32 = sa_forecast_get32(&p);
	if (v32 >= SA_FORECAST_WINDOW_MAX)
		return -EINVAL;
	if (m)
		m->hist_pos = v32;
	for (i = 0; i < 2 * SA_FORECAST_WINDOW_MAX; i++) {
		v64 = sa_forecast_get64(&p);
		if (!sa_forecast_value_ok(v64))
			return -EINVAL;
		if (m && i < SA_FORECAST_WINDOW_MAX)
			m->pending[i] = v64;
		else if (m)
			m->naive[i - SA_FORECAST_WINDOW_MAX] = v64;
	}
	v32 = sa_forecast_get32(&p);
	i = sa_forecast_get32(&p);
	if (v32 > SA_FORECAST_WINDOW_MAX || i > SA_FORECAST_WINDOW_MAX)
		return -EINVAL;
	if (m) {
		m->window = v32;
		m->phase = i;
	}
	for (i = 0; i < SA_FORECAST_ERRS; i++) {
		e = (s64)sa_forecast_get64(&p);
		if (sa_forecast_abs(e) > SA_FORECAST_WINDOW_PAGES_MAX)
			return -EINVAL;
		if (m)
			m->errs[i] = e;
	}
	for (i = 0; i < SA_FORECAST_ERRS; i++) {
		v64 = sa_forecast_get64(&p);
		if (v64 > SA_FORECAST_WINDOW_PAGES_MAX)
			return -EINVAL;
		if (m)
			m->peaks[i] = v64;
	}
	v32 = sa_forecast_get32(&p);
	i = sa_forecast_get32(&p);
	/*
	 * The ring fills from slot 0: until it is full, the count is the
	 * next slot, or one more while that slot's half window is open.
	 */
	if (v32 >= SA_FORECAST_ERRS || i > SA_FORECAST_ERRS ||
	    (i < SA_FORECAST_ERRS && i != v32 && i != v32 + 1))
		return -EINVAL;
	if (m) {
		m->err_pos = v32;
		m->nr_errs = i;
		m->last_abs_err = sa_forecast_get64(&p);
		m->sum_abs_err = sa_forecast_get64(&p);
		m->sum_naive_abs_err = sa_forecast_get64(&p);
		m->sum_actual = sa_forecast_get64(&p);
		m->nr_windows = sa_forecast_get64(&p);
	}
	return 0;
}

/**
 * sa_forecast_import() - read a model blob
 * @m: the model, written only if the blob is valid
 * @buf: the blob
 * @len: its length in bytes
 *
 * Checks, in order: length and magic, version, the size field, the
 * checksum, then every field's range (a blob with a valid checksum can
 * still have been written by something other than sa_forecast_export()).
 *
 * Return: 0; -EINVAL for a bad length, magic, size or a value out of
 * range; -EPROTONOSUPPORT for another version; -EBADMSG for a checksum
 * mismatch.
 */
int sa_forecast_import(struct sa_forecast_model *m, const void *buf,
		       size_t len)
{
	const u8 *start = buf, *p = start;
	u32 magic, version, size, sum;
	int ret;

	if (len < SA_FORECAST_BLOB_HDR)
		return -EINVAL;
	magic = sa_forecast_get32(&p);
	version = sa_forecast_get32(&p);
	size = sa_forecast_get32(&p);
	sum = sa_forecast_get32(&p);
	if (magic != SA_FORECAST_BLOB_MAGIC)
		return -EINVAL;
	/* another version may have another size: say so before the size */
	if (version != SA_FORECAST_BLOB_VERSION)
		return -EPROTONOSUPPORT;
	if (size != sa_forecast_blob_size() || len != size)
		return -EINVAL;
	if (sa_forecast_fnv1a(p, SA_FORECAST_BLOB_PAYLOAD) != sum)
		return -EBADMSG;
	ret = sa_forecast_decode(p, NULL);
	if (ret)
		return ret;
	return sa_forecast_decode(p, m);
}
