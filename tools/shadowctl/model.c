// SPDX-License-Identifier: GPL-2.0
/*
 * shadowctl model export|import and shadowctl record: moving a group's
 * forecaster state in and out, and recording its first-touch faults as a
 * trace for tools/forecast/sa_replay (CSV t_ns,vm,gpa,size).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libshadowalloc.h"
#include "shadowctl.h"
#include "telemetry.bpf.h"

/*
 * A file the model moves through could not be used: the failure, with the
 * file named (a field of its own in JSON). Returns the exit status.
 */
static int file_fail(const char *path, const char *doing, int err)
{
	set_context("file", path);
	return failf(err, "cannot %s: %s", doing, strerror(err));
}

static int model_export(int argc, char **argv)
{
	static unsigned char blob[SHADOWALLOC_MODEL_BLOB_MAX];
	const char *path;
	uint32_t len = 0;
	uint32_t id;
	FILE *out;
	int ret;

	if (argc < 2)
		usage_error("expects ID FILE");
	no_extra_args(argc, argv, 2);
	id = parse_group_id(argv[0]);
	path = argv[1];
	ret = shadowalloc_model_export(open_device(), id, blob, sizeof(blob),
				       &len);
	if (ret)
		return fail(SHADOWALLOC_OP_MODEL_EXPORT, ret);
	/* The blob on stdout is the output: no JSON or text beside it. */
	if (!strcmp(path, "-")) {
		if (fwrite(blob, 1, len, stdout) != len || fflush(stdout))
			return file_fail(path, "write", errno ?: EIO);
		return 0;
	}
	out = fopen(path, "wb");
	if (!out)
		return file_fail(path, "open for writing", errno);
	if (fwrite(blob, 1, len, out) != len) {
		ret = errno ?: EIO;
		fclose(out);
		return file_fail(path, "write", ret);
	}
	if (fclose(out))
		return file_fail(path, "write", errno);
	if (json) {
		json_ok_begin();
		printf(",\"file\":");
		json_string(path);
		printf(",\"bytes\":%u}\n", len);
	} else {
		printf("group %u: model written to %s (%u bytes)\n", id, path, len);
	}
	return 0;
}

static int model_import(int argc, char **argv)
{
	static unsigned char blob[SHADOWALLOC_MODEL_BLOB_MAX + 1];
	const char *path;
	uint32_t id;
	size_t len;
	FILE *in;
	int ret;

	if (argc < 2)
		usage_error("expects ID FILE");
	no_extra_args(argc, argv, 2);
	id = parse_group_id(argv[0]);
	path = argv[1];
	in = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!in)
		return file_fail(path, "open", errno);
	len = fread(blob, 1, sizeof(blob), in);
	ret = ferror(in) ? (errno ?: EIO) : 0;
	if (in != stdin)
		fclose(in);
	if (ret)
		return file_fail(path, "read", ret);
	if (len > SHADOWALLOC_MODEL_BLOB_MAX) {
		set_context("file", path);
		return failf(EFBIG, "larger than a model blob (%u bytes at most)",
			     SHADOWALLOC_MODEL_BLOB_MAX);
	}
	ret = shadowalloc_model_import(open_device(), id, blob, len);
	if (ret)
		return fail(SHADOWALLOC_OP_MODEL_IMPORT, ret);
	if (json) {
		json_ok_begin();
		printf(",\"file\":");
		json_string(path);
		printf(",\"bytes\":%zu}\n", len);
	} else {
		printf("group %u: model imported from %s (%zu bytes)\n", id, path, len);
	}
	return 0;
}

/* FILE may be "-" for stdout / stdin. */
const struct cmd model_cmds[] = {
	CMD("export", model_export, "ID FILE",
	    "write the group's forecaster state (a blob)"),
	CMD("import", model_import, "ID FILE",
	    "replace it (a pre-trained model; bad blobs refused)"),
	{}
};

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

