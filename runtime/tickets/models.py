"""Tickets, their append-only timeline, attachments and the human-number counter."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, ScalarSelect, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from builder.forms.models import Form, FormVersion
from builder.statuses import Status, TicketStatus
from core.clock import utcnow
from core.db import Base
from core.people import Team, User

__all__ = ["Attachment", "Counter", "Priority", "Status", "Ticket", "TicketEvent"]


def default_status_key(category: Status) -> ScalarSelect[str]:
    """The key of ``category``'s default status (its first active one), as a subquery that
    the INSERT or UPDATE writing the category evaluates: no round trip of its own."""
    return (select(TicketStatus.key)
            .where(TicketStatus.category == category, TicketStatus.active.is_(True))
            .order_by(TicketStatus.position, TicketStatus.key).limit(1).scalar_subquery())


class Priority(enum.StrEnum):
    """How urgent a ticket is."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Ticket(Base):
    """A service request, pinned to the form version it was submitted under."""

    __tablename__ = "tickets"
    __table_args__ = (UniqueConstraint("requester_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"), index=True)
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id"))
    #: Immutable facts of the pinned version, kept on the row so lists need no joins.
    form_key: Mapped[str] = mapped_column(String(64), index=True)
    form_version_number: Mapped[int]
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    #: The category; queues, the reopen window and flows work on it.
    status: Mapped[Status] = mapped_column(String(20), default=Status.NEW)
    #: The custom status inside the category (runtime.tickets.statuses.set_status writes both).
    status_key: Mapped[str] = mapped_column(ForeignKey("ticket_statuses.key"),
                                            default=default_status_key(Status.NEW))
    priority: Mapped[Priority] = mapped_column(String(20), default=Priority.NORMAL)
    channel: Mapped[str] = mapped_column(String(20), default="web")
    subject: Mapped[str] = mapped_column(String(300))
    data: Mapped[dict[str, Any]]
    locale: Mapped[str] = mapped_column(String(10), default="en")
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    #: SHA-256 of the submitted body, to tell a replay from a reused key.
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    revision: Mapped[int] = mapped_column(default=1)

    form: Mapped[Form] = relationship()
    form_version: Mapped[FormVersion] = relationship()
    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    team: Mapped[Team | None] = relationship()
    custom_status: Mapped[TicketStatus] = relationship()
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id"
    )
    attachments: Mapped[list[Attachment]] = relationship(back_populates="ticket")

    __mapper_args__ = {"version_id_col": revision}

    @validates("status")
    def _category_written(self, _name: str, value: Status) -> Status:
        # a bare category written straight to the column (scripts, fixtures) still lands on a
        # status of that category; set_status then names the exact one
        if value != self.__dict__.get("status"):
            self.status_key = default_status_key(Status(value))
        return value


class TicketEvent(Base):
    """One entry of a ticket's timeline; never updated or deleted."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_ticket_events_ticket_id_id", "ticket_id", "id"),)


class Attachment(Base):
    """An uploaded file: stored outside the web root, bound to a ticket on submission."""

    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket | None] = relationship(back_populates="attachments")


class Counter(Base):
    """A named monotonic counter (ticket numbers), bumped with one atomic UPDATE."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int]
