// SPDX-License-Identifier: GPL-2.0
/*
 * shadowctl attach | detach | status: the telemetry BPF programs.
 *
 * attach loads telemetry.bpf.c (the skeleton), attaches its mapping
 * program (with --faults its fault program too; Documentation/telemetry.rst,
 * "Which events") to KVM's tracepoints and pins the links and the counters
 * map under SHADOWALLOC_BPF_PIN_DIR, so they stay attached after shadowctl exits.
 * detach removes exactly those pins; the last reference to each link goes
 * with them, which detaches the programs and drops their reference on the
 * module (only then can it be unloaded).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "shadowctl.h"
#include "telemetry.bpf.h"
#include "telemetry.skel.h"

#define BPFFS		"/sys/fs/bpf"
#define PIN_MAP		SHADOWALLOC_BPF_PIN_DIR "/group_counters"

/*
 * The pins attach creates, in the order detach removes them. The mapping
 * program and the map are always there; the fault program only after
 * "attach --faults" (PIN_OPTIONAL).
 */
enum { PIN_MAPPING, PIN_FAULT, PIN_MAP_IDX, NR_PINS };
#define PIN_OPTIONAL	PIN_FAULT
static const struct {
	const char *path;
	const char *what;
} pins[NR_PINS] = {
	[PIN_MAPPING] = { SHADOWALLOC_BPF_PIN_DIR "/link_kvm_mmu_spte_requested",
			  "kvmmmu:kvm_mmu_spte_requested" },
	[PIN_FAULT] = { SHADOWALLOC_BPF_PIN_DIR "/link_kvm_page_fault",
			"kvm:kvm_page_fault" },
	[PIN_MAP_IDX] = { PIN_MAP, "group_counters map" },
};

/* libbpf's own messages: warnings only, they explain a failed load. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	fputs("libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

/*
 * Where attach, detach and status serialise: two attaches at once would
 * both find no pins and race to create them (one fails on mkdir or
 * removes the other's "leftovers"). /run is a tmpfs: the lock file needs no
 * cleanup and works where /sys/fs/bpf is not mounted yet.
 */
#define LOCK_DIR	"/run/shadowalloc"
#define LOCK_FILE	LOCK_DIR "/telemetry.lock"

/*
 * Take the telemetry lock, exclusive for attach and detach, shared for
 * status; it is held until the process exits. Returns 0 or the exit
 * status of a failure.
 */
static int telemetry_lock(bool exclusive)
{
	int fd;

	if (mkdir(LOCK_DIR, 0755) && errno != EEXIST)
		return failf(errno, "cannot create %s: %s", LOCK_DIR,
			     strerror(errno));
	fd = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return failf(errno, "cannot open %s: %s", LOCK_FILE,
			     strerror(errno));
	while (flock(fd, exclusive ? LOCK_EX : LOCK_SH))
		if (errno != EINTR)
			return failf(errno, "cannot lock %s: %s", LOCK_FILE,
				     strerror(errno));
	return 0;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Pins present, not counting the optional one. */
static unsigned int pins_present(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < NR_PINS; i++)
		n += i != PIN_OPTIONAL && exists(pins[i].path);
	return n;
}
#define NR_REQUIRED_PINS	(NR_PINS - 1)

/* Remove every pin attach makes, and the directory; errors are reported. */
static int remove_pins(void)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < NR_PINS; i++) {
		/* One failure reported: one JSON object per command. */
		if (unlink(pins[i].path) && errno != ENOENT && !ret)
			ret = failf(errno, "cannot remove %s: %s",
				    pins[i].path, strerror(errno));
	}
	if (rmdir(SHADOWALLOC_BPF_PIN_DIR) && errno != ENOENT && !ret)
		ret = failf(errno, "cannot remove %s: %s (pins of another tool?)",
			    SHADOWALLOC_BPF_PIN_DIR, strerror(errno));
	return ret;
}

/* What stands in the way of loading: a message (and *@err), or NULL. */
static const char *attach_precondition(int *err)
{
	*err = ENOENT;
	if (!exists("/sys/kernel/btf/vmlinux"))
		return "this kernel has no BTF (/sys/kernel/btf/vmlinux missing; CONFIG_DEBUG_INFO_BTF)";
	if (!exists("/sys/module/shadowalloc"))
		return "the shadowalloc module is not loaded (insmod shadowalloc.ko first)";
	if (!exists("/sys/kernel/btf/shadowalloc"))
		return "the shadowalloc module has no BTF (build it with pahole installed, CONFIG_DEBUG_INFO_BTF_MODULES)";
	if (!exists("/sys/kernel/btf/kvm"))
		return "KVM is not loaded, or without BTF (/sys/kernel/btf/kvm missing; modprobe kvm_amd or kvm_intel)";
	return NULL;
}

