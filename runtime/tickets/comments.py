"""Comments on a ticket: public replies and internal notes, on the timeline.

A public reply by the ticket's requester is the ``ticket.replied`` event a flow may be
waiting for (e.g. "wait for the requester's confirmation"). ``@mentions`` name staff by
email (``@ann@example.com``) or by a name in brackets or quotes-free form the picker
inserts (``@[Ann Lee]``); each mentioned colleague gets a notification. A public reply
notifies the requester and the watchers (not its author); an internal note never reaches
a requester.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import InvalidSubmission, PermissionDenied, Problem
from core.people import Role, User
from runtime import engine
from runtime.flows.models import FlowInstance, InstanceStatus
from runtime.flows.runner import advance
from runtime.notifications import Kind, notify
from runtime.tickets.models import Attachment, Ticket, TicketEvent
from runtime.tickets.relations import TicketWatcher
from runtime.tickets.service import STAFF, can_see_ticket

MAX_BODY = 20_000
MAX_FILES = 10
_MENTION_EMAIL = re.compile(r"(?<![\w.])@([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_MENTION_NAME = re.compile(r"(?<![\w.])@\[([^\]\n]{1,200})\]")


def mentioned_users(*, session: Session, body: str) -> list[User]:
    """Active staff named in ``body`` by ``@email`` or ``@[Full Name]``, in order, once."""
    emails = [m.rstrip(".").lower() for m in _MENTION_EMAIL.findall(body)]
    names = [n.strip().lower() for n in _MENTION_NAME.findall(body)]
    if not emails and not names:
        return []
    staff = select(User).where(User.active.is_(True), User.role != Role.REQUESTER)
    found: list[User] = []
    if emails:
        found += session.scalars(staff.where(func.lower(User.email).in_(emails))).all()
    if names:
        found += session.scalars(staff.where(func.lower(User.name).in_(names))).all()
    unique = {u.id: u for u in found}
    return list(unique.values())


def watchers(*, session: Session, ticket: Ticket) -> list[User]:
    """The people watching ``ticket`` (CC)."""
    return list(session.scalars(select(User).join(TicketWatcher, TicketWatcher.user_id == User.id)
                                .where(TicketWatcher.ticket_id == ticket.id).order_by(User.name)))


def add_comment(*, session: Session, ticket: Ticket, author: User, body: str,
                internal: bool = False, attachments: list[Attachment] | None = None,
                channel: str = "web", message_id: str = "") -> TicketEvent:
    """Add a reply (or, for staff, an internal note) and tell the people concerned; the
    caller commits."""
    body = (body or "").strip()
    if not body:
        raise InvalidSubmission([Problem("/body", "required", "Write a message.")])
    if len(body) > MAX_BODY:
        raise InvalidSubmission([Problem("/body", "maxLength", "The message is too long.",
                                         {"limit": MAX_BODY})])
    if internal and author.role not in STAFF:
        raise PermissionDenied("Only staff can write internal notes.")
    files = list(attachments or [])[:MAX_FILES]
    for attachment in files:
        if attachment.uploader_id != author.id or attachment.ticket_id not in (None, ticket.id):
            raise PermissionDenied("You can only attach files you uploaded.")
        if not internal:  # bound files are the requester's to download; a note's stay staff's
            attachment.ticket_id = ticket.id
    # only colleagues who may see the ticket are told (a mention grants no access)
    mentions = [u for u in (mentioned_users(session=session, body=body)
                            if author.role in STAFF else [])
                if can_see_ticket(session=session, viewer=u, ticket_id=ticket.id)]
    payload: dict[str, object] = {"body": body, "internal": internal}
    if mentions:
        payload["mentions"] = [u.email for u in mentions]
    if files:
        payload["attachments"] = [{"id": a.id, "name": a.name, "size": a.size} for a in files]
    if channel != "web":
        payload["channel"] = channel
    if message_id:
        payload["message_id"] = message_id
    comment = TicketEvent(ticket_id=ticket.id, kind="comment", actor_id=author.id,
                          payload=payload)
    session.add(comment)
    session.flush()
    excerpt = body[:300]
    notify(session=session, users=mentions, kind=Kind.MENTIONED, ticket=ticket, actor=author,
           text=excerpt, payload={"comment": comment.id})
    if not internal:
        told = {u.id for u in mentions}
        people = [ticket.requester, *watchers(session=session, ticket=ticket)]
        if ticket.assignee is not None and author.id == ticket.requester_id:
            people.append(ticket.assignee)
        notify(session=session, users=[p for p in people if p.id not in told], kind=Kind.REPLY,
               ticket=ticket, actor=author, text=excerpt, payload={"comment": comment.id})
    if author.id == ticket.requester_id and not internal:
        instance_id = session.scalar(select(FlowInstance.id).where(
            FlowInstance.ticket_id == ticket.id, FlowInstance.status == InstanceStatus.RUNNING))
        if instance_id is not None:
            advance(session=session, instance_id=instance_id, event=engine.Event.replied())
    session.flush()
    return comment


def comments(*, session: Session, ticket: Ticket, viewer: User) -> list[TicketEvent]:
    """The ticket's comments the viewer may read (requesters never see internal notes)."""
    rows = session.scalars(select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "comment")
        .order_by(TicketEvent.id)).all()
    if viewer.role in STAFF:
        return list(rows)
    return [row for row in rows if not row.payload.get("internal")]
