"""End to end: the real payrail-gateway on a fresh migrated database with a merchant, a Douyin channel account and
an API key seeded by payrailctl, fuzzed by schemathesis against openapi.yaml: no 5xx, every response conforms to
the spec. Bounded: a few examples per operation, well under two minutes."""
import base64
import json
import os
import pathlib
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import ROOT, _bin_dir

EVENT_KEYS = "e1:" + base64.b64encode(bytes(range(32))).decode()
MASTER_KEY = "m1:" + base64.b64encode(bytes([7] * 32)).decode()


def _schemathesis() -> str:
    venv = ROOT / ".build-tools" / "venv" / "bin" / "schemathesis"
    found = str(venv) if venv.exists() else shutil.which("schemathesis")
    if not found:
        pytest.fail("schemathesis is not installed: run scripts/lib/common.sh ensure_python_tools (or pip install schemathesis)")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _json(proc) -> dict:
    assert proc.returncode == 0, proc.stderr_text
    return json.loads(proc.stdout_text)


@pytest.fixture()
def gateway(ctl, tmp_path: pathlib.Path):
    env = {"PAYRAIL_EVENT_KEYS": EVENT_KEYS, "PAYRAIL_MASTER_KEY": MASTER_KEY}
    db = str(tmp_path / "payrail.sqlite")
    assert ctl("migrate", "--database", db, env=env).returncode == 0
    merchant = _json(ctl("merchant", "create", "--database", db, "--name", "Fuzz shop", "--json", env=env))
    merchant_id = merchant["merchant"]["id"]
    _json(ctl("merchant", "add-channel", "douyin", "--database", db, "--merchant", merchant_id,
              "--app-id", "tt_fuzz_app", "--salt", "salt", "--token", "token", "--merchant-id", "700001", "--json",
              env=env))
    key = _json(ctl("key", "create", "--database", db, "--merchant", merchant_id, "--json", env=env))["key"]
    port = _free_port()
    proc = subprocess.Popen(
        [str(_bin_dir() / "payrail-gateway"), "--database", db, "--port", str(port), "--log-level", "error"],
        env=dict(os.environ, **env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("payrail-gateway did not start: " + proc.stderr.read().decode("utf-8", "replace"))
        time.sleep(0.1)
    yield base, key
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_schemathesis_finds_no_server_error_and_no_schema_violation(gateway):
    base, key = gateway
    result = subprocess.run(
        [_schemathesis(), "run", str(ROOT / "openapi.yaml"), "--url", base,
         "-H", f"Authorization: Bearer {key}",
         "--checks", "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
         "--max-examples", "20", "--phases", "examples,coverage,fuzzing,stateful", "--request-timeout", "15",
         "--no-color", "--seed", "1"],
        capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
