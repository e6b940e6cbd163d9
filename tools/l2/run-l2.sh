#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-l2.sh - boot a real Linux guest ("L2") with QEMU + KVM on a chosen RAM
# backend and run a shell command in it. Runs on a KVM host, e.g. inside the
# test VM: tools/vm/run-vm.sh -- tools/l2/run-l2.sh --backend shadowalloc ...
#
# The guest is the host's 6.12 kernel with a busybox initramfs (built in a
# temporary directory) that also carries tools/l2/touch-mem.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BACKEND=shadowalloc
MEM=256
CPUS=1
TIMEOUT=300
GROUP=""
JSON=0
KERNEL=""
MEM_PATH=/run/shadowalloc
MEM_FILE=""
CONSOLE=""
QEMU_ARGS=()
RAM_OPTS=""
L2_MODULES=()
INCOMING=""
MEM_BASE=""
HOLD=""
BACKENDS="ram ram-thp memfd memfd-thp shmem-thp prealloc hugetlbfs shadowalloc shadowalloc-4k shadowallocfs shadowallocfs-fd"

usage() {
	cat <<EOF
usage: $(basename "$0") [options] -- COMMAND-IN-L2

options:
  --backend B     RAM backend: ram (4 KiB pages, THP off), ram-thp, memfd
                  (shmem, L1's shmem_enabled=never: 4 KiB), memfd-thp
                  (shmem_enabled=advise; QEMU madvises guest RAM
                  MADV_HUGEPAGE but maps memfd RAM only 4 KiB aligned, so
                  shmem allocates no 2 MiB folios), shmem-thp (a file on a
                  tmpfs mounted huge=advise, share=on, align=2M: 2 MiB),
                  prealloc, hugetlbfs (a file on a hugetlbfs mount of
                  2 MiB pages, the pool grown by the guest RAM for the
                  run), shadowalloc (default), shadowalloc-4k,
                  shadowallocfs (a file on a mounted shadowallocfs, see
                  --mem-path), shadowallocfs-fd (guest RAM is --mem-file,
                  opened here and handed to QEMU as descriptor 3:
                  mem-path=/proc/self/fd/3, as a manager passes pre-opened RAM)
  --mem MB        guest RAM (default $MEM)
  --cpus N        guest CPUs (default $CPUS)
  --group ID      make the QEMU process a member of shadowalloc group ID
                  before it maps guest RAM (needs CAP_SYS_ADMIN)
  --timeout SEC   (default $TIMEOUT)
  --json          print a JSON summary as the last line
  --kernel FILE   guest kernel (default: newest /boot/vmlinuz-6.12*-cloud-amd64)
  --mem-path DIR  the shadowallocfs mount of the shadowallocfs backend
                  (default $MEM_PATH; mount -t shadowallocfs none DIR)
  --mem-file F    the file of the shadowallocfs-fd backend (it must exist:
                  its creator, not QEMU, owns it)
  --l2-module M   a module of the guest kernel (e.g. virtio_balloon), copied
                  with its dependencies from modules.dep into the initramfs,
                  decompressed, and loaded by init before the command
                  (repeatable)
  --console FILE  write the guest's serial console to FILE (kept; default a
                  temporary file), to follow the guest from outside
  --ram-opt OPT   extra property of the guest RAM's memory backend object
                  (repeatable), e.g. NUMA placement on the host:
                  --ram-opt host-nodes=1 --ram-opt policy=bind
  --qemu-arg ARG  extra QEMU argument (repeatable), e.g. a QMP socket:
                  --qemu-arg -qmp --qemu-arg unix:/run/l2.qmp,server=on,wait=off
  --mem-base KB   the L1 memory in use (see "Memory committed") before the
                  run's setup, read by the caller (e.g. before it staged a
                  pool for the run); default: read here, at the start
  --hold SEC      the L2 waits SEC seconds after the command before
                  powering off (default 1 with --json, so the end sample
                  is taken with the guest still up; else 0)
  --incoming URI  the destination of a live migration (QEMU's -incoming
                  URI, e.g. unix:/run/l2.mig): the guest arrives already
                  past its init, so only the command's end is awaited on
                  this console

