// SPDX-License-Identifier: GPL-2.0
/*
 * Launch profiles in the module: a group whose VMs are launches of the
 * same workload. Each launch creates a memory object, waits (the VMM
 * setting up), then first-touches a burst far faster than the pool's
 * zeroing budget can follow. The first launch learns: nothing could have
 * been staged for it. The later ones hit: their object's creation starts
 * the profile's first ticks staging, at the budget, before the burst.
 *
 * Between launches the group idles longer than the safety stock's span
 * (SA_FORECAST_STOCK ticks) and the pool's max age, so what serves
 * launches 2 and 3 is the profile and nothing else; a control group that sees the same launches
 * with its profile cleared by a fresh prior before each one shows what the
 * other rules alone would do.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <time.h>

#include "kselftest_harness.h"
#include "sa_test.h"
#include "../kmod/forecast.h"

#define G1 701
#define PAGE 4096UL
/* The burst: 8 MiB first-touched at once. */
#define BURST_PAGES 2048
/* The zeroing budget: the burst takes it 2 s; the lead covers that. */
#define BUDGET 1024
#define LEAD_MS 3500
/*
 * Staged pages age out after 5 s: what launch 1 left staged is gone
 * before launch 2 (a launch waits at most this long for its first fault).
 */
#define MAX_AGE_MS 5000
/* Idle between launches: more than the stock's span of ticks. */
#define GAP_MS ((SA_FORECAST_STOCK + 16) * SHADOWALLOC_TICK_MS)

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

/* The group model's debugfs line, for the log. */
static void model_line(char *buf, size_t len)
{
	FILE *f = fopen("/sys/kernel/debug/shadowalloc/telemetry", "r");
	char want[32], line2[512];

	snprintf(buf, len, "-");
	if (!f)
		return;
	snprintf(want, sizeof(want), "group %d forecast", G1);
	while (fgets(buf, len, f))
		if (!strncmp(buf, want, strlen(want)))
			break;
	fclose(f);
	f = fopen("/sys/kernel/debug/shadowalloc/telemetry", "r");
	if (!f)
		return;
	snprintf(want, sizeof(want), "group %d pool", G1);
	while (fgets(line2, sizeof(line2), f))
		if (!strncmp(line2, want, strlen(want)))
			fprintf(stderr, "# %s", line2);
	fclose(f);
}

/*
 * One launch: a new memory object (this process, a member, creates it),
 * the lead, the burst. Returns the hits and misses of its first touches.
 */
static int launch(int ctl, uint64_t *hits, uint64_t *misses,
		  uint64_t *staged)
{
	struct shadowalloc_stats a, b, c;
	char line[512];
	size_t len = BURST_PAGES * PAGE, i;
	char *p;
	int fd;

	fd = open(SA_DEV, O_RDWR);
	if (fd < 0)
		return -errno;
	if (__sa_stats(ctl, G1, &a)) {
		close(fd);
		return -EIO;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return -errno;
	}
	madvise(p, len, MADV_NOHUGEPAGE);
	sleep_ms(LEAD_MS);
	if (__sa_stats(ctl, G1, &c))
		return -EIO;
	*staged = c.staged_pages;
	model_line(line, sizeof(line));
	fprintf(stderr, "# before the burst: %s", line);
	for (i = 0; i < len; i += PAGE)
		p[i] = 1;
	munmap(p, len);
	close(fd);
	if (__sa_stats(ctl, G1, &b))
		return -EIO;
	*hits = b.hits - a.hits;
	*misses = b.misses - a.misses;
	return 0;
}

FIXTURE(launch) {
	int fd;
};

FIXTURE_SETUP(launch)
{
	struct shadowalloc_pool_config c = {
		.size = sizeof(c), .group_id = G1,
		.flags = SHADOWALLOC_POOL_SET_ZERO_BUDGET |
			 SHADOWALLOC_POOL_SET_HUGE | SHADOWALLOC_POOL_SET_MAX_AGE,
		.zero_pages_per_sec = BUDGET, .huge = 0,
		.max_age_ms = MAX_AGE_MS,
	};

	self->fd = open(SA_DEV, O_RDWR);
	if (self->fd < 0)
		SKIP(return, "%s: %s", SA_DEV, strerror(errno));
	__sa_remove_vm(self->fd, G1, getpid());
	__sa_destroy(self->fd, G1);
	ASSERT_EQ(0, __sa_create(self->fd, G1, 0, 0, 1000));
	ASSERT_EQ(0, __sa_ioctl(self->fd, SHADOWALLOC_IOC_POOL_CONFIG, &c));
	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, getpid()));
	ASSERT_EQ(0, __sa_enable(self->fd, G1));
}

