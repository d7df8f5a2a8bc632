"""Comments on a ticket: public replies and internal notes, on the timeline.

A public reply by the ticket's requester is the ``ticket.replied`` event a flow may be
waiting for (e.g. "wait for the requester's confirmation").
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import InvalidSubmission, PermissionDenied, Problem
from core.people import User
from runtime import engine
from runtime.flows.models import FlowInstance, InstanceStatus
from runtime.flows.runner import advance
from runtime.tickets.models import Ticket, TicketEvent
from runtime.tickets.service import STAFF

MAX_BODY = 20_000


def add_comment(*, session: Session, ticket: Ticket, author: User, body: str,
                internal: bool = False) -> TicketEvent:
    """Add a reply (or, for staff, an internal note); the caller commits."""
    body = (body or "").strip()
    if not body:
        raise InvalidSubmission([Problem("/body", "required", "Write a message.")])
    if len(body) > MAX_BODY:
        raise InvalidSubmission([Problem("/body", "maxLength", "The message is too long.",
                                         {"limit": MAX_BODY})])
    if internal and author.role not in STAFF:
        raise PermissionDenied("Only staff can write internal notes.")
    comment = TicketEvent(ticket_id=ticket.id, kind="comment", actor_id=author.id,
                          payload={"body": body, "internal": internal})
    session.add(comment)
    session.flush()
    if author.id == ticket.requester_id and not internal:
        instance_id = session.scalar(select(FlowInstance.id).where(
            FlowInstance.ticket_id == ticket.id, FlowInstance.status == InstanceStatus.RUNNING))
        if instance_id is not None:
            advance(session=session, instance_id=instance_id, event=engine.Event.replied())
    return comment


def comments(*, session: Session, ticket: Ticket, viewer: User) -> list[TicketEvent]:
    """The ticket's comments the viewer may read (requesters never see internal notes)."""
    rows = session.scalars(select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "comment")
        .order_by(TicketEvent.id)).all()
    if viewer.role in STAFF:
        return list(rows)
    return [row for row in rows if not row.payload.get("internal")]
