"""payrail-worker as real processes: two replicas and payrail-sandbox on one SQLite file, orders paid at the
sandbox and found by the janitor (no ingester runs, so no callback reaches the worker), webhooks to a local
merchant endpoint that refuses each message once and verifies every delivery with the `standardwebhooks` package.
One replica is killed with SIGKILL mid-work; the other finishes everything exactly once and exits 0 on SIGTERM."""
import base64
import hashlib
import hmac
import http.server
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.request
import uuid

import pytest
from standardwebhooks.webhooks import Webhook

from conftest import _bin_dir

APP = {"app_id": "tt_e2e_worker", "salt": "e2e_worker_salt", "token": "e2e_worker_token", "merchant_id": "7000000011"}
EVENT_KEY = ("e2e", os.urandom(32))
MASTER_KEY = "m1:" + base64.b64encode(os.urandom(32)).decode()
CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what, probe, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


class MerchantEndpoint:
    """Webhook receiver: refuses the first attempt of every message with 503, verifies every body with
    standardwebhooks; also acknowledges provider callbacks (and drops them: no ingester in this test)."""

    def __init__(self):
        self.secret = None
        self.attempts, self.verified, self.failures, self.lock = {}, {}, [], threading.Lock()
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path.startswith("/callbacks/"):
                    answer, status = b'{"err_no":0,"err_tips":"success"}', 200
                else:
                    status = endpoint.webhook(body, {k.lower(): v for k, v in self.headers.items()})
                    answer = b""
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def webhook(self, body, headers):
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except Exception as error:  # a bad signature is a test failure, recorded and refused
            with self.lock:
                self.failures.append(repr(error))
            return 400
        message = headers["webhook-id"]
        with self.lock:
            self.attempts[message] = self.attempts.get(message, 0) + 1
            if self.attempts[message] == 1:
                return 503
            self.verified[message] = payload
        return 200


def _event_signature(fields):
    key_id, secret = EVENT_KEY
    out = b"payrail-event-v1\n"
    for value in [key_id.encode(), *[str(f).encode() if not isinstance(f, bytes) else f for f in fields]]:
        out += str(len(value)).encode() + b":" + value + b"\n"
    return base64.b64encode(hmac.new(secret, out, hashlib.sha256).digest()).decode()


def _insert_order(db_path, merchant, account, amount, notify_url):
    """The order row, its signed `order.created` event and the merchant event log in one transaction, with outbox
    deliveries to both worker groups but no webhook deliveries: what producers wrote before webhook deliveries were
    written with the event (`MerchantEventLog.record`). The worker's `worker.webhooks` fan-out still turns such an
    event into webhook deliveries, which keeps that path exercised."""
    now = int(time.time() * 1000)
    order_id = "ord_" + "".join(random.choice(CROCKFORD) for _ in range(26))
    event_id = str(uuid.uuid4())
    payload = json.dumps({"object": "order", "id": order_id, "amount": amount}, separators=(",", ":"))
    signature = _event_signature([event_id, "order.created", order_id, now, "e2e", payload.encode()])
    connection = sqlite3.connect(db_path, timeout=30, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            """INSERT INTO orders (id, merchant_id, channel_account_id, out_order_no, amount, currency, status, subject,
               notify_url, expires_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'CNY', 'created', 'e2e item', ?, ?, ?, ?)""",
            (order_id, merchant, account, "E2E-" + order_id[-8:], amount, notify_url, now + 7_200_000, now, now))
        cursor = connection.execute(
            """INSERT INTO event (id, type, aggregate, payload, occurred_at, producer, key_id, signature)
               VALUES (?, 'order.created', ?, ?, ?, 'e2e', ?, ?)""",
            (event_id, order_id, payload, now, EVENT_KEY[0], signature))
        for consumer in ("worker.provider", "worker.webhooks"):
            connection.execute(
                """INSERT INTO delivery (event_seq, consumer, aggregate, state, attempts, available_at, created_at,
                   updated_at) VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)""",
                (cursor.lastrowid, consumer, order_id, now, now, now))
        connection.execute(
            "INSERT INTO merchant_event (event_id, merchant_id, type, object_id, occurred_at) VALUES (?, ?, 'order.created', ?, ?)",
            (event_id, merchant, order_id, now))
        connection.execute("COMMIT")
    finally:
        connection.close()
    return order_id


def _query(db_path, sql, args=()):
    connection = sqlite3.connect(db_path, timeout=30)
    try:
        return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


