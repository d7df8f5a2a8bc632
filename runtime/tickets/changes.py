"""Changing a ticket: status, priority, assignment, watchers, links, merge, reopen, rating.

Every change appends a timeline event with who, when, before and after. Two people editing
at once: the page (or API client) sends the revision it read (``expected_revision``); a
different current revision is a ``Conflict`` and nothing is written. A race between two
writers that both read the same revision is caught by the ``revision`` version column
(SQLAlchemy raises ``StaleDataError`` at flush, which ``app/`` answers with 409).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from builder.forms.texts import localized
from builder.statuses import TicketStatus
from core.clock import utcnow
from core.errors import Conflict, IllegalTransition, InvalidSubmission, PermissionDenied, Problem
from core.people import Role, Team, TeamMember, User, get_user_by_email
from runtime.notifications import Kind, notify
from runtime.tickets.comments import watchers
from runtime.tickets.models import Priority, Status, Ticket, TicketEvent
from runtime.tickets.relations import LinkKind, TicketLink, TicketRating, TicketWatcher
from runtime.tickets.service import STAFF, get_ticket, visible_tickets
from runtime.tickets.statuses import resolve_status, set_status

#: Days after resolution during which the requester may reopen (the app may override).
REOPEN_DAYS = 7
#: Merge suggestions look this far around the ticket's creation time.
SUGGEST_WINDOW = timedelta(days=3)
UNSET: Any = object()


def _event(session: Session, ticket: Ticket, kind: str, actor: User | None,
           **payload: Any) -> TicketEvent:
    row = TicketEvent(ticket_id=ticket.id, kind=kind, actor_id=actor.id if actor else None,
                      payload=payload)
    session.add(row)
    return row


def _require_staff(actor: User) -> None:
    if actor.role not in STAFF:
        raise PermissionDenied("Only staff can change a ticket.")


def _check_revision(ticket: Ticket, expected: int | None) -> None:
    if expected is not None and expected != ticket.revision:
        raise Conflict(f"Ticket #{ticket.number} was changed by someone else since you opened "
                       f"it (revision {ticket.revision}, you had {expected}). Reload and try "
                       f"again.")


def _assignee(session: Session, value: str) -> User:
    person = get_user_by_email(session=session, email=value.strip().lower())
    if person is None or not person.active or person.role not in (Role.AGENT, Role.ADMIN):
        raise InvalidSubmission([Problem("/assignee", "user.unknown",
                                         "No such agent: give an active agent's email.")])
    return person


def _team(session: Session, key: str) -> Team:
    team = session.scalar(select(Team).where(Team.key == key.strip()))
    if team is None:
        raise InvalidSubmission([Problem("/team", "team.unknown", "No such team.")])
    return team


def update_ticket(*, session: Session, ticket: Ticket, actor: User,
                  expected_revision: int | None = None, status: str | None = None,
                  priority: str | None = None, assignee: str | None = UNSET,
                  team: str | None = UNSET, now: datetime | None = None) -> Ticket:
    """Change status, priority, assignee (email or None) and team (key or None); each real
    change is a timeline event; the caller commits."""
    _require_staff(actor)
    _check_revision(ticket, expected_revision)
    now = now or utcnow()
    problems: list[Problem] = []
    new_status: TicketStatus | None = None
    new_priority = None
    if status is not None:
        try:
            new_status = resolve_status(session=session, value=status)
        except InvalidSubmission as exc:
            problems += exc.problems
    if priority is not None:
        try:
            new_priority = Priority(priority)
        except ValueError:
            problems.append(Problem("/priority", "enum", "Choose low, normal, high or urgent."))
    if problems:
        raise InvalidSubmission(problems)
    if ticket.status == Status.CLOSED and new_status is not None and new_status.category not in (
            Status.CLOSED, Status.OPEN):
        raise IllegalTransition(f"Ticket #{ticket.number} is closed; reopen it first.")
    if _merged_into(session, ticket) is not None and (new_status or assignee is not UNSET):
        raise IllegalTransition(f"Ticket #{ticket.number} was merged; work on the other one.")
    set_user, set_team = assignee is not UNSET, team is not UNSET
    new_user: User | None = _assignee(session, assignee) if set_user and assignee else None
    new_team: Team | None = _team(session, team) if set_team and team else None
    told: list[tuple[list[User], Kind, str]] = []
    # assignment first: taking a new ticket opens it
    user_changed = set_user and (new_user.id if new_user else None) != ticket.assignee_id
    team_changed = set_team and (new_team.id if new_team else None) != ticket.team_id
    if user_changed or team_changed:
        before_user, before_team = ticket.assignee_id, ticket.team_id
        if user_changed:
            ticket.assignee = new_user
        if team_changed:
            ticket.team = new_team
            if not user_changed and new_team is not None and ticket.assignee_id is not None:
                member = session.get(TeamMember, (new_team.id, ticket.assignee_id))
                if member is None:  # a transfer to another team leaves its queue to pick
                    ticket.assignee = None
        session.flush()
        _event(session, ticket, "assigned", actor, user_id=ticket.assignee_id,
               team_id=ticket.team_id, from_user_id=before_user, from_team_id=before_team)
        if ticket.assignee is not None and ticket.assignee_id != before_user:
            told.append(([ticket.assignee], Kind.ASSIGNED, ""))
        if new_status is None and ticket.status == Status.NEW and ticket.assignee_id:
            new_status = resolve_status(session=session, value=Status.OPEN)
    status_changed = new_status is not None and new_status.key != ticket.status_key
    priority_changed = new_priority is not None and new_priority != ticket.priority
    if not (user_changed or team_changed or status_changed or priority_changed):
        return ticket  # nothing to change: no event, no new revision
    if new_status is not None and (change := set_status(
            session=session, ticket=ticket, value=new_status.key)):
        _event(session, ticket, "status", actor, **change.payload())
        told.append(([ticket.requester, *watchers(session=session, ticket=ticket)], Kind.REPLY,
                     f"Status: {localized(new_status.label, 'en')}"))
    if new_priority is not None and priority_changed:
        before_priority = ticket.priority
        ticket.priority = new_priority
        _event(session, ticket, "priority", actor,
               **{"from": str(before_priority), "to": str(new_priority)})
    ticket.updated_at = now
    session.flush()  # bumps the revision; a concurrent writer gets StaleDataError
    for users, kind, text in told:
        notify(session=session, users=users, kind=kind, ticket=ticket, actor=actor, text=text)
    session.flush()
    return ticket


def add_watcher(*, session: Session, ticket: Ticket, actor: User, email: str) -> User:
    """CC someone on the ticket (staff, or the requester's colleague who has an account)."""
    _require_staff(actor)
    person = get_user_by_email(session=session, email=(email or "").strip().lower())
    if person is None or not person.active:
        raise InvalidSubmission([Problem("/email", "user.unknown", "No such person.")])
    if session.get(TicketWatcher, (ticket.id, person.id)) is not None:
        raise Conflict(f"{person.email} already watches this ticket.")
    session.add(TicketWatcher(ticket_id=ticket.id, user_id=person.id))
    _event(session, ticket, "watcher.added", actor, user=person.email)
    session.flush()
    return person


def remove_watcher(*, session: Session, ticket: Ticket, actor: User, email: str) -> None:
    """Stop CC'ing someone (staff, or the watcher themself)."""
    person = get_user_by_email(session=session, email=(email or "").strip().lower())
    row = session.get(TicketWatcher, (ticket.id, person.id)) if person else None
    if row is None or person is None:
        raise InvalidSubmission([Problem("/email", "watcher.unknown",
                                         "This person does not watch the ticket.")])
    if actor.role not in STAFF and actor.id != person.id:
        raise PermissionDenied("Only staff can remove other watchers.")
    session.delete(row)
    _event(session, ticket, "watcher.removed", actor, user=person.email)
    session.flush()


def _merged_into(session: Session, ticket: Ticket) -> Ticket | None:
    return session.scalar(select(Ticket).join(TicketLink, TicketLink.other_id == Ticket.id).where(
        TicketLink.ticket_id == ticket.id, TicketLink.kind == LinkKind.MERGED_INTO))


def merged_into(*, session: Session, ticket: Ticket) -> Ticket | None:
    """The ticket this one was merged into, if any."""
    return _merged_into(session, ticket)


def linked_tickets(*, session: Session, ticket: Ticket, viewer: User | None = None
                   ) -> list[tuple[str, Ticket]]:
    """(kind, other ticket) for every link from this ticket, plus tickets merged into it;
    with ``viewer``, only the other tickets they may see."""
    rows = [(str(link.kind), link.other) for link in session.scalars(
        select(TicketLink).where(TicketLink.ticket_id == ticket.id).order_by(TicketLink.id))]
    merged = session.scalars(select(Ticket).join(TicketLink, TicketLink.ticket_id == Ticket.id)
                             .where(TicketLink.other_id == ticket.id,
                                    TicketLink.kind == LinkKind.MERGED_INTO))
    found = rows + [("merged_from", t) for t in merged]
    if viewer is None or not found:
        return found
    seen = set(session.scalars(visible_tickets(viewer).with_only_columns(Ticket.id).where(
        Ticket.id.in_({t.id for _kind, t in found}))))
    return [(kind, t) for kind, t in found if t.id in seen]


def link_tickets(*, session: Session, ticket: Ticket, actor: User, other_number: int) -> Ticket:
    """Mark two tickets as related (both ways)."""
    _require_staff(actor)
    other = get_ticket(session=session, viewer=actor, number=other_number)
    if other.id == ticket.id:
        raise InvalidSubmission([Problem("/number", "link.self",
                                         "A ticket cannot be linked to itself.")])
    existing = session.scalar(select(TicketLink).where(TicketLink.ticket_id == ticket.id,
                                                       TicketLink.other_id == other.id))
    if existing is not None:
        raise Conflict(f"Ticket #{ticket.number} is already linked to #{other.number}.")
    session.add_all([TicketLink(ticket_id=ticket.id, other_id=other.id, kind=LinkKind.RELATED,
                                created_by_id=actor.id),
                     TicketLink(ticket_id=other.id, other_id=ticket.id, kind=LinkKind.RELATED,
                                created_by_id=actor.id)])
    _event(session, ticket, "linked", actor, number=other.number)
    _event(session, other, "linked", actor, number=ticket.number)
    session.flush()
    return other


def unlink_tickets(*, session: Session, ticket: Ticket, actor: User, other_number: int) -> None:
    """Remove a related link (both ways)."""
    _require_staff(actor)
    other = get_ticket(session=session, viewer=actor, number=other_number)
    links = session.scalars(select(TicketLink).where(
        TicketLink.kind == LinkKind.RELATED,
        or_((TicketLink.ticket_id == ticket.id) & (TicketLink.other_id == other.id),
            (TicketLink.ticket_id == other.id) & (TicketLink.other_id == ticket.id)))).all()
    if not links:
        raise InvalidSubmission([Problem("/number", "link.unknown",
                                         "These tickets are not linked.")])
    for link in links:
        session.delete(link)
    _event(session, ticket, "unlinked", actor, number=other.number)
    _event(session, other, "unlinked", actor, number=ticket.number)
    session.flush()


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A ticket that may be a duplicate, and why."""

    ticket: Ticket
    same_requester: bool
    similarity: float


def merge_suggestions(*, session: Session, ticket: Ticket, viewer: User, limit: int = 5
                      ) -> list[Suggestion]:
    """Likely duplicates: open tickets created near this one by the same requester or with a
    similar subject, best first."""
    window = select(Ticket).where(
        Ticket.id != ticket.id, Ticket.status != Status.CLOSED,
        Ticket.created_at >= ticket.created_at - SUGGEST_WINDOW,
        Ticket.created_at <= ticket.created_at + SUGGEST_WINDOW)
    visible = visible_tickets(viewer).with_only_columns(Ticket.id)
    rows = session.scalars(window.where(Ticket.id.in_(visible)).order_by(
        Ticket.created_at.desc()).limit(300)).all()
    found: list[Suggestion] = []
    subject = ticket.subject.casefold()
    for row in rows:
        ratio = difflib.SequenceMatcher(None, subject, row.subject.casefold()).ratio()
        same = row.requester_id == ticket.requester_id
        if same or ratio >= 0.6:
            found.append(Suggestion(row, same, round(ratio, 2)))
    found.sort(key=lambda s: (s.same_requester and s.similarity >= 0.4, s.similarity),
               reverse=True)
    return found[:limit]


def merge_ticket(*, session: Session, ticket: Ticket, actor: User, into_number: int,
                 expected_revision: int | None = None) -> Ticket:
    """Merge ``ticket`` (a duplicate) into another: it is closed with a link, its comments are
    copied to the survivor's timeline (marked with where they came from), and its requester
    watches the survivor. Returns the survivor."""
    _require_staff(actor)
    _check_revision(ticket, expected_revision)
    target = get_ticket(session=session, viewer=actor, number=into_number)
    if target.id == ticket.id:
        raise InvalidSubmission([Problem("/into", "merge.self",
                                         "A ticket cannot be merged into itself.")])
    if _merged_into(session, ticket) is not None:
        raise IllegalTransition(f"Ticket #{ticket.number} was already merged.")
    if (further := _merged_into(session, target)) is not None:
        raise IllegalTransition(f"Ticket #{target.number} was itself merged into "
                                f"#{further.number}; merge into that one.")
    if target.status == Status.CLOSED:
        raise IllegalTransition(f"Ticket #{target.number} is closed.")
    session.add(TicketLink(ticket_id=ticket.id, other_id=target.id, kind=LinkKind.MERGED_INTO,
                           created_by_id=actor.id))
    copied = 0
    for row in session.scalars(select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "comment")
            .order_by(TicketEvent.id)):
        session.add(TicketEvent(ticket_id=target.id, kind="comment", actor_id=row.actor_id,
                                created_at=row.created_at, payload={
                                    **row.payload, "merged_from": ticket.number}))
        copied += 1
    change = set_status(session=session, ticket=ticket, value=Status.CLOSED)
    ticket.updated_at = utcnow()
    _event(session, ticket, "merged", actor, into=target.number,
           **(change.payload() if change else {"from": str(ticket.status)}))
    _event(session, target, "merged_from", actor, number=ticket.number, comments=copied)
    if ticket.requester_id != target.requester_id and session.get(
            TicketWatcher, (target.id, ticket.requester_id)) is None:
        session.add(TicketWatcher(ticket_id=target.id, user_id=ticket.requester_id))
    session.flush()
    notify(session=session, users=[ticket.requester], kind=Kind.REPLY, ticket=ticket,
           actor=actor, text=f"Merged into #{target.number}")
    session.flush()
    return target


def resolved_at(*, session: Session, ticket: Ticket) -> datetime | None:
    """When the ticket last became resolved (None if it is not resolved)."""
    if ticket.status != Status.RESOLVED:
        return None
    rows = session.scalars(select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id,
        TicketEvent.kind.in_(("status", "flow.finished", "updated")))
        .order_by(TicketEvent.id.desc()).limit(50))
    for row in rows:
        p = row.payload or {}
        if p.get("to") == Status.RESOLVED or p.get("status") == Status.RESOLVED or (
                row.kind == "flow.finished" and p.get("outcome") == "resolved"):
            return row.created_at
    return ticket.updated_at


def can_reopen(*, session: Session, ticket: Ticket, now: datetime | None = None,
               days: int = REOPEN_DAYS) -> bool:
    """Whether the requester may still reopen the ticket."""
    when = resolved_at(session=session, ticket=ticket)
    return when is not None and (now or utcnow()) - when <= timedelta(days=days)


def reopen_ticket(*, session: Session, ticket: Ticket, actor: User, reason: str = "",
                  now: datetime | None = None, days: int = REOPEN_DAYS) -> Ticket:
    """The requester reopens a resolved ticket within the window; the assignee hears of it."""
    if actor.id != ticket.requester_id and actor.role not in STAFF:
        raise PermissionDenied("Only the requester can reopen this ticket.")
    if ticket.status != Status.RESOLVED:
        raise IllegalTransition("Only a resolved ticket can be reopened.")
    if not can_reopen(session=session, ticket=ticket, now=now, days=days):
        raise IllegalTransition(f"This ticket was resolved more than {days} days ago; "
                                f"please submit a new request.")
    change = set_status(session=session, ticket=ticket, value=Status.OPEN)
    ticket.updated_at = now or utcnow()
    _event(session, ticket, "reopened", actor, reason=reason[:2000],
           **(change.payload() if change else {"from": "resolved", "to": "open"}))
    session.flush()
    if ticket.assignee is not None:
        notify(session=session, users=[ticket.assignee], kind=Kind.REPLY, ticket=ticket,
               actor=actor, text=reason[:300] or "Reopened")
    session.flush()
    return ticket


def rate_ticket(*, session: Session, ticket: Ticket, actor: User, score: int,
                comment: str = "") -> TicketRating:
    """The requester's CSAT (1-5 and a comment), once, after resolution."""
    if actor.id != ticket.requester_id:
        raise PermissionDenied("Only the requester can rate this ticket.")
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise IllegalTransition("A ticket can be rated once it is resolved.")
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise InvalidSubmission([Problem("/score", "range", "Choose 1 to 5 stars.")])
    if session.get(TicketRating, ticket.id) is not None:
        raise Conflict("You already rated this ticket.")
    rating = TicketRating(ticket_id=ticket.id, user_id=actor.id, score=score,
                          comment=(comment or "").strip()[:2000] or None)
    session.add(rating)
    _event(session, ticket, "rated", actor, score=score, comment=rating.comment or "")
    session.flush()
    return rating


def rating_of(*, session: Session, ticket: Ticket) -> TicketRating | None:
    """The ticket's rating, if given."""
    return session.get(TicketRating, ticket.id)


def requester_tickets(*, session: Session, ticket: Ticket, viewer: User, limit: int = 8
                      ) -> list[Ticket]:
    """The requester's other tickets the viewer may see, newest first."""
    return list(session.scalars(visible_tickets(viewer).where(
        Ticket.requester_id == ticket.requester_id, Ticket.id != ticket.id)
        .order_by(Ticket.number.desc()).limit(limit)))