The shadowalloc backends map guest RAM from /dev/shadowalloc with
share=on; "shadowalloc" also passes align=2M so 2 MiB staged blocks can be
mapped whole (QEMU aligns file-backed RAM only to the file's page size).
"shadowallocfs" is the same memory from a regular file, created by QEMU in
DIR (share=on, align=2M): QEMU's discard (virtio-balloon, hole punching)
reaches the module there, which the VFS refuses for a character device.

Each run sets and restores L1's THP mode where the backend needs one: ram
"never", ram-thp "always"; memfd shmem_enabled "never", memfd-thp
"advise" (shmem-thp mounts its own tmpfs huge=advise); hugetlbfs grows
the 2 MiB hugetlb pool by what its free pages lack for the guest RAM and
shrinks it back afterwards.
The others run with L1's settings as found.

With --json the last line is a JSON summary: host_elapsed_ms (QEMU's
whole run), ready_ms (QEMU's start until the L2's init printed
@@L2_INIT@@; the console is polled every 50 ms), l2_touch_ns (touch-mem's
own figure), committed_start_kb / committed_end_kb: memory committed at
the init marker and when the command ended (@@L2_EXIT=, the guest still
up), and L1's THP settings of the run.

Memory committed: L1's MemTotal - MemFree (/proc/meminfo) minus the same
read before the run's setup (--mem-base). So it counts QEMU's own memory
and the kernel's for the VM, guest RAM mapped by any backend (the
shadowalloc pages are page cache, memfd's shmem: both count), the hugetlb
pool grown for the run (dedicated to the guest whether touched or not) and
pages the module staged for the run (they leave MemFree when staged).
Page cache that is not the guest's (QEMU's binary, the kernel image) counts
too where a run is the first to read it: a bench warms it first.
EOF
}

die_usage() {
	echo "run-l2.sh: $*" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--backend) [ $# -ge 2 ] || die_usage "--backend needs a value"; BACKEND=$2; shift 2 ;;
	--mem) [[ ${2:-} =~ ^[0-9]+$ ]] || die_usage "--mem: not a number: ${2:-}"; MEM=$2; shift 2 ;;
	--cpus) [[ ${2:-} =~ ^[0-9]+$ ]] || die_usage "--cpus: not a number: ${2:-}"; CPUS=$2; shift 2 ;;
	--group) [[ ${2:-} =~ ^[0-9]+$ ]] || die_usage "--group: not a number: ${2:-}"; GROUP=$2; shift 2 ;;
	--timeout) [[ ${2:-} =~ ^[0-9]+$ ]] || die_usage "--timeout: not a number: ${2:-}"; TIMEOUT=$2; shift 2 ;;
	--json) JSON=1; shift ;;
	--kernel) [ -r "${2:-}" ] || die_usage "--kernel: cannot read ${2:-}"; KERNEL=$2; shift 2 ;;
	--mem-file) [ -f "${2:-}" ] || die_usage "--mem-file: not a file: ${2:-}"; MEM_FILE=$2; shift 2 ;;
	--mem-path) [ -d "${2:-}" ] || die_usage "--mem-path: not a directory: ${2:-}"; MEM_PATH=$2; shift 2 ;;
	--l2-module) [[ ${2:-} =~ ^[A-Za-z0-9_-]+$ ]] || die_usage "--l2-module: not a module name: ${2:-}"
		L2_MODULES+=("$2"); shift 2 ;;
	--console) [ -n "${2:-}" ] || die_usage "--console needs a file"; CONSOLE=$2; shift 2 ;;
	--ram-opt) [[ ${2:-} =~ ^[a-z][a-z0-9-]*=[A-Za-z0-9_.:/-]+$ ]] ||
			die_usage "--ram-opt: expected KEY=VALUE, got '${2:-}'"
		RAM_OPTS+=",$2"; shift 2 ;;
	--qemu-arg) [ $# -ge 2 ] || die_usage "--qemu-arg needs a value"; QEMU_ARGS+=("$2"); shift 2 ;;
	--mem-base) [[ ${2:-} =~ ^[0-9]+$ ]] || die_usage "--mem-base: not a number of KiB: ${2:-}"
		MEM_BASE=$2; shift 2 ;;
	--hold) [[ ${2:-} =~ ^[0-9]+$ ]] && [ "$2" -le 600 ] ||
			die_usage "--hold: not a number of seconds 0..600: ${2:-}"
		HOLD=$2; shift 2 ;;
	--incoming) [ -n "${2:-}" ] || die_usage "--incoming needs a URI"
		INCOMING=$2; QEMU_ARGS+=(-incoming "$2"); shift 2 ;;
	-h|--help) usage; exit 0 ;;
	--) shift; break ;;
	*) die_usage "unknown option: $1" ;;
	esac
