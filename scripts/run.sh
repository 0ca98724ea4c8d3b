#!/usr/bin/env bash
# Start Payrail locally and walk one payment end to end.
#
#   scripts/run.sh             # build (release), migrate, start everything, run the demo, keep running until Ctrl-C
#   scripts/run.sh --no-demo   # just start the stack
#   PAYRAIL_BUILD=debug scripts/run.sh   # use the debug build (faster to build, slower to run)
#
# What runs (all local processes on one SQLite file, logs under data/logs/):
#   payrail-sandbox   :8090  the Douyin simulator (stands in for the provider)
#   payrail-ingester  :8081  provider callbacks
#   payrail-worker    :8082  provider calls, confirmation, janitor, merchant webhooks (health/metrics)
#   payrail-gateway   :8080  the merchant API
#   payrail-reconciler:8083  daily reconciliation (health/metrics)
#   webhook receiver  :8099  a small merchant endpoint that verifies webhooks (data/logs/webhooks.log)
# Ctrl-C stops everything gracefully (SIGTERM, then waits).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$PAYRAIL_ROOT"

DEMO=1
for argument in "$@"; do
    case "$argument" in
        --no-demo) DEMO=0 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "unknown argument: $argument (try --help)" >&2; exit 2 ;;
    esac
done

ensure_debian_packages
ensure_python_tools
if [ "${PAYRAIL_BUILD:-release}" = "debug" ]; then
    build_debug
    BIN="$(debug_bin_dir)"
else
    log "building (release, in .build-release; the first build takes about 10 minutes)"
    swift build -c release --scratch-path .build-release
    BIN="$(swift build -c release --scratch-path .build-release --show-bin-path)"
fi
CTL="$BIN/payrailctl"

DATA="$PAYRAIL_ROOT/data"
LOGS="$DATA/logs"
mkdir -p "$LOGS"
export PAYRAIL_DATABASE="${PAYRAIL_DATABASE:-$DATA/payrail.sqlite}"
# Local secrets, made once and kept beside the database (data/ is git-ignored; never commit them).
DEV_ENV="$DATA/dev.env"
if [ ! -f "$DEV_ENV" ]; then
    (umask 077; {
        echo "PAYRAIL_MASTER_KEY=mk1:$(head -c 32 /dev/urandom | base64)"
        echo "PAYRAIL_EVENT_KEYS=ev1:$(head -c 32 /dev/urandom | base64)"
    } > "$DEV_ENV")
fi
set -a; source "$DEV_ENV"; set +a
export PAYRAIL_LOG_FORMAT="${PAYRAIL_LOG_FORMAT:-json}"
export PAYRAIL_DOUYIN_BASE_URL="http://127.0.0.1:8090"
export PAYRAIL_CALLBACK_BASE_URL="http://127.0.0.1:8081"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Migrating $PAYRAIL_DATABASE"
"$CTL" migrate

DEMO_ENV="$DATA/demo.env"
if [ ! -f "$DEMO_ENV" ]; then
    say "Seeding a demo merchant with a Douyin channel account (app tt_demo_app) and an API key"
    merchant_json="$("$CTL" merchant create --name "Demo Shop" --json)"
    merchant_id="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["merchant"]["id"])' <<<"$merchant_json")"
    merchant_secret="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["webhook_secret"])' <<<"$merchant_json")"
    "$CTL" merchant add-channel douyin --merchant "$merchant_id" --app-id tt_demo_app --salt demo_salt \
        --token demo_token --merchant-id 69000000000000 >/dev/null
    api_key="$("$CTL" key create --merchant "$merchant_id" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')"
    (umask 077; printf 'DEMO_MERCHANT=%s\nDEMO_WEBHOOK_SECRET=%s\nDEMO_API_KEY=%s\n' \
        "$merchant_id" "$merchant_secret" "$api_key" > "$DEMO_ENV")
fi
source "$DEMO_ENV"
echo "merchant $DEMO_MERCHANT; API key and webhook secret in data/demo.env"

PIDS=()
stop_all() {
    say "Stopping (SIGTERM to every service, waiting for them to finish)"
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    echo "stopped."
}
trap stop_all EXIT
trap 'exit 0' INT TERM

start() {  # name port health-path command...
    local name=$1 port=$2 path=$3
    shift 3
    if curl -fsS "http://127.0.0.1:$port$path" >/dev/null 2>&1; then
        echo "port $port already answers: is another Payrail stack running? (stop it first)" >&2
        exit 1
    fi
    "$@" >"$LOGS/$name.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 300); do
        curl -fsS "http://127.0.0.1:$port$path" >/dev/null 2>&1 && { echo "  $name  http://127.0.0.1:$port  (log data/logs/$name.log)"; return; }
        kill -0 "${PIDS[-1]}" 2>/dev/null || { echo "$name exited; see data/logs/$name.log" >&2; tail -20 "$LOGS/$name.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "$name did not become ready; see data/logs/$name.log" >&2
    exit 1
}

say "Starting the stack"
cat > "$DATA/sandbox.json" <<JSON
{"apps": [{"app_id": "tt_demo_app", "salt": "demo_salt", "token": "demo_token", "merchant_id": "69000000000000",
           "notify_url": "http://127.0.0.1:8081/callbacks/douyin"}]}
JSON
start sandbox 8090 /healthz "$BIN/payrail-sandbox" --config "$DATA/sandbox.json" --database "$DATA/sandbox.sqlite" \
    --port 8090 --refund-delay 3 --settle-delay 3
start ingester 8081 /readyz "$BIN/payrail-ingester" --port 8081
start worker 8082 /readyz "$BIN/payrail-worker" --port 8082
start gateway 8080 /readyz "$BIN/payrail-gateway" --port 8080
start reconciler 8083 /healthz "$BIN/payrail-reconciler" --port 8083
start webhook-receiver 8099 /healthz "$PAYRAIL_VENV/bin/python" scripts/demo/webhook_receiver.py --port 8099 \
    --secret "$DEMO_WEBHOOK_SECRET" --log "$LOGS/webhooks.log"

if [ "$DEMO" = 1 ]; then
    "$PAYRAIL_VENV/bin/python" scripts/demo/walkthrough.py --gateway http://127.0.0.1:8080 \
        --sandbox http://127.0.0.1:8090 --receiver http://127.0.0.1:8099 --api-key "$DEMO_API_KEY" --ctl "$CTL"
fi

say "Payrail is running"
cat <<TEXT
  merchant API   http://127.0.0.1:8080   (Authorization: Bearer \$DEMO_API_KEY from data/demo.env; see openapi.yaml)
  callbacks      http://127.0.0.1:8081/callbacks/douyin
  worker         http://127.0.0.1:8082/metrics
  reconciler     http://127.0.0.1:8083/metrics
  sandbox        http://127.0.0.1:8090   (the simulated Douyin; GET /sandbox/orders)
  webhooks seen  data/logs/webhooks.log
  status         $CTL status
Press Ctrl-C to stop.
TEXT
wait
