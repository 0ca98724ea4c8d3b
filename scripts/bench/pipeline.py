"""Payment pipeline benchmark (not a test): payrail-sandbox + N payrail-worker processes on one SQLite file, a
stand-in ingester (provider callback -> signed `callback.received` event, as payrail-ingester does) and a merchant
webhook endpoint, all local.

Phase 1, throughput: ORDERS orders inserted at once (order row + signed `order.created`, as the gateway does);
the sandbox pays each one right after creation (--auto-pay); figure = orders / seconds from insertion until the
last `order.paid` webhook arrived (order.created -> create_order -> callback -> query -> paid -> webhook).
Phase 2, latency: orders awaiting payment are paid at RATE/s through the sandbox; per order, time from the
callback reaching the ingester to the `order.paid` webhook reaching the merchant; p50 and p99.
"""
import base64
import hashlib
import hmac
import http.server
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

BIN = sys.argv[1]
WORK = sys.argv[2]
REPLICAS = int(os.environ.get("REPLICAS", "1"))
ORDERS = int(os.environ.get("ORDERS", "300"))
RATE = float(os.environ.get("RATE", "200"))
LATENCY_ORDERS = int(os.environ.get("LATENCY_ORDERS", "1000"))
APP = {"app_id": "tt_bench", "salt": "bench_salt", "token": "bench_token", "merchant_id": "7000000033"}
KEY = ("bench", os.urandom(32))
CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(probe, timeout=600):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise SystemExit("timed out")


def sign(fields):
    out = b"payrail-event-v1\n"
    for value in [KEY[0].encode()] + [f if isinstance(f, bytes) else str(f).encode() for f in fields]:
        out += str(len(value)).encode() + b":" + value + b"\n"
    return base64.b64encode(hmac.new(KEY[1], out, hashlib.sha256).digest()).decode()


def wake(database):
    """What Payrail's outbox does after a commit: one byte written to `<database>.wake`, which consumer runners in
    other processes watch with inotify (without it they would only notice on their 1 s fallback poll)."""
    with open(database + ".wake", "r+b" if os.path.exists(database + ".wake") else "wb") as f:
        f.write(b"w")


def append(connection, type_, aggregate, payload, consumers, now):
    event_id = str(uuid.uuid4())
    signature = sign([event_id, type_, aggregate, now, "bench", payload.encode()])
    seq = connection.execute(
        "INSERT INTO event (id, type, aggregate, payload, occurred_at, producer, key_id, signature) VALUES (?,?,?,?,?,?,?,?)",
        (event_id, type_, aggregate, payload, now, "bench", KEY[0], signature)).lastrowid
    for consumer in consumers:
        connection.execute(
            "INSERT INTO delivery (event_seq, consumer, aggregate, state, attempts, available_at, created_at, updated_at)"
            " VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)", (seq, consumer, aggregate, now, now, now))
    return event_id


