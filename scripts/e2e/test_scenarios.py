"""End-to-end scenarios on the real executables (issue 10): the merchant drives the gateway over HTTP, the sandbox
plays Douyin and the shopper, the ingester takes its callbacks, worker replicas move the money and send webhooks
that a merchant endpoint verifies with `standardwebhooks`; outcomes are checked through the API, the database and
`payrailctl ledger check`. Each test starts from a fresh data folder on free ports and cleans up."""
import datetime
import json
import os
import random
import sqlite3
import threading
import time
import uuid

import pytest

from stack import (EVENT_KEYS, Stack, WebhookReceiver, ledger_clean, post_json, start_payrail, wait_until)

TIME_SCALE = "0.02"


@pytest.fixture()
def stack(tmp_path, ctl):
    stack = Stack(tmp_path, ctl)
    yield stack
    stack.stop_all()


@pytest.fixture()
def receiver(stack):
    receiver = WebhookReceiver(stack.merchant_secret)
    yield receiver
    receiver.close()


def create_order(api, receiver, amount, number=None, wait=True):
    status, order = api.post("/v1/orders", {
        "out_order_no": number or f"o-{uuid.uuid4().hex[:20]}", "amount": amount, "currency": "CNY",
        "subject": "Tea", "body": "Oolong", "channel": "douyin", "notify_url": receiver.url,
    }, {"Prefer": "wait=10"} if wait else None)
    assert status in (201, 202), order
    return order


def order_with_pay_params(api, order):
    return wait_until(lambda: (lambda s, o: o if o.get("pay_params") else None)(*api.get(f"/v1/orders/{order['id']}")),
                      timeout=60, what=f"pay params of {order['id']}")


def pay(api, sandbox, order):
    order = order_with_pay_params(api, order)
    status, answer = post_json(f"{sandbox.url}/sandbox/orders/{order['pay_params']['order_id']}/pay", {"way": 1})
    assert status == 200, answer
    return order


def wait_status(api, path, *statuses, timeout=90):
    return wait_until(lambda: (lambda s, o: o if o.get("status") in statuses else None)(*api.get(path)),
                      timeout=timeout, what=f"{path} to become {statuses}")


def reconcile(stack, sandbox):
    """`payrailctl reconcile` for today's China Standard Time bills, downloaded from the sandbox; the runs' JSON."""
    today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).strftime("%Y-%m-%d")
    proc = stack.ctl("reconcile", "--database", stack.database, "--date", today, "--json", "--quiet",
                     "--data-dir", str(stack.dir), env=dict(stack.env, PAYRAIL_DOUYIN_BASE_URL=sandbox.url))
    assert proc.returncode == 0, proc.stderr_text
    return json.loads(proc.stdout_text)["runs"]


def events_of(stack, type_, aggregate):
    return stack.query("SELECT id FROM event WHERE type = ? AND aggregate = ?", type_, aggregate)


