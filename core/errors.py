"""The error tree every package raises; only ``app/`` turns it into HTTP problems.

    DocketError
    ├── NotFound              a thing that does not exist (or that the caller may not see)
    ├── PermissionDenied      the caller may not do this
    ├── Conflict              the thing changed under the caller, or a duplicate
    ├── InvalidDefinition     a form or flow definition has problems (``problems``)
    ├── InvalidSubmission     submitted data has problems (``problems``)
    ├── TooLarge              an upload or body over its limit
    └── IllegalTransition     a state change that the current state does not allow
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a document, located by a JSON pointer into it."""

    pointer: str
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The problem as the ``errors[]`` item of an RFC 9457 response."""
        return {"pointer": self.pointer, "code": self.code, "message": self.message}


class DocketError(Exception):
    """Base of every error Docket raises on purpose."""

    title = "Error"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DocketError):
    """The thing does not exist, or the caller may not know that it does."""

    title = "Not found"


class PermissionDenied(DocketError):
    """The caller is known but may not do this."""

    title = "Forbidden"


class Conflict(DocketError):
    """The thing changed since the caller read it, or already exists."""

    title = "Conflict"


class TooLarge(DocketError):
    """An upload or request body is over its limit."""

    title = "Too large"


class IllegalTransition(DocketError):
    """The current state does not allow this change."""

    title = "Illegal transition"


class _WithProblems(DocketError):
    def __init__(self, problems: list[Problem], detail: str = "") -> None:
        super().__init__(detail or f"{len(problems)} problem(s) found")
        self.problems = problems


class InvalidDefinition(_WithProblems):
    """A form or flow definition that cannot be published or imported."""

    title = "Invalid definition"


class InvalidSubmission(_WithProblems):
    """Submitted data that does not satisfy the form."""

    title = "Invalid submission"