done
[ $# -gt 0 ] || die_usage "no command given"
[[ " $BACKENDS " == *" $BACKEND "* ]] ||
	die_usage "--backend: unknown backend '$BACKEND' (one of: $BACKENDS)"
[ -n "$HOLD" ] || HOLD=$JSON
[ -c /dev/kvm ] || { echo "run-l2.sh: no /dev/kvm" >&2; exit 1; }
[ -n "$KERNEL" ] || KERNEL=$(ls /boot/vmlinuz-6.12*-cloud-amd64 | sort -V | tail -n 1)
KVER=$(basename "$KERNEL" | sed 's/^vmlinuz-//')
MODDIR=/lib/modules/$KVER
if [ ${#L2_MODULES[@]} -gt 0 ] && [ ! -r "$MODDIR/modules.dep" ]; then
	die_usage "--l2-module: no $MODDIR/modules.dep for kernel $KERNEL"
fi

# mem_used (see "Memory committed" in the usage) and thp_mode, from lib.sh.
. "$REPO/tools/l2/lib.sh"
if [ -z "$MEM_BASE" ]; then
	mem_used
	MEM_BASE=$REPLY
fi

THP_DIR=/sys/kernel/mm/transparent_hugepage
THP=$THP_DIR/enabled
SHMEM_THP=$THP_DIR/shmem_enabled
HUGE_NR=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
case $BACKEND in
ram|ram-thp)
	RAM="memory-backend-ram,id=ram0,size=${MEM}M" ;;
memfd|memfd-thp)
	# QEMU's ram_block_add() madvises every RAM block with a host
	# address MADV_HUGEPAGE, memfd ones too: with shmem_enabled=advise
	# that would let shmem allocate 2 MiB folios for guest RAM. But
	# file_ram_alloc() aligns the mapping only to the fd's page size
	# (memory-backend-memfd has no align=): 4 KiB, and a VMA whose 2 MiB
	# ranges do not line up with the file's gets no 2 MiB folios. Seen:
	# ShmemHugePages 0 (Documentation/benchmarks.rst); shmem-thp has it.
	[ -w "$SHMEM_THP" ] || die_usage "--backend $BACKEND: $SHMEM_THP not writable (root, CONFIG_TRANSPARENT_HUGEPAGE)"
	RAM="memory-backend-memfd,id=ram0,size=${MEM}M" ;;
shmem-thp)
	# memfd-thp's shmem, from a tmpfs file mapped 2 MiB aligned: QEMU
	# aligns memfd RAM only to the 4 KiB page size (file_ram_alloc()),
	# and a misaligned VMA gets no 2 MiB shmem folios; memory-backend-file
	# has align=. huge=advise: QEMU's MADV_HUGEPAGE decides, as above.
	RAM="memory-backend-file,id=ram0,size=${MEM}M,mem-path=@TMPFS@,share=on,align=2M" ;;
