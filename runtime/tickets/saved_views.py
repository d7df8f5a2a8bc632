"""Saved views: a person's named queue filters (per user), to open again in one click."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.clock import utcnow
from core.db import Base, JSONDoc
from core.errors import InvalidSubmission, NotFound, Problem
from core.people import User

MAX_VIEWS = 50
MAX_NAME = 100
#: Query parameters a view keeps (``field.<key>`` too); the cursor never.
KEPT = ("queue", "status", "priority", "form", "team", "assignee", "q", "sort")


class SavedView(Base):
    """A named set of queue filters belonging to one user."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    #: The query parameters as [name, value] pairs, in order (repeatable names allowed).
    params: Mapped[list[Any]] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def clean_params(pairs: list[tuple[str, str]]) -> list[list[str]]:
    """The pairs worth keeping: known filter names and ``field.<key>``, non-empty, short."""
    kept = [[k, v[:500]] for k, v in pairs
            if v and (k in KEPT or (k.startswith("field.") and len(k) <= 70))]
    return kept[:40]


def save_view(*, session: Session, user: User, name: str,
              params: list[tuple[str, str]]) -> SavedView:
    """Save the filters under ``name``; saving an existing name replaces its filters."""
    name = " ".join((name or "").replace("\x00", " ").split())
    if not name:
        raise InvalidSubmission([Problem("/name", "view.name", "Give the view a name.")])
    if len(name) > MAX_NAME:
        raise InvalidSubmission([Problem("/name", "maxLength", "The name is too long.",
                                         {"limit": MAX_NAME})])
    view = session.scalar(select(SavedView).where(SavedView.user_id == user.id,
                                                  SavedView.name == name))
    if view is None:
        count = len(list_views(session=session, user=user))
        if count >= MAX_VIEWS:
            raise InvalidSubmission([Problem("/name", "view.tooMany", (
                "You have too many saved views; delete one first."), {"limit": MAX_VIEWS})])
        view = SavedView(user_id=user.id, name=name, params=clean_params(params))
        session.add(view)
    else:
        view.params = clean_params(params)
    session.flush()
    return view


def list_views(*, session: Session, user: User) -> list[SavedView]:
    """The user's views by name."""
    return list(session.scalars(select(SavedView).where(SavedView.user_id == user.id)
                                .order_by(SavedView.name)))


def get_view(*, session: Session, user: User, view_id: int) -> SavedView:
    """One of the user's own views (someone else's is NotFound)."""
    view = session.scalar(select(SavedView).where(SavedView.id == view_id,
                                                  SavedView.user_id == user.id))
    if view is None:
        raise NotFound("There is no such saved view.")
    return view


def delete_view(*, session: Session, user: User, view_id: int) -> None:
    """Delete one of the user's own views."""
    get_view(session=session, user=user, view_id=view_id)
    session.execute(delete(SavedView).where(SavedView.id == view_id))
    session.flush()
