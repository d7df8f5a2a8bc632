"""Ticket lists for agents: queues, filters, full-text search, keyset pages and live counts.

How this works: a *queue* is a base condition (mine, my teams, unassigned, waiting for my
approval, all) inside the viewer's *scope* (admins: every ticket; agents: their teams' tickets,
tickets assigned to them and those in no team's queue yet; everybody else their own: the
ticket service's ``visible_tickets``). *Filters* narrow
it further (status, priority, form, team, assignee, ``field.<key>=<value>`` on the submitted
data, ``q`` full text). A page is ordered by ``(created_at, id)`` and continues after an
opaque *cursor* that encodes the last row's sort key, so page 1000 costs what page 1 costs.
Counts beside the queues are capped (``COUNT_CAP``): counting stops early, so a queue of a
million tickets answers as fast as one of a hundred and shows "10000+".

Every list costs a fixed number of statements whatever the number of rows: the viewer's
teams, the page (people and teams joined in), its attachments, and all counts in one.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Index,
    Select,
    and_,
    bindparam,
    false,
    func,
    literal,
    or_,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.orm import Session, joinedload, selectinload

from builder.forms.models import Form
from builder.statuses import TicketStatus
from core.errors import InvalidSubmission, Problem
from core.people import Role, Team, TeamMember, User
from runtime.flows.models import Task, TaskStatus
from runtime.tickets.models import Priority, Status, Ticket
from runtime.tickets.search import match_clause
from runtime.tickets.service import visible_tickets

#: Statuses that still need work: what queues show unless a status is chosen.
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)
#: Counting stops here; the page shows "10000+".
COUNT_CAP = 10_000
MAX_LIMIT = 200
_FIELD_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_CATEGORIES = frozenset(s.value for s in Status)
_OPEN_SQL = Ticket.status.in_([s.value for s in OPEN_STATUSES])

# The indexes queues need (migration 0005): open work per assignee, per team, unassigned
# per team and overall, each in page order; and every status in page order.
Index("ix_tickets_open_assignee", Ticket.assignee_id, Ticket.created_at, Ticket.id,
      postgresql_where=_OPEN_SQL, sqlite_where=_OPEN_SQL)
Index("ix_tickets_open_team", Ticket.team_id, Ticket.created_at, Ticket.id,
      postgresql_where=_OPEN_SQL, sqlite_where=_OPEN_SQL)
Index("ix_tickets_open_unassigned", Ticket.team_id, Ticket.created_at, Ticket.id,
      postgresql_where=and_(_OPEN_SQL, Ticket.assignee_id.is_(None)),
      sqlite_where=and_(_OPEN_SQL, Ticket.assignee_id.is_(None)))
# Carries who may see a ticket, so that an agent's "all" queue and its count are read from
# the index alone (PostgreSQL index-only scans).
Index("ix_tickets_open_created", Ticket.created_at, Ticket.id,
      postgresql_where=_OPEN_SQL, sqlite_where=_OPEN_SQL,
      postgresql_include=["team_id", "assignee_id", "requester_id"])
Index("ix_tickets_status_created", Ticket.status, Ticket.created_at, Ticket.id)
Index("ix_tickets_created_at_id", Ticket.created_at, Ticket.id)


class Queue(enum.StrEnum):
    """The agent's queues."""

    MINE = "mine"
    TEAMS = "teams"
    UNASSIGNED = "unassigned"
    APPROVALS = "approvals"
    ALL = "all"


class Sort(enum.StrEnum):
    """Page order."""

    NEWEST = "newest"
    OLDEST = "oldest"


@dataclass(frozen=True, slots=True)
class TicketFilters:
    """What a person asked for; names (team key, email, form key) as they typed them.

    ``statuses`` None means any status, else categories (each with all its statuses) and
    custom status keys; ``assignee`` is an email, ``me`` or ``none``.
    """

    queue: Queue = Queue.ALL
    statuses: tuple[str, ...] | None = None
    priorities: tuple[Priority, ...] = ()
    forms: tuple[str, ...] = ()
    team: str | None = None
    assignee: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    q: str = ""
    sort: Sort = Sort.NEWEST


@dataclass(frozen=True, slots=True)
class TicketPage:
    """One page of a list and the opaque cursor of the next page (None at the end)."""

    tickets: list[Ticket]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Scope:
    """Who is looking and what they may see."""

    viewer: User
    team_ids: tuple[int, ...]
    everything: bool = False
    staff: bool = True
    teams: dict[int, str] = field(default_factory=dict)


