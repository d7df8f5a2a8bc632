"""What a step may know about the world: the time, the condition data and the directory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


class Directory(Protocol):
    """Resolves people in definitions; implemented by the runner (and by tests)."""

    def approvers(
        self, selectors: Sequence[Mapping[str, Any]], data: Mapping[str, Any]
    ) -> list[str]:
        """The emails the ``selectors`` name, in order, without duplicates."""
        ...

    def escalation_target(self, approver_email: str) -> str | None:
        """Who a task held by ``approver_email`` escalates to, or None."""
        ...


@dataclass(frozen=True, slots=True)
class Context:
    """``now`` (aware, UTC), ``data`` (ticket data plus ``_ticket``/``_requester``)."""

    now: datetime
    data: Mapping[str, Any]
    directory: Directory

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("Context.now must be timezone-aware")
