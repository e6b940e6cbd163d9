// SPDX-License-Identifier: GPL-2.0
/*
 * touch-mem - the L2 workload: touch N MiB of fresh memory, one write per
 * 4 KiB page, and print the elapsed time measured inside the guest.
 * Built static, so it runs in the busybox-only L2 initramfs.
 *
 * touch-mem MIB
 *	one touch: "touch-mem: MIB MiB in NS ns"
 * touch-mem --cycles N [--free-wait-ms T] [--settle-ms S] MIB
 *	steady state with free page reporting: N times allocate MIB, touch
 *	every page, free it (munmap, so the pages go back to the guest's
 *	buddy allocator), wait T ms so the guest's free page reporting
 *	(page_reporting: about 2 s after the free, in pageblock-order
 *	chunks) reports them and the host discards them. Each cycle prints
 *	  "touch-mem: cycle K MiB MIB touch NS ns"   after its touch,
 *	  "touch-mem: cycle K waited"                 after its wait,
 *	waits until the console has sent each line (tcdrain: a serial
 *	console of a nested guest lags seconds behind the writes), then
 *	sleeps S ms before it frees or touches again, so a host that follows
 *	the console samples its counters between the markers, while nothing
 *	happens in the guest (bench: tools/bench/l2_refault_bench.sh).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <time.h>

#define MIB_MAX		(1UL << 20)	/* 1 TiB: no guest here has more */
#define CYCLES_MAX	100000UL
#define WAIT_MS_MAX	3600000UL	/* one hour */

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sleep_ms(unsigned long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int usage(const char *why)
{
	if (why)
		fprintf(stderr, "touch-mem: %s\n", why);
	fprintf(stderr,
		"usage: touch-mem MIB\n"
		"       touch-mem --cycles N [--free-wait-ms T] [--settle-ms S] MIB\n"
		"  MIB 1..%lu, N 1..%lu, T and S 0..%lu (defaults T 3000, S 500)\n",
		MIB_MAX, CYCLES_MAX, WAIT_MS_MAX);
	return 2;
}

/* A decimal number in [min, max], or -1 (with the reason in *why). */
static int parse_ulong(const char *s, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* A marker line, on the console before we go on (or not a tty: no wait). */
static void marker(const char *line)
{
	fputs(line, stdout);
	fflush(stdout);
	tcdrain(1);
}

/* Map and touch @len bytes; returns the mapping, the touch time in @ns. */
static char *touch(unsigned long len, unsigned long long *ns)
{
	unsigned long long t0;
	unsigned long i;
	char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("touch-mem: mmap");
		return NULL;
	}
	t0 = now_ns();
	for (i = 0; i < len; i += 4096)
		p[i] = 1;
	*ns = now_ns() - t0;
	return p;
}

int main(int argc, char **argv)
{
	unsigned long mib, len, cycles = 0, wait_ms = 3000, settle_ms = 500, k;
	unsigned long long ns;
	bool timing = false;
	char line[128];
	int i;
	char *p;

	for (i = 1; i < argc - 1; i += 2) {
		unsigned long *dst, max = WAIT_MS_MAX, min = 0;

		if (!strcmp(argv[i], "--cycles")) {
			dst = &cycles;
			min = 1;
			max = CYCLES_MAX;
		} else if (!strcmp(argv[i], "--free-wait-ms")) {
			dst = &wait_ms;
			timing = true;
		} else if (!strcmp(argv[i], "--settle-ms")) {
			dst = &settle_ms;
			timing = true;
		} else {
			fprintf(stderr, "touch-mem: unknown option '%s'\n", argv[i]);
			return usage(NULL);
		}
		if (parse_ulong(argv[i + 1], min, max, dst)) {
			fprintf(stderr, "touch-mem: %s: not a number in %lu..%lu: '%s'\n",
				argv[i], min, max, argv[i + 1]);
			return usage(NULL);
		}
	}
	if (i != argc - 1)
		return usage(argc < 2 ? "expects MIB" : "expects MIB last, after the options");
	if (parse_ulong(argv[argc - 1], 1, MIB_MAX, &mib)) {
		fprintf(stderr, "touch-mem: MIB: not a number in 1..%lu: '%s'\n",
			MIB_MAX, argv[argc - 1]);
		return usage(NULL);
	}
	if (!cycles && timing)
		return usage("--free-wait-ms and --settle-ms need --cycles");
	len = mib << 20;

	if (!cycles) {
		if (!touch(len, &ns))
			return 1;
		printf("touch-mem: %lu MiB in %llu ns\n", mib, ns);
		return 0;
	}
	/* Line buffered: the host reads the markers as they come. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (k = 1; k <= cycles; k++) {
		p = touch(len, &ns);
		if (!p)
			return 1;
		snprintf(line, sizeof(line), "touch-mem: cycle %lu MiB %lu touch %llu ns\n",
			 k, mib, ns);
		marker(line);
		sleep_ms(settle_ms);
		if (munmap(p, len)) {
			perror("touch-mem: munmap");
			return 1;
		}
		sleep_ms(wait_ms);
		snprintf(line, sizeof(line), "touch-mem: cycle %lu waited\n", k);
		marker(line);
		if (k < cycles)
			sleep_ms(settle_ms);
	}
	return 0;
}
