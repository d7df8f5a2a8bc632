"""Helpers for bench/submissions.py, routing.py and outbox_latency.py: run gunicorn, generate
HTTP load, account CPU time, borrow an empty Redis database.

The load generator is plain Python on purpose: the same code drives Docket and the baseline,
so whatever it costs is paid equally by both sides. Its own CPU time is measured and printed
(client CPU per request) so that a run in which the generator competes with the server for
the machine's cores is visible as such.
"""

from __future__ import annotations

import functools
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import requests

TICK = os.sysconf("SC_CLK_TCK")
#: (url, headers, bodies, first body, request count, start at, deadline) for one client.
ClientJob = tuple[str, dict[str, str], list[bytes], int, int, float, float, int]


@dataclass
class LoadResult:
    """What one run of the load generator saw."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0
    client_cpu: float = 0.0
    first_error: str = ""

    @property
    def rate(self) -> float:
        """Completed requests per second of wall time."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def add(self, other: LoadResult) -> None:
        """Fold another run into this one (rates then span both runs' wall time)."""
        self.latencies += other.latencies
        self.statuses.update(other.statuses)
        self.seconds += other.seconds
        self.client_cpu += other.client_cpu
        self.first_error = self.first_error or other.first_error

    def quantile_ms(self, q: float) -> float:
        """The ``q`` quantile of the latencies, in milliseconds."""
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def client(job: ClientJob) -> tuple[list[float], dict[int, int], float, float, str]:
    """One load-generator process: post bodies until its count or the deadline (monotonic)."""
    url, headers, bodies, offset, count, start_at, deadline, expect = job
    session, latencies, statuses, error = requests.Session(), [], Counter[int](), ""
    session.trust_env = False  # localhost: skip proxy/netrc lookups, a large part of the CPU
    time.sleep(max(0.0, start_at - time.monotonic()))
    cpu = time.process_time()
    for i in range(count):
        if time.monotonic() >= deadline:
            break
        began = time.perf_counter()
        try:
            response = session.post(url, data=bodies[(offset + i) % len(bodies)],
                                    headers=headers, timeout=60)
            # the body is decoded only when it is reported: Response.text on a JSON answer
            # without a charset runs charset detection, client CPU that grows with the body
            # and would be taken from the servers measured on the same CPUs
            status = response.status_code
            text = "" if status == expect else response.content[:300].decode(errors="replace")
        except requests.RequestException as exc:
            status, text = 0, repr(exc)
        latencies.append(time.perf_counter() - began)
        statuses[status] += 1
        if status != expect and not error:
            error = f"{status} {text}"
    return latencies, dict(statuses), time.process_time() - cpu, time.monotonic(), error


def drive(url: str, headers: dict[str, str], bodies: list[bytes], *, clients: int, total: int,
          duration: float, offset: int = 0, expect: int = 201) -> LoadResult:
    """``clients`` processes share ``total`` POSTs of ``bodies``, all bounded by ``duration``."""
    per = max(1, total // clients)
    with ProcessPoolExecutor(clients) as pool:
        start_at = time.monotonic() + 1.0  # every process is forked and waiting by then
        jobs = [(url, headers, bodies, offset + i * per, per, start_at, start_at + duration, expect)
                for i in range(clients)]
        parts = list(pool.map(client, jobs))
    result = LoadResult(seconds=max(p[3] for p in parts) - start_at)
    for latencies, statuses, cpu, _end, error in parts:
        result.latencies += latencies
        result.statuses.update(statuses)
        result.client_cpu += cpu
        result.first_error = result.first_error or error
    return result


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """utime + stime of each live pid, from /proc/<pid>/stat."""
    found = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            found[pid] = (int(stat[11]) + int(stat[12])) / TICK
        except (OSError, IndexError, ValueError):
            continue
    return found


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two ``cpu_seconds`` snapshots (new pids count in full)."""
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def postgres_pids() -> list[int]:
    """Every process named ``postgres`` (the server and its backends) visible here."""
    return [int(p.name) for p in Path("/proc").iterdir()
            if p.name.isdigit() and _read(p / "comm").strip() == "postgres"]


def process_tree(pid: int) -> list[int]:
    """``pid`` and its direct children (gunicorn's master and workers)."""
    return [pid, *map(int, _read(Path(f"/proc/{pid}/task/{pid}/children")).split())]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _tail(log: IO[bytes], size: int = 3000) -> str:
    log.flush()
    log.seek(0)
    return log.read().decode(errors="replace")[-size:]


@contextmanager
def gunicorn(app: str, *, workers: int, env: dict[str, str], cwd: Path) -> Iterator[
        tuple[str, int, Callable[[], str]]]:
    """Run ``gunicorn -w N --threads 1`` for ``app``; once /healthz answers 200 yield the base
    URL, the master pid and a function giving the log's tail; always stop it (SIGTERM, then
    SIGKILL after 15 s)."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", "1",
               "-b", f"127.0.0.1:{port}", "--log-level", "warning", app]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, cwd=cwd, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while server.poll() is None and time.monotonic() < deadline:
                try:
                    if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                        break
                except requests.RequestException:  # not bound yet, or workers still booting
                    pass
                time.sleep(0.2)
            else:
                raise RuntimeError(f"gunicorn {app} did not come up:\n{_tail(log)}")
            yield base, server.pid, functools.partial(_tail, log)
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@contextmanager
def private_redis(url: str) -> Iterator[str]:
    """Use the Redis database ``url`` names only if it is empty (nobody else's), and empty
    it again afterwards: jobs that benchmarks enqueue must not reach anyone's workers."""
    from redis import Redis

    connection = Redis.from_url(url, socket_connect_timeout=2)
    if connection.dbsize():
        raise SystemExit(f"{url} is not empty; set BENCH_REDIS_URL to an unused Redis database")
    try:
        yield url
    finally:
        connection.flushdb()
        connection.close()
