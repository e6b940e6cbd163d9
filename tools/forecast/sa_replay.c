// SPDX-License-Identifier: GPL-2.0
/*
 * sa_replay: run a first-touch fault trace through the module's forecaster
 * (kmod/forecast.c, compiled in) and a model of a group's staging pool,
 * under several staging policies, and print hit rate, waste, memory held
 * and forecast error, beside an oracle that knows the future (oracle.c).
 * --synth writes a synthetic trace instead. Documentation/forecast.rst
 * describes the trace format, the pool model and the output;
 * Documentation/forecast-eval.rst the memory metrics and the oracle.
 *
 * Exit status: 0 done, 1 the trace could not be read or is empty, 2 bad
 * usage or a bad trace line.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/shadowalloc.h>

#include "../../kmod/forecast.h"
#include "oracle.h"

/* The module's tick, so that replayed ticks are the module's ticks. */
#define TICK_MS		((u64)SHADOWALLOC_TICK_MS)
#define TICK_NS		(TICK_MS * 1000000ULL)
#define PAGE_SIZE	4096ULL
#define MAX_TICKS	(1ULL << 26)		/* 77 days of trace */
#define MAX_VMS		4096
#define VM_NAME_MAX	63
#define LINE_MAX_LEN	4096
#define EWMA_ALPHA	0.3

enum policy {
	P_NONE, P_FIXED, P_NAIVE, P_EWMA, P_FORECAST, P_ORACLE, NR_POLICIES
};

static const char *const policy_names[NR_POLICIES] = {
	"none", "fixed", "naive", "ewma", "forecast", "oracle"
};

struct opts {
	u32 fill;		/* fill-rate goal, permille */
	u64 horizon_ms;
	u64 max_age_ms;
	u64 cap;		/* pages, ~0 = none */
	u64 refill;		/* pages per tick, ~0 = unlimited */
	u64 reserve;
	bool have_reserve;
	bool json;
	bool absolute;		/* ticks on the clock's boundaries */
	unsigned int policies;	/* bitmap of enum policy */
	const char *synth;
	const char *save_model;	/* the forecast policy's model, as a blob */
	u64 duration_ms;
	u64 seed;
	const char *trace;
};

/*
 * A VM is a launch: it begins at its creation marker (a size-0 row) or,
 * without one, at its first fault; @age_pages is its demand by age (ticks
 * since its first fault), what the module's launch table counts per
 * memory object.
 */
struct vm {
	char name[VM_NAME_MAX + 1];
	struct sa_forecast_where where;
	u64 faults;
	u64 created_tick;	/* ~0: not begun */
	u64 launch_tick;	/* first fault; ~0: none yet */
	u32 *age_pages;		/* SA_FORECAST_PROFILE_AGES ticks */
};

struct trace {
	u32 *demand;		/* pages per tick */
	u64 nr_ticks, cap_ticks;
	u64 rows, pages;
	struct vm *vms;
	u32 nr_vms;
	u64 markers;		/* creation markers read */
	u64 huge_votes;
};

struct result {
	u64 demand, hits, misses, staged, evicted, left, peak;
	/*
	 * memory held: sum over ticks of the pages staged after the tick's
	 * refill and before its faults (page-ticks)
	 */
	u64 held;
	/* window forecasts, for the policies that forecast */
	bool scored;
	u64 windows, sum_abs_err, sum_actual;
	/* forecast: the model's own last-value error on the same windows */
	u64 sum_naive_abs_err;
};

static const char *prog = "sa_replay";

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(try '%s --help')\n", prog);
	exit(2);
}

