#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# setup-deps.sh - install the Debian packages shadowalloc needs.
#
# Idempotent and quick when everything is present: packages are checked
# with dpkg-query and apt-get runs only for what is missing.
#   --check   only report; exit 1 if something is missing

set -euo pipefail

PACKAGES=(
	# build: module, tools, selftests
	gcc make libc6-dev pkg-config
	linux-headers-6.12-cloud-amd64	# KDIR, with vmlinux (BTF) and resolve_btfids
	linux-source-6.12		# kselftest harness, checkpatch.pl
	sparse
	# BPF telemetry
	clang-16 llvm-16 libbpf-dev bpftool dwarves libelf-dev zlib1g-dev
	# selftests
	libcap-dev python3
	# the test VM
	qemu-system-x86			# also provides /usr/lib/qemu/virtiofsd
	linux-image-6.12-cloud-amd64	# the kernel of the test VM and its KVM guests
	busybox-static kmod cpio gzip xz-utils
)

check_only=0
case "${1:-}" in
--check) check_only=1 ;;
"") ;;
-h|--help) sed -n '3,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) echo "setup-deps.sh: unknown option: $1 (try --help)" >&2; exit 2 ;;
esac

missing=()
for pkg in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$check_only" = 1 ]; then
	echo "setup-deps.sh: missing: ${missing[*]}"
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "setup-deps.sh: missing packages (${missing[*]}); run as root to install them" >&2
	exit 1
fi

echo "setup-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}" < /dev/null
