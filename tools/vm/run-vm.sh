#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-vm.sh - run a command inside the nested-KVM test VM ("L1").
#
# L1 is a QEMU TCG guest (single-threaded TCG: multi-threaded TCG oopses on
# this platform) with an EPYC CPU with SVM and NPT, running Debian's 6.12
# cloud kernel. The host's root filesystem, shared read-only over virtiofs,
# becomes L1's root, so the repository and every installed tool are at the
# same paths; /tmp, /run and /dev/shm are fresh tmpfs. kvm_amd is loaded, so
# real KVM guests run inside.
#
# Topology: two NUMA nodes by default (--nodes), guest RAM split evenly
# between them (one memfd per node), one socket of CPUs per node (with one
# CPU the second node is memory-only), and part of
# RAM in ZONE_MOVABLE (--movable, the kernel's movablecore=, spread evenly
# over the nodes by the kernel), so tests can offline whole memory blocks
# (/sys/devices/system/memory/memoryN/state) and see guest pages migrate.
#
# How a run works:
#   host: base initramfs (static busybox, /init = tools/vm/init.sh,
#           /stage2.sh = tools/vm/stage2.sh; cached in build/vm/)
#         + a per-run cpio archive (/run-vm-cmd.sh: the command, its working
#           directory and environment, shell-quoted)
#         -> one virtiofsd for this run, QEMU wrapped in timeout(1)
#   L1:   /init mounts the host root, moves /proc /sys /dev into it, chroots;
#         stage 2 mounts bpffs/tracefs/debugfs, loads kvm_amd, runs the command with
#         stdout+stderr on ttyS1, writes "@@SHADOWALLOC_VM_EXIT=<status>@@"
#         to ttyS1 and powers off.
#   ttyS0 is the kernel console (ignore_loglevel: the whole kernel log),
#   ttyS1 the command's output, streamed live to this script's stdout.
#
# Exit status: the command's; 2 usage or setup error (nothing started);
# 124 timeout; 125 the VM stopped before the command ended (crash, panic,
# boot failure); 126 the command succeeded but the guest kernel reported a
# problem (WARN, BUG, oops, KFENCE/SLUB/UBSAN report, hung task, RCU stall);
# 129/130/143 interrupted (HUP/INT/TERM).

set -euo pipefail

PROG=run-vm.sh
SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
VM_SRC=$(dirname "$SCRIPT")
REPO=$(cd "$VM_SRC/../.." && pwd)
# PID 1 of the VM and its chrooted second stage, installed into the initramfs.
INIT_SH=$VM_SRC/init.sh
STAGE2_SH=$VM_SRC/stage2.sh
VM_DIR=$REPO/build/vm
BUSYBOX=/bin/busybox
VIRTIOFSD=/usr/lib/qemu/virtiofsd
QEMU=qemu-system-x86_64
MARKER=@@SHADOWALLOC_VM_EXIT=

# Options and their defaults.
DEFAULT_MEM=2048
DEFAULT_CPUS=2
DEFAULT_NODES=2
DEFAULT_TIMEOUT=600
MEM=$DEFAULT_MEM
CPUS=$DEFAULT_CPUS
NODES=$DEFAULT_NODES
MOVABLE=""	# MiB of ZONE_MOVABLE; "" = default_movable()
APPEND=""
TIMEOUT=$DEFAULT_TIMEOUT
CWD=""
KERNEL=""
LOG=""
ENVS=()
CMD=()

# Run state, used by cleanup().
WORK=""		# host-side temp dir: socket, serial files, initrd
QEMU_PID=""	# the timeout(1) process that runs QEMU
VIRTIOFSD_PID=""
TAIL_PID=""
FILTER_PID=""
KEEP_LOG=0	# keep the kernel log after a failure
LOG_DONE=0
BASE_TMP=""	# base initramfs being built

