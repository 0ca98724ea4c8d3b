#!/usr/bin/env bash
# Build Payrail and show what runs today.
#
# Of the services only payrail-sandbox (the Douyin simulator) exists yet; until the others do, this script
# builds everything, migrates a local database, seeds a demo merchant (with a Douyin channel account and an API
# key), checks the ledger and the outbox, and walks through the signing tools that every service will share: a
# Douyin request sign, a Douyin callback check, and a merchant webhook signed and verified; then it starts the
# sandbox, creates an order there, pays it as the simulated user and queries it, and leaves the sandbox running.
# It says so plainly rather than pretending Payrail itself runs a payment yet.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$PAYRAIL_ROOT"

ensure_debian_packages
build_debug
BIN="$(debug_bin_dir)"
CTL="$BIN/payrailctl"

export PAYRAIL_DATABASE="${PAYRAIL_DATABASE:-$PAYRAIL_ROOT/data/payrail.sqlite}"
mkdir -p "$(dirname "$PAYRAIL_DATABASE")"
# Local secrets for this demo database, made once and kept beside it (never commit them; data/ is ignored).
DEV_ENV="$(dirname "$PAYRAIL_DATABASE")/dev.env"
if [ ! -f "$DEV_ENV" ]; then
    umask 077
    {
        echo "PAYRAIL_MASTER_KEY=mk1:$(head -c 32 /dev/urandom | base64)"
        echo "PAYRAIL_EVENT_KEYS=ev1:$(head -c 32 /dev/urandom | base64)"
    } > "$DEV_ENV"
fi
set -a; source "$DEV_ENV"; set +a

log "migrating $PAYRAIL_DATABASE"
"$CTL" migrate

if "$CTL" merchant list | grep -q "no merchants"; then
    log "seeding a demo merchant with a Douyin channel account and an API key (secrets are shown once)"
    merchant_json="$("$CTL" merchant create --name "Demo Shop" --json)"
    echo "$merchant_json"
    merchant_id="$(printf '%s' "$merchant_json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["merchant"]["id"])')"
    "$CTL" merchant add-channel douyin --merchant "$merchant_id" --app-id tt_demo_app --salt demo_salt \
        --token demo_token --merchant-id 69000000000000
    "$CTL" key create --merchant "$merchant_id"
fi
"$CTL" merchant list
log "ledger invariants over the whole database (payrailctl ledger check)"
"$CTL" ledger check
log "outbox backlog per consumer (payrailctl events stats)"
"$CTL" events stats

log "1. Douyin create_order request, signed with a demo SALT (payrailctl sign douyin --explain)"
"$CTL" sign douyin --salt demo_salt --explain < scripts/demo/douyin-create-order.json

log "2. A Douyin payment callback, verified with its token (payrailctl verify douyin-callback)"
"$CTL" verify douyin-callback --token demo_token < scripts/demo/douyin-payment-callback.json

log "3. The same callback with one byte of msg changed is refused"
sed 's/2376/2377/' scripts/demo/douyin-payment-callback.json \
    | "$CTL" verify douyin-callback --token demo_token || log "   refused, as it must be (exit $?)"

log "4. A merchant webhook signed and verified (Standard Webhooks)"
secret="whsec_$(head -c 32 /dev/urandom | base64)"
now="$(date +%s)"
body='{"type":"order.paid","data":{"id":"ord_demo","amount":2376}}'
signature="$(printf '%s' "$body" | "$CTL" sign webhook --secret "$secret" --id msg_demo --timestamp "$now")"
echo "webhook-signature: $signature"
printf '%s' "$body" | "$CTL" verify webhook --secret "$secret" --id msg_demo --timestamp "$now" \
    --signature "$signature"

log "5. payrail-sandbox (the Douyin simulator) started and a payment walked through it"
SANDBOX_PORT="${PAYRAIL_SANDBOX_PORT:-8090}"
SANDBOX_URL="http://127.0.0.1:$SANDBOX_PORT"
RUN_DIR="$PAYRAIL_ROOT/.run"
mkdir -p "$RUN_DIR"
cat > "$RUN_DIR/sandbox.json" <<JSON
{"apps": [{"app_id": "tt_demo_app", "salt": "demo_salt", "token": "demo_token", "merchant_id": "69000000000000",
           "notify_url": "http://127.0.0.1:8081/callbacks/douyin"}]}
JSON
if ! curl -fsS "$SANDBOX_URL/healthz" >/dev/null 2>&1; then
    nohup "$BIN/payrail-sandbox" --config "$RUN_DIR/sandbox.json" --port "$SANDBOX_PORT" \
        --database "$PAYRAIL_ROOT/data/sandbox.sqlite" > "$RUN_DIR/sandbox.log" 2>&1 &
    echo $! > "$RUN_DIR/sandbox.pid"
    for _ in $(seq 100); do curl -fsS "$SANDBOX_URL/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
fi
curl -fsS "$SANDBOX_URL/healthz" >/dev/null || { log "the sandbox did not start: see .run/sandbox.log"; exit 1; }
signed() {  # a JSON body with app_id and its sign, signed by payrailctl
    local body="$1" sign
    sign="$(printf '%s' "$body" | "$CTL" sign douyin --salt demo_salt)"
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["app_id"]="tt_demo_app"; d["sign"]=sys.argv[2]; print(json.dumps(d, ensure_ascii=False))' "$body" "$sign"
}
out_order_no="demo-$(date +%s)"
created="$(signed "{\"out_order_no\":\"$out_order_no\",\"total_amount\":2376,\"subject\":\"肉夹馍\",\"body\":\"团购\",\"valid_time\":900}" \
    | curl -fsS -H 'Content-Type: application/json' --data-binary @- "$SANDBOX_URL/api/apps/ecpay/v1/create_order")"
echo "create_order: $created"
order_id="$(printf '%s' "$created" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["order_id"])')"
curl -fsS -X POST "$SANDBOX_URL/sandbox/orders/$order_id/pay" >/dev/null
echo "query_order: $(signed "{\"out_order_no\":\"$out_order_no\"}" \
    | curl -fsS -H 'Content-Type: application/json' --data-binary @- "$SANDBOX_URL/api/apps/ecpay/v1/query_order")"

log "done. payrail-sandbox is still running at $SANDBOX_URL (stop it: kill \$(cat .run/sandbox.pid))."
log "Its payment callback goes to http://127.0.0.1:8081/callbacks/douyin, where the ingester will listen once it"
log "exists; until then the sandbox retries it on Douyin's schedule (see GET $SANDBOX_URL/sandbox/callbacks)."
log "The other services arrive with their issues; see README.md for what works today."