static void __attribute__((noreturn, format(printf, 2, 3)))
fail(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void usage(void)
{
	printf("usage: %s [OPTIONS] TRACE.csv|-\n"
	       "       %s --synth KIND [--duration-ms MS] [--seed N] > TRACE.csv\n"
	       "\n"
	       "Replays a first-touch fault trace (CSV rows t_ns,vm,gpa[,size]; size 0\n"
	       "marks a VM's memory created; see Documentation/forecast.rst) through the forecaster and a model of the\n"
	       "staging pool, one %llu ms tick at a time, for each policy, beside an\n"
	       "oracle that knows every future tick and stages as late as it can within\n"
	       "the same refill limit and max age. Memory held: mean_staged_pages (staged\n"
	       "pages after each tick's refill, before its faults, mean over ticks) and\n"
	       "page_seconds_per_hit (their sum times the tick length, over the hits).\n"
	       "\n"
	       "  --policy LIST            comma-separated: none,fixed,naive,ewma,forecast,\n"
	       "                           oracle (default: all; fixed only with --reserve);\n"
	       "                           the oracle is always replayed and printed: the\n"
	       "                           vs_oracle columns are relative to it\n"
	       "  --reserve R              pages the fixed policy keeps staged\n"
	       "  --horizon-ms MS          forecast horizon, %u..%u (default %u)\n"
	       "  --max-age-ms MS          staged pages older than this are evicted\n"
	       "                           unused, %u..%u (default %u; whole ticks)\n"
	       "  --cap PAGES              most pages staged at once, 1..2^40 (default: no cap;\n"
	       "                           the oracle's plan ignores it and is clipped)\n"
	       "  --refill-pages-per-tick N  most pages staged per tick, 1..2^40 or\n"
	       "                           'unlimited' (the default)\n"
	       "  --fill-rate PERMILLE     the forecaster's fill-rate goal, %u..%u (default %u):\n"
	       "                           its safety stock serves this share of demand\n"
	       "  --absolute-ticks         ticks begin on multiples of the tick length of the\n"
	       "                           trace's clock, as the module's do (a recording of\n"
	       "                           the module); default: at the first row\n"
	       "  --save-model FILE        write the forecast policy's model after the trace\n"
	       "                           as a blob for 'shadowctl model import' (pre-training)\n"
	       "  --tick-ms %-14llu the tick is fixed at %llu ms, like the module's\n"
	       "  --json                   one JSON object per line instead of the table\n"
	       "  --synth KIND             write a synthetic trace to stdout: sequential,\n"
	       "                           strided, random, burst, ramp, boot, mix,\n"
	       "                           launches (a VM booting every 15 s)\n"
	       "  --duration-ms MS         length of a synthetic trace (default 60000)\n"
	       "  --seed N                 seed of a synthetic trace (default 1)\n"
	       "  -h, --help               this text\n"
	       "\n"
	       "Exit status: 0 done, 1 trace unreadable or empty, 2 bad usage or trace line.\n",
	       prog, prog, (unsigned long long)TICK_MS,
	       SHADOWALLOC_HORIZON_MIN_MS, SHADOWALLOC_HORIZON_MAX_MS,
	       SHADOWALLOC_HORIZON_DEFAULT_MS, SHADOWALLOC_MAX_AGE_MIN_MS,
	       SHADOWALLOC_MAX_AGE_MAX_MS, SHADOWALLOC_MAX_AGE_DEFAULT_MS,
	       SA_FORECAST_FILL_MIN, SA_FORECAST_FILL_MAX,
	       SA_FORECAST_FILL_DEFAULT, (unsigned long long)TICK_MS, (unsigned long long)TICK_MS);
}

/* A whole decimal, or 0x-prefixed hex, number: no sign, no junk. */
static int parse_u64(const char *s, u64 *out)
{
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s || !((*s >= '0' && *s <= '9') ||
		     (base == 16 && strchr("abcdefABCDEF", *s))))
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, base);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	return 0;
}

static u64 opt_number(const char *opt, const char *arg, u64 min, u64 max)
{
	u64 v;
	int ret = parse_u64(arg, &v);

	if (ret == -EINVAL)
		usage_error("%s: not a number: '%s'", opt, arg);
	if (ret || v < min || v > max)
		usage_error("%s: %s out of range %llu..%llu", opt, arg,
			    (unsigned long long)min, (unsigned long long)max);
	return v;
}

static unsigned int parse_policies(const char *arg)
{
	char buf[256], *tok, *save;
	unsigned int set = 0, i;

	if (strlen(arg) >= sizeof(buf))
		usage_error("--policy: list too long");
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NR_POLICIES; i++)
			if (!strcmp(tok, policy_names[i]))
				break;
		if (i == NR_POLICIES)
			usage_error("--policy: unknown policy '%s' (none, fixed, naive, ewma, forecast, oracle)",
				    tok);
		set |= 1U << i;
	}
	if (!set)
		usage_error("--policy: empty list");
	return set;
}

/* ---------------------------------------------------------------- synth */

static u64 rng_state;

static u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

struct synth_ev {
	u32 vm;
	u64 gpa, size;
};

static struct synth_ev *sev;
static size_t nr_sev, cap_sev;

static void emit(u32 vm, u64 gpa, u64 size)
{
	if (nr_sev == cap_sev) {
		cap_sev = cap_sev ? 2 * cap_sev : 4096;
		sev = realloc(sev, cap_sev * sizeof(*sev));
		if (!sev)
			fail(1, "out of memory");
	}
	sev[nr_sev++] = (struct synth_ev){ vm, gpa, size };
}

/* per-VM cursors of the sequential and strided generators */
static u64 seq_next[4096];

static void gen_sequential(u32 vm, u64 base, u32 pages)
{
	u32 i;

	for (i = 0; i < pages; i++)
		emit(vm, base + seq_next[vm]++ * PAGE_SIZE, PAGE_SIZE);
}

static void gen_random(u32 vm, u64 space, u32 pages)
{
	u32 i;

	for (i = 0; i < pages; i++)
		emit(vm, (rnd() % (space / PAGE_SIZE)) * PAGE_SIZE, PAGE_SIZE);
}

/* A guest boot: 2 MiB mappings first, then fewer and fewer 4 KiB faults. */
static void gen_boot(u32 vm, u64 tick)
{
	u32 i, n;

	if (tick < 20) {
		for (i = 0; i < 8; i++)
			emit(vm, (seq_next[vm]++ * 512) * PAGE_SIZE, 2 << 20);
		return;
	}
	n = 20 + (u32)(400.0 * exp(-(double)(tick - 20) / 30.0));
	for (i = 0; i < n; i++)
		emit(vm, (1ULL << 32) + (rnd() % (1 << 18)) * PAGE_SIZE,
		     PAGE_SIZE);
}