def connect(db):
    connection = sqlite3.connect(db, timeout=60, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA busy_timeout = 60000")
    return connection


class Site:
    """The ingester stand-in and the merchant endpoint."""

    def __init__(self, db, merchant, account):
        self.db, self.merchant, self.account = db, merchant, account
        self.lock = threading.Lock()
        self.callback_at, self.paid_at = {}, {}
        self.connection = connect(db)
        self.db = db
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                answer = b""
                if self.path.startswith("/callbacks/"):
                    site.ingest(body)
                    answer = b'{"err_no":0,"err_tips":"success"}'
                else:
                    event = json.loads(body)
                    if event["type"] == "order.paid":
                        with site.lock:
                            site.paid_at.setdefault(event["data"]["id"], time.time())
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.handle_error = lambda *args: None  # a client that gave up (timeout) is not news here
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ingest(self, body):
        envelope = json.loads(body)
        if envelope.get("type") != "payment":
            return
        msg = json.loads(envelope["msg"])
        number = msg["cp_orderno"]
        arrived = time.time()
        payload = json.dumps({
            "callback_id": "cbk_" + uuid.uuid4().hex, "provider": "douyin", "channel_account_id": self.account,
            "merchant_id": self.merchant, "app_id": msg.get("appid", APP["app_id"]), "kind": "payment",
            "number": number, "provider_id": msg.get("order_id"), "status": "paid",
            "amount": msg.get("total_amount"), "currency": "CNY"}, separators=(",", ":"))
        with self.lock:
            self.callback_at.setdefault(number, arrived)
            now = int(arrived * 1000)
            self.connection.execute("BEGIN IMMEDIATE")
            append(self.connection, "callback.received", "cbk:" + number, payload, ["worker.provider"], now)
            self.connection.execute("COMMIT")
            wake(self.db)


def insert_orders(db, merchant, account, count, notify):
    connection = connect(db)
    now = int(time.time() * 1000)
    ids = []
    connection.execute("BEGIN IMMEDIATE")
    for i in range(count):
        order_id = "ord_" + "".join(random.choice(CROCKFORD) for _ in range(26))
        connection.execute(
            "INSERT INTO orders (id, merchant_id, channel_account_id, out_order_no, amount, currency, status, subject,"
            " notify_url, expires_at, created_at, updated_at) VALUES (?,?,?,?,?, 'CNY', 'created', 'bench', ?,?,?,?)",
            (order_id, merchant, account, "B-" + order_id[-12:], 100 + i, notify, now + 7_200_000, now, now))
        payload = json.dumps({"object": "order", "id": order_id}, separators=(",", ":"))
        event_id = append(connection, "order.created", order_id, payload, ["worker.provider", "worker.webhooks"], now)
        connection.execute(
            "INSERT INTO merchant_event (event_id, merchant_id, type, object_id, occurred_at) VALUES (?,?,?,?,?)",
            (event_id, merchant, "order.created", order_id, now))
        ids.append(order_id)
    connection.execute("COMMIT")
    connection.close()
    wake(db)
    return ids


def run(cmd, env):
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return out.stdout


def stack(phase, auto_pay):
    folder = os.path.join(WORK, f"{phase}-{REPLICAS}-{int(time.time())}")
    os.makedirs(folder)
    db = os.path.join(folder, "payrail.sqlite")
    env = dict(os.environ, PAYRAIL_MASTER_KEY="m1:" + base64.b64encode(os.urandom(32)).decode(),
               PAYRAIL_EVENT_KEYS=f"{KEY[0]}:" + base64.b64encode(KEY[1]).decode(), PAYRAIL_LOG_LEVEL="error")
    ctl = os.path.join(BIN, "payrailctl")
    run([ctl, "migrate", "--database", db], env)
    merchant = json.loads(run([ctl, "merchant", "create", "--database", db, "--name", "Bench", "--json"], env))
    account = json.loads(run([ctl, "merchant", "add-channel", "douyin", "--database", db, "--merchant",
                              merchant["merchant"]["id"], "--app-id", APP["app_id"], "--salt", APP["salt"], "--token",
                              APP["token"], "--merchant-id", APP["merchant_id"], "--json"], env))["id"]
    site = Site(db, merchant["merchant"]["id"], account)
    config = os.path.join(folder, "sandbox.json")
    with open(config, "w") as handle:
        json.dump({"apps": [dict(APP, notify_url=site.base + "/callbacks/douyin")]}, handle)
    port = free_port()
    args = [os.path.join(BIN, "payrail-sandbox"), "--config", config, "--port", str(port), "--database",
            os.path.join(folder, "sandbox.sqlite"), "--log-level", "error"]
    if auto_pay:
        args += ["--auto-pay", "0.01"]
    processes = [subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    sandbox = f"http://127.0.0.1:{port}"
    wait(lambda: try_get(sandbox + "/healthz"))
    # Janitor polls 100x later than in production, so every payment in the figures came through its callback.
    worker_env = dict(env, PAYRAIL_DATABASE=db, PAYRAIL_DOUYIN_BASE_URL=sandbox, PAYRAIL_CALLBACK_BASE_URL=site.base,
                      PAYRAIL_WORKER_TIME_SCALE="100")
    for _ in range(REPLICAS):
        wport = free_port()
        processes.append(subprocess.Popen([os.path.join(BIN, "payrail-worker"), "--port", str(wport)],
                                          env=worker_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait(lambda: try_get(f"http://127.0.0.1:{wport}/readyz"))
    return db, site, sandbox, processes, merchant["merchant"]["id"], account


def try_get(url):
    try:
        return urllib.request.urlopen(url, timeout=2).status == 200
    except OSError:
        return False


def throughput():
    db, site, _, processes, merchant, account = stack("throughput", auto_pay=True)
    try:
        start = time.time()
        ids = insert_orders(db, merchant, account, ORDERS, site.base + "/hooks/notify")
        wait(lambda: len(site.paid_at) >= len(ids))
        elapsed = max(site.paid_at.values()) - start
        print(f"throughput, {REPLICAS} replica(s): {len(ids)} orders order.created -> order.paid webhook in "
              f"{elapsed:.1f} s = {len(ids) / elapsed:.1f} payments/s")
    finally:
        for proc in processes:
            proc.kill()


def latency():
    db, site, sandbox, processes, merchant, account = stack("latency", auto_pay=False)
    try:
        ids = insert_orders(db, merchant, account, LATENCY_ORDERS, site.base + "/hooks/notify")
        connection = connect(db)

        def awaiting():
            rows = connection.execute(
                "SELECT id, provider_order_id FROM orders WHERE status = 'awaiting_payment'").fetchall()
            return rows if len(rows) == len(ids) else None

        rows = wait(awaiting)
        interval = 1.0 / RATE
        start = time.time()

        def pay(provider_id):
            request = urllib.request.Request(sandbox + f"/sandbox/orders/{provider_id}/pay", data=b'{"way":1}',
                                             headers={"Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=30).read()

        threads = []
        for index, (_, provider_id) in enumerate(rows):
            delay = start + index * interval - time.time()
            if delay > 0:
                time.sleep(delay)
            thread = threading.Thread(target=pay, args=(provider_id,))
            thread.start()
            threads.append(thread)
        offered = len(rows) / (time.time() - start)
        for thread in threads:
            thread.join()
        wait(lambda: len(site.paid_at) >= len(ids) and len(site.callback_at) >= len(ids))
        # Callbacks name the merchant's number (`B-` + the id's tail), webhooks the order id.
        samples = sorted(site.paid_at[i] - site.callback_at["B-" + i[-12:]] for i in ids
                         if "B-" + i[-12:] in site.callback_at and i in site.paid_at)
        p50 = samples[len(samples) // 2] * 1000
        p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1000
        print(f"latency, {REPLICAS} replica(s), payments offered at {offered:.0f}/s: callback -> order.paid webhook "
              f"p50 {p50:.0f} ms, p99 {p99:.0f} ms over {len(samples)} payments")
    finally:
        for proc in processes:
            proc.kill()


if __name__ == "__main__":
    for phase in os.environ.get("PHASES", "throughput,latency").split(","):
        {"throughput": throughput, "latency": latency}[phase]()
