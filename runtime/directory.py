"""The engine's ``Directory`` over the database: who a selector names, who a task escalates to.

Selectors are resolved one query each (the requester selector needs none), and only active
users are named, except the requester, who is always told about their own ticket.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from core.people import Team, TeamMember, User
from runtime.tickets.models import Ticket

log = logging.getLogger(__name__)


def _emails(value: Any) -> list[str]:
    """Normalised emails from a field value: one string or a list of strings."""
    items = value if isinstance(value, list | tuple) else [value]
    return [item.strip().lower() for item in items if isinstance(item, str) and item.strip()]


class DbDirectory:
    """Resolves approver selectors and escalation targets against users and teams."""

    def __init__(self, session: Session, requester: User, ticket: Ticket | None = None) -> None:
        self.session = session
        self.requester = requester
        self.ticket = ticket

    def approvers(
        self, selectors: Sequence[Mapping[str, Any]], data: Mapping[str, Any]
    ) -> list[str]:
        """The emails the ``selectors`` name, in order, without duplicates."""
        found: dict[str, None] = {}
        for selector in selectors:
            for email in self._resolve(selector, data):
                found.setdefault(email, None)
        return list(found)

    def escalation_target(self, approver_email: str) -> str | None:
        """The person's active manager, else an active lead of one of their teams, else None."""
        manager = aliased(User)
        row = self.session.execute(
            select(User.id, manager.email, manager.active)
            .outerjoin(manager, manager.id == User.manager_id)
            .where(User.email == approver_email.strip().lower())).first()
        if row is None:
            return None
        user_id, manager_email, manager_active = row
        if manager_email is not None and manager_active:
            return str(manager_email)
        mine, theirs = aliased(TeamMember), aliased(TeamMember)
        return self.session.scalar(
            select(User.email)
            .join(theirs, theirs.user_id == User.id)
            .join(mine, mine.team_id == theirs.team_id)
            .join(Team, Team.id == theirs.team_id)
            .where(mine.user_id == user_id, theirs.lead.is_(True), User.id != user_id,
                   User.active.is_(True))
            .order_by(Team.key, User.email).limit(1))

    def _resolve(self, selector: Mapping[str, Any], data: Mapping[str, Any]) -> Iterable[str]:
        kind = selector.get("kind")
        active = User.active.is_(True)
        if kind == "requester":
            return [self.requester.email]
        if kind == "user":
            wanted = _emails(selector.get("user"))
            return self.session.scalars(select(User.email).where(
                User.email.in_(wanted), active)) if wanted else []
        if kind == "team":
            query = (select(User.email).join(TeamMember, TeamMember.user_id == User.id)
                     .join(Team, Team.id == TeamMember.team_id)
                     .where(Team.key == selector.get("team"), active)
                     .order_by(TeamMember.lead.desc(), User.email))
            if selector.get("leads"):
                query = query.where(TeamMember.lead.is_(True))
            return self.session.scalars(query)
        if kind == "role":
            return self.session.scalars(select(User.email).where(
                User.role == selector.get("role"), active).order_by(User.email))
        if kind == "field":
            return self._field(str(selector.get("field")), data)
        if kind == "manager":
            if self.requester.manager_id is None:
                return []
            return self.session.scalars(select(User.email).where(
                User.id == self.requester.manager_id, active))
        log.warning("unknown approver selector kind %r", kind)
        return []

    def _field(self, key: str, data: Mapping[str, Any]) -> list[str]:
        """Emails in ``data[key]`` (or the ticket's data) that belong to active users."""
        value = data[key] if key in data else (self.ticket.data.get(key) if self.ticket else None)
        wanted = _emails(value)
        if not wanted:
            return []
        known = set(self.session.scalars(select(User.email).where(
            User.email.in_(wanted), User.active.is_(True))))
        return [email for email in wanted if email in known]