static int synth(const struct opts *o)
{
	u64 ticks = o->duration_ms / TICK_MS, t;
	const char *k = o->synth;
	size_t i;

	rng_state = o->seed * 2654435761ULL + 88172645463325252ULL;
	if (strcmp(k, "sequential") && strcmp(k, "strided") &&
	    strcmp(k, "random") && strcmp(k, "burst") && strcmp(k, "ramp") &&
	    strcmp(k, "boot") && strcmp(k, "mix") && strcmp(k, "launches"))
		usage_error("--synth: unknown kind '%s' (sequential, strided, random, burst, ramp, boot, mix, launches)",
			    k);
	printf("# sa_replay --synth %s --duration-ms %llu --seed %llu\n"
	       "t_ns,vm,gpa,size\n", k, (unsigned long long)o->duration_ms,
	       (unsigned long long)o->seed);
	for (t = 0; t < ticks; t++) {
		nr_sev = 0;
		if (!strcmp(k, "sequential")) {
			/* a VM writing its memory at 10 MiB/s */
			gen_sequential(1, 1ULL << 30, 256);
		} else if (!strcmp(k, "strided")) {
			/* one page every 3 regions of 2 MiB */
			for (i = 0; i < 64; i++)
				emit(1, (seq_next[1]++ * 3) << 21, PAGE_SIZE);
		} else if (!strcmp(k, "random")) {
			gen_random(1, 8ULL << 30, 50 + rnd() % 101);
		} else if (!strcmp(k, "burst")) {
			/* 8 MiB touched at once every 2 s */
			if (t % 20 == 0)
				gen_sequential(1, 1ULL << 30, 2048);
		} else if (!strcmp(k, "ramp")) {
			gen_sequential(1, 1ULL << 30,
				       20 + (u32)(580 * t / (ticks ? ticks : 1)));
		} else if (!strcmp(k, "boot")) {
			gen_boot(1, t);
		} else if (!strcmp(k, "launches")) {
			/*
			 * repeated launches: a VM boots every 15 s (its
			 * memory created a tick before its first fault),
			 * each with its own jitter of 0-2 ticks
			 */
			u64 start = t / 150 * 150, vm = 1 + t / 150;
			u64 jitter = (vm * 7) % 3;

			if (t == start)
				emit((u32)vm, 0, 0);
			else if (t > start + jitter)
				gen_boot((u32)vm, t - start - 1 - jitter);
		} else {
			/* mix: four VMs of a group */
			gen_sequential(1, 1ULL << 30, 128);
			if (t % 30 == 0)
				gen_sequential(2, 1ULL << 31, 1000);
			gen_random(3, 4ULL << 30, 25 + rnd() % 51);
			if (t >= 100)
				gen_boot(4, t - 100);
		}
		/* spread the tick's faults evenly over its 100 ms */
		for (i = 0; i < nr_sev; i++)
			printf("%llu,%u,0x%llx,%llu\n",
			       (unsigned long long)(t * TICK_NS +
						    i * TICK_NS / nr_sev),
			       sev[i].vm, (unsigned long long)sev[i].gpa,
			       (unsigned long long)sev[i].size);
	}
	free(sev);
	if (fflush(stdout) || ferror(stdout))
		fail(1, "writing the trace: %s", strerror(errno));
	return 0;
}

/* ---------------------------------------------------------------- trace */

static void __attribute__((noreturn, format(printf, 3, 4)))
bad_line(const char *file, u64 line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s:%llu: ", prog, file, (unsigned long long)line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
			 e[-1] == '\n'))
		*--e = 0;
	return s;
}

static struct vm *find_vm(struct trace *tr, const char *name, const char *file,
			  u64 line)
{
	u32 i;

	/* traces have a handful of VMs; the last one is the likely one */
	for (i = tr->nr_vms; i-- > 0;)
		if (!strcmp(tr->vms[i].name, name))
			return &tr->vms[i];
	if (tr->nr_vms == MAX_VMS)
		bad_line(file, line, "more than %d VMs", MAX_VMS);
	if (strlen(name) > VM_NAME_MAX)
		bad_line(file, line, "vm: longer than %d characters",
			 VM_NAME_MAX);
	i = tr->nr_vms++;
	snprintf(tr->vms[i].name, sizeof(tr->vms[i].name), "%s", name);
	sa_forecast_where_init(&tr->vms[i].where);
	tr->vms[i].faults = 0;
	tr->vms[i].created_tick = ~0ULL;
	tr->vms[i].launch_tick = ~0ULL;
	tr->vms[i].age_pages = calloc(SA_FORECAST_PROFILE_AGES, sizeof(u32));
	if (!tr->vms[i].age_pages)
		fail(1, "out of memory");
	return &tr->vms[i];
}