def test_happy_path_pay_webhook_partial_and_full_refund_settle(stack, receiver):
    api, sandbox, *_ = start_payrail(stack, time_scale=TIME_SCALE)
    first = pay(api, sandbox, create_order(api, receiver, 3000))
    wait_status(api, f"/v1/orders/{first['id']}", "paid")
    wait_until(lambda: receiver.events("order.paid", first["id"]), what="the order.paid webhook")

    status, partial = api.post(f"/v1/orders/{first['id']}/refunds",
                               {"out_refund_no": "r-" + first["id"][-10:], "amount": 1000, "reason": "one cup broke"})
    assert status in (200, 201), partial
    wait_status(api, f"/v1/refunds/{partial['id']}", "succeeded")
    assert wait_status(api, f"/v1/orders/{first['id']}", "partially_refunded")["amount_refunded"] == 1000
    status, too_much = api.post(f"/v1/orders/{first['id']}/refunds",
                                {"out_refund_no": "r2-" + first["id"][-10:], "amount": 2001, "reason": "x"})
    assert status == 400 and too_much["error"]["code"] == "refund_exceeds_refundable", too_much
    status, rest = api.post(f"/v1/orders/{first['id']}/refunds",
                            {"out_refund_no": "r3-" + first["id"][-10:], "amount": 2000, "reason": "all of it"})
    assert status in (200, 201), rest
    wait_status(api, f"/v1/refunds/{rest['id']}", "succeeded")
    assert wait_status(api, f"/v1/orders/{first['id']}", "refunded")["amount_refunded"] == 3000

    second = pay(api, sandbox, create_order(api, receiver, 2000))
    wait_status(api, f"/v1/orders/{second['id']}", "paid")
    status, settlement = api.post(f"/v1/orders/{second['id']}/settlements", {
        "out_settle_no": "s-" + second["id"][-10:], "amount": 2000, "description": "split",
        "receivers": [{"account": "7000000099", "amount": 500}]})
    assert status in (200, 201), settlement
    settled = wait_status(api, f"/v1/settlements/{settlement['id']}", "succeeded")
    assert settled["amount"] == 2000

    for type_, object_id in [("order.paid", first["id"]), ("order.partially_refunded", first["id"]),
                             ("order.refunded", first["id"]), ("refund.succeeded", partial["id"]),
                             ("refund.succeeded", rest["id"]), ("order.paid", second["id"]),
                             ("settlement.succeeded", settlement["id"])]:
        wait_until(lambda: receiver.events(type_, object_id), what=f"the {type_} webhook for {object_id}")
    assert receiver.forged == []
    status, log = api.get("/v1/events?limit=100")
    assert status == 200 and {"order.paid", "refund.succeeded", "settlement.succeeded"} <= {e["type"] for e in log["data"]}
    clean, report = ledger_clean(stack)
    assert clean, report
    runs = reconcile(stack, sandbox)
    assert [(r["differences"], r["lines"]) for r in runs] == [(0, 5)], runs  # 2 payments, 2 refunds, 1 settlement
    status, listed = api.get("/v1/reconciliations")
    assert status == 200 and [r["id"] for r in listed["data"]] == [runs[0]["id"]]


def test_duplicate_delayed_dropped_and_reordered_callbacks_make_one_transition_each(stack, receiver):
    api, sandbox, *_ = start_payrail(stack, time_scale=TIME_SCALE)
    orders = []
    # Each fault hits the next two callbacks (faults decided at a callback's creation stack, so one at a time).
    for fault in [{"kind": "duplicate_callback", "times": 2, "count": 2}, {"kind": "delay_callback", "seconds": 60, "count": 2},
                  {"kind": "drop_callback", "count": 2}, {"kind": "reorder_callback", "count": 2}]:
        assert post_json(sandbox.url + "/sandbox/faults", fault)[0] == 201
        orders += [pay(api, sandbox, create_order(api, receiver, 100 + len(orders))) for _ in range(2)]
    orders += [pay(api, sandbox, create_order(api, receiver, 100 + len(orders))) for _ in range(2)]
    for order in orders:
        wait_status(api, f"/v1/orders/{order['id']}", "paid")
    for order in orders:
        assert len(events_of(stack, "order.paid", order["id"])) == 1, f"{order['id']} paid more than once"
        wait_until(lambda: receiver.events("order.paid", order["id"]), what=f"order.paid webhook of {order['id']}")
    wait_until(lambda: stack.query("SELECT COUNT(*) FROM callback_record WHERE original_id IS NOT NULL")[0][0] >= 2,
               what="the duplicated callbacks to be recorded as repeats")
    for order in orders:
        assert len(events_of(stack, "order.paid", order["id"])) == 1, f"{order['id']} paid more than once"
    clean, report = ledger_clean(stack)
    assert clean, report


def test_provider_errors_and_throttling_still_reach_a_final_state(stack, receiver):
    api, sandbox, *_ = start_payrail(stack, time_scale=TIME_SCALE)
    for fault in [{"kind": "error_1000", "endpoints": ["create_order"], "after_effect": True, "count": 3},
                  {"kind": "http_5xx", "endpoints": ["query_order", "create_refund"], "count": 4},
                  {"kind": "error_1001", "endpoints": ["query_order", "query_refund"], "count": 4},
                  {"kind": "throttle", "limits": {"query_order": 5, "create_refund": 2}}]:
        assert post_json(sandbox.url + "/sandbox/faults", fault)[0] == 201
    orders = [pay(api, sandbox, create_order(api, receiver, 500 + i, wait=False)) for i in range(8)]
    refunds = []
    for order in orders:
        wait_status(api, f"/v1/orders/{order['id']}", "paid")
    for order in orders[:4]:
        status, refund = api.post(f"/v1/orders/{order['id']}/refunds",
                                  {"out_refund_no": "r-" + order["id"][-12:], "amount": 100, "reason": "x"})
        assert status in (200, 201), refund
        refunds.append(refund)
    for refund in refunds:
        wait_status(api, f"/v1/refunds/{refund['id']}", "succeeded")
    for order in orders:
        assert len(events_of(stack, "order.paid", order["id"])) == 1
    clean, report = ledger_clean(stack)
    assert clean, report


