"""People in flow definitions resolved against the database (read only), for dry runs.

Implements the engine's ``Directory`` protocol (docs/flows.md): selectors become user
emails in order without duplicates; a task escalates to its holder's manager.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.people import Team, TeamMember, User


class DatabaseDirectory:
    """Resolve selectors with SELECTs only: a simulation must not write anything."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _emails(self, selector: Mapping[str, Any], data: Mapping[str, Any]) -> list[str]:
        active = User.active.is_(True)
        kind = selector.get("kind")
        if kind == "user":
            email = str(selector.get("user", "")).strip().lower()
            return list(self.session.scalars(select(User.email).where(User.email == email,
                                                                      active)))
        if kind == "team":
            query = (select(User.email).join(TeamMember, TeamMember.user_id == User.id)
                     .join(Team, Team.id == TeamMember.team_id)
                     .where(Team.key == selector.get("team"), active).order_by(User.email))
            if selector.get("leads"):
                query = query.where(TeamMember.lead.is_(True))
            return list(self.session.scalars(query))
        if kind == "role":
            return list(self.session.scalars(select(User.email).where(
                User.role == selector.get("role"), active).order_by(User.email)))
        if kind == "field":
            value = data.get(str(selector.get("field")))
            values = value if isinstance(value, list) else [value]
            return [v.strip().lower() for v in values if isinstance(v, str) and v.strip()]
        if kind == "manager":
            requester = data.get("_requester")
            who = requester.get("email") if isinstance(requester, dict) else None
            manager = self._manager_of(who) if isinstance(who, str) else None
            return [manager] if manager else []
        return []

    def _manager_of(self, email: str) -> str | None:
        user = self.session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None or user.manager_id is None:
            return None
        return self.session.scalar(select(User.email).where(User.id == user.manager_id,
                                                            User.active.is_(True)))

    def approvers(
        self, selectors: Sequence[Mapping[str, Any]], data: Mapping[str, Any]
    ) -> list[str]:
        """The emails the ``selectors`` name, in order, without duplicates."""
        found: dict[str, None] = {}
        for selector in selectors:
            for email in self._emails(selector, data):
                found.setdefault(email, None)
        return list(found)

    def escalation_target(self, approver_email: str) -> str | None:
        """The manager of the task's holder, or None."""
        return self._manager_of(approver_email)
