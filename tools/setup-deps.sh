#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# setup-deps.sh - install the Debian 12 packages shadowalloc needs.
#
# usage: tools/setup-deps.sh [--forecast-bench] [--check] [--list] [--help]
#
# Idempotent and quick (well under 2 s) when everything is present: each
# package is checked with dpkg-query, and apt-get runs only if something is
# missing (one 'apt-get update', then one 'apt-get install' of the missing
# packages, non-interactively, without recommends). Works without a tty and
# without stdin (CI=true ... </dev/null).
#
#   --check   install nothing; exit 0 if all packages are present, else
#             list the missing ones and exit 1
#   --list    print the package list, one per line, and exit
#   --forecast-bench  also the packages of the forecaster's benchmarks
#             (make bench-anchors: statsmodels, torch, matplotlib) and of
#             recording real programs' traces (tools/trace/: perf, a JDK);
#             not needed by make check or make demo
#
# Exit status: 0 all present (or installed now), 1 something missing and not
# installed (--check, not root, apt-get failure), 2 usage error.

set -euo pipefail

PROG=setup-deps.sh

# The packages, grouped by what needs them. Essential packages (coreutils,
# util-linux, dash, ...) are assumed, as on any Debian system.
PACKAGES=(
	# Building the module, the tools and the selftests.
	gcc make libc6-dev pkg-config
	linux-headers-6.12-cloud-amd64	# KDIR: vmlinux with BTF, resolve_btfids
	linux-source-6.12		# kselftest harness, KVM selftest lib, checkpatch.pl
	sparse				# make sparse
	libcap-dev libelf-dev zlib1g-dev
	# eBPF telemetry: clang -target bpf, llvm-strip, CO-RE, skeletons, BTF.
	# No lld: BPF objects are compiled with -c and need no linker.
	clang-16 llvm-16 libbpf-dev bpftool dwarves
	# Selftests and tools (JSON checks, .ko.xz handling).
	python3 xz-utils
	# The nested-KVM test VM (tools/vm/run-vm.sh).
	qemu-system-x86			# qemu-system-x86_64; its dependency
					# qemu-system-common has /usr/lib/qemu/virtiofsd
	linux-image-6.12-cloud-amd64	# the kernel of the test VM and of its KVM guests
	busybox-static			# the VM's initramfs
	kmod				# modprobe/insmod for .ko.xz inside the VM
	dkms				# make dkms-install; selftests/dkms_test.sh
	# selftests/libvirt_test.sh: libvirtd with its QEMU driver, and virsh.
	# Not libvirt-daemon-system (systemd units, firewall, default network,
	# the libvirt-qemu account): the test starts libvirtd by hand.
	libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
	cpio gzip			# building the initramfs
)

# --forecast-bench: Documentation/forecast-eval.rst and traces/README.rst.
FORECAST_BENCH_PACKAGES=(
	python3-statsmodels python3-torch python3-matplotlib python3-numpy
	python3-scipy			# tools/bench/forecast_anchors.py
	linux-perf openjdk-17-jdk-headless	# traces/record-traces.sh
)

usage() {
	sed -n '4,19p' "$0" | sed 's/^# \{0,1\}//'
}

die_usage() {
	echo "$PROG: $*" >&2
	echo "$PROG: try --help" >&2
	exit 2
}

# is_installed PKG: true if dpkg says PKG is fully installed. A package that
# was removed but left its configuration files behind counts as missing.
is_installed() {
	local status
	status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
	[ "$status" = "install ok installed" ]
}

# missing_packages: print the packages that are not installed, one a line.
missing_packages() {
	local pkg
	for pkg in "${PACKAGES[@]}"; do
		is_installed "$pkg" || echo "$pkg"
	done
}

main() {
	local check_only=0 list=0 missing=()

	while [ $# -gt 0 ]; do
		case $1 in
		--check) check_only=1 ;;
		--list) list=1 ;;
		--forecast-bench) PACKAGES+=("${FORECAST_BENCH_PACKAGES[@]}") ;;
		-h|--help) usage; exit 0 ;;
		*) die_usage "unknown argument: $1" ;;
		esac
		shift
	done

	if [ "$list" = 1 ]; then
		printf '%s\n' "${PACKAGES[@]}"
		exit 0
	fi
	command -v dpkg-query >/dev/null 2>&1 ||
		{ echo "$PROG: dpkg-query not found: this script is for Debian 12" >&2; exit 1; }

	mapfile -t missing < <(missing_packages)
	if [ ${#missing[@]} -eq 0 ]; then
		[ "$check_only" = 1 ] && echo "$PROG: all ${#PACKAGES[@]} packages are installed"
		exit 0
	fi

	if [ "$check_only" = 1 ]; then
		echo "$PROG: missing packages: ${missing[*]}"
		exit 1
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "$PROG: missing packages: ${missing[*]}" >&2
		echo "$PROG: installing them needs root: run 'sudo $0' (or as root)" >&2
		exit 1
	fi

	echo "$PROG: installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Keep existing configuration files without asking (no stdin in CI).
	local apt_opts=(-q -y --no-install-recommends
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
	apt-get -q update </dev/null ||
		{ echo "$PROG: 'apt-get update' failed" >&2; exit 1; }
	apt-get "${apt_opts[@]}" install "${missing[@]}" </dev/null ||
		{ echo "$PROG: 'apt-get install ${missing[*]}' failed" >&2; exit 1; }

	# Trust dpkg, not apt-get's exit status alone.
	mapfile -t missing < <(missing_packages)
	if [ ${#missing[@]} -gt 0 ]; then
		echo "$PROG: still missing after apt-get install: ${missing[*]}" >&2
		exit 1
	fi
	echo "$PROG: all ${#PACKAGES[@]} packages are installed"
}

main "$@"
