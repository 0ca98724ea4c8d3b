"""payrail-sandbox as a real process: a payment signed with `payrailctl sign douyin`, paid by the simulated user,
and its callback — received by a merchant-side HTTP server on loopback — verified by `payrailctl verify
douyin-callback`. Also: a refused callback is retried on the (time-scaled) schedule."""
import http.server
import json
import os
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import _bin_dir

APP = {"app_id": "tt_e2e_app", "salt": "e2e_salt", "token": "e2e_token", "merchant_id": "7000000009"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """A merchant callback endpoint: records bodies; refuses the first `fail_first` with HTTP 500."""

    def __init__(self, fail_first=0):
        self.bodies, self.fail_first, self.lock = [], fail_first, threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.bodies.append(body)
                    refuse = receiver.fail_first > 0
                    receiver.fail_first -= 1 if refuse else 0
                answer = b'{"err_no":1,"err_tips":"busy"}' if refuse else b'{"err_no":0,"err_tips":"success"}'
                self.send_response(500 if refuse else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callbacks/douyin"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.bodies) >= count:
                    return list(self.bodies)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} callbacks, got {len(self.bodies)}")


@pytest.fixture()
def sandbox(tmp_path):
    receiver = Receiver(fail_first=1)
    config = tmp_path / "sandbox.json"
    config.write_text(json.dumps({"apps": [dict(APP, notify_url=receiver.url)]}))
    port = _free_port()
    proc = subprocess.Popen(
        [str(_bin_dir() / "payrail-sandbox"), "--config", str(config), "--port", str(port),
         "--database", str(tmp_path / "sandbox.sqlite"), "--time-scale", "0.01", "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise AssertionError("payrail-sandbox did not start: " + proc.stderr.read().decode())
            time.sleep(0.1)
    yield base, receiver
    proc.terminate()
    assert proc.wait(timeout=20) == 0, "graceful shutdown on SIGTERM exits 0"
    receiver.server.shutdown()


def _post(url, body: bytes):
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _signed(ctl, params):
    proc = ctl("sign", "douyin", "--salt", APP["salt"], stdin=json.dumps(params, ensure_ascii=False))
    assert proc.returncode == 0, proc.stderr_text
    return json.dumps(dict(params, app_id=APP["app_id"], sign=proc.stdout_text.strip()), ensure_ascii=False).encode()


def test_payment_end_to_end_with_a_retried_callback(ctl, sandbox):
    base, receiver = sandbox
    order = {"out_order_no": f"e2e-{os.getpid()}", "total_amount": 2376, "subject": "肉夹馍", "body": "团购",
             "valid_time": 900}
    created = _post(base + "/api/apps/ecpay/v1/create_order", _signed(ctl, order))
    assert created["err_no"] == 0, created
    order_id = created["data"]["order_id"]
    assert created["data"]["order_token"]

    refused = _post(base + "/api/apps/ecpay/v1/query_order",
                    json.dumps({"app_id": APP["app_id"], "out_order_no": order["out_order_no"],
                                "sign": "0" * 32}).encode())
    assert refused["err_no"] == 2008, refused

    query = _post(base + "/api/apps/ecpay/v1/query_order",
                  _signed(ctl, {"out_order_no": order["out_order_no"]}))
    assert query["payment_info"]["order_status"] == "PROCESSING"

    _post(base + f"/sandbox/orders/{order_id}/pay", b'{"way": 2}')
    bodies = receiver.wait(2)  # the first is refused with HTTP 500, the retry (15 s x 0.01) is accepted
    assert bodies[0] == bodies[1], "a retry re-sends the same signed body"

    verified = ctl("verify", "douyin-callback", "--token", APP["token"], stdin=bodies[1])
    assert verified.returncode == 0, verified.stderr_text
    callback = json.loads(verified.stdout_text)
    assert callback["type"] == "payment"
    assert callback["msg"]["cp_orderno"] == order["out_order_no"]
    assert callback["msg"]["total_amount"] == 2376 and callback["msg"]["way"] == "2"
    forged = ctl("verify", "douyin-callback", "--token", "not-the-token", stdin=bodies[1])
    assert forged.returncode == 1

    query = _post(base + "/api/apps/ecpay/v1/query_order",
                  _signed(ctl, {"out_order_no": order["out_order_no"]}))
    assert query["payment_info"]["order_status"] == "SUCCESS"
    assert query["payment_info"]["total_fee"] == 2376
