"""What the audit hook costs a ticket submission: submissions/s with and without it, same run.

Creates a fresh database (``docket_k_bench`` on the local PostgreSQL; ``DATABASE_URL``
overrides, e.g. ``sqlite:////tmp/audit-bench.db``), migrates it, publishes the demo refund
form and then submits tickets through ``runtime.submissions.submit_ticket`` (the database
work of ``POST /api/v1/forms/refund/submissions``: validate, insert the ticket and its
events, commit), one session and commit per ticket, the way a request does. Rounds
alternate hook on / hook off so that drift (cache warm-up, autovacuum, a noisy neighbour)
hits both sides alike; the medians are compared. Timings are informative only.

    .venv/bin/python bench/audit_overhead.py [--rounds 6] [--per-round 300]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.migrate import upgrade  # noqa: E402
from builder.forms import service as forms  # noqa: E402
from core.db import make_engine, make_sessionmaker  # noqa: E402
from core.people import Role, create_user  # noqa: E402
from runtime import audit  # noqa: E402
from runtime.audit import AuditEntry  # noqa: E402
from runtime.submissions import submit_ticket  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/docket_k_bench"
REFUND = ROOT / "builder" / "forms" / "demo" / "refund.json"


def fresh(url: str) -> None:
    """Drop and recreate the bench database, then migrate it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        admin = make_engine(str(parsed.set(database="postgres")), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        admin.dispose()
    elif parsed.database:
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
    upgrade(url)


def main() -> None:
    """Run the rounds and print the rates and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=6, help="rounds per side")
    parser.add_argument("--per-round", type=int, default=300, help="submissions per round")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    fresh(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        requester = create_user(session=session, email="bench@example.com", name="Bench",
                                role=Role.REQUESTER)
        definition = json.loads(REFUND.read_text())
        forms.create_form(session=session, key="refund", title=definition["title"], actor=None,
                          definition=definition)
        forms.publish_form(session=session, key="refund", actor=None)
        session.commit()
        requester_id = requester.id

    counter = iter(range(1, 10**9))

    def submit_many(n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            i = next(counter)
            with sessions() as session:
                session.info[audit.ACTOR] = requester_id
                user = session.get(type(requester), requester_id)
                submit_ticket(session=session, form_key="refund", requester=user, data={
                    "category": "refund", "order_id": f"OD{i:08d}", "amount": 10 + i % 500,
                    "description": f"Parcel {i} arrived broken", "email": "b@example.com",
                    "confirm": True})
                session.commit()
        return n / (time.perf_counter() - start)

    # The hook's own time, measured around it (robust to a noisy machine, unlike the rates).
    hook_seconds = [0.0]

    def timed_hook(session: Session, context: object) -> None:
        start = time.perf_counter()
        audit._after_flush(session, context)
        hook_seconds[0] += time.perf_counter() - start

    audit.uninstall()
    event.listen(Session, "after_flush", timed_hook)
    submit_many(100)  # warm-up: caches, compiled statements, connection pool
    event.remove(Session, "after_flush", timed_hook)
    hook_seconds[0] = 0.0
    on: list[float] = []
    off: list[float] = []
    for _ in range(args.rounds):
        event.listen(Session, "after_flush", timed_hook)
        on.append(submit_many(args.per_round))
        event.remove(Session, "after_flush", timed_hook)
        assert not event.contains(Session, "after_flush", audit._after_flush)
        off.append(submit_many(args.per_round))
    audit.install()

    with sessions() as session:
        entries = session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.entity == "ticket"))
    with_hook, without = statistics.median(on), statistics.median(off)
    print(f"database: {engine.dialect.name}; {args.rounds} rounds x {args.per_round} "
          f"submissions per side (alternating)")
    print(f"with audit hook:    {with_hook:8.1f} submissions/s  (rounds: "
          f"{', '.join(f'{r:.0f}' for r in on)})")
    print(f"without audit hook: {without:8.1f} submissions/s  (rounds: "
          f"{', '.join(f'{r:.0f}' for r in off)})")
    print(f"ratio with/without: {with_hook / without:.3f}  "
          f"(overhead {100 * (1 - with_hook / without):.1f} %)")
    per_submission = hook_seconds[0] / (args.rounds * args.per_round)
    print(f"hook time per submission: {per_submission * 1e6:.0f} µs "
          f"({100 * per_submission * with_hook:.1f} % of a submission at the rate with the hook; "
          "includes its INSERT)")
    print(f"ticket audit entries written: {entries} (expected "
          f"{100 + args.rounds * args.per_round}: warm-up and hook-on rounds only)")
    engine.dispose()


if __name__ == "__main__":
    main()
