"""Effects: what a step asks the runner to do, as frozen values with stable keys.

Every effect has a ``key`` unique within its instance and derived from the node id, the
node's round (how many times a token entered it) and a slot or counter, so the runner can
recognise an effect it has already applied (the outbox row's idempotency key).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Assign:
    """Assign the ticket by ``strategy`` (``params`` are the node's other data keys)."""

    effect_type: ClassVar[str] = "assign"
    key: str
    node: str
    strategy: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CreateTask:
    """Open a task (``kind`` ``approval`` or ``user_task``) held by ``assignee``."""

    effect_type: ClassVar[str] = "create_task"
    key: str
    task: str
    node: str
    kind: str
    assignee: str | None
    due_at: datetime | None
    title: Any = None
    form: str | None = None


@dataclass(frozen=True, slots=True)
class CloseTasks:
    """Close tasks that will not be decided any more (``reason``: the outcome)."""

    effect_type: ClassVar[str] = "close_tasks"
    key: str
    node: str
    tasks: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class SetTimer:
    """Fire ``timer.fired`` with ``timer`` at ``due_at`` (``purpose``: due, wait, timeout)."""

    effect_type: ClassVar[str] = "set_timer"
    key: str
    timer: str
    node: str
    due_at: datetime
    purpose: str


@dataclass(frozen=True, slots=True)
class CancelTimer:
    """Drop the pending timer ``timer``; it must not fire."""

    effect_type: ClassVar[str] = "cancel_timer"
    key: str
    timer: str
    node: str


@dataclass(frozen=True, slots=True)
class SetTicket:
    """Change the ticket: ``status`` and ``priority`` when not None, and ``fields``."""

    effect_type: ClassVar[str] = "set_ticket"
    key: str
    node: str
    status: str | None
    priority: str | None
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Notify:
    """Send ``subject``/``body`` (TEXT with ``{{field}}`` placeholders) to selectors ``to``."""

    effect_type: ClassVar[str] = "notify"
    key: str
    node: str
    channel: str
    to: tuple[dict[str, Any], ...]
    subject: Any
    body: Any


@dataclass(frozen=True, slots=True)
class CallWebhook:
    """POST the ticket to ``url`` from a job; it answers ``job.done``/``job.failed``."""

    effect_type: ClassVar[str] = "call_webhook"
    key: str
    node: str
    url: str
    secret: str | None
    retry_max: int


@dataclass(frozen=True, slots=True)
class Lookup:
    """Call ``url`` from a job; ``job.done`` carries the JSON response as ``result``."""

    effect_type: ClassVar[str] = "lookup"
    key: str
    node: str
    url: str
    method: str
    map: dict[str, str]


@dataclass(frozen=True, slots=True)
class Escalate:
    """Hand the open task ``task`` from ``assignee`` to ``to``."""

    effect_type: ClassVar[str] = "escalate"
    key: str
    node: str
    task: str
    assignee: str
    to: str


@dataclass(frozen=True, slots=True)
class Record:
    """A timeline entry: branch decisions with their reason, votes, outcomes, failures."""

    effect_type: ClassVar[str] = "record"
    key: str
    node: str
    kind: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Finish:
    """A token reached an end node with ``outcome``; ``final`` when the instance ended."""

    effect_type: ClassVar[str] = "finish"
    key: str
    node: str
    outcome: str
    final: bool


Effect = (
    Assign
    | CreateTask
    | CloseTasks
    | SetTimer
    | CancelTimer
    | SetTicket
    | Notify
    | CallWebhook
    | Lookup
    | Escalate
    | Record
    | Finish
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def effect_as_dict(effect: Effect) -> dict[str, Any]:
    """The effect as a JSON-ready dict with its ``type`` (datetimes as ISO strings)."""
    fields = {f.name: _plain(getattr(effect, f.name)) for f in dataclasses.fields(effect)}
    return {"type": effect.effect_type, **fields}
