#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# setup-deps.sh - install the Debian 12 packages shadowalloc needs.
#
# usage: tools/setup-deps.sh [--test-vm] [--forecast-bench] [--check] [--list]
#                            [--help]
#
# By default only what building needs (make, make install): compilers,
# headers, libraries. The test VM's packages (QEMU, the VM's kernel image,
# busybox) come only with --test-vm, which make check/demo/bench use: a
# kernel image is never installed without it, since on a real host a new
# kernel package may become GRUB's boot default.
#
# Idempotent and quick (well under 2 s) when everything is present: each
# package is checked with dpkg-query, and apt-get runs only if something is
# missing (one 'apt-get update', then one 'apt-get install' of the missing
# packages, non-interactively, without recommends). Works without a tty and
# without stdin (CI=true ... </dev/null).
#
#   --check   install nothing; exit 0 if all packages are present, else
#             list the missing ones and exit 1 (dpkg-query's database:
#             DPKG_ADMINDIR, default /var/lib/dpkg)
#   --list    print the package list, one per line, and exit
#   --test-vm also the packages of the nested-KVM test VM (tools/vm/run-vm.sh),
#             among them linux-image-6.12-cloud-amd64: the VM's kernel, not
#             this machine's (a note before installing it says how to keep
#             the current boot default)
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
# Building the module, the tools and the selftests, and make install. The
# kernel headers: those of the running kernel if it is a 6.12 one (what
# plain 'make' builds against), else the test VM's (headers_package).
PACKAGES=(
	gcc make libc6-dev pkg-config
	linux-source-6.12		# kselftest harness, KVM selftest lib, checkpatch.pl
	sparse				# make sparse
	libcap-dev libelf-dev zlib1g-dev
	# eBPF telemetry: clang -target bpf, llvm-strip, CO-RE, skeletons, BTF.
	# No lld: BPF objects are compiled with -c and need no linker.
	clang-16 llvm-16 libbpf-dev bpftool dwarves
	# Selftests and tools (JSON checks, .ko.xz handling).
	python3 xz-utils
	kmod				# modinfo, depmod (make install); modprobe in the VM
)

# --test-vm: the nested-KVM test VM (tools/vm/run-vm.sh), for make check,
# make demo, make bench*.
TEST_VM_PACKAGES=(
	linux-headers-6.12-cloud-amd64	# KDIR of the VM's kernel: vmlinux with BTF, resolve_btfids
	qemu-system-x86			# qemu-system-x86_64; its dependency
					# qemu-system-common has /usr/lib/qemu/virtiofsd
	linux-image-6.12-cloud-amd64	# the kernel of the test VM and of its KVM guests
					# (and kvm.ko, whose BTF the telemetry is built against)
	busybox-static			# the VM's initramfs
	dkms				# make dkms-install; selftests/dkms_test.sh
	man-db groff-base		# selftests/man_test.sh (man -l, groff -ww)
	# selftests/libvirt_test.sh: libvirtd with its QEMU driver, and virsh.
	# Not libvirt-daemon-system (systemd units, firewall, default network,
	# the libvirt-qemu account): the test starts libvirtd by hand.
	libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
	cpio gzip			# building the initramfs
	# promtool (selftests/metrics_test.sh); its maintainer scripts start
	# no server where invoke-rc.d may not (containers' policy-rc.d), and
	# the unit is disabled-harmless elsewhere: see admin-config.rst.
	prometheus
	systemd				# systemd-analyze verify (config_test.sh)
)

# --forecast-bench: Documentation/forecast-eval.rst and traces/README.rst.
FORECAST_BENCH_PACKAGES=(
	python3-statsmodels python3-torch python3-matplotlib python3-numpy
	python3-scipy			# tools/bench/forecast_anchors.py
	linux-perf openjdk-17-jdk-headless	# traces/record-traces.sh
)

usage() {
	sed -n '4,36p' "$0" | sed 's/^# \{0,1\}//'
}

# The running kernel's release (uname -r, without a process).
read -r RUNNING </proc/sys/kernel/osrelease

# headers_package: the kernel headers package building needs: the running
# kernel's if it is a 6.12 kernel whose headers dpkg knows; nothing if it is
# a 6.12 kernel with its own build tree (/lib/modules/$(uname -r)/build,
# e.g. built locally); its headers if apt has them; otherwise the test VM
# kernel's. The top Makefile picks the tree in the same order. apt-cache
# (a second natively, far more in the test VM) only when dpkg cannot tell.
headers_package() {
	local r=$RUNNING
	case $r in
	6.12 | 6.12.* | 6.12-* | 6.12+*) ;;
	*) echo linux-headers-6.12-cloud-amd64; return ;;
	esac
	if dpkg-query -W "linux-headers-$r" >/dev/null 2>&1; then
		echo "linux-headers-$r"
	elif [ -e "/lib/modules/$r/build/include/config/kernel.release" ]; then
		:
	elif apt-cache show "linux-headers-$r" >/dev/null 2>&1; then
		echo "linux-headers-$r"
	else
		echo linux-headers-6.12-cloud-amd64
	fi
}