hugetlbfs)
	# A file on a hugetlbfs mount, as libvirt's <hugepages/> gives
	# (memory-backend-file on /dev/hugepages/libvirt/qemu), rather than
	# memfd,hugetlb=on: the same pool pages, in the configuration
	# operators deploy. Not prealloc=on: the pool is reserved at the
	# sysctl, each page zeroed at its first touch.
	[ $((MEM % 2)) = 0 ] || die_usage "--backend hugetlbfs: --mem $MEM is not a multiple of 2 MiB"
	[ -w "$HUGE_NR" ] || die_usage "--backend hugetlbfs: $HUGE_NR not writable (root, 2 MiB hugetlb pages)"
	RAM="memory-backend-file,id=ram0,size=${MEM}M,mem-path=@HUGETLBFS@" ;;
prealloc)
	RAM="memory-backend-ram,id=ram0,size=${MEM}M,prealloc=on" ;;
shadowalloc)
	RAM="memory-backend-file,id=ram0,size=${MEM}M,mem-path=/dev/shadowalloc,share=on,align=2M" ;;
shadowalloc-4k)
	RAM="memory-backend-file,id=ram0,size=${MEM}M,mem-path=/dev/shadowalloc,share=on" ;;
shadowallocfs)
	[ "$(stat -f -c %t "$MEM_PATH" 2>/dev/null)" = 5ad0a11d ] ||
		die_usage "--mem-path $MEM_PATH: not a shadowallocfs mount (mount -t shadowallocfs none $MEM_PATH)"
	RAM="memory-backend-file,id=ram0,size=${MEM}M,mem-path=$MEM_PATH,share=on,align=2M" ;;
shadowallocfs-fd)
	[ -n "$MEM_FILE" ] || die_usage "--backend shadowallocfs-fd needs --mem-file"
	[ "$(stat -f -c %t "$MEM_FILE" 2>/dev/null)" = 5ad0a11d ] ||
		die_usage "--mem-file $MEM_FILE: not on a shadowallocfs mount"
	# QEMU opens mem-path with open(2): /proc/self/fd/3 (what /dev/fd/3
	# links to; the test VM has no /dev/fd) reopens the same file.
	RAM="memory-backend-file,id=ram0,size=${MEM}M,mem-path=/proc/self/fd/3,share=on,align=2M" ;;
esac
RAM+=$RAM_OPTS

WORK=$(mktemp -d /tmp/run-l2.XXXXXX)
CONSOLE_FILE=${CONSOLE:-$WORK/console}
OLD_THP=""
OLD_SHMEM_THP=""
OLD_HUGE_NR=""
HUGE_MNT=""
qpid=""
cleanup() {
	# Killed while QEMU runs: stop it (timeout passes the signal on), so
	# that its pages are free before the pool shrinks.
	if [ -n "$qpid" ] && kill "$qpid" 2>/dev/null; then
		wait "$qpid" 2>/dev/null
	fi
	[ -n "$OLD_THP" ] && echo "$OLD_THP" > "$THP"
	[ -n "$OLD_SHMEM_THP" ] && echo "$OLD_SHMEM_THP" > "$SHMEM_THP"
	[ -n "$HUGE_MNT" ] && umount "$HUGE_MNT"
	# The pool shrinks back once QEMU's pages are free (it has exited).
	[ -n "$OLD_HUGE_NR" ] && echo "$OLD_HUGE_NR" > "$HUGE_NR"
	rm -rf "$WORK"
}
trap cleanup EXIT

# The L2 initramfs: busybox, touch-mem, the --l2-module modules, an init
# that loads them and runs the command.
mkdir -p "$WORK/ir/bin" "$WORK/ir/proc" "$WORK/ir/sys" "$WORK/ir/dev" "$WORK/ir/lib/modules"
cp /bin/busybox "$WORK/ir/bin/"
[ -x "$REPO/tools/l2/touch-mem" ] && cp "$REPO/tools/l2/touch-mem" "$WORK/ir/bin/"
printf '%s\n' "$*" > "$WORK/ir/cmd"
echo "$HOLD" > "$WORK/ir/hold"

