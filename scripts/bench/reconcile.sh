#!/usr/bin/env bash
# Reconciliation benchmark (not a test): a generated 1,000,000-line payment bill against a database holding the
# matching orders plus 400 planted differences; times `payrailctl reconcile` (release build) and, on the same
# files, a straightforward Python dictionary match as the baseline. Prints figures and ratios against the
# targets of issue 9: under 10 s, under 300 MB peak, at least 5x the baseline.
#
#   scripts/bench/reconcile.sh                  # LINES=1000000 by default
#   LINES=200000 BENCH_DIR=/tmp/b scripts/bench/reconcile.sh
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BENCH_DIR=${BENCH_DIR:-$ROOT/.run/bench-reconcile}
SCRATCH=${SCRATCH:-$ROOT/.build-release}
LINES=${LINES:-1000000}
DATE=${DATE:-2026-01-15}

echo "== building payrailctl (release) =="
swift build -c release --product payrailctl --scratch-path "$SCRATCH" 2>&1 | tail -1
CTL="$SCRATCH/release/payrailctl"

rm -rf "$BENCH_DIR" && mkdir -p "$BENCH_DIR"
DB="$BENCH_DIR/payrail.sqlite"
export PAYRAIL_EVENT_KEYS="bench:$(head -c 32 /dev/urandom | base64)"
"$CTL" migrate --database "$DB" >/dev/null

echo "== generating $LINES bill lines and matching orders =="
GEN=$(python3 scripts/bench/reconcile_bench.py gen "$DB" "$BENCH_DIR/bills" "$DATE" "$LINES")
echo "$GEN"
ACCOUNT=$(echo "$GEN" | python3 -c 'import json,sys; print(json.load(sys.stdin)["account"])')
PLANTED=$(echo "$GEN" | python3 -c 'import json,sys; print(json.load(sys.stdin)["planted_total"])')
ls -la "$BENCH_DIR/bills/$ACCOUNT/${DATE//-/}/payment.csv" | awk '{print "bill size:", $5, "bytes"}'
# The generator leaves ~450 MB of dirty pages (database and bill); without this the kernel writes them back during
# whichever run comes first, and that run's durable commit waits behind them.
sync

measure() {  # measure NAME command... -> prints the command's stdout to NAME.out, time -v to NAME.time
    local name=$1; shift
    /usr/bin/time -v "$@" >"$BENCH_DIR/$name.out" 2>"$BENCH_DIR/$name.time"
}
field() { grep "$2" "$BENCH_DIR/$1.time" | awk -F': ' '{print $2}'; }
seconds() {  # elapsed "h:mm:ss" or "m:ss.ss" to seconds
    python3 -c 'import sys; p=[float(x) for x in sys.argv[1].split(":")]; print(round(sum(v*60**i for i,v in enumerate(reversed(p))),3))' "$1"
}

echo "== payrailctl reconcile (release) =="
measure payrail "$CTL" reconcile --database "$DB" --date "$DATE" --account "$ACCOUNT" \
    --bills-from "$BENCH_DIR/bills" --data-dir "$BENCH_DIR/data" --quiet --json --timings
OURS_S=$(seconds "$(field payrail 'Elapsed (wall clock)')")
OURS_KB=$(field payrail 'Maximum resident set size')
grep ' phases: ' "$BENCH_DIR/payrail.time" || true
OURS_DIFF=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["runs"][0]; print(r["differences"], json.dumps(r["counts"], sort_keys=True), r["lines"])' "$BENCH_DIR/payrail.out")

echo "== Python dict baseline =="
measure baseline python3 scripts/bench/reconcile_bench.py baseline "$DB" "$BENCH_DIR/bills" "$DATE"
BASE_S=$(seconds "$(field baseline 'Elapsed (wall clock)')")
BASE_KB=$(field baseline 'Maximum resident set size')
BASE_DIFF=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["differences"], json.dumps(r["counts"], sort_keys=True), r["lines"])' "$BENCH_DIR/baseline.out")

python3 - "$OURS_S" "$OURS_KB" "$BASE_S" "$BASE_KB" "$PLANTED" "$OURS_DIFF" "$BASE_DIFF" <<'PY'
import sys
ours_s, ours_kb, base_s, base_kb, planted = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
ours, base = sys.argv[6], sys.argv[7]
ours_mb, base_mb = ours_kb / 1024, base_kb / 1024
print()
print("payrail   : %.2f s, peak %.0f MB, differences+counts+lines: %s" % (ours_s, ours_mb, ours))
print("baseline  : %.2f s, peak %.0f MB, differences+counts+lines: %s" % (base_s, base_mb, base))
print("planted   : %d differences" % planted)
ok_time, ok_mem, speed = ours_s < 10, ours_mb < 300, base_s / ours_s if ours_s > 0 else float("inf")
print("time      : %.2f s  (target < 10 s)   %s" % (ours_s, "MET" if ok_time else "NOT MET"))
print("memory    : %.0f MB (target < 300 MB) %s" % (ours_mb, "MET" if ok_mem else "NOT MET"))
print("speed-up  : %.1fx the baseline (target >= 5x) %s" % (speed, "MET" if speed >= 5 else "NOT MET"))
found = int(ours.split()[0])
print("found     : %d of %d planted differences %s" % (found, planted, "(exact)" if found == planted else "(MISMATCH)"))
PY
