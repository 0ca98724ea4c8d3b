"""Payment pipeline benchmark (not a test): payrail-sandbox, payrail-ingester and N payrail-worker processes on one
SQLite file, and a merchant webhook endpoint, all local. Orders are spread over APPS Douyin apps of as many
merchants: Douyin limits query_order to 150/s per app, and every callback is confirmed by a query, so one app alone
cannot be paid faster than that.

Phase 1, throughput: ORDERS orders inserted at once (order row + signed `order.created`, as the gateway does);
the sandbox pays each one right after creation (--auto-pay); figure = orders / seconds from insertion until the
last `order.paid` webhook arrived (order.created -> create_order -> callback -> ingester -> query -> paid -> webhook).
Phase 2, latency: orders awaiting payment are paid at RATE/s through the sandbox; per order, time from the provider
sending its payment callback (the sandbox's record of the first attempt, `sent_at`) to the `order.paid` webhook
reaching the merchant; p50 and p99.
"""
import base64
import hashlib
import hmac
import http.client
import http.server
import json
import os
import queue
import random
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid

BIN = sys.argv[1]
WORK = sys.argv[2]
REPLICAS = int(os.environ.get("REPLICAS", "1"))
ORDERS = int(os.environ.get("ORDERS", "300"))
RATE = float(os.environ.get("RATE", "200"))
LATENCY_ORDERS = int(os.environ.get("LATENCY_ORDERS", "1000"))
PAYERS = int(os.environ.get("PAYERS", "8"))  # threads paying through the sandbox in the latency phase
APPS = [{"app_id": f"tt_bench{i}", "salt": f"bench_salt{i}", "token": f"bench_token{i}",
         "merchant_id": f"70000000{i:02d}"} for i in range(int(os.environ.get("APPS", "4")))]
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


