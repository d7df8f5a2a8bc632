"""Reading tickets, with who-may-see-what applied in the query itself."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, joinedload

from core.errors import NotFound
from core.people import Role, TeamMember, User
from runtime.tickets.models import Status, Ticket, TicketEvent
from runtime.tickets.relations import TicketWatcher

STAFF = frozenset({Role.ADMIN, Role.AGENT, Role.DESIGNER})
#: Timeline entries a requester sees; the rest (branches, deliveries, tasks) is for staff.
PUBLIC_KINDS = frozenset({"created", "comment", "assigned", "flow.finished", "status",
                          "reopened", "rated", "merged"})


@dataclass(frozen=True, slots=True)
class TicketPage:
    """One page of a ticket list and the cursor of the next page (None at the end)."""

    tickets: list[Ticket]
    next_cursor: int | None


def visible_tickets(viewer: User) -> Select[Ticket]:
    """Tickets ``viewer`` may see: admins all; agents those of their teams, theirs, the ones
    not yet in any team's queue, and those they watch; everybody else their own and those
    they watch (CC, or the requester of a duplicate merged into it)."""
    query = select(Ticket)
    if viewer.role == Role.ADMIN:
        return query
    watched = select(TicketWatcher.ticket_id).where(TicketWatcher.user_id == viewer.id)
    if viewer.role == Role.AGENT:
        teams = select(TeamMember.team_id).where(TeamMember.user_id == viewer.id)
        return query.where(or_(Ticket.team_id.is_(None), Ticket.team_id.in_(teams),
                               Ticket.assignee_id == viewer.id,
                               Ticket.requester_id == viewer.id, Ticket.id.in_(watched)))
    return query.where(or_(Ticket.requester_id == viewer.id, Ticket.id.in_(watched)))


def can_see_ticket(*, session: Session, viewer: User, ticket_id: int) -> bool:
    """Whether ``viewer`` may see the ticket with this id (the rule of ``visible_tickets``)."""
    return session.scalar(visible_tickets(viewer).with_only_columns(Ticket.id).where(
        Ticket.id == ticket_id)) is not None


def list_tickets(
    *, session: Session, viewer: User, status: Status | None = None, form: str | None = None,
    cursor: int | None = None, limit: int = 50,
) -> TicketPage:
    """Newest first, keyset-paginated by ticket number."""
    query = visible_tickets(viewer)
    if status is not None:
        query = query.where(Ticket.status == status)
    if form is not None:
        query = query.where(Ticket.form_key == form)
    if cursor is not None:
        query = query.where(Ticket.number < cursor)
    rows = list(session.scalars(query.options(joinedload(Ticket.custom_status))
                                .order_by(Ticket.number.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return TicketPage(rows, rows[-1].number if more and rows else None)


def get_ticket(*, session: Session, viewer: User, number: int) -> Ticket:
    """One ticket the viewer may see, else NotFound (never reveal that it exists)."""
    ticket = session.scalar(visible_tickets(viewer).where(Ticket.number == number))
    if ticket is None:
        raise NotFound(f"There is no ticket {number}, or you may not see it.")
    return ticket


def ticket_events(*, session: Session, ticket: Ticket, viewer: User) -> list[TicketEvent]:
    """The ticket's timeline, oldest first: all of it for staff; for requesters only what
    concerns them (no flow internals, deliveries or internal notes)."""
    events = session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    ).all()
    if viewer.role in STAFF:
        return list(events)
    return [e for e in events if e.kind in PUBLIC_KINDS and not e.payload.get("internal")]
