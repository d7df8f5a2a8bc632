"""`docket run` builds the browser code when it is missing or older than its sources.

How this works: the build is "stale" when Vite's manifest (``app/static/dist/.vite/
manifest.json``) is missing or older than any input of the build (every file under
``frontend/src``, ``package.json``, ``package-lock.json``, ``vite.config.ts``). Only then is
Node needed: ``npm ci`` runs when ``node_modules`` is missing or older than the lock file,
then ``npm run build``. ``plan_build`` is the pure decision (modification times in, a plan
out); ``read_times`` gathers the times; ``ensure_frontend`` carries the plan out. A checkout
with a build and no Node still runs (with a warning when the build looks stale); without a
build and without Node it stops and says how to install Node.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The frontend sources (absent in an installed package: then only a shipped build runs).
SOURCE = ROOT / "frontend"
#: Written by ``npm run build`` (vite.config.ts: outDir ../app/static/dist, manifest: true).
MANIFEST = ROOT / "app" / "static" / "dist" / ".vite" / "manifest.json"
#: Vite 7/8 need this Node (or newer).
NODE_MINIMUM = (20, 19)
#: Build inputs at the top of frontend/ (plus everything under src/).
TOP_INPUTS = ("package.json", "package-lock.json", "vite.config.ts")

INSTALL_NODE = (
    "Install Node.js {minimum} or newer (it includes npm): https://nodejs.org/en/download "
    "or your system's package manager (Debian/Ubuntu: the NodeSource packages, macOS: "
    "`brew install node`), then run `docket run` again. Or build once elsewhere with "
    "`npm ci --prefix frontend && npm run build --prefix frontend` (`make frontend`)."
)


@dataclass(frozen=True, slots=True)
class BuildTimes:
    """Modification times (seconds since the epoch; None when the path is missing)."""

    manifest: float | None
    newest_input: float | None
    node_modules: float | None
    lock: float | None


@dataclass(frozen=True, slots=True)
class BuildPlan:
    """What to do before serving: build (and first install) or nothing, and why."""

    build: bool
    install: bool
    reason: str


def plan_build(times: BuildTimes) -> BuildPlan:
    """Decide from modification times whether to run ``npm ci`` and ``npm run build``."""
    if times.newest_input is None:
        return BuildPlan(build=False, install=False, reason="no frontend sources")
    if times.manifest is None:
        reason = "the frontend is not built yet"
    elif times.manifest < times.newest_input:
        reason = "the frontend sources changed since the last build"
    else:
        return BuildPlan(build=False, install=False, reason="the frontend build is up to date")
    install = times.node_modules is None or (
        times.lock is not None and times.node_modules < times.lock)
    return BuildPlan(build=True, install=install, reason=reason)


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def read_times(*, source: Path, manifest: Path) -> BuildTimes:
    """The times ``plan_build`` needs, read from the file system."""
    inputs = [source / name for name in TOP_INPUTS]
    src = source / "src"
    if src.is_dir():
        inputs.extend(path for path in src.rglob("*") if path.is_file())
    times = [t for t in map(_mtime, inputs) if t is not None]
    return BuildTimes(
        manifest=_mtime(manifest),
        newest_input=max(times) if times and (source / "package.json").is_file() else None,
        node_modules=_mtime(source / "node_modules"),
        lock=_mtime(source / "package-lock.json"),
    )


def node_problem() -> str | None:
    """Why Node cannot build here (missing, too old), or None when it can."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return f"Node.js/npm was not found on PATH ({'node' if node is None else 'npm'})."
    try:
        printed = subprocess.run([node, "--version"], capture_output=True, text=True,
                                 timeout=30, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return f"`node --version` failed: {exc}."
    found = re.match(r"v?(\d+)\.(\d+)", printed)
    if found is None or (int(found[1]), int(found[2])) < NODE_MINIMUM:
        return f"Node.js {printed or '(unknown version)'} is too old for the frontend build."
    return None


def ensure_frontend(*, source: Path, manifest: Path, echo: Callable[[str], None]) -> None:
    """Build the frontend when missing or stale; raise ``BuildError`` when it cannot."""
    plan = plan_build(read_times(source=source, manifest=manifest))
    if not plan.build:
        if not manifest.exists():
            raise BuildError(f"There is no frontend build ({manifest}) and no frontend "
                             f"sources to build it from ({source}).")
        return
    minimum = ".".join(map(str, NODE_MINIMUM))
    problem = node_problem()
    if problem is not None:
        if manifest.exists():
            echo(f"Warning: {plan.reason}, but the build cannot be refreshed: {problem} "
                 "Serving the existing build.")
            return
        raise BuildError(f"The frontend is not built and cannot be built: {problem}\n"
                         + INSTALL_NODE.format(minimum=minimum))
    npm = shutil.which("npm") or "npm"
    steps = [[npm, "run", "build"]]
    if plan.install:
        steps.insert(0, [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"])
    echo(f"Building the frontend: {plan.reason}.")
    for step in steps:
        echo(f"  $ {' '.join(['npm', *step[1:]])}   (in {source})")
        done = subprocess.run(step, cwd=source, check=False,
                              env={**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"})
        if done.returncode != 0:
            raise BuildError(f"`{' '.join(['npm', *step[1:]])}` failed (exit "
                             f"{done.returncode}); see its output above.")
    echo("Frontend built.")


class BuildError(Exception):
    """The frontend is needed but cannot be built here; the message says what to do."""
