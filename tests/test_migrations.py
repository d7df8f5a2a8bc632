"""The migrations build exactly the schema the models describe (on SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory

from app.migrate import alembic_config


def test_migrations_match_the_models(engine):
    """`alembic check` finds nothing to generate after `upgrade head`."""
    with engine.connect() as connection:
        command.check(alembic_config(connection=connection))


def test_migrations_have_one_head():
    """Migrations form one line: no branch left unmerged."""
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_statuses_migration_seeds_and_backfills(tmp_path):
    """0008 seeds one status per category and gives every existing ticket the status whose
    key is its category; downgrading removes both again."""
    from sqlalchemy import create_engine, inspect, text

    url = f"sqlite:///{tmp_path / 'statuses.db'}"
    command.upgrade(alembic_config(url), "0007")
    engine = create_engine(url)  # no foreign-key pragma: a bare ticket row is enough here
    with engine.begin() as conn:
        for number, status in ((1, "new"), (2, "pending"), (3, "closed")):
            conn.execute(text(
                "INSERT INTO tickets (number, form_id, form_version_id, form_key, "
                "form_version_number, requester_id, status, priority, channel, subject, data, "
                "locale, created_at, updated_at, revision) VALUES (:n, 1, 1, 'f', 1, 1, :s, "
                "'normal', 'web', 's', '{}', 'en', '2026-01-01', '2026-01-01', 1)"),
                {"n": number, "s": status})
    with engine.begin() as conn:
        command.upgrade(alembic_config(connection=conn), "0008")
    with engine.connect() as conn:
        seeded = conn.execute(text("SELECT key, category, active FROM ticket_statuses "
                                   "ORDER BY key")).all()
        assert [tuple(r) for r in seeded] == [(k, k, 1) for k in sorted(
            ("new", "open", "pending", "resolved", "closed"))]
        rows = conn.execute(text("SELECT status, status_key FROM tickets ORDER BY number"))
        assert [tuple(r) for r in rows] == [("new", "new"), ("pending", "pending"),
                                            ("closed", "closed")]
    with engine.begin() as conn:
        command.downgrade(alembic_config(connection=conn), "0007")
    assert "ticket_statuses" not in inspect(engine).get_table_names()
    engine.dispose()
