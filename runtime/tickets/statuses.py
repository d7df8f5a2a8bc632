"""Writing a ticket's status, and the admin's list of custom statuses.

A status is written as a category (``open``: that category's default, its first active
status by position) or as a custom status key (``waiting_parts``); ``set_status`` is the one
place that turns either into the pair the ticket stores (category, key). Statuses are
never deleted: an admin renames, reorders or deactivates them, and a category always keeps
at least one active status, so a bare category always has a default to land on.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from builder.statuses import Status, TicketStatus
from core.errors import Conflict, InvalidSubmission, NotFound, Problem
from runtime.tickets.models import Ticket

KEY = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
LOCALES = ("en", "zh-CN")
MAX_LABEL = 80
_CATEGORY_ORDER = {category.value: i for i, category in enumerate(Status)}


def list_statuses(*, session: Session, active_only: bool = False) -> list[TicketStatus]:
    """Statuses by category (new ... closed), then position."""
    query = select(TicketStatus)
    if active_only:
        query = query.where(TicketStatus.active.is_(True))
    rows = session.scalars(query.order_by(TicketStatus.position, TicketStatus.key)).all()
    return sorted(rows, key=lambda s: _CATEGORY_ORDER[s.category])


def grouped_statuses(*, session: Session, active_only: bool = True
                     ) -> list[tuple[Status, list[TicketStatus]]]:
    """Statuses per category in order: the active ones for pickers (``<optgroup>`` per
    category), all of them for the admin's page."""
    found = list_statuses(session=session, active_only=active_only)
    return [(category, [s for s in found if s.category == category]) for category in Status]


def statuses_by_key(*, session: Session) -> dict[str, TicketStatus]:
    """Every status (active or not) by key: labels for timelines and lists in one read."""
    return {s.key: s for s in session.scalars(select(TicketStatus))}


#: Seconds a process keeps the labels it read: statuses are a short list an admin edits now
#: and then, labels are display text, and every ticket shown needs its label. A change made
#: in this process is seen at once; one made in another process, within this time.
LABELS_TTL = 5.0
_labels: tuple[float, dict[str, dict[str, str]]] = (float("-inf"), {})


def status_labels(*, session: Session) -> dict[str, dict[str, str]]:
    """Every status's label by key, read at most every LABELS_TTL seconds per process."""
    global _labels
    read_at, labels = _labels
    if time.monotonic() - read_at > LABELS_TTL:
        labels = {key: label for key, label in session.execute(
            select(TicketStatus.key, TicketStatus.label))}
        _labels = (time.monotonic(), labels)
    return labels


def _forget_labels() -> None:
    global _labels
    _labels = (float("-inf"), {})


def resolve_status(*, session: Session, value: str, pointer: str = "/status") -> TicketStatus:
    """The status ``value`` names: a category's default, or an active custom status."""
    if value in _CATEGORY_ORDER:
        found = session.scalar(select(TicketStatus).where(
            TicketStatus.category == value, TicketStatus.active.is_(True))
            .order_by(TicketStatus.position, TicketStatus.key).limit(1))
    else:
        found = session.get(TicketStatus, value) if isinstance(value, str) and len(
            value) <= 64 else None
    if found is None or not found.active:
        raise InvalidSubmission([Problem(pointer, "status.unknown", (
            "No such status: give a category (new, open, pending, resolved, closed) or the "
            "key of an active status."), {"name": str(value)[:64]})])
    return found


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A ticket's status before and after a change (category and key each)."""

    before: Status
    before_key: str
    after: Status
    after_key: str

    def payload(self) -> dict[str, str]:
        """What the timeline event records: categories as ``from``/``to``, plus the keys."""
        return {"from": str(self.before), "to": str(self.after),
                "from_status": self.before_key, "to_status": self.after_key}


def set_status(*, session: Session, ticket: Ticket, value: str,
               pointer: str = "/status") -> StatusChange | None:
    """Put the ticket in the status ``value`` names (category or key); None when it already
    is there. The caller records the change and flushes."""
    target = resolve_status(session=session, value=value, pointer=pointer)
    before_key = ticket.status_key
    if not isinstance(before_key, str):  # a category written directly and not flushed yet
        session.flush()
        before_key = ticket.status_key
    if target.key == before_key and target.category == ticket.status:
        return None
    change = StatusChange(Status(ticket.status), before_key, Status(target.category), target.key)
    ticket.status = Status(target.category)
    ticket.status_key = target.key
    return change


# --- the admin's list ----------------------------------------------------------------------