/* /sys/fs/bpf must be a BPF filesystem: mount one if nothing is there. */
static int ensure_bpffs(void)
{
	struct statfs st;

	if (statfs(BPFFS, &st))
		return failf(errno, "%s: %s", BPFFS, strerror(errno));
	if (st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", BPFFS, "bpf", 0, "mode=0700"))
		return failf(errno, "%s is not a BPF filesystem and mounting one failed: %s",
			     BPFFS, strerror(errno));
	return 0;
}

/* attach [--faults]: the mapping program, and the fault program if asked. */
static int do_attach(bool faults)
{
	struct telemetry_bpf *skel;
	struct bpf_link *links[2];
	const char *why;
	unsigned int i;
	int err;

	why = attach_precondition(&err);
	if (why)
		return failf(err, "%s", why);
	/* Held to the end: the check for pins and their creation are one step. */
	if (telemetry_lock(true) || ensure_bpffs())
		return 1;
	if (pins_present() == NR_REQUIRED_PINS &&
	    exists(pins[PIN_FAULT].path) != faults)
		return failf(EEXIST, "telemetry is attached %s kvm:kvm_page_fault: run 'shadowctl detach' first to change that",
			     faults ? "without" : "with");
	if (pins_present() == NR_REQUIRED_PINS) {
		if (json)
			printf("{\"ok\":true,\"command\":\"attach\",\"already\":true}\n");
		else
			printf("telemetry already attached (%s)\n",
			       SHADOWALLOC_BPF_PIN_DIR);
		return 0;
	}
	/* Leftovers of an interrupted attach or detach: start clean. */
	if (remove_pins())
		return 1;

	libbpf_set_print(libbpf_print);
	skel = telemetry_bpf__open();
	if (!skel)
		return failf(errno, "opening the BPF programs failed: %s",
			     strerror(errno));
	/* Not loaded, not attached: kvm_page_fault then costs KVM nothing. */
	if (!faults)
		bpf_program__set_autoload(skel->progs.sa_kvm_page_fault, false);
	err = telemetry_bpf__load(skel);
	if (err) {
		failf(-err, "loading the BPF programs failed: %s",
		      strerror(-err));
		goto out;
	}
	err = telemetry_bpf__attach(skel);
	if (err) {
		failf(-err, "attaching to KVM's tracepoints failed: %s",
		      strerror(-err));
		goto out;
	}
	if (mkdir(SHADOWALLOC_BPF_PIN_DIR, 0700)) {
		err = -errno;
		failf(-err, "cannot create %s: %s", SHADOWALLOC_BPF_PIN_DIR,
		      strerror(-err));
		goto out;
	}
	links[PIN_MAPPING] = skel->links.sa_kvm_mmu_spte_requested;
	links[PIN_FAULT] = faults ? skel->links.sa_kvm_page_fault : NULL;
	for (i = 0; i < 2; i++) {
		err = links[i] ? bpf_link__pin(links[i], pins[i].path) : 0;
		if (err)
			break;
	}
	if (!err)
		err = bpf_map__pin(skel->maps.group_counters, PIN_MAP);
	if (err) {
		failf(-err, "pinning under %s failed: %s",
		      SHADOWALLOC_BPF_PIN_DIR, strerror(-err));
		remove_pins();
		goto out;
	}
	if (json)
		printf("{\"ok\":true,\"command\":\"attach\",\"already\":false,\"faults\":%s}\n",
		       faults ? "true" : "false");
	else
		printf("telemetry attached: kvmmmu:kvm_mmu_spte_requested%s; pinned in %s\n",
		       faults ? ", kvm:kvm_page_fault" : "",
		       SHADOWALLOC_BPF_PIN_DIR);
out:
	/* The pins keep links and map; the skeleton's own references go. */
	telemetry_bpf__destroy(skel);
	return err ? 1 : 0;
}

static int do_detach(void)
{
	bool was;

	if (telemetry_lock(true))
		return 1;
	was = pins_present() > 0 || exists(pins[PIN_OPTIONAL].path);
	if (remove_pins())
		return 1;
	if (json)
		printf("{\"ok\":true,\"command\":\"detach\",\"was_attached\":%s}\n",
		       was ? "true" : "false");
	else
		printf(was ? "telemetry detached\n" : "telemetry was not attached\n");
	return 0;
}

/* The BPF program id behind a pinned link, or 0. */
static unsigned int link_prog_id(const char *path)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	unsigned int id = 0;
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		id = info.prog_id;
	close(fd);
	return id;
}

/* A group as "status" shows it, summed from the per-CPU slots. */
struct status_group {
	__u32 id;
	struct shadowalloc_bpf_counters c;
};

/* Sum @n slots by group into @g (room for @n); returns the groups. */
static unsigned int status_sum(const struct shadowalloc_bpf_slot *s,
			       unsigned int n, struct status_group *g)
{
	unsigned int i, k, ng = 0;

	for (i = 0; i < n; i++) {
		for (k = 0; k < ng && g[k].id != s[i].group_id; k++)
			;
		if (k == ng) {
			memset(&g[ng], 0, sizeof(g[ng]));
			g[ng++].id = s[i].group_id;
		}
		g[k].c.seen += s[i].seen;
		g[k].c.passed += s[i].passed;
		g[k].c.dropped += s[i].dropped;
		g[k].c.filtered += s[i].filtered;
	}
	return ng;
}

