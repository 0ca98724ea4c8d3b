#!/usr/bin/env bash
# Build Payrail and show what runs today.
#
# The services (gateway, ingester, worker, reconciler, sandbox) do not exist yet; until they do, this script
# builds everything, migrates a local database, seeds a demo merchant (with a Douyin channel account and an API
# key), checks the ledger and the outbox, and walks through the signing tools that every service will share: a
# Douyin request sign, a Douyin callback check, and a merchant webhook signed and verified. It says so plainly
# rather than pretending to run a payment.
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

log "done. The services arrive with their issues; see README.md for what works today."