# add_module PATH: copy one module (path relative to $MODDIR, as in
# modules.dep) into the initramfs, decompressed (busybox insmod reads only
# plain .ko), and append it to the load order once.
add_module() {
	local rel=$1 name
	name=$(basename "$rel" | sed 's/\.ko\(\.xz\|\.zst\|\.gz\)\{0,1\}$//').ko
	grep -qxF "$name" "$WORK/ir/modules" 2>/dev/null && return 0
	case $rel in
	*.ko.xz) xz -dc "$MODDIR/$rel" > "$WORK/ir/lib/modules/$name" ;;
	*.ko.zst) zstd -qdc "$MODDIR/$rel" > "$WORK/ir/lib/modules/$name" ;;
	*.ko.gz) gzip -dc "$MODDIR/$rel" > "$WORK/ir/lib/modules/$name" ;;
	*) cp "$MODDIR/$rel" "$WORK/ir/lib/modules/$name" ;;
	esac
	echo "$name" >> "$WORK/ir/modules"
}
: > "$WORK/ir/modules"
for mod in "${L2_MODULES[@]}"; do
	# modules.dep: "kernel/.../m.ko.xz: dep1 dep2 ..." with every
	# dependency, transitively, the ones loaded first last; names match
	# with - and _ alike.
	line=$(awk -v m="$mod" '{
		f = $1; sub(/:$/, "", f); n = f; sub(/.*\//, "", n); sub(/\.ko.*/, "", n)
		gsub(/-/, "_", n); mm = m; gsub(/-/, "_", mm)
		if (n == mm) { print; exit }
	}' "$MODDIR/modules.dep")
	if [ -z "$line" ]; then
		grep -qw "$(echo "$mod" | tr - _)" "$MODDIR/modules.builtin" 2>/dev/null &&
			continue	# built into the guest kernel
		die_usage "--l2-module: $mod is not a module of $KVER"
	fi
	read -r -a deps <<<"${line#*:}"
	for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
		add_module "${deps[i]}"
	done
	add_module "${line%%:*}"
done
cat > "$WORK/ir/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules); do
	insmod "/lib/modules/$m" || echo "init: insmod $m failed"
done
echo "@@L2_INIT@@"
sh /cmd
echo "@@L2_EXIT=$?@@"
sleep $(cat /hold)
echo o > /proc/sysrq-trigger
sleep 30
INIT
chmod 755 "$WORK/ir/init"
(cd "$WORK/ir" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/initrd.gz"
rm -rf "$WORK/ir"	# tmpfs: it would count as committed memory

# The backend's L1 settings, after everything else is prepared.
case $BACKEND in
ram|ram-thp)
	OLD_THP=$(thp_mode "$THP")
	if [ "$BACKEND" = ram ]; then echo never > "$THP"; else echo always > "$THP"; fi ;;
memfd|memfd-thp)
	OLD_SHMEM_THP=$(thp_mode "$SHMEM_THP")
	if [ "$BACKEND" = memfd ]; then echo never > "$SHMEM_THP"; else echo advise > "$SHMEM_THP"; fi ;;
