"""Nodes that put work on people: assign, approval, user task."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from builder.fields.values import pointer
from builder.flows.nodes.base import (
    FlowContext,
    NodeType,
    duration_problems,
    field_problems,
    form_problems,
    register,
    selector_problems,
    selectors_problems,
    team_problems,
    user_problems,
    when,
)
from core.errors import Problem

STRATEGIES = ["user", "team", "round_robin", "least_loaded", "skills", "field_map"]
TEAM_STRATEGIES = ["team", "round_robin", "least_loaded", "skills"]
MODES = ["single", "sequential", "all", "any", "k_of_n"]
ON_TIMEOUT = ["remind", "escalate", "approve", "reject"]


@register
class Assign(NodeType):
    """Assign the ticket: to a user, a team queue, or by a strategy within a team."""

    name = "assign"
    data_schema = {
        "properties": {
            "strategy": {"enum": STRATEGIES},
            "user": {"$ref": "#/$defs/email"},
            "team": {"$ref": "#/$defs/teamKey"},
            "skills": {
                "type": "array",
                "minItems": 1,
                "maxItems": 50,
                "items": {
                    "anyOf": [
                        {"type": "string", "minLength": 1, "maxLength": 100},
                        {
                            "type": "object",
                            "required": ["field"],
                            "properties": {"field": {"$ref": "#/$defs/fieldKey"}},
                            "additionalProperties": False,
                        },
                    ]
                },
            },
            "field": {"$ref": "#/$defs/fieldKey"},
            "map": {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 500,
                # a team key (its queue), or a team and how to pick someone in it
                "additionalProperties": {"oneOf": [
                    {"$ref": "#/$defs/teamKey"},
                    {"type": "object",
                     "properties": {"team": {"$ref": "#/$defs/teamKey"},
                                    "strategy": {"enum": TEAM_STRATEGIES}},
                     "required": ["team"], "additionalProperties": False},
                ]},
            },
            "fallback": {"$ref": "#/$defs/teamKey"},
        },
        "required": ["strategy"],
        "allOf": [
            when("strategy", "user", {"required": ["user"]}),
            *(when("strategy", name, {"required": ["team"]}) for name in TEAM_STRATEGIES),
            when("strategy", "skills", {"required": ["skills"]}),
            when("strategy", "field_map", {"required": ["field", "map"]}),
        ],
    }

    def meaning_problems(self, data: dict[str, Any], at: str, ctx: FlowContext) -> list[Problem]:
        """Users, teams and fields named must exist."""
        problems = user_problems(data.get("user"), pointer(at, "user"), ctx)
        for name in ("team", "fallback"):
            problems += team_problems(data.get(name), pointer(at, name), ctx)
        problems += field_problems(data.get("field"), pointer(at, "field"), ctx)
        for value, target in data.get("map", {}).items():
            team, where = ((target["team"], pointer(at, "map", value, "team"))
                           if isinstance(target, dict) else (target, pointer(at, "map", value)))
            problems += team_problems(team, where, ctx)
        for index, skill in enumerate(data.get("skills", [])):
            if isinstance(skill, dict):
                problems += field_problems(skill["field"], pointer(at, "skills", index, "field"),
                                           ctx)
        return problems


@register
class Approval(NodeType):
    """Approvers vote; the mode turns votes into approved or rejected (or a timeout)."""

    name = "approval"
    data_schema = {
        "properties": {
            "approvers": {
                "type": "array",
                "minItems": 1,
                "maxItems": 50,
                "items": {"$ref": "#/$defs/selector"},
            },
            "mode": {"enum": MODES},
            "k": {"type": "integer", "minimum": 1, "maximum": 1000},
            "due": {"$ref": "#/$defs/duration"},
            "onTimeout": {"enum": ON_TIMEOUT},
            "remindEvery": {"$ref": "#/$defs/duration"},
            "onReject": {"enum": ["edge", "return"]},
            "returnTo": {"$ref": "#/$defs/id"},
            "delegate": {"type": "boolean"},
        },
        "required": ["approvers", "mode"],
        "allOf": [
            when("mode", "k_of_n", {"required": ["k"]}),
            when("onReject", "return", {"required": ["returnTo"]}),
        ],
    }

    def exits(self, data: Mapping[str, Any]) -> dict[str | None, tuple[int, int | None]]:
        """approved (required), rejected (unless rejection returns), timeout (optional)."""
        returns = data.get("onReject") == "return"
        return {"approved": (1, 1), "rejected": (0, 0) if returns else (1, 1), "timeout": (0, 1)}

    def waits(self, data: Mapping[str, Any]) -> bool:
        """Approvers decide later."""
        return True

    def meaning_problems(self, data: dict[str, Any], at: str, ctx: FlowContext) -> list[Problem]:
        """References, k against the approver count, timing and the return target."""
        problems = selectors_problems(data["approvers"], pointer(at, "approvers"), ctx)
        problems += duration_problems(data, at, "due", "remindEvery")
        if "k" in data:
            if data["mode"] != "k_of_n":
                problems.append(Problem(pointer(at, "k"), "unusedSetting",
                                        "k applies only to mode k_of_n."))
            else:
                problems += _k_problems(data, at)
        for name in ("onTimeout", "remindEvery"):
            if name in data and "due" not in data:
                problems.append(Problem(pointer(at, name), "needsDue",
                                        f"{name} needs a due time ('due')."))
        if "remindEvery" in data and data.get("onTimeout", "remind") != "remind":
            problems.append(Problem(pointer(at, "remindEvery"), "unusedSetting",
                                    "remindEvery applies only when onTimeout is remind."))
        if "returnTo" in data:
            problems += _return_problems(data, at, ctx)
        return problems


def _k_problems(data: dict[str, Any], at: str) -> list[Problem]:
    """k may not exceed the number of approvers when every selector names one person."""
    selectors = data["approvers"]
    if not all(s.get("kind") in ("user", "manager") for s in selectors):
        return []  # teams, roles and fields expand at run time: n is not known here
    people = {s.get("user", "").lower() if s["kind"] == "user" else "@manager" for s in selectors}
    if data["k"] <= len(people):
        return []
    return [Problem(pointer(at, "k"), "kTooLarge",
                    f"k is {data['k']} but there are only {len(people)} approver(s).")]


def _return_problems(data: dict[str, Any], at: str, ctx: FlowContext) -> list[Problem]:
    where = pointer(at, "returnTo")
    if data.get("onReject") != "return":
        return [Problem(where, "unusedSetting", "returnTo applies only when onReject is return.")]
    target = data["returnTo"]
    if target not in ctx.node_ids:
        return [Problem(where, "unknownNode", f"There is no node '{target}'.")]
    earlier = ctx.ancestors.get(ctx.node_id or "", frozenset())
    if target == ctx.start_id or target == ctx.node_id or target not in earlier:
        return [Problem(where, "notEarlier",
                        "returnTo must name an earlier step of this approval (not the start).")]
    return []


@register
class UserTask(NodeType):
    """An agent step to complete, optionally with an extra form to fill."""

    name = "user_task"
    data_schema = {
        "properties": {
            "assignee": {"$ref": "#/$defs/selector"},
            "title": {"$ref": "#/$defs/text"},
            "form": {"$ref": "#/$defs/definitionKey"},
            "due": {"$ref": "#/$defs/duration"},
        },
        "required": ["title"],
    }
    missing_text = {"title": ("titleMissing", "Give this step a title.")}

    def waits(self, data: Mapping[str, Any]) -> bool:
        """An agent completes it later."""
        return True

    def meaning_problems(self, data: dict[str, Any], at: str, ctx: FlowContext) -> list[Problem]:
        """The assignee and extra form must exist; the due time must parse."""
        problems = duration_problems(data, at, "due")
        if isinstance(data.get("assignee"), dict):
            problems += selector_problems(data["assignee"], pointer(at, "assignee"), ctx)
        return problems + form_problems(data.get("form"), pointer(at, "form"), ctx)
