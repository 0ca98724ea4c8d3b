"""`payrailctl sign douyin` and `verify douyin-callback` as real processes, against every shared Douyin vector."""
import json

import pytest

from conftest import SHARED

SIGN = json.loads((SHARED / "vectors" / "douyin-sign.json").read_text(encoding="utf-8"))["vectors"]
CALLBACKS = json.loads((SHARED / "vectors" / "douyin-callback.json").read_text(encoding="utf-8"))["vectors"]


@pytest.mark.parametrize("vector", SIGN, ids=[v["id"] for v in SIGN])
def test_sign_douyin_matches_every_vector(ctl, vector):
    body = json.dumps(vector["input"], ensure_ascii=False)
    proc = ctl("sign", "douyin", "--salt", vector["salt"], stdin=body)
    assert proc.returncode == 0, proc.stderr_text
    assert proc.stdout_text.strip() == vector["expected_sign"]


def test_sign_douyin_explain_prints_the_pre_hash_string_without_the_salt(ctl):
    vector = SIGN[0]
    proc = ctl("sign", "douyin", "--salt", vector["salt"], "--explain", stdin=json.dumps(vector["input"]))
    assert proc.returncode == 0, proc.stderr_text
    assert vector["expected_sign"] in proc.stdout_text
    expected = vector["pre_hash_string_verified"].replace(vector["salt"], "<SALT>")
    assert f"pre-hash: {expected}" in proc.stdout_text
    assert vector["salt"] not in proc.stdout_text


def test_sign_douyin_query_string(ctl):
    proc = ctl("sign", "douyin", "--salt", "s", "--query", stdin="app_id=tt1&bill_date=20251122&bill_type=payment")
    assert proc.returncode == 0, proc.stderr_text
    import hashlib
    assert proc.stdout_text.strip() == hashlib.md5("20251122&payment&s".encode()).hexdigest()


@pytest.mark.parametrize("vector", CALLBACKS, ids=[v["id"] for v in CALLBACKS])
def test_verify_douyin_callback_matches_every_vector(ctl, vector):
    body = json.dumps(vector["input_body"], ensure_ascii=False)
    proc = ctl("verify", "douyin-callback", "--token", vector["token"], stdin=body)
    if vector["expected_valid"]:
        # A valid signature over a msg that is not a JSON document (C01's "80850852") verifies but cannot decode.
        if proc.returncode != 0:
            assert "signature" in proc.stderr_text and "valid" in proc.stderr_text, proc.stderr_text
        else:
            printed = json.loads(proc.stdout_text)
            assert printed["type"] == vector["input_body"]["type"]
    else:
        assert proc.returncode == 1
        assert "signature" in proc.stderr_text
        assert vector["token"] not in proc.stderr_text


@pytest.mark.parametrize("args,stdin", [
    (["sign", "douyin"], "{}"),
    (["sign", "douyin", "--salt", "s"], "{not json"),
    (["sign", "douyin", "--salt", "s"], "[1,2]"),
    (["verify", "douyin-callback", "--token", "t"], "{}"),
    (["verify", "douyin-callback", "--token", "t"], ""),
])
def test_bad_input_is_a_clear_error(ctl, args, stdin):
    proc = ctl(*args, stdin=stdin)
    assert 0 < proc.returncode < 128, (proc.returncode, proc.stderr_text)
    assert proc.stderr_text.strip()
