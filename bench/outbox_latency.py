"""Outbox latency: from a submission's commit to its webhook arriving, with two RQ workers.

Setup: a fresh database (``docket_bench_flows``; ``DATABASE_URL`` overrides) as in
bench/submissions.py, an empty Redis database (``BENCH_REDIS_URL``, default db 12, emptied
at the end), a receiver (``ThreadingHTTPServer`` on 127.0.0.1 noting the arrival time of each
``webhook-id``, i.e. outbox id) and the flow ``start -> webhook (to the receiver) -> end``
bound to the refund form. Subprocesses with ``DATABASE_URL``, ``REDIS_URL`` and
``WEBHOOK_ALLOWED_HOSTS=127.0.0.1``: ``docket relay`` (1 s poll) and two ``docket worker``;
all are stopped at the end, also on errors and Ctrl-C.

Submissions go through the API in this process with the Flask test client (no gunicorn: the
commit time is exact, from a SQLAlchemy ``after_commit`` hook on the transaction that
inserted the ticket), at a steady rate, in two phases: ``hand-off`` (as shipped:
``runtime.flows.outbox.hand_off`` enqueues the row right after the commit) and ``poll only``
(that listener removed here, so rows wait for the relay's poll, its fallback path).
Per message: commit -> RQ enqueued / job started (RQ's timestamps), -> arrival at the
receiver, -> ``delivered_at`` of the outbox row (set by the worker before it advances the
flow and commits).

    .venv/bin/python bench/outbox_latency.py [--quick] [--count 100] [--rate 2]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import loadgen  # bench/ is first on sys.path
from submissions import ROOT, setup_database

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/docket_bench_flows"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
ARRIVALS: dict[str, float] = {}
DUPLICATES: list[str] = []


class Receiver(BaseHTTPRequestHandler):
    """Records the first arrival time of every ``webhook-id`` and answers 200."""

    def do_POST(self) -> None:
        """Read the body, note the time, answer ``{}``."""
        now = time.time()
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        ident = self.headers.get("webhook-id", "?")
        (DUPLICATES.append(ident) if ident in ARRIVALS else ARRIVALS.setdefault(ident, now))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def hook_flow(url: str) -> dict[str, Any]:
    """start (refund submitted) -> webhook to ``url`` -> end."""
    nodes = (("start", "start", {"trigger": "form.submitted", "form": "refund"}),
             ("hook", "action", {"action": "webhook", "url": url, "retry": {"max": 3}}),
             ("done", "end", {"outcome": "resolved"}))
    return {"formatVersion": 1, "key": "hook-bench", "title": {"en": "Webhook bench"},
            "nodes": [{"id": i, "type": t, "position": {"x": 0, "y": 0}, "data": d}
                      for i, t, d in nodes],
            "edges": [{"id": "e1", "source": "start", "target": "hook"},
                      {"id": "e2", "source": "hook", "target": "done"}]}


@contextlib.contextmanager
def processes(commands: list[list[str]], env: dict[str, str]) -> Any:
    """Start ``commands`` (logs to temp files); always stop them: SIGTERM, SIGKILL after 10 s."""
    started: list[subprocess.Popen[bytes]] = []
    with contextlib.ExitStack() as logs:
        try:
            for command in commands:
                log = logs.enter_context(tempfile.TemporaryFile())
                started.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                                stderr=subprocess.STDOUT))
            yield started
        finally:
            for proc in started:
                proc.terminate()
            for proc in started:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(10)
                proc.kill()  # no-op once it exited
                proc.wait()


def quantiles(values: list[float]) -> str:
    """p50 / p95 / max in milliseconds."""
    ordered = sorted(values) or [float("nan")]
    pick = [ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in (0.5, 0.95, 1)]
    return "".join(f"{1000 * v:>9.1f}" for v in pick)


def run_phase(client: Any, path: str, headers: dict[str, str], bodies: list[bytes],
              commits: dict[int, float], count: int, rate: float) -> tuple[list[int], float]:
    """POST ``count`` submissions at ``rate``/s; returns the ticket ids and the elapsed time."""
    before, began = set(commits), time.monotonic()
    for i in range(count):
        time.sleep(max(0.0, began + i / rate - time.monotonic()))
        response = client.post(path, data=bodies[i % len(bodies)], headers=headers)
        if response.status_code != 201:
            raise SystemExit(f"submission got {response.status_code}: {response.get_data()!r}")
    return [t for t in commits if t not in before], time.monotonic() - began


def collect(factory: Any, ids: list[int], timeout: float) -> list[tuple[int, int, str, float]]:
    """(outbox id, ticket id, status, delivered_at) of the tickets' rows, once all are done
    and arrived (or after ``timeout`` seconds)."""
    from sqlalchemy import select

    from runtime.flows.models import OutboxMessage
    deadline = time.monotonic() + timeout
    while True:
        with factory() as session:
            rows = [(r.id, r.ticket_id, str(r.status), r.delivered_at.timestamp()
                     if r.delivered_at else 0.0) for r in session.scalars(
                select(OutboxMessage).where(OutboxMessage.ticket_id.in_(ids)))]
        done = len(rows) == len(ids) and all(s == "done" and str(i) in ARRIVALS
                                             for i, _, s, _ in rows)
        if done or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def main() -> int:
    """Set up, start receiver, relay and workers, run both phases, print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--count", type=int, default=100, help="submissions per phase")
    parser.add_argument("--rate", type=float, default=2.0, help="submissions per second")
    args = parser.parse_args()
    if args.quick:
        args.count = 30
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    server = ThreadingHTTPServer(("127.0.0.1", loadgen.free_port()), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with contextlib.ExitStack() as running:
        running.callback(server.shutdown)
        key, token, bodies, _ = setup_database(url, 200)
        redis_url = running.enter_context(loadgen.private_redis(
            os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS))
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url,
               "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "SECRET_KEY": "bench-only-not-secret"}
        os.environ.update(env)
        from sqlalchemy import event

        from app import create_app
        from builder.flows import service as flows
        from runtime.flows.outbox import hand_off
        from runtime.queue import redis_connection, worker_heartbeats

        app = create_app()
        factory = app.extensions["docket.sessions"]
        with factory() as session:
            flow = hook_flow(f"http://127.0.0.1:{server.server_address[1]}/hook")
            flows.create_flow(session=session, key=flow["key"], title=flow["title"],
                              actor=None, definition=flow)
            flows.publish_flow(session=session, key=flow["key"], actor=None)
            session.commit()
        cli = [sys.executable, "-m", "app.cli"]
        started = running.enter_context(processes(
            [[*cli, "relay"], [*cli, "worker"], [*cli, "worker"]], env))
        deadline = time.monotonic() + 60
        while len(worker_heartbeats(redis_connection(redis_url))) < 2:
            if time.monotonic() > deadline or any(p.poll() is not None for p in started):
                raise SystemExit("relay/workers did not come up")
            time.sleep(0.2)
        commits = install_commit_hook(factory)
        client = app.test_client()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        path = f"/api/v1/forms/{key}/submissions"
        run_phase(client, path, headers, bodies, commits, 5, args.rate)  # warm-up
        results = []
        for phase in ("hand-off", "poll only"):
            if phase == "poll only":
                event.remove(app.extensions["docket.sessions"], "after_commit", hand_off)
            ids, elapsed = run_phase(client, path, headers, bodies, commits, args.count,
                                     args.rate)
            rows = collect(factory, ids, timeout=60 + args.count / args.rate)
            results.append((phase, ids, elapsed, rows, rq_times(redis_url, rows, commits)))
        load = os.getloadavg()

    print(f"\nconfig: {args.count} submissions per phase at {args.rate:g}/s through the Flask test"
          f" client (in process), 1 relay (1 s poll) + 2 `docket worker` (RQ, fork per job), "
          f"{os.cpu_count()} CPUs; load average at the end {load[0]:.1f}")
    print(f"{'phase':<10}{'what':<28}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for phase, ids, elapsed, rows, queued in results:
        arrive = [ARRIVALS[str(o)] - commits[t] for o, t, _, _ in rows if str(o) in ARRIVALS]
        done = [d - commits[t] for _, t, s, d in rows if s == "done"]
        for label, values in zip(("commit -> RQ enqueued", "commit -> RQ job started",
                                  "RQ job started -> ended", "commit -> receiver",
                                  "commit -> outbox row done"), (*queued, arrive, done),
                                 strict=True):
            print(f"{phase:<10}{label:<28}{len(values):>5}{quantiles(values)}")
        span = max((ARRIVALS[str(o)] for o, _, _, _ in rows if str(o) in ARRIVALS),
                   default=float("nan")) - min(commits[t] for t in ids)
        print(f"{'':<10}submitted {len(ids)} in {elapsed:.1f} s ({len(ids) / elapsed:.1f}/s); "
              f"delivered {len(arrive)} in {span:.1f} s ({len(arrive) / span:.1f}/s); rows "
              f"{len(rows)}, done {len(done)}: "
              f"{'OK' if len(done) == len(arrive) == len(ids) else 'INCOMPLETE'}")
    print(f"duplicate deliveries seen by the receiver: {len(DUPLICATES)}")
    return 0


def rq_times(redis_url: str, rows: list[tuple[int, int, str, float]],
             commits: dict[int, float]) -> tuple[list[float], list[float], list[float]]:
    """Commit -> RQ's ``enqueued_at``, -> ``started_at`` of each row's first finished job
    (jobs are found by their argument, the outbox id); its run time."""
    from rq.job import Job
    from rq.registry import FinishedJobRegistry

    from runtime.queue import job_queue, redis_connection
    queue = job_queue(redis_connection(redis_url))
    first: dict[int, Job] = {}
    for job in Job.fetch_many(FinishedJobRegistry(queue=queue).get_job_ids(),
                              connection=queue.connection, serializer=queue.serializer):
        if job is not None and job.enqueued_at and (
                job.args[0] not in first or job.enqueued_at < first[job.args[0]].enqueued_at):
            first[job.args[0]] = job
    jobs = [first.get(o) for o, _, _, _ in rows]
    enqueued, started, took = [], [], []
    for job, (_, ticket, _, _) in zip(jobs, rows, strict=True):
        if job is not None and job.enqueued_at and job.started_at:
            enqueued.append(job.enqueued_at.replace(tzinfo=UTC).timestamp() - commits[ticket])
            started.append(job.started_at.replace(tzinfo=UTC).timestamp() - commits[ticket])
            if job.ended_at:
                took.append((job.ended_at - job.started_at).total_seconds())
    return enqueued, started, took


def install_commit_hook(factory: Any) -> dict[int, float]:
    """ticket id -> wall time of the commit of the transaction that inserted it (taken
    before the hand-off listener of ``factory`` runs)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from runtime.tickets.models import Ticket
    commits: dict[int, float] = {}

    def _committed(session: Session) -> None:
        # a submission's session holds its ticket (the first commit that holds one made it)
        now = time.time()
        for ticket in session.identity_map.values():
            if isinstance(ticket, Ticket):
                commits.setdefault(ticket.id, now)

    event.listen(factory, "after_commit", _committed, insert=True)
    return commits


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: subprocesses get stopped
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