def test_forged_callbacks_and_tampered_events_are_refused_and_nothing_runs(stack, receiver):
    api, sandbox, ingester, workers, *_ = start_payrail(stack, time_scale=TIME_SCALE)
    order = order_with_pay_params(api, create_order(api, receiver, 990))
    forged = json.dumps({"timestamp": "1", "nonce": "2", "type": "payment", "msg_signature": "0" * 40,
                         "msg": json.dumps({"appid": "tt_e2e_stack", "cp_orderno": order["id"],
                                            "total_amount": 990, "status": "SUCCESS"})}).encode()
    status, answer = post_json(ingester.url + "/callbacks/douyin", forged)
    assert status == 401 and answer["err_no"] != 0
    # A tampered internal event: a callback.received claiming the payment, signed with a key nobody holds.
    payload = json.dumps({"callback_id": "cbk_forged", "provider": "douyin", "channel_account_id": stack.channel_id,
                          "merchant_id": stack.merchant_id, "app_id": "tt_e2e_stack", "kind": "payment",
                          "number": order["id"], "status": "paid", "amount": 990, "currency": "CNY"})
    now = int(time.time() * 1000)
    with sqlite3.connect(stack.database, timeout=30, isolation_level=None) as db:
        db.execute("BEGIN IMMEDIATE")
        seq = db.execute("""INSERT INTO event (id, type, aggregate, payload, occurred_at, producer, key_id, signature)
                            VALUES (?, 'callback.received', ?, ?, ?, 'attacker', ?, 'AAAA')""",
                         (str(uuid.uuid4()), order["id"], payload, now, EVENT_KEYS.split(":")[0])).lastrowid
        db.execute("""INSERT INTO delivery (event_seq, consumer, aggregate, state, attempts, available_at, created_at,
                      updated_at) VALUES (?, 'worker.provider', ?, 'pending', 0, ?, ?, ?)""", (seq, order["id"], now, now, now))
        db.execute("COMMIT")
    dead = wait_until(lambda: stack.query("SELECT last_error FROM delivery WHERE event_seq = ? AND state = 'dead'", seq),
                      what="the tampered event to be quarantined")
    assert dead[0][0].startswith("quarantined")
    time.sleep(1)
    assert api.get(f"/v1/orders/{order['id']}")[1]["status"] == "awaiting_payment"
    assert stack.query("SELECT COUNT(*) FROM callback_record") == [(0,)]
    assert stack.query("SELECT COUNT(*) FROM ledger_transaction") == [(0,)]


def test_chaos_a_worker_killed_at_random_moments_loses_nothing(stack, receiver):
    payments = int(os.environ.get("E2E_CHAOS_PAYMENTS", "500"))
    api, sandbox, ingester, workers, gateway, start_worker = start_payrail(
        stack, workers=2, time_scale=TIME_SCALE, sandbox_args=("--auto-pay", "1"))
    stop, kills = threading.Event(), []

    def chaos():
        victim = workers[0]
        while not stop.wait(random.uniform(0.5, 2.0)):
            victim.kill()
            kills.append(time.time())
            victim = start_worker()

    killer = threading.Thread(target=chaos, daemon=True)
    killer.start()
    orders = []
    for i in range(payments):
        orders.append(create_order(api, receiver, 100 + i % 900, wait=False)["id"])
    try:
        wait_until(lambda: stack.query("SELECT COUNT(*) FROM orders WHERE status = 'paid'")[0][0] == payments,
                   timeout=600, interval=0.5, what=f"all {payments} payments to be paid")
    finally:
        stop.set()
        killer.join(timeout=30)
    assert len(kills) >= 3, "the chaos thread killed a worker several times"
    for order_id in random.sample(orders, 20):
        assert len(events_of(stack, "order.paid", order_id)) == 1
    visible = {row[0] for row in stack.query("SELECT event_id FROM merchant_event")}
    wait_until(lambda: visible <= set(receiver.verified), timeout=300, interval=0.5,
               what="every merchant event to be delivered at least once")
    assert receiver.forged == []
    clean, report = ledger_clean(stack)
    assert clean, report


