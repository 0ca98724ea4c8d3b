"""Starting Payrail's real executables for end-to-end tests: a fresh data folder, free loopback ports, the shared
secrets in the environment, health waits, and graceful stops. Used by the scenario scripts in this folder."""
import base64
import json
import os
import pathlib
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request

from conftest import _bin_dir

EVENT_KEYS = "e2e:" + base64.b64encode(b"\x11" * 32).decode()
MASTER_KEY = "m1:" + base64.b64encode(b"\x22" * 32).decode()
APP = {"app_id": "tt_e2e_stack", "salt": "stack_salt", "token": "stack_token", "merchant_id": "7000000042"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=30.0, interval=0.05, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Process:
    """One running executable with its log file; `stop()` sends SIGTERM and checks a clean exit."""

    def __init__(self, name, args, env, logs: pathlib.Path, port=None):
        self.name, self.port = name, port
        self.log_path = logs / f"{name}.log"
        self.argv, self.env, self.logs = args, env, logs
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([str(_bin_dir() / args[0]), *args[1:]], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, path="/healthz", timeout=30.0):
        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited {self.proc.returncode}: {self.log_path.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(self.url + path, timeout=1).read()
                return True
            except OSError:
                return False
        wait_until(up, timeout, 0.1, f"{self.name} to answer {path}")
        return self

    def stop(self, timeout=20.0):
        if self.proc.poll() is None:
            self.proc.terminate()
            code = self.proc.wait(timeout=timeout)
        else:
            code = self.proc.returncode
        self.log.close()
        return code

    def kill(self):
        self.proc.kill()
        self.proc.wait(timeout=10)
        self.log.close()


class Stack:
    """A data folder with a migrated database, one merchant with a Douyin channel account and an API key."""

    def __init__(self, tmp_path: pathlib.Path, ctl):
        self.dir, self.ctl = tmp_path, ctl
        self.logs = tmp_path / "logs"
        self.logs.mkdir(exist_ok=True)
        self.database = str(tmp_path / "payrail.sqlite")
        self.env = dict(os.environ, PAYRAIL_DATABASE=self.database, PAYRAIL_EVENT_KEYS=EVENT_KEYS,
                        PAYRAIL_MASTER_KEY=MASTER_KEY, PAYRAIL_LOG_LEVEL="info", PAYRAIL_LOG_FORMAT="json")
        self.processes = []
        self.run_ctl("migrate")
        merchant = json.loads(self.run_ctl("merchant", "create", "--name", "E2E Shop", "--json"))
        self.merchant_id, self.merchant_secret = merchant["merchant"]["id"], merchant["webhook_secret"]
        account = json.loads(self.run_ctl(
            "merchant", "add-channel", "douyin", "--merchant", self.merchant_id, "--app-id", APP["app_id"],
            "--salt", APP["salt"], "--token", APP["token"], "--merchant-id", APP["merchant_id"], "--json"))
        self.channel_id = account["id"]
        key = json.loads(self.run_ctl("key", "create", "--merchant", self.merchant_id, "--json"))
        self.api_key = key["key"]

    def run_ctl(self, *args, check=True):
        proc = self.ctl(*args, "--database", self.database, env=self.env) if args[0] != "sign" else self.ctl(*args)
        if check:
            assert proc.returncode == 0, f"payrailctl {' '.join(args)}: {proc.stderr_text}"
        return proc.stdout_text

    def start(self, name, *args, port=True, env=None, health="/healthz", label=None):
        chosen = free_port() if port else None
        argv = [name, *args] + (["--port", str(chosen)] if port else [])
        process = Process(label or name, argv, dict(self.env, **(env or {})), self.logs, chosen)
        self.processes.append(process)
        if port and health:
            process.wait_healthy(health)
        return process

    def start_sandbox(self, notify_url, *extra):
        config = self.dir / "sandbox.json"
        config.write_text(json.dumps({"apps": [dict(APP, notify_url=notify_url)]}))
        return self.start("payrail-sandbox", "--config", str(config), "--database", str(self.dir / "sandbox.sqlite"),
                          "--log-level", "warning", *extra)

    def query(self, sql, *args):
        with sqlite3.connect(self.database, timeout=10) as db:
            return db.execute(sql, args).fetchall()

    def stop_all(self):
        codes = {}
        for process in reversed(self.processes):
            codes[process.name] = process.stop()
        self.processes.clear()
        return codes


def post_json(url, body, headers=None, timeout=10):
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def signed(ctl, params):
    """A Douyin request body signed with the stack's app salt."""
    proc = ctl("sign", "douyin", "--salt", APP["salt"], stdin=json.dumps(params, ensure_ascii=False))
    assert proc.returncode == 0, proc.stderr_text
    return json.dumps(dict(params, app_id=APP["app_id"], sign=proc.stdout_text.strip()), ensure_ascii=False).encode()


class WebhookReceiver:
    """A merchant's webhook endpoint: verifies every delivery with the `standardwebhooks` package, refuses the
    first `fail_first` attempts of each message id with 503, and records verified payloads by message id."""

    def __init__(self, secret, fail_first=0):
        import http.server
        import threading
        from standardwebhooks.webhooks import Webhook
        self.verifier, self.fail_first = Webhook(secret), fail_first
        self.attempts, self.verified, self.forged, self.lock = {}, {}, [], threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver._receive(body, {k.lower(): v for k, v in self.headers.items()})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _receive(self, body, headers):
        try:
            payload = self.verifier.verify(body, headers)
        except Exception as error:
            with self.lock:
                self.forged.append(repr(error))
            return 400
        message = headers["webhook-id"]
        with self.lock:
            self.attempts[message] = self.attempts.get(message, 0) + 1
            if self.attempts[message] <= self.fail_first:
                return 503
            self.verified.setdefault(message, payload)
        return 200

    def events(self, type_=None, object_id=None):
        with self.lock:
            return [p for p in self.verified.values()
                    if (type_ is None or p["type"] == type_) and (object_id is None or p["data"]["id"] == object_id)]

    def close(self):
        self.server.shutdown()


class MerchantAPI:
    """The merchant API as a merchant calls it: bearer key, an Idempotency-Key on every POST."""

    def __init__(self, base, api_key):
        self.base, self.auth = base, {"Authorization": f"Bearer {api_key}"}

    def post(self, path, body, headers=None):
        import uuid
        return post_json(self.base + path, body, dict(self.auth, **{"Idempotency-Key": str(uuid.uuid4())},
                                                      **(headers or {})), timeout=30)

    def get(self, path):
        request = urllib.request.Request(self.base + path, headers=self.auth)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


def start_payrail(stack, workers=1, sandbox_args=(), worker_env=None, time_scale="0.01"):
    """The whole pipeline on loopback: sandbox → ingester ← worker(s) → gateway; returns (api, sandbox, ingester,
    [workers], gateway, start_worker)."""
    ingester = stack.start("payrail-ingester")
    sandbox = stack.start_sandbox(ingester.url + "/callbacks/douyin", "--time-scale", time_scale, *sandbox_args)
    env = dict(PAYRAIL_DOUYIN_BASE_URL=sandbox.url, PAYRAIL_CALLBACK_BASE_URL=ingester.url,
               PAYRAIL_WORKER_TIME_SCALE=time_scale, PAYRAIL_DOUYIN_TIMEOUT="3", PAYRAIL_WORKER_LEASE="6",
               PAYRAIL_WORKER_WEBHOOK_TIMEOUT="2", **(worker_env or {}))
    counter = [0]

    def start_worker():
        counter[0] += 1
        return stack.start("payrail-worker", env=env, health="/readyz", label=f"payrail-worker-{counter[0]}")

    started = [start_worker() for _ in range(workers)]
    gateway = stack.start("payrail-gateway", health="/readyz")
    return MerchantAPI(gateway.url, stack.api_key), sandbox, ingester, started, gateway, start_worker


def ledger_clean(stack):
    proc = stack.ctl("ledger", "check", "--database", stack.database, env=stack.env)
    return proc.returncode == 0, proc.stdout_text + proc.stderr_text
