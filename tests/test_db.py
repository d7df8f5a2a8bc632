"""The engine factory's per-database settings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from core.db import FIRST_ID, insert_together, make_engine
from core.people import Team
from runtime.audit import AuditEntry
from runtime.flows.models import TeamCursor


def test_postgresql_connections_run_without_jit_and_keep_the_urls_options(engine):
    """JIT stays off after a rollback, and options given in the URL still apply."""
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    url = engine.url.set(query={"options": "-c statement_timeout=5000"})
    tuned = make_engine(url.render_as_string(hide_password=False))
    try:
        with tuned.connect() as conn:
            assert conn.execute(text("SHOW jit")).scalar_one() == "off"
            conn.rollback()
            assert conn.execute(text("SHOW jit")).scalar_one() == "off"
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "5s"
    finally:
        tuned.dispose()


@pytest.mark.parametrize("audit_ids", [True, False])
def test_insert_together_links_children_to_a_new_parent_and_returns_ids_in_order(
        session, audit_ids):
    """FIRST_ID is the first row's id; ids come back per model in row order, and rows of one
    model get ids in the order given even when other tables' rows come between them (read
    back or not)."""
    now = datetime.now(UTC)
    ids_of = (Team, AuditEntry) if audit_ids else (Team,)

    def entry(key: str, n: int) -> tuple[type, dict]:
        return (AuditEntry, {"at": now, "actor_id": None, "entity": "test",
                             "entity_id": f"{key}:{n}", "action": "create", "before": None,
                             "after": {"n": n}})

    for n in range(2):  # the second time from the statement cache
        key = f"t{audit_ids}{n}"
        ids = insert_together(session, [
            (Team, {"key": key, "name": "T"}), entry(key, 1), entry(key, 2),
            (TeamCursor, {"team_id": FIRST_ID, "last_user_id": None}), entry(key, 3),
        ], ids_of=ids_of)
        team_id = session.scalar(select(Team.id).where(Team.key == key))
        assert ids[Team] == [team_id]
        assert session.get_one(TeamCursor, team_id).team_id == team_id
        stored = session.execute(select(AuditEntry.id, AuditEntry.entity_id)
                                 .where(AuditEntry.entity_id.startswith(f"{key}:"))
                                 .order_by(AuditEntry.id)).all()
        assert [n for _i, n in stored] == [f"{key}:1", f"{key}:2", f"{key}:3"]
        assert ids.get(AuditEntry, [i for i, _n in stored]) == [i for i, _n in stored]
    assert insert_together(session, [], ids_of=(Team,)) == {Team: []}
