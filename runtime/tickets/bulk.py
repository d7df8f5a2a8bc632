"""Bulk changes from a queue: assign, set status, set priority on many tickets at once.

Each ticket goes through the same change function as a single edit
(``runtime.tickets.changes.update_ticket``), so it is permission-checked on its own, gets
its own timeline events (who, before, after) and notifications, and obeys the same rules
(a closed ticket must be reopened first ...). A ticket that cannot be changed is left
alone inside its own savepoint and reported with the reason; the others still change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.errors import DocketError, InvalidSubmission, Problem
from runtime.tickets.changes import UNSET, update_ticket
from runtime.tickets.models import Priority, Ticket
from runtime.tickets.queries import Scope, scoped_tickets

MAX_BULK = 200


@dataclass(frozen=True, slots=True)
class BulkChange:
    """What to change; None leaves a property as it is. ``assignee`` is an email, ``me`` or
    ``none`` (unassign); ``team`` a team key or ``none``; ``status`` a category or a custom
    status key."""

    assignee: str | None = None
    team: str | None = None
    status: str | None = None
    priority: Priority | None = None


@dataclass(slots=True)
class BulkResult:
    """Which tickets changed, and which could not be changed (number -> reason)."""

    changed: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def bulk_update(*, session: Session, scope: Scope, numbers: list[int],
                change: BulkChange) -> BulkResult:
    """Apply ``change`` to each ticket of ``numbers`` the actor may see; the caller commits.

    Invalid input (no ticket, too many, nothing to change, unknown person or team) refuses
    the whole request before anything is written.
    """
    if not numbers:
        raise InvalidSubmission([Problem("/tickets", "bulk.none", "Select at least one ticket.")])
    if len(set(numbers)) > MAX_BULK:
        raise InvalidSubmission([Problem("/tickets", "bulk.tooMany", (
            f"Select at most {MAX_BULK} tickets at a time."), {"limit": MAX_BULK})])
    if change == BulkChange():
        raise InvalidSubmission([Problem("/action", "bulk.nothing", "Choose what to change.")])
    actor = scope.viewer
    kwargs: dict[str, Any] = {"status": change.status, "priority": change.priority,
                              "assignee": UNSET, "team": UNSET}
    if change.assignee:
        kwargs["assignee"] = {"me": actor.email, "none": None}.get(change.assignee,
                                                                   change.assignee)
    if change.team:
        kwargs["team"] = None if change.team == "none" else change.team
    wanted = sorted(set(numbers))
    tickets = {t.number: t for t in session.scalars(
        scoped_tickets(scope).where(Ticket.number.in_(wanted)).order_by(Ticket.id))}
    result = BulkResult()
    for number in wanted:
        ticket = tickets.get(number)
        if ticket is None:
            result.refused[number] = "There is no such ticket, or you may not change it."
            continue
        savepoint = session.begin_nested()
        try:
            update_ticket(session=session, ticket=ticket, actor=actor, **kwargs)
            savepoint.commit()
        except InvalidSubmission:
            savepoint.rollback()
            raise  # the same for every ticket: a wrong person or team
        except (DocketError, StaleDataError) as exc:
            savepoint.rollback()
            result.refused[number] = getattr(exc, "detail", "") or (
                "Someone else changed this ticket in the meantime.")
        else:
            result.changed.append(number)
    return result
