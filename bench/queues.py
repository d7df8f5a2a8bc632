"""Queue pages at a million tickets: each queue page with its counts, through the Flask app.

    .venv/bin/python bench/generate_tickets.py      # once: 1M tickets in docket_bench_q
    .venv/bin/python bench/queues.py [--runs 30] [--quick] [--no-naive]

Database: DATABASE_URL, default ``docket_bench_q`` (made by generate_tickets.py; never
dropped here). Every request goes through the real app in-process (Flask test client: login
cookie, routing, marshmallow, SQLAlchemy, Jinja), so the figures include rendering. Printed
per case: p50 and p95 in milliseconds over ``--runs`` requests after warm-up, and the same
case measured the naive way in the same run: the page's list with OFFSET and an exact
COUNT(*) for each of the five queues, search by ILIKE over subject, data and comments, all
with the indexes of migration 0005 dropped inside a transaction that is rolled back
afterwards (so the database is left as it was). Ratio = naive p50 / ours p50. The naive side
is SQL only (no rendering), so the ratios are conservative.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402

from app import create_app  # noqa: E402
from core.db import make_engine, make_sessionmaker  # noqa: E402
from core.people import User  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/docket_bench_q"
PASSWORD = "docket-bench"
OPEN = "status IN ('new', 'open', 'pending')"
DROP = ["ix_tickets_open_assignee", "ix_tickets_open_team", "ix_tickets_open_unassigned",
        "ix_tickets_open_created", "ix_tickets_status_created", "ix_tickets_created_at_id",
        "ix_ticket_search_fts_document"]


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _time(call: Callable[[], object], runs: int, warm: int = 3) -> tuple[float, float]:
    for _ in range(warm):
        call()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    return _percentiles(samples)


def _login(app, email: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert token, "no csrf token on /login"
    response = client.post("/login", data={"email": email, "password": PASSWORD,
                                           "csrf_token": token.group(1)})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="10 runs, naive 3")
    parser.add_argument("--no-naive", action="store_true", help="measure ours only")
    args = parser.parse_args()
    runs = 10 if args.quick else args.runs
    naive_runs = 3 if args.quick else 8
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    engine = make_engine(url, pool_size=5)
    with make_sessionmaker(engine)() as s:
        total = s.scalar(text("SELECT count(*) FROM tickets"))
        agent = s.scalar(select(User).where(User.email == "agent0-0@bench.example"))
        admin = s.scalar(select(User).where(User.email == "admin@bench.example"))
        assert agent and admin, "run bench/generate_tickets.py first"
        for user in (agent, admin):
            if not user.check_password(PASSWORD):
                user.set_password(PASSWORD)
        s.commit()
        agent_id = agent.id
        team_ids = list(s.scalars(text(
            "SELECT team_id FROM team_members WHERE user_id = :u"), {"u": agent_id}))
        sample_order = s.scalar(text(
            "SELECT data->>'order_id' FROM tickets WHERE data ? 'order_id' "
            "ORDER BY id DESC LIMIT 1"))
    app = create_app({"DATABASE_URL": url, "REDIS_URL": None, "RATELIMIT_ENABLED": False},
                     session_factory=make_sessionmaker(engine))
    clients = {"agent": _login(app, "agent0-0@bench.example"),
               "admin": _login(app, "admin@bench.example")}
    second = clients["admin"].get("/api/v1/tickets?limit=50")  # a cursor for page 2
    cases = [
        ("agent", "mine", "/workspace?queue=mine"),
        ("agent", "teams", "/workspace?queue=teams"),
        ("agent", "unassigned", "/workspace?queue=unassigned"),
        ("agent", "approvals", "/workspace?queue=approvals"),
        ("agent", "all", "/workspace?queue=all"),
        ("admin", "all", "/workspace?queue=all"),
        ("admin", "unassigned", "/workspace?queue=unassigned"),
        ("admin", "all, status=closed", "/workspace?queue=all&status=closed"),
        ("admin", "all, any status, page 2",
         f"/workspace?queue=all&status=any&cursor={second.json['next_cursor']}"),
        ("admin", "search 'printer' (common)", "/workspace?queue=all&status=any&q=printer"),
        ("admin", f"search '{sample_order}' (rare id)",
         f"/workspace?queue=all&status=any&q={sample_order}"),
        ("admin", "search '打印机'",
         "/workspace?queue=all&status=any&q=%E6%89%93%E5%8D%B0%E6%9C%BA"),
        ("admin", "field.category=refund", "/workspace?queue=all&field.category=refund"),
        ("agent", "API queue=teams", "/api/v1/tickets?queue=teams&status=open"),
        ("admin", "API q=printer", "/api/v1/tickets?q=printer"),
    ]
    print(f"{total:,} tickets; agent agent0-0 in teams {team_ids}; {runs} runs per case")
    ours: dict[str, tuple[float, float]] = {}
    for who, name, path in cases:
        client = clients[who]
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code,
                                              response.get_data(as_text=True)[:300])
        ours[f"{who}: {name}"] = _time(lambda c=client, p=path: c.get(p), runs)
        print(f"  {who}: {name:<34} p50 {ours[f'{who}: {name}'][0]:7.1f} ms   "
              f"p95 {ours[f'{who}: {name}'][1]:7.1f} ms", flush=True)

    if args.no_naive:
        engine.dispose()
        return
    # The naive way, same run: OFFSET pages, exact counts, ILIKE search, no 0005 indexes.
    teams = ",".join(str(t) for t in team_ids) or "NULL"
    agent_scope = (f"(team_id IS NULL OR team_id IN ({teams}) OR assignee_id = {agent_id} "
                   f"OR requester_id = {agent_id})")
    queue_conds = {"mine": f"assignee_id = {agent_id}", "teams": f"team_id IN ({teams})",
                   "unassigned": "assignee_id IS NULL", "all": "TRUE"}
    select_list = ("SELECT t.*, a.name, tm.name FROM tickets t LEFT JOIN users a ON "
                   "a.id = t.assignee_id LEFT JOIN teams tm ON tm.id = t.team_id")

    def counts_sql(scope: str) -> list[str]:
        return [f"SELECT count(*) FROM tickets WHERE {scope} AND {cond} AND {OPEN}"
                for cond in queue_conds.values()] + [
            f"SELECT count(*) FROM tasks WHERE assignee_id = {agent_id} AND status = 'open'"]

    like = ("(t.subject ILIKE '%{q}%' OR t.data::text ILIKE '%{q}%' OR EXISTS (SELECT 1 FROM "
            "ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'comment' AND "
            "e.payload::text ILIKE '%{q}%'))")
    naive_cases = {
        "agent: mine": ("agent", f"{queue_conds['mine']} AND {OPEN}", 0),
        "agent: teams": ("agent", f"{queue_conds['teams']} AND {OPEN}", 0),
        "agent: unassigned": ("agent", f"{queue_conds['unassigned']} AND {OPEN}", 0),
        "agent: all": ("agent", OPEN, 0),
        "admin: all": ("admin", OPEN, 0),
        "admin: all, status=closed": ("admin", "status = 'closed'", 0),
        "admin: all, any status, page 2": ("admin", "TRUE", 50),
        "admin: search 'printer' (common)": ("admin", like.format(q="printer"), 0),
        f"admin: search '{sample_order}' (rare id)": ("admin", like.format(q=sample_order), 0),
        "admin: search '打印机'": ("admin", like.format(q="打印机"), 0),
        "admin: field.category=refund": ("admin", f"data->>'category' = 'refund' AND {OPEN}",
                                         0),
    }
    print(f"\nnaive (indexes of 0005 dropped in a rolled-back transaction; {naive_runs} runs)")
    print(f"  {'case':<44} {'ours p50':>9} {'ours p95':>9} {'naive p50':>10} {'ratio':>7}")
    with engine.connect() as conn:
        trans = conn.begin()
        for name in DROP:
            conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
        for name, (who, cond, offset) in naive_cases.items():
            scope = agent_scope if who == "agent" else "TRUE"
            statements = [f"{select_list} WHERE {scope.replace('team_id', 't.team_id')} AND "
                          f"{cond} ORDER BY t.created_at DESC, t.id DESC LIMIT 50 "
                          f"OFFSET {offset}", *counts_sql(scope)]

            def run(statements: list[str] = statements) -> None:
                for statement in statements:
                    conn.execute(text(statement)).all()

            naive = _time(run, naive_runs, warm=1)
            mine = ours[name]
            print(f"  {name:<44} {mine[0]:8.1f}  {mine[1]:8.1f}  {naive[0]:9.1f}  "
                  f"{naive[0] / mine[0]:6.1f}x", flush=True)
        trans.rollback()
    engine.dispose()


if __name__ == "__main__":
    main()