hugetlbfs)
	# Grow the pool only by what its unreserved free pages lack: a
	# caller that sized the pool for several guests (l2_fleet_bench.sh)
	# has it grown once, not once more per guest, which took L1 out of
	# memory (a QEMU OOM-killed) and each launch into compaction.
	huge_dir=${HUGE_NR%/nr_hugepages}
	short=$((MEM / 2 - ($(cat "$huge_dir/free_hugepages") - $(cat "$huge_dir/resv_hugepages"))))
	cur=$(cat "$HUGE_NR")
	want=$cur
	if [ "$short" -gt 0 ]; then
		OLD_HUGE_NR=$cur
		want=$((cur + short))
		echo "$want" > "$HUGE_NR" || true
		if [ "$(cat "$HUGE_NR")" -lt "$want" ]; then
			# Fragmented: compact once and retry.
			echo 1 > /proc/sys/vm/compact_memory
			echo "$want" > "$HUGE_NR" || true
		fi
	fi
	got=$(cat "$HUGE_NR")
	if [ "$got" -lt "$want" ]; then
		echo "run-l2.sh: --backend hugetlbfs: the 2 MiB pool grew to $got pages, $want needed" \
			"($((MEM / 2)) for $MEM MiB of guest RAM); L1 has not enough contiguous free memory" >&2
		exit 1
	fi
	HUGE_MNT=$WORK/hugetlbfs
	mkdir "$HUGE_MNT"
	mount -t hugetlbfs -o pagesize=2M none "$HUGE_MNT" ||
		{ HUGE_MNT=""; echo "run-l2.sh: --backend hugetlbfs: cannot mount hugetlbfs" >&2; exit 1; }
	RAM=${RAM/@HUGETLBFS@/$HUGE_MNT} ;;
shmem-thp)
	HUGE_MNT=$WORK/tmpfs
	mkdir "$HUGE_MNT"
	mount -t tmpfs -o huge=advise,size=$((MEM + 2))M none "$HUGE_MNT" ||
		{ HUGE_MNT=""; echo "run-l2.sh: --backend shmem-thp: cannot mount tmpfs huge=advise" >&2; exit 1; }
	RAM=${RAM/@TMPFS@/$HUGE_MNT} ;;
esac

# kernel-irqchip=off: with KVM's in-kernel LAPIC, L2 under nested SVM on
# TCG deadlocked in about half the boots: an interrupt was injected while
# L2 had IF=0 (e.g. the APIC timer re-entering the timer handler right after
# its EOI, which holds timekeeper_lock / the rq lock / an irq_desc lock with
# IRQs off), so L2 spun for ever in native_queued_spin_lock_slowpath. The
# clock options (kvm=off, -kvmclock) do not help; with QEMU's userspace
# LAPIC/IOAPIC 10 of 10 boots reached init. -kvm-asyncpf-int: that MSR
# cannot be set with a userspace LAPIC (QEMU aborts). Documentation/design.rst
# ("Platform findings") has the investigation.
QEMU=(qemu-system-x86_64 -enable-kvm -cpu host,-kvm-asyncpf-int -m "$MEM" -smp "$CPUS"
      -object "$RAM" -machine q35,memory-backend=ram0,kernel-irqchip=off
      -kernel "$KERNEL" -initrd "$WORK/initrd.gz"
      -append "console=ttyS0 panic=-1"
      -display none -monitor none -no-reboot -serial "file:$CONSOLE_FILE"
      "${QEMU_ARGS[@]}")

# The pre-opened guest RAM QEMU inherits (shadowallocfs-fd).
if [ "$BACKEND" = shadowallocfs-fd ]; then
	exec 3<>"$MEM_FILE"
fi
# The THP settings QEMU runs with (reported in the JSON line).
CONF_THP=$(thp_mode "$THP")
CONF_DEFRAG=$(thp_mode "$THP_DIR/defrag")
CONF_SHMEM_THP=$(thp_mode "$SHMEM_THP")
CONF_HUGE_NR=$(cat "$HUGE_NR" 2>/dev/null || echo 0)

# Read from the start while QEMU writes it (QEMU opens it O_TRUNC: the
# reader's offset 0 stays right). A FIFO nobody writes to is the poll's
# clock: read -t on it sleeps without a process.
: > "$CONSOLE_FILE"
exec {con_fd}< "$CONSOLE_FILE"
mkfifo "$WORK/tick"
exec {tick_fd}<> "$WORK/tick"
start=$EPOCHREALTIME
if [ -n "$GROUP" ]; then
	# Join the group first, then become QEMU: same process, so every
	# page QEMU maps from the device belongs to the group from the start.
	timeout "$TIMEOUT" sh -c '"$0" group add-vm "$1" $$ >/dev/null && shift && exec "$@"' \
		"$REPO/tools/shadowctl/shadowctl" "$GROUP" "${QEMU[@]}" \
		< /dev/null > "$WORK/qemu.log" 2>&1 &