static void add_demand(struct trace *tr, u64 tick, u64 pages)
{
	u64 n;

	if (tick >= MAX_TICKS)
		fail(2, "trace spans more than %llu ticks of %llu ms",
		     (unsigned long long)MAX_TICKS, (unsigned long long)TICK_MS);
	if (tick >= tr->cap_ticks) {
		n = tr->cap_ticks ? tr->cap_ticks : 1024;
		while (n <= tick)
			n *= 2;
		tr->demand = realloc(tr->demand, n * sizeof(*tr->demand));
		if (!tr->demand)
			fail(1, "out of memory");
		memset(tr->demand + tr->cap_ticks, 0,
		       (n - tr->cap_ticks) * sizeof(*tr->demand));
		tr->cap_ticks = n;
	}
	if (tick >= tr->nr_ticks)
		tr->nr_ticks = tick + 1;
	n = tr->demand[tick] + pages;
	tr->demand[tick] = n > UINT32_MAX ? UINT32_MAX : (u32)n;
}

static void where_feed(struct vm *vm, u64 gpa, u64 pages)
{
	sa_forecast_where_observe(&vm->where, gpa, pages > UINT32_MAX ?
				  UINT32_MAX : (u32)pages);
	vm->faults++;
}

/* A VM's launch begins at @tick unless it began before. */
static void launch_feed(struct vm *vm, u64 tick, u64 pages)
{
	u64 age, n;

	if (vm->created_tick == ~0ULL)
		vm->created_tick = tick;
	if (!pages)
		return;
	if (vm->launch_tick == ~0ULL)
		vm->launch_tick = tick;
	age = tick - vm->launch_tick;
	if (age < SA_FORECAST_PROFILE_AGES) {
		n = vm->age_pages[age] + pages;
		vm->age_pages[age] = n > UINT32_MAX ? UINT32_MAX : (u32)n;
	}
}

static int read_trace(const char *file, struct trace *tr, bool absolute)
{
	char buf[LINE_MAX_LEN + 2], *f[5], *p;
	FILE *in = stdin;
	u64 line = 0, t_ns, gpa, size, t0 = 0, last = 0, pages;
	bool seen_data = false;
	int nf, ret;
	struct vm *vm;

	if (strcmp(file, "-")) {
		in = fopen(file, "r");
		if (!in)
			fail(1, "cannot open %s: %s", file, strerror(errno));
	} else {
		file = "<stdin>";
	}
	tr->vms = calloc(MAX_VMS, sizeof(*tr->vms));
	if (!tr->vms)
		fail(1, "out of memory");
	while (fgets(buf, sizeof(buf), in)) {
		line++;
		if (!strchr(buf, '\n') && !feof(in))
			bad_line(file, line, "line longer than %d bytes",
				 LINE_MAX_LEN);
		p = trim(buf);
		if (!*p || *p == '#')
			continue;
		for (nf = 0; nf < 5; nf++) {
			f[nf] = p;
			p = strchr(p, ',');
			if (!p) {
				nf++;
				break;
			}
			*p++ = 0;
		}
		if (nf < 3 || nf > 4)
			bad_line(file, line,
				 "%d fields, want t_ns,vm,gpa[,size]", nf);
		for (ret = 0; ret < nf; ret++)
			f[ret] = trim(f[ret]);
		if (!seen_data && !tr->rows && !strcmp(f[0], "t_ns"))
			continue;	/* the header line */
		seen_data = true;
		ret = parse_u64(f[0], &t_ns);
		if (ret)
			bad_line(file, line, "t_ns: %s: '%s'",
				 ret == -ERANGE ? "too large" : "not a number",
				 f[0]);
		if (!*f[1])
			bad_line(file, line, "vm: empty");
		ret = parse_u64(f[2], &gpa);
		if (ret)
			bad_line(file, line, "gpa: %s: '%s'",
				 ret == -ERANGE ? "too large" : "not a number",
				 f[2]);
		size = PAGE_SIZE;
		if (nf == 4) {
			ret = parse_u64(f[3], &size);
			if (ret || size > (1ULL << 40))
				bad_line(file, line,
					 "size: '%s' is not a byte count 0..2^40 (0: the VM's memory was created)",
					 f[3]);
		}
		if (!tr->rows && !tr->markers) {
			last = t_ns;
			/* the module's ticks: whole tick lengths of the clock */
			t0 = absolute ? t_ns / TICK_NS * TICK_NS : t_ns;
		}
		if (t_ns < last)
			bad_line(file, line,
				 "t_ns %llu is before the previous row's %llu (sort the trace: sort -t, -k1,1n)",
				 (unsigned long long)t_ns,
				 (unsigned long long)last);
		last = t_ns;
		pages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
		vm = find_vm(tr, f[1], file, line);
		add_demand(tr, (t_ns - t0) / TICK_NS, pages);
		launch_feed(vm, (t_ns - t0) / TICK_NS, pages);
		if (!size) {
			tr->markers++;
			continue;
		}
		where_feed(vm, gpa, pages);
		tr->rows++;
		tr->pages += pages;
	}
	if (ferror(in))
		fail(1, "reading %s: %s", file, strerror(errno));
	if (in != stdin)
		fclose(in);
	if (!tr->rows)
		fail(1, "%s: no fault rows", file);
	return 0;
}

/* ---------------------------------------------------------------- replay */

