// SPDX-License-Identifier: GPL-2.0
/*
 * shadowctl model export|import and shadowctl record: moving a group's
 * forecaster state in and out, and recording its first-touch faults as a
 * trace for tools/forecast/sa_replay (CSV t_ns,vm,gpa,size).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libshadowalloc.h"
#include "shadowctl.h"
#include "telemetry.bpf.h"

static int model_export(int fd, uint32_t id, const char *path)
{
	static unsigned char blob[SHADOWALLOC_MODEL_BLOB_MAX];
	char what[64];
	uint32_t len = 0;
	FILE *out;
	int ret;

	snprintf(what, sizeof(what), "model export %u", id);
	ret = shadowalloc_model_export(fd, id, blob, sizeof(blob), &len);
	if (ret)
		return fail(SHADOWALLOC_OP_MODEL_EXPORT, what, ret);
	out = strcmp(path, "-") ? fopen(path, "wb") : stdout;
	if (!out || fwrite(blob, 1, len, out) != len ||
	    (out != stdout && fclose(out))) {
		fprintf(stderr, "shadowctl: %s: cannot write %s: %s\n", what,
			path, strerror(errno));
		return 1;
	}
	if (out == stdout)
		return 0;
	if (json)
		printf("{\"ok\":true,\"command\":\"model export\",\"group_id\":%u,\"bytes\":%u}\n",
		       id, len);
	else
		printf("group %u: model written to %s (%u bytes)\n", id, path, len);
	return 0;
}

static int model_import(int fd, uint32_t id, const char *path)
{
	static unsigned char blob[SHADOWALLOC_MODEL_BLOB_MAX + 1];
	char what[64];
	size_t len;
	FILE *in;
	int ret;

	snprintf(what, sizeof(what), "model import %u", id);
	in = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!in) {
		fprintf(stderr, "shadowctl: %s: cannot open %s: %s\n", what,
			path, strerror(errno));
		return 1;
	}
	len = fread(blob, 1, sizeof(blob), in);
	if (in != stdin)
		fclose(in);
	if (len > SHADOWALLOC_MODEL_BLOB_MAX) {
		fprintf(stderr, "shadowctl: %s: %s is larger than a model blob (%u bytes at most)\n",
			what, path, SHADOWALLOC_MODEL_BLOB_MAX);
		return 1;
	}
	ret = shadowalloc_model_import(fd, id, blob, len);
	if (ret)
		return fail(SHADOWALLOC_OP_MODEL_IMPORT, what, ret);
	if (json)
		printf("{\"ok\":true,\"command\":\"model import\",\"group_id\":%u,\"bytes\":%zu}\n",
		       id, len);
	else
		printf("group %u: model imported from %s (%zu bytes)\n", id, path, len);
	return 0;
}

static int model_export_cmd(int argc, char **argv)
{
	(void)argc;
	return model_export(open_device(), parse_group_id(argv[0]), argv[1]);
}

static int model_import_cmd(int argc, char **argv)
{
	(void)argc;
	return model_import(open_device(), parse_group_id(argv[0]), argv[1]);
}

/* FILE may be "-" for stdout / stdin. */
const struct cmd model_cmds[] = {
	CMD("export", model_export_cmd, "ID FILE",
	    "write the group's forecaster state (a blob)"),
	CMD("import", model_import_cmd, "ID FILE",
	    "replace it (a pre-trained model; bad blobs refused)"),
	{}
};

/**
 * cmd_model() - shadowctl model export|import ID FILE
 * @argc: arguments after "model"
 * @argv: the arguments
 *
 * Return: the exit status.
 */
int cmd_model(int argc, char **argv)
{
	const struct cmd *c = argc == 3 ? cmd_find(model_cmds, argv[0]) : NULL;

	if (!c)
		usage_error("model: expects export|import ID FILE");
	return c->func(argc - 1, argv + 1);
}

static volatile sig_atomic_t record_stop;

