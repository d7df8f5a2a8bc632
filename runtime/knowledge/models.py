"""Knowledge-base articles.

An article has a title and a Markdown body per language (``{"en": ..., "zh-CN": ...}``),
a category, and a state: drafts are seen by staff only, published ones by requesters too.
``search_text`` is the article's words prepared for the database's full-text index
(see ``runtime.knowledge.search``): a GIN index on PostgreSQL, an FTS5 table on SQLite.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import Base
from core.people import User


class ArticleStatus(enum.StrEnum):
    """Drafts are for staff; published articles are for everyone signed in."""

    DRAFT = "draft"
    PUBLISHED = "published"


class Article(Base):
    """A knowledge-base article."""

    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(100), default="", index=True)
    title: Mapped[dict[str, Any]]
    body: Mapped[dict[str, Any]]
    status: Mapped[ArticleStatus] = mapped_column(String(20), default=ArticleStatus.DRAFT)
    search_text: Mapped[str] = mapped_column(Text, default="")
    #: The ticket whose resolution this article was written from, if any.
    source_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None]
    #: Optimistic lock: two editors saving at once -> the second gets a conflict.
    revision: Mapped[int] = mapped_column(default=1)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    __mapper_args__ = {"version_id_col": revision}
