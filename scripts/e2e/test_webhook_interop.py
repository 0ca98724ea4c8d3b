"""Merchant webhooks: Payrail's signatures verify with the PyPI `standardwebhooks` package (what a merchant would
really use), and that package's signatures verify with `payrailctl verify webhook`."""
import base64
import datetime
import os
import time

from standardwebhooks.webhooks import Webhook, WebhookVerificationError
import pytest

SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()
BODY = '{"type":"order.paid","data":{"id":"ord_01","amount":2376,"subject":"肉夹馍"}}'


def test_payrail_signature_verifies_with_standardwebhooks(ctl):
    now = int(time.time())
    proc = ctl("sign", "webhook", "--secret", SECRET, "--id", "msg_1", "--timestamp", str(now), stdin=BODY)
    assert proc.returncode == 0, proc.stderr_text
    signature = proc.stdout_text.strip()
    assert signature.startswith("v1,")
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(now), "webhook-signature": signature}
    assert Webhook(SECRET).verify(BODY, headers) is not None


def test_payrail_signature_with_rotation_verifies_with_either_secret(ctl):
    other = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    now = int(time.time())
    proc = ctl("sign", "webhook", "--secret", other, "--secret", SECRET, "--id", "msg_2", "--timestamp", str(now),
               stdin=BODY)
    assert proc.returncode == 0, proc.stderr_text
    headers = {"webhook-id": "msg_2", "webhook-timestamp": str(now), "webhook-signature": proc.stdout_text.strip()}
    Webhook(SECRET).verify(BODY, headers)
    Webhook(other).verify(BODY, headers)


def test_tampered_payrail_signature_fails_in_standardwebhooks(ctl):
    now = int(time.time())
    proc = ctl("sign", "webhook", "--secret", SECRET, "--id", "msg_3", "--timestamp", str(now), stdin=BODY)
    headers = {"webhook-id": "msg_3", "webhook-timestamp": str(now), "webhook-signature": proc.stdout_text.strip()}
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(BODY.replace("2376", "2377"), headers)


def test_standardwebhooks_signature_verifies_in_payrail(ctl):
    at = datetime.datetime(2026, 11, 22, 8, 0, 0, tzinfo=datetime.timezone.utc)
    signature = Webhook(SECRET).sign("msg_4", at, BODY)
    ts = str(int(at.timestamp()))
    proc = ctl("verify", "webhook", "--secret", SECRET, "--id", "msg_4", "--timestamp", ts, "--signature", signature,
               "--at", ts, stdin=BODY)
    assert proc.returncode == 0, proc.stderr_text


def test_payrail_rejects_tampered_or_stale_standardwebhooks_delivery(ctl):
    at = datetime.datetime(2026, 11, 22, 8, 0, 0, tzinfo=datetime.timezone.utc)
    signature = Webhook(SECRET).sign("msg_5", at, BODY)
    ts = str(int(at.timestamp()))
    tampered = ctl("verify", "webhook", "--secret", SECRET, "--id", "msg_5", "--timestamp", ts,
                   "--signature", signature, "--at", ts, stdin=BODY + " ")
    assert tampered.returncode == 1
    assert "signature" in tampered.stderr_text and SECRET not in tampered.stderr_text
    assert len(tampered.stderr_text.strip().splitlines()) == 1
    stale = ctl("verify", "webhook", "--secret", SECRET, "--id", "msg_5", "--timestamp", ts,
                "--signature", signature, "--at", str(int(at.timestamp()) + 3600), stdin=BODY)
    assert stale.returncode == 1
    assert "timestamp" in stale.stderr_text


@pytest.mark.parametrize("args", [
    ["sign", "webhook", "--id", "m", "--timestamp", "1"],
    ["sign", "webhook", "--secret", "whsec_!!", "--id", "m", "--timestamp", "1"],
    ["sign", "webhook", "--secret", SECRET, "--id", "m", "--timestamp", "yesterday"],
    ["verify", "webhook", "--secret", SECRET, "--id", "m", "--timestamp", "1"],
])
def test_bad_input_is_a_clear_error_not_a_crash(ctl, args):
    proc = ctl(*args, stdin=BODY)
    assert proc.returncode not in (0,) and proc.returncode < 128, (proc.returncode, proc.stderr_text)
    assert proc.stderr_text.strip(), "an error message is printed"
    assert SECRET not in proc.stderr_text
