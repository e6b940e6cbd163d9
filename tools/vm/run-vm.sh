#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-vm.sh - run a command inside the nested-KVM test VM ("L1").
#
# L1 is a QEMU TCG guest (single-threaded TCG: multi-threaded TCG oopses on
# this platform) with an EPYC CPU with SVM and NPT, running Debian's 6.12
# cloud kernel. The host's root filesystem is shared read-only over virtiofs
# and becomes L1's root, so the repository and every installed tool are at
# the same paths; /tmp and /run are fresh tmpfs. kvm_amd is loaded, so real
# KVM guests run inside.
#
# The command's output streams to stdout; the exit status is the command's.
# The run fails (126) if the guest kernel log shows a WARN, BUG, oops,
# KFENCE or SLUB report, a hung task or an RCU stall; 124 on timeout; 125 if
# the guest never reported the command's end.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VM_DIR="$REPO/build/vm"

MEM=2048
CPUS=2
APPEND=""
TIMEOUT=600
CWD=$PWD
KERNEL=""
LOG=""
ENVS=()

usage() {
	cat <<EOF
usage: $(basename "$0") [options] -- COMMAND [ARGS...]

Run COMMAND as root inside the nested-KVM test VM and return its status.

options:
  --mem MB          guest memory (default $MEM)
  --cpus N          guest CPUs (default $CPUS)
  --append ARGS     extra kernel command line, e.g.
                    "kfence.sample_interval=10 slub_debug=FZPU"
  --timeout SEC     kill the VM after SEC seconds (default $TIMEOUT): exit 124
  --cwd DIR         working directory of COMMAND (default: current)
  --env NAME=VALUE  export to COMMAND (repeatable)
  --kernel FILE     kernel image (default: newest /boot/vmlinuz-6.12*-cloud-amd64)
  --log FILE        keep the guest kernel log in FILE
  -h, --help        this text

exit status: COMMAND's; 124 timeout; 125 the VM died before COMMAND ended;
126 the guest kernel reported a problem (WARN/BUG/oops/KFENCE/...); 2 usage.
EOF
}

die_usage() {
	echo "run-vm.sh: $*" >&2
	echo "run-vm.sh: try --help" >&2
	exit 2
}

need_value() {
	[ $# -ge 2 ] || die_usage "$1 needs a value"
}

is_uint() {
	[[ $1 =~ ^[0-9]+$ ]] && [ "$1" -gt 0 ]
}

while [ $# -gt 0 ]; do
	case $1 in
	--mem) need_value "$@"; is_uint "$2" || die_usage "--mem: not a positive number: $2"
		[ "$2" -ge 256 ] || die_usage "--mem: at least 256 MB"; MEM=$2; shift 2 ;;
	--cpus) need_value "$@"; is_uint "$2" || die_usage "--cpus: not a positive number: $2"
		CPUS=$2; shift 2 ;;
	--append) need_value "$@"; APPEND=$2; shift 2 ;;
	--timeout) need_value "$@"; is_uint "$2" || die_usage "--timeout: not a positive number: $2"
		TIMEOUT=$2; shift 2 ;;
	--cwd) need_value "$@"; [ -d "$2" ] || die_usage "--cwd: no such directory: $2"
		CWD=$(cd "$2" && pwd); shift 2 ;;
	--env) need_value "$@"; [[ $2 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die_usage "--env: not NAME=VALUE: $2"
		ENVS+=("$2"); shift 2 ;;
	--kernel) need_value "$@"; [ -r "$2" ] || die_usage "--kernel: cannot read $2"
		KERNEL=$2; shift 2 ;;
	--log) need_value "$@"; LOG=$2; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	--) shift; break ;;
	*) die_usage "unknown option: $1" ;;
	esac
