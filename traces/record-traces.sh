#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# record-traces.sh [OUTDIR [WORKDIR]]: records the repository's real-program
# traces (traces/README.rst) with tools/trace/record-faults --thp-off, one
# run per file, into OUTDIR (default traces/, as OUTDIR/NAME-RUN.csv.xz,
# xz -9). The workloads are traces/workloads/; their inputs are generated
# in WORKDIR (default a temporary directory, about 250 MB). Needs perf
# (root), gcc, java and python3; takes about 5 minutes on 2 CPUs.

set -eu

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REC=$HERE/../tools/trace/record-faults
W=$HERE/workloads
OUT=${1:-$HERE}
WORK=${2:-}
if [ -z "$WORK" ]; then
	WORK=$(mktemp -d /tmp/record-traces.XXXXXX)
	trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$OUT" "$WORK"
export LC_ALL=C

# inputs: a 1.4 MB C file, 200 MB of text lines, the first 24 MB of them
/usr/bin/python3 "$W/gen_c.py" 500 >"$WORK/big.c"
/usr/bin/python3 -c '
import random, sys
r = random.Random(11)
out = sys.stdout
n = 0
while n < 200 * 10**6:
    line = "%016x %s %d\n" % (r.getrandbits(64), "abcdefgh"[r.randrange(8)] * r.randrange(1, 40), r.randrange(10**6))
    out.write(line)
    n += len(line)
' >"$WORK/lines.txt"
head -c 24M "$WORK/lines.txt" >"$WORK/xz-in.txt"

# rec NAME RUN CMD...: one recorded run
rec() {
	local name=$1 run=$2
	shift 2
	echo "== $name-$run: $*" >&2
	"$REC" --thp-off --round-ns 1000 --name "$name" -o "$WORK/$name-$run.csv" -- "$@" >/dev/null
	xz -9 -T1 -c "$WORK/$name-$run.csv" >"$OUT/$name-$run.csv.xz"
	rm -f "$WORK/$name-$run.csv"
}

cd "$WORK"
for run in 1 2 3 4; do
	rec gcc "$run" gcc -O2 -c big.c -o big.o
	rec python3 "$run" /usr/bin/python3 "$W/pywork.py"
	rec java "$run" java -Xmx512m "$W/Alloc.java"
done
rec sort 1 sort -o sorted.txt lines.txt
rec sqlite 1 /usr/bin/python3 "$W/sqlitework.py" "$WORK/sa-trace.db"
rec xz 1 xz -9 -T1 -k -f xz-in.txt
