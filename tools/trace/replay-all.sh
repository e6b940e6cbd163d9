#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# replay-all.sh OUTDIR [TRACE...]: replays real-program traces through
# tools/forecast/sa_replay --json --horizon-ms 1000 --max-age-ms 5000, once
# with --refill-pages-per-tick 4000 and once unlimited, and prints a table:
# trace, refill, policy, hit_rate, mean_staged_pages, mean_staged_vs_oracle,
# waste. The JSON lines (sa_replay's own, each policy object given the
# "trace" and "refill" it belongs to) go to OUTDIR/results.json, the table
# to OUTDIR/results.txt too.
#
# TRACEs are .csv or .csv.xz (decompressed to a temporary file). Without
# any: the single runs traces/*.csv.xz and the groups traces/make-groups.sh
# builds into OUTDIR/groups/. If sa_replay does not accept size-0 creation
# markers, their rows are left out (with a note). Exit status: 0; 1 a replay
# failed; 2 bad usage.

set -eu

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
REPLAY=$REPO/tools/forecast/sa_replay
PROG=replay-all.sh

if [ $# -lt 1 ] || [ "${1#-}" != "$1" ]; then
	case ${1:-} in
	-h|--help) sed -n '3,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
	esac
	echo "usage: $PROG OUTDIR [TRACE.csv[.xz]...]" >&2
	exit 2
fi
OUT=$1
shift
[ -x "$REPLAY" ] || { echo "$PROG: $REPLAY not built (make -C $REPO/tools/forecast)" >&2; exit 1; }
mkdir -p "$OUT"
if [ $# -eq 0 ]; then
	set -- "$REPO"/traces/*.csv.xz
	[ -e "$1" ] || { echo "$PROG: no traces in $REPO/traces" >&2; exit 1; }
	"$REPO/traces/make-groups.sh" "$OUT/groups" >&2
	set -- "$@" "$OUT"/groups/*.csv
fi
for t in "$@"; do
	[ -r "$t" ] || { echo "$PROG: $t: cannot read" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/replay-all.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
printf 't_ns,vm,gpa,size\n0,a,0x0,0\n100000000,a,0x1000,4096\n' >"$tmp/probe.csv"
markers=1
if ! "$REPLAY" --json "$tmp/probe.csv" >/dev/null 2>&1; then
	markers=0
	echo "$PROG: note: sa_replay rejects size-0 creation markers; replaying without them" >&2
fi

: >"$OUT/results.json"
for t in "$@"; do
	base=$(basename "$t")
	base=${base%.xz}
	base=${base%.csv}
	case $t in
	*.xz) xz -dc -- "$t" >"$tmp/trace.csv" ;;
	*) cp -- "$t" "$tmp/trace.csv" ;;
	esac
	if [ "$markers" = 0 ]; then
		awk -F, 'NF < 4 || $4 !~ /^[ \t]*(0[xX])?0+[ \t\r]*$/' \
			"$tmp/trace.csv" >"$tmp/trace.nomark.csv"
		mv "$tmp/trace.nomark.csv" "$tmp/trace.csv"
	fi
	for refill in 4000 unlimited; do
		if ! "$REPLAY" --json --horizon-ms 1000 --max-age-ms 5000 \
			--refill-pages-per-tick "$refill" "$tmp/trace.csv" >"$tmp/out.json" 2>"$tmp/err"; then
			echo "$PROG: sa_replay failed on $t (refill $refill): $(cat "$tmp/err")" >&2
			exit 1
		fi
		# tag every object with the trace's name and the refill
		sed "s|^{|{\"trace_name\":\"$base\",\"refill\":\"$refill\",|" "$tmp/out.json" >>"$OUT/results.json"
	done
done

python3 - "$OUT/results.json" <<'PY' | tee "$OUT/results.txt"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
fmt = '%-22s %-9s %-8s %8s %12s %10s %7s'
print(fmt % ('trace', 'refill', 'policy', 'hit_rate', 'mean_staged',
             'vs_oracle', 'waste'))
info = {}
for r in rows:
    if 'policy' not in r:
        info[(r['trace_name'], r['refill'])] = r
        continue
    print(fmt % (r['trace_name'], r['refill'], r['policy'],
                 '%.4f' % r['hit_rate'], '%.1f' % r['mean_staged_pages'],
                 '%.4f' % r['mean_staged_vs_oracle'], '%.4f' % r['waste']))
print()
print('%-22s %9s %7s %4s %8s' % ('trace', 'pages', 'ticks', 'vms', 'markers'))
for (name, refill), r in info.items():
    if refill == '4000':
        print('%-22s %9d %7d %4d %8s' % (name, r['pages'], r['ticks'], r['vms'],
                                         r.get('launch_markers', '-')))
PY