struct pool {
	u64 *batch;		/* pages staged at tick t still in the pool */
	u64 head;		/* oldest tick that may still have pages */
	u64 size;
};

static void score(struct result *r, u64 *pending, u64 t, u32 w,
		  const u64 *prefix, u64 forecast)
{
	u64 slot = t % w, actual;

	/* the forecast made w ticks ago for the window ending now */
	if (t >= 2 * (u64)w - 1) {
		actual = prefix[t + 1] - prefix[t + 1 - w];
		r->windows++;
		r->sum_actual += actual;
		r->sum_abs_err += actual > pending[slot] ?
				  actual - pending[slot] :
				  pending[slot] - actual;
	}
	pending[slot] = forecast;
}

/*
 * Write @m as MODEL_IMPORT takes it (the module's own codec): a group
 * pre-trained on a trace.
 */
static void save_model(const char *path, const struct sa_forecast_model *m)
{
	size_t len = sa_forecast_blob_size();
	void *blob = malloc(len);
	FILE *f;

	if (!blob)
		fail(1, "out of memory");
	sa_forecast_export(m, blob);
	f = fopen(path, "wb");
	if (!f || fwrite(blob, 1, len, f) != len || fclose(f))
		fail(1, "writing the model to %s: %s", path, strerror(errno));
	free(blob);
}

/*
 * The launches running in tick @t, as the module's launch table holds
 * them: at most SA_FORECAST_LAUNCHES_MAX, the earliest begun first (a
 * launch beyond is not tracked, its demand is background); created but
 * not touched for at most @max_wait ticks, then younger than
 * SA_FORECAST_PROFILE_AGES ticks since the first fault.
 */
static u32 running_launches(const struct trace *tr, u64 t, u64 max_wait,
			    struct sa_forecast_launch *l)
{
	u32 nr = 0, i, a;
	u64 total;

	for (i = 0; i < tr->nr_vms && nr < SA_FORECAST_LAUNCHES_MAX; i++) {
		const struct vm *vm = &tr->vms[i];

		if (vm->created_tick > t)
			continue;
		if (vm->launch_tick > t) {
			if (t - vm->created_tick <= max_wait)
				l[nr++] = (struct sa_forecast_launch){ 0 };
			continue;
		}
		if (t - vm->launch_tick >= SA_FORECAST_PROFILE_AGES)
			continue;
		total = 0;
		for (a = 0; a <= t - vm->launch_tick; a++)
			total += vm->age_pages[a];
		l[nr++] = (struct sa_forecast_launch){
			.age = (u32)(t - vm->launch_tick),
			.pages = vm->age_pages[t - vm->launch_tick],
			.total = total,
		};
	}
	return nr;
}

static void replay(const struct opts *o, const struct trace *tr,
		   enum policy p, struct result *r)
{
	u64 h = o->horizon_ms / TICK_MS, max_age = o->max_age_ms / TICK_MS;
	u32 w = h > SA_FORECAST_WINDOW_MAX ? SA_FORECAST_WINDOW_MAX : (u32)h;
	u64 n = tr->nr_ticks, t, target = 0, need, d, take, *prefix;
	u64 pending[SA_FORECAST_WINDOW_MAX], *plan = NULL, planned = 0;
	struct sa_forecast_launch launches[SA_FORECAST_LAUNCHES_MAX];
	struct sa_forecast_model m;
	u32 nr;
	struct pool pool = { 0 };
	double ewma = 0;
	u64 fc;

	memset(r, 0, sizeof(*r));
	r->scored = p == P_NAIVE || p == P_EWMA || p == P_FORECAST;
	pool.batch = calloc(n, sizeof(*pool.batch));
	prefix = calloc(n + 1, sizeof(*prefix));
	if (!pool.batch || !prefix)
		fail(1, "out of memory");
	for (t = 0; t < n; t++)
		prefix[t + 1] = prefix[t] + tr->demand[t];
	sa_forecast_init(&m);
	if (p == P_ORACLE) {
		/* max_age >= 1: --max-age-ms is at least one tick */
		plan = malloc(n * sizeof(*plan));
		if (!plan)
			fail(1, "out of memory");
		planned = oracle_plan(tr->demand, n, o->refill, max_age, plan);
		if (planned == UINT64_MAX)
			fail(1, "out of memory");
	}