@pytest.fixture()
def stack(ctl, tmp_path):
    env = dict(os.environ, PAYRAIL_MASTER_KEY=MASTER_KEY,
               PAYRAIL_EVENT_KEYS=f"{EVENT_KEY[0]}:" + base64.b64encode(EVENT_KEY[1]).decode())
    db = str(tmp_path / "payrail.sqlite")
    assert ctl("migrate", "--database", db, env=env).returncode == 0
    created = ctl("merchant", "create", "--database", db, "--name", "E2E shop", "--json", env=env)
    assert created.returncode == 0, created.stderr_text
    merchant = json.loads(created.stdout_text)
    added = ctl("merchant", "add-channel", "douyin", "--database", db, "--merchant", merchant["merchant"]["id"],
                "--app-id", APP["app_id"], "--salt", APP["salt"], "--token", APP["token"],
                "--merchant-id", APP["merchant_id"], "--json", env=env)
    assert added.returncode == 0, added.stderr_text
    account = json.loads(added.stdout_text)["id"]

    endpoint = MerchantEndpoint()
    endpoint.secret = merchant["webhook_secret"]
    config = tmp_path / "sandbox.json"
    config.write_text(json.dumps({"apps": [dict(APP, notify_url=endpoint.base + "/callbacks/douyin")]}))
    sandbox_port = _free_port()
    processes = []
    sandbox = subprocess.Popen(
        [str(_bin_dir() / "payrail-sandbox"), "--config", str(config), "--port", str(sandbox_port),
         "--database", str(tmp_path / "sandbox.sqlite"), "--time-scale", "0.01", "--log-level", "error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    processes.append(sandbox)
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    _wait("the sandbox", lambda: _try(lambda: _get(sandbox_url + "/healthz")))

    worker_env = dict(env, PAYRAIL_DATABASE=db, PAYRAIL_DOUYIN_BASE_URL=sandbox_url,
                      PAYRAIL_CALLBACK_BASE_URL=endpoint.base, PAYRAIL_WORKER_TIME_SCALE="0.01",
                      PAYRAIL_DOUYIN_TIMEOUT="3", PAYRAIL_WORKER_LEASE="6", PAYRAIL_WORKER_WEBHOOK_TIMEOUT="2",
                      PAYRAIL_LOG_LEVEL="error")

    def start_worker():
        port = _free_port()
        proc = subprocess.Popen([str(_bin_dir() / "payrail-worker"), "--port", str(port)], env=worker_env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        processes.append(proc)
        _wait("a worker", lambda: proc.poll() is None and _try(lambda: _get(f"http://127.0.0.1:{port}/readyz")))
        return proc, f"http://127.0.0.1:{port}"

    yield {"db": db, "merchant": merchant["merchant"]["id"], "account": account, "endpoint": endpoint,
           "sandbox": sandbox_url, "start_worker": start_worker}
    for proc in processes:
        if proc.poll() is None:
            proc.kill()
    endpoint.server.shutdown()


def _try(call):
    try:
        return call()
    except OSError:
        return None


def test_two_replicas_one_killed_every_payment_and_webhook_once(stack):
    db, endpoint = stack["db"], stack["endpoint"]
    doomed, _ = stack["start_worker"]()
    survivor, survivor_url = stack["start_worker"]()
    orders = [_insert_order(db, stack["merchant"], stack["account"], 100 + i, endpoint.base + "/hooks/notify")
              for i in range(12)]

    _wait("work under way", lambda: _query(db, "SELECT COUNT(*) FROM orders WHERE status = 'awaiting_payment'")[0][0])
    doomed.send_signal(signal.SIGKILL)
    assert doomed.wait(timeout=10) == -signal.SIGKILL

    for order in orders:
        provider_id = _wait(f"{order} awaiting payment", lambda: _query(
            db, "SELECT provider_order_id FROM orders WHERE id = ? AND status = 'awaiting_payment'", (order,)))[0][0]
        request = urllib.request.Request(stack["sandbox"] + f"/sandbox/orders/{provider_id}/pay", data=b'{"way":1}',
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=10).read()
    for order in orders:
        _wait(f"{order} paid by the janitor", lambda: _query(
            db, "SELECT 1 FROM orders WHERE id = ? AND status = 'paid'", (order,)))
        assert _query(db, "SELECT COUNT(*) FROM event WHERE type = 'order.paid' AND aggregate = ?", (order,))[0][0] == 1

    # Every order's created, awaiting_payment and paid webhooks: refused once, then delivered and verified.
    _wait("every webhook verified", lambda: len(endpoint.verified) == 3 * len(orders))
    assert not endpoint.failures, endpoint.failures
    types = sorted(payload["type"] for payload in endpoint.verified.values())
    assert types == sorted(["order.created", "order.awaiting_payment", "order.paid"] * len(orders))
    for payload in endpoint.verified.values():
        assert payload["data"]["id"] in orders and payload["data"]["object"] == "order"
    assert all(count >= 2 for count in endpoint.attempts.values())
    # Attempts are recorded after the POST: one the killed replica made may be missing, never one invented.
    recorded_refusals = _query(db, "SELECT COUNT(*) FROM webhook_attempt WHERE status_code = 503")[0][0]
    assert 0 < recorded_refusals <= len(endpoint.attempts)

    status, metrics = _get(survivor_url + "/metrics")
    assert status == 200 and "payrail_worker_handled_total" in metrics

    survivor.terminate()
    assert survivor.wait(timeout=30) == 0, "graceful shutdown on SIGTERM exits 0"
