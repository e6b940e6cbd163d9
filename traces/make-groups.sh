#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make-groups.sh [--no-markers] OUTDIR: builds the repeated-launch group
# traces (traces/README.rst) from the single runs traces/*.csv.xz with
# tools/trace/make-group.py into OUTDIR (e.g. build/traces/), as
# OUTDIR/GROUP.csv. Each launch is one VM, NAME-<i>, with a creation marker
# (size-0 row) 100 ms before its first fault; --no-markers leaves the
# markers out and the lead at 0.
#
#   PROG-stagger  the 4 runs of PROG, launch i at i * STAGGER (partly
#                 overlapping: STAGGER is about half a run)
#   PROG-seq      the 4 runs of PROG one after the other, 1 s apart
#   mix-stagger   one run of each of the 6 programs, 3 s apart
#
# PROG: gcc (stagger 6 s), python3 (2 s), java (1.5 s).

set -eu

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MG=$HERE/../tools/trace/make-group.py
lead=(--create-lead-ms 100)
if [ "${1:-}" = --no-markers ]; then
	lead=(--create-lead-ms 0 --no-markers)
	shift
fi
if [ $# -ne 1 ] || [ "${1#-}" != "$1" ]; then
	echo "usage: make-groups.sh [--no-markers] OUTDIR" >&2
	exit 2
fi
OUT=$1
mkdir -p "$OUT"

group() {	# group NAME MAKE-GROUP-ARGS... INPUTS...
	local name=$1
	shift
	python3 "$MG" "${lead[@]}" -o "$OUT/$name.csv" "$@"
	echo "$OUT/$name.csv: $(grep -vc '^#' "$OUT/$name.csv") lines" >&2
}

for p in gcc:6000 python3:2000 java:1500; do
	prog=${p%%:*} stagger=${p##*:}
	runs=("$HERE/$prog"-[1-4].csv.xz)
	group "$prog-stagger" --stagger-ms "$stagger" "${runs[@]}"
	group "$prog-seq" --sequential-gap-ms 1000 "${runs[@]}"
done
group mix-stagger --stagger-ms 3000 "$HERE"/{gcc,python3,java,sort,sqlite,xz}-1.csv.xz