class MerchantSite:
    """The merchants' webhook endpoint: records when each order's `order.paid` webhook arrives."""

    def __init__(self):
        self.lock = threading.Lock()
        self.paid_at = {}
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                event = json.loads(body)
                if event["type"] == "order.paid":
                    with site.lock:
                        site.paid_at.setdefault(event["data"]["id"], time.time())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda *args: None  # a client that gave up (timeout) is not news here
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def insert_orders(db, accounts, count, notify):
    """Inserts orders round-robin over (merchant, account) pairs; returns {order id: out_order_no}."""
    connection = connect(db)
    now = int(time.time() * 1000)
    ids = {}
    connection.execute("BEGIN IMMEDIATE")
    for i in range(count):
        merchant, account = accounts[i % len(accounts)]
        order_id = "ord_" + "".join(random.choice(CROCKFORD) for _ in range(26))
        connection.execute(
            "INSERT INTO orders (id, merchant_id, channel_account_id, out_order_no, amount, currency, status, subject,"
            " notify_url, expires_at, created_at, updated_at) VALUES (?,?,?,?,?, 'CNY', 'created', 'bench', ?,?,?,?)",
            (order_id, merchant, account, "B-" + order_id[-16:], 100 + i, notify, now + 7_200_000, now, now))
        payload = json.dumps({"object": "order", "id": order_id}, separators=(",", ":"))
        event_id = append(connection, "order.created", order_id, payload, ["worker.provider", "worker.webhooks"], now)
        connection.execute(
            "INSERT INTO merchant_event (event_id, merchant_id, type, object_id, occurred_at) VALUES (?,?,?,?,?)",
            (event_id, merchant, "order.created", order_id, now))
        ids[order_id] = "B-" + order_id[-16:]
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
    accounts = []
    for index, app in enumerate(APPS):
        merchant = json.loads(run([ctl, "merchant", "create", "--database", db, "--name", f"Bench {index}",
                                   "--json"], env))["merchant"]["id"]
        account = json.loads(run([ctl, "merchant", "add-channel", "douyin", "--database", db, "--merchant", merchant,
                                  "--app-id", app["app_id"], "--salt", app["salt"], "--token", app["token"],
                                  "--merchant-id", app["merchant_id"], "--json"], env))["id"]
        accounts.append((merchant, account))
    site = MerchantSite()
    processes = []
    ingester_port = free_port()
    ingester = f"http://127.0.0.1:{ingester_port}"
    processes.append(subprocess.Popen(
        [os.path.join(BIN, "payrail-ingester"), "--database", db, "--port", str(ingester_port)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    wait(lambda: try_get(ingester + "/readyz"))
    config = os.path.join(folder, "sandbox.json")
    with open(config, "w") as handle:
        json.dump({"apps": [dict(app, notify_url=ingester + "/callbacks/douyin") for app in APPS]}, handle)
    port = free_port()
    sandbox_db = os.path.join(folder, "sandbox.sqlite")
    args = [os.path.join(BIN, "payrail-sandbox"), "--config", config, "--port", str(port), "--database",
            sandbox_db, "--log-level", "error"]
    if auto_pay:
        args += ["--auto-pay", "0.01"]
    processes.append(subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    sandbox = f"http://127.0.0.1:{port}"
    wait(lambda: try_get(sandbox + "/healthz"))
    # Janitor polls 100x later than in production, so every payment in the figures came through its callback.
    worker_env = dict(env, PAYRAIL_DATABASE=db, PAYRAIL_DOUYIN_BASE_URL=sandbox, PAYRAIL_CALLBACK_BASE_URL=ingester,
                      PAYRAIL_DOUYIN_ALLOW_HTTP_NOTIFY="true", PAYRAIL_WORKER_TIME_SCALE="100")
    for _ in range(REPLICAS):
        wport = free_port()
        processes.append(subprocess.Popen([os.path.join(BIN, "payrail-worker"), "--port", str(wport)],
                                          env=worker_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait(lambda: try_get(f"http://127.0.0.1:{wport}/readyz"))
    return db, site, sandbox, sandbox_db, processes, accounts


def try_get(url):
    try:
        return urllib.request.urlopen(url, timeout=2).status == 200
    except OSError:
        return False


def throughput():
    db, site, _, _, processes, accounts = stack("throughput", auto_pay=True)
    try:
        before = cpu_snapshot(processes)
        start = time.time()
        ids = insert_orders(db, accounts, ORDERS, site.base + "/hooks/notify")
        wait(lambda: len(site.paid_at) >= len(ids))
        elapsed = max(site.paid_at.values()) - start
        print(f"throughput, {REPLICAS} replica(s), {len(APPS)} apps: {len(ids)} orders order.created -> order.paid "
              f"webhook in {elapsed:.1f} s = {len(ids) / elapsed:.1f} payments/s; "
              + cpu_report(processes, before, len(ids)))
    finally:
        stop(processes)


def cpu_seconds(process):
    """User + system CPU seconds a child process has used so far (from /proc)."""
    with open(f"/proc/{process.pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds():
    """User + system CPU seconds of this process: the load driver and the merchant's webhook endpoint."""
    times = os.times()
    return times.user + times.system


def cpu_report(processes, before, payments):
    """CPU milliseconds per payment of each process (sandbox, ingester, workers, and this bench process: driver
    and merchant endpoint) since `before` (taken with `cpu_snapshot`)."""
    names = ["ingester", "sandbox"] + [f"worker{i + 1}" for i in range(REPLICAS)]
    parts = [f"{name} {(cpu_seconds(proc) - was) * 1000 / payments:.2f}"
             for name, proc, was in zip(names, processes, before)]
    parts.append(f"bench driver+merchant {(own_cpu_seconds() - before[-1]) * 1000 / payments:.2f}")
    return "CPU ms per payment: " + ", ".join(parts)


def cpu_snapshot(processes):
    """CPU seconds so far of every child process, then of this process."""
    return [cpu_seconds(proc) for proc in processes] + [own_cpu_seconds()]


def stop(processes):
    for proc in processes:
        proc.kill()
    for proc in processes:
        proc.wait()


def callback_sent_at(sandbox_db):
    """{out_order_no: first attempt's sent_at in seconds} of the sandbox's payment callbacks."""
    connection = sqlite3.connect(sandbox_db, timeout=60)
    rows = connection.execute(
        "SELECT c.number, MIN(a.sent_at) FROM sandbox_callback c JOIN sandbox_callback_attempt a"
        " ON a.callback_id = c.id WHERE c.type = 'payment' GROUP BY c.number").fetchall()
    connection.close()
    return {number: sent / 1000 for number, sent in rows}


def latency():
    db, site, sandbox, sandbox_db, processes, accounts = stack("latency", auto_pay=False)
    try:
        ids = insert_orders(db, accounts, LATENCY_ORDERS, site.base + "/hooks/notify")
        connection = connect(db)

        def awaiting():
            rows = connection.execute(
                "SELECT id, provider_order_id FROM orders WHERE status = 'awaiting_payment'").fetchall()
            return rows if len(rows) == len(ids) else None

        rows = wait(awaiting)
        random.shuffle(rows)
        time.sleep(1)  # let the order.awaiting_payment webhooks drain
        before = cpu_snapshot(processes)
        interval = 1.0 / RATE
        start = time.time()

        # A few payer threads on kept-alive connections: a thread and a TCP connection per payment would make the
        # load generator (and the sandbox accepting connections) a large share of the machine it measures.
        jobs = queue.Queue()
        host, port = urllib.parse.urlsplit(sandbox).hostname, urllib.parse.urlsplit(sandbox).port

        def payer():
            connection = None
            while (provider_id := jobs.get()) is not None:
                for attempt in range(3):
                    try:
                        connection = connection or http.client.HTTPConnection(host, port, timeout=30)
                        connection.request("POST", f"/sandbox/orders/{provider_id}/pay", body=b'{"way":1}',
                                           headers={"Content-Type": "application/json"})
                        response = connection.getresponse()
                        response.read()
                        if response.status != 200:
                            raise SystemExit(f"sandbox pay answered {response.status}")
                        break
                    except (OSError, http.client.HTTPException):
                        connection = None
                        if attempt == 2:
                            raise

        payers = [threading.Thread(target=payer, daemon=True) for _ in range(PAYERS)]
        for thread in payers:
            thread.start()
        for index, (_, provider_id) in enumerate(rows):
            delay = start + index * interval - time.time()
            if delay > 0:
                time.sleep(delay)
            jobs.put(provider_id)
        offered = len(rows) / (time.time() - start)
        for _ in payers:
            jobs.put(None)
        for thread in payers:
            thread.join()
        wait(lambda: len(site.paid_at) >= len(ids))
        sent = wait(lambda: (lambda found: found if len(found) >= len(ids) else None)(callback_sent_at(sandbox_db)))
        samples = sorted(site.paid_at[i] - sent[number] for i, number in ids.items())
        p50 = samples[len(samples) // 2] * 1000
        p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1000
        print(f"latency, {REPLICAS} replica(s), {len(APPS)} apps, payments offered at {offered:.0f}/s: provider "
              f"callback sent -> order.paid webhook received p50 {p50:.0f} ms, p99 {p99:.0f} ms, max "
              f"{samples[-1] * 1000:.0f} ms over {len(samples)} payments (target p99 < 50 ms); "
              + cpu_report(processes, before, len(samples)))
    finally:
        stop(processes)


if __name__ == "__main__":
    for phase in os.environ.get("PHASES", "throughput,latency").split(","):
        {"throughput": throughput, "latency": latency}[phase]()
