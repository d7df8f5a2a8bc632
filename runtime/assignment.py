"""Assign tickets: to a user, to a team's queue, or to a team member chosen by a strategy.

How it works. ``choose_assignee`` is the pure rule: given the team's members as
``Candidate`` values (availability, open-ticket load, skill tags) and the team's cursor (the
member who got the last automatic assignment), it returns the member to pick. Members are
taken in rotation order, i.e. by user id starting after the cursor and wrapping around, so
round robin is "the first available member after the cursor" and ties in least loaded and
skills go to whoever is next in turn. ``assign_ticket`` loads the candidates, applies the
rule and moves the cursor. Every automatic choice within a team first locks the team's
``TeamCursor`` row (created on first use by an insert that tolerates a concurrent one), so
concurrent assignments in one team queue behind each other: they never take the same turn,
and each sees the loads the previous one committed.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from core.clock import utcnow
from core.db import insert_together
from core.people import Role, Team, TeamMember, User, get_user_by_email
from runtime.audit import AuditEntry, updated_entries
from runtime.flows.models import TeamCursor
from runtime.tickets.models import Status, Ticket

log = logging.getLogger(__name__)

#: Roles that may receive tickets from automatic assignment.
ASSIGNABLE_ROLES = frozenset({Role.AGENT, Role.ADMIN})
#: Statuses whose tickets count towards an agent's load.
LOAD_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)


class Strategy(enum.StrEnum):
    """How an ``assign`` node picks the assignee."""

    USER = "user"
    TEAM = "team"
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"
    SKILLS = "skills"
    FIELD_MAP = "field_map"


#: Strategies that choose a member of a team with ``choose_assignee``.
MEMBER_STRATEGIES = frozenset({Strategy.ROUND_ROBIN, Strategy.LEAST_LOADED, Strategy.SKILLS})


@dataclass(frozen=True, slots=True)
class Candidate:
    """A team member as the choice rules see them."""

    user_id: int
    available: bool = True
    load: int = 0
    skills: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class AssignmentResult:
    """Who holds the ticket afterwards (user and team ids) and why, for the timeline."""

    user_id: int | None
    team_id: int | None
    reason: str


def normalize_tags(tags: Iterable[Any]) -> frozenset[str]:
    """Skill tags compared case-insensitively: stripped, case-folded, blanks dropped."""
    found = set()
    for tag in tags:
        if isinstance(tag, str | int) and not isinstance(tag, bool):
            text = str(tag).strip().casefold()
            if text:
                found.add(text)
    return frozenset(found)


def is_available(*, role: str, active: bool, away: bool) -> bool:
    """Whether automatic assignment may give this person a ticket."""
    return role in ASSIGNABLE_ROLES and active and not away


def rotation(candidates: Iterable[Candidate], last_user_id: int | None) -> list[Candidate]:
    """Candidates by user id, starting after ``last_user_id`` and wrapping around."""
    ordered = sorted(candidates, key=lambda c: c.user_id)
    if last_user_id is None:
        return ordered
    after = [c for c in ordered if c.user_id > last_user_id]
    return after + [c for c in ordered if c.user_id <= last_user_id]


def choose_assignee(
    candidates: Sequence[Candidate],
    *,
    strategy: str,
    last_user_id: int | None = None,
    required_skills: Collection[str] = (),
) -> int | None:
    """The user id a member strategy picks among available candidates, or None."""
    pool = [c for c in rotation(candidates, last_user_id) if c.available]
    if strategy == Strategy.SKILLS:
        required = normalize_tags(required_skills)
        pool = [c for c in pool if required <= normalize_tags(c.skills)]
    elif strategy not in MEMBER_STRATEGIES:
        raise ValueError(f"{strategy!r} does not choose among team members")
    if not pool:
        return None
    if strategy == Strategy.ROUND_ROBIN:
        return pool[0].user_id
    # min() keeps the first of equals, so ties go to whoever is next in rotation
    return min(pool, key=lambda c: c.load).user_id


def required_skills(spec: Any, data: Mapping[str, Any]) -> frozenset[str]:
    """The tags a ``skills`` parameter asks for: literal tags and ``{"field": key}`` values."""
    items = spec if isinstance(spec, list | tuple) else [] if spec is None else [spec]
    tags: list[Any] = []
    for item in items:
        if isinstance(item, Mapping):
            value = data.get(str(item.get("field")))
            tags.extend(value if isinstance(value, list | tuple) else [value])
        else:
            tags.append(item)
    return normalize_tags(tags)


def map_keys(value: Any) -> list[str]:
    """The ``field_map`` keys a field value may match (each element of a list, in order)."""
    if isinstance(value, list | tuple):
        return [key for item in value for key in map_keys(item)]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, float) and value.is_integer():
        return [str(int(value)), str(value)]
    if isinstance(value, str | int | float):
        return [str(value)]
    return []


def assign_ticket(
    *,
    session: Session,
    ticket: Ticket,
    strategy: str,
    params: Mapping[str, Any],
    data: Mapping[str, Any],
    audit: list[dict[str, Any]] | None = None,
) -> AssignmentResult:
    """Apply an assign node to ``ticket`` and say why.

    The assignee and team are written at once by a plain UPDATE (no flush), and set on the
    object as loaded. Its audit entry is appended to ``audit`` for the caller to insert
    with its own rows, or inserted here when no list is given.
    """
    result = choose_assignment(session=session, ticket=ticket, strategy=strategy,
                               params=params, data=data)
    now = utcnow()
    values = {"assignee_id": result.user_id, "team_id": result.team_id}
    entries = updated_entries(session, ticket, values)
    revision = session.connection().execute(
        _ASSIGN, {**values, "ticket_id": ticket.id, "now": now}).scalar_one()
    for key, value in {**values, "updated_at": now, "revision": revision}.items():
        set_committed_value(ticket, key, value)
    session.expire(ticket, ["assignee", "team"])
    if audit is None:
        insert_together(session, [(AuditEntry, entry) for entry in entries])
    else:
        audit += entries
    log.info("ticket %s assigned: user %s, team %s (%s)", ticket.number, result.user_id,
             result.team_id, result.reason)
    return result


def choose_assignment(*, session: Session, ticket: Ticket, strategy: str,
                      params: Mapping[str, Any], data: Mapping[str, Any]) -> AssignmentResult:
    """Who an assign node gives ``ticket`` to, and why; the ticket itself is not changed
    (a team's round-robin turn is taken)."""
    if strategy == Strategy.FIELD_MAP:
        return _by_field_map(session, ticket, params, data)
    return _apply(session, ticket, strategy, params, data)


def _unchanged(ticket: Ticket, reason: str) -> AssignmentResult:
    return AssignmentResult(ticket.assignee_id, ticket.team_id, f"{reason}; ticket unchanged")


def _apply(session: Session, ticket: Ticket, strategy: str, params: Mapping[str, Any],
           data: Mapping[str, Any]) -> AssignmentResult:
    if strategy == Strategy.USER:
        return _to_user(session, ticket, params.get("user"))
    if strategy == Strategy.TEAM or strategy in MEMBER_STRATEGIES:
        return _in_team(session, ticket, Strategy(strategy), params, data)
    log.warning("ticket %s: unknown assignment strategy %r", ticket.id, strategy)
    return _unchanged(ticket, f"unknown assignment strategy {strategy!r}")


def _to_user(session: Session, ticket: Ticket, email: Any) -> AssignmentResult:
    user = get_user_by_email(session=session, email=email) if isinstance(email, str) else None
    if user is None:
        return AssignmentResult(None, ticket.team_id, f"no user {email!r}; left unassigned")
    if not user.active:
        return AssignmentResult(None, ticket.team_id, f"{user.email} is inactive; left unassigned")
    away = " (who is away)" if user.away else ""
    return AssignmentResult(user.id, ticket.team_id, f"assigned to {user.email}{away}")


def _in_team(session: Session, ticket: Ticket, strategy: Strategy, params: Mapping[str, Any],
             data: Mapping[str, Any]) -> AssignmentResult:
    key = params.get("team")
    if strategy == Strategy.ROUND_ROBIN and isinstance(key, str):
        # on the Connection: the Session's ORM path builds the cache key of a statement
        # naming mapped columns on every call (half of what this turn cost)
        turn = session.connection().execute(_NEXT_IN_TURN, {"team": key}).first()
        if turn is not None:  # the usual case: one statement, no team lookup
            return _next_in_turn(turn.team_id, turn.last_user_id, key)
    team = session.scalar(select(Team).where(Team.key == key)) if isinstance(key, str) else None
    if team is None:
        return _unchanged(ticket, f"no team with key {key!r}")
    if strategy == Strategy.TEAM:
        return AssignmentResult(None, team.id, f"queued for team {team.key}")
    if strategy == Strategy.ROUND_ROBIN:
        return _round_robin(session, team)
    cursor = _lock_cursor(session, team.id)
    members = list(session.scalars(
        select(User).join(TeamMember, TeamMember.user_id == User.id)
        .where(TeamMember.team_id == team.id).order_by(User.id)))
    available = {u.id for u in members
                 if is_available(role=u.role, active=u.active, away=u.away)}
    loads = _loads(session, available, ticket) if strategy != Strategy.ROUND_ROBIN else {}
    tags = (required_skills(params.get("skills"), data) if strategy == Strategy.SKILLS
            else frozenset())
    candidates = [Candidate(u.id, u.id in available, loads.get(u.id, 0),
                            normalize_tags(u.skills or ())) for u in members]
    chosen = choose_assignee(candidates, strategy=strategy, last_user_id=cursor.last_user_id,
                             required_skills=tags)
    wanted = f" with skills {', '.join(sorted(tags))}" if tags else ""
    if chosen is None:
        return AssignmentResult(None, team.id, f"{strategy.replace('_', ' ')}: no available "
                                f"member of team {team.key}{wanted}; queued for the team")
    cursor.last_user_id = chosen
    email = next(u.email for u in members if u.id == chosen)
    how = ("next in turn" if strategy == Strategy.ROUND_ROBIN
           else f"open tickets: {loads.get(chosen, 0)}")
    return AssignmentResult(chosen, team.id, f"{strategy.replace('_', ' ')} in team {team.key}"
                            f"{wanted}: {email} ({how})")


def _in_turn() -> Select[int]:
    """Members of the cursor's team who may take a ticket."""
    return (select(User.id).join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id == TeamCursor.team_id, User.active.is_(True),
                   User.away.is_(False), User.role.in_(sorted(ASSIGNABLE_ROLES))))


