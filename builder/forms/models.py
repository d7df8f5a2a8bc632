"""Forms and their published versions.

A form holds one mutable draft; publishing freezes the draft into a numbered, hashed
``FormVersion`` that never changes again. Tickets point at the version they were made under.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import Base


class Form(Base):
    """A ticket form: a key, a title, a draft definition and its published versions."""

    __tablename__ = "forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[dict[str, Any]]
    draft: Mapped[dict[str, Any]]
    archived: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: Optimistic lock: two designers saving at once -> the second gets a conflict.
    revision: Mapped[int] = mapped_column(default=1)

    versions: Mapped[list[FormVersion]] = relationship(
        back_populates="form", order_by="FormVersion.number"
    )

    __mapper_args__ = {"version_id_col": revision}


class FormVersion(Base):
    """An immutable published definition with its compiled JSON Schema."""

    __tablename__ = "form_versions"
    __table_args__ = (UniqueConstraint("form_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"), index=True)
    number: Mapped[int]
    definition: Mapped[dict[str, Any]]
    schema: Mapped[dict[str, Any]]
    hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    form: Mapped[Form] = relationship(back_populates="versions")
