"""`docket run` builds the frontend when it is missing or stale, and only needs Node then."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from app.frontend_build import BuildPlan, BuildTimes, plan_build, read_times


@pytest.mark.parametrize("times, expected", [
    # never built: build, and install when node_modules is missing or older than the lock
    (BuildTimes(None, 10, None, 5), BuildPlan(True, True, "the frontend is not built yet")),
    (BuildTimes(None, 10, 4, 5), BuildPlan(True, True, "the frontend is not built yet")),
    (BuildTimes(None, 10, 6, 5), BuildPlan(True, False, "the frontend is not built yet")),
    # a source newer than the build: rebuild
    (BuildTimes(9, 10, 6, 5),
     BuildPlan(True, False, "the frontend sources changed since the last build")),
    (BuildTimes(9, 10, None, 5),
     BuildPlan(True, True, "the frontend sources changed since the last build")),
    # the build is as new as or newer than every input: nothing to do, whatever node_modules
    (BuildTimes(10, 10, None, 5), BuildPlan(False, False, "the frontend build is up to date")),
    (BuildTimes(11, 10, 1, 5), BuildPlan(False, False, "the frontend build is up to date")),
    # no sources (an installed package): nothing to build from
    (BuildTimes(None, None, None, None), BuildPlan(False, False, "no frontend sources")),
    (BuildTimes(3, None, None, None), BuildPlan(False, False, "no frontend sources")),
])
def test_plan_builds_only_when_missing_or_stale(times, expected):
    """Build when the manifest is missing or older than the newest input; npm ci only when
    node_modules is missing or older than the lock file."""
    assert plan_build(times) == expected


def _tree(root: Path) -> Path:
    source = root / "frontend"
    (source / "src" / "deep").mkdir(parents=True)
    for name in ("package.json", "package-lock.json", "vite.config.ts", "src/a.ts",
                 "src/deep/b.tsx"):
        (source / name).write_text("{}")
        os.utime(source / name, (100, 100))
    return source


def test_read_times_sees_the_newest_input_anywhere_under_src(tmp_path):
    """A file deep in src/ edited after the build makes the build stale; files outside the
    inputs (README, e2e/) do not."""
    source = _tree(tmp_path)
    manifest = tmp_path / "dist" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text("{}")
    os.utime(manifest, (200, 200))
    (source / "README.md").write_text("x")
    (source / "e2e").mkdir()
    (source / "e2e" / "x.spec.ts").write_text("x")
    times = read_times(source=source, manifest=manifest)
    assert times.newest_input == 100 and times.node_modules is None and times.lock == 100
    assert plan_build(times).build is False
    os.utime(source / "src" / "deep" / "b.tsx", (300, 300))
    assert plan_build(read_times(source=source, manifest=manifest)) == BuildPlan(
        True, True, "the frontend sources changed since the last build")
    (source / "node_modules").mkdir()
    os.utime(source / "node_modules", (150, 150))
    assert plan_build(read_times(source=source, manifest=manifest)).install is False
    os.utime(source / "package-lock.json", (160, 160))
    assert plan_build(read_times(source=source, manifest=manifest)).install is True
    assert read_times(source=tmp_path / "none", manifest=manifest).newest_input is None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_env(tmp_path: Path, path: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
           "UPLOAD_ROOT": str(tmp_path / "uploads"), "SECRET_KEY": "test-only",
           "PATH": str(path), **extra}
    env.pop("REDIS_URL", None)
    return env


def _serve(command: list[str], env: dict[str, str], log: Path, port: int) -> str:
    """Start `docket run`, wait until it answers, stop it; the printed output."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.3)
        else:
            raise AssertionError(log.read_text())
    finally:
        process.terminate()
        process.wait(10)
    return log.read_text()


def test_run_refuses_clearly_without_node_and_without_a_build(tmp_path):
    """No npm on PATH and no build: exit non-zero before serving, saying how to get Node."""
    empty = tmp_path / "bin"
    empty.mkdir()
    env = _run_env(tmp_path, empty,
                   DOCKET_FRONTEND_MANIFEST=str(tmp_path / "dist" / ".vite" / "manifest.json"))
    done = subprocess.run([sys.executable, "-m", "app.cli", "run", "--port", str(_free_port())],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0, done.stdout
    said = done.stdout + done.stderr
    assert "The frontend is not built and cannot be built" in said, said
    assert "Node.js/npm was not found on PATH" in said and "20.19 or newer" in said
    assert "Docket is running" not in said


def test_run_serves_a_stale_build_with_a_warning_when_node_is_missing(tmp_path):
    """A build exists but is older than the sources and Node is absent: warn, then serve."""
    empty = tmp_path / "bin"
    empty.mkdir()
    manifest = tmp_path / "manifest.json"
    manifest.write_text("{}")
    os.utime(manifest, (0, 0))
    port = _free_port()
    printed = _serve([sys.executable, "-m", "app.cli", "run", "--port", str(port)],
                     _run_env(tmp_path, empty, DOCKET_FRONTEND_MANIFEST=str(manifest)),
                     tmp_path / "run.log", port)
    assert "Warning: the frontend sources changed since the last build" in printed, printed
    assert "Serving the existing build" in printed
    assert f"http://127.0.0.1:{port}/" in printed


def test_run_installs_and_builds_when_stale_then_serves(tmp_path):
    """With Node on PATH (a stand-in here that records its calls), a missing build runs
    `npm ci` (no node_modules yet) then `npm run build` in the frontend folder, printing
    each step, and then serves."""
    source = _tree(tmp_path)
    manifest = tmp_path / "dist" / "manifest.json"
    calls = tmp_path / "calls.txt"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    manifest.parent.mkdir()
    scripts = {
        "node": "#!/bin/sh\necho v20.19.0\n",
        "npm": (f'#!/bin/sh\necho "$PWD $*" >> {calls}\n'
                f'if [ "$1" = run ]; then echo {{}} > {manifest}; fi\n'),
    }
    for name, body in scripts.items():
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(stat.S_IRWXU)
    port = _free_port()
    printed = _serve([sys.executable, "-m", "app.cli", "run", "--port", str(port)],
                     _run_env(tmp_path, bin_dir, DOCKET_FRONTEND_SOURCE=str(source),
                              DOCKET_FRONTEND_MANIFEST=str(manifest)),
                     tmp_path / "run.log", port)
    assert calls.read_text().splitlines() == [
        f"{source} ci --no-audit --no-fund --loglevel=error", f"{source} run build"]
    assert "Building the frontend: the frontend is not built yet." in printed, printed
    assert "$ npm ci" in printed and "$ npm run build" in printed
    assert "Frontend built." in printed and manifest.exists()