def _first_in_turn(*after: Any) -> Any:
    """The lowest user id among the cursor's available members (``after``: extra rules)."""
    return (_in_turn().with_only_columns(func.min(User.id)).where(*after)
            .correlate(TeamCursor).scalar_subquery())


#: The first available member after the cursor, else the first one (wrapping around).
_next_member = func.coalesce(
    _first_in_turn(User.id > func.coalesce(TeamCursor.last_user_id, 0)), _first_in_turn())
#: Round robin in one statement: the UPDATE locks the cursor row, so concurrent turns in one
#: team queue behind it (PostgreSQL re-evaluates the new value against the committed row),
#: and moves it to the first available member after it (``choose_assignee``'s rotation,
#: which a test holds this to). With nobody available it updates nothing.
_NEXT_IN_TURN = (
    update(cast(Table, TeamCursor.__table__))  # Core: no ORM bookkeeping, nobody holds the row
    .where(TeamCursor.team_id == select(Team.id).where(Team.key == bindparam("team"))
           .scalar_subquery(), _in_turn().correlate(TeamCursor).exists())
    .values(last_user_id=_next_member)
    .returning(TeamCursor.team_id, TeamCursor.last_user_id)
)


#: The assignment's write: bookkeeping as the unit of work would do it.
_ASSIGN = (
    update(cast(Table, Ticket.__table__)).where(Ticket.id == bindparam("ticket_id"))
    .values(assignee_id=bindparam("assignee_id"), team_id=bindparam("team_id"),
            updated_at=bindparam("now"), revision=Ticket.revision + 1)
    .returning(Ticket.revision)
)