static int cmp_group(const void *a, const void *b)
{
	__u32 x = ((const struct status_group *)a)->id;
	__u32 y = ((const struct status_group *)b)->id;

	return x < y ? -1 : x > y;
}

static int do_status(void)
{
	struct shadowalloc_bpf_slot *slots;
	struct status_group *g;
	unsigned int n, i, ng;
	int fd, err;

	/* Shared: an attach or detach under way is not "half attached". */
	if (telemetry_lock(false))
		return 1;
	n = pins_present();

	if (n == 0 && !exists(pins[PIN_OPTIONAL].path)) {
		if (json)
			printf("{\"ok\":true,\"command\":\"status\",\"attached\":false,\"groups\":[]}\n");
		else
			printf("telemetry not attached\n");
		return 0;
	}
	if (n != NR_REQUIRED_PINS)
		return failf(EUCLEAN, "telemetry half attached (%u of %u pins in %s): run 'shadowctl detach'",
			       n, NR_REQUIRED_PINS, SHADOWALLOC_BPF_PIN_DIR);
	fd = bpf_obj_get(PIN_MAP);
	if (fd < 0)
		return failf(errno, "%s: %s", PIN_MAP, strerror(errno));
	err = shadowalloc_bpf_read_slots(fd, &slots, &n);
	close(fd);
	g = err ? NULL : calloc(n ? n : 1, sizeof(*g));
	if (!err && !g)
		err = -ENOMEM;
	if (err) {
		free(slots);
		return failf(-err, "%s: %s", PIN_MAP, strerror(-err));
	}
	ng = status_sum(slots, n, g);
	free(slots);
	qsort(g, ng, sizeof(*g), cmp_group);

	if (json) {
		printf("{\"ok\":true,\"command\":\"status\",\"attached\":true,\"programs\":{");
		for (i = 0; i < 2; i++)
			printf("%s\"%s\":%u", i ? "," : "", pins[i].what,
			       link_prog_id(pins[i].path));
		printf("},\"groups\":[");
	} else {
		printf("telemetry attached (%s)\n", SHADOWALLOC_BPF_PIN_DIR);
		for (i = 0; i < 2; i++) {
			unsigned int id = link_prog_id(pins[i].path);

			if (id)
				printf("  %-32s prog id %u\n", pins[i].what, id);
			else
				printf("  %-32s not attached (attach --faults)\n",
				       pins[i].what);
		}
		printf("  %-10s %12s %12s %12s %12s\n", "group", "seen",
		       "passed", "dropped", "filtered");
	}
	for (i = 0; i < ng; i++) {
		const struct shadowalloc_bpf_counters *c = &g[i].c;
		__u32 key = g[i].id;

		if (json) {
			/* group_id -1: groups beyond the programs' slots. */
			printf("%s{\"group_id\":%lld,\"seen\":%llu,\"passed\":%llu,\"dropped\":%llu,\"filtered\":%llu}",
			       i ? "," : "",
			       key == SHADOWALLOC_BPF_GROUP_OTHER ? -1LL : (long long)key,
			       (unsigned long long)c->seen,
			       (unsigned long long)c->passed,
			       (unsigned long long)c->dropped,
			       (unsigned long long)c->filtered);
		} else {
			char name[16];

			snprintf(name, sizeof(name), "%u", key);
			printf("  %-10s %12llu %12llu %12llu %12llu\n",
			       !key ? "(none)" :
			       key == SHADOWALLOC_BPF_GROUP_OTHER ? "(other)" : name,
			       (unsigned long long)c->seen,
			       (unsigned long long)c->passed,
			       (unsigned long long)c->dropped,
			       (unsigned long long)c->filtered);
		}
	}
	if (json)
		printf("]}\n");
	free(g);
	return 0;
}

/*
 * What attach, detach and status have in common: no arguments (attach's
 * --faults is taken off before), and root for the bpf() calls. Returns the
 * exit status of a refusal, or 0.
 */
static int telemetry_command(int argc, char **argv, const char *accepts)
{
	if (argc)
		usage_error("%s ('%s')", accepts, argv[0]);
	if (geteuid() != 0)
		return failf(EPERM, "needs root (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)");
	return 0;
}

/*
 * shadowctl attach [--faults]: load, attach, pin; idempotent. --faults adds
 * the kvm:kvm_page_fault program (one more event per fault).
 */
int cmd_attach(int argc, char **argv)
{
	bool faults = argc && !strcmp(argv[0], "--faults");

	if (faults) {
		argc--;
		argv++;
	}
	return telemetry_command(argc, argv,
				 "takes no arguments but --faults") ?:
	       do_attach(faults);
}

/* shadowctl detach: remove the pins, which detaches the programs. */
int cmd_detach(int argc, char **argv)
{
	return telemetry_command(argc, argv, "takes no arguments") ?: do_detach();
}

/* shadowctl status: attached or not, the per-group counters. */
int cmd_status(int argc, char **argv)
{
	return telemetry_command(argc, argv, "takes no arguments") ?: do_status();
}
