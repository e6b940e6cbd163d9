#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# /init of the shadowalloc test VM: tools/vm/run-vm.sh installs this file
# into the base initramfs, with a static busybox and tools/vm/stage2.sh.
#
# It runs as PID 1 under busybox's sh and must never exit (that would panic
# the kernel): it ends with a power-off. It mounts the host root (virtiofs),
# moves /proc /sys /dev into it, chroots into it for stage 2 with the
# command's output on ttyS1 and writes the exit marker run-vm.sh waits for.

/bin/busybox --install -s /bin
export PATH=/bin

OUT=/dev/ttyS1		# the command's output; ttyS0 is the kernel console

# Log to the kernel log (not a problem pattern) and to the command's output.
say() {
	echo "run-vm: $*" > /dev/kmsg 2>/dev/null
	echo "run-vm: $*" > "$OUT" 2>/dev/null
}

poweroff_now() {
	sync
	poweroff -f
	echo o > /proc/sysrq-trigger 2>/dev/null
	echo o > /newroot/proc/sysrq-trigger 2>/dev/null
	while :; do sleep 3600; done
}

# Setup failed: no exit marker, so the host reports the VM as broken (125).
fail() {
	say "init: $*"
	poweroff_now
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "run-vm: init started" > /dev/kmsg

mount -t virtiofs -o ro hostroot /newroot || fail "cannot mount the host root (virtiofs tag hostroot)"
for d in proc sys dev; do
	mount --move "/$d" "/newroot/$d" || fail "cannot move /$d into the host root"
done
OUT=/newroot/dev/ttyS1
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /newroot/tmp || fail "cannot mount /tmp"
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /newroot/run || fail "cannot mount /run"
mkdir -p /newroot/dev/shm /newroot/dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /newroot/dev/shm
mount -t devpts -o mode=620,ptmxmode=666 devpts /newroot/dev/pts

# Stage 2 and the per-run script go where the chroot can see them.
mkdir -p /newroot/run/run-vm
cp /stage2.sh /run-vm-cmd.sh /newroot/run/run-vm/ || fail "no per-run script in the initramfs"

# Stage 2 runs in the host root with the host's /bin/sh and a clean
# environment; its stdout and stderr are the command's.
chroot /newroot /usr/bin/env -i /bin/sh /run/run-vm/stage2.sh \
	< /newroot/dev/null > "$OUT" 2>&1
status=$?

# The exit marker, on a line of its own as far as the host is concerned
# (the host also accepts it after unterminated output). stty drains the
# UART before the power-off (tcsetattr with TCSADRAIN).
echo "@@SHADOWALLOC_VM_EXIT=$status@@" > "$OUT"
stty -F "$OUT" -echo 2>/dev/null
echo "run-vm: command exited with status $status" > /dev/kmsg 2>/dev/null
poweroff_now
