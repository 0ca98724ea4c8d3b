"""`payrailctl status` against real processes: healthy services are up, a missing one is DOWN with exit 1, and the
database figures (backlog, dead letters, webhook deliveries) are reported."""
import json

import pytest

from stack import Stack, free_port


@pytest.fixture()
def stack(tmp_path, ctl):
    stack = Stack(tmp_path, ctl)
    yield stack
    stack.stop_all()


def test_status_reports_health_backlog_and_exit_code(stack):
    ingester = stack.start("payrail-ingester")
    up = stack.ctl("status", "--database", stack.database, "--service", f"ingester={ingester.url}", "--json",
                   env=stack.env)
    assert up.returncode == 0, up.stderr_text
    report = json.loads(up.stdout_text)
    assert report["services"] == [{"name": "ingester", "url": ingester.url + "/readyz", "ok": True, "detail": "ok"}]
    assert report["webhooks"] == {"pending": 0, "dead": 0}
    assert isinstance(report["consumers"], list)

    down = stack.ctl("status", "--database", stack.database, "--service", f"ingester={ingester.url}",
                     "--service", f"gateway=http://127.0.0.1:{free_port()}", env=stack.env)
    assert down.returncode == 1
    assert "DOWN gateway" in down.stdout_text and "up   ingester" in down.stdout_text
    assert "dead letters: 0" in down.stdout_text

    bad = stack.ctl("status", "--database", stack.database, "--service", "nonsense", env=stack.env)
    assert bad.returncode != 0 and "NAME=http" in bad.stderr_text
