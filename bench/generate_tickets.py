"""Fill a PostgreSQL database with many realistic tickets, fast, for the queue benchmark.

    .venv/bin/python bench/generate_tickets.py [--tickets 1000000] [--batch 50000]

Database: DATABASE_URL, default ``docket_bench_q`` on 127.0.0.1:5432 (created and migrated
if missing; never dropped). People, teams and forms are made through the services; tickets,
their search rows and some comments go in with PostgreSQL COPY (psycopg's ``cursor.copy``),
one transaction per batch. Resumable and idempotent: it continues after the highest ticket
it made, so running it again with the same --tickets does nothing more. Queue indexes are
dropped while loading and built once at the end (much faster than maintaining them row by
row), then the tables are analyzed.

Spread: 10 teams of 6 agents, 2,000 requesters, 4 forms; tickets over two years, older ones
mostly closed; ~8% in no team, ~12% of open work unassigned; priority low/normal/high/urgent
20/55/20/5%; subjects and descriptions from an English and Chinese vocabulary, order and
serial numbers, ~10% with a comment.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app.migrate import upgrade  # noqa: E402
from builder.forms import service as forms  # noqa: E402
from builder.forms.models import Form, FormVersion  # noqa: E402
from core.db import make_engine, make_sessionmaker  # noqa: E402
from core.people import Role, Team, User, create_team, create_user  # noqa: E402
from runtime.tickets.search import ticket_document, tokens  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/docket_bench_q"
TEAMS = 10
AGENTS_PER_TEAM = 6
REQUESTERS = 2000
FORMS = ("refund", "repair", "access", "laptop")
START_NUMBER = 1001
SPAN = timedelta(days=730)
NOUNS = ("printer", "laptop", "invoice", "refund", "password", "vpn", "email", "monitor",
         "keyboard", "order", "delivery", "phone", "account", "license", "badge", "wifi",
         "打印机", "笔记本", "发票", "退款", "密码", "网络", "邮箱", "订单", "快递", "账号")
VERBS = ("broken", "missing", "slow", "not working", "request", "question about", "cannot open",
         "wrong", "late", "locked", "坏了", "丢失", "很慢", "无法使用", "申请", "咨询")
WORDS = ("please", "urgent", "since", "yesterday", "office", "floor", "screen", "battery",
         "customer", "warranty", "replacement", "again", "after", "update", "error", "code",
         "请", "尽快", "处理", "昨天", "办公室", "客户", "保修", "更换", "错误", "谢谢")


def _url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_URL


def ensure_database(url: str) -> None:
    """Create the database when missing, then migrate it to the newest schema."""
    parsed = make_url(url)
    admin = make_engine(str(parsed.set(database="postgres")), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                           {"n": parsed.database}):
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    upgrade(url)


def _definition(key: str) -> dict:
    base = json.loads((ROOT / "builder/forms/demo" / (
        "refund.json" if key in ("refund", "access") else "repair.json")).read_text())
    base["key"] = key
    base["title"] = {"en": key.capitalize()}
    return base


def ensure_people_and_forms(session_factory) -> dict:  # type: ignore[no-untyped-def]
    """Teams, agents, requesters and published forms (made once, found afterwards)."""
    with session_factory() as s:
        if s.scalar(select(Team.id).where(Team.key == "team-0")) is None:
            for t in range(TEAMS):
                create_team(session=s, key=f"team-{t}", name=f"Team {t}")
                for a in range(AGENTS_PER_TEAM):
                    create_user(session=s, email=f"agent{t}-{a}@bench.example",
                                name=f"Agent {t}-{a}", role=Role.AGENT,
                                team_keys=(f"team-{t}",))
            create_user(session=s, email="admin@bench.example", name="Admin", role=Role.ADMIN,
                        password="docket-bench")
            rows = [{"email": f"req{r}@bench.example", "name": f"Requester {r}",
                     "role": "requester", "active": True, "away": False, "skills": [],
                     "attributes": {}, "created_at": datetime.now(UTC)}
                    for r in range(REQUESTERS)]
            s.execute(User.__table__.insert(), rows)
            s.commit()
        for key in FORMS:
            if s.scalar(select(Form.id).where(Form.key == key)) is None:
                forms.create_form(session=s, key=key, title={"en": key}, actor=None,
                                  definition=_definition(key))
                forms.publish_form(session=s, key=key, actor=None)
                s.commit()
        teams = dict(s.execute(select(Team.key, Team.id)).all())
        agents: dict[int, list[int]] = {}
        for t in range(TEAMS):
            agents[teams[f"team-{t}"]] = list(s.scalars(select(User.id).where(
                User.email.like(f"agent{t}-%@bench.example")).order_by(User.id)))
        requesters = list(s.scalars(select(User.id).where(User.role == "requester",
                                                          User.email.like("%@bench.example"))))
        versions = {key: s.execute(select(Form.id, FormVersion.id, FormVersion.number)
                                   .join(FormVersion, FormVersion.form_id == Form.id)
                                   .where(Form.key == key)).first() for key in FORMS}
    return {"teams": list(teams.values()), "agents": agents, "requesters": requesters,
            "versions": versions}


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _data(rng: random.Random, key: str, description: str) -> dict:
    if key in ("refund", "access"):
        return {"category": rng.choice(("refund", "exchange", "question")),
                "order_id": f"OD{rng.randrange(10**7, 10**8)}",
                "amount": rng.randrange(10, 5000), "description": description,
                "email": f"buyer{rng.randrange(10**5)}@shop.example", "confirm": True}
    return {"product": rng.choice(("phone", "laptop", "tablet", "other")),
            "region": rng.choice(("north", "south", "east", "west")),
            "serial_number": f"SN{rng.randrange(10**9, 10**10)}", "description": description,
            "preferred_contact": rng.choice(("email", "phone"))}


def _status(rng: random.Random, age: float) -> str:
    """Older tickets are mostly done; the newest ~5% hold most open work."""
    open_share = 0.6 if age < 0.05 else 0.08
    x = rng.random()
    if x < open_share:
        return rng.choices(("new", "open", "pending"), (2, 5, 3))[0]
    return "resolved" if x < open_share + 0.15 else "closed"


QUEUE_INDEXES = ("ix_tickets_open_assignee", "ix_tickets_open_team",
                 "ix_tickets_open_unassigned", "ix_tickets_open_created",
                 "ix_tickets_status_created", "ix_tickets_created_at_id",
                 "ix_ticket_search_fts_document")


def _index_ddl() -> list[str]:
    """The CREATE INDEX statements of migration 0005, to rebuild after loading."""
    path = ROOT / "migrations/versions/20261122_0005_queues_search.py"
    spec = importlib.util.spec_from_file_location("m0005", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ddl = []
    for name, (columns, where, include) in module.INDEXES.items():
        ddl.append(f"CREATE INDEX IF NOT EXISTS {name} ON tickets ({', '.join(columns)})"
                   + (f" INCLUDE ({', '.join(include)})" if include else "")
                   + (f" WHERE {where}" if where else ""))
    ddl.append(module.PG_FTS_INDEX.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS"))
    return ddl


def generate(total: int, batch: int) -> None:
    """Load tickets until there are ``total`` of ours; resume where a run stopped."""
    url = _url()
    ensure_database(url)
    engine = make_engine(url)
    setup = ensure_people_and_forms(make_sessionmaker(engine))
    with engine.begin() as conn:
        done = conn.scalar(text("SELECT count(*) FROM tickets WHERE channel = 'bench'")) or 0
        base_number = conn.scalar(text(
            "SELECT coalesce(max(number), :s - 1) FROM tickets WHERE channel <> 'bench'"),
            {"s": START_NUMBER})
    print(f"{done} bench tickets present, {max(0, total - done)} to make", flush=True)
    if done < total:
        with engine.begin() as conn:
            for name in QUEUE_INDEXES:
                conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - SPAN
    teams, agents, requesters = setup["teams"], setup["agents"], setup["requesters"]
    raw = engine.raw_connection()
    try:
        while done < total:
            began = time.perf_counter()
            size = min(batch, total - done)
            rng = random.Random(done)  # the same batch always gets the same rows
            cur = raw.cursor()
            cur.execute("SELECT coalesce(max(id), 0), coalesce(max(number), %s) FROM tickets",
                        (base_number,))
            next_id, next_number = cur.fetchone()
            ticket_rows, search_rows, comment_rows = [], [], []
            for i in range(size):
                k = done + i
                next_id += 1
                next_number += 1
                age = 1 - k / total
                created = start + SPAN * (k / total) + timedelta(seconds=rng.randrange(60))
                form_key = rng.choice(FORMS)
                form_id, version_id, version_number = setup["versions"][form_key]
                team = None if rng.random() < 0.08 else rng.choice(teams)
                status = _status(rng, age)
                assignee = None
                if team is not None and not (status in ("new", "open", "pending")
                                             and rng.random() < 0.12) and status != "new":
                    assignee = rng.choice(agents[team])
                subject = f"{rng.choice(NOUNS)} {rng.choice(VERBS)} {_text(rng, 2)}"
                description = f"{_text(rng, rng.randrange(6, 20))} {rng.choice(NOUNS)}"
                data = _data(rng, form_key, description)
                ticket_rows.append((
                    next_id, next_number, form_id, version_id, form_key, version_number,
                    # each category's seeded status has the category's name as its key
                    rng.choice(requesters), assignee, team, status, status,
                    rng.choices(("low", "normal", "high", "urgent"), (20, 55, 20, 5))[0],
                    "bench", subject, json.dumps(data, ensure_ascii=False), "en",
                    created, created + timedelta(hours=rng.randrange(1, 200)), 1))
                document = ticket_document(subject, data)
                if rng.random() < 0.1:
                    body = f"{_text(rng, 8)} {rng.choice(NOUNS)}"
                    comment_rows.append((next_id, "comment", assignee, json.dumps(
                        {"body": body, "internal": False}, ensure_ascii=False),
                        created + timedelta(hours=1)))
                    document = f"{document} {tokens(body)}"
                search_rows.append((next_id, document))
            with cur.copy(
                "COPY tickets (id, number, form_id, form_version_id, form_key, "
                "form_version_number, requester_id, assignee_id, team_id, status, status_key, "
                "priority, channel, subject, data, locale, created_at, updated_at, revision) "
                "FROM STDIN") as copy:
                for row in ticket_rows:
                    copy.write_row(row)
            with cur.copy("COPY ticket_search (ticket_id, document) FROM STDIN") as copy:
                for row in search_rows:
                    copy.write_row(row)
            with cur.copy("COPY ticket_events (ticket_id, kind, actor_id, payload, created_at) "
                          "FROM STDIN") as copy:
                for row in comment_rows:
                    copy.write_row(row)
            raw.commit()
            done += size
            print(f"{done:>9} tickets  ({size / (time.perf_counter() - began):,.0f}/s)",
                  flush=True)
    finally:
        raw.close()
    with engine.begin() as conn:
        conn.execute(text("SELECT setval('tickets_id_seq', (SELECT max(id) FROM tickets))"))
        conn.execute(text("SELECT setval('ticket_numbers', (SELECT max(number) FROM tickets))"))
    for statement in _index_ddl():
        began = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text("SET maintenance_work_mem = '256MB'"))
            conn.execute(text(statement))
        print(f"{time.perf_counter() - began:6.1f}s  {statement[:70]}", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE tickets"))
        conn.execute(text("VACUUM ANALYZE ticket_search"))
        conn.execute(text("ANALYZE ticket_events"))
    engine.dispose()
    print("done", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=50_000)
    args = parser.parse_args()
    generate(args.tickets, args.batch)


if __name__ == "__main__":
    main()