def _next_in_turn(team_id: int, user_id: int, key: str) -> AssignmentResult:
    return AssignmentResult(user_id, team_id, f"round robin in team {key}: next in turn")


def _round_robin(session: Session, team: Team) -> AssignmentResult:
    """The rare turns ``_NEXT_IN_TURN`` alone cannot take: the team's first one (no cursor
    yet), or nobody available."""
    _lock_cursor(session, team.id)
    row = session.execute(_NEXT_IN_TURN, {"team": team.key}).first()
    if row is None:
        return AssignmentResult(None, team.id, f"round robin: no available member of team "
                                f"{team.key}; queued for the team")
    return _next_in_turn(row.team_id, row.last_user_id, team.key)


def _by_field_map(session: Session, ticket: Ticket, params: Mapping[str, Any],
                  data: Mapping[str, Any]) -> AssignmentResult:
    field = params.get("field")
    value = data.get(field) if isinstance(field, str) else None
    mapping = params.get("map") or {}
    entry = next((mapping[k] for k in map_keys(value) if k in mapping), None)
    if entry is None:
        fallback = params.get("fallback")
        if not fallback:
            return _unchanged(ticket, f"{field}={value!r} matches no map entry and no fallback")
        result = _in_team(session, ticket, Strategy.TEAM, {"team": fallback}, data)
        return _prefixed(result, f"{field}={value!r} matches no map entry, fallback")
    if isinstance(entry, str):
        result = _in_team(session, ticket, Strategy.TEAM, {"team": entry}, data)
    elif isinstance(entry, Mapping) and entry.get("strategy", "team") != Strategy.FIELD_MAP:
        result = _apply(session, ticket, str(entry.get("strategy", "team")), entry, data)
    else:
        return _unchanged(ticket, f"{field}={value!r} maps to an invalid entry {entry!r}")
    return _prefixed(result, f"{field}={value!r}")


