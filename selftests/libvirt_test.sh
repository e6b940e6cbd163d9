#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A libvirt domain on shadowalloc, run by the real libvirtd: the domain
# (tools/libvirt/sa-domain-xml) has file-backed shared RAM and metadata
# naming group $G; the qemu hook (tools/libvirt/qemu-hook, installed as
# /etc/libvirt/hooks/qemu) mounts shadowallocfs with group=$G on the
# domain's directory in qemu.conf's memory_backing_dir before QEMU starts,
# so QEMU creates its RAM file there, bound to $G, and no process is a
# group member. virsh define and start, the guest (the 6.12 kernel with a
# busybox initramfs) boots and touches 32 MiB, its first touches are hits
# in $G's stats, virsh destroy leaves no RAM file, mount or pages, virsh
# undefine. The hook alone: bad metadata, a missing group, private RAM, no
# memory directory, no QEMU: exit 1 with the reason, and nothing changed;
# through libvirtd, bad metadata refuses the start with the hook's message.
#
# The VM's root filesystem is the host's, read-only: what libvirtd writes
# (/etc/libvirt, /var/lib, /var/cache, /var/log) goes to overlays in /tmp.
# Debian's libvirt-daemon (without libvirt-daemon-system) has no
# libvirt-qemu account, and libvirtd's QEMU driver resolves its built-in
# default user before it reads qemu.conf ("Failed to parse user
# 'libvirt-qemu'"), so copies of /etc/passwd and /etc/group with the
# account libvirt-daemon-system would add are bind-mounted; QEMU runs as
# root (qemu.conf). No systemd: libvirtd is started by hand, with
# stdio_handler = "file" (no virtlogd), no cgroups, no namespaces, no
# security driver.

# shellcheck source=lib/sa_test.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/sa_test.sh" || exit 4

G=731		# the group the domain's metadata names
MISSING=739	# a group that does not exist
RESERVE=49152	# 192 MiB in 4 KiB pages: the boot and touch-mem take about 125 MiB
DOM=sa-libvirt
BAD=sa-libvirt-bad
WORK=/tmp/libvirt_test
MB=$WORK/memory_backing_dir
OV=$WORK/overlay
HOOK=$REPO/tools/libvirt/qemu-hook
GEN=$REPO/tools/libvirt/sa-domain-xml
SOCK=/run/libvirt/libvirt-sock
export LIBVIRT_DEFAULT_URI=qemu:///system
MOUNTED=()
LIBVIRTD_PID=""
T0=$SECONDS

ktap_print_header
if ! command -v libvirtd >/dev/null || ! command -v virsh >/dev/null ||
   [ ! -c /dev/kvm ] || [ ! -c /dev/shadowalloc ] || [ "$(id -u)" != 0 ]; then
	ktap_skip_all "needs root, /dev/kvm, the module, libvirtd and virsh (tools/setup-deps.sh)"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 20

# verdict NAME: NAME passes if the command before succeeded.
verdict() {
	if [ $? = 0 ]; then ktap_test_pass "$1"; else ktap_test_fail "$1"; fi
}

elapsed() {
	echo "$((SECONDS - T0)) s"
}

# overlay DIR: DIR writable, its changes in $OV (gone at the end).
overlay() {
	local dir=$1 name
	name=$(echo "$dir" | tr / _)
	mkdir -p "$OV/$name/upper" "$OV/$name/work" || return 1
	mount -t overlay overlay -o "lowerdir=$dir,upperdir=$OV/$name/upper,workdir=$OV/$name/work" "$dir" ||
		return 1
	MOUNTED+=("$dir")
}

# bind_file FILE COPY: COPY mounted over FILE.
bind_file() {
	mount --bind "$2" "$1" || return 1
	MOUNTED+=("$1")
}

show_logs() {
	ktap_print_msg "libvirtd log (last lines):"
	tail -n 20 "$WORK/libvirtd.log" 2>/dev/null | sed 's/^/#   /'
	ktap_print_msg "domain log (last lines):"
	tail -n 20 "/var/log/libvirt/qemu/$DOM.log" 2>/dev/null | sed 's/^/#   /'
	ktap_print_msg "console (last lines):"
	tail -n 10 "$WORK/console.log" 2>/dev/null | tr -d '\r' | sed 's/^/#   /'
}

