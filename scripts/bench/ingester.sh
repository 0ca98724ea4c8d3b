#!/usr/bin/env bash
# Ingester benchmark (not a test): callbacks/s with signature verification and durable storage, p50/p99 at a fixed
# 500 callbacks/s, and — in the same run, on the same disk — the raw SQLite commit ceiling.
#
#   scripts/bench/ingester.sh                 # builds release (.build-release), about a minute after the build
#   BENCH_DIR=/path scripts/bench/ingester.sh # where the files go (default ./.run/bench-ingester)
#   BENCH_BIN=.build/debug SECONDS_RATE=2 scripts/bench/ingester.sh   # smoke run of the script itself
#
# Every callback is a distinct, correctly signed Douyin payment callback (a new original, so each one is a commit
# with its raw copy, its event and its delivery). Load comes from scripts/bench/loadgen.py on loopback; on this
# 2-core machine it shares the CPUs with the server, so the figures are a floor.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BENCH_DIR=${BENCH_DIR:-$ROOT/.run/bench-ingester}
SCRATCH=${SCRATCH:-$ROOT/.build-release}
SECONDS_MAX=${SECONDS_MAX:-5}
RATE=${RATE:-500}
SECONDS_RATE=${SECONDS_RATE:-10}

if [ -n "${BENCH_BIN:-}" ]; then
    BIN=$BENCH_BIN   # a smoke run against another build (figures from a debug build mean nothing)
else
    echo "== building payrailctl and payrail-ingester (release) =="
    swift build -c release --product payrailctl --scratch-path "$SCRATCH" 2>&1 | tail -1
    swift build -c release --product payrail-ingester --scratch-path "$SCRATCH" 2>&1 | tail -1
    BIN="$SCRATCH/release"
fi

rm -rf "$BENCH_DIR" && mkdir -p "$BENCH_DIR"
export PAYRAIL_EVENT_KEYS="bench:$(head -c 32 /dev/urandom | base64)"
export PAYRAIL_MASTER_KEY="m1:$(head -c 32 /dev/urandom | base64)"
export PAYRAIL_DATABASE="$BENCH_DIR/payrail.sqlite"
export PAYRAIL_LOG_LEVEL=warning
TOKEN=bench_token
APP_ID=tt_bench_app

echo "== 1. raw ceiling: single-row INSERT transactions/s (WAL, synchronous=FULL, one connection) =="
RAW=$(python3 scripts/bench/raw_ceiling.py "$BENCH_DIR/raw.sqlite" 5)
echo "raw ceiling: $RAW commits/s"

"$BIN/payrailctl" migrate >/dev/null
MERCHANT=$("$BIN/payrailctl" merchant create --name Bench --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["merchant"]["id"])')
"$BIN/payrailctl" merchant add-channel douyin --merchant "$MERCHANT" --app-id "$APP_ID" --salt s --token "$TOKEN" \
    --merchant-id 7000 >/dev/null

python3 - "$BENCH_DIR/bodies.jsonl" "$TOKEN" "$APP_ID" <<'PY'
import hashlib, json, sys
path, token, app = sys.argv[1], sys.argv[2], sys.argv[3]
with open(path, "w") as out:
    for i in range(60000):
        msg = json.dumps({"appid": app, "cp_orderno": f"bench-{i}", "cp_extra": "", "way": "1", "channel_no": "c",
                          "total_amount": 100 + i % 900, "status": "SUCCESS", "seller_uid": "7000",
                          "paid_at": 1760000000, "order_id": f"N{i}", "message": "", "extra": "null", "item_id": ""},
                         separators=(",", ":"))
        timestamp, nonce = "1760000000", str(1000 + i)
        signature = hashlib.sha1("".join(sorted([token, timestamp, nonce, msg])).encode()).hexdigest()
        out.write(json.dumps({"timestamp": timestamp, "nonce": nonce, "msg": msg, "msg_signature": signature,
                              "type": "payment"}, separators=(",", ":")) + "\n")
PY

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN/payrail-ingester" --port "$PORT" >"$BENCH_DIR/ingester.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

URL="http://127.0.0.1:$PORT/callbacks/douyin"
echo "== 2. callbacks/s, closed loop, 32 connections =="
MAX=$(python3 scripts/bench/loadgen.py --url "$URL" --bodies "$BENCH_DIR/bodies.jsonl" --max --seconds "$SECONDS_MAX" \
    --connections 32 --processes 2 --header "Content-Type: application/json")
echo "$MAX"
# A fresh slice of bodies for the fixed-rate phase, so every callback is again a new original.
tail -n +40001 "$BENCH_DIR/bodies.jsonl" >"$BENCH_DIR/bodies-rate.jsonl"
echo "== 3. latency at a fixed $RATE callbacks/s for ${SECONDS_RATE} s =="
FIXED=$(python3 scripts/bench/loadgen.py --url "$URL" --bodies "$BENCH_DIR/bodies-rate.jsonl" --rate "$RATE" \
    --seconds "$SECONDS_RATE" --connections 32 --header "Content-Type: application/json")
echo "$FIXED"
STORED=$(sqlite3 "$PAYRAIL_DATABASE" "SELECT COUNT(*) FROM callback_record")
EVENTS=$(sqlite3 "$PAYRAIL_DATABASE" "SELECT COUNT(*) FROM event WHERE type = 'callback.received'")

python3 - "$RAW" "$MAX" "$FIXED" "$STORED" "$EVENTS" <<'PY'
import json, sys
raw, mx, fx = int(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
print("== summary ==")
print(f"raw SQLite commit ceiling:         {raw} commits/s")
print(f"ingester, verified + durable:      {mx['per_second']} callbacks/s  (p50 {mx['p50_ms']} ms, p99 {mx['p99_ms']} ms)"
      f"  = {mx['per_second'] / raw:.2f}x the ceiling; statuses {mx['statuses']}")
print(f"at a fixed {sum(fx['statuses'].values()) and fx['per_second']}/s:          p50 {fx['p50_ms']} ms, p99 {fx['p99_ms']} ms, "
      f"max {fx['max_ms']} ms; statuses {fx['statuses']}")
print(f"stored callbacks: {sys.argv[4]}, callback.received events: {sys.argv[5]} (every 200 was stored)")
PY
