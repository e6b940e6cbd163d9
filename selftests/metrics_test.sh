#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# shadowctl metrics (issue 11, item 4): the Prometheus text exposition
# format checked by Prometheus's own parser and linter (promtool check
# metrics, Debian package prometheus), on real numbers: two groups, one
# staging 2 MiB blocks with a reservation, a guest (minivmm) faulting
# into it. Each family has HELP and TYPE, counters end in _total, every
# sample has group="ID", the size="4k"/"2m" samples add up to the module's
# totals, the values are those of 'group stats --json' (units converted),
# the groups come from the IDs, a configuration file or the host
# (debugfs), and a failure prints no half scrape on stdout.

# shellcheck source=lib/sa_test.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/sa_test.sh" || exit 4

G=451
G2=452
T=$(mktemp -d /tmp/sa-metrics.XXXXXX)
MINIVMM=$REPO/tools/minivmm/minivmm

cleanup() {
	if [ -c /dev/shadowalloc ]; then
		"$CTL" group destroy $G >/dev/null 2>&1
		"$CTL" group destroy $G2 >/dev/null 2>&1
	fi
	rm -rf "$T"
}
trap cleanup EXIT

pass_if() {
	local status=$?

	[ $status = 0 ] || [ -z "${2-}" ] || ktap_print_msg "$1: $2"
	ktap_test_result "$1" [ $status = 0 ]
}

ktap_print_header

check_cli "$CTL" metrics_usage_option 2 '^$' "metrics: unknown option '--frob'" -- metrics --frob
check_cli "$CTL" metrics_usage_hex 2 '^$' "group id: not a number: '0x5'" -- metrics 0x5
check_cli "$CTL" metrics_usage_exclusive 2 '^$' '--config and group ids exclude each other' \
	-- metrics 5 --config /x.conf
check_cli "$CTL" metrics_help 0 '^usage: shadowctl \[--json\] metrics \[--config FILE\] \[ID...\]' '^$' \
	-- metrics --help
check_cli "$CTL" metrics_no_device_json 1 '^\{"ok":false,"command":"metrics","device":"/nonexistent","error":"ENOENT"' 'ENOENT' \
	-- --json --device /nonexistent metrics 5

if ! command -v promtool >/dev/null; then
	ktap_test_skip "promtool tests (promtool missing: tools/setup-deps.sh installs prometheus)"
	ktap_set_plan $((KTAP_CNT_PASS + KTAP_CNT_FAIL + KTAP_CNT_SKIP))
	ktap_finished
fi
if [ ! -c /dev/shadowalloc ]; then
	ktap_test_skip "module tests (module not loaded)"
	ktap_set_plan $((KTAP_CNT_PASS + KTAP_CNT_FAIL + KTAP_CNT_SKIP))
	ktap_finished
fi

"$CTL" group destroy $G >/dev/null 2>&1
"$CTL" group destroy $G2 >/dev/null 2>&1
stage_reserved_group $G 1024
"$CTL" group create $G2 --horizon-ms 1500 >/dev/null
if [ -c /dev/kvm ] && [ -x "$MINIVMM" ]; then
	sh -c "'$CTL' group add-vm $G \$\$ >/dev/null && exec '$MINIVMM' 8" >"$T/vmm" 2>&1 ||
		ktap_print_msg "minivmm: $(cat "$T/vmm")"
	guest=1
else
	guest=0
fi

"$CTL" metrics $G $G2 > "$T/m.prom"
pass_if metrics_exit_0
out=$(promtool check metrics < "$T/m.prom" 2>&1)
pass_if promtool_check_metrics "$out"
# Lint findings print on stdout with status 0 in some versions: none.
[ -z "$out" ]
pass_if promtool_no_lint_findings "$out"

# Every family: HELP and TYPE before its samples; counters end in _total.
python3 - "$T/m.prom" $G $G2 <<'PY'
import re, sys
text = open(sys.argv[1]).read().splitlines()
groups = set(sys.argv[2:])
help_, type_, samples = {}, {}, {}
for line in text:
    if line.startswith("# HELP "):
        name = line.split()[2]
        help_[name] = line
    elif line.startswith("# TYPE "):
        _, _, name, t = line.split()
        assert name in help_, name
        type_[name] = t
    else:
        m = re.match(r'^([a-z_]+)(\{[^}]*\})? (\S+)$', line)
        assert m, line
        name, labels, value = m.groups()
        # A histogram's samples: NAME_bucket, NAME_sum, NAME_count.
        base = re.sub(r'_(bucket|sum|count)$', '', name)
        if name not in type_ and type_.get(base) == "histogram":
            name = base
        assert name in type_, name
        float(value)
        samples.setdefault(name, []).append((labels or "", value))