static void record_signal(int sig)
{
	(void)sig;
	record_stop = 1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/**
 * cmd_record() - shadowctl record ID FILE [--duration-ms MS]
 * @argc: arguments after "record"
 * @argv: the arguments
 *
 * Writes the group's first-touch faults as CSV (t_ns,vm,gpa,size) until
 * the duration passed, SIGINT/SIGTERM, or the group is destroyed. The
 * records come from the module's fault handler, no telemetry needed: the
 * "gpa" column is the byte offset in the memory object (not a
 * guest-physical address), "vm" the object owner's pid; rows are in time
 * order per CPU (sort -t, -k1,1n for sa_replay). A "# " comment line
 * before the header says so.
 *
 * Return: the exit status.
 */
int cmd_record(int argc, char **argv)
{
	struct shadowalloc_trace_record recs[256];
	unsigned long long written = 0, lost = 0;
	uint64_t duration_ms = 0;
	struct sigaction sa = { .sa_handler = record_signal };
	const char *path;
	char what[64];
	double end = 0;
	int rfd, i;
	uint32_t id;
	FILE *out;

	if (argc != 2 && argc != 4)
		usage_error("record: expects ID FILE [--duration-ms MS]");
	id = parse_group_id(argv[0]);
	path = argv[1];
	if (argc == 4) {
		if (strcmp(argv[2], "--duration-ms"))
			usage_error("record: unknown option '%s'", argv[2]);
		duration_ms = parse_u64("--duration-ms", argv[3], 1, 86400000);
	}
	snprintf(what, sizeof(what), "record %u", id);
	rfd = shadowalloc_record(open_device(), id);
	if (rfd < 0)
		return fail(SHADOWALLOC_OP_RECORD, what, rfd);
	out = strcmp(path, "-") ? fopen(path, "w") : stdout;
	if (!out) {
		fprintf(stderr, "shadowctl: %s: cannot write %s: %s\n", what,
			path, strerror(errno));
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (duration_ms)
		end = now_ms() + duration_ms;

	/* No commas: readers of the CSV skip "#" lines or only line 1. */
	fprintf(out, "# shadowalloc group %u first touches: gpa is the byte offset in the memory object (not guest-physical); vm is the object owner's pid; size is the folio's bytes; time order per CPU\n",
		id);
	fprintf(out, "t_ns,vm,gpa,size\n");
	while (!record_stop) {
		struct pollfd pfd = { .fd = rfd, .events = POLLIN };
		int timeout = 200;
		ssize_t n;

		if (end) {
			double left = end - now_ms();

			if (left <= 0)
				break;
			if (left < timeout)
				timeout = left + 1;
		}
		if (poll(&pfd, 1, timeout) <= 0)
			continue;
		n = read(rfd, recs, sizeof(recs));
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fprintf(stderr, "shadowctl: %s: read: %s\n", what, strerror(errno));
			return 1;
		}
		if (n == 0)	/* the group was destroyed */
			break;
		for (i = 0; i < n / (ssize_t)sizeof(recs[0]); i++) {
			if (!recs[i].size) {
				lost += recs[i].lost;
				continue;
			}
			fprintf(out, "%llu,%u,%llu,%u\n",
				(unsigned long long)recs[i].t_ns, recs[i].vm_pid,
				(unsigned long long)recs[i].offset, recs[i].size);
			written++;
		}
	}
	close(rfd);
	if (out != stdout && fclose(out)) {
		fprintf(stderr, "shadowctl: %s: %s: %s\n", what, path, strerror(errno));
		return 1;
	}
	if (json)
		fprintf(out == stdout ? stderr : stdout,
			"{\"ok\":true,\"command\":\"record\",\"group_id\":%u,\"records\":%llu,\"lost\":%llu}\n",
			id, written, lost);
	else
		fprintf(stderr, "group %u: %llu faults recorded, %llu lost\n", id,
			written, lost);
	return 0;
}
