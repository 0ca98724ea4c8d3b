"""`payrailctl verify wechat-notify` and `verify alipay-notify` as real processes, against the shared vectors."""
import json

import pytest

from conftest import SHARED

WECHAT = json.loads((SHARED / "vectors" / "wechat-notify.json").read_text(encoding="utf-8"))
ALIPAY = json.loads((SHARED / "vectors" / "alipay-notify.json").read_text(encoding="utf-8"))


@pytest.fixture()
def wechat_keys(tmp_path):
    keys = WECHAT["keys"]
    (tmp_path / "platform.pub.pem").write_text(keys["platform_public_key_pem"])
    (tmp_path / "platform.cert.pem").write_text(keys["platform_certificate_pem"])
    return tmp_path


def _headers(vector):
    args = []
    for name, value in vector["http_headers"].items():
        args += ["-H", f"{name}: {value}"]
    return args


@pytest.mark.parametrize("vector", WECHAT["notifications"], ids=[v["name"] for v in WECHAT["notifications"]])
def test_wechat_notify_matches_every_vector(ctl, wechat_keys, vector):
    keys = WECHAT["keys"]
    timestamp = vector["http_headers"]["Wechatpay-Timestamp"]
    proc = ctl("verify", "wechat-notify", "--platform-public-key", str(wechat_keys / "platform.pub.pem"),
               "--public-key-id", keys["platform_public_key_id"], "--apiv3-key", keys["apiv3_key"],
               *_headers(vector), "--at", timestamp, stdin=vector["body"])
    expected = vector["expected"]
    if expected["signature_valid"] and expected["decrypt_ok"]:
        assert proc.returncode == 0, proc.stderr_text
        assert json.loads(proc.stdout_text) == json.loads(expected["resource_plaintext"])
    else:
        assert proc.returncode == 1, proc.stdout_text
        reason = "signature" if not expected["signature_valid"] else "decrypt"
        assert reason in proc.stderr_text, proc.stderr_text
        assert keys["apiv3_key"] not in proc.stderr_text


def test_wechat_notify_is_refused_when_stale(ctl, wechat_keys):
    keys = WECHAT["keys"]
    vector = WECHAT["notifications"][0]
    late = str(int(vector["http_headers"]["Wechatpay-Timestamp"]) + 301)
    proc = ctl("verify", "wechat-notify", "--platform-public-key", str(wechat_keys / "platform.pub.pem"),
               "--apiv3-key", keys["apiv3_key"], *_headers(vector), "--at", late, stdin=vector["body"])
    assert proc.returncode == 1
    assert "timestamp" in proc.stderr_text


@pytest.fixture()
def alipay_key(tmp_path):
    path = tmp_path / "alipay.pub.pem"
    path.write_text(ALIPAY["keys"]["alipay_public_key_pem"])
    return path


@pytest.mark.parametrize("vector", ALIPAY["notifications"], ids=[v["name"] for v in ALIPAY["notifications"]])
def test_alipay_notify_matches_every_vector(ctl, alipay_key, vector):
    proc = ctl("verify", "alipay-notify", "--alipay-public-key", str(alipay_key), stdin=vector["form_body"])
    if vector["expected"]["signature_valid"]:
        assert proc.returncode == 0, proc.stderr_text
        printed = json.loads(proc.stdout_text)
        assert printed["out_trade_no"] == vector["params"]["out_trade_no"]
    else:
        assert proc.returncode == 1
        assert "signature" in proc.stderr_text


@pytest.mark.parametrize("args", [
    ["verify", "alipay-notify", "--alipay-public-key", "/nonexistent/key.pem"],
    ["verify", "alipay-notify"],
    ["verify", "wechat-notify", "--apiv3-key", "short"],
    ["verify", "wechat-notify", "--platform-public-key", "/nonexistent", "--apiv3-key", "x" * 32],
])
def test_bad_keys_and_flags_are_clear_errors(ctl, args):
    proc = ctl(*args, stdin="a=b")
    assert 0 < proc.returncode < 128, (proc.returncode, proc.stderr_text)
    assert proc.stderr_text.strip()


def test_unparseable_key_file_is_a_clear_error(ctl, tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    proc = ctl("verify", "alipay-notify", "--alipay-public-key", str(bad), stdin="a=b&sign=x")
    assert proc.returncode == 1
    assert "key" in proc.stderr_text