usage() {
	cat <<EOF
usage: $PROG [options] -- COMMAND [ARGS...]

Run COMMAND as root inside the nested-KVM test VM; its output (stdout and
stderr together) streams to stdout, and its exit status is returned.

options:
  --mem MB          guest memory in MiB (default $DEFAULT_MEM)
  --cpus N          guest CPUs (default $DEFAULT_CPUS), one socket per NUMA
                    node, CPUs split evenly between them
  --nodes N         NUMA nodes (default $DEFAULT_NODES), RAM split evenly
                    between them
  --movable MB      RAM in ZONE_MOVABLE (kernel movablecore=, spread over the
                    nodes), hot-removable by offlining its memory blocks;
                    0 for none (default: 3/8 of --mem in whole 128 MiB
                    blocks per node, 768 MiB of the default 2048, which
                    leaves the kernel, slab, staged pools and KVM 1280 MiB)
  --append ARGS     extra kernel command line, e.g.
                    "kfence.sample_interval=10 slub_debug=FZPU"
  --timeout SEC     stop the VM after SEC seconds, boot included
                    (default $DEFAULT_TIMEOUT); exit status 124
  --cwd DIR         working directory of COMMAND (default: the current one);
                    must not be under /tmp, /run or /dev/shm, which are
                    fresh tmpfs in the VM
  --env NAME=VALUE  set NAME in COMMAND's environment (repeatable)
  --kernel FILE     kernel image (default: the newest
                    /boot/vmlinuz-6.12*-cloud-amd64); its modules must be
                    in /lib/modules/<version> on the host
  --log FILE        keep the guest kernel log in FILE (default: a temp file,
                    kept and named only if something went wrong)
  -h, --help        this text

The VM sees the host's root filesystem read-only. Nothing written in the VM
survives it. The kernel command line always has
  console=ttyS0 ignore_loglevel printk.devkmsg=on panic=-1 panic_on_warn=0
sysctl.vm.percpu_pagelist_high_fraction=1024 and movablecore=<--movable>M
unless --movable is 0, before --append's arguments (no oops=panic: an oops is logged and reported, the run goes on).

exit status: COMMAND's; 2 usage/setup error; 124 timeout; 125 the VM stopped
before COMMAND ended; 126 COMMAND succeeded but the guest kernel reported a
problem (WARNING, BUG, Oops, KFENCE, SLUB, UBSAN, hung task, RCU stall, ...).

example:
  $PROG --append "kfence.sample_interval=10 slub_debug=FZPU" \\
      --env V=1 -- sh -c 'lsmod | grep kvm; ls -l /dev/kvm'
EOF
}

msg() {
	echo "$PROG: $*" >&2
}

die_usage() {
	msg "$*"
	msg "try '$PROG --help'"
	exit 2
}

# die_setup MESSAGE: a problem on the host before the VM starts.
die_setup() {
	msg "$*"
	exit 2
}