def _prefixed(result: AssignmentResult, prefix: str) -> AssignmentResult:
    return AssignmentResult(result.user_id, result.team_id, f"{prefix}: {result.reason}")


def _loads(session: Session, user_ids: Collection[int], ticket: Ticket) -> dict[int, int]:
    """Open tickets per user in one aggregate query, not counting ``ticket`` itself."""
    if not user_ids:
        return {}
    query = (select(Ticket.assignee_id, func.count())
             .where(Ticket.assignee_id.in_(sorted(user_ids)), Ticket.status.in_(LOAD_STATUSES))
             .group_by(Ticket.assignee_id))
    if ticket.id is not None:
        query = query.where(Ticket.id != ticket.id)
    return {user_id: count for user_id, count in session.execute(query)
            if user_id is not None}


def _lock_cursor(session: Session, team_id: int) -> TeamCursor:
    """The team's cursor row, created if missing, locked until the transaction ends."""
    dialect = session.get_bind().dialect.name
    module = {"postgresql": postgresql, "sqlite": sqlite}.get(dialect)
    if module is not None:
        session.execute(module.insert(TeamCursor).values(team_id=team_id)
                        .on_conflict_do_nothing(index_elements=[TeamCursor.team_id]))
    elif session.get(TeamCursor, team_id) is None:
        try:
            with session.begin_nested():
                session.execute(insert(TeamCursor).values(team_id=team_id))
        except IntegrityError:  # another transaction created it first
            pass
    return session.scalars(
        select(TeamCursor).where(TeamCursor.team_id == team_id).with_for_update()
        .execution_options(populate_existing=True)).one()
