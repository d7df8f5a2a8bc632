"""Flows, their published versions, and which flow each form's new tickets follow.

A flow mirrors a form: one mutable draft, published into numbered, hashed, immutable
``FlowVersion`` rows. A version whose start node is triggered by a form's submission
records that form's key. ``FlowBinding`` says which flow version new tickets of a form
follow: one row per form at most (``form_id`` is unique) and one form per flow at most
(``flow_id`` is unique); publishing a form-bound flow takes the form over from any other
flow (see ``builder.flows.service.bind_flow``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import Base


class Flow(Base):
    """A routing and approval flow: a key, a title, a draft graph and its versions."""

    __tablename__ = "flows"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[dict[str, Any]]
    draft: Mapped[dict[str, Any]]
    archived: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: Optimistic lock: two process owners saving at once -> the second gets a conflict.
    revision: Mapped[int] = mapped_column(default=1)

    versions: Mapped[list[FlowVersion]] = relationship(
        back_populates="flow", order_by="FlowVersion.number"
    )
    binding: Mapped[FlowBinding | None] = relationship(viewonly=True)

    __mapper_args__ = {"version_id_col": revision}


class FlowVersion(Base):
    """An immutable published flow definition."""

    __tablename__ = "flow_versions"
    __table_args__ = (UniqueConstraint("flow_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("flows.id"), index=True)
    number: Mapped[int]
    definition: Mapped[dict[str, Any]]
    hash: Mapped[str] = mapped_column(String(64))
    #: The form whose submissions start this version (start trigger form.submitted), if any.
    form_key: Mapped[str | None] = mapped_column(String(64), index=True)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    flow: Mapped[Flow] = relationship(back_populates="versions")


class FlowBinding(Base):
    """The flow version that new tickets of a form follow (at most one per form)."""

    __tablename__ = "flow_bindings"

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"), unique=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("flows.id"), unique=True)
    flow_version_id: Mapped[int] = mapped_column(ForeignKey("flow_versions.id"))
    bound_at: Mapped[datetime] = mapped_column(default=utcnow)
    bound_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    flow: Mapped[Flow] = relationship()
    version: Mapped[FlowVersion] = relationship()
