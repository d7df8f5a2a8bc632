"""End-to-end submission throughput: Docket through gunicorn on PostgreSQL vs a bare baseline.

Creates a fresh database (``docket_bench``; ``DATABASE_URL`` overrides), migrates it, seeds a
requester with an API token and publishes the demo refund form, then runs the same gunicorn
command (``-w 4 --threads 1``) first for ``app.wsgi:app`` and then for ``bench.baseline_app:app``
(Flask + one INSERT and COMMIT), driving each with the identical load generator: N client
processes, each a ``requests.Session`` posting pre-encoded, varied refund submissions.
Prints req/s, p50/p95 latency, CPU per request (clients, gunicorn, PostgreSQL) and the ratio
docket/baseline. Timings are informative only; the script exits 0 unless setup fails.

    .venv/bin/python bench/submissions.py [--quick] [--clients 4] [--requests 3000]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import loadgen  # bench/loadgen.py (this script's folder is first on sys.path)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(1, str(ROOT))  # Docket's packages, after bench/ itself
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/docket_bench"
REFUND = ROOT / "builder" / "forms" / "demo" / "refund.json"


@dataclass
class Side:
    """One running server and what was measured against it, summed over the rounds."""

    name: str
    url: str
    pids: list[int]
    log: Callable[[], str]
    load: loadgen.LoadResult = field(default_factory=loadgen.LoadResult)
    warmup_ok: int = 0
    server_cpu: float = 0.0
    db_cpu: float = 0.0
    rates: list[float] = field(default_factory=list)
    #: What this side posts instead of the shared bodies, and the status it should answer.
    bodies: list[bytes] = field(default_factory=list)
    expect: int = 201


def fake_value(field: dict[str, Any], rnd: random.Random) -> Any:
    """A plausible valid value for a refund-like field, or None to leave it out."""
    kind, rules = field["type"], field.get("validate") or {}
    if kind in ("select", "radio"):
        return rnd.choice(field["options"])["value"]
    if kind == "multiselect":
        values = [o["value"] for o in field["options"]]
        return rnd.sample(values, rnd.randint(max(1, rules.get("minItems", 1)),
                                              min(len(values), rules.get("maxItems", 2))))
    if kind in ("number", "rating"):
        low = rules.get("min", 1) if kind == "number" else 1
        high = rules.get("max", low + 5000) if kind == "number" else field.get("max", 5)
        return rnd.randint(int(low) + 1, int(high)) if rules.get("integer") or kind == "rating" \
            else round(rnd.uniform(max(low, 0.01), high), 2)
    if kind == "checkbox":
        return True
    if kind == "date":
        return f"2025-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
    if kind == "datetime":
        return f"2025-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}T{rnd.randint(0, 23):02d}:30"
    if kind == "email":
        return f"customer{rnd.randint(1, 99999)}@example.com"
    if kind == "phone":
        return f"+86 138 {rnd.randint(1000, 9999)} {rnd.randint(1000, 9999)}"
    if kind == "url":
        return f"https://shop.example.com/orders/{rnd.randint(1, 99999)}"
    if kind in ("text", "textarea"):
        if (pattern := rules.get("pattern")) is not None:
            if pattern == "^OD[0-9]{8}$":
                return f"OD{rnd.randint(0, 99_999_999):08d}"
            return None  # cannot invent text for an arbitrary pattern
        words = rnd.choices(["parcel", "damaged", "late", "wrong", "size", "colour", "refund",
                             "order", "broken", "退款", "快递"], k=rnd.randint(2, 12))
        text = " ".join(words)[: rules.get("maxLength", 200)]
        return text.ljust(rules.get("minLength", 0), ".")
    return None  # file, user, group, static: not part of this benchmark


def setup_database(url: str, count: int) -> tuple[str, str, list[bytes], int]:
    """Fresh DB with a token and the published refund form: (key, token, bodies, rejected)."""
    from baseline_app import METADATA
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from app.migrate import upgrade
    from builder.forms import service
    from core.db import make_engine, make_sessionmaker
    from core.people import Role, create_user, issue_token
    from runtime.checking import check_submission

    parsed = make_url(url)
    admin = make_engine(str(parsed.set(database="postgres")), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    upgrade(url)
    engine = make_engine(url)
    METADATA.create_all(engine)
    with make_sessionmaker(engine)() as session:
        user = create_user(session=session, email="bench@example.com", name="Bench",
                           role=Role.REQUESTER)
        token = issue_token(session=session, user=user, name="bench")
        definition = json.loads(REFUND.read_text())
        service.create_form(session=session, key=definition["key"], title=definition["title"],
                            actor=None, definition=definition)
        version, _ = service.publish_form(session=session, key=definition["key"], actor=None)
        session.commit()
        rnd, bodies, rejected = random.Random(42), [], 0
        fields = [f for f in version.definition["fields"] if "key" in f]
        while len(bodies) < count and rejected < 10 * count:
            data = {f["key"]: v for f in fields if (v := fake_value(f, rnd)) is not None}
            if check_submission(version.definition, version.schema, data)[1]:
                rejected += 1  # the form wants something the generator cannot make
            else:
                bodies.append(json.dumps({"data": data}).encode())
    engine.dispose()
    if not bodies:
        raise SystemExit("could not generate one valid refund submission; see fake_value()")
    return definition["key"], token, bodies, rejected


def measure(sides: list[Side], headers: dict[str, str], bodies: list[bytes],
            args: argparse.Namespace) -> None:
    """Warm up every side, then alternate them for ``args.rounds`` rounds (so that noise from
    other load on the machine hits both alike), accounting CPU per side."""
    for side in sides:
        side.warmup_ok = loadgen.drive(side.url, headers, side.bodies or bodies,
                                       clients=args.clients, total=args.warmup, duration=30,
                                       expect=side.expect).statuses[side.expect]
    per_round = max(args.clients, args.requests // args.rounds)
    for number in range(args.rounds):
        for side in sides if number % 2 == 0 else sides[::-1]:
            gunicorn, postgres = (loadgen.cpu_seconds(side.pids),
                                  loadgen.cpu_seconds(loadgen.postgres_pids()))
            load = loadgen.drive(side.url, headers, side.bodies or bodies, clients=args.clients,
                                 total=per_round, duration=args.duration / args.rounds,
                                 offset=number * per_round, expect=side.expect)
            side.server_cpu += loadgen.cpu_used(gunicorn, loadgen.cpu_seconds(side.pids))
            side.db_cpu += loadgen.cpu_used(postgres, loadgen.cpu_seconds(loadgen.postgres_pids()))
            side.load.add(load)
            side.rates.append(load.rate)
    for side in sides:
        if side.load.first_error:
            side.load.first_error += "\n  gunicorn log tail:\n" + side.log()[-1500:]


def count_rows(url: str, table: str) -> int:
    """Rows in ``table``."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        n = int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    engine.dispose()
    return n