cleanup() {
	local i d
	if [ -n "$LIBVIRTD_PID" ]; then
		for d in "$DOM" "$BAD"; do
			timeout 60 virsh destroy "$d" >/dev/null 2>&1
			timeout 60 virsh undefine "$d" >/dev/null 2>&1
		done
		kill "$LIBVIRTD_PID" 2>/dev/null
		for _ in $(seq 100); do
			kill -0 "$LIBVIRTD_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$LIBVIRTD_PID" 2>/dev/null
		wait "$LIBVIRTD_PID" 2>/dev/null
	fi
	for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
		umount "${MOUNTED[i]}" || umount -l "${MOUNTED[i]}"
	done
	# What the hook mounted, if libvirtd did not get to undo it.
	grep -o " $MB/[^ ]* shadowallocfs " /proc/mounts | while read -r d _; do umount "$d"; done
	rm -rf "$WORK"
	"$CTL" group destroy $G >/dev/null 2>&1
}
trap cleanup EXIT

rm -rf "$WORK"
mkdir -p "$WORK" "$MB"
# A 4 KiB pool: QEMU aligns file-backed RAM only to the file's page size,
# and libvirt has no align= for it, so the guest's RAM is not mapped
# 2 MiB-aligned and every first touch is 4 KiB (a 2 MiB pool would serve
# none of them). Staged while the hook checks and libvirtd start.
"$CTL" group destroy $G >/dev/null 2>&1
"$CTL" group create $G >/dev/null &&
	"$CTL" group pool $G --huge 0 --max-age-ms 600000 >/dev/null &&
	"$CTL" group enable $G >/dev/null &&
	"$CTL" group reserve $G $RESERVE >/dev/null ||
	ktap_exit_fail_msg "group setup failed"

# The guest: the 6.12 kernel, busybox, touch-mem, and an init that says
# when it is up and when it has touched 32 MiB, then idles until destroyed.
KERNEL=$(ls /boot/vmlinuz-6.12*-cloud-amd64 | sort -V | tail -n 1)
IR=$WORK/initramfs
mkdir -p "$IR/bin" "$IR/proc" "$IR/sys" "$IR/dev"
cp /bin/busybox "$IR/bin/" && cp "$REPO/tools/l2/touch-mem" "$IR/bin/" ||
	ktap_exit_fail_msg "needs /bin/busybox and tools/l2/touch-mem (make tools)"
