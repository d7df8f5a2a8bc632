"""The audit trail: who changed what, when, with the values before and after.

How this works: one SQLAlchemy ``after_flush`` listener on every ``Session`` looks at the
objects the flush wrote (``session.new``, ``dirty`` and ``deleted`` still hold the
pre-flush state there, with each attribute's history) and, for the audited models only,
writes one ``audit_entries`` row per changed object with a single executemany INSERT on
the flush's own connection. It issues no SELECT: values come from what the ORM already
holds, so an update records the attributes that changed (with the old value when it was
loaded). Services need no changes; the actor is read from ``session.info["actor_id"]``
(an int or a callable returning one, set by the web request in ``app/db.py`` or by a job).

The table is append-only: the ORM refuses to update or delete an entry, and the migration
adds database triggers that refuse UPDATE and DELETE (PostgreSQL and SQLite).
Credentials (password hashes, token digests, secrets) are redacted.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Index, String, event, insert, inspect, select
from sqlalchemy.orm import Mapped, Mapper, Session, mapped_column
from sqlalchemy.orm.attributes import NO_VALUE

from core.clock import utcnow
from core.db import Base, JSONDoc
from core.errors import IllegalTransition

#: ``session.info`` key holding the acting user's id (or a callable returning it).
ACTOR = "actor_id"
REDACTED = "[redacted]"
#: Attributes whose values never enter the trail (credentials).
_SECRET_WORDS = ("password", "digest", "token", "secret")
#: Bookkeeping that changes with every write and says nothing to a reader.
_NOISE = frozenset({"revision", "updated_at", "search_text"})


class Action(enum.StrEnum):
    """What happened to the entity."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class AuditEntry(Base):
    """One change of one audited entity; written once, never updated or deleted."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_entity_entity_id_id", "entity", "entity_id", "id"),
        Index("ix_audit_entries_actor_id_id", "actor_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: The user who acted; None for the system (jobs, timers, the command line).
    #: No foreign key: the trail outlives anything it talks about.
    actor_id: Mapped[int | None]
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)


@dataclass(frozen=True, slots=True)
class Audited:
    """How one model appears in the trail: its entity name and how to name one row."""

    entity: str
    identify: Callable[[dict[str, Any]], Any]
    #: The column attributes worth recording (bookkeeping left out).
    columns: tuple[str, ...] = ()
    #: Of those, the ones whose values are credentials (recorded as REDACTED).
    secret: frozenset[str] = frozenset()


_REGISTRY: dict[type, Audited] = {}


def audit_model(cls: type, entity: str, identify: Callable[[dict[str, Any]], Any]) -> None:
    """Record changes of ``cls`` as ``entity``; ``identify`` names a row from its values."""
    mapper: Mapper[Any] = inspect(cls)
    keys = tuple(a.key for a in mapper.column_attrs if a.key not in _NOISE)
    secret = frozenset(k for k in keys if any(word in k for word in _SECRET_WORDS))
    _REGISTRY[cls] = Audited(entity, identify, keys, secret)


def audited_entities() -> list[str]:
    """The entity names the trail knows, sorted."""
    return sorted({spec.entity for spec in _REGISTRY.values()})


_PLAIN = frozenset({type(None), bool, int, float, str, dict, list})


def _jsonable(value: Any) -> Any:
    """A value as JSON can hold it (enums by value, datetimes in ISO 8601)."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return str(value)


def _clean(spec: Audited, key: str, value: Any) -> Any:
    if value is not None and key in spec.secret:
        return REDACTED
    return _jsonable(value)


def _snapshot(spec: Audited, values: dict[str, Any]) -> dict[str, Any]:
    """The loaded column values (no lazy loads), credentials redacted."""
    return {k: _clean(spec, k, values[k]) for k in spec.columns if k in values}


