#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sa_replay (tools/forecast) on synthetic traces: the forecast policy's hit
# rate on sequential and burst workloads; the oracle policy on series with
# answers computed by hand (tools/forecast/oracle.c derives them), the
# memory-held metrics and the JSON output; the messages and exit statuses
# of bad traces and bad options. Userspace only (runs on the host too).
# KTAP output through the kernel's ktap_helpers.sh (from linux-source-6.12).

# shellcheck source=lib/sa_test.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/sa_test.sh" || exit 4

REPLAY=$REPO/tools/forecast/sa_replay
TMP=$(mktemp -d /tmp/replay_test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# check NAME WANT_STATUS STDOUT_REGEX STDERR_REGEX -- ARGS...
check() {
	check_cli "$REPLAY" "$@"
}

# hit_rate KIND MIN: the forecast policy's hit rate on a synthetic trace
hit_rate() {
	local kind=$1 min=$2 line rate
	if ! "$REPLAY" --synth "$kind" >"$TMP/$kind.csv"; then
		ktap_test_fail "synth_$kind"
		return
	fi
	line=$("$REPLAY" --json --policy forecast "$TMP/$kind.csv" | grep '"policy":"forecast"')
	rate=$(sed -n 's/.*"hit_rate":\([0-9.]*\).*/\1/p' <<<"$line")
	if [ -n "$rate" ] && awk -v r="$rate" -v m="$min" 'BEGIN { exit !(r >= m) }'; then
		ktap_print_msg "$kind: $line"
		ktap_test_pass "hit_rate_$kind"
	else
		ktap_print_msg "$kind: hit rate '$rate' below $min: $line"
		ktap_test_fail "hit_rate_$kind"
	fi
}

# series FILE TICK:PAGES...: a trace with PAGES first touched in TICK (one
# row per tick, the pages as one mapping's size); the trace begins at the
# first tick listed.
series() {
	local file=$1 tp
	shift
	echo 't_ns,vm,gpa,size' >"$file"
	for tp in "$@"; do
		echo "$((${tp%%:*} * 100000000)),1,$((${tp%%:*} << 30)),$((${tp##*:} * 4096))"
	done >>"$file"
}

# expect_json NAME POLICY EXPECT -- ARGS...: sa_replay --json ARGS; the
# object of POLICY has every field of the JSON object EXPECT (numbers to
# within 0.00005, as printed to 4 decimals).
expect_json() {
	local name=$1 policy=$2 want=$3 out msg
	shift 4
	if ! out=$("$REPLAY" --json "$@" 2>&1); then
		ktap_print_msg "$*: failed: $out"
		ktap_test_fail "$name"
		return
	fi
	if msg=$(python3 -c '
import json, sys
policy, want = sys.argv[1], json.loads(sys.argv[2])
rows = [json.loads(l) for l in sys.stdin if l.strip()]
got = [r for r in rows if r.get("policy") == policy]
if len(got) != 1:
    sys.exit("%d objects of policy %s" % (len(got), policy))
bad = [k for k, v in want.items() if k not in got[0] or
       (got[0][k] != v if v is None or isinstance(v, str) else
        got[0][k] is None or abs(got[0][k] - v) > 5e-5)]
print(json.dumps(got[0]))
if bad:
    sys.exit("want %s, got %s" % (json.dumps(want), json.dumps(got[0])))
' "$policy" "$want" <<<"$out" 2>&1); then
		ktap_print_msg "$name: $msg"
		ktap_test_pass "$name"
	else
		ktap_print_msg "$name: $*: $msg"
		ktap_test_fail "$name"
	fi
}

# py_check NAME SCRIPT -- ARGS...: sa_replay --json ARGS, its lines to the
# python3 SCRIPT as 'rows' (a list of dicts); the script exits non-zero
# with a message on failure.
py_check() {
	local name=$1 script=$2 out msg
	shift 3
	if ! out=$("$REPLAY" --json "$@" 2>&1); then
		ktap_print_msg "$*: failed: $out"
		ktap_test_fail "$name"
		return
	fi
	if msg=$(python3 -c "import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
$script" <<<"$out" 2>&1); then
		[ -n "$msg" ] && ktap_print_msg "$name: $msg"
		ktap_test_pass "$name"
	else
		ktap_print_msg "$name: $*: $msg"
		ktap_test_fail "$name"
	fi
}

ktap_print_header
if [ ! -x "$REPLAY" ]; then
	ktap_skip_all "$REPLAY not built (make -C tools/forecast)"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 46

hit_rate sequential 0.95
hit_rate burst 0.95

# The oracle on series with known answers. Tick length 0.1 s; max age in
# ticks A = floor(max_age_ms / 100); L = refill pages per tick.
# 50 pages every tick for 20 ticks
# (no process substitution: the test VM has no /dev/fd)
const=()
for t in $(seq 0 19); do const+=("$t:50"); done
series "$TMP/const.csv" "${const[@]}"
if command -v python3 >/dev/null; then
	# const.csv, unlimited refill: each tick's demand staged at its own
	# refill, so 50 staged at every tick, all hits, each page held one tick.
	expect_json oracle_constant_unlimited oracle \
		'{"hit_rate":1,"misses":0,"waste":0,"mean_staged_pages":50,"page_seconds_per_hit":0.1,"staged":1000,"refill_pages_per_tick":-1}' \
		-- "$TMP/const.csv"
	# the same demand with L = 30 < 50: nothing can be staged ahead of the
	# first tick, and every refill is full anyway: 30 a tick, used at once.
	expect_json oracle_constant_limited oracle \
		'{"hit_rate":0.6,"misses":400,"mean_staged_pages":30,"page_seconds_per_hit":0.1,"refill_pages_per_tick":30}' \
		-- --refill-pages-per-tick 30 "$TMP/const.csv"
	# 1 page at tick 0, a burst of B = 1000 at tick 10, L = 300: the burst
	# needs ceil(1000/300) = 4 refills, ticks 7..10 staging 100, 300, 300,
	# 300; after the refills the pool holds 1 (t0), 100, 400, 700, 1000
	# (t7..t10): mean 2201/11 = 200.0909 pages, 220.1 page-s / 1001 hits.
	series "$TMP/burst1.csv" 0:1 10:1000
	expect_json oracle_burst_lead oracle \
		'{"hit_rate":1,"misses":0,"waste":0,"hits":1001,"peak":1000,"mean_staged_pages":200.0909,"page_seconds_per_hit":0.2199}' \
		-- --refill-pages-per-tick 300 "$TMP/burst1.csv"
	# the same with max age 200 ms (A = 2 < 4 refills of lead): only ticks
	# 9 and 10 can stage for the burst, 600 hits, 400 misses; pool 1, 300,
	# 600: mean 901/11 = 81.9091, 90.1 page-s / 601 hits = 0.1499.
	expect_json oracle_burst_short_age oracle \
		'{"hit_rate":0.6004,"hits":601,"misses":400,"waste":0,"mean_staged_pages":81.9091,"page_seconds_per_hit":0.1499,"max_age_ms":200}' \
		-- --refill-pages-per-tick 300 --max-age-ms 200 "$TMP/burst1.csv"
	# 250 ms is still 2 whole ticks: the same answer
	expect_json oracle_age_whole_ticks oracle \
		'{"hits":601,"misses":400,"mean_staged_pages":81.9091}' \
		-- --refill-pages-per-tick 300 --max-age-ms 250 "$TMP/burst1.csv"
	# the trace begins 2 ticks before the burst: refills 0..2 stage 300
	# each (tick 0's page takes one of them), 900 hits of 1001; pool 300,
	# 599, 899: mean 599.3333.
	series "$TMP/burst2.csv" 0:1 2:1000
	expect_json oracle_burst_at_start oracle \
		'{"hits":900,"misses":101,"hit_rate":0.8991,"mean_staged_pages":599.3333,"waste":0}' \
		-- --refill-pages-per-tick 300 "$TMP/burst2.csv"
	# two bursts of 600 four ticks apart with L = 200 and A = 3: each
	# staged over the 3 refills before and at it (200, 400, 600 held), so
	# the second one's staging (ticks 6..8) does not overlap the first's:
	# held 1 + 2 * (200 + 400 + 600) = 2401 page-ticks over 9 ticks.
	series "$TMP/burst3.csv" 0:1 4:600 8:600
	expect_json oracle_two_bursts oracle \
		'{"hits":1201,"misses":0,"mean_staged_pages":266.7778,"peak":600}' \
		-- --refill-pages-per-tick 200 --max-age-ms 300 "$TMP/burst3.csv"

	# every synthetic kind, unlimited refill: the oracle hits everything
	# and holds exactly the mean demand per tick (pages / ticks)
	for kind in sequential strided random burst ramp boot mix; do
		"$REPLAY" --synth "$kind" --duration-ms 20000 >"$TMP/s-$kind.csv"
	done
	ok=1
	for kind in sequential strided random burst ramp boot mix; do
		if ! msg=$("$REPLAY" --json "$TMP/s-$kind.csv" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
o = [r for r in rows if r.get("policy") == "oracle"][0]
mean = rows[0]["pages"] / rows[0]["ticks"]
if o["hit_rate"] != 1 or o["waste"] != 0 or abs(o["mean_staged_pages"] - mean) > 5e-5:
    sys.exit("oracle %s, mean demand %.4f" % (json.dumps(o), mean))
' 2>&1); then
			ktap_print_msg "$kind: $msg"
			ok=0
		fi
	done
	ktap_test_result oracle_unlimited_is_demand [ $ok = 1 ]
	# with L = 500 and A = 20: no policy hits more than the oracle
	ok=1
	for kind in sequential strided random burst ramp boot mix; do
		if ! msg=$("$REPLAY" --json --reserve 1000 --refill-pages-per-tick 500 --max-age-ms 2000 "$TMP/s-$kind.csv" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin][1:]
o = [r for r in rows if r["policy"] == "oracle"][0]
better = [r["policy"] for r in rows if r["hits"] > o["hits"]]
if better or o["waste"] != 0:
    sys.exit("more hits than the oracle (%d): %s" % (o["hits"], better))
print("oracle %.4f, best other %.4f" % (o["hit_rate"], max(r["hit_rate"] for r in rows if r is not o)))
' 2>&1); then
			ktap_print_msg "$kind: $msg"
			ok=0
		else
			ktap_print_msg "$kind (L 500, A 20): $msg"
		fi
	done
	ktap_test_result oracle_bounds_every_policy [ $ok = 1 ]

	# brute force: on small random series, no plan r in [0, L]^n of the
	# same pool model (ageing, refill, oldest-first faults) has more hits,
	# or as many hits with fewer page-ticks held, than the oracle
	if msg=$(python3 - "$REPLAY" "$TMP/bf.csv" <<'PY' 2>&1
import itertools, json, random, subprocess, sys
replay, csv = sys.argv[1], sys.argv[2]

def pool(d, r, age):
    batch, head, size, hits, held = [0] * len(d), 0, 0, 0, 0
    for t in range(len(d)):
        while head < t and head + age <= t:
            size -= batch[head]; batch[head] = 0; head += 1
        batch[t] += r[t]; size += r[t]; held += size
        take = min(d[t], size); hits += take; size -= take
        while take:
            b = min(batch[head], take); batch[head] -= b; take -= b
            if not batch[head] and head < t:
                head += 1
    return hits, held

random.seed(10)
for _ in range(60):
    n, lim, age = random.randint(2, 6), random.randint(1, 2), random.randint(1, 4)
    d = [random.choice([0, 0, 1, 2, 3, 5]) for _ in range(n)]
    d[0] = max(d[0], 1)
    best = min((-h, held) for h, held in
               (pool(d, r, age) for r in itertools.product(range(lim + 1), repeat=n)))
    with open(csv, "w") as f:
        f.write("".join("%d,1,%d,%d\n" % (t * 10**8, t << 30, d[t] * 4096)
                        for t in range(n) if d[t]))
    out = subprocess.run([replay, "--json", "--policy", "oracle",
                          "--refill-pages-per-tick", str(lim), "--max-age-ms",
                          str(age * 100), csv], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    o, ticks = json.loads(out[-1]), json.loads(out[0])["ticks"]
    got = (-o["hits"], round(o["mean_staged_pages"] * ticks))
    if got != best:
        sys.exit("demand %s L %d A %d: oracle (hits, held) %s, best plan %s"
                 % (d, lim, age, (-got[0], got[1]), (-best[0], best[1])))
print("60 series: no plan beats the oracle")
PY
	); then
		ktap_print_msg "oracle_brute_force: $msg"
		ktap_test_pass oracle_brute_force
	else
		ktap_print_msg "oracle_brute_force: $msg"
		ktap_test_fail oracle_brute_force
	fi

	# JSON: every line an object; the trace first, then one per policy
	# (oracle included) with the fields and the options given
	py_check json_fields '
want = ["policy", "hit_rate", "waste", "mean_staged_pages", "misses",
        "page_seconds_per_hit", "hit_rate_vs_oracle", "mean_staged_vs_oracle",
        "horizon_ms", "max_age_ms", "refill_pages_per_tick", "staged", "hits"]
pol = [r for r in rows[1:]]
names = [r["policy"] for r in pol]
if "trace" not in rows[0] or names != ["none", "fixed", "naive", "ewma", "forecast", "oracle"]:
    sys.exit("objects: %s" % names)
for r in pol:
    miss = [k for k in want if k not in r]
    if miss:
        sys.exit("%s: no %s" % (r["policy"], miss))
    if (r["horizon_ms"], r["max_age_ms"], r["refill_pages_per_tick"]) != (1000, 5000, 4000):
        sys.exit("%s: options %s" % (r["policy"], r))
    for k in want[1:]:
        if r[k] is not None and not isinstance(r[k], (int, float)):
            sys.exit("%s: %s is %r" % (r["policy"], k, r[k]))
    if not 0 <= r["hit_rate"] <= 1 or not 0 <= r["waste"] <= 1 or r["mean_staged_pages"] < 0:
        sys.exit("%s: out of range: %s" % (r["policy"], r))
    if r["hits"] and abs(r["page_seconds_per_hit"] * r["hits"] - r["mean_staged_pages"] * rows[0]["ticks"] * 0.1) > 0.01 * r["hits"]:
        sys.exit("%s: page_seconds_per_hit inconsistent with mean_staged_pages" % r["policy"])
o = pol[-1]
if o["hit_rate_vs_oracle"] != 1 or o["mean_staged_vs_oracle"] != 1:
    sys.exit("oracle vs itself: %s" % o)
if pol[0]["page_seconds_per_hit"] is not None:
    sys.exit("none: page_seconds_per_hit %r with 0 hits" % pol[0]["page_seconds_per_hit"])
print("%d objects, fields present" % len(rows))
' -- --reserve 500 --horizon-ms 1000 --max-age-ms 5000 --refill-pages-per-tick 4000 "$TMP/s-mix.csv"
	expect_json json_unlimited naive '{"refill_pages_per_tick":-1,"horizon_ms":100,"max_age_ms":86400000}' \
		-- --refill-pages-per-tick unlimited --horizon-ms 100 --max-age-ms 86400000 "$TMP/const.csv"
	expect_json json_policy_oracle_only oracle '{"hit_rate":1}' -- --policy oracle "$TMP/const.csv"

	# Repeated launches (a VM booting every 15 s, its memory created a
	# tick before its first fault): after the first launch the profile
	# stages each next tick, so the hit rate is near the oracle's at a
	# small multiple of its memory, where last-value holds many times it.
	"$REPLAY" --synth launches --duration-ms 90000 >"$TMP/launches.csv"
	py_check forecast_launches '
f = [r for r in rows if r.get("policy") == "forecast"][0]
n = [r for r in rows if r.get("policy") == "naive"][0]
if f["hit_rate"] < 0.97 or f["mean_staged_vs_oracle"] > 2 or n["mean_staged_vs_oracle"] < 5:
    sys.exit("forecast %s naive %s" % (f, n))
print("forecast hit %.4f at %.2fx the oracle, naive %.4f at %.2fx" % (f["hit_rate"], f["mean_staged_vs_oracle"], n["hit_rate"], n["mean_staged_vs_oracle"]))
' -- --policy naive,forecast --horizon-ms 1000 --max-age-ms 5000 "$TMP/launches.csv"

	# A burst every 2 s for 3 minutes: the period is found and the burst
	# is staged for two ticks of twenty (a tick early allowed), not held.
	"$REPLAY" --synth burst --duration-ms 180000 >"$TMP/burst180.csv"
	py_check forecast_periodic_memory '
f = [r for r in rows if r.get("policy") == "forecast"][0]
if f["hit_rate"] < 0.95 or f["mean_staged_vs_oracle"] > 4:
    sys.exit("forecast %s" % f)
print("forecast hit %.4f at %.2fx the oracle" % (f["hit_rate"], f["mean_staged_vs_oracle"]))
' -- --policy forecast --horizon-ms 1000 --max-age-ms 5000 "$TMP/burst180.csv"

	# A higher fill-rate goal never lowers the hit rate nor the memory.
	for fill in 500 900 990; do
		"$REPLAY" --json --policy forecast --fill-rate $fill "$TMP/s-random.csv" |
			grep '"policy":"forecast"'
	done >"$TMP/fills.json"
	if msg=$(python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
h = [x["hit_rate"] for x in r]
m = [x["mean_staged_pages"] for x in r]
print("fill 500/900/990: hit %s, mean staged %s" % (h, m))
if h != sorted(h) or m != sorted(m) or h[0] == h[-1]:
    sys.exit(1)
' "$TMP/fills.json" 2>&1); then
		ktap_print_msg "fill_rate_monotone: $msg"
		ktap_test_pass fill_rate_monotone
	else
		ktap_print_msg "fill_rate_monotone: $msg"
		ktap_test_fail fill_rate_monotone
	fi
else
	for t in oracle_constant_unlimited oracle_constant_limited \
		 oracle_burst_lead oracle_burst_short_age oracle_age_whole_ticks \
		 oracle_burst_at_start oracle_two_bursts \
		 oracle_unlimited_is_demand oracle_bounds_every_policy \
		 oracle_brute_force \
		 json_fields json_unlimited json_policy_oracle_only \
		 forecast_launches forecast_periodic_memory fill_rate_monotone; do
		ktap_test_skip "$t (no python3)"
	done
fi

# text: the oracle's row in both tables, with the ratio columns; printed
# even when --policy does not list it
series "$TMP/text.csv" 0:1 10:1000
check text_memory_table 0 'staged_vs_oracle' '^$' -- --refill-pages-per-tick 300 "$TMP/text.csv"
check text_oracle_row 0 '^oracle +1\.0000 +1\.0000 +200\.1 +1\.0000 +0\.2199$' '^$' -- --refill-pages-per-tick 300 "$TMP/text.csv"
check text_oracle_always 0 '^oracle +1\.0000 +0\.0000' '^$' -- --policy forecast "$TMP/text.csv"
# naive on 50 pages a tick, horizon 50 ticks: misses the first tick; its
# target at tick t is the demand of the last min(t, 50) ticks, 50 t pages,
# which the pool holds after the refill: mean 50 * 190 / 20 = 475 pages,
# 9.5 times the oracle's 50, 950 page-s for 950 hits
check text_vs_oracle 0 '^naive +0\.9500 +0\.9500 +475\.0 +9\.5000 +1\.0000$' '^$' -- --policy naive "$TMP/const.csv"

printf 't_ns,vm,gpa,size\n# a comment\n0,1,0x1000\n100,1,0x2000,4096\n200,1,zz\n' >"$TMP/bad.csv"
check bad_gpa 2 '^$' 'bad.csv:5: gpa: not a number' -- "$TMP/bad.csv"
printf '0,1,0x1000\n1,1\n' >"$TMP/short.csv"
check too_few_fields 2 '^$' 'short.csv:2: 2 fields' -- "$TMP/short.csv"
printf '500,1,0x1000\n100,1,0x2000\n' >"$TMP/order.csv"
check unsorted 2 '^$' 'order.csv:2: t_ns 100 is before' -- "$TMP/order.csv"
printf '0,1,0x0,0\n' >"$TMP/marker.csv"
check markers_only 1 '^$' 'no fault rows' -- "$TMP/marker.csv"
printf '0,1,0x1000,0x10000000001\n' >"$TMP/size.csv"
check size_too_large 2 '^$' "size.csv:1: size: '0x10000000001' is not a byte count 0\.\.2\^40" -- "$TMP/size.csv"
check fill_too_low 2 '^$' '--fill-rate: 499 out of range 500\.\.999' -- --fill-rate 499 "$TMP/const.csv"
check save_model_needs_forecast 2 '^$' "--save-model saves the forecast policy's model" -- --policy naive --save-model "$TMP/m.blob" "$TMP/const.csv"
# a model saved after a trace: a version-2 blob, as MODEL_IMPORT takes it
if "$REPLAY" --policy forecast --save-model "$TMP/m.blob" "$TMP/const.csv" >/dev/null &&
   [ "$(head -c 4 "$TMP/m.blob")" = SFC1 ] && [ "$(od -An -tu4 -j8 -N4 "$TMP/m.blob" | tr -d ' ')" = "$(stat -c %s "$TMP/m.blob")" ]; then
	ktap_test_pass save_model_blob
else
	ktap_test_fail save_model_blob
fi
printf '# nothing\nt_ns,vm,gpa\n' >"$TMP/empty.csv"
check empty_trace 1 '^$' 'no fault rows' -- "$TMP/empty.csv"
check missing_file 1 '^$' 'cannot open' -- "$TMP/nonexistent.csv"
check unknown_option 2 '^$' "unknown option '--frobnicate'" -- --frobnicate "$TMP/bad.csv"
check bad_number 2 '^$' "--horizon-ms: not a number: '5s'" -- --horizon-ms 5s "$TMP/bad.csv"
check horizon_too_short 2 '^$' '--horizon-ms: 99 out of range 100\.\.3600000' -- --horizon-ms 99 "$TMP/const.csv"
check horizon_too_long 2 '^$' '--horizon-ms: 3600001 out of range 100\.\.3600000' -- --horizon-ms 3600001 "$TMP/const.csv"
check max_age_too_short 2 '^$' '--max-age-ms: 99 out of range 100\.\.86400000' -- --max-age-ms 99 "$TMP/const.csv"
check max_age_too_long 2 '^$' '--max-age-ms: 86400001 out of range 100\.\.86400000' -- --max-age-ms 86400001 "$TMP/const.csv"
check max_age_empty 2 '^$' "--max-age-ms: not a number: ''" -- --max-age-ms '' "$TMP/const.csv"
check refill_zero 2 '^$' '--refill-pages-per-tick: 0 out of range 1\.\.1099511627776' -- --refill-pages-per-tick 0 "$TMP/const.csv"
check refill_too_big 2 '^$' '--refill-pages-per-tick: 1099511627777 out of range' -- --refill-pages-per-tick 1099511627777 "$TMP/const.csv"
check refill_negative 2 '^$' "--refill-pages-per-tick: not a number or 'unlimited': '-1'" -- --refill-pages-per-tick -1 "$TMP/const.csv"
check refill_no_value 2 '^$' '--refill-pages-per-tick: needs a value' -- "$TMP/const.csv" --refill-pages-per-tick
check unknown_policy 2 '^$' "unknown policy 'oracel'" -- --policy oracel "$TMP/const.csv"
check fixed_needs_reserve 2 '^$' 'fixed needs --reserve' -- --policy fixed "$TMP/bad.csv"
check unknown_synth 2 '^$' "unknown kind 'zigzag'" -- --synth zigzag

ktap_finished
