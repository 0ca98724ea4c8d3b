"""payrail-ingester as a real process with the real sandbox: a paid order's signed callback arrives over loopback
HTTP, is stored with one `callback.received` event and acknowledged; the sandbox's retries of the same callback
(after a refused first attempt) are recorded as repeats without a second event; forged callbacks are refused and
change nothing; SIGTERM exits cleanly."""
import json
import os
import subprocess
import urllib.request

import pytest

from conftest import _bin_dir
from stack import APP, EVENT_KEYS, MASTER_KEY, Stack, post_json, signed, wait_until


@pytest.fixture()
def stack(tmp_path, ctl):
    stack = Stack(tmp_path, ctl)
    yield stack
    stack.stop_all()


def test_a_paid_order_callback_is_stored_once_and_acknowledged(stack, ctl):
    ingester = stack.start("payrail-ingester")
    sandbox = stack.start_sandbox(ingester.url + "/callbacks/douyin", "--time-scale", "0.01")
    number = f"ing-{os.getpid()}"
    status, created = post_json(sandbox.url + "/api/apps/ecpay/v1/create_order", signed(
        ctl, {"out_order_no": number, "total_amount": 1288, "subject": "Tea", "body": "Tea", "valid_time": 900}))
    assert status == 200 and created["err_no"] == 0, created
    # Make the provider deliver the callback twice: duplicate delivery is a sandbox fault.
    status, _ = post_json(sandbox.url + "/sandbox/faults", {"kind": "duplicate_callback", "times": 2})
    assert status == 201
    post_json(sandbox.url + f"/sandbox/orders/{created['data']['order_id']}/pay", {"way": 1})

    rows = wait_until(lambda: stack.query(
        "SELECT kind, number, status, original_id IS NULL FROM callback_record WHERE number = ?", number),
        what="the callback to be stored")
    assert rows[0][:3] == ("payment", number, "paid")
    wait_until(lambda: len(stack.query("SELECT id FROM callback_record WHERE number = ?", number)) == 3,
               what="both duplicate deliveries to be recorded")
    assert stack.query("SELECT COUNT(*) FROM callback_record WHERE original_id IS NULL") == [(1,)]
    events = stack.query("SELECT payload FROM event WHERE type = 'callback.received'")
    assert len(events) == 1
    payload = json.loads(events[0][0])
    assert payload["number"] == number and payload["amount"] == 1288 and payload["app_id"] == APP["app_id"]
    assert payload["merchant_id"] == stack.merchant_id and payload["channel_account_id"] == stack.channel_id


def test_forged_callbacks_are_refused_and_nothing_is_stored(stack):
    ingester = stack.start("payrail-ingester")
    forged = json.dumps({"timestamp": "1", "nonce": "2", "type": "payment", "msg_signature": "0" * 40,
                         "msg": json.dumps({"appid": APP["app_id"], "cp_orderno": "x", "total_amount": 1,
                                            "status": "SUCCESS"})}).encode()
    status, answer = post_json(ingester.url + "/callbacks/douyin", forged)
    assert status == 401 and answer["err_no"] != 0
    status, answer = post_json(ingester.url + "/callbacks/douyin", b"{not json")
    assert status == 400 and answer["err_no"] != 0
    assert stack.query("SELECT COUNT(*) FROM callback_record") == [(0,)]
    assert stack.query("SELECT COUNT(*) FROM event WHERE type = 'callback.received'") == [(0,)]
    metrics = urllib.request.urlopen(ingester.url + "/metrics").read().decode()
    assert 'payrail_callbacks_rejected_total{reason="signature_mismatch"} 1' in metrics
    assert stack.stop_all()["payrail-ingester"] == 0


def test_the_ingester_refuses_to_start_on_an_unmigrated_database(tmp_path):
    env = dict(os.environ, PAYRAIL_DATABASE=str(tmp_path / "none.sqlite"), PAYRAIL_EVENT_KEYS=EVENT_KEYS,
               PAYRAIL_MASTER_KEY=MASTER_KEY)
    proc = subprocess.run([str(_bin_dir() / "payrail-ingester"), "--port", "0"], env=env, capture_output=True,
                          timeout=30)
    assert proc.returncode != 0
    assert b"payrailctl migrate" in proc.stderr
