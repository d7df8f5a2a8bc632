"""In-app notifications, and the ones a person also wants by email.

How it works. ``notify`` writes one ``Notification`` row per recipient in the caller's
transaction; when the recipient chose email for that kind (``NotificationPreference``, with
per-role defaults), it also writes an ``email`` outbox row in the same transaction, which
the outbox relay delivers after commit (durable, never sent inside a request). Mail to a
ticket's people carries ``reply_ticket`` so that the delivery adds a Reply-To address with a
signed token (see ``runtime.inbound``): answering the mail lands on the ticket.

Kinds: assigned, mentioned, approval (an approval or task waits for you), reply (a public
reply or status change on a ticket you requested or watch), sla_warning (defined for the
SLA clocks to come: nothing raises it yet).

Flow-made assignments and tasks are noticed by a ``before_flush`` hook on new ``Task``
rows and ``assigned`` timeline events, so the flow runner needs no knowledge of this module.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, event, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.clock import utcnow
from core.db import Base
from core.people import Role, User
from runtime.flows.models import OutboxMessage, Task
from runtime.flows.runner import NEW_OUTBOX
from runtime.tickets.models import Ticket, TicketEvent


class Kind(enum.StrEnum):
    """What a notification is about."""

    ASSIGNED = "assigned"
    MENTIONED = "mentioned"
    APPROVAL = "approval"
    REPLY = "reply"
    SLA_WARNING = "sla_warning"  # reserved: raised by the SLA clocks once they exist


#: Which kinds go by email unless the person chose otherwise.
EMAIL_DEFAULTS: dict[str, frozenset[Kind]] = {
    Role.REQUESTER: frozenset({Kind.REPLY}),
    Role.AGENT: frozenset({Kind.ASSIGNED, Kind.MENTIONED, Kind.APPROVAL, Kind.SLA_WARNING}),
    Role.ADMIN: frozenset({Kind.MENTIONED, Kind.APPROVAL}),
    Role.DESIGNER: frozenset({Kind.MENTIONED, Kind.APPROVAL}),
}
#: The kinds a person may choose for, by role (requesters only hear about their tickets).
CHOOSABLE: dict[str, tuple[Kind, ...]] = {
    Role.REQUESTER: (Kind.REPLY,),
}
STAFF_KINDS = (Kind.ASSIGNED, Kind.MENTIONED, Kind.APPROVAL, Kind.REPLY, Kind.SLA_WARNING)


class Notification(Base):
    """One thing a person should know about; unread until they open or mark it."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_id_read_at", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[Kind] = mapped_column(String(20))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    ticket: Mapped[Ticket | None] = relationship()
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class NotificationPreference(Base):
    """A person's choice: does this kind also come by email?"""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    email: Mapped[bool]


def choosable_kinds(user: User) -> tuple[Kind, ...]:
    """The kinds ``user`` may set an email preference for."""
    return CHOOSABLE.get(user.role, STAFF_KINDS)


def email_choices(*, session: Session, user: User) -> dict[Kind, bool]:
    """Per kind, whether it also goes by email (stored choice, else the role's default)."""
    emailed = _email_kinds(session, [user])[user.id]
    return {kind: kind in emailed for kind in choosable_kinds(user)}


def _email_kinds(session: Session, users: list[User]) -> dict[int, set[Kind]]:
    """Per user, the kinds that also go by email: one query for all of them."""
    stored: dict[int, dict[str, bool]] = {user.id: {} for user in users}
    for user_id, kind, email in session.execute(
            select(NotificationPreference.user_id, NotificationPreference.kind,
                   NotificationPreference.email)
            .where(NotificationPreference.user_id.in_(sorted(stored)))):
        stored[user_id][kind] = email
    return {user.id: {kind for kind in choosable_kinds(user) if stored[user.id].get(
        kind, kind in EMAIL_DEFAULTS.get(user.role, frozenset()))} for user in users}


def set_email_choices(*, session: Session, user: User, email: set[str]) -> dict[Kind, bool]:
    """Store which kinds go by email (the others do not); unknown kinds are ignored."""
    current = {p.kind: p for p in session.scalars(select(NotificationPreference).where(
        NotificationPreference.user_id == user.id))}
    for kind in choosable_kinds(user):
        wanted = kind in email
        if kind in current:
            current[kind].email = wanted
        else:
            session.add(NotificationPreference(user_id=user.id, kind=kind, email=wanted))
    session.flush()
    return email_choices(session=session, user=user)


_SUBJECTS: dict[Kind, dict[str, str]] = {
    Kind.ASSIGNED: {"en": "Ticket #{number} was assigned to you",
                    "zh-CN": "工单 #{number} 已分配给您"},
    Kind.MENTIONED: {"en": "{actor} mentioned you on ticket #{number}",
                     "zh-CN": "{actor} 在工单 #{number} 中提到了您"},
    Kind.APPROVAL: {"en": "Ticket #{number} waits for you", "zh-CN": "工单 #{number} 等待您处理"},
    Kind.REPLY: {"en": "Update on ticket #{number}: {subject}",
                 "zh-CN": "工单 #{number} 有更新：{subject}"},
    Kind.SLA_WARNING: {"en": "Ticket #{number} is close to its deadline",
                       "zh-CN": "工单 #{number} 即将超时"},
}
_FOOTER = {"en": "Reply to this email to answer on the ticket, or open it: {link}",
           "zh-CN": "直接回复此邮件即可在工单中回复，或打开工单：{link}"}