# kernel_image_note PACKAGES...: if a kernel image is among PACKAGES (those
# missing, about to be installed or to be installed by the caller), say on
# stderr that it is for the test VM and how to keep this machine's boot
# default.
kernel_image_note() {
	local pkg images=()
	for pkg; do
		case $pkg in linux-image-*) images+=("$pkg") ;; esac
	done
	[ ${#images[@]} -gt 0 ] || return 0
	cat >&2 <<EOF
$PROG: NOTE: ${images[*]} is the kernel the test VM boots
$PROG: (tools/vm/run-vm.sh hands it to QEMU), not a kernel for this machine.
$PROG: On a real host its package runs update-grub, and GRUB boots the
$PROG: newest kernel by default (GRUB_DEFAULT=0), so the next reboot may
$PROG: start it instead of the running $RUNNING. To keep the current
$PROG: default: set GRUB_DEFAULT=saved in /etc/default/grub, run update-grub,
$PROG: then grub-set-default with the menu entry of $RUNNING (see the
$PROG: menuentry lines of /boot/grub/grub.cfg); or run the test VM on a
$PROG: build machine, not on a production host. Building alone needs no
$PROG: kernel image: tools/setup-deps.sh without --test-vm.
EOF
}

die_usage() {
	echo "$PROG: $*" >&2
	echo "$PROG: try --help" >&2
	exit 2
}

# find_missing: MISSING=(the packages of PACKAGES dpkg does not have fully
# installed), in list order. A package that was removed but left its
# configuration files behind counts as missing. One dpkg-query for all, and
# no subshells (a process costs in the TCG test VM, where install_test.sh
# runs this); dpkg-query names only the packages it knows.
find_missing() {
	local -A installed=()
	local pkg want ok state

	while read -r pkg want ok state; do
		[ "$want $ok $state" = "install ok installed" ] && installed[$pkg]=1
	done <<<"$(dpkg-query -W -f='${Package} ${Status}\n' "${PACKAGES[@]}" 2>/dev/null)"
	MISSING=()
	for pkg in "${PACKAGES[@]}"; do
		[ -n "${installed[$pkg]:-}" ] || MISSING+=("$pkg")
	done
}

main() {
	local check_only=0 list=0 test_vm=0 forecast=0 missing=() hdr

	while [ $# -gt 0 ]; do
		case $1 in
		--check) check_only=1 ;;
		--list) list=1 ;;
		--test-vm) test_vm=1 ;;
		--forecast-bench) forecast=1 ;;
		-h|--help) usage; exit 0 ;;
		*) die_usage "unknown argument: $1" ;;
		esac
		shift
	done

	hdr=$(headers_package)
	[ -z "$hdr" ] || PACKAGES+=("$hdr")
	[ "$test_vm" = 0 ] || PACKAGES+=("${TEST_VM_PACKAGES[@]}")
	[ "$forecast" = 0 ] || PACKAGES+=("${FORECAST_BENCH_PACKAGES[@]}")
	# Once each, in order (the headers may be the test VM's too).
	local -A seen=()
	local pkg all=("${PACKAGES[@]}")
	PACKAGES=()
	for pkg in "${all[@]}"; do
		[ -n "${seen[$pkg]:-}" ] || PACKAGES+=("$pkg")
		seen[$pkg]=1
	done

	if [ "$list" = 1 ]; then
		printf '%s\n' "${PACKAGES[@]}"
		exit 0
	fi
	command -v dpkg-query >/dev/null 2>&1 ||
		{ echo "$PROG: dpkg-query not found: this script is for Debian 12" >&2; exit 1; }

	find_missing
	missing=("${MISSING[@]}")
	if [ ${#missing[@]} -eq 0 ]; then
		[ "$check_only" = 1 ] && echo "$PROG: all ${#PACKAGES[@]} packages are installed"
		exit 0
	fi

	if [ "$check_only" = 1 ]; then
		echo "$PROG: missing packages: ${missing[*]}"
		kernel_image_note "${missing[@]}"
		exit 1
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "$PROG: missing packages: ${missing[*]}" >&2
		kernel_image_note "${missing[@]}"
		echo "$PROG: installing them needs root: run 'sudo $0' (or as root)" >&2
		exit 1
	fi

	echo "$PROG: installing: ${missing[*]}"
	kernel_image_note "${missing[@]}"
	export DEBIAN_FRONTEND=noninteractive
	# Keep existing configuration files without asking (no stdin in CI).
	local apt_opts=(-q -y --no-install-recommends
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
	apt-get -q update </dev/null ||
		{ echo "$PROG: 'apt-get update' failed" >&2; exit 1; }
	apt-get "${apt_opts[@]}" install "${missing[@]}" </dev/null ||
		{ echo "$PROG: 'apt-get install ${missing[*]}' failed" >&2; exit 1; }

	# Trust dpkg, not apt-get's exit status alone.
	find_missing
	missing=("${MISSING[@]}")
	if [ ${#missing[@]} -gt 0 ]; then
		echo "$PROG: still missing after apt-get install: ${missing[*]}" >&2
		exit 1
	fi
	echo "$PROG: all ${#PACKAGES[@]} packages are installed"
}

main "$@"
