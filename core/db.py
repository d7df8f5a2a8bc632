"""The SQLAlchemy base, column types and session factory shared by every package.

Services take an explicit ``Session``; the request or job that called them commits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    MetaData,
    Table,
    bindparam,
    create_engine,
    event,
    insert,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: JSON documents: JSONB on PostgreSQL (indexable), plain JSON text elsewhere.
JSONDoc = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    """Declarative base whose constraints get stable, Alembic-friendly names."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSONDoc, datetime: UTCDateTime}


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets foreign keys and a busy timeout like a real server,
    PostgreSQL connections run without JIT."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def _no_jit(dbapi_connection: Any, _record: Any) -> None:
            # Docket's statements are short; JIT compiling one whose cost the planner
            # overestimates (a phrase search's walk) takes longer than running it. Set per
            # connection (committed, so a rollback keeps it), leaving the URL's options alone.
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET jit = off")
            dbapi_connection.commit()

    elif engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite's own transaction handling breaks SAVEPOINTs; SQLAlchemy's
            # documented fix is to turn it off and emit BEGIN ourselves.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN")

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A plain session factory (no Flask): objects stay usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def insert_together(session: Session, rows: list[tuple[type[Base], dict[str, Any]]]) -> None:
    """INSERT one row into each model's table, in the session's transaction, without the
    unit of work.

    PostgreSQL takes them as one statement (the other INSERTs as data-modifying CTEs of the
    first), so a request pays one round trip for them; other databases, one each. Rows are
    written as given: give every column that has a default (SQLAlchemy does not fill the
    Python-side defaults of a statement that carries CTEs). Statements are built once per
    shape (tables and column names): building one costs more than running it.
    """
    if not rows:
        return
    postgres = session.get_bind().dialect.name == "postgresql"
    shape = (postgres, tuple((model, tuple(row)) for model, row in rows))
    statements = _TOGETHER.get(shape)
    if statements is None:
        statements = [insert(cast(Table, model.__table__)).values(
            {key: bindparam(f"{i}_{key}") for key in row}) for i, (model, row) in enumerate(rows)]
        if postgres:
            first, *rest = statements
            statements = [first.add_cte(*(s.cte(f"w{i}") for i, s in enumerate(rest, 1)))]
        _TOGETHER[shape] = statements
    params = [{f"{i}_{key}": value for key, value in row.items()}
              for i, (_model, row) in enumerate(rows)]
    if postgres:
        session.execute(statements[0], {k: v for part in params for k, v in part.items()})
    else:
        for statement, part in zip(statements, params, strict=True):
            session.execute(statement, part)


_TOGETHER: dict[tuple[Any, ...], list[Insert]] = {}