done
[ $# -gt 0 ] || die_usage "no command given"

if [ -z "$KERNEL" ]; then
	KERNEL=$(ls /boot/vmlinuz-6.12*-cloud-amd64 2>/dev/null | sort -V | tail -n 1)
	[ -n "$KERNEL" ] || { echo "run-vm.sh: no /boot/vmlinuz-6.12*-cloud-amd64: run tools/setup-deps.sh" >&2; exit 2; }
fi
for tool in qemu-system-x86_64 /usr/lib/qemu/virtiofsd /bin/busybox cpio gzip; do
	command -v "$tool" >/dev/null || { echo "run-vm.sh: $tool missing: run tools/setup-deps.sh" >&2; exit 2; }
done

# The base initramfs: static busybox and an /init that mounts the host root
# and runs /run-cmd.sh from the per-run archive appended after it.
build_base_initramfs() {
	local base=$VM_DIR/base.cpio.gz stage
	if [ -f "$base" ] && [ "$base" -nt "${BASH_SOURCE[0]}" ] && [ "$base" -nt /bin/busybox ]; then
		return
	fi
	mkdir -p "$VM_DIR"
	stage=$(mktemp -d)
	mkdir -p "$stage"/{bin,dev,proc,sys,newroot}
	cp /bin/busybox "$stage/bin/busybox"
	cat > "$stage/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
fail() {
	echo "run-vm init: $*" > /dev/ttyS1
	echo o > /proc/sysrq-trigger
	sleep 60
}
mount -t virtiofs -o ro hostroot /newroot || fail "cannot mount the host root"
for d in proc sys dev; do
	mount --move /$d /newroot/$d || fail "cannot move /$d"
done
mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp
mount -t tmpfs -o mode=755 tmpfs /newroot/run
mkdir -p /newroot/dev/shm /newroot/dev/pts
mount -t tmpfs tmpfs /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
cp /run-cmd.sh /newroot/run/run-cmd.sh
chroot /newroot /bin/sh /run/run-cmd.sh > /newroot/dev/ttyS1 2>&1
echo "@@SHADOWALLOC_VM_EXIT=$?@@" > /newroot/dev/ttyS1
sync
echo o > /newroot/proc/sysrq-trigger
sleep 60
INIT
	chmod 755 "$stage/init"
	(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) > "$base.tmp"
	mv "$base.tmp" "$base"
	rm -rf "$stage"
}

WORK=$(mktemp -d /tmp/run-vm.XXXXXX)
VIRTIOFSD_PID=""
QEMU_PID=""
TAIL_PID=""
KEEP_LOG=0
cleanup() {
	local pid
	for pid in $TAIL_PID $QEMU_PID $VIRTIOFSD_PID; do
		kill "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if [ -n "$LOG" ] && [ -f "$WORK/kernel.log" ]; then
		cp "$WORK/kernel.log" "$LOG"
	elif [ "$KEEP_LOG" = 1 ] && [ -f "$WORK/kernel.log" ]; then
		mkdir -p "$VM_DIR"
		LOG=$VM_DIR/kernel-$(date +%Y%m%d-%H%M%S)-$$.log
		cp "$WORK/kernel.log" "$LOG"
		echo "run-vm.sh: guest kernel log kept in $LOG" >&2
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build_base_initramfs

# The per-run archive: the command, its directory and environment.
mkdir -p "$WORK/run"
{
	echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	echo "export HOME=/tmp SHADOWALLOC_IN_VM=1"
	for e in "${ENVS[@]}"; do
		printf 'export %q=%q\n' "${e%%=*}" "${e#*=}"
	done
	echo "mount -t bpf bpf /sys/fs/bpf 2>/dev/null"
	echo "mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null"
	echo "mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null"
	echo "modprobe kvm_amd 2>/dev/null || echo 'run-vm: kvm_amd did not load'"
	echo "[ -c /dev/kvm ] || echo 'run-vm: no /dev/kvm in the guest'"
	printf 'cd %q || exit 125\n' "$CWD"
	printf '%q ' "$@"
	echo
} > "$WORK/run/run-cmd.sh"
(cd "$WORK/run" && echo run-cmd.sh | cpio -o -H newc --quiet | gzip -1) > "$WORK/run.cpio.gz"
cat "$VM_DIR/base.cpio.gz" "$WORK/run.cpio.gz" > "$WORK/initrd.gz"

/usr/lib/qemu/virtiofsd --socket-path="$WORK/vfs.sock" -o source=/ \
	-o cache=none -o sandbox=chroot > "$WORK/virtiofsd.log" 2>&1 &
VIRTIOFSD_PID=$!
for _ in $(seq 50); do
	[ -S "$WORK/vfs.sock" ] && break
	sleep 0.1
done
[ -S "$WORK/vfs.sock" ] || { echo "run-vm.sh: virtiofsd did not start:" >&2; cat "$WORK/virtiofsd.log" >&2; exit 125; }

: > "$WORK/out.log"
: > "$WORK/kernel.log"
timeout --foreground -k 5 "$TIMEOUT" qemu-system-x86_64 \
	-accel tcg,thread=single -cpu EPYC,+svm,+npt \
	-m "$MEM" -smp "$CPUS" \
	-object "memory-backend-memfd,id=mem,size=${MEM}M,share=on" \
	-numa node,memdev=mem \
	-chardev socket,id=vfs,path="$WORK/vfs.sock" \
	-device vhost-user-fs-pci,chardev=vfs,tag=hostroot \
	-kernel "$KERNEL" -initrd "$WORK/initrd.gz" \
	-append "console=ttyS0 ignore_loglevel panic=-1 panic_on_warn=0 $APPEND" \
	-display none -monitor none -no-reboot \
	-serial file:"$WORK/kernel.log" -serial file:"$WORK/out.log" \
	< /dev/null > "$WORK/qemu.log" 2>&1 &
QEMU_PID=$!

# Stream the command's output while the VM runs.
tail -n +1 -f --pid="$QEMU_PID" "$WORK/out.log" | tr -d '\r' | grep -v '^@@SHADOWALLOC_VM_EXIT=' &
TAIL_PID=$!
set +e
wait "$QEMU_PID"
qemu_status=$?
QEMU_PID=""
wait "$TAIL_PID" 2>/dev/null
TAIL_PID=""
set -e

status=$(tr -d '\r' < "$WORK/out.log" | sed -n 's/^@@SHADOWALLOC_VM_EXIT=\([0-9]*\)@@$/\1/p' | tail -n 1)
if [ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ]; then
	echo "run-vm.sh: timed out after ${TIMEOUT}s" >&2
	KEEP_LOG=1
	tail -n 30 "$WORK/kernel.log" >&2
	exit 124
fi
if [ -z "$status" ]; then
	echo "run-vm.sh: the VM stopped before the command ended (qemu status $qemu_status):" >&2
	grep -v "TCG doesn't support" "$WORK/qemu.log" >&2 || true
	tail -n 50 "$WORK/kernel.log" >&2
	KEEP_LOG=1
	exit 125
fi

# Problems the guest kernel reported. The SRSO line is a boot-time notice
# about the emulated CPU, not a warning from code.
PROBLEMS='WARNING:|BUG:|BUG |kernel BUG at|Oops|general protection fault|Kernel panic|KFENCE:|UBSAN:|refcount_t:|list_add corruption|list_del corruption|INFO: task .* blocked for more than|rcu: INFO: rcu_.* detected stalls|Call Trace:|=============================================================================|Memory leak|page dumped because'
if tr -d '\r' < "$WORK/kernel.log" | grep -v 'Speculative Return Stack Overflow' |
		grep -Eq "$PROBLEMS"; then
	echo "run-vm.sh: the guest kernel reported a problem:" >&2
	tr -d '\r' < "$WORK/kernel.log" | grep -v 'Speculative Return Stack Overflow' |
		grep -E -B 5 -A 30 "$PROBLEMS" | head -n 150 >&2
	KEEP_LOG=1
	[ "$status" != 0 ] && exit "$status"
	exit 126
fi
exit "$status"
