# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Stage 2 of the shadowalloc test VM, run by /init (tools/vm/init.sh)
# chrooted into the host root with the host's /bin/sh and a clean
# environment; tools/vm/run-vm.sh installs it into the initramfs. It mounts
# what tests need, loads kvm_amd and sources the per-run script, which ends
# with 'exec COMMAND'.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp TERM=dumb SHADOWALLOC_IN_VM=1

mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
# What udev creates on a real system: bash's <(...) (dkms uses it) needs
# /dev/fd.
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
for n in 0:stdin 1:stdout 2:stderr; do
	[ -e "/dev/${n#*:}" ] || ln -s "/proc/self/fd/${n%%:*}" "/dev/${n#*:}"
done

# kvm_amd from the host's /lib/modules, with kmod's modprobe (.ko.xz).
modprobe kvm_amd 2>/dev/null || echo "run-vm: warning: 'modprobe kvm_amd' failed"
[ -c /dev/kvm ] || echo "run-vm: warning: no /dev/kvm in the VM"

read -r up _ < /proc/uptime
echo "run-vm: starting the command at uptime ${up}s" > /dev/kmsg

# The per-run part: environment, working directory, 'exec COMMAND'.
# shellcheck source=/dev/null
. /run/run-vm/run-vm-cmd.sh
