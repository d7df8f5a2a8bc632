"""Control nodes: start, exclusive branch, parallel split and join, end."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from builder.fields.values import pointer
from builder.flows.nodes.automation import STATUS
from builder.flows.nodes.base import (
    FlowContext,
    NodeType,
    form_problems,
    register,
    status_problems,
    when,
)
from core.errors import Problem

TRIGGERS = ["form.submitted", "ticket.created", "manual"]
OUTCOMES = ["resolved", "rejected", "cancelled"]
#: The status category each outcome puts the ticket in (runtime.flows.runner.OUTCOME_STATUS).
OUTCOME_CATEGORY = {"resolved": "resolved", "rejected": "closed", "cancelled": "closed"}


@register
class Start(NodeType):
    """The trigger: a form's submission, any new ticket, or a manual start."""

    name = "start"
    data_schema = {
        "properties": {
            "trigger": {"enum": TRIGGERS},
            "form": {"$ref": "#/$defs/definitionKey"},
        },
        "required": ["trigger"],
        "allOf": [when("trigger", "form.submitted", {"required": ["form"]})],
    }

    def meaning_problems(self, data: dict[str, Any], at: str, ctx: FlowContext) -> list[Problem]:
        """The bound form must exist; only form.submitted names a form."""
        where = pointer(at, "form")
        if data["trigger"] != "form.submitted":
            if "form" in data:
                return [
                    Problem(where, "unusedForm", "Only the form.submitted trigger names a form.")
                ]
            return []
        return form_problems(data["form"], where, ctx)


@register
class Exclusive(NodeType):
    """A branch: the first edge (by priority) whose condition matches, else the default."""

    name = "exclusive"

    def exits(self, data: Mapping[str, Any]) -> dict[str | None, tuple[int, int | None]]:
        """At least one edge (the default); conditions are checked on the edges."""
        return {None: (1, None)}


@register
class ParallelSplit(NodeType):
    """A fork: one token per outgoing edge, met again at the named join."""

    name = "parallel_split"
    data_schema = {"properties": {"join": {"$ref": "#/$defs/id"}}, "required": ["join"]}

    def exits(self, data: Mapping[str, Any]) -> dict[str | None, tuple[int, int | None]]:
        """Two or more branches."""
        return {None: (2, None)}


@register
class ParallelJoin(NodeType):
    """Waits for one token from every incoming edge, then continues with one."""

    name = "parallel_join"


@register
class End(NodeType):
    """The end of a path, with the ticket's outcome."""

    name = "end"
    data_schema = {"properties": {"outcome": {"enum": OUTCOMES}, "status": STATUS},
                   "required": ["outcome"]}

    def meaning_problems(self, data: dict[str, Any], at: str, ctx: FlowContext) -> list[Problem]:
        """A custom status must exist and lie in the outcome's category."""
        if "status" not in data:
            return []
        return status_problems(data["status"], pointer(at, "status"), ctx,
                               OUTCOME_CATEGORY[data["outcome"]])

    def exits(self, data: Mapping[str, Any]) -> dict[str | None, tuple[int, int | None]]:
        """No outgoing edge."""
        return {}
