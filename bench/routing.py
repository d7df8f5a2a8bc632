"""What routing costs a submission: the refund form with a flow bound vs without, as a ratio.

Same database setup, gunicorn command (``-w 4 --threads 1``) and load generator as
bench/submissions.py (their code is reused). Three forms with the identical refund definition:

- side ``no flow``: ``refund``, no flow bound;
- side ``flow``: ``refund-routed``, bound to a flow that does what a real submission triggers
  synchronously: an exclusive on ``amount`` (> 1000 or default) into a ``notify`` to the
  requester on each branch (one outbox row), ``assign`` round robin in a 4-agent team, a
  ``user_task`` (one task), where the instance waits;
- side ``floor``: ``refund-floor``, no flow bound, served by bench/floor_app.py: each
  submission also makes the writes one ``flow`` submission sent (recorded first, in
  process), replayed as one statement, and hands their outbox rows to RQ. Its ratio is what
  routing would cost if the Python deciding those writes cost nothing: how far the same
  writes can go.

Both servers get ``REDIS_URL`` (an empty Redis database, ``BENCH_REDIS_URL``, emptied again at
the end): after the commit ``app.jobs.hand_off`` enqueues the ticket's outbox rows, as in
production; no worker runs, so nothing is delivered. Rounds alternate the sides. Checks: every
response 201; side ``flow`` created one instance, one task and two outbox rows per ticket (the
notify step's mail, and the notification mail to the agent the ticket and its task went to),
the rows were handed to Redis (one job per row in the queue) and round robin spread tickets
evenly; side ``floor`` made the same rows.

    .venv/bin/python bench/routing.py [--quick] [--clients 4] [--requests 3000]
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import pickle
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import loadgen  # bench/ is first on sys.path
from submissions import REFUND, ROOT, Side, load_options, measure, print_table, setup_database

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/docket_bench_flows"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
ROUTED, FLOOR, TEAM = "refund-routed", "refund-floor", "bench-agents"


def routing_flow() -> dict[str, Any]:
    """start -> exclusive on amount -> notify (either branch) -> round robin -> user task."""
    def node(node_id: str, kind: str, **data: Any) -> dict[str, Any]:
        return {"id": node_id, "type": kind, "position": {"x": 0, "y": 0}, "data": data}

    notify = {"action": "notify", "channel": "email", "to": [{"kind": "requester"}],
              "body": {"en": "We received the refund request for order {{order_id}}."}}
    return {
        "formatVersion": 1, "key": "routing-bench", "title": {"en": "Routing bench"},
        "nodes": [
            node("start", "start", trigger="form.submitted", form=ROUTED),
            node("route", "exclusive"),
            node("ack-large", "action", **notify, subject={"en": "Large refund received"}),
            node("ack", "action", **notify, subject={"en": "Refund received"}),
            node("queue", "assign", strategy="round_robin", team=TEAM),
            node("handle", "user_task", title={"en": "Handle the refund"}, due="P1D"),
            node("done", "end", outcome="resolved"),
        ],
        "edges": [
            {"id": "e1", "source": "start", "target": "route"},
            {"id": "e2", "source": "route", "target": "ack-large", "data": {
                "priority": 1, "when": {"properties": {"amount": {"exclusiveMinimum": 1000}},
                                        "required": ["amount"]}}},
            {"id": "e3", "source": "route", "target": "ack", "data": {"default": True}},
            {"id": "e4", "source": "ack-large", "target": "queue"},
            {"id": "e5", "source": "ack", "target": "queue"},
            {"id": "e6", "source": "queue", "target": "handle"},
            {"id": "e7", "source": "handle", "target": "done"},
        ],
    }


def add_routing(url: str, flow: dict[str, Any]) -> None:
    """Copies of the refund form under ``ROUTED`` and ``FLOOR``, a team of 4 agents,
    ``flow`` published (bound to ``ROUTED``)."""
    from builder.flows import service as flows
    from builder.forms import service as forms
    from core.db import make_engine, make_sessionmaker
    from core.people import Role, create_team, create_user

    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        for key in (ROUTED, FLOOR):
            definition = {**copy.deepcopy(json.loads(REFUND.read_text())), "key": key}
            forms.create_form(session=session, key=key, title=definition["title"], actor=None,
                              definition=definition)
            forms.publish_form(session=session, key=key, actor=None)
        create_team(session=session, key=TEAM, name="Bench agents")
        for i in range(4):
            create_user(session=session, email=f"agent{i}@example.com", name=f"Agent {i}",
                        role=Role.AGENT, team_keys=(TEAM,))
        flows.create_flow(session=session, key=flow["key"], title=flow["title"], actor=None,
                          definition=flow)
        flows.publish_flow(session=session, key=flow["key"], actor=None)
        session.commit()
    engine.dispose()


def record_writes(url: str, headers: dict[str, str], body: bytes, path: Path) -> None:
    """Post two routed submissions in process (their hand-off goes to an in-process queue)
    and pickle, for bench/floor_app.py, the second ticket's id and the writes sent after
    its INSERT, as the driver received them (the last is the flow's INSERT). The first one
    takes the team's first round-robin turn, which is not the usual one."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from app import create_app

    app = create_app({"DATABASE_URL": url, "REDIS_URL": None,
                      "SECRET_KEY": "bench-only-not-secret"})
    sent: list[tuple[str, dict[str, Any]]] = []

    def note(_conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        sent.append((sql, dict(params or {})))

    def post() -> None:
        response = app.test_client().post(f"/api/v1/forms/{ROUTED}/submissions", data=body,
                                          headers=headers)
        if response.status_code != 201:
            raise SystemExit(f"recording a routed submission: {response.status_code}")

    post()
    event.listen(Engine, "before_cursor_execute", note)
    try:
        post()
    finally:
        event.remove(Engine, "before_cursor_execute", note)
    after = next(i for i, (sql, _) in enumerate(sent) if sql.startswith("WITH new_ticket"))
    writes = [(sql, params) for sql, params in sent[after + 1:]
              if not sql.startswith("SELECT")]
    ticket_id = next(params["ticket_id"] for sql, params in writes
                     if sql.startswith("UPDATE tickets"))
    path.write_bytes(pickle.dumps((ticket_id, writes)))


CHECKS = """
SELECT t.form_key, count(DISTINCT t.id), count(DISTINCT i.id), count(DISTINCT k.id),
       count(DISTINCT o.id),
       count(DISTINCT t.assignee_id), min(a.n), max(a.n)
FROM tickets t LEFT JOIN flow_instances i ON i.ticket_id = t.id
LEFT JOIN tasks k ON k.ticket_id = t.id LEFT JOIN outbox o ON o.ticket_id = t.id
LEFT JOIN (SELECT assignee_id, count(*) AS n FROM tickets GROUP BY assignee_id) a
       ON a.assignee_id = t.assignee_id
GROUP BY t.form_key ORDER BY t.form_key"""


def check_rows(url: str) -> dict[str, tuple[int, ...]]:
    """Per form: tickets, instances, tasks, outbox rows, assignees, min/max tickets per
    assignee."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = {row[0]: tuple(int(v or 0) for v in row[1:]) for row in conn.execute(text(CHECKS))}
    engine.dispose()
    return rows


def main() -> int:
    """Set up, run both sides alternately, print the table, the ratio and the checks."""
    args = load_options(__doc__)
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    key, token, bodies, rejected = setup_database(url, 500)
    add_routing(url, routing_flow())
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    with contextlib.ExitStack() as running:  # servers stop and Redis is emptied on any exit
        writes = Path(running.enter_context(tempfile.TemporaryDirectory())) / "writes.pickle"
        record_writes(url, headers, bodies[0], writes)
        redis_url = running.enter_context(loadgen.private_redis(
            os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS))
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url,
               "SECRET_KEY": "bench-only-not-secret"}
        floor = {**env, "FLOOR_WRITES": str(writes), "PYTHONPATH": str(ROOT / "bench")}
        sides = []
        for name, form, server, server_env in (("no flow", key, "app.wsgi:app", env),
                                               ("flow", ROUTED, "app.wsgi:app", env),
                                               ("floor", FLOOR, "floor_app:app", floor)):
            base, master, log = running.enter_context(loadgen.gunicorn(
                server, workers=args.workers, env=server_env, cwd=ROOT))
            sides.append(Side(name, f"{base}/api/v1/forms/{form}/submissions",
                              loadgen.process_tree(master), log))
        measure(sides, headers, bodies, args)
        from redis import Redis

        from runtime.queue import job_queue

        queued = job_queue(Redis.from_url(redis_url)).count  # handed off after commit
    rows = check_rows(url)

    print(f"\nconfig: gunicorn -w {args.workers} --threads 1, {args.clients} client processes, "
          f"{os.cpu_count()} CPUs, REDIS_URL set (hand-off after commit, no worker); "
          f"{len(bodies)} bodies ({rejected} rejected locally), {args.warmup} warm-up + up to "
          f"{args.requests} requests or {args.duration:.0f} s per side, {args.rounds} rounds")
    print_table(sides)
    plain = sides[0].load
    for side in sides[1:]:
        print(f"ratio {side.name}/no flow: throughput {side.load.rate / max(plain.rate, 1e-9):.2f}x"
              f" (target >= 0.8x), p50 latency "
              f"{side.load.quantile_ms(0.5) / max(plain.quantile_ms(0.5), 1e-9):.2f}x; per round: "
              + " ".join(f"{f / max(n, 1e-9):.2f}x" for n, f in zip(sides[0].rates, side.rates,
                                                                   strict=True)))
    recorded = 2  # routed tickets record_writes made (their jobs went to an in-process queue)
    for side, form in zip(sides, (key, ROUTED, FLOOR), strict=True):
        tickets, instances, tasks, outbox, assignees, low, high = rows.get(form, (0,) * 7)
        expected = side.warmup_ok + side.load.statuses[201] + (recorded if form == ROUTED else 0)
        per_ticket = (instances, tasks, outbox) == (
            (0, 0, 0) if form == key else (tickets, tickets, 2 * tickets))
        ok = side.load.statuses[201] == len(side.load.latencies) and tickets == expected \
            and per_ticket
        print(f"{side.name}: statuses {dict(side.load.statuses)}; tickets {tickets} vs 201s "
              f"incl. warm-up {expected}; instances {instances}, tasks {tasks}, outbox rows "
              f"{outbox}" + (f"; {assignees} assignees, {low}-{high} tickets each (all sides)"
                             if assignees else "")
              + f": {'OK' if ok else 'MISMATCH'}"
              + (f"\n  first non-201: {side.load.first_error}" if side.load.first_error else ""))
    handed = sum(rows.get(form, (0,) * 7)[3] for form in (ROUTED, FLOOR)) - 2 * recorded
    print(f"jobs in the queue: {queued} vs outbox rows made by the servers {handed}: "
          f"{'OK' if queued == handed else 'MISMATCH'}")
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: servers get stopped
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
