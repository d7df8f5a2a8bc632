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

The flow runner tells the people its assignments and tasks reach with
``flow_notice_rows``, written with the rest of its rows in one statement.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, bindparam, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.clock import utcnow
from core.db import Base, insert_together
from core.people import Role, User
from runtime.flows.models import NEW_OUTBOX, OutboxMessage, outbox_row
from runtime.tickets.models import Ticket


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


def _email_kinds(session: Session, users: list[User],
                 stored: dict[int, dict[str, bool]] | None = None) -> dict[int, set[Kind]]:
    """Per user, the kinds that also go by email: one query for all of them, unless their
    stored choices are given (user id -> kind -> email)."""
    if stored is None:
        stored = {user.id: {} for user in users}
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
           ) -> None:
    """Tell each of ``users`` (never the actor, never twice), in-app and by email if chosen."""
    recipients = list({u.id: u for u in users
                       if u.active and (actor is None or u.id != actor.id)}.values())
    rows = notice_rows(session, [(user, kind, ticket, payload) for user in recipients],
                       actor=actor, text=text)
    ids = insert_together(session, rows, ids_of=(OutboxMessage,))
    session.info.setdefault(NEW_OUTBOX, []).extend(ids[OutboxMessage])


def notice_rows(session: Session, notices: list[tuple[User, Kind, Ticket | None, Any]], *,
                actor: User | None = None, text: str = "",
                stored: dict[int, dict[str, bool]] | None = None,
                ) -> list[tuple[type[Base], dict[str, Any]]]:
    """The rows that tell each (user, kind, ticket, payload): a notification, and an email
    outbox row if chosen; for ``insert_together`` (the tickets must have ids). ``stored``:
    the people's email choices, if already read."""
    if not notices:
        return []
    emailed = _email_kinds(session, [user for user, *_ in notices], stored)
    now = utcnow()
    rows: list[tuple[type[Base], dict[str, Any]]] = []
    for user, kind, ticket, payload in notices:
        ticket_id = ticket.id if ticket else None
        rows.append((Notification, {
            "user_id": user.id, "kind": kind, "ticket_id": ticket_id,
            "actor_id": actor.id if actor else None,
            "payload": {"text": text[:500], **(payload or {})}, "created_at": now}))
        if kind in emailed[user.id]:
            message = mail_text(kind=kind, user=user, ticket=ticket, actor=actor, text=text)
            rows.append((OutboxMessage, outbox_row(
                instance_id=None, ticket_id=ticket_id, now=now, kind="email",
                effect_key=f"notification:{uuid.uuid4().hex}",
                payload={"to": [user.email], "subject": message.subject, "body": message.body,
                         "reply_ticket": ticket.number if ticket else None})))
    return rows


#: Active people by id with their stored email choices (built once: it runs on every
#: routed submission, and building a SELECT costs about as much as running it).
_PEOPLE_WITH_CHOICES = (
    select(User, NotificationPreference.kind, NotificationPreference.email)
    .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
    .where(User.id.in_(bindparam("ids", expanding=True)), User.active.is_(True))
)


def flow_notice_rows(session: Session, ticket: Ticket, tasks: list[tuple[int, str]],
                     assigned: list[int]) -> list[tuple[type[Base], dict[str, Any]]]:
    """What a flow's steps tell people, as rows for ``insert_together``: each (assignee,
    task key) that a task waits for them, each user an assignment gave the ticket to that
    it is theirs. One notice per person: a task that waits for someone the ticket was just
    assigned to says both in one ("waits for you"), not in two mails."""
    wanted: dict[int, tuple[Kind, Any]] = {}
    for user_id, task in tasks:
        wanted[user_id] = (Kind.APPROVAL, {"task": task})
    for user_id in assigned:
        wanted.setdefault(user_id, (Kind.ASSIGNED, None))
    if not wanted:
        return []
    people: dict[User, dict[str, bool]] = {}
    for user, kind, email in session.execute(_PEOPLE_WITH_CHOICES, {"ids": sorted(wanted)}):
        people.setdefault(user, {}).update({kind: email} if kind is not None else {})
    return notice_rows(session, [(user, kind, ticket, payload) for user in people
                                 for kind, payload in [wanted[user.id]]],
                       stored={user.id: choices for user, choices in people.items()})


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
