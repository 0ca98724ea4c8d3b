#!/usr/bin/env bash
# Outbox benchmark (not a test): prints figures and ratios against the targets of the store issue.
#
#   scripts/bench/outbox.sh            # builds release, runs every phase (about a minute after the build)
#   BENCH_DIR=/path/on/disk scripts/bench/outbox.sh   # where the SQLite files go (default ./.run/bench)
#
# Phases, all on the same disk and folder:
#   1. raw ceiling: single-row INSERT transactions/s, WAL + synchronous=FULL, one connection (Python sqlite3)
#   2. Payrail append/s from 64 concurrent writers, one event per transaction (group commit)
#   3. end to end append -> claim -> ack events/s with 1 and with 3 consumer processes (appender running
#      concurrently with 64 writers; time from the appender's start to the last consumer's exit), twice: with
#      the appender committing one event per transaction (the append rate of phase 2 bounds it) and with
#      $E2E_PER_TRANSACTION events per transaction (a producer appending several events at once; the bus itself
#      is then what is measured). Consumers claim $CONSUMER_BATCH per claim with $CONSUMER_CONCURRENCY handlers.
#   4. pickup latency p50/p99 at a fixed 1,000 events/s (appender and consumer in separate processes)
#   5. CPU used by an idle consumer process over 5 s
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BENCH_DIR=${BENCH_DIR:-$ROOT/.run/bench}
SCRATCH=${SCRATCH:-$ROOT/.build-release}
PHASE_SECONDS=${PHASE_SECONDS:-5}
E2E_EVENTS=${E2E_EVENTS:-50000}
LATENCY_EVENTS=${LATENCY_EVENTS:-5000}
E2E_PER_TRANSACTION=${E2E_PER_TRANSACTION:-10}
CONSUMER_BATCH=${CONSUMER_BATCH:-256}
CONSUMER_CONCURRENCY=${CONSUMER_CONCURRENCY:-32}

echo "== building payrailctl (release) =="
swift build -c release --product payrailctl --scratch-path "$SCRATCH" 2>&1 | tail -1
CTL="$SCRATCH/release/payrailctl"

mkdir -p "$BENCH_DIR"
export PAYRAIL_EVENT_KEYS="bench:$(head -c 32 /dev/urandom | base64)"

fresh_db() {
    local db="$BENCH_DIR/$1.sqlite"
    rm -f "$db" "$db-wal" "$db-shm" "$db.wake" "$db.migrate.lock"
    "$CTL" migrate --database "$db" >/dev/null
    echo "$db"
}

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
now() { python3 -c 'import time; print(time.time())'; }

echo "== 1. raw ceiling: single-row INSERT transactions/s (WAL, synchronous=FULL, one connection) =="
RAW=$(python3 scripts/bench/raw_ceiling.py "$BENCH_DIR/raw.sqlite" "$PHASE_SECONDS")
echo "raw ceiling: $RAW commits/s"

echo "== 2. append/s, 64 concurrent writers, one event per transaction =="
DB=$(fresh_db append)
APPEND_JSON=$("$CTL" outbox-probe append --database "$DB" --seconds "$PHASE_SECONDS" --writers 64)
APPEND=$(echo "$APPEND_JSON" | json_field per_second)
COMMITS=$(echo "$APPEND_JSON" | json_field commits)
APPENDED=$(echo "$APPEND_JSON" | json_field appended)
printf "append: %.0f events/s (%s events in %s commits)\n" "$APPEND" "$APPENDED" "$COMMITS"

e2e() {  # e2e CONSUMERS EVENTS_PER_TRANSACTION
    local consumers=$1 per_transaction=$2 db pids=() start end
    db=$(fresh_db "e2e$consumers")
    for _ in $(seq "$consumers"); do
        "$CTL" outbox-probe consume --database "$db" --until-done "$E2E_EVENTS" \
            --batch "$CONSUMER_BATCH" --concurrency "$CONSUMER_CONCURRENCY" \
            >"$BENCH_DIR/e2e$consumers.$RANDOM.out" &
        pids+=($!)
    done
    sleep 0.5
    start=$(now)
    "$CTL" outbox-probe append --database "$db" --count "$E2E_EVENTS" --writers 64 \
        --per-transaction "$per_transaction" >/dev/null
    wait "${pids[@]}"
    end=$(now)
    python3 -c "print(round($E2E_EVENTS / ($end - $start)))"
}

