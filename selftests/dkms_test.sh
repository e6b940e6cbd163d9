#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The DKMS install an operator does, with the real dkms (Debian's package)
# against the running 6.12 kernel's headers: dkms builds the module from
# the sources make dkms-source copies, make dkms-install installs it under
# /lib/modules/$(uname -r)/updates/dkms, modprobe loads that module (the
# same sources as kmod/shadowalloc.ko: same version and srcversion), it
# works (the API handshake, a group), and make dkms-uninstall leaves
# nothing. make check builds with dkms on the host, into build/dkms
# (make dkms-build DKMS_DIR=...: the compile takes ten minutes in the TCG
# VM); run alone, the test builds in the VM. The VM's root filesystem is
# the host's, read-only: what dkms writes (build/dkms, /usr/src,
# /var/lib/dkms, /lib/modules/$(uname -r)) goes to overlays in /tmp, so
# nothing reaches the host. Needs root and the kernel's headers; the module
# run_tests.sh loaded is unloaded for the test and loaded again at the end.

# shellcheck source=lib/sa_test.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/sa_test.sh" || exit 4

KVER=$(uname -r)
VERSION=$(cat "$REPO/VERSION")
OV=/tmp/dkms_test.overlay
DKMS_DIR=$REPO/build/dkms
MODULE=$REPO/kmod/shadowalloc.ko
OVERLAID=()

ktap_print_header
if ! command -v dkms >/dev/null || [ ! -d "/lib/modules/$KVER/build" ] ||
   [ "$(id -u)" != 0 ]; then
	ktap_skip_all "needs root, dkms (tools/setup-deps.sh --test-vm) and /lib/modules/$KVER/build"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 9

# verdict NAME: NAME passes if the command before succeeded.
verdict() {
	if [ $? = 0 ]; then ktap_test_pass "$1"; else ktap_test_fail "$1"; fi
}

# overlay DIR: DIR writable, its changes in $OV (gone at the end).
overlay() {
	local dir=$1 name
	name=$(echo "$dir" | tr / _)
	mkdir -p "$dir" "$OV/$name/upper" "$OV/$name/work" || return 1
	mount -t overlay overlay -o "lowerdir=$dir,upperdir=$OV/$name/upper,workdir=$OV/$name/work" "$dir" ||
		return 1
	OVERLAID+=("$dir")
}

cleanup() {
	local i
	modprobe -r shadowalloc 2>/dev/null
	for ((i = ${#OVERLAID[@]} - 1; i >= 0; i--)); do
		umount "${OVERLAID[i]}"
	done
	rm -rf "$OV"
	# Back to the module the rest of the suite tests.
	grep -q '^shadowalloc ' /proc/modules || insmod "$MODULE"
}
trap cleanup EXIT

# dkms.conf's version is the project's.
conf_version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$REPO/dkms.conf")
ktap_print_msg "VERSION $VERSION, dkms.conf PACKAGE_VERSION $conf_version"
ktap_test_result dkms_conf_version_is_VERSION [ "$conf_version" = "$VERSION" ]

modprobe overlay 2>/dev/null
dirs=(/usr/src /var/lib/dkms "/lib/modules/$KVER")
if [ -d "$DKMS_DIR" ]; then
	dirs+=("$DKMS_DIR")
else
	DKMS_DIR=$OV/dkms
fi
for d in "${dirs[@]}"; do
	overlay "$d" || ktap_exit_fail_msg "cannot overlay $d"
done
rmmod shadowalloc || ktap_exit_fail_msg "cannot unload the suite's module"

# A kernel that is not 6.12 is refused before dkms runs, with the reason.
out=$(make -s -C "$REPO" dkms-install DKMS_DIR="$DKMS_DIR" DKMS_KVER=6.1.0-test 2>&1)
status=$?
out=$(grep -v '^make: \*\*\*' <<<"$out")
ktap_print_msg "DKMS_KVER=6.1.0-test: status $status: $out"
[ $status != 0 ] && [[ "$out" == *"kernel 6.1.0-test is not a 6.12 kernel"* ]]
verdict dkms_install_refuses_other_kernels

dkms=(dkms --dkmstree "$DKMS_DIR/tree" --sourcetree "$DKMS_DIR/src")
if ! "${dkms[@]}" status -m shadowalloc -v "$VERSION" -k "$KVER" 2>/dev/null | grep -q ': built$'; then
	[ "${SA_DKMS_PREBUILT-}" = 1 ] &&
		ktap_exit_fail_msg "no dkms build in $DKMS_DIR: make check's make dkms-build failed?"
	ktap_print_msg "no dkms build in $DKMS_DIR: building in the VM (slow)"
fi
start=$SECONDS
out=$(make -s -C "$REPO" dkms-install DKMS_DIR="$DKMS_DIR" 2>&1)
status=$?
echo "$out" | grep -v "Section '.comment' was not dumped" | tail -n 12 | sed 's/^/# /'
ktap_print_msg "make dkms-install: status $status after $((SECONDS - start)) s"
state=$("${dkms[@]}" status -m shadowalloc -v "$VERSION" -k "$KVER" 2>/dev/null)
ktap_print_msg "dkms status: $state"
[ $status = 0 ] && [[ "$state" == "shadowalloc/$VERSION, $KVER, "*": installed" ]]
verdict dkms_built_and_installed

path=$(modinfo -n shadowalloc 2>&1)
ktap_print_msg "modinfo -n shadowalloc: $path"
[[ "$path" == "/lib/modules/$KVER/updates/dkms/shadowalloc.ko"* ]]
verdict module_under_updates_dkms

dkms_src="$(modinfo -F version shadowalloc 2>/dev/null) $(modinfo -F srcversion shadowalloc 2>/dev/null)"
tree_src="$(modinfo -F version "$MODULE" 2>/dev/null) $(modinfo -F srcversion "$MODULE" 2>/dev/null)"
ktap_print_msg "version, srcversion: dkms $dkms_src, kmod/shadowalloc.ko $tree_src"
[ "$dkms_src" != " " ] && [ "$dkms_src" = "$tree_src" ]
verdict same_sources_as_the_tree

modprobe shadowalloc
status=$?
loaded=$(awk '$1 == "shadowalloc" { print $1 }' /proc/modules)
[ $status = 0 ] && [ "$loaded" = shadowalloc ]
verdict modprobe_loads_it

# The module modprobe loaded answers: the API handshake and a group.
out=$("$CTL" version 2>&1) && "$CTL" group create 901 >/dev/null 2>&1 &&
	"$CTL" group destroy 901 >/dev/null 2>&1
status=$?
ktap_print_msg "shadowctl version: $out"
ktap_test_result dkms_module_works [ $status = 0 ]

modprobe -r shadowalloc
out=$(make -s -C "$REPO" dkms-uninstall DKMS_DIR="$DKMS_DIR" 2>&1)
status=$?
left=$(find "$DKMS_DIR" /usr/src /var/lib/dkms "/lib/modules/$KVER/updates" \
	-name '*shadowalloc*' 2>/dev/null)
ktap_print_msg "make dkms-uninstall: status $status; left: ${left:-nothing}"
[ $status = 0 ] && [ -z "$left" ]
verdict dkms_uninstall_leaves_nothing

modprobe shadowalloc 2>/dev/null
status=$?
ktap_test_result modprobe_fails_after_uninstall [ $status != 0 ]
ktap_finished
