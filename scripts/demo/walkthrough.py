"""The local demo's payment, told step by step: create an order through the merchant API, pay it in the sandbox,
watch the callback and the confirmation turn it paid, see the merchant webhook arrive, refund part of it, settle
with a receiver, reconcile the day, and check the ledger. Every step prints the ids and where to look."""
import argparse
import datetime
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid


def call(method, url, body=None, headers=None, timeout=30):
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def wait_for(what, probe, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.25)
    sys.exit(f"   gave up waiting for {what} after {timeout}s; see data/logs/ and `payrailctl status`")


def step(number, text):
    print(f"\n{number}. {text}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--sandbox", required=True)
    parser.add_argument("--receiver", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--ctl", required=True)
    args = parser.parse_args()
    auth = {"Authorization": f"Bearer {args.api_key}"}

    def api(method, path, body=None, extra=None):
        headers = dict(auth, **(extra or {}))
        if method == "POST":
            headers.setdefault("Idempotency-Key", str(uuid.uuid4()))
        return call(method, args.gateway + path, body, headers)

    number = "demo-" + time.strftime("%Y%m%d%H%M%S")
    step(1, "The merchant creates an order (POST /v1/orders, waiting up to 5 s for the pay parameters)")
    status, order = api("POST", "/v1/orders", {
        "out_order_no": number, "amount": 2376, "currency": "CNY", "subject": "肉夹馍", "body": "经典腊汁肉夹馍",
        "channel": "douyin", "notify_url": args.receiver + "/webhooks/payrail", "expires_in": 900,
    }, {"Prefer": "wait=5"})
    if status not in (201, 202):
        sys.exit(f"   the gateway answered {status}: {order}")
    print(f"   order {order['id']} ({number}), status {order['status']}, HTTP {status}")
    order = wait_for("the pay parameters", lambda: (lambda s, o: o if o.get("pay_params") else None)(
        *api("GET", f"/v1/orders/{order['id']}")))
    print(f"   pay parameters for tt.pay: {json.dumps(order['pay_params'], ensure_ascii=False)}")
    provider_order = order["pay_params"]["order_id"]

    step(2, f"The shopper pays in the sandbox (POST {args.sandbox}/sandbox/orders/{provider_order}/pay)")
    call("POST", f"{args.sandbox}/sandbox/orders/{provider_order}/pay", {"way": 1})
    print("   the sandbox sends a signed callback to the ingester (data/logs/ingester.log)")

    step(3, "The worker confirms the payment with query_order before the order becomes paid")
    paid = wait_for("the order to be paid", lambda: (lambda s, o: o if o["status"] == "paid" else None)(
        *api("GET", f"/v1/orders/{order['id']}")))
    print(f"   order {paid['id']} is {paid['status']}, paid {paid['amount_paid']} fen")

    step(4, "The merchant's webhook receiver gets order.paid, signed per Standard Webhooks")
    seen = wait_for("the order.paid webhook", lambda: [e for e in call("GET", args.receiver + "/events")[1]
                                                       if e["type"] == "order.paid" and e["object"] == order["id"]])
    print(f"   webhook {seen[0]['webhook_id']} verified={seen[0]['verified']} (data/logs/webhooks.log)")

    step(5, "A partial refund of 1000 fen (POST /v1/orders/{id}/refunds); it finishes later, like Douyin's")
    status, refund = api("POST", f"/v1/orders/{order['id']}/refunds",
                         {"out_refund_no": number + "-r1", "amount": 1000, "reason": "one item returned"})
    if status not in (200, 201, 202):
        sys.exit(f"   the gateway answered {status}: {refund}")
    print(f"   refund {refund['id']} accepted, status {refund['status']}")
    refund = wait_for("the refund to succeed", lambda: (lambda s, r: r if r["status"] == "succeeded" else None)(
        *api("GET", f"/v1/refunds/{refund['id']}")))
    status, order = api("GET", f"/v1/orders/{order['id']}")
    print(f"   refund {refund['id']} {refund['status']}; order now {order['status']} (refunded {order['amount_refunded']} fen)")

    step(6, "Settlement with one receiver taking 300 fen (POST /v1/orders/{id}/settlements)")
    status, settlement = api("POST", f"/v1/orders/{order['id']}/settlements", {
        "out_settle_no": number + "-s1", "amount": 1376, "description": "demo split",
        "receivers": [{"account": "69000000000077", "amount": 300}]})
    if status not in (200, 201, 202):
        sys.exit(f"   the gateway answered {status}: {settlement}")
    settlement = wait_for("the settlement to succeed", lambda: (lambda s, x: x if x["status"] == "succeeded" else None)(
        *api("GET", f"/v1/settlements/{settlement['id']}")))
    print(f"   settlement {settlement['id']} {settlement['status']}, {settlement['amount']} fen")

    today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).strftime("%Y-%m-%d")
    step(7, f"Reconcile today's bills (China Standard Time day {today}): payrailctl reconcile --date {today}")
    out = subprocess.run([args.ctl, "reconcile", "--date", today], capture_output=True, text=True)
    print("   " + (out.stdout.strip() or out.stderr.strip()).replace("\n", "\n   "))

    step(8, "The ledger balances: payrailctl ledger check")
    out = subprocess.run([args.ctl, "ledger", "check"], capture_output=True, text=True)
    print("   " + (out.stdout.strip() or out.stderr.strip()).replace("\n", "\n   "))
    print("\nDone. Events the merchant saw: GET /v1/events; the outbox: payrailctl events stats.")


if __name__ == "__main__":
    main()
