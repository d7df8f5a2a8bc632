"""Where one Docket submission spends its time: SQL trace, CPU per request, cProfile.

Companion to bench/submissions.py, in process (Flask test client, no gunicorn, one request at
a time) on a fresh PostgreSQL database set up the same way (``docket_bench`` by default,
``DATABASE_URL`` overrides; the database is dropped and recreated). Prints every statement
and transaction boundary of one submission with its start offset, the app's CPU per request
next to ``GET /healthz``, and a cProfile (CPU time) of N submissions, cumulative, restricted
to Docket's own code and the libraries on its path.

    .venv/bin/python bench/profile_submission.py [--quick] [--requests 300] [--routed]

``--routed`` posts to bench/routing.py's form with its routing flow instead, with
``REDIS_URL`` set to ``BENCH_REDIS_URL`` (default ``redis://127.0.0.1:6379/13``, emptied at
the end) so that the hand-off after commit is part of what is measured.
"""

from __future__ import annotations

import argparse
import atexit
import cProfile
import io
import logging
import os
import pstats
import sys
import time
from typing import Any

from submissions import DEFAULT_URL, setup_database  # bench/ is first on sys.path

FOCUS = (r"(main|perf)/(app|runtime|builder|core)/|flask_login/login_manager|marshmallow/schema.py"
         r":\d+\((dump|load)\)|session.py:\d+\((commit|flush)\)|_emit_lazyload")


def main() -> int:
    """Set up, trace one request, time N, profile N."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--routed", action="store_true", help="the form with a routing flow")
    args = parser.parse_args()
    n = 50 if args.quick else args.requests
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    key, token, bodies, _ = setup_database(url, 100)
    plain_key = key
    os.environ.update(DATABASE_URL=url, SECRET_KEY="bench-only-not-secret")
    os.environ.pop("REDIS_URL", None)
    if args.routed:
        import redis
        from routing import DEFAULT_REDIS, ROUTED, add_routing, routing_flow

        add_routing(url, routing_flow())
        key = ROUTED
        os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS
        queue_db = redis.Redis.from_url(os.environ["REDIS_URL"])
        if queue_db.dbsize():
            sys.exit(f"{os.environ['REDIS_URL']} is not empty; set BENCH_REDIS_URL")
        atexit.register(queue_db.flushdb)

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from app import create_app

    app = create_app()
    logging.disable(logging.INFO)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    path = f"/api/v1/forms/{key}/submissions"

    def post(i: int, path: str = path) -> Any:
        response = client.post(path, data=bodies[i % len(bodies)], headers=headers)
        if response.status_code != 201:
            sys.exit(f"unexpected {response.status_code}: {response.get_data(as_text=True)}")
        return response

    for i in range(20):
        post(i)

    trace: list[tuple[float, str]] = []
    began = time.perf_counter()

    def note(what: str) -> None:
        trace.append((time.perf_counter() - began, what))

    listeners: list[tuple[str, Any]] = [
        ("before_cursor_execute", lambda _c, _u, statement, *_a: note(
            " ".join(statement.split())[:96])),
        ("begin", lambda _c: note("BEGIN")), ("commit", lambda _c: note("COMMIT")),
        ("rollback", lambda _c: note("ROLLBACK")),
    ]
    for name, listener in listeners:
        event.listen(Engine, name, listener)
    began = time.perf_counter()
    post(0)
    total = time.perf_counter() - began
    for name, listener in listeners:
        event.remove(Engine, name, listener)
    statements = sum(1 for _, what in trace if what not in ("BEGIN", "COMMIT", "ROLLBACK"))
    print(f"one submission: {1000 * total:.1f} ms wall, {statements} SQL statements, "
          f"{sum(w == 'BEGIN' for _, w in trace)} transactions "
          f"({sum(w == 'COMMIT' for _, w in trace)} commits)")
    for offset, what in trace:
        print(f"  {1000 * offset:7.2f} ms  {what}")

    def cpu_per_request(request: Any) -> float:
        cpu = time.process_time()
        for i in range(n):
            request(i)
        return 1000 * (time.process_time() - cpu) / n

    plain_path = f"/api/v1/forms/{plain_key}/submissions"
    rounds = [(cpu_per_request(post), cpu_per_request(lambda i: post(i, plain_path)),
               cpu_per_request(lambda _i: client.get("/healthz"))) for _ in range(3)]
    submit_ms, plain_ms, health_ms = (min(r[k] for r in rounds) for k in range(3))
    print(f"\napp CPU per request (in process, serial, best of 3 rounds): submission "
          f"{submit_ms:.2f} ms, GET /healthz {health_ms:.2f} ms; body {len(bodies[0])} bytes")
    if args.routed:
        print(f"the same form without a flow: {plain_ms:.2f} ms; "
              f"ratio without/with flow {plain_ms / submit_ms:.2f}x")

    profile = cProfile.Profile(time.process_time)
    profile.runcall(lambda: [post(i) for i in range(n)])
    out = io.StringIO()
    # PROFILE_SORT=tottime: every function by its own time instead of Docket's, cumulative
    order = os.environ.get("PROFILE_SORT")
    restrictions = (30,) if order else (FOCUS, 30)
    pstats.Stats(profile, stream=out).sort_stats(order or "cumulative").print_stats(*restrictions)
    print(f"\ncProfile (CPU time) of {n} submissions, cumulative, Docket code and key calls:")
    print("\n".join(line for line in out.getvalue().splitlines()[4:] if line.strip()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