for name, t in type_.items():
    assert name.startswith("shadowalloc_"), name
    assert (t == "counter") == name.endswith("_total"), (name, t)
    assert name in samples, name
for name, rows in samples.items():
    if name == "shadowalloc_groups":
        continue
    got = set(re.search(r'group="(\d+)"', l).group(1) for l, _ in rows)
    assert got == groups, (name, got)
assert type_["shadowalloc_fault_service_seconds"] == "histogram"
for name in ("shadowalloc_hits_total", "shadowalloc_staged_pages", "shadowalloc_hit_pages_total"):
    sizes = sorted(re.search(r'size="(\w+)"', l).group(1) for l, _ in samples[name])
    assert sizes == ["2m", "2m", "4k", "4k"], (name, sizes)
print("families", len(type_), "samples", sum(len(r) for r in samples.values()))
PY
pass_if format_conventions

# The values: those of 'group stats --json', units converted.
for g in $G $G2; do
	"$CTL" --json group stats $g > "$T/stats.$g"
done
"$CTL" metrics $G $G2 > "$T/m2.prom"
python3 - "$T/m2.prom" "$T/stats.$G" "$T/stats.$G2" $G $G2 "$guest" <<'PY'
import json, re, sys
vals = {}
for line in open(sys.argv[1]):
    m = re.match(r'^([a-z_]+)\{([^}]*)\} (\S+)$', line)
    if m:
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
        vals[(m.group(1), labels["group"], labels.get("size"))] = float(m.group(3))
for path, g in ((sys.argv[2], sys.argv[4]), (sys.argv[3], sys.argv[5])):
    st = json.load(open(path))
    def v(name, size=None):
        return vals[(name, g, size)]
    # Counters only grow between the two reads: compare stable ones exactly.
    assert v("shadowalloc_horizon_seconds") == st["horizon_ms"] / 1000, g
    assert v("shadowalloc_max_staged_bytes") == st["max_staged_bytes"], g
    assert v("shadowalloc_max_age_seconds") == st["max_age_ms"] / 1000, g
    assert v("shadowalloc_group_enabled") == int(st["enabled"]), g
    assert v("shadowalloc_group_huge") == int(st["huge"]), g
    assert v("shadowalloc_zero_budget_pages_per_second") == st["zero_pages_per_sec"], g
    assert v("shadowalloc_reserved_pages") == st["reserved_pages"], g
    assert v("shadowalloc_faults_total") == st["faults"], (g, v("shadowalloc_faults_total"), st["faults"])
    assert v("shadowalloc_hits_total", "4k") + v("shadowalloc_hits_total", "2m") == st["hits"], g
    assert v("shadowalloc_hits_total", "2m") == st["hits_huge"], g
    assert v("shadowalloc_hit_pages_total", "4k") + v("shadowalloc_hit_pages_total", "2m") == st["hit_pages"], g
    assert v("shadowalloc_misses_total") == st["misses"], g
    assert abs(v("shadowalloc_hit_service_seconds_total") - st["hit_service_ns"] / 1e9) < 1e-9, g
    assert abs(v("shadowalloc_hit_ratio") - st["hit_rate_permille"] / 1000) < 1e-9, g
    # Work off the fault path (stats VER5).
    assert v("shadowalloc_pages_fault_zeroed_total") == st["fault_zeroed_pages"] == st["miss_pages"], g
    assert abs(v("shadowalloc_refill_cpu_seconds_total") - st["refill_cpu_ns"] / 1e9) < 1e-9, g
    assert v("shadowalloc_refill_runs_total") == st["refill_runs"], g
    assert v("shadowalloc_pages_aged_out_total") == st["aged_out_pages"], g
    assert v("shadowalloc_pages_shrinker_evicted_total") == st["shrinker_evicted_pages"], g
    assert v("shadowalloc_pages_evicted_unused_total") == st["evicted_unused_pages"], g
if sys.argv[6] == "1":
    st = json.load(open(sys.argv[2]))
    # A pool of 2 MiB blocks may miss the guest's 4 KiB touches: faults.
    assert st["faults"] > 0, st
print("values match")
PY
pass_if values_match_stats

