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