_STAFF_FOOTER = {"en": "Open the ticket: {link}", "zh-CN": "打开工单：{link}"}


@dataclass(frozen=True, slots=True)
class MailText:
    """Subject and body of a notification email."""

    subject: str
    body: str


def mail_text(*, kind: Kind, user: User, ticket: Ticket | None, actor: User | None,
              text: str = "") -> MailText:
    """The email for one notification, in the recipient's language."""
    lang = "zh-CN" if (user.locale or "").lower().startswith("zh") else "en"
    values = {"number": ticket.number if ticket else "", "subject": ticket.subject if ticket
              else "", "actor": actor.name if actor else "Docket"}
    subject = _SUBJECTS[kind][lang].format(**values)
    lines = [subject, ""]
    if text:
        lines += [text, ""]
    if ticket is not None:
        path = (f"/portal/tickets/{ticket.number}" if user.role == Role.REQUESTER
                else f"/workspace/tickets/{ticket.number}")
        footer = _FOOTER if user.id in (ticket.requester_id,) else _STAFF_FOOTER
        lines.append(footer[lang].format(link=path))
    return MailText(subject, "\n".join(lines))


def notify(*, session: Session, users: list[User], kind: Kind, ticket: Ticket | None = None,
           actor: User | None = None, text: str = "", payload: dict[str, Any] | None = None
           ) -> list[Notification]:
    """Tell each of ``users`` (never the actor, never twice), in-app and by email if chosen."""
    recipients = list({u.id: u for u in users
                       if u.active and (actor is None or u.id != actor.id)}.values())
    return _deliver(session, [(user, kind, ticket, payload) for user in recipients],
                    actor=actor, text=text)


def _deliver(session: Session, notices: list[tuple[User, Kind, Ticket | None, Any]], *,
             actor: User | None = None, text: str = "") -> list[Notification]:
    """Write each (user, kind, ticket, payload): a notification, and the email if chosen."""
    if not notices:
        return []
    # no flush here: this also runs inside a before_flush hook
    emailed = _email_kinds(session, [user for user, *_ in notices])
    made: list[Notification] = []
    for user, kind, ticket, payload in notices:
        # by relationship: a new ticket (its flow's first steps) has no id before the flush
        note = Notification(user_id=user.id, kind=kind, ticket=ticket,
                            actor_id=actor.id if actor else None,
                            payload={"text": text[:500], **(payload or {})})
        session.add(note)
        made.append(note)
        if kind in emailed[user.id]:
            message = mail_text(kind=kind, user=user, ticket=ticket, actor=actor, text=text)
            row = OutboxMessage(
                instance_id=None, ticket=ticket,
                effect_key=f"notification:{uuid.uuid4().hex}", kind="email",
                payload={"to": [user.email], "subject": message.subject, "body": message.body,
                         "reply_ticket": ticket.number if ticket else None})
            session.add(row)
            session.info.setdefault(NEW_OUTBOX, []).append(row)
    return made


def unread_count(*, session: Session, user: User) -> int:
    """How many notifications ``user`` has not read."""
    return int(session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0)


def list_notifications(*, session: Session, user: User, unread_only: bool = False,
                       limit: int = 100) -> list[Notification]:
    """The person's notifications, newest first."""
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def mark_read(*, session: Session, user: User, ids: list[int] | None = None,
              now: datetime | None = None) -> int:
    """Mark some (or, with ``ids`` None, all) of the person's notifications read."""
    query = update(Notification).where(Notification.user_id == user.id,
                                       Notification.read_at.is_(None))
    if ids is not None:
        query = query.where(Notification.id.in_(ids))
    result = session.execute(query.values(read_at=now or utcnow())
                             .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def _flow_notifications(session: Session, _context: Any, _instances: Any) -> None:
    """Notice tasks and assignments the flow runner creates (see the module doc).

    One notice per person and ticket: a task that waits for someone on a ticket just
    assigned to them says both in one ("waits for you"), not in two mails.
    """
    wanted: dict[tuple[int, int], tuple[int, Kind, Ticket, Any]] = {}
    for obj in session.new:
        if isinstance(obj, Task) and obj.assignee_id:
            wanted[(obj.assignee_id, id(obj.ticket))] = (
                obj.assignee_id, Kind.APPROVAL, obj.ticket, {"task": obj.key})
    for obj in session.new:
        if isinstance(obj, TicketEvent) and obj.kind == "assigned" and obj.actor_id is None \
                and (user_id := (obj.payload or {}).get("user_id")):
            wanted.setdefault((user_id, id(obj.ticket)), (user_id, Kind.ASSIGNED, obj.ticket, None))
    if not wanted:
        return
    with session.no_autoflush:
        people = {u.id: u for u in session.scalars(
            select(User).where(User.id.in_(sorted({n[0] for n in wanted.values()}))))}
        _deliver(session, [(people[user_id], kind, ticket, payload)
                           for user_id, kind, ticket, payload in wanted.values()
                           if user_id in people and people[user_id].active])


event.listen(Session, "before_flush", _flow_notifications)
