#!/usr/bin/env bash
# Build Payrail and show what runs today.
#
# The services (gateway, ingester, worker, reconciler, sandbox) do not exist yet; until they do, this script
# builds everything, migrates a local database (when the store is present) and walks through the signing tools
# that every service will share: a Douyin request sign, a Douyin callback check, and a merchant webhook signed and
# verified. It says so plainly rather than pretending to run a payment.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$PAYRAIL_ROOT"

ensure_debian_packages
build_debug
BIN="$(debug_bin_dir)"
CTL="$BIN/payrailctl"

if "$CTL" migrate --help >/dev/null 2>&1; then
    export PAYRAIL_DATABASE="${PAYRAIL_DATABASE:-$PAYRAIL_ROOT/data/payrail.sqlite}"
    mkdir -p "$(dirname "$PAYRAIL_DATABASE")"
    log "migrating $PAYRAIL_DATABASE"
    "$CTL" migrate
fi

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