else
	timeout "$TIMEOUT" "${QEMU[@]}" < /dev/null > "$WORK/qemu.log" 2>&1 &
fi
qpid=$!

# scan_console: the console lines written since the last call; samples
# the time and the memory committed at the two markers.
ready_us=""
committed_start=""
committed_end=""
partial=""
scan_console() {
	local line now
	while true; do
		if ! IFS= read -r -u "$con_fd" line; then
			partial+=$line	# the incomplete last line, if any
			return 0
		fi
		line=$partial$line
		partial=""
		line=${line%$'\r'}
		case $line in
		@@L2_INIT@@)
			[ -n "$ready_us" ] && continue
			now=$EPOCHREALTIME
			mem_used
			committed_start=$((REPLY - MEM_BASE))
			ready_us=$((${now/./} - ${start/./})) ;;
		@@L2_EXIT=*)
			[ -n "$committed_end" ] && continue
			mem_used
			committed_end=$((REPLY - MEM_BASE)) ;;
		esac
	done
}
while kill -0 "$qpid" 2>/dev/null; do
	scan_console
	read -r -t 0.05 -u "$tick_fd" _ || true
done
wait "$qpid" && status=0 || status=$?
qpid=""
end=$EPOCHREALTIME
scan_console
exec {con_fd}<&- {tick_fd}>&-

tr -d '\r' < "$CONSOLE_FILE" | sed -n '/^@@L2_INIT@@$/,/^@@L2_EXIT=/p' | grep -v '^@@L2_' || true
reached=false
grep -aq '^@@L2_INIT@@' "$CONSOLE_FILE" && reached=true
# A migrated-in guest passed its init on the source's console.
[ -n "$INCOMING" ] && grep -aq '^@@L2_EXIT=' "$CONSOLE_FILE" && reached=true
l2_status=$(tr -d '\r' < "$CONSOLE_FILE" | sed -n 's/^@@L2_EXIT=\([0-9]*\)@@$/\1/p')
if [ "$JSON" = 1 ]; then
	touch_ns=$(tr -d '\r' < "$CONSOLE_FILE" | sed -n 's/^touch-mem: [0-9]* MiB in \([0-9]*\) ns$/\1/p' | tail -n 1)
	printf '{"backend":"%s","mem_mb":%s,"host_elapsed_ms":%s,"l2_reached_init":%s,"exit_status":%s,"l2_touch_ns":%s' \
		"$BACKEND" "$MEM" $(((${end/./} - ${start/./}) / 1000)) "$reached" "${l2_status:-null}" "${touch_ns:-null}"
	printf ',"ready_ms":%s,"committed_start_kb":%s,"committed_end_kb":%s,"mem_base_kb":%s' \
		"$([ -n "$ready_us" ] && echo $((ready_us / 1000)) || echo null)" \
		"${committed_start:-null}" "${committed_end:-null}" "$MEM_BASE"
	printf ',"thp_enabled":"%s","thp_defrag":"%s","shmem_enabled":"%s","nr_hugepages_2m":%s}\n' \
		"$CONF_THP" "$CONF_DEFRAG" "$CONF_SHMEM_THP" "$CONF_HUGE_NR"
fi
if [ "$reached" != true ] || [ -z "$l2_status" ]; then
	echo "run-l2.sh: L2 did not finish (qemu status $status); its console:" >&2
	grep -v "TCG doesn't" "$WORK/qemu.log" >&2 || true
	tail -n 30 "$CONSOLE_FILE" >&2
	exit 1
fi
exit "$l2_status"
