"""The SQLAlchemy base, column types and session factory shared by every package.

Services take an explicit ``Session``; the request or job that called them commits.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Table,
    bindparam,
    create_engine,
    event,
    insert,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
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


class _FirstId:
    """The type of ``FIRST_ID``."""

    def __repr__(self) -> str:
        return "FIRST_ID"


#: A value in a row given to ``insert_together``: the id the first row gets.
FIRST_ID = _FirstId()


def insert_together(session: Session, rows: list[tuple[type[Base], dict[str, Any]]], *,
                    ids_of: Collection[type[Base]] = ()) -> dict[type[Base], list[int]]:
    """INSERT rows, in the session's transaction, without the unit of work; returns the ids
    of the new rows of each model in ``ids_of``.

    PostgreSQL takes them as one statement (the INSERTs are data-modifying CTEs of it, run
    in row order), so a request pays one round trip for them; other databases, one per
    row. A value ``FIRST_ID`` stands for the id the first row gets (a new parent and its
    children in one go). Rows are written as given: give every column that has a default
    (SQLAlchemy does not fill the Python-side defaults of a statement that carries CTEs).
    Statements are built once per shape (tables, column names, where ``FIRST_ID`` goes):
    building one costs more than running it.
    """
    ids: dict[type[Base], list[int]] = {model: [] for model in ids_of}
    if not rows:
        return ids
    postgres = session.get_bind().dialect.name == "postgresql"
    shape = (postgres, tuple(ids_of), tuple(
        (model, tuple(row), tuple(k for k, v in row.items() if v is FIRST_ID))
        for model, row in rows))
    statements = _TOGETHER.get(shape)
    if statements is None:
        statements = _TOGETHER[shape] = _together_statements(postgres, shape[2], ids_of)
    params = [{f"{i}_{key}": value for key, value in row.items() if value is not FIRST_ID}
              for i, (_model, row) in enumerate(rows)]
    if postgres:
        result = session.execute(statements[0], {k: v for part in params for k, v in part.items()})
        models = list(ids_of)
        for index, made in result:
            if index >= 0:
                ids[models[index]].append(made)
        return ids
    first_id = None
    for i, ((model, row), statement, part) in enumerate(zip(rows, statements, params,
                                                             strict=True)):
        part.update({f"first_{key}": first_id for key, value in row.items() if value is FIRST_ID})
        result = session.execute(statement, part)
        if "id" in model.__table__.c:  # every row with an id returns it
            made = result.scalar_one()
            first_id = made if i == 0 else first_id
            if model in ids:
                ids[model].append(made)
    return ids


def _together_statements(postgres: bool, shape: tuple[Any, ...],
                         ids_of: Collection[type[Base]]) -> list[Any]:
    """``insert_together``'s statements: one for PostgreSQL, else one per row."""
    if not postgres:
        statements = []
        for i, (model, keys, refs) in enumerate(shape):
            table = cast(Table, model.__table__)
            statement = insert(table).values({
                key: bindparam(f"first_{key}" if key in refs else f"{i}_{key}") for key in keys})
            statements.append(statement.returning(table.c.id) if "id" in table.c else statement)
        return statements
    models = list(ids_of)
    ctes: list[Any] = []
    for i, (model, keys, refs) in enumerate(shape):
        table = cast(Table, model.__table__)
        statement = insert(table).values({
            key: select(ctes[0].c.id).scalar_subquery() if key in refs else bindparam(f"{i}_{key}")
            for key in keys})
        # which ids_of model (-1: none) and the id: the statement reads every row back, in
        # order, because PostgreSQL runs CTEs nobody reads in an order of its own (and
        # a multi-row INSERT would not be cached: SQLAlchemy compiles it every time)
        made = table.c.id if "id" in table.c else null().cast(Integer)
        ctes.append(statement.returning(
            literal(models.index(model) if model in ids_of else -1).label("m"),
            made.label("id")).cte(f"w{i}"))
    parts = [select(cte.c.m, cte.c.id) for cte in ctes]
    return [(union_all(*parts) if len(parts) > 1 else parts[0]).add_cte(*ctes)]


_TOGETHER: dict[tuple[Any, ...], list[Any]] = {}
