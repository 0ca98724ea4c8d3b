"""Shared fixtures for the end-to-end tests: they run the real, built executables as separate processes."""
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = pathlib.Path(os.environ.get("PAYRAIL_SHARED_DIR", ROOT.parent / "shared"))


def _bin_dir() -> pathlib.Path:
    if os.environ.get("PAYRAIL_BIN"):
        return pathlib.Path(os.environ["PAYRAIL_BIN"])
    out = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True, check=True)
    return pathlib.Path(out.stdout.strip())


class Ctl:
    """Runs `payrailctl` with arguments and stdin; returns the finished process (text output)."""

    def __init__(self, path: pathlib.Path):
        self.path = path

    def __call__(self, *args: str, stdin: bytes | str = b"", env: dict | None = None, timeout: float = 30):
        data = stdin.encode() if isinstance(stdin, str) else stdin
        merged = dict(os.environ, **(env or {}))
        proc = subprocess.run([str(self.path), *args], input=data, capture_output=True, timeout=timeout, env=merged)
        proc.stdout_text = proc.stdout.decode("utf-8", "replace")
        proc.stderr_text = proc.stderr.decode("utf-8", "replace")
        return proc


@pytest.fixture(scope="session")
def ctl() -> Ctl:
    path = _bin_dir() / "payrailctl"
    assert path.exists(), f"build payrailctl first ({path} is missing)"
    return Ctl(path)


@pytest.fixture(scope="session")
def vectors():
    """Loads one shared vector file by name, e.g. vectors('douyin-sign.json')."""

    def load(name: str):
        with open(SHARED / "vectors" / name, encoding="utf-8") as handle:
            return json.load(handle)

    return load