	for (t = 0; t < n; t++) {
		/* ageing: pages staged max_age ticks ago leave unused */
		while (pool.head < t && pool.head + max_age <= t) {
			r->evicted += pool.batch[pool.head];
			pool.size -= pool.batch[pool.head];
			pool.batch[pool.head++] = 0;
		}
		/* the oracle's refill is its plan's, on top of what is left */
		if (p == P_ORACLE)
			target = pool.size + plan[t];
		/* refill towards the target set at the end of tick t - 1 */
		if (target > pool.size) {
			need = target - pool.size;
			if (need > o->refill)
				need = o->refill;
			if (pool.size + need > o->cap)
				need = o->cap > pool.size ? o->cap - pool.size :
				       0;
			pool.batch[t] += need;
			pool.size += need;
			r->staged += need;
		}
		if (pool.size > r->peak)
			r->peak = pool.size;
		/* memory held: after the refill, before the faults */
		r->held += pool.size;
		/* the tick's faults, from the oldest staged pages on */
		d = tr->demand[t];
		r->demand += d;
		take = d < pool.size ? d : pool.size;
		r->hits += take;
		r->misses += d - take;
		pool.size -= take;
		while (take) {
			u64 b = pool.batch[pool.head] < take ?
				pool.batch[pool.head] : take;

			pool.batch[pool.head] -= b;
			take -= b;
			if (!pool.batch[pool.head] && pool.head < t)
				pool.head++;
		}

		/* what the policy learns from the tick, its next target */
		switch (p) {
		case P_NONE:
			target = 0;
			break;
		case P_FIXED:
			target = o->reserve;
			break;
		case P_NAIVE:
			target = prefix[t + 1] - prefix[t + 1 > h ? t + 1 - h : 0];
			fc = prefix[t + 1] - prefix[t + 1 > w ? t + 1 - w : 0];
			score(r, pending, t, w, prefix, fc);
			break;
		case P_EWMA:
			ewma = t ? EWMA_ALPHA * d + (1 - EWMA_ALPHA) * ewma : d;
			target = (u64)llround(ewma * h);
			score(r, pending, t, w, prefix, (u64)llround(ewma * w));
			break;
		case P_FORECAST:
			nr = running_launches(tr, t, max_age, launches);
			sa_forecast_observe(&m, (u32)d, launches, nr, w);
			target = sa_forecast_target(&m, launches, nr, h,
						    o->refill, o->fill);
			break;
		default:
			break;
		}
	}
	r->left = pool.size;
	if (p == P_FORECAST && o->save_model)
		save_model(o->save_model, &m);
	/* the forecaster scores itself, exactly as in the module */
	if (p == P_FORECAST) {
		r->windows = m.nr_windows;
		r->sum_abs_err = m.sum_abs_err;
		r->sum_actual = m.sum_actual;
		r->sum_naive_abs_err = m.sum_naive_abs_err;
	}
	/*
	 * The pool model must replay the plan exactly (oracle.c: oldest
	 * first serves every planned fault, nothing ages out), unless --cap
	 * clipped it.
	 */
	if (p == P_ORACLE && o->cap == ~0ULL &&
	    (r->hits != planned || r->evicted || r->staged != planned))
		fail(1, "internal error: the oracle planned %llu hits, the pool model gave %llu hits, %llu staged, %llu evicted",
		     (unsigned long long)planned, (unsigned long long)r->hits,
		     (unsigned long long)r->staged,
		     (unsigned long long)r->evicted);
	free(plan);
	free(pool.batch);
	free(prefix);
}

static double ratio(u64 a, u64 b)
{
	return b ? (double)a / (double)b : 0.0;
}

/*
 * Error relative to last-value's: the forecaster against the last-value
 * forecast it scores on its own windows (as the module's stats do), the
 * other policies against the naive policy's.
 */
static double vs_naive(const struct result *r, const struct result *naive)
{
	if (r->sum_naive_abs_err)
		return ratio(r->sum_abs_err, r->sum_naive_abs_err);
	return ratio(r->sum_abs_err, naive->sum_abs_err);
}

/* Mean over the trace's ticks of the pages staged after the refill. */
static double mean_staged(const struct result *r, const struct trace *tr)
{
	return (double)r->held / (double)tr->nr_ticks;
}

/* A value with a denominator: null in JSON, "-" in text if that is 0. */
static void json_num(u64 denominator, double v)
{
	if (denominator)
		printf("%.4f", v);
	else
		printf("null");
}

