#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Building and installing on a host (the top Makefile, tools/Makefile,
# tools/lib/Makefile, tools/setup-deps.sh):
#  * make install DESTDIR=tmp: every file where it belongs, equal to what
#    was built, nothing else, nothing rebuilt, no depmod under DESTDIR; a
#    C program built with pkg-config against the installed tree links the
#    shared libshadowalloc.so.1 and runs (calls that need no device); the
#    same with PREFIX=/opt/sa; make uninstall leaves no file behind;
#  * make print-kdir: the running 6.12 kernel's tree, else Debian's cloud
#    headers, KDIR= (command line or environment) as given, a clear error
#    for a tree that is no tree or not 6.12 and when there is none;
#  * setup-deps.sh: the default list (building) has no kernel image, the
#    --test-vm list has the VM's packages, --check agrees with dpkg, usage
#    errors; the targets that run the VM depend on deps-vm.
# Installs only under a temporary directory in /tmp and writes nothing in
# the repository, so it runs on the host (after make) and in the test VM,
# where the repository is read-only. Needs no module and no root.
# KTAP output through the kernel's ktap_helpers.sh (from linux-source-6.12).

# shellcheck source=lib/sa_test.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/sa_test.sh" || exit 4

DEPS=$REPO/tools/setup-deps.sh
KO=$REPO/kmod/shadowalloc.ko
BUILT=("$KO" "$REPO/tools/shadowctl/shadowctl" "$REPO/tools/lib/libshadowalloc.a"
       "$REPO/tools/lib/libshadowalloc.so.1")