def viewer_scope(*, session: Session, viewer: User) -> Scope:
    """The viewer's teams (one statement) and whether they see every ticket.

    On PostgreSQL it also turns JIT compilation off for the transaction: list queries have
    large cost estimates (a walk that stops after 51 rows is costed as if it read them all),
    which makes PostgreSQL spend ~250 ms compiling a query that runs in 5 ms.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
    rows = session.execute(select(Team.id, Team.name).join(TeamMember).where(
        TeamMember.user_id == viewer.id).order_by(Team.name)).all()
    return Scope(viewer=viewer, team_ids=tuple(r[0] for r in rows),
                 everything=viewer.role == Role.ADMIN,
                 staff=viewer.role in {Role.ADMIN, Role.AGENT, Role.DESIGNER},
                 teams={r[0]: r[1] for r in rows})


def scoped_tickets(scope: Scope) -> Select[Ticket]:
    """Tickets the scope may see: the ticket service's rule (``visible_tickets``)."""
    return visible_tickets(scope.viewer)


def _queue_condition(scope: Scope, queue: Queue) -> ColumnElement[bool]:
    me = scope.viewer.id
    if queue is Queue.MINE:
        return Ticket.assignee_id == me
    if queue is Queue.TEAMS:
        return Ticket.team_id.in_(scope.team_ids) if scope.team_ids else false()
    if queue is Queue.UNASSIGNED:
        return Ticket.assignee_id.is_(None)
    if queue is Queue.APPROVALS:
        return Ticket.id.in_(select(Task.ticket_id).where(
            Task.assignee_id == me, Task.status == TaskStatus.OPEN, Task.kind == "approval"))
    return true()


def _queue_base(scope: Scope, queue: Queue) -> Select[Ticket]:
    if queue is Queue.APPROVALS and scope.staff:
        # Holding an approval on a ticket is permission enough to see it.
        return select(Ticket).where(_queue_condition(scope, queue))
    if scope.viewer.role == Role.AGENT and queue is not Queue.ALL:
        # These queues lie inside what an agent may see (visible_tickets: their teams',
        # their own and those in no team yet), so the condition alone is the query: each
        # then reads one partial index instead of filtering the whole scope.
        if queue is Queue.UNASSIGNED:
            return select(Ticket).where(Ticket.assignee_id.is_(None), or_(
                Ticket.team_id.is_(None), Ticket.team_id.in_(scope.team_ids)))
        return select(Ticket).where(_queue_condition(scope, queue))
    return scoped_tickets(scope).where(_queue_condition(scope, queue))


def _unknown(pointer: str, message: str, name: str) -> InvalidSubmission:
    return InvalidSubmission([Problem(pointer, f"filter.{pointer[1:]}", message,
                                      {"name": name})])


def _apply_filters(session: Session, scope: Scope, filters: TicketFilters,
                   query: Select[Ticket]) -> Select[Ticket]:
    """Narrow ``query`` by the filters; names that do not exist are a 422 with a message."""
    if filters.statuses is not None:
        query = query.where(_status_condition(session, filters.statuses))
    if filters.priorities:
        query = query.where(Ticket.priority.in_([p.value for p in filters.priorities]))
    if filters.forms:
        known = set(session.scalars(select(Form.key).where(Form.key.in_(filters.forms))))
        missing = [k for k in filters.forms if k not in known]
        if missing:
            raise _unknown("/form", f"There is no form {missing[0]!r}.", missing[0])
        query = query.where(Ticket.form_key.in_(filters.forms))
    if filters.team:
        if filters.team == "none":
            query = query.where(Ticket.team_id.is_(None))
        else:
            team_id = session.scalar(select(Team.id).where(Team.key == filters.team))
            if team_id is None:
                raise _unknown("/team", f"There is no team {filters.team!r}.", filters.team)
            query = query.where(Ticket.team_id == team_id)
    if filters.assignee:
        if filters.assignee == "none":
            query = query.where(Ticket.assignee_id.is_(None))
        elif filters.assignee == "me":
            query = query.where(Ticket.assignee_id == scope.viewer.id)
        else:
            user_id = session.scalar(select(User.id).where(
                func.lower(User.email) == filters.assignee.lower()))
            if user_id is None:
                raise _unknown("/assignee", f"There is no user {filters.assignee!r}.",
                               filters.assignee)
            query = query.where(Ticket.assignee_id == user_id)
    for key, value in filters.fields:
        query = query.where(field_condition(key, value))
    if filters.q.strip():
        match = match_clause(session, filters.q)
        number = filters.q.strip().lstrip("#")
        if number.isdigit() and len(number) < 10:
            by_number = Ticket.number == int(number)
            match = by_number if match is None else or_(match, by_number)
        if match is not None:
            query = query.where(match)
    return query


def _status_condition(session: Session, wanted: tuple[str, ...]) -> ColumnElement[bool]:
    """Categories match on the indexed category column; a custom status adds its category
    there too (so the same indexes serve) and narrows by key."""
    categories = sorted({str(s) for s in wanted if s in _CATEGORIES})
    keys = sorted({s for s in wanted if s not in _CATEGORIES})
    if not keys:
        return Ticket.status.in_(categories)
    found = dict(session.execute(select(TicketStatus.key, TicketStatus.category).where(
        TicketStatus.key.in_(keys))).all())
    if missing := [k for k in keys if k not in found]:
        raise _unknown("/status", f"There is no status {missing[0]!r}.", missing[0])
    by_key = Ticket.status_key.in_(keys)
    return and_(Ticket.status.in_(sorted(set(categories) | set(found.values()))),
                or_(Ticket.status.in_(categories), by_key) if categories else by_key)


