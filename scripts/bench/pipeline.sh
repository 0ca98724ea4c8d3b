#!/usr/bin/env bash
# Payment pipeline benchmark (not a test): payrail-worker replicas + payrail-sandbox on one SQLite file.
#
#   scripts/bench/pipeline.sh                 # debug binaries (as built by `swift build`), 1 and 3 replicas
#   BUILD=release scripts/bench/pipeline.sh   # release binaries in .build-release (slow to build)
#   ORDERS=300 RATE=200 LATENCY_ORDERS=1000 REPLICA_COUNTS="1 3" BENCH_DIR=/path scripts/bench/pipeline.sh
#
# Prints, per replica count: orders/s from order.created to the order.paid webhook (sandbox pays at once), and
# p50/p99 from the provider callback reaching the ingester stand-in to the order.paid webhook at RATE payments/s;
# before and after, the disk's fsync tail (scripts/bench/fsync_tail.py, FSYNC_SECONDS=10 each; 0 skips it).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BENCH_DIR=${BENCH_DIR:-$ROOT/.run/bench-pipeline}
BUILD=${BUILD:-debug}
mkdir -p "$BENCH_DIR"
if [ "$BUILD" = release ]; then
    for product in payrail-worker payrail-ingester payrail-sandbox payrailctl; do
        swift build -c release --product "$product" --scratch-path "$ROOT/.build-release" 2>&1 | tail -1
    done
    BIN="$ROOT/.build-release/release"
else
    BIN=${PAYRAIL_BIN:-$(swift build --show-bin-path)}
fi
# The disk's fsync tail before and after: a slow fsync stalls every writer of the database at once, so stalls of this
# volume show up in the latency's p99 (FSYNC_SECONDS=0 skips the probe).
probe() { [ "${FSYNC_SECONDS:-10}" = 0 ] || python3 "$ROOT/scripts/bench/fsync_tail.py" "$BENCH_DIR" "${FSYNC_SECONDS:-10}" 200; }
probe
for replicas in ${REPLICA_COUNTS:-1 3}; do
    REPLICAS=$replicas python3 "$ROOT/scripts/bench/pipeline.py" "$BIN" "$BENCH_DIR"
done
probe