def test_graceful_shutdown_with_work_in_flight_loses_nothing(stack, receiver):
    api, sandbox, ingester, workers, gateway, start_worker = start_payrail(
        stack, workers=1, time_scale=TIME_SCALE, sandbox_args=("--auto-pay", "1"))
    orders = [create_order(api, receiver, 700 + i, wait=False)["id"] for i in range(60)]
    time.sleep(0.5)
    assert workers[0].stop(timeout=30) == 0, "SIGTERM: the worker finishes or releases its work and exits 0"
    start_worker()
    for order_id in orders:
        wait_status(api, f"/v1/orders/{order_id}", "paid", timeout=120)
    visible = {row[0] for row in stack.query("SELECT event_id FROM merchant_event")}
    wait_until(lambda: visible <= set(receiver.verified), timeout=120, what="every merchant event delivered")
    clean, report = ledger_clean(stack)
    assert clean, report


def test_reconciliation_finds_every_planted_discrepancy_and_heals_what_a_query_can(stack, receiver):
    api, sandbox, *_ = start_payrail(stack, time_scale=TIME_SCALE)
    orders = [pay(api, sandbox, create_order(api, receiver, 1000 * (i + 1), number=f"rec-{i}")) for i in range(4)]
    for order in orders:
        wait_status(api, f"/v1/orders/{order['id']}", "paid")
    status, refund = api.post(f"/v1/orders/{orders[3]['id']}/refunds",
                              {"out_refund_no": "rec-r3", "amount": 400, "reason": "x"})
    assert status in (200, 201), refund
    wait_status(api, f"/v1/refunds/{refund['id']}", "succeeded")
    for discrepancy in [{"kind": "wrong_amount", "bill_type": "payment", "number": "rec-0", "amount_delta": -7},
                        {"kind": "wrong_status", "bill_type": "payment", "number": "rec-1"},
                        {"kind": "missing_line", "bill_type": "payment", "number": "rec-2"},
                        {"kind": "extra_line", "bill_type": "payment", "number": "rec-ghost", "amount": 555},
                        {"kind": "missing_line", "bill_type": "refund", "number": "rec-r3"}]:
        status, answer = post_json(sandbox.url + "/sandbox/bills/discrepancies", dict(discrepancy, app_id="tt_e2e_stack"))
        assert status == 201, answer
    runs = reconcile(stack, sandbox)
    assert len(runs) == 1
    found = sorted((d["bill_type"], d["class"], d["number"]) for d in runs[0]["difference_list"])
    assert found == sorted([("payment", "amount_mismatch", "rec-0"), ("payment", "status_mismatch", "rec-1"),
                            ("payment", "missing_at_provider", "rec-2"), ("payment", "missing_in_payrail", "rec-ghost"),
                            ("refund", "missing_at_provider", "rec-r3")]), found
    # The healable one with a Payrail object (the status mismatch) is queried by the worker through the outbox.
    queried = stack.query("SELECT payload FROM event WHERE type = 'provider.query_requested'")
    assert [json.loads(p[0])["object_id"] for p in queried] == [orders[1]["id"]]
    wait_until(lambda: stack.query("""SELECT d.state FROM delivery d JOIN event e ON e.seq = d.event_seq
                                      WHERE e.type = 'provider.query_requested' AND d.consumer = 'worker.provider'""")
               == [("done",)], what="the worker to run the reconciliation's query")
    # Re-running supersedes: the same differences, not duplicated; the merchant was told once per run.
    again = reconcile(stack, sandbox)
    assert again[0]["differences"] == 5
    assert stack.query("SELECT COUNT(*) FROM reconciliation_difference") == [(5,)]
    assert stack.query("SELECT status, COUNT(*) FROM reconciliation_run GROUP BY status ORDER BY status") == [
        ("current", 1), ("superseded", 1)]
    assert len(stack.query("SELECT event_id FROM merchant_event WHERE type = 'reconciliation.completed'")) == 2
