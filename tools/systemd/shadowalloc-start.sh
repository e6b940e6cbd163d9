#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# shadowalloc-start.sh - what shadowalloc.service runs at start (ExecStart),
# and what a host without systemd runs at boot:
#
#   1. validate the configuration file (nothing happens if it is bad)
#   2. load the module, unless it is loaded
#   3. shadowctl apply: groups, pools, reservations, mounts, telemetry
#   4. shadowctl load-models: the learned models saved at the last stop
#
# usage: shadowalloc-start.sh [CONF]    (default $SHADOWALLOC_CONF, else
#                                        /etc/shadowalloc/shadowalloc.conf)
# Environment: SHADOWCTL (the shadowctl to run), SHADOWALLOC_MODPROBE (the
# command that loads the module; default "modprobe shadowalloc").
#
# Exit status: 0 the host matches the file (a model that could not be
# loaded is a warning: the group learns again); 1 otherwise.

CONF=${1:-${SHADOWALLOC_CONF:-/etc/shadowalloc/shadowalloc.conf}}
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
SHADOWCTL=${SHADOWCTL:-shadowctl}
MODPROBE=${SHADOWALLOC_MODPROBE:-modprobe shadowalloc}

say() {
	echo "shadowalloc-start: $*" >&2
}

"$SHADOWCTL" check-config "$CONF" || exit 1
if [ ! -d /sys/module/shadowalloc ]; then
	say "loading the module: $MODPROBE"
	# shellcheck disable=SC2086
	$MODPROBE || { say "cannot load the module"; exit 1; }
fi
# devtmpfs creates the node at once; udev may still be applying its mode.
i=0
while [ ! -c /dev/shadowalloc ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -c /dev/shadowalloc ] || { say "/dev/shadowalloc did not appear"; exit 1; }
"$SHADOWCTL" apply "$CONF" || exit 1
if ! "$SHADOWCTL" load-models --config "$CONF"; then
	say "warning: some saved models were not loaded (those groups learn again)"
fi
exit 0
