"""Vote counting for approval modes, pure: slots in approver order, each vote or None."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

APPROVE = "approve"
REJECT = "reject"


class Mode(StrEnum):
    """Approval modes of docs/flows.md."""

    SINGLE = "single"
    SEQUENTIAL = "sequential"
    ALL = "all"
    ANY = "any"
    K_OF_N = "k_of_n"


class Outcome(StrEnum):
    """How an approval round ended; each names the ``sourceHandle`` the token leaves by."""

    APPROVED = "approved"
    REJECTED = "rejected"
    TIMEOUT = "timeout"


def slot_count(mode: Mode, approvers: int) -> int:
    """How many approvers take part: one for ``single``, all of them otherwise."""
    return min(approvers, 1) if mode is Mode.SINGLE else approvers


def tally(mode: Mode, k: int, votes: Sequence[str | None]) -> Outcome | None:
    """The outcome the ``votes`` (one per slot, None while undecided) decide, or None."""
    approvals = sum(vote == APPROVE for vote in votes)
    rejections = sum(vote == REJECT for vote in votes)
    undecided = len(votes) - approvals - rejections
    if not votes:
        # Nobody can approve: the request cannot be granted.
        return Outcome.REJECTED
    if mode is Mode.K_OF_N:
        if approvals >= k:
            return Outcome.APPROVED
        return Outcome.REJECTED if approvals + undecided < k else None
    if mode is Mode.ANY and approvals:
        return Outcome.APPROVED
    if rejections:
        return Outcome.REJECTED
    return Outcome.APPROVED if undecided == 0 else None