def _changes(spec: Audited, state: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The changed columns of a dirty object: (old values, new values)."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in state.committed_state:
        if key not in spec.columns:
            continue
        history = state.attrs[key].history
        if not history.added and not history.deleted:
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old is NO_VALUE:
            old = None
        if old == new and history.deleted:
            continue
        before[key] = _clean(spec, key, old)
        after[key] = _clean(spec, key, new)
    return before, after


def _actor(session: Session) -> int | None:
    actor = session.info.get(ACTOR)
    if callable(actor):
        actor = actor()
    return actor if isinstance(actor, int) else None


def _identity(spec: Audited, values: dict[str, Any]) -> str:
    return str(spec.identify(values))[:200]


def _after_flush(session: Session, _context: Any) -> None:
    """Write one entry per audited object the flush created, changed or deleted."""
    if not _REGISTRY:
        return
    rows = _created(session.new)
    for obj in session.dirty:
        spec = _REGISTRY.get(type(obj))
        if spec is None:
            continue
        state = inspect(obj)
        before, after = _changes(spec, state)
        if after:
            rows.append({"entity": spec.entity, "entity_id": _identity(spec, state.dict),
                         "action": Action.UPDATE, "before": before, "after": after})
    for obj in session.deleted:
        spec = _REGISTRY.get(type(obj))
        if spec is not None:
            values = inspect(obj).dict
            rows.append({"entity": spec.entity, "entity_id": _identity(spec, values),
                         "action": Action.DELETE, "before": _snapshot(spec, values),
                         "after": None})
    if rows:
        session.connection().execute(_INSERT, _signed(session, rows))


def _created(objects: Iterable[Any]) -> list[dict[str, Any]]:
    rows = []
    for obj in objects:
        spec = _REGISTRY.get(type(obj))
        if spec is not None:
            values = inspect(obj).dict
            rows.append({"entity": spec.entity, "entity_id": _identity(spec, values),
                         "action": Action.CREATE, "before": None,
                         "after": _snapshot(spec, values)})
    return rows


def _signed(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    actor, now = _actor(session), utcnow()
    for row in rows:
        row["actor_id"] = actor
        row["at"] = now
    return rows


def created_entries(session: Session, objects: Iterable[Any]) -> list[dict[str, Any]]:
    """The create entries (``audit_entries`` rows) of objects written by a plain INSERT ...
    RETURNING, which no flush sees: the rows the listener would have written, for the
    caller to insert; none while recording is off."""
    if not event.contains(Session, "after_flush", _after_flush):
        return []
    return _signed(session, _created(objects))


def updated_entries(session: Session, obj: Any, after: dict[str, Any]) -> list[dict[str, Any]]:
    """The update entry (an ``audit_entries`` row) of setting ``obj``'s columns to ``after``
    with a plain UPDATE, which no flush sees: what the listener would have written, for the
    caller to insert; none when nothing changes or recording is off."""
    spec = _REGISTRY.get(type(obj))
    if spec is None or not event.contains(Session, "after_flush", _after_flush):
        return []
    state = inspect(obj)
    before = {key: state.committed_state.get(key, state.dict.get(key)) for key in after}
    changed = [key for key in after if key in spec.columns and before[key] != after[key]]
    if not changed:
        return []
    return _signed(session, [{
        "entity": spec.entity, "entity_id": _identity(spec, state.dict), "action": Action.UPDATE,
        "before": {k: _clean(spec, k, None if before[k] is NO_VALUE else before[k])
                   for k in changed},
        "after": {k: _clean(spec, k, after[k]) for k in changed}}])


_INSERT = insert(AuditEntry)


def install() -> None:
    """Start recording (idempotent): the app factory and the model registry call this."""
    if not _REGISTRY:
        register_models()
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


def uninstall() -> None:
    """Stop recording (the overhead benchmark compares both)."""
    if event.contains(Session, "after_flush", _after_flush):
        event.remove(Session, "after_flush", _after_flush)


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_change(_mapper: Mapper[Any], _connection: Any, _target: AuditEntry) -> None:
    raise IllegalTransition("audit entries are append-only")


def register_models() -> None:
    """The audited models: tickets, definitions, people (and knowledge articles)."""
    from builder.flows.models import Flow, FlowBinding, FlowVersion
    from builder.forms.models import Form, FormVersion
    from builder.statuses import TicketStatus
    from core.people import Team, TeamMember, User
    from runtime.knowledge.models import Article
    from runtime.tickets.models import Ticket

    audit_model(Article, "kb_article", lambda v: v.get("id"))
    audit_model(Ticket, "ticket", lambda v: v.get("number"))
    audit_model(Form, "form", lambda v: v.get("key"))
    audit_model(FormVersion, "form_version", lambda v: v.get("id"))
    audit_model(Flow, "flow", lambda v: v.get("key"))
    audit_model(FlowVersion, "flow_version", lambda v: v.get("id"))
    audit_model(FlowBinding, "flow_binding", lambda v: v.get("form_id"))
    audit_model(User, "user", lambda v: v.get("id"))
    audit_model(Team, "team", lambda v: v.get("key"))
    audit_model(TicketStatus, "ticket_status", lambda v: v.get("key"))
    audit_model(TeamMember, "team_member",
                lambda v: f"{v.get('team_id')}:{v.get('user_id')}")


# --- reading the trail ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which entries to read; every part optional."""

    actor_id: int | None = None
    entity: str | None = None
    entity_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _query(where: AuditFilter) -> Any:
    query = select(AuditEntry)
    if where.actor_id is not None:
        query = query.where(AuditEntry.actor_id == where.actor_id)
    if where.entity:
        query = query.where(AuditEntry.entity == where.entity)
    if where.entity_id:
        query = query.where(AuditEntry.entity_id == where.entity_id)
    if where.action:
        query = query.where(AuditEntry.action == where.action)
    if where.since is not None:
        query = query.where(AuditEntry.at >= where.since)
    if where.until is not None:
        query = query.where(AuditEntry.at < where.until)
    return query


@dataclass(frozen=True, slots=True)
class AuditPage:
    """A page of entries, newest first, and the cursor of the next (older) page."""

    entries: list[AuditEntry]
    next_cursor: int | None


def list_entries(*, session: Session, where: AuditFilter, cursor: int | None = None,
                 limit: int = 50) -> AuditPage:
    """Entries matching ``where``, newest first; ``cursor`` is the last id already seen."""
    query = _query(where)
    if cursor is not None:
        query = query.where(AuditEntry.id < cursor)
    found = list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit + 1)))
    more = len(found) > limit
    found = found[:limit]
    return AuditPage(found, found[-1].id if more and found else None)


def iter_entries(*, session: Session, where: AuditFilter,
                 batch: int = 500) -> Iterable[AuditEntry]:
    """Every entry matching ``where``, newest first, read in batches (for exports)."""
    cursor: int | None = None
    while True:
        page = list_entries(session=session, where=where, cursor=cursor, limit=batch)
        yield from page.entries
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
