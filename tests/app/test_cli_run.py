"""`docket run` really serves: migrate, seed, start, answer on the printed URL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def test_docket_run_serves_the_demo(tmp_path: Path):
    """The embedded command prints the URL and the demo logins and answers on it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
           "UPLOAD_ROOT": str(tmp_path / "uploads"), "SECRET_KEY": "test-only"}
    env.pop("REDIS_URL", None)
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "app.cli", "run", "--port", str(port)],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                page = requests.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.3)
        else:
            raise AssertionError(log.read_text())
        assert page.status_code == 200 and "csrf_token" in page.text
        health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()
        assert health["database"]["ok"] and health["redis"]["ok"]
        printed = log.read_text()
        assert f"http://127.0.0.1:{port}/" in printed and "requester@example.com" in printed
    finally:
        process.terminate()
        process.wait(10)