# need_value OPTION ARGS...: OPTION must be followed by a value.
need_value() {
	[ $# -ge 2 ] || die_usage "option $1 needs a value"
}

# uint_opt OPTION VALUE MIN MAX: VALUE must be an integer in [MIN, MAX].
uint_opt() {
	[[ $2 =~ ^[0-9]+$ ]] || die_usage "option $1: '$2' is not a number"
	if [ "${#2}" -gt 9 ] || [ "$((10#$2))" -lt "$3" ] || [ "$((10#$2))" -gt "$4" ]; then
		die_usage "option $1: $2 is out of range ($3..$4)"
	fi
}

# hidden_in_vm DIR: true if DIR is a path the VM covers with a fresh tmpfs.
hidden_in_vm() {
	case $1/ in
	/tmp/*|/run/*|/dev/shm/*) return 0 ;;
	esac
	return 1
}

# default_movable: 3/8 of RAM, rounded down to whole memory blocks (128 MiB)
# on each node; 0 if that is less than one block per node.
default_movable() {
	local per_node=$((MEM * 3 / 8 / NODES / 128 * 128))
	echo $((per_node * NODES))
}

# numa_args: the -smp, -object and -numa options of the topology, one per
# line. Each node is a socket: CPUs sharing a socket share its last-level
# cache, and the kernel warns (topology_sane) about an LLC split between
# nodes. Node n has the CPUs of socket n (with fewer CPUs than nodes, the
# last nodes are memory-only).
numa_args() {
	local n size left=$MEM first last
	local sockets=$((CPUS < NODES ? CPUS : NODES))
	local cores=$(((CPUS + sockets - 1) / sockets))
	echo "-smp"
	echo "cpus=$CPUS,sockets=$sockets,cores=$cores,threads=1,maxcpus=$((sockets * cores))"
	for ((n = 0; n < NODES; n++)); do
		size=$((MEM / NODES))
		[ "$n" -lt "$((NODES - 1))" ] || size=$left
		left=$((left - size))
		echo "-object"
		echo "memory-backend-memfd,id=m$n,size=${size}M,share=on"
		first=$((n * cores))
		last=$((first + cores - 1))
		echo "-numa"
		if [ "$n" -lt "$sockets" ]; then
			echo "node,nodeid=$n,cpus=$first-$last,memdev=m$n"
		else
			echo "node,nodeid=$n,memdev=m$n"
		fi
	done
}

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--mem) need_value "$@"; uint_opt "$1" "$2" 256 1048576; MEM=$((10#$2)); shift 2 ;;
		--cpus) need_value "$@"; uint_opt "$1" "$2" 1 64; CPUS=$((10#$2)); shift 2 ;;
		--nodes) need_value "$@"; uint_opt "$1" "$2" 1 8; NODES=$((10#$2)); shift 2 ;;
		--movable) need_value "$@"; uint_opt "$1" "$2" 0 1048576; MOVABLE=$((10#$2)); shift 2 ;;
		--timeout) need_value "$@"; uint_opt "$1" "$2" 1 604800; TIMEOUT=$((10#$2)); shift 2 ;;
		--append) need_value "$@"; APPEND=$2; shift 2 ;;
		--cwd)
			need_value "$@"
			[ -d "$2" ] || die_usage "option --cwd: no such directory: $2"
			CWD=$(cd -- "$2" && pwd -P)
			! hidden_in_vm "$CWD" ||
				die_usage "option --cwd: $CWD is under /tmp, /run or /dev/shm, which the VM does not see"
			shift 2 ;;
		--env)
			need_value "$@"
			[[ $2 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] ||
				die_usage "option --env: expected NAME=VALUE, got '$2'"
			ENVS+=("$2"); shift 2 ;;
		--kernel)
			need_value "$@"
			if [ ! -f "$2" ] || [ ! -r "$2" ]; then
				die_usage "option --kernel: cannot read $2"
			fi
			KERNEL=$2; shift 2 ;;
		--log)
			need_value "$@"
			if [ -z "$2" ] || [ -d "$2" ]; then
				die_usage "option --log: not a file name: '$2'"
			fi
			LOG=$2; shift 2 ;;
		-h|--help) usage; exit 0 ;;
		--) shift; break ;;
		-*) die_usage "unknown option: $1" ;;
		*) break ;;	# the command, without a '--' before it
		esac
	done
	[ "$((MEM / NODES))" -ge 128 ] ||
		die_usage "--mem $MEM is too small for $NODES NUMA nodes (at least 128 MiB each)"
	[ -n "$MOVABLE" ] || MOVABLE=$(default_movable)
	[ "$MOVABLE" -le "$((MEM / 2))" ] ||
		die_usage "--movable $MOVABLE: at most half of --mem ($((MEM / 2)) MiB) may be movable"
	[ $# -gt 0 ] || die_usage "no command given (usage: $PROG [options] -- COMMAND [ARGS...])"
	CMD=("$@")

	if [ -z "$CWD" ]; then
		CWD=$(pwd -P)
		if hidden_in_vm "$CWD"; then
			msg "the current directory $CWD is not visible in the VM: running COMMAND in /"
			CWD=/
		fi
	fi
}

# Check the host side and pick the kernel.
check_host() {
	local tool
	[ "$(id -u)" = 0 ] || die_setup "must run as root (virtiofsd exports / and chroots)"
	for tool in "$QEMU" timeout cpio gzip tail sed mktemp; do
		command -v "$tool" >/dev/null 2>&1 ||
			die_setup "$tool not found: run tools/setup-deps.sh --test-vm"
	done
	[ -x "$VIRTIOFSD" ] || die_setup "$VIRTIOFSD not found: run tools/setup-deps.sh --test-vm"
	[ -x "$BUSYBOX" ] || die_setup "$BUSYBOX not found: run tools/setup-deps.sh --test-vm"
	for tool in "$INIT_SH" "$STAGE2_SH"; do
		[ -r "$tool" ] || die_setup "$tool missing"
	done

	if [ -z "$KERNEL" ]; then
		KERNEL=$(find /boot -maxdepth 1 -name 'vmlinuz-6.12*-cloud-amd64' 2>/dev/null |
			sort -V | tail -n 1)
		[ -n "$KERNEL" ] ||
			die_setup "no /boot/vmlinuz-6.12*-cloud-amd64: run tools/setup-deps.sh --test-vm"
		local kver=${KERNEL#/boot/vmlinuz-}
		[ -d "/lib/modules/$kver" ] ||
			die_setup "/lib/modules/$kver missing: the VM could not load kvm_amd"
	fi
	if [ -n "$LOG" ]; then
		: 2>/dev/null > "$LOG" || die_setup "option --log: cannot write $LOG"
	fi
}

# base_initramfs_fresh: true if $BASE_IMG is newer than everything in it.
base_initramfs_fresh() {
	local f
	[ -f "$BASE_IMG" ] || return 1
	for f in "$SCRIPT" "$INIT_SH" "$STAGE2_SH" "$BUSYBOX"; do
		[ "$BASE_IMG" -nt "$f" ] || return 1
	done
}

# build_base_initramfs: build $VM_DIR/base.cpio.gz unless it is fresh.
# Concurrent runs each build into their own temp file and rename it into
# place, so readers never see a partial image.
BASE_IMG=""
build_base_initramfs() {
	BASE_IMG=$VM_DIR/base.cpio.gz
	base_initramfs_fresh && return
	mkdir -p "$VM_DIR" || die_setup "cannot create $VM_DIR"
	local stage=$WORK/base
	mkdir -p "$stage"/{bin,dev,proc,sys,newroot}
	cp "$BUSYBOX" "$stage/bin/busybox"
	cp "$INIT_SH" "$stage/init"
	cp "$STAGE2_SH" "$stage/stage2.sh"
	chmod 755 "$stage/init"
	BASE_TMP=$(mktemp "$VM_DIR/.base.cpio.gz.XXXXXX")
	(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -6) \
		> "$BASE_TMP"
	chmod 644 "$BASE_TMP"
	mv -f "$BASE_TMP" "$BASE_IMG"
	BASE_TMP=""
}

# sq WORD: WORD quoted for any POSIX shell.
sq() {
	local s=${1//\'/\'\\\'\'}
	printf "'%s'" "$s"
}

# write_cmd_script: the per-run script that stage 2 sources.
write_cmd_script() {
	local e arg
	echo "# per-run part (generated by tools/vm/run-vm.sh)"
	for e in "${ENVS[@]}"; do
		echo "export ${e%%=*}=$(sq "${e#*=}")"
	done
	echo "RUN_VM_CWD=$(sq "$CWD")"
	# shellcheck disable=SC2016  # expanded by the guest's shell
	echo 'cd -- "$RUN_VM_CWD" || { echo "run-vm: cannot cd to $RUN_VM_CWD in the VM"; exit 125; }'
	echo 'unset RUN_VM_CWD'
	printf 'exec'
	for arg in "${CMD[@]}"; do
		printf ' %s' "$(sq "$arg")"
	done
	echo
}

# build_initrd: base image + per-run archive -> $WORK/initrd.
build_initrd() {
	build_base_initramfs
	mkdir -p "$WORK/percmd"
	write_cmd_script > "$WORK/percmd/run-vm-cmd.sh"
	(cd "$WORK/percmd" && echo run-vm-cmd.sh | cpio -o -H newc -R 0:0 --quiet | gzip -1) \
		> "$WORK/percmd.cpio.gz"
	cat "$BASE_IMG" "$WORK/percmd.cpio.gz" > "$WORK/initrd"
}

# qemu_opt_escape VALUE: commas doubled, for QEMU's key=value option syntax.
qemu_opt_escape() {
	printf '%s' "${1//,/,,}"
}

start_virtiofsd() {
	local sock=$WORK/vfs.sock i
	"$VIRTIOFSD" --socket-path="$sock" -o source=/ -o cache=none -o sandbox=chroot \
		</dev/null >"$WORK/virtiofsd.log" 2>&1 &
	VIRTIOFSD_PID=$!
	for ((i = 0; i < 100; i++)); do
		[ -S "$sock" ] && return
		kill -0 "$VIRTIOFSD_PID" 2>/dev/null || break
		sleep 0.05
	done
	msg "virtiofsd did not start:"
	cat "$WORK/virtiofsd.log" >&2
	KEEP_LOG=0
	exit 125
}

start_qemu() {
	local sock kcon out
	sock=$(qemu_opt_escape "$WORK/vfs.sock")
	kcon=$(qemu_opt_escape "$WORK/kernel.raw")
	out=$(qemu_opt_escape "$WORK/out.raw")
	: > "$WORK/kernel.raw"
	: > "$WORK/out.raw"
	local -a numa
	mapfile -t numa < <(numa_args)
	local kargs=""
	[ "$MOVABLE" = 0 ] || kargs="movablecore=${MOVABLE}M "
	# Per-CPU free page lists small (high = 1/1024 of each zone, split
	# among its node's CPUs): by default each CPU keeps up to a zone's low
	# watermark per zone, and with two nodes and ZONE_MOVABLE (four
	# zones) they grew by 25-50 MiB over a suite run, which MemFree does
	# not count, blurring run_tests.sh's leak check (64 MiB slack).
	kargs+="sysctl.vm.percpu_pagelist_high_fraction=1024 "
	# -nodefaults: no VGA, NIC, floppy or CD-ROM to emulate and probe.
	timeout -k 10 "$TIMEOUT" "$QEMU" \
		-nodefaults -no-user-config \
		-accel tcg,thread=single -cpu EPYC,+svm,+npt \
		-m "$MEM" \
		"${numa[@]}" \
		-chardev "socket,id=vfs,path=$sock" \
		-device vhost-user-fs-pci,chardev=vfs,tag=hostroot \
		-kernel "$KERNEL" -initrd "$WORK/initrd" \
		-append "console=ttyS0 ignore_loglevel printk.devkmsg=on panic=-1 panic_on_warn=0 $kargs$APPEND" \
		-display none -monitor none -no-reboot \
		-chardev "file,id=kcon,path=$kcon" -serial chardev:kcon \
		-chardev "file,id=out,path=$out" -serial chardev:out \
		</dev/null >"$WORK/qemu.log" 2>&1 &
	QEMU_PID=$!
}

# Stream the command's output while the VM runs: tail follows the serial
# file until QEMU (its timeout wrapper) exits; sed drops the \r of the tty
# and the exit marker. A fifo keeps both PIDs known to cleanup().
start_streaming() {
	mkfifo "$WORK/stream"
	sed -u -e 's/\r//g' -e "/^${MARKER}[0-9]*@@\$/d" -e "s/${MARKER}[0-9]*@@\$//" \
		< "$WORK/stream" &
	FILTER_PID=$!
	tail -n +1 -s 0.3 -f --pid="$QEMU_PID" "$WORK/out.raw" > "$WORK/stream" 2>/dev/null &
	TAIL_PID=$!
}

# wait_streaming: let the streamer print what is left, then stop it.
wait_streaming() {
	local i
	for ((i = 0; i < 50; i++)); do
		kill -0 "$TAIL_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill "$TAIL_PID" 2>/dev/null || true
	wait "$TAIL_PID" 2>/dev/null || true
	wait "$FILTER_PID" 2>/dev/null || true
	TAIL_PID=""
	FILTER_PID=""
}

# The kernel log without the serial console's \r.
kernel_log() {
	tr -d '\r' < "$WORK/kernel.raw"
}

# Kernel log lines that mean something went wrong in the guest kernel:
# KERNEL_PROBLEM_RE and KERNEL_PROBLEM_BENIGN_RE, shared with the tests.
# shellcheck source=SCRIPTDIR/kernel-problems.sh
. "$VM_SRC/kernel-problems.sh"
PROBLEMS=$KERNEL_PROBLEM_RE
BENIGN=$KERNEL_PROBLEM_BENIGN_RE

# scan_kernel_log: print the problem sections (with context); true if any.
scan_kernel_log() {
	local hits
	hits=$(kernel_log | kernel_log_unexpected | grep -nE "$PROBLEMS" |
	       grep -vE "$BENIGN" | head -n 1) || true
	[ -n "$hits" ] || return 1
	msg "the guest kernel reported a problem:"
	kernel_log | kernel_log_unexpected | grep -vE "$BENIGN" |
		grep -E -B 8 -A 40 "$PROBLEMS" | head -n 250 >&2 || true
	return 0
}

# finish_log: keep the kernel log where the caller asked, or after a failure.
# (finish_log, cleanup and on_signal run from traps, hence SC2317.)
# shellcheck disable=SC2317
finish_log() {
	[ "$LOG_DONE" = 0 ] || return 0
	LOG_DONE=1
	if [ -z "$WORK" ] || [ ! -f "$WORK/kernel.raw" ]; then
		return 0
	fi
	if [ -n "$LOG" ]; then
		kernel_log > "$LOG" || msg "cannot write the kernel log to $LOG"
		[ "$KEEP_LOG" = 0 ] || msg "guest kernel log: $LOG"
	elif [ "$KEEP_LOG" = 1 ] && [ -s "$WORK/kernel.raw" ]; then
		local kept
		kept=$(mktemp "${TMPDIR:-/tmp}/run-vm-kernel.XXXXXX.log") && kernel_log > "$kept" &&
			msg "guest kernel log kept in $kept"
	fi
}

# cleanup: on every exit path: stop QEMU, virtiofsd and the streamer, keep
# the kernel log if needed, remove the temp dir.
# shellcheck disable=SC2317
cleanup() {
	local pid i
	if [ -n "$QEMU_PID" ]; then
		# timeout(1) passes the TERM on to QEMU, which quits cleanly;
		# if it does not, kill QEMU (timeout's child) and timeout.
		kill "$QEMU_PID" 2>/dev/null || true
		for ((i = 0; i < 30; i++)); do
			kill -0 "$QEMU_PID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$QEMU_PID" 2>/dev/null; then
			pkill -KILL -P "$QEMU_PID" 2>/dev/null || true
			kill -KILL "$QEMU_PID" 2>/dev/null || true
		fi
		wait "$QEMU_PID" 2>/dev/null || true
	fi
	for pid in $TAIL_PID $FILTER_PID $VIRTIOFSD_PID; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	QEMU_PID="" TAIL_PID="" FILTER_PID="" VIRTIOFSD_PID=""
	finish_log
	[ -z "$BASE_TMP" ] || rm -f "$BASE_TMP"
	[ -z "$WORK" ] || rm -rf "$WORK"
	WORK=""
}

# shellcheck disable=SC2317
on_signal() {
	trap - HUP INT TERM
	msg "interrupted: stopping the VM"
	KEEP_LOG=1
	cleanup
	exit "$1"
}

main() {
	parse_args "$@"
	check_host

	WORK=$(mktemp -d "${TMPDIR:-/tmp}/run-vm.XXXXXX")
	trap cleanup EXIT
	trap 'on_signal 129' HUP
	trap 'on_signal 130' INT
	trap 'on_signal 143' TERM

	build_initrd
	start_virtiofsd
	start_qemu
	start_streaming

	local qemu_status=0 status
	wait "$QEMU_PID" || qemu_status=$?
	QEMU_PID=""
	wait_streaming

	status=$(tr -d '\r' < "$WORK/out.raw" |
		sed -n "s/.*${MARKER}\([0-9]*\)@@\$/\1/p" | tail -n 1)

	if [ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ]; then
		KEEP_LOG=1
		msg "TIMEOUT: the VM did not finish within ${TIMEOUT}s${status:+ (the command had ended with status $status, the VM did not power off)}; last kernel log lines:"
		kernel_log | tail -n 20 >&2
		scan_kernel_log || true
		exit 124
	fi
	if [ -z "$status" ]; then
		KEEP_LOG=1
		msg "the VM stopped before the command ended (QEMU exit status $qemu_status)"
		grep -v "TCG doesn't support requested feature" "$WORK/qemu.log" >&2 || true
		if [ -s "$WORK/kernel.raw" ]; then
			# The first report (e.g. the panic message) may be long
			# before the end of the log.
			scan_kernel_log || true
			msg "last 50 lines of the guest kernel log:"
			kernel_log | tail -n 50 >&2
		else
			msg "the guest kernel log is empty"
		fi
		exit 125
	fi
	if scan_kernel_log; then
		KEEP_LOG=1
		[ "$status" != 0 ] || exit 126
	fi
	exit "$status"
}

main "$@"
