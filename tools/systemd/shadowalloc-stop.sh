#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# shadowalloc-stop.sh - what shadowalloc.service runs at stop (ExecStop),
# and what a host without systemd runs at shutdown:
#
#   1. shadowctl save-models: each group's learned model into model_dir
#   2. shadowctl detach: the telemetry BPF programs (they pin the module)
#
# Groups, mounts and the module stay: VMs may still run, and a restart
# (apply) finds nothing to change. Unload the module yourself after stop if
# you want it gone (rmmod shadowalloc; unmount the shadowallocfs mounts).
#
# usage: shadowalloc-stop.sh [CONF]     (default $SHADOWALLOC_CONF, else
#                                        /etc/shadowalloc/shadowalloc.conf)
# Environment: SHADOWCTL (the shadowctl to run).
#
# Exit status: 0 every model saved and telemetry detached; 1 otherwise
# (every step is tried).

CONF=${1:-${SHADOWALLOC_CONF:-/etc/shadowalloc/shadowalloc.conf}}
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
SHADOWCTL=${SHADOWCTL:-shadowctl}
rc=0

if [ ! -c /dev/shadowalloc ]; then
	echo "shadowalloc-stop: the module is not loaded: nothing to save" >&2
	exit 0
fi
"$SHADOWCTL" save-models --config "$CONF" || rc=1
"$SHADOWCTL" detach || rc=1
exit $rc