static void text_num(int width, int prec, u64 denominator, double v)
{
	if (denominator)
		printf("%*.*f", width, prec, v);
	else
		printf("%*s", width, "-");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "reserve", required_argument, NULL, 'r' },
		{ "horizon-ms", required_argument, NULL, 'H' },
		{ "max-age-ms", required_argument, NULL, 'a' },
		{ "cap", required_argument, NULL, 'c' },
		{ "refill-pages-per-tick", required_argument, NULL, 'f' },
		{ "fill-rate", required_argument, NULL, 'F' },
		{ "absolute-ticks", no_argument, NULL, 'A' },
		{ "save-model", required_argument, NULL, 'M' },
		{ "tick-ms", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "synth", required_argument, NULL, 's' },
		{ "duration-ms", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = {
		.horizon_ms = SHADOWALLOC_HORIZON_DEFAULT_MS,
		.max_age_ms = SHADOWALLOC_MAX_AGE_DEFAULT_MS, .cap = ~0ULL,
		.refill = ~0ULL, .duration_ms = 60000, .seed = 1,
		.fill = SA_FORECAST_FILL_DEFAULT,
	};
	struct result res[NR_POLICIES], *naive, *oracle;
	struct trace tr = { 0 };
	bool synth_opts = false;
	int c, i;
	u32 w;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o.policies = parse_policies(optarg);
			break;
		case 'r':
			o.reserve = opt_number("--reserve", optarg, 0,
					       1ULL << 40);
			o.have_reserve = true;
			break;
		case 'H':
			o.horizon_ms = opt_number("--horizon-ms", optarg,
						  SHADOWALLOC_HORIZON_MIN_MS,
						  SHADOWALLOC_HORIZON_MAX_MS);
			break;
		case 'a':
			o.max_age_ms = opt_number("--max-age-ms", optarg,
						  SHADOWALLOC_MAX_AGE_MIN_MS,
						  SHADOWALLOC_MAX_AGE_MAX_MS);
			break;
		case 'c':
			o.cap = opt_number("--cap", optarg, 1, 1ULL << 40);
			break;
		case 'f':
			if (!strcmp(optarg, "unlimited"))
				o.refill = ~0ULL;
			else if (parse_u64(optarg, &o.refill) == -EINVAL)
				usage_error("--refill-pages-per-tick: not a number or 'unlimited': '%s'",
					    optarg);
			else
				o.refill = opt_number("--refill-pages-per-tick",
						      optarg, 1, 1ULL << 40);
			break;
		case 'A':
			o.absolute = true;
			break;
		case 'M':
			o.save_model = optarg;
			break;
		case 'F':
			o.fill = (u32)opt_number("--fill-rate", optarg,
						 SA_FORECAST_FILL_MIN,
						 SA_FORECAST_FILL_MAX);
			break;
		case 't':
			if (opt_number("--tick-ms", optarg, 1, 1000000) !=
			    TICK_MS)
				usage_error("--tick-ms: the tick is fixed at %llu ms (the module's SHADOWALLOC_TICK_MS)",
					    (unsigned long long)TICK_MS);
			break;
		case 'j':
			o.json = true;
			break;
		case 's':
			o.synth = optarg;
			break;
		case 'd':
			o.duration_ms = opt_number("--duration-ms", optarg,
						   100, 86400000);
			synth_opts = true;
			break;
		case 'S':
			o.seed = opt_number("--seed", optarg, 0, ~0ULL);
			synth_opts = true;
			break;
		case 'h':
			usage();
			return 0;
		case ':':
			usage_error("%s: needs a value", argv[optind - 1]);
		default:
			if (optopt)
				usage_error("unknown option '-%c'", optopt);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (o.synth) {
		if (optind < argc)
			usage_error("--synth writes a trace and reads none: unexpected '%s'",
				    argv[optind]);
		return synth(&o);
	}
	if (synth_opts)
		usage_error("--duration-ms and --seed go with --synth");
	if (optind == argc)
		usage_error("no trace given (a CSV file, or - for stdin)");
	if (optind + 1 < argc)
		usage_error("one trace at a time: unexpected '%s'",
			    argv[optind + 1]);
	if (!o.policies)
		o.policies = (1U << P_NONE) | (1U << P_NAIVE) |
			     (1U << P_EWMA) | (1U << P_FORECAST) |
			     (o.have_reserve ? 1U << P_FIXED : 0);
	if ((o.policies & (1U << P_FIXED)) && !o.have_reserve)
		usage_error("--policy fixed needs --reserve R");
	if (o.save_model && !(o.policies & (1U << P_FORECAST)))
		usage_error("--save-model saves the forecast policy's model: add it to --policy");
	o.trace = argv[optind];

	read_trace(o.trace, &tr, o.absolute);
	w = o.horizon_ms / TICK_MS > SA_FORECAST_WINDOW_MAX ? SA_FORECAST_WINDOW_MAX :
	    (u32)(o.horizon_ms / TICK_MS);
	/*
	 * The naive errors are the baseline of the others', the oracle's hit
	 * rate and memory held the reference of every policy's: both always
	 * run; the oracle is always printed.
	 */
	o.policies |= 1U << P_ORACLE;
	for (i = 0; i < NR_POLICIES; i++)
		if (o.policies & (1U << i) || i == P_NAIVE)
			replay(&o, &tr, i, &res[i]);
	naive = &res[P_NAIVE];
	oracle = &res[P_ORACLE];

	for (i = 0; i < (int)tr.nr_vms; i++)
		tr.huge_votes += sa_forecast_where_huge(&tr.vms[i].where);
	if (o.json) {
		printf("{\"trace\":\"%s\",\"rows\":%llu,\"pages\":%llu,\"ticks\":%llu,\"vms\":%u,\"horizon_ms\":%llu,\"window_ticks\":%u,\"max_age_ms\":%llu,\"cap\":%lld,\"refill_pages_per_tick\":%lld,\"fill_permille\":%u,\"launch_markers\":%llu,\"huge_vms\":%llu}\n",
		       o.trace, (unsigned long long)tr.rows,
		       (unsigned long long)tr.pages,
		       (unsigned long long)tr.nr_ticks, tr.nr_vms,
		       (unsigned long long)o.horizon_ms, w,
		       (unsigned long long)o.max_age_ms,
		       o.cap == ~0ULL ? -1LL : (long long)o.cap,
		       o.refill == ~0ULL ? -1LL : (long long)o.refill,
		       o.fill, (unsigned long long)tr.markers,
		       (unsigned long long)tr.huge_votes);
	} else {
		printf("trace %s: %llu faults, %llu pages, %llu ticks of %llu ms, %u VMs\n"
		       "horizon %llu ms (window %u ticks), max age %llu ms",
		       o.trace, (unsigned long long)tr.rows,
		       (unsigned long long)tr.pages,
		       (unsigned long long)tr.nr_ticks,
		       (unsigned long long)TICK_MS, tr.nr_vms,
		       (unsigned long long)o.horizon_ms, w,
		       (unsigned long long)o.max_age_ms);
		if (o.cap != ~0ULL)
			printf(", cap %llu pages", (unsigned long long)o.cap);
		if (o.refill != ~0ULL)
			printf(", refill %llu pages/tick",
			       (unsigned long long)o.refill);
		printf("\n\n%-9s %8s %7s %10s %10s %10s %10s %12s %8s %9s\n",
		       "policy", "hit_rate", "waste", "staged", "hits",
		       "misses", "evicted", "mae/window", "rel_err",
		       "vs_naive");
	}
	for (i = 0; i < NR_POLICIES; i++) {
		const struct result *r = &res[i];

		if (!(o.policies & (1U << i)))
			continue;
		if (o.json) {
			printf("{\"policy\":\"%s\",\"hit_rate\":%.4f,\"waste\":%.4f,\"staged\":%llu,\"hits\":%llu,\"misses\":%llu,\"evicted\":%llu,\"left\":%llu,\"peak\":%llu",
			       policy_names[i], ratio(r->hits, r->demand),
			       ratio(r->evicted, r->staged),
			       (unsigned long long)r->staged,
			       (unsigned long long)r->hits,
			       (unsigned long long)r->misses,
			       (unsigned long long)r->evicted,
			       (unsigned long long)r->left,
			       (unsigned long long)r->peak);
			printf(",\"mean_staged_pages\":%.4f,\"page_seconds_per_hit\":",
			       mean_staged(r, &tr));
			json_num(r->hits, r->held * TICK_MS / 1000.0 / r->hits);
			printf(",\"hit_rate_vs_oracle\":");
			json_num(oracle->hits, (double)r->hits / oracle->hits);
			printf(",\"mean_staged_vs_oracle\":");
			json_num(oracle->held, (double)r->held / oracle->held);
			printf(",\"horizon_ms\":%llu,\"max_age_ms\":%llu,\"refill_pages_per_tick\":%lld,\"cap\":%lld",
			       (unsigned long long)o.horizon_ms,
			       (unsigned long long)o.max_age_ms,
			       o.refill == ~0ULL ? -1LL : (long long)o.refill,
			       o.cap == ~0ULL ? -1LL : (long long)o.cap);
			if (r->scored)
				printf(",\"windows\":%llu,\"mae_pages\":%.1f,\"rel_err\":%.4f,\"err_vs_naive\":%.4f",
				       (unsigned long long)r->windows,
				       ratio(r->sum_abs_err, r->windows),
				       ratio(r->sum_abs_err, r->sum_actual),
				       vs_naive(r, naive));
			printf("}\n");
			continue;
		}
		printf("%-9s %8.4f %7.4f %10llu %10llu %10llu %10llu",
		       policy_names[i], ratio(r->hits, r->demand),
		       ratio(r->evicted, r->staged),
		       (unsigned long long)r->staged,
		       (unsigned long long)r->hits,
		       (unsigned long long)r->misses,
		       (unsigned long long)r->evicted);
		if (r->scored)
			printf(" %12.1f %8.4f %9.4f\n",
			       ratio(r->sum_abs_err, r->windows),
			       ratio(r->sum_abs_err, r->sum_actual),
			       vs_naive(r, naive));
		else
			printf(" %12s %8s %9s\n", "-", "-", "-");
	}
	if (!o.json) {
		/* memory held, every policy beside the oracle */
		printf("\nmemory held (staged pages after each tick's refill, before its faults):\n"
		       "%-9s %8s %13s %12s %16s %9s\n",
		       "policy", "hit_rate", "hit_vs_oracle", "mean_staged",
		       "staged_vs_oracle", "pg_s/hit");
		for (i = 0; i < NR_POLICIES; i++) {
			const struct result *r = &res[i];

			if (!(o.policies & (1U << i)))
				continue;
			printf("%-9s %8.4f ", policy_names[i],
			       ratio(r->hits, r->demand));
			text_num(13, 4, oracle->hits,
				 (double)r->hits / oracle->hits);
			printf(" %12.1f ", mean_staged(r, &tr));
			text_num(16, 4, oracle->held,
				 (double)r->held / oracle->held);
			putchar(' ');
			text_num(9, 4, r->hits,
				 r->held * TICK_MS / 1000.0 / r->hits);
			putchar('\n');
		}
		printf("\n%llu of %u VMs dense enough for 2 MiB blocks; %llu creation markers; fill-rate goal %u permille\n",
		       (unsigned long long)tr.huge_votes, tr.nr_vms,
		       (unsigned long long)tr.markers, o.fill);
	}
	free(tr.demand);
	for (i = 0; i < (int)tr.nr_vms; i++)
		free(tr.vms[i].age_pages);
	free(tr.vms);
	return 0;
}