# The fault histogram: cumulative le= buckets ending in +Inf, each class's
# _count that of 'group hist --json', hits and misses those of the stats.
for g in $G $G2; do
	"$CTL" --json group hist $g > "$T/hist.$g"
done
python3 - "$T/m2.prom" $G "$T/hist.$G" "$T/stats.$G" $G2 "$T/hist.$G2" "$T/stats.$G2" <<'PY'
import json, re, sys
name = "shadowalloc_fault_service_seconds"
buckets, counts, sums = {}, {}, {}
for line in open(sys.argv[1]):
    m = re.match(r'^' + name + r'_(bucket|sum|count)\{([^}]*)\} (\S+)$', line)
    if not m:
        continue
    labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
    key = (labels["group"], labels["size"] + "_" + labels["result"])
    if m.group(1) == "bucket":
        buckets.setdefault(key, []).append((labels["le"], float(m.group(3))))
    elif m.group(1) == "count":
        counts[key] = float(m.group(3))
    else:
        sums[key] = float(m.group(3))
args = sys.argv[2:]
for i in range(0, len(args), 3):
    g, h, st = args[i], json.load(open(args[i + 1])), json.load(open(args[i + 2]))
    assert h["ok"] and h["group_id"] == int(g), h
    for cls, c in h["classes"].items():
        rows = buckets[(g, cls)]
        assert rows[-1][0] == "+Inf", rows[-1]
        assert len(rows) == h["nr_buckets"], (len(rows), h["nr_buckets"])
        les = [float(le) for le, _ in rows[:-1]]
        assert les == sorted(les) and len(set(les)) == len(les), cls
        vals = [v for _, v in rows]
        assert vals == sorted(vals), (cls, vals)
        assert rows[-1][1] == counts[(g, cls)] == c["count"], (g, cls, rows[-1], c)
        assert abs(sums[(g, cls)] - c["sum_ns"] / 1e9) < 1e-9, (g, cls)
        assert c["count"] == 0 or c["p50_ns"] <= c["p90_ns"] <= c["p99_ns"], c
    cl = h["classes"]
    assert cl["4k_hit"]["count"] + cl["2m_hit"]["count"] == st["hits"], (g, cl, st["hits"])
    assert cl["2m_hit"]["count"] == st["hits_huge"], g
    assert cl["4k_miss"]["count"] + cl["2m_miss"]["count"] == st["misses"], g
print("histogram matches")
PY
pass_if fault_histogram_matches

# The groups: the host's (debugfs), a configuration file's.
if [ -r /sys/kernel/debug/shadowalloc/pools ]; then
	"$CTL" metrics > "$T/all.prom" &&
		grep -q "^shadowalloc_faults_total{group=\"$G\"} " "$T/all.prom" &&
		grep -q "^shadowalloc_faults_total{group=\"$G2\"} " "$T/all.prom" &&
		promtool check metrics < "$T/all.prom" >/dev/null 2>&1
	pass_if metrics_host_groups
else
	ktap_test_skip "metrics_host_groups (debugfs not mounted)"
fi
printf '[group %s]\n[group 459]\n' $G2 > "$T/c.conf"
"$CTL" metrics --config "$T/c.conf" > "$T/c.prom" &&
	grep -q "^shadowalloc_groups 1$" "$T/c.prom" &&
	grep -q "^shadowalloc_faults_total{group=\"$G2\"} " "$T/c.prom" &&
	! grep -q "group=\"$G\"" "$T/c.prom"
pass_if metrics_config_groups "$(head -5 "$T/c.prom")"

# A group named that does not exist: a failure, nothing on stdout.
check_cli "$CTL" metrics_missing_group 1 '^$' "metrics: group 459: no such group|metrics: group 459: .*\(ENOENT\)" \
	-- metrics $G 459
check_cli "$CTL" metrics_missing_group_json 1 '^\{"ok":false,"command":"metrics","error":"ENOENT"' 'ENOENT' \
	-- --json metrics $G 459

# As node_exporter's textfile collector takes it: written aside, renamed.
mkdir -p "$T/textfile"
"$CTL" metrics > "$T/textfile/shadowalloc.prom.$$" &&
	mv "$T/textfile/shadowalloc.prom.$$" "$T/textfile/shadowalloc.prom" &&
	promtool check metrics < "$T/textfile/shadowalloc.prom" >/dev/null 2>&1
pass_if textfile_collector_file

ktap_set_plan $((KTAP_CNT_PASS + KTAP_CNT_FAIL + KTAP_CNT_SKIP))
ktap_finished