def load_options(doc: str | None) -> argparse.Namespace:
    """The load options shared with bench/routing.py (``--quick`` applied)."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client processes")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn -w")
    parser.add_argument("--requests", type=int, default=3000, help="measured requests per side")
    parser.add_argument("--duration", type=float, default=60.0, help="time cap per side (s)")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured requests first")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the sides")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.duration, args.warmup, args.rounds = 300, 20.0, 40, 2
    return args


def print_table(sides: list[Side]) -> None:
    """One row per side: requests, req/s, p50/p95 and CPU ms per request."""
    width = max(9, *(len(side.name) + 1 for side in sides))
    print(f"{'side':<{width}}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}"
          f"{'client':>8}{'gunicorn':>10}{'postgres':>10}   <- CPU ms per request")
    for side in sides:
        load, n = side.load, max(1, len(side.load.latencies))
        print(f"{side.name:<{width}}{len(load.latencies):>9}{load.rate:>8.0f}"
              f"{load.quantile_ms(0.5):>8.1f}{load.quantile_ms(0.95):>8.1f}"
              f"{1000 * load.client_cpu / n:>8.2f}{1000 * side.server_cpu / n:>10.2f}"
              f"{1000 * side.db_cpu / n:>10.2f}")


def main() -> int:
    """Parse options, set up, measure both sides, print the table."""
    args = load_options(__doc__)
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    key, token, bodies, rejected = setup_database(url, 500)
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-only-not-secret"}
    env.pop("REDIS_URL", None)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    with contextlib.ExitStack() as running:  # both servers stop on any exit, Ctrl-C included
        sides = []
        for name, app, path in (("docket", "app.wsgi:app", f"/api/v1/forms/{key}/submissions"),
                                ("baseline", "bench.baseline_app:app", "/submit")):
            base, master, log = running.enter_context(
                loadgen.gunicorn(app, workers=args.workers, env=env, cwd=ROOT))
            sides.append(Side(name, base + path, loadgen.process_tree(master), log))
        # the same Docket servers, each body refused at once (422, nothing written): what the
        # token check, the Flask stack and an answer cost before any ticket work
        sides.append(Side("docket 422", sides[0].url, sides[0].pids, sides[0].log,
                          bodies=[b'{"data": []}'], expect=422))
        measure(sides, headers, bodies, args)
    rows = {"docket": count_rows(url, "tickets"),
            "baseline": count_rows(url, "bench_baseline_submissions")}

    print(f"\nconfig: gunicorn -w {args.workers} --threads 1 (sync worker: it closes the "
          f"connection after each response), {args.clients} client processes (requests.Session)"
          f", {os.cpu_count()} CPUs shared by clients, gunicorn and PostgreSQL;\n        "
          f"{len(bodies)} distinct bodies ({rejected} generated bodies rejected locally), "
          f"{args.warmup} warm-up + up to {args.requests} requests or {args.duration:.0f} s "
          f"per side, in {args.rounds} alternating rounds")
    print_table(sides)
    docket, baseline, refused = (side.load for side in sides)
    print(f"\nratio docket/baseline: throughput {docket.rate / max(baseline.rate, 1e-9):.2f}x "
          f"(target >= 0.5x), p50 latency "
          f"{docket.quantile_ms(0.5) / max(baseline.quantile_ms(0.5), 1e-9):.1f}x; per round: "
          + " ".join(f"{d / max(b, 1e-9):.2f}x" for d, b in zip(*(s.rates for s in sides[:2]),
                                                                  strict=True)))
    print(f"ratio docket 422/baseline: throughput {refused.rate / max(baseline.rate, 1e-9):.2f}x"
          " (a request refused before any write: the ceiling for the docket row)")
    rows["docket 422"] = 0
    for side in sides:
        ok = side.load.statuses[side.expect]
        expected = side.warmup_ok + ok if side.expect == 201 else 0
        verdict = "OK" if ok == len(side.load.latencies) and rows[side.name] == expected \
            else "MISMATCH"
        print(f"{side.name}: statuses {dict(side.load.statuses)}; rows in DB {rows[side.name]}"
              f" vs 201s incl. warm-up {expected}: {verdict}"
              + (f"\n  first error: {side.load.first_error}" if side.load.first_error else ""))
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: gunicorn gets stopped
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
