# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# lib.sh - what run-l2.sh and the L2 benchmarks (tools/bench: l2_bench.sh,
# l2_refault_bench.sh, l2_fleet_bench.sh) share: reading the module's JSON,
# the numbers of a table, memory committed, and staging a group's
# reservation. Sourced, not run; bash only.
# The caller sets CTL (shadowctl), G (the group) and PROG (its name, for
# messages) before it calls sa_reserve.

# stat_of JSON FIELD: the number FIELD has in JSON, empty if none. No
# fork: the fleet's poll loop calls it, and a process costs tens of ms in
# the TCG test VM.
stat_of() {
	[[ $1 =~ \"$2\":([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
}

# num_of JSON FIELD: stat_of, 0 when absent (a field of a newer module).
num_of() {
	local v
	v=$(stat_of "$1" "$2")
	echo "${v:-0}"
}

# median VALUES [DIGITS]: the median of the space-separated numbers,
# with DIGITS decimals (default 0), empty when there are none.
median() {
	tr ' ' '\n' <<<"$1" | grep . | sort -g |
		awk -v d="${2:-0}" '{ v[NR] = $1 } END { if (NR) printf "%.*f", d, NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# fmt X DIGITS: X rounded, "-" when empty or "-".
fmt() {
	if [ -n "$1" ] && [ "$1" != - ]; then awk -v x="$1" -v d="$2" 'BEGIN { printf "%.*f", d, x }'; else echo -; fi
}

# ratio A B: A / B to three decimals, "-" when either is missing or B is
# not positive.
ratio() {
	if [ -n "$1" ] && [ -n "$2" ] && [ "$1" != - ] && [ "$2" != - ] &&
	   awk -v b="$2" 'BEGIN { exit !(b > 0) }'; then
		awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'
	else
		echo -
	fi
}

# j VALUE: VALUE for JSON, null when empty or "-".
j() {
	if [ -n "$1" ] && [ "$1" != - ]; then echo "$1"; else echo null; fi
}

# thp_mode FILE: the selected value of a THP sysfs file ("[always] never").
thp_mode() {
	sed 's/.*\[\(.*\)\].*/\1/' "$1"
}

# mem_used: L1's memory in use in KiB (MemTotal - MemFree), into REPLY;
# the definition of memory committed run-l2.sh gives. Builtins only.
mem_used() {
	local k v t=0 f=0
	while read -r k v _; do
		case $k in
		MemTotal:) t=$v ;;
		MemFree:) f=$v; break ;;
		esac
	done < /proc/meminfo
	REPLY=$((t - f))
}

# sa_reserve PAGES: reserve PAGES in group G and wait until they are
# staged (the refill worker would otherwise compete with the guest for
# the emulated CPU); 1 with a message after 120 s.
sa_reserve() {
	"$CTL" group reserve "$G" "$1" >/dev/null || return 1
	for _ in $(seq 1200); do
		[ "$(num_of "$("$CTL" --json group stats "$G")" staged_pages)" -ge "$1" ] && return 0
		sleep 0.1
	done
	echo "$PROG: the pool did not fill in 120 s" >&2
	return 1
}
