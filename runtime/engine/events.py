"""Events: what happened to an instance, delivered to ``step`` by the runner."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    """The kinds of event ``step`` understands; any other kind is ignored."""

    TASK_DECIDED = "task.decided"
    TIMER_FIRED = "timer.fired"
    JOB_DONE = "job.done"
    JOB_FAILED = "job.failed"
    TICKET_REPLIED = "ticket.replied"
    CANCEL = "cancel"


@dataclass(frozen=True, slots=True)
class Event:
    """An event: ``kind`` (an ``EventKind`` value) and its JSON ``payload``."""

    kind: str
    payload: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def decided(cls, task: str, decision: str, by: str, comment: str = "") -> Event:
        """``task.decided``: ``decision`` is approve, reject or complete."""
        payload = {"task": task, "decision": decision, "by": by, "comment": comment}
        return cls(EventKind.TASK_DECIDED, payload)

    @classmethod
    def timer_fired(cls, timer: str) -> Event:
        """``timer.fired`` for the timer key of a ``SetTimer``."""
        return cls(EventKind.TIMER_FIRED, {"timer": timer})

    @classmethod
    def job_done(cls, effect: str, result: Any = None) -> Event:
        """``job.done`` for the key of a ``CallWebhook`` or ``Lookup`` with its result."""
        return cls(EventKind.JOB_DONE, {"effect": effect, "result": result})

    @classmethod
    def job_failed(cls, effect: str, error: str) -> Event:
        """``job.failed`` for the key of a ``CallWebhook`` or ``Lookup``."""
        return cls(EventKind.JOB_FAILED, {"effect": effect, "error": error})

    @classmethod
    def replied(cls) -> Event:
        """``ticket.replied``: the requester answered on the ticket."""
        return cls(EventKind.TICKET_REPLIED, {})

    @classmethod
    def cancel(cls) -> Event:
        """``cancel``: end every token with outcome ``cancelled``."""
        return cls(EventKind.CANCEL, {})