cat > "$IR/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
echo "@@SA_GUEST_UP@@"
touch-mem 32
echo "@@SA_GUEST_TOUCHED@@"
while :; do sleep 60; done
INIT
chmod 755 "$IR/init"
(cd "$IR" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/initrd.gz"

"$GEN" --name "$DOM" --group $G --kernel "$KERNEL" --initrd "$WORK/initrd.gz" \
	--console "$WORK/console.log" --nested-tcg > "$WORK/$DOM.xml" ||
	ktap_exit_fail_msg "sa-domain-xml failed"
# Bad metadata: a group that is not a number.
sed "s/name>$DOM</name>$BAD</; s/group='$G'/group='g$G'/" "$WORK/$DOM.xml" > "$WORK/$BAD.xml"

cat > "$WORK/qemu.conf" <<EOF
memory_backing_dir = "$MB"
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
EOF

# --- The hook on its own, as libvirt runs it (XML on stdin). ---
ktap_print_msg "hook checks start at $(elapsed)"
export PATH=$REPO/tools/shadowctl:$PATH
export SHADOWALLOC_HOOK_QEMU_CONF=$WORK/qemu.conf SHADOWALLOC_HOOK_STATE_DIR=$WORK/state
# what_hooks_change: mounts, memory directories, hook state, the group's counters.
what_hooks_change() {
	echo "mounts: $(grep -c shadowallocfs /proc/mounts), in $MB: $(find "$MB" -mindepth 1 | wc -l)," \
		"state: $(find "$WORK/state" -mindepth 1 2>/dev/null | wc -l)," \
		"group $G: faults $(stat_of faults) hits $(stat_of hits) VMs $(stat_of nr_vms)"
}
before=$(what_hooks_change)
"$GEN" --name plain --kernel "$KERNEL" > "$WORK/plain.xml"
check_cli "$HOOK" hook_ignores_domains_without_metadata 0 '^$' '^$' -- \
	plain prepare begin - < "$WORK/plain.xml"
check_cli "$HOOK" hook_rejects_bad_group_id 1 '^$' \
	"^shadowalloc hook: domain '$BAD': metadata: group 'g$G' is not a group id \\(1\\.\\.2147483647\\)$" -- \
	"$BAD" prepare begin - < "$WORK/$BAD.xml"
sed "s/group='$G'/group='$G' pool='x'/" "$WORK/$DOM.xml" > "$WORK/attr.xml"
check_cli "$HOOK" hook_rejects_unknown_attribute 1 '^$' \
	"metadata: <vm>: unknown attribute 'pool' \\(known: group\\)$" -- \
	"$DOM" prepare begin - < "$WORK/attr.xml"
sed "s/urn:shadowalloc:libvirt:1/urn:shadowalloc:libvirt:9/" "$WORK/$DOM.xml" > "$WORK/ns.xml"
check_cli "$HOOK" hook_rejects_unknown_namespace 1 '^$' \
	"unknown namespace urn:shadowalloc:libvirt:9 \\(this hook reads urn:shadowalloc:libvirt:1\\)$" -- \
	"$DOM" prepare begin - < "$WORK/ns.xml"
sed "s/access mode='shared'/access mode='private'/" "$WORK/$DOM.xml" > "$WORK/private.xml"
check_cli "$HOOK" hook_rejects_private_ram 1 '^$' \
	"guest RAM is not a shared file: the domain needs <memoryBacking><source type='file'/><access mode='shared'/></memoryBacking>$" -- \
	"$DOM" prepare begin - < "$WORK/private.xml"
sed "s/<domain type='kvm'/<domain type='kvm' id='7'/" "$WORK/$DOM.xml" > "$WORK/id.xml"
check_cli "$HOOK" hook_start_needs_the_memory_directory 1 '^$' \
	"^shadowalloc hook: domain '$DOM': no memory directory $MB/libvirt/qemu/7-$DOM \\(No such file or directory\\): is the RAM file-backed \\(memory_backing_dir in $WORK/qemu.conf\\)\\?$" -- \
	"$DOM" start begin - < "$WORK/id.xml"
sed "s/group='$G'/group='$MISSING'/" "$WORK/$DOM.xml" > "$WORK/missing.xml"
check_cli "$HOOK" hook_rejects_missing_group 1 '^$' \
	"^shadowalloc hook: domain '$DOM': group $MISSING: shadowctl: group stats $MISSING: .*\\(ENOENT\\)$" -- \
	"$DOM" prepare begin - < "$WORK/missing.xml"
check_cli "$HOOK" hook_started_needs_the_qemu 1 '^$' \
	"^shadowalloc hook: domain '$DOM': no QEMU process for the domain \\(/run/libvirt/qemu/$DOM.pid: " -- \
	"$DOM" started begin - < "$WORK/$DOM.xml"
# Teardown never fails on metadata, nor does a reconnect (it would kill
# the running domain): they warn or do nothing.
out=$("$HOOK" "$BAD" release end - < "$WORK/$BAD.xml" 2>&1) && [ -z "$out" ] &&
	out=$("$HOOK" "$BAD" reconnect begin - < "$WORK/$BAD.xml" 2>&1) &&
	[[ "$out" == *"metadata: group 'g$G' is not a group id"* ]]
verdict hook_teardown_and_reconnect_never_fail
after=$(what_hooks_change)
ktap_print_msg "before the hook runs: $before; after: $after"
[ "$before" = "$after" ]
verdict hook_failures_changed_nothing
unset SHADOWALLOC_HOOK_QEMU_CONF SHADOWALLOC_HOOK_STATE_DIR
ktap_print_msg "hook checks done at $(elapsed)"

# --- libvirtd, by hand. ---
modprobe overlay 2>/dev/null
for d in /etc/libvirt /var/lib /var/cache /var/log; do
	overlay "$d" || ktap_exit_fail_msg "cannot overlay $d"
done
cp /etc/passwd "$WORK/passwd" && cp /etc/group "$WORK/group" || ktap_exit_fail_msg "cannot copy /etc/passwd"
getent group libvirt-qemu >/dev/null || echo "libvirt-qemu:x:64055:" >> "$WORK/group"
getent passwd libvirt-qemu >/dev/null ||
	echo "libvirt-qemu:x:64055:64055:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin" >> "$WORK/passwd"
bind_file /etc/passwd "$WORK/passwd" && bind_file /etc/group "$WORK/group" ||
	ktap_exit_fail_msg "cannot bind-mount /etc/passwd and /etc/group"
mkdir -p /etc/libvirt/hooks /var/lib/libvirt /var/cache/libvirt /var/log/libvirt/qemu
install -m 755 "$HOOK" /etc/libvirt/hooks/qemu
cat > /etc/libvirt/libvirtd.conf <<EOF
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "3:file:$WORK/libvirtd.log"
EOF
cp "$WORK/qemu.conf" /etc/libvirt/qemu.conf
# Hooks get libvirtd's PATH: the hook finds shadowctl there.
libvirtd -f /etc/libvirt/libvirtd.conf > "$WORK/libvirtd.out" 2>&1 &
LIBVIRTD_PID=$!
for _ in $(seq 600); do
	[ -S "$SOCK" ] && break
	kill -0 $LIBVIRTD_PID 2>/dev/null || break
	sleep 0.1
done
ver=$(timeout 90 virsh version 2>&1)
status=$?
ktap_print_msg "libvirtd up after $(elapsed): $(echo "$ver" | tr '\n' ' ')"
[ $status != 0 ] && { sed 's/^/#   /' "$WORK/libvirtd.out"; show_logs; }
ktap_test_result libvirtd_runs_without_systemd [ $status = 0 ]

# A start the hook refuses: the reason reaches virsh, nothing is created.
timeout 90 virsh define "$WORK/$BAD.xml" >/dev/null 2>&1
out=$(timeout 90 virsh start "$BAD" 2>&1)
status=$?
state=$(timeout 30 virsh domstate "$BAD" 2>&1)
ktap_print_msg "virsh start $BAD: status $status, state $state: $out"
[ $status != 0 ] && [[ "$out" == *"shadowalloc hook: domain '$BAD': metadata: group 'g$G' is not a group id"* ]] &&
	[ "$state" = "shut off" ] && [ -z "$(find "$MB/libvirt/qemu" -mindepth 1)" ] &&
	! grep -q shadowallocfs /proc/mounts
verdict start_with_bad_metadata_refused_by_hook
timeout 90 virsh undefine "$BAD" >/dev/null 2>&1

out=$(timeout 90 virsh define "$WORK/$DOM.xml" 2>&1)
verdict virsh_define
ktap_print_msg "$out"
for _ in $(seq 600); do
	[ "$(stat_of staged_pages)" -ge $RESERVE ] && break
	sleep 0.1
done
ktap_print_msg "group $G: $(stat_of staged_pages) pages staged at $(elapsed)"
start=$SECONDS
out=$(timeout 120 virsh start "$DOM" 2>&1)
status=$?
ktap_print_msg "virsh start: status $status after $((SECONDS - start)) s: $out"
[ $status != 0 ] && show_logs
ktap_test_result virsh_start [ $status = 0 ]

dir=$(grep -o " $MB/libvirt/qemu/[0-9]*-$DOM shadowallocfs " /proc/mounts | cut -d' ' -f2)
ram=$([ -n "$dir" ] && find "$dir" -type f | head -n 1)
binding=$([ -n "$ram" ] && "$CTL" mem "$ram" 2>&1)
ktap_print_msg "shadowallocfs on ${dir:-nothing}; RAM file ${ram:-none}: $binding"
[[ "$binding" == *"bound to group $G,"* ]]
verdict ram_file_on_the_group_mount

for _ in $(seq 900); do
	grep -aq '^@@SA_GUEST_TOUCHED@@' "$WORK/console.log" 2>/dev/null && break
	[ "$(virsh domstate "$DOM" 2>/dev/null)" = running ] || break
	sleep 0.1
done
grep -aq '^@@SA_GUEST_TOUCHED@@' "$WORK/console.log" 2>/dev/null
status=$?
ktap_print_msg "guest: $(tr -d '\r' < "$WORK/console.log" 2>/dev/null | grep -a '^touch-mem:') (at $(elapsed))"
[ $status != 0 ] && show_logs
ktap_test_result guest_boots_and_touches_memory [ $status = 0 ]

hits=$(stat_of hits)
faults=$(stat_of faults)
ktap_print_msg "group $G: faults $faults, hits $hits, 2 MiB hits $(stat_of hits_huge), VMs $(stat_of nr_vms)"
[ "$hits" -gt 0 ] && [ $((hits * 100)) -ge $((faults * 95)) ]
verdict first_touches_hit_the_group
out=$(timeout 90 virsh destroy "$DOM" 2>&1)
status=$?
state=$(timeout 30 virsh domstate "$DOM" 2>&1)
ktap_print_msg "virsh destroy: status $status, state $state: $out"
[ $status = 0 ] && [ "$state" = "shut off" ]
verdict virsh_destroy
for _ in $(seq 100); do
	pages=$(sed -n 's/^mem_pages //p' /sys/kernel/debug/shadowalloc/pages)
	[ "$pages" = 0 ] && break
	sleep 0.1
done
left=$(find "$MB/libvirt/qemu" /run/shadowalloc-libvirt -mindepth 1 2>/dev/null)
mounts=$(grep -c shadowallocfs /proc/mounts)
ktap_print_msg "after destroy: mem_pages $pages, shadowallocfs mounts $mounts, left: ${left:-nothing}"
[ "$pages" = 0 ] && [ -z "$left" ] && [ "$mounts" = 0 ]
verdict destroy_leaves_no_pages

timeout 90 virsh undefine "$DOM" >/dev/null 2>&1 &&
	! timeout 30 virsh list --all --name | grep -qx "$DOM"
verdict virsh_undefine
ktap_print_msg "done after $(elapsed)"
ktap_finished