def _label(value: Any, pointer: str, required: bool) -> tuple[dict[str, str], list[Problem]]:
    problems: list[Problem] = []
    if not isinstance(value, dict) or set(value) - set(LOCALES):
        return {}, [Problem(pointer, "label.shape",
                            'Give the label as {"en": "...", "zh-CN": "..."}.')]
    clean: dict[str, str] = {}
    for locale in LOCALES:
        text = value.get(locale)
        if text is None or (isinstance(text, str) and not text.strip() and locale != "en"):
            continue
        if not isinstance(text, str) or not text.strip() or len(text.strip()) > MAX_LABEL or any(
                ord(c) < 32 for c in text):
            problems.append(Problem(f"{pointer}/{locale}", "label.text", (
                f"Write a label of 1 to {MAX_LABEL} characters on one line."),
                {"limit": MAX_LABEL}))
            continue
        clean[locale] = " ".join(text.split())
    if required and "en" not in clean and not problems:
        problems.append(Problem(f"{pointer}/en", "label.required", "Give an English label."))
    return clean, problems


def _category(value: Any) -> Status:
    try:
        return Status(value)
    except ValueError:
        raise InvalidSubmission([Problem("/category", "status.category", (
            "Choose a category: new, open, pending, resolved or closed."))]) from None


def get_status(*, session: Session, key: str) -> TicketStatus:
    """One status by key, or NotFound."""
    found = session.get(TicketStatus, key) if len(key) <= 64 else None
    if found is None:
        raise NotFound(f"There is no status {key!r}.")
    return found


def create_status(*, session: Session, key: Any, category: Any, label: Any) -> TicketStatus:
    """Add an active status at the end of its category (409 when the key is taken)."""
    problems: list[Problem] = []
    if not isinstance(key, str) or not KEY.match(key):
        problems.append(Problem("/key", "status.key", (
            "A key is 2 to 64 lowercase letters, digits and _, starting with a letter, "
            "e.g. waiting_parts.")))
    clean, label_problems = _label(label, "/label", required=True)
    problems += label_problems
    if problems:
        raise InvalidSubmission(problems)
    chosen = _category(category)
    if session.get(TicketStatus, key) is not None:
        raise Conflict(f"The status key {key!r} is taken; statuses are never deleted, so "
                       f"choose another key or reactivate that status.")
    last = session.scalar(select(func.max(TicketStatus.position)).where(
        TicketStatus.category == chosen))
    status = TicketStatus(key=key, category=chosen, label=clean,
                          position=(last + 1) if last is not None else 0, active=True)
    session.add(status)
    session.flush()
    _forget_labels()
    return status


def _others_active(session: Session, status: TicketStatus) -> bool:
    return bool(session.scalar(select(exists().where(
        TicketStatus.category == status.category, TicketStatus.active.is_(True),
        TicketStatus.key != status.key))))


def update_status(*, session: Session, key: str, label: Any = None, category: Any = None,
                  active: bool | None = None) -> TicketStatus:
    """Rename, move to another category or (de)activate a status; refuses to leave a
    category without an active status or to move a status that tickets are in (409)."""
    status = get_status(session=session, key=key)
    if label is not None:
        clean, problems = _label(label, "/label", required=False)
        if problems:
            raise InvalidSubmission(problems)
        status.label = {**status.label, **clean}
    if category is not None and _category(category) != status.category:
        if session.scalar(select(exists().where(Ticket.status_key == key))):
            raise Conflict(f"Tickets are in the status {key!r}, so its category cannot "
                           f"change; add a new status in the other category instead.")
        if status.active and not _others_active(session, status):
            raise Conflict(f"{key!r} is the only active status of {status.category}; add "
                           f"another one there first.")
        status.category = _category(category)
        status.position = (session.scalar(select(func.max(TicketStatus.position)).where(
            TicketStatus.category == status.category)) or 0) + 1
    if active is False and status.active and not _others_active(session, status):
        raise Conflict(f"{key!r} is the only active status of {status.category}; a category "
                       f"needs one for tickets to land on.")
    if active is not None:
        status.active = active
    session.flush()
    _forget_labels()
    return status


def move_status(*, session: Session, key: str, offset: int) -> TicketStatus:
    """Move a status up (-1) or down (+1) within its category."""
    status = get_status(session=session, key=key)
    siblings = list(session.scalars(select(TicketStatus).where(
        TicketStatus.category == status.category).order_by(
        TicketStatus.position, TicketStatus.key)))
    at = siblings.index(status)
    to = max(0, min(len(siblings) - 1, at + offset))
    siblings.insert(to, siblings.pop(at))
    for position, sibling in enumerate(siblings):
        if sibling.position != position:
            sibling.position = position
    session.flush()
    return status