/* With --json and FILE "-": one JSON object, its "faults" streamed. */
static void record_json_row(bool first, const struct shadowalloc_trace_record *r)
{
	printf("%s{\"t_ns\":%llu,\"vm\":%u,\"offset\":%llu,\"size\":%u}",
	       first ? "" : ",", (unsigned long long)r->t_ns, r->vm_pid,
	       (unsigned long long)r->offset, r->size);
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
 * before the header says so. With --json the summary is a JSON object on
 * stdout; with --json and FILE "-" stdout is that one object, the faults
 * in its "faults" array (t_ns, vm, offset, size) instead of CSV.
 *
 * Return: the exit status.
 */
int cmd_record(int argc, char **argv)
{
	struct shadowalloc_trace_record recs[256];
	unsigned long long written = 0, lost = 0;
	struct sigaction sa = { .sa_handler = record_signal };
	uint64_t duration_ms = 0;
	unsigned int seen = 0;
	bool stream_json;
	const char *path, *val;
	int rfd, i, err = 0;
	double end = 0;
	uint32_t id;
	FILE *out;

	if (argc < 2)
		usage_error("expects ID FILE [--duration-ms MS]");
	id = parse_group_id(argv[0]);
	path = argv[1];
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--duration-ms"))
			usage_error("unknown option '%s'", argv[i]);
		val = option_value(argc, argv, &i, &seen, 1);
		duration_ms = parse_u64("--duration-ms", val, 1, 86400000);
	}
	rfd = shadowalloc_record(open_device(), id);
	if (rfd < 0)
		return fail(SHADOWALLOC_OP_RECORD, rfd);
	out = strcmp(path, "-") ? fopen(path, "w") : stdout;
	if (!out) {
		err = errno;
		close(rfd);
		set_context("file", path);
		return failf(err, "cannot open for writing: %s", strerror(err));
	}
	stream_json = json && out == stdout;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (duration_ms)
		end = now_ms() + duration_ms;

	if (stream_json) {
		printf("{\"command\":\"record\",\"group_id\":%u,\"faults\":[", id);
	} else {
		/* No commas: readers of the CSV skip "#" lines or only line 1. */
		fprintf(out, "# shadowalloc group %u first touches: gpa is the byte offset in the memory object (not guest-physical); vm is the object owner's pid; size is the folio's bytes; time order per CPU\n",
			id);
		fprintf(out, "t_ns,vm,gpa,size\n");
	}
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
			err = errno;
			break;
		}
		if (n == 0)	/* the group was destroyed */
			break;
		for (i = 0; i < n / (ssize_t)sizeof(recs[0]); i++) {
			if (!recs[i].size) {
				lost += recs[i].lost;
				continue;
			}
			if (stream_json)
				record_json_row(!written, &recs[i]);
			else
				fprintf(out, "%llu,%u,%llu,%u\n",
					(unsigned long long)recs[i].t_ns,
					recs[i].vm_pid,
					(unsigned long long)recs[i].offset,
					recs[i].size);
			written++;
		}
	}
	close(rfd);
	if (stream_json) {
		printf("],\"records\":%llu,\"lost\":%llu,\"ok\":%s", written,
		       lost, err ? "false" : "true");
		if (err) {
			printf(",\"error\":\"%s\",\"errno\":%d,\"message\":",
			       strerrorname_np(err) ?: "E?", err);
			json_string(strerror(err));
		}
		printf("}\n");
		if (err)
			fprintf(stderr, "shadowctl: record %u: read: %s\n", id,
				strerror(err));
		return err ? 1 : 0;
	}
	if (out != stdout && fclose(out) && !err) {
		set_context("file", path);
		return failf(errno, "cannot write: %s", strerror(errno));
	}
	if (err)
		return failf(err, "read: %s", strerror(err));
	if (json) {
		json_ok_begin();
		printf(",\"file\":");
		json_string(path);
		printf(",\"records\":%llu,\"lost\":%llu}\n", written, lost);
	} else {
		fprintf(stderr, "group %u: %llu faults recorded, %llu lost\n", id,
			written, lost);
	}
	return 0;
}