FIXTURE_TEARDOWN(launch)
{
	if (self->fd < 0)
		return;
	__sa_remove_vm(self->fd, G1, getpid());
	__sa_destroy(self->fd, G1);
	close(self->fd);
}

/* Launch 1 learns, launches 2 and 3 hit. */
TEST_F_TIMEOUT(launch, first_learns_later_hit, 240)
{
	uint64_t hits[3], misses[3], staged;
	int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, launch(self->fd, &hits[i], &misses[i], &staged));
		TH_LOG("launch %d: %llu staged before its burst, %llu hits, %llu misses of %d first touches",
		       i + 1, (unsigned long long)staged,
		       (unsigned long long)hits[i],
		       (unsigned long long)misses[i], BURST_PAGES);
		ASSERT_EQ(BURST_PAGES, hits[i] + misses[i]);
		sleep_ms(GAP_MS);
	}
	/* the budget zeroes 102 pages per tick: most of a 2048 burst misses */
	EXPECT_LE(hits[0] * 2, BURST_PAGES);
	EXPECT_GE(hits[1] * 10, BURST_PAGES * 9);
	EXPECT_GE(hits[2] * 10, BURST_PAGES * 9);
}

/*
 * The control: the same launches, the model reset to the prior (a fresh
 * blob imported) before each. Without the profile every launch is a first.
 */
TEST_F_TIMEOUT(launch, without_profile_every_launch_misses, 240)
{
	struct sa_forecast_model prior;
	struct shadowalloc_model arg = { .size = sizeof(arg), .group_id = G1 };
	uint64_t hits, misses, staged;
	void *blob = malloc(sa_forecast_blob_size());
	int i;

	ASSERT_NE(NULL, blob);
	sa_forecast_init(&prior);
	sa_forecast_export(&prior, blob);
	arg.blob = (uintptr_t)blob;
	arg.blob_len = sa_forecast_blob_size();
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, __sa_ioctl(self->fd, SHADOWALLOC_IOC_MODEL_IMPORT,
					&arg));
		ASSERT_EQ(0, launch(self->fd, &hits, &misses, &staged));
		TH_LOG("launch %d from the prior: %llu staged before, %llu hits, %llu misses",
		       i + 1, (unsigned long long)staged,
		       (unsigned long long)hits,
		       (unsigned long long)misses);
		EXPECT_LE(hits * 2, BURST_PAGES);
		sleep_ms(GAP_MS);
	}
	free(blob);
}

/*
 * Cold start from a pre-trained model: the profile learned offline (the
 * forecaster's own code, as sa_replay --save-model runs it, on one launch
 * like the ones here) is imported; the group's first launch hits.
 */
TEST_F_TIMEOUT(launch, pretrained_first_launch_hits, 120)
{
	struct shadowalloc_model arg = { .size = sizeof(arg), .group_id = G1 };
	struct sa_forecast_launch l = { 0 };
	struct sa_forecast_model m;
	uint64_t hits, misses, staged;
	void *blob = malloc(sa_forecast_blob_size());
	int t;

	ASSERT_NE(NULL, blob);
	sa_forecast_init(&m);
	/* created, a tick later the burst, then idle as the others */
	sa_forecast_observe(&m, 0, &l, 1, 10);
	l = (struct sa_forecast_launch){ .pages = BURST_PAGES,
					 .total = BURST_PAGES };
	sa_forecast_observe(&m, BURST_PAGES, &l, 1, 10);
	for (t = 1; t < 10; t++) {
		l = (struct sa_forecast_launch){ .age = t,
						 .total = BURST_PAGES };
		sa_forecast_observe(&m, 0, &l, 1, 10);
	}
	for (t = 0; t < SA_FORECAST_STOCK; t++)
		sa_forecast_observe(&m, 0, NULL, 0, 10);
	sa_forecast_export(&m, blob);
	arg.blob = (uintptr_t)blob;
	arg.blob_len = sa_forecast_blob_size();
	ASSERT_EQ(0, __sa_ioctl(self->fd, SHADOWALLOC_IOC_MODEL_IMPORT, &arg));
	ASSERT_EQ(0, launch(self->fd, &hits, &misses, &staged));
	TH_LOG("first launch, pre-trained: %llu staged before, %llu hits, %llu misses",
	       (unsigned long long)staged, (unsigned long long)hits,
	       (unsigned long long)misses);
	EXPECT_GE(hits * 10, BURST_PAGES * 9);
	free(blob);
}

TEST_HARNESS_MAIN