TMP=$(mktemp -d /tmp/install_test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
D=$TMP/root
export CI=true
# What the make that runs this test (make check) passes down would decide
# for the makes here: KDIR/KVER exported for the VM's kernel, its flags.
# Each case gives what it tests itself.
unset KDIR KVER MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

# ok_if NAME CMD...: ok if CMD succeeds
ok_if() {
	local name=$1
	shift
	if "$@"; then
		ktap_test_pass "$name"
	else
		ktap_test_fail "$name"
	fi
}

# mk ARGS...: make in the repository, quietly, stdin closed (as in CI)
mk() {
	make -s --no-print-directory -C "$REPO" "$@" </dev/null
}

# same_file NAME MODE INSTALLED ORIGINAL: ok if INSTALLED is a copy of
# ORIGINAL with permissions MODE (octal)
same_file() {
	local name=$1 mode=$2 got=$3 want=$4 m
	if [ ! -f "$got" ]; then
		ktap_print_msg "$got missing"
		ktap_test_fail "$name"
		return
	fi
	m=$(stat -c %a "$got")
	if [ "$m" != "$mode" ]; then
		ktap_print_msg "$got: mode $m, want $mode"
		ktap_test_fail "$name"
	elif ! cmp -s "$got" "$want"; then
		ktap_print_msg "$got differs from $want"
		ktap_test_fail "$name"
	else
		ktap_test_pass "$name"
	fi
}

# files_under DIR: every non-directory under DIR, relative, sorted
files_under() {
	(cd "$1" && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort)
}

# same_list NAME WANT GOT: ok if the two newline-separated lists are equal
same_list() {
	if [ "$2" = "$3" ]; then
		ktap_test_pass "$1"
	else
		ktap_print_msg "$1: want:"
		while IFS= read -r l; do ktap_print_msg "  $l"; done <<<"$2"
		ktap_print_msg "$1: got:"
		while IFS= read -r l; do ktap_print_msg "  $l"; done <<<"$3"
		ktap_test_fail "$1"
	fi
}

# check_kdir NAME KDIR KVER WHY_REGEX -- CMD...: ok if CMD (a print-kdir)
# succeeds and prints exactly KDIR=KDIR, KVER=KVER and a "why:" line
# matching WHY_REGEX
check_kdir() {
	local name=$1 kdir=$2 kver=$3 why=$4 out lines
	shift 5
	if ! out=$("$@" 2>&1); then
		ktap_print_msg "$*: failed: $out"
		ktap_test_fail "$name"
		return
	fi
	mapfile -t lines <<<"$out"
	lines[2]=${lines[2]-}
	if [ ${#lines[@]} != 3 ] || [ "${lines[0]}" != "KDIR=$kdir" ] ||
	   [ "${lines[1]}" != "KVER=$kver" ] || [ "${lines[2]#why: }" = "${lines[2]}" ] ||
	   ! [[ ${lines[2]#why: } =~ $why ]]; then
		ktap_print_msg "$*: got '$out', want KDIR=$kdir KVER=$kver why: $why"
		ktap_test_fail "$name"
	else
		ktap_test_pass "$name"
	fi
}

# capture CMD...: run CMD once, stdin closed, for expect*: C_STATUS,
# C_OUT, C_ERR
capture() {
	C_OUT=$("$@" 2>"$TMP/capture.err" </dev/null)
	C_STATUS=$?
	C_ERR=$(cat "$TMP/capture.err")
	C_CMD=$*
}

# expect NAME STATUS STDOUT_REGEX STDERR_REGEX: check_cli on what capture saw
expect() {
	local name=$1
	if [ "$C_STATUS" != "$2" ]; then
		ktap_print_msg "$C_CMD: status $C_STATUS, want $2; stdout: $C_OUT; stderr: $C_ERR"
		ktap_test_fail "$name"
	elif ! grep -Eq -- "$3" <<<"$C_OUT"; then
		ktap_print_msg "$C_CMD: stdout '$C_OUT' does not match '$3'"
		ktap_test_fail "$name"
	elif ! grep -Eq -- "$4" <<<"$C_ERR"; then
		ktap_print_msg "$C_CMD: stderr '$C_ERR' does not match '$4'"
		ktap_test_fail "$name"
	else
		ktap_test_pass "$name"
	fi
}

# expect_no_kernel_image NAME: ok if what capture saw (a setup-deps.sh that
# finds packages missing) names no kernel image and has no kernel note
expect_no_kernel_image() {
	if [[ "$C_OUT $C_ERR" == *linux-image* || "$C_ERR" == *NOTE* ]]; then
		ktap_print_msg "$C_CMD: a kernel image in: $C_OUT $C_ERR"
		ktap_test_fail "$1"
	else
		ktap_test_pass "$1"
	fi
}

# section NAME: the seconds the previous section took, as a comment (the
# test VM is slow: where the time goes)
section() {
	[ -z "${SECTION:-}" ] || ktap_print_msg "$SECTION: $((SECONDS - SECTION_START)) s"
	SECTION=$1 SECTION_START=$SECONDS
}

# pc ROOT PREFIX ARGS...: pkg-config on the shadowalloc.pc installed in ROOT
pc() {
	local root=$1 prefix=$2
	shift 2
	PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$root$prefix/lib/pkgconfig \
		PKG_CONFIG_PATH='' pkg-config "$@" shadowalloc | sed 's/[[:space:]]*$//'
}

ktap_print_header
for f in "${BUILT[@]}"; do
	if [ ! -e "$f" ]; then
		ktap_skip_all "$f not built: run make first"
		exit "$KSFT_SKIP"
	fi
done
for tool in make cc pkg-config readelf dpkg-query /sbin/modinfo; do
	if ! command -v "$tool" >/dev/null; then
		ktap_skip_all "no $tool"
		exit "$KSFT_SKIP"
	fi
done
ktap_set_plan 58

# --- make install DESTDIR=... ------------------------------------------
section "make install DESTDIR=..."
KVER=$(/sbin/modinfo -F vermagic "$KO" | cut -d' ' -f1)
P=$D/usr/local
ABI=$(sed -n 's/^#define SHADOWALLOC_API_VERSION[[:space:]]*\([0-9]*\)U*$/\1/p' \
	"$REPO/uapi/linux/shadowalloc.h")
stamps() { stat -c '%n %Y %s' "${BUILT[@]}"; }
before=$(stamps)
if out=$(mk install DESTDIR="$D" 2>&1); then
	ktap_test_pass install
else
	ktap_print_msg "make install DESTDIR=$D: $out"
	ktap_test_fail install
fi
# Nothing compiled or linked, no built file touched: what 'make' built is
# what is installed (and the VM's read-only tree is never written).
if [ "$(stamps)" = "$before" ] && ! grep -Eq '(^| )(cc|gcc|ld|ar) ' <<<"$out"; then
	ktap_test_pass install_rebuilds_nothing
else
	ktap_print_msg "built files or output changed: $out"
	ktap_test_fail install_rebuilds_nothing
fi

same_file installed_module 644 "$D/lib/modules/$KVER/updates/shadowalloc.ko" "$KO"
same_file installed_shadowctl 755 "$P/sbin/shadowctl" "$REPO/tools/shadowctl/shadowctl"
same_file installed_static_lib 644 "$P/lib/libshadowalloc.a" "$REPO/tools/lib/libshadowalloc.a"
same_file installed_shared_lib 755 "$P/lib/libshadowalloc.so.1" "$REPO/tools/lib/libshadowalloc.so.1"
same_file installed_lib_header 644 "$P/include/libshadowalloc.h" "$REPO/tools/lib/libshadowalloc.h"
same_file installed_uapi_header 644 "$P/include/linux/shadowalloc.h" \
	"$REPO/uapi/linux/shadowalloc.h"
ok_if installed_so_symlink \
	test -L "$P/lib/libshadowalloc.so" -a "$(readlink "$P/lib/libshadowalloc.so")" = libshadowalloc.so.1
soname=$(readelf -d "$P/lib/libshadowalloc.so.1" 2>/dev/null |
	sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
ok_if shared_lib_soname test "$soname" = libshadowalloc.so.1
# The library's whole API is exported, nothing else of it.
exports=$(nm -D --defined-only "$P/lib/libshadowalloc.so.1" 2>/dev/null | awk '$2 == "T" { print $3 }')
ok_if shared_lib_exports_api \
	test -n "$exports" -a -z "$(grep -v '^shadowalloc_' <<<"$exports")"
ok_if installed_pc_file grep -qx 'prefix=/usr/local' "$P/lib/pkgconfig/shadowalloc.pc"

same_list install_nothing_else "$(LC_ALL=C sort <<EOF
lib/modules/$KVER/updates/shadowalloc.ko
usr/local/include/libshadowalloc.h
usr/local/include/linux/shadowalloc.h
usr/local/lib/libshadowalloc.a
usr/local/lib/libshadowalloc.so
usr/local/lib/libshadowalloc.so.1
usr/local/lib/pkgconfig/shadowalloc.pc
usr/local/lib/systemd/system/shadowalloc.service
usr/local/libexec/shadowalloc/shadowalloc-start.sh
usr/local/libexec/shadowalloc/shadowalloc-stop.sh
usr/local/sbin/shadowctl
usr/local/share/doc/shadowalloc/shadowalloc.conf.example
usr/local/share/man/man4/shadowalloc.4
usr/local/share/man/man5/shadowallocfs.5
usr/local/share/man/man8/shadowctl.8
EOF
)" "$(files_under "$D")"
# depmod would write modules.dep* into DESTDIR's /lib/modules/KVER.
ok_if no_depmod_under_destdir \
	test -z "$(find "$D/lib/modules/$KVER" -maxdepth 1 -name 'modules.*' 2>/dev/null)"

# A real install (no DESTDIR) runs depmod for the module's kernel and
# ldconfig; only shown (-n) here: the host's /lib/modules stays as it is.
real=$(mk -n install 2>&1)
ok_if real_install_depmod_ldconfig \
	test "$(grep -cxF -e "/sbin/depmod -a $KVER" -e /sbin/ldconfig <<<"$real")" = 2

# --- pkg-config and an agent built against the installed tree ----------
section "pkg-config and an agent built against the installed tree"
flags=$(pc "$D" /usr/local --cflags --libs)
ok_if pkg_config_flags test "$flags" = "-I$P/include -L$P/lib -lshadowalloc"
ok_if pkg_config_version test "$(pc "$D" /usr/local --modversion)" = 0.1
ok_if pkg_config_abi_version \
	test -n "$ABI" -a "$(pc "$D" /usr/local --variable=abi_version)" = "$ABI"

# No device needed: opening a path that does not exist is -ENOENT, and the
# library explains it.
cat >"$TMP/agent.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <libshadowalloc.h>

int main(void)
{
	int fd = shadowalloc_open_path("/nonexistent/shadowalloc");

	if (fd != -ENOENT) {
		printf("open: %d, want %d\n", fd, -ENOENT);
		return 1;
	}
	printf("abi %u: %s\n", SHADOWALLOC_API_VERSION,
	       shadowalloc_describe_error(SHADOWALLOC_OP_OPEN, fd));
	return 0;
}
EOF
# Compiled once, linked twice (cc1 is slow in the VM).
# shellcheck disable=SC2046 # pkg-config's words are separate arguments
if cc -Wall -Werror -c -o "$TMP/agent.o" "$TMP/agent.c" $(pc "$D" /usr/local --cflags) \
		2>"$TMP/cc.err" &&
   cc -o "$TMP/agent" "$TMP/agent.o" $(pc "$D" /usr/local --libs) 2>>"$TMP/cc.err"; then
	ktap_test_pass agent_builds_with_pkg_config
else
	ktap_print_msg "$(cat "$TMP/cc.err")"
	ktap_test_fail agent_builds_with_pkg_config
fi
ok_if agent_needs_shared_lib \
	grep -q 'NEEDED.*\[libshadowalloc.so.1\]' <<<"$(readelf -d "$TMP/agent" 2>/dev/null)"
lib_path=$(LD_LIBRARY_PATH=$P/lib ldd "$TMP/agent" 2>/dev/null | awk '$1 == "libshadowalloc.so.1" { print $3 }')
ok_if agent_loads_installed_lib test "$lib_path" = "$P/lib/libshadowalloc.so.1"
check_cli env agent_runs 0 "^abi $ABI: no such device \(is the shadowalloc module loaded\?\)$" '^$' \
	-- LD_LIBRARY_PATH="$P/lib" "$TMP/agent"
if cc -o "$TMP/agent-static" "$TMP/agent.o" "$P/lib/libshadowalloc.a" 2>"$TMP/cc.err"; then
	check_cli "$TMP/agent-static" agent_static_runs 0 "^abi $ABI: no such device" '^$' --
else
	ktap_print_msg "$(cat "$TMP/cc.err")"
	ktap_test_fail agent_static_runs
fi

# --- make uninstall ----------------------------------------------------
section "make uninstall"
check_cli mk uninstall 0 '' '^$' -- uninstall DESTDIR="$D"
same_list uninstall_leaves_no_file "" "$(files_under "$D")"
check_cli mk uninstall_again 0 '' '^$' -- uninstall DESTDIR="$D"

# --- another PREFIX ----------------------------------------------------
section "another PREFIX"
D2=$TMP/root2
check_cli mk install_prefix 0 '' '^$' -- install DESTDIR="$D2" PREFIX=/opt/sa
same_list install_prefix_files "$(LC_ALL=C sort <<EOF
lib/modules/$KVER/updates/shadowalloc.ko
opt/sa/include/libshadowalloc.h
opt/sa/include/linux/shadowalloc.h
opt/sa/lib/libshadowalloc.a
opt/sa/lib/libshadowalloc.so
opt/sa/lib/libshadowalloc.so.1
opt/sa/lib/pkgconfig/shadowalloc.pc
opt/sa/lib/systemd/system/shadowalloc.service
opt/sa/libexec/shadowalloc/shadowalloc-start.sh
opt/sa/libexec/shadowalloc/shadowalloc-stop.sh
opt/sa/sbin/shadowctl
opt/sa/share/doc/shadowalloc/shadowalloc.conf.example
opt/sa/share/man/man4/shadowalloc.4
opt/sa/share/man/man5/shadowallocfs.5
opt/sa/share/man/man8/shadowctl.8
EOF
)" "$(files_under "$D2")"
# The unit runs what this PREFIX installed.
ok_if unit_paths_follow_prefix \
	test "$(grep -c '/opt/sa/sbin/shadowctl\|/opt/sa/libexec/shadowalloc/shadowalloc-st' "$D2/opt/sa/lib/systemd/system/shadowalloc.service")" = 4
ok_if pkg_config_prefix \
	test "$(pc "$D2" /opt/sa --cflags --libs)" = "-I$D2/opt/sa/include -L$D2/opt/sa/lib -lshadowalloc"
check_cli mk uninstall_prefix 0 '' '^$' -- uninstall DESTDIR="$D2" PREFIX=/opt/sa
same_list uninstall_prefix_leaves_no_file "" "$(files_under "$D2")"

# --- make print-kdir ---------------------------------------------------
section "make print-kdir"
# The choice, worked out here independently of the Makefile.
running=$(uname -r)
deb_kver=$(dpkg-query -W -f='${Status} ${Depends}' linux-headers-6.12-cloud-amd64 2>/dev/null |
	sed -n 's/^install ok installed linux-headers-\([^ ,]*\).*/\1/p')
deb_kdir=/usr/src/linux-headers-$deb_kver
rel=$(cat "/lib/modules/$running/build/include/config/kernel.release" 2>/dev/null)
case $rel in
6.12 | 6.12.* | 6.12-* | 6.12+*)
	want_kdir=/lib/modules/$running/build want_kver=$rel want_why="^the running kernel's build tree" ;;
*)
	want_kdir=$deb_kdir want_kver=$deb_kver want_why="; the tree of Debian's linux-headers-6.12-cloud-amd64" ;;
esac
ktap_print_msg "running kernel $running; expected KDIR $want_kdir"
check_kdir print_kdir_default "$want_kdir" "$want_kver" "$want_why" -- mk print-kdir
# A 6.12 running kernel with its build tree wins over Debian's headers.
check_kdir print_kdir_running_612 "/lib/modules/$deb_kver/build" "$deb_kver" \
	"^the running kernel's build tree" -- mk print-kdir RUNNING_KVER="$deb_kver"
# The test-VM targets build for the VM's kernel whatever the host runs.
check_kdir print_kdir_vm_goal "$deb_kdir" "$deb_kver" "^make print-kdir builds for the test VM" \
	-- mk print-kdir VM_GOALS=print-kdir RUNNING_KVER="$deb_kver"
check_kdir print_kdir_override "$deb_kdir" "$deb_kver" '^KDIR given \(command line\)$' \
	-- mk print-kdir KDIR="$deb_kdir"
check_kdir print_kdir_override_env "$deb_kdir" "$deb_kver" '^KDIR given \(environment\)$' \
	-- env KDIR="$deb_kdir" make -s -C "$REPO" print-kdir
check_cli mk print_kdir_not_a_tree 2 '^$' \
	"KDIR=$TMP/none is not a configured kernel build tree" -- print-kdir KDIR="$TMP/none"
mkdir -p "$TMP/k611/include/config"
echo 6.11.0-test >"$TMP/k611/include/config/kernel.release"
check_cli mk print_kdir_not_612 2 '^$' "KDIR=$TMP/k611 is a 6.11.0-test tree, not 6.12" \
	-- print-kdir KDIR="$TMP/k611"
check_cli mk print_kdir_none 2 '^$' \
	"no 6.12 kernel build tree: the running kernel 0.0-none has no build tree .*sa-no-such-headers is not installed" \
	-- print-kdir RUNNING_KVER=0.0-none DEBIAN_HEADERS_PKG=sa-no-such-headers
# The build targets stop on it before running anything.
check_cli mk module_needs_kdir 2 '^$' "no 6.12 kernel build tree" \
	-- module RUNNING_KVER=0.0-none DEBIAN_HEADERS_PKG=sa-no-such-headers

# --- setup-deps.sh -----------------------------------------------------
section "setup-deps.sh"
build_list=$("$DEPS" --list </dev/null)
vm_list=$("$DEPS" --list --test-vm </dev/null)
ok_if deps_list_no_kernel_image \
	test -n "$build_list" -a -z "$(grep '^linux-image' <<<"$build_list")"
ok_if deps_list_builds test "$(grep -cxE 'gcc|make|pkg-config|linux-source-6.12|kmod|linux-headers-.*' \
	<<<"$build_list")" = 6
ok_if deps_test_vm_list \
	test "$(grep -cxE 'linux-image-6.12-cloud-amd64|linux-headers-6.12-cloud-amd64|qemu-system-x86|busybox-static' \
	<<<"$vm_list")" = 4
# (Files, not <(...): the test VM has no /dev/fd.)
LC_ALL=C sort <<<"$build_list" >"$TMP/build.list"
LC_ALL=C sort <<<"$vm_list" >"$TMP/vm.list"
ok_if deps_test_vm_adds_to_build \
	test -s "$TMP/build.list" -a -z "$(LC_ALL=C comm -23 "$TMP/build.list" "$TMP/vm.list")"
# --check against dpkg, for both lists.
for mode in build test_vm; do
	if [ $mode = build ]; then list=$build_list args=(); else list=$vm_list args=(--test-vm); fi
	# shellcheck disable=SC2086 # one package a word
	installed=" $(dpkg-query -W -f='${Package} ${Status}\n' $list 2>/dev/null |
		awk '$2 " " $3 " " $4 == "install ok installed" { printf "%s ", $1 }')"
	missing='' n=0
	for p in $list; do
		n=$((n + 1))
		[[ $installed == *" $p "* ]] || missing+="${missing:+ }$p"
	done
	if [ -z "$missing" ]; then
		check_cli "$DEPS" "deps_check_$mode" 0 \
			"^setup-deps.sh: all $n packages are installed$" '^$' -- --check "${args[@]}"
	else
		# (stderr: the kernel note, if the image is missing)
		check_cli "$DEPS" "deps_check_$mode" 1 "^setup-deps.sh: missing packages: $missing$" '' \
			-- --check "${args[@]}"
	fi
done
# With every package missing (an empty dpkg database): the build list has
# no kernel image and says nothing of one; the test-VM list names it, with
# the note on the boot default, as it does before installing it. As a
# non-root user the default would-be install stops the same way. (Each
# command runs once and is checked several ways: processes cost in the VM.)
DB=$(mktemp -d /tmp/install_test_dpkg.XXXXXX)
mkdir -p "$DB/updates" && touch "$DB/status" "$DB/available" && chmod -R a+rX "$DB"
note='NOTE: linux-image-6.12-cloud-amd64 is the kernel the test VM boots'
capture env DPKG_ADMINDIR="$DB" "$DEPS" --check
expect deps_check_none_build 1 '^setup-deps.sh: missing packages: gcc make ' '^$'
expect_no_kernel_image deps_check_none_build_no_image
capture env DPKG_ADMINDIR="$DB" "$DEPS" --check --test-vm
expect deps_check_none_test_vm 1 'missing packages: .* linux-image-6.12-cloud-amd64 ' "$note"
expect deps_note_grub 1 '' 'GRUB_DEFAULT=saved'
if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1 && setpriv --reuid=nobody true 2>/dev/null; then
	asuser=(setpriv --reuid=nobody --regid=nogroup --clear-groups env DPKG_ADMINDIR="$DB")
	capture "${asuser[@]}" "$DEPS"
	expect deps_nonroot_build 1 '^$' 'installing them needs root'
	expect_no_kernel_image deps_nonroot_build_no_image
	capture "${asuser[@]}" "$DEPS" --test-vm
	expect deps_nonroot_test_vm 1 '^$' "$note"
else
	ktap_test_skip "deps_nonroot_build: no setpriv or user nobody"
	ktap_test_skip "deps_nonroot_build_no_image: no setpriv or user nobody"
	ktap_test_skip "deps_nonroot_test_vm: no setpriv or user nobody"
fi
rm -rf "$DB"
check_cli "$DEPS" deps_usage 2 '^$' 'unknown argument: --bogus' -- --bogus
check_cli "$DEPS" deps_help 0 'GRUB' '^$' -- --help

# make check/demo/bench* install the VM's packages, make deps only what
# building needs.
db=$(make -pqs -C "$REPO" kdir-ok 2>/dev/null)
vm_goals_ok=1
for goal in check check-l2 demo bench bench-l2 bench-forecast; do
	grep -Eq "^$goal:.* deps-vm( |$)" <<<"$db" ||
		{ ktap_print_msg "$goal does not depend on deps-vm"; vm_goals_ok=0; }
done
ok_if vm_targets_use_deps_vm test $vm_goals_ok = 1
same_list deps_targets "$DEPS
$DEPS --test-vm" "$(mk -n deps deps-vm 2>&1)"

section ""
ktap_finished
