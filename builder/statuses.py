"""Ticket statuses: the five categories and the custom statuses admins define inside them.

How this works: every ticket is in one *category* (``Status``: new, open, pending, resolved,
closed), which is what queues, the reopen window, CSAT and flows reason about. Inside each
category an admin defines *statuses* (``TicketStatus``: a stable key, labels, an order and
an active flag), e.g. "Waiting for parts" inside pending. The migration seeds one status
per category whose key is the category's name; a status is never deleted, only
deactivated, so every key a ticket or a flow ever held keeps its label.

This is a definition like a form (design time), so the flow checks here in builder/ can
see it; writing a ticket's status is runtime's (``runtime/tickets/statuses.py``).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.clock import utcnow
from core.db import Base


class Status(enum.StrEnum):
    """Status categories; custom statuses live inside one of these."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class TicketStatus(Base):
    """A status inside a category, e.g. ``waiting_parts`` in pending."""

    __tablename__ = "ticket_statuses"
    __table_args__ = (Index("ix_ticket_statuses_category_position", "category", "position"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    category: Mapped[Status] = mapped_column(String(20))
    #: {"en": ..., "zh-CN": ...}
    label: Mapped[dict[str, Any]]
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def status_categories(*, session: Session) -> dict[str, Status]:
    """Every status key (active or not) and its category."""
    return {key: Status(category) for key, category in session.execute(
        select(TicketStatus.key, TicketStatus.category))}
