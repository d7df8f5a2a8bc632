"""Rows of the durable runner.

A ``FlowInstance`` holds the engine's state for one ticket, pinned to a flow version.
``Task`` rows are the approvals and user tasks people answer; ``Timer`` rows fire
``timer.fired`` when their ``due_at`` passes (indexed, swept); ``OutboxMessage`` rows are
side effects written in the same transaction as the state change that caused them and
delivered by jobs after commit; an ``Incident`` is a message whose retries ran out.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import Base
from core.people import Team, User
from runtime.tickets.models import Ticket


class InstanceStatus(enum.StrEnum):
    """Where an instance stands."""

    RUNNING = "running"
    ENDED = "ended"


class FlowInstance(Base):
    """One ticket's run through its flow version."""

    __tablename__ = "flow_instances"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    flow_version_id: Mapped[int] = mapped_column(ForeignKey("flow_versions.id"), index=True)
    state: Mapped[dict[str, Any]]
    status: Mapped[InstanceStatus] = mapped_column(String(20), default=InstanceStatus.RUNNING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    ticket: Mapped[Ticket] = relationship()


class TaskStatus(enum.StrEnum):
    """A task is open until decided, or closed when its step no longer needs it."""

    OPEN = "open"
    DONE = "done"
    CLOSED = "closed"


class Task(Base):
    """An approval or user task held by one person."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("instance_id", "key"),
        Index("ix_tasks_assignee_id_status", "assignee_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("flow_instances.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    node: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[dict[str, Any] | None]
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Set while a task is delegated: the delegate answers, then it returns to this person.
    delegated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[TaskStatus] = mapped_column(String(20), default=TaskStatus.OPEN)
    decision: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revision: Mapped[int] = mapped_column(default=1)

    instance: Mapped[FlowInstance] = relationship()
    ticket: Mapped[Ticket] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    delegated_by: Mapped[User | None] = relationship(foreign_keys=[delegated_by_id])

    __mapper_args__ = {"version_id_col": revision}


_PENDING = "fired_at IS NULL AND NOT cancelled"


class Timer(Base):
    """A wake-up call for an instance; the sweep fires it once when due."""

    __tablename__ = "timers"
    __table_args__ = (
        UniqueConstraint("instance_id", "key"),
        # the sweep reads only unfired, uncancelled timers in due order
        Index("ix_timers_pending_due_at", "due_at", postgresql_where=text(_PENDING),
              sqlite_where=text(_PENDING)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("flow_instances.id"))
    key: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]
    cancelled: Mapped[bool] = mapped_column(default=False)

    instance: Mapped[FlowInstance] = relationship()


#: A claimed message not finished after this long was lost with its worker.
STALE_AFTER = timedelta(minutes=2)
#: How long a message may wait for its after-commit hand-off before the relay sends it.
HANDOFF_GRACE = timedelta(seconds=30)


class OutboxStatus(enum.StrEnum):
    """Delivery state of an outbox message (enqueued: a worker claimed it)."""

    PENDING = "pending"
    ENQUEUED = "enqueued"
    DONE = "done"
    DEAD = "dead"


class OutboxMessage(Base):
    """A side effect to deliver after commit; its id is the idempotency key."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("instance_id", "effect_key"),
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("flow_instances.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    effect_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]]
    status: Mapped[OutboxStatus] = mapped_column(String(20), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    instance: Mapped[FlowInstance | None] = relationship()
    ticket: Mapped[Ticket | None] = relationship()


#: ``session.info`` key under which the ids of new outbox rows wait for the hand-off after
#: commit.
NEW_OUTBOX = "docket.new_outbox"


def outbox_row(*, instance_id: Any, ticket_id: int | None, effect_key: str, kind: str,
               payload: dict[str, Any], now: datetime, due: datetime | None = None,
               max_attempts: int = 8) -> dict[str, Any]:
    """A new pending ``outbox`` row, every column with a default given, for
    ``insert_together`` (``instance_id``: an id, ``FIRST_ID`` or None); due at ``due``
    (default: now)."""
    return {"instance_id": instance_id, "ticket_id": ticket_id, "effect_key": effect_key,
            "kind": kind, "payload": payload, "status": OutboxStatus.PENDING, "attempts": 0,
            "max_attempts": max(1, max_attempts), "next_attempt_at": due or now,
            "created_at": now}


class Incident(Base):
    """A message that failed every retry; an admin sees it and may retry it."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    error: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]

    message: Mapped[OutboxMessage] = relationship()


class TeamCursor(Base):
    """Round-robin position of a team; locked while a turn is taken."""

    __tablename__ = "team_cursors"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    last_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    team: Mapped[Team] = relationship()
