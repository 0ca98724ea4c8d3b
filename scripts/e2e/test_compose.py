"""docker-compose.yml checked without a Docker engine: the file is valid for docker-compose 1.29.2, every service's
command is an executable this package builds, every environment variable it sets is one the services read, the
scaled worker has no fixed name or host port, and everything waits for the one-shot migrate."""
import json
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from conftest import ROOT, _bin_dir

ENV = dict(os.environ, PAYRAIL_EVENT_KEYS="ev1:x", PAYRAIL_MASTER_KEY="mk1:y")


def _config():
    out = subprocess.run(["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"], env=ENV,
                         capture_output=True, text=True, check=True).stdout
    # docker-compose's own Python has PyYAML (a dependency of the Debian package); use it to turn YAML into JSON.
    converted = subprocess.run(["/usr/bin/python3", "-c",
                                "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))"],
                               input=out, capture_output=True, text=True, check=True).stdout
    return json.loads(converted)


pytestmark = pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose is not installed")


def test_the_file_is_valid_and_refuses_to_start_without_the_keys():
    subprocess.run(["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"], env=ENV, check=True)
    bare = {k: v for k, v in ENV.items() if not k.startswith("PAYRAIL_")}
    refused = subprocess.run(["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"], env=bare,
                             capture_output=True, text=True)
    assert refused.returncode != 0 and "PAYRAIL_EVENT_KEYS" in refused.stderr


def test_every_command_is_a_built_executable():
    services = _config()["services"]
    assert {"migrate", "payrail-gateway", "payrail-ingester", "payrail-worker", "payrail-reconciler",
            "payrail-sandbox"} <= set(services)
    for name, service in services.items():
        executable = service["command"][0]
        assert (_bin_dir() / executable).exists(), f"{name}: {executable} is not built by this package"
    assert "services/Dockerfile" in {s["build"]["dockerfile"] for s in services.values()}
    assert (ROOT / "services" / "Dockerfile").exists()


def test_every_variable_set_is_one_the_services_read():
    read = set()
    for folder in ("Sources", "services"):
        for path in (ROOT / folder).rglob("*.swift"):
            read |= set(re.findall(r'"(PAYRAIL_[A-Z0-9_]+)"', path.read_text()))
    for name, service in _config()["services"].items():
        for variable in service.get("environment", {}):
            assert variable in read, f"{name} sets {variable}, which no service reads"


def test_scaled_services_have_no_fixed_names_or_host_ports_and_wait_for_migrate():
    services = _config()["services"]
    worker = services["payrail-worker"]
    assert "container_name" not in worker and "ports" not in worker
    for name, service in services.items():
        if name == "migrate":
            assert service["restart"] == "no"
            continue
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
        assert "healthcheck" in service, f"{name} has no health check"
        assert any(v.startswith("payrail-data:") for v in service["volumes"]), f"{name} lacks the shared volume"