echo "== 3. end to end append -> claim -> ack ($E2E_EVENTS events, appender with 64 writers running alongside) =="
E2E1_SINGLE=$(e2e 1 1)
echo "1 consumer process,   1 event per append transaction:  $E2E1_SINGLE events/s"
E2E3_SINGLE=$(e2e 3 1)
echo "3 consumer processes, 1 event per append transaction:  $E2E3_SINGLE events/s"
E2E1=$(e2e 1 "$E2E_PER_TRANSACTION")
echo "1 consumer process,   $E2E_PER_TRANSACTION events per append transaction: $E2E1 events/s"
E2E3=$(e2e 3 "$E2E_PER_TRANSACTION")
echo "3 consumer processes, $E2E_PER_TRANSACTION events per append transaction: $E2E3 events/s"

echo "== 4. pickup latency at 1,000 events/s ($LATENCY_EVENTS events; append timestamp -> handler start) =="
DB=$(fresh_db latency)
"$CTL" outbox-probe consume --database "$DB" --until-done "$LATENCY_EVENTS" --latency >"$BENCH_DIR/latency.out" &
CONSUMER=$!
sleep 0.5
"$CTL" outbox-probe append --database "$DB" --count "$LATENCY_EVENTS" --rate 1000 --writers 8 >/dev/null
wait $CONSUMER
P50=$(json_field latency_p50_ms <"$BENCH_DIR/latency.out")
P99=$(json_field latency_p99_ms <"$BENCH_DIR/latency.out")
PMAX=$(json_field latency_max_ms <"$BENCH_DIR/latency.out")
printf "pickup latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n" "$P50" "$P99" "$PMAX"

echo "== 5. idle consumer CPU over 5 s =="
DB=$(fresh_db idle)
"$CTL" outbox-probe consume --database "$DB" --until-done 1000000000 >/dev/null &
IDLE=$!
sleep 1
TICKS=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$IDLE/stat"; }
C0=$(cpu); sleep 5; C1=$(cpu)
kill "$IDLE"; wait "$IDLE" 2>/dev/null || true
IDLE_PCT=$(python3 -c "print(round(($C1 - $C0) / $TICKS / 5 * 100, 2))")
echo "idle consumer: ${IDLE_PCT}% of one core"

echo
echo "== summary =="
python3 - "$RAW" "$APPEND" "$E2E1_SINGLE" "$E2E3_SINGLE" "$E2E1" "$E2E3" "$P50" "$P99" "$IDLE_PCT" \
    "$E2E_PER_TRANSACTION" <<'PY'
import sys
raw, append, s1, s3, e1, e3, p50, p99, idle, per = map(float, sys.argv[1:])
def verdict(ok): return "met" if ok else "MISSED"
print(f"raw ceiling (1 connection, FULL sync):   {raw:,.0f} commits/s")
print(f"append, 64 writers (group commit):      {append:,.0f} events/s = {append / raw:.2f}x raw "
      f"(target >= 2x: {verdict(append >= 2 * raw)})")
print(f"end to end, 1 event per append txn:    {s1:,.0f} events/s (1 consumer), {s3:,.0f} (3 consumers); "
      f"bounded by the append rate above")
print(f"end to end, {per:.0f} events per append txn:  {e1:,.0f} events/s (1 consumer)")
print(f"end to end, {per:.0f} events per append txn:  {e3:,.0f} events/s (3 consumers) "
      f"(target >= 10,000: {verdict(e3 >= 10000)})")
print(f"pickup latency at 1,000/s:              p50 {p50:.2f} ms, p99 {p99:.2f} ms "
      f"(target p99 < 20 ms: {verdict(p99 < 20)})")
print(f"idle consumer CPU:                      {idle:.2f}% of one core")
PY
