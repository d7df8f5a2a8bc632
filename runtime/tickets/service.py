"""Reading tickets, with who-may-see-what applied in the query itself."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.people import Role, User
from runtime.tickets.models import Status, Ticket, TicketEvent

STAFF = frozenset({Role.ADMIN, Role.AGENT, Role.DESIGNER})
#: Timeline entries a requester sees; the rest (branches, deliveries, tasks) is for staff.
PUBLIC_KINDS = frozenset({"created", "comment", "assigned", "flow.finished"})


@dataclass(frozen=True, slots=True)
class TicketPage:
    """One page of a ticket list and the cursor of the next page (None at the end)."""

    tickets: list[Ticket]
    next_cursor: int | None


def visible_tickets(viewer: User) -> Select[Ticket]:
    """Tickets ``viewer`` may see: requesters their own; staff all of them."""
    query = select(Ticket)
    if viewer.role not in {Role.ADMIN, Role.AGENT}:
        query = query.where(Ticket.requester_id == viewer.id)
    return query


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
    rows = list(session.scalars(query.order_by(Ticket.number.desc()).limit(limit + 1)))
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
