"""What hangs off a ticket besides its timeline: links, watchers and the requester's rating.

A merge is a link of kind ``merged_into`` from the duplicate to the survivor; the
duplicate is closed and its timeline says where the conversation went on.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import Base
from core.people import User
from runtime.tickets.models import Ticket


class LinkKind(enum.StrEnum):
    """How two tickets relate."""

    RELATED = "related"
    MERGED_INTO = "merged_into"


class TicketLink(Base):
    """A directed link from one ticket to another (related links are stored both ways)."""

    __tablename__ = "ticket_links"
    __table_args__ = (UniqueConstraint("ticket_id", "other_id"),
                      CheckConstraint("ticket_id <> other_id", name="not_self"))

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[LinkKind] = mapped_column(String(20))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    other: Mapped[Ticket] = relationship(foreign_keys=[other_id])


class TicketWatcher(Base):
    """Someone CC'd on a ticket: told about its public updates."""

    __tablename__ = "ticket_watchers"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class TicketRating(Base):
    """The requester's satisfaction rating (CSAT), given once after resolution."""

    __tablename__ = "ticket_ratings"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),)

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    score: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
