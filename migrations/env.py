"""Alembic environment: the URL comes from the caller or DATABASE_URL (embedded default)."""

from __future__ import annotations

from alembic import context

from core.db import make_engine
from runtime.models import metadata

config = context.config


def include_name(name: str | None, type_: str, _parents: dict) -> bool:
    """Leave full-text objects (named ``*_fts*``: SQLite FTS5 tables, PostgreSQL expression
    indexes, generated tsvector columns) out of autogenerate: the models cannot describe them;
    migrations create them."""
    return not (name and type_ in ("table", "index", "column") and "_fts" in name)


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if url:
        return str(url)
    from pathlib import Path

    from app.config import load_config

    return str(load_config(Path(__file__).resolve().parent.parent / "instance")["DATABASE_URL"])


def run_migrations_offline() -> None:
    """Emit SQL without a connection."""
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against a live connection (given by the caller, or made from the URL)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                      compare_type=True, include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
