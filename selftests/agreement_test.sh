#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module and the replay agree: a real KVM guest first-touches pages on
# a schedule (tools/bench/fc_workload_bench, policy "forecast": the group
# enabled, the forecaster alone) while "shadowctl record" takes the fault
# handler's records; sa_replay then replays the recording on the module's
# tick boundaries (--absolute-ticks) with the module's horizon, max age and
# zeroing budget. The forecaster is the same code on the same series, so
# its window error must agree; the replay's pool is a model of the
# module's (it refills once per tick, the module continuously), so the hit
# rates must agree too: within 0.05 absolute. The window errors (the
# module's forecast_err_permille / 1000 against the replay's rel_err) must
# agree within 0.20 absolute: the module reads a tick's demand when its
# worker runs, just after the boundary, and under TCG the worker's wake-up
# lags by enough to move some of a tick's faults into the next one, which
# the recording (stamped at the fault) does not. The lag grows with the
# load on the host: measured 0.063-0.093 against 0.036-0.097 with one test
# VM, 0.167 against 0.023 with make check's two VMs and a third competing
# for two CPUs. Binning the module's demand by the fault's tick would close
# that gap (then this bound can come down to the hit rates' 0.05). KTAP
# output.

# shellcheck source=lib/sa_test.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/sa_test.sh" || exit 4

BENCH=$REPO/tools/bench/fc_workload_bench
WORKLOADS="sequential"
OUT=$(mktemp -d /tmp/agreement_test.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

ktap_print_header
if [ ! -x "$BENCH" ] || [ ! -x "$REPO/tools/forecast/sa_replay" ]; then
	ktap_skip_all "$BENCH or sa_replay not built (make tools)"
	exit "$KSFT_SKIP"
fi
if [ ! -e /dev/kvm ]; then
	ktap_skip_all "no /dev/kvm"
	exit "$KSFT_SKIP"
fi
if ! command -v python3 >/dev/null; then
	ktap_skip_all "no python3 to read the JSON"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 1

for w in $WORKLOADS; do
	if ! "$BENCH" --forecast-only --workloads "$w" --outdir "$OUT" >"$OUT/$w.json" 2>"$OUT/$w.err"; then
		ktap_print_msg "$w: fc_workload_bench failed: $(tail -3 "$OUT/$w.err")"
		ktap_test_fail "agree_$w"
		continue
	fi
	if msg=$(python3 - "$OUT/$w.json" <<'PY' 2>&1
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
mod = [r for r in rows if r.get("source") == "module" and r.get("policy") == "forecast"]
rep = [r for r in rows if r.get("source") == "replay" and r.get("policy") == "forecast"]
if len(mod) != 1 or len(rep) != 1:
    sys.exit("want one module and one replay line for forecast, got %d and %d" % (len(mod), len(rep)))
m, r = mod[0], rep[0]
if r.get("trace_kind") != "recorded":
    sys.exit("replayed the %s, not the recording" % r.get("trace_kind"))
m_err = m["forecast_err_permille"] / 1000.0
print("module hit %.4f err %.4f (%d windows); replay hit %.4f err %.4f (%d windows)"
      % (m["hit_rate"], m_err, m["forecast_windows"], r["hit_rate"], r["rel_err"], r["windows"]))
if abs(m["hit_rate"] - r["hit_rate"]) > 0.05 or abs(m_err - r["rel_err"]) > 0.20:
    sys.exit(1)
PY
	); then
		ktap_print_msg "$w: $msg"
		ktap_test_pass "agree_$w"
	else
		ktap_print_msg "$w: $msg"
		ktap_test_fail "agree_$w"
	fi
done
ktap_finished