def field_condition(key: str, value: str) -> ColumnElement[bool]:
    """``data[key]`` equals ``value`` (as text, or as a number or boolean when it reads as
    one: JSON keeps 1500 and "1500" apart)."""
    if not _FIELD_KEY.match(key):
        raise InvalidSubmission([Problem(f"/field.{key}", "filter.fieldKey",
                                         "A field key is letters, digits, - and _.")])
    element = Ticket.data[key]
    options: list[ColumnElement[bool]] = [element.as_string() == value]
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        if number == number and abs(number) != float("inf"):
            options.append(element.as_float() == number)
    if value in ("true", "false"):
        options.append(element.as_boolean() == (value == "true"))
    return or_(*options)


# -- cursors ---------------------------------------------------------------------------


def encode_cursor(sort: Sort, ticket: Ticket) -> str:
    """An opaque cursor after ``ticket``."""
    raw = json.dumps([sort.value, ticket.created_at.isoformat(), ticket.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: Sort) -> tuple[datetime, int] | int:
    """(created_at, id) from a cursor of ``encode_cursor``, or a ticket number (the cursor
    of the first API version); anything else is a 422 that says what to do."""
    bad = InvalidSubmission([Problem("/cursor", "cursor.invalid", (
        "This cursor is not valid here: pass the next_cursor of the previous page with the "
        "same sort, or leave it out to start at the beginning."))])
    if cursor.isdigit() and len(cursor) < 12 and sort is Sort.NEWEST:
        return int(cursor)
    if len(cursor) > 200:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, created, ticket_id = json.loads(raw)
        when = datetime.fromisoformat(created)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise bad from None
    if kind != sort.value or not isinstance(ticket_id, int) or when.tzinfo is None:
        raise bad
    return when, ticket_id


def _page(session: Session, query: Select[Ticket], sort: Sort, cursor: str | None,
          limit: int) -> TicketPage:
    if cursor:
        after = decode_cursor(cursor, sort)
        if isinstance(after, int):
            query = query.where(Ticket.number < after)
        else:
            key = tuple_(Ticket.created_at, Ticket.id)
            bound = tuple_(bindparam("c_at", after[0], type_=Ticket.created_at.type),
                           bindparam("c_id", after[1]))
            query = query.where(key < bound if sort is Sort.NEWEST else key > bound)
    order = (Ticket.created_at.desc(), Ticket.id.desc()) if sort is Sort.NEWEST else (
        Ticket.created_at.asc(), Ticket.id.asc())
    # First the page's ids, by a statement of their own: it walks the ordering index and
    # stops at the page's end. Joined to the rows' eager loads in one statement, the planner
    # may read every match and sort instead, as it does for phrase searches, whose matches
    # it underestimates many times over (no statistics for a correlated tsvector).
    ids = list(session.scalars(query.with_only_columns(Ticket.id).order_by(*order)
                               .limit(limit + 1)))
    page = select(Ticket).where(Ticket.id.in_(ids)).options(
        joinedload(Ticket.assignee), joinedload(Ticket.team), joinedload(Ticket.requester),
        joinedload(Ticket.custom_status), selectinload(Ticket.attachments))
    rows = list(session.scalars(page.order_by(*order)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return TicketPage(rows, encode_cursor(sort, rows[-1]) if more and rows else None)


def list_queue(*, session: Session, scope: Scope, filters: TicketFilters,
               cursor: str | None = None, limit: int = 50) -> TicketPage:
    """One page of a queue with the filters applied, in the chosen order."""
    limit = max(1, min(limit, MAX_LIMIT))
    query = _apply_filters(session, scope, filters, _queue_base(scope, filters.queue))
    return _page(session, query, filters.sort, cursor, limit)


def queue_counts(*, session: Session, scope: Scope) -> dict[Queue, int]:
    """Open tickets per queue, each counted up to ``COUNT_CAP`` (one statement)."""
    queues = list(Queue) if scope.staff else [Queue.ALL]
    columns = []
    for queue in queues:
        inner = _queue_base(scope, queue)
        if queue is not Queue.APPROVALS:
            inner = inner.where(_OPEN_SQL)
        capped = inner.with_only_columns(literal(1)).limit(COUNT_CAP + 1).subquery()
        columns.append(select(func.count()).select_from(capped).scalar_subquery()
                       .label(queue.value))
    row = session.execute(select(*columns)).one()
    return {queue: int(value) for queue, value in zip(queues, row, strict=True)}
