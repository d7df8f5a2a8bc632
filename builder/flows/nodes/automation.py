"""Automation nodes: actions (set, notify, webhook, lookup) and waits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from builder.fields.values import pointer
from builder.flows.durations import is_rfc3339
from builder.flows.nodes.base import (
    RESERVED_KEYS,
    FlowContext,
    NodeType,
    duration_problems,
    field_problems,
    register,
    selectors_problems,
    status_problems,
    url_problems,
    when,
)
from core.errors import Problem

#: A status category or a custom status key (checked against the statuses that exist).
STATUS = {"type": "string", "pattern": "^[a-z][a-z0-9_]{1,63}$"}
PRIORITIES = ["low", "normal", "high", "urgent"]
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}")
JSON_POINTER = re.compile(r"^(/([^~/]|~[01])*)*$")


@register
class Action(NodeType):
    """Do something now: set ticket fields, notify people, call a webhook, look data up."""

    name = "action"
    data_schema = {
        "properties": {
            "action": {"enum": ["set", "notify", "webhook", "lookup"]},
            "set": {
                "type": "object",
                "minProperties": 1,
                "properties": {
                    "status": STATUS,
                    "priority": {"enum": PRIORITIES},
                    "fields": {
                        "type": "object",
                        "maxProperties": 200,
                        "propertyNames": {"$ref": "#/$defs/fieldKey"},
                    },
                },
                "additionalProperties": False,
            },
            "channel": {"enum": ["email", "in_app"]},
            "to": {"type": "array", "minItems": 1, "maxItems": 50,
                   "items": {"$ref": "#/$defs/recipient"}},
            "subject": {"$ref": "#/$defs/text"},
            "body": {"$ref": "#/$defs/text"},
            "url": {"$ref": "#/$defs/url"},
            "secret": {"type": "string", "minLength": 1, "maxLength": 500},
            "retry": {
                "type": "object",
                "properties": {"max": {"type": "integer", "minimum": 0, "maximum": 20}},
                "additionalProperties": False,
            },
            "method": {"enum": ["GET", "POST"]},
            "map": {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 100,
                "propertyNames": {"$ref": "#/$defs/fieldKey"},
                "additionalProperties": {"type": "string", "maxLength": 500},
            },
        },
        "required": ["action"],
        "allOf": [
            when("action", "set", {"required": ["set"]}),
            when("action", "notify", {"required": ["channel", "to", "body"]}),
            when("action", "webhook", {"required": ["url"]}),
            when("action", "lookup", {"required": ["url", "map"]}),
        ],
    }
    missing_text = {"body": ("messageMissing", "Write the message to send.")}

    def meaning_problems(self, data: dict[str, Any], at: str, ctx: FlowContext) -> list[Problem]:
        """Field keys, recipients, placeholders, URLs and response pointers must make sense."""
        action = data["action"]
        problems: list[Problem] = []
        if action == "set":
            if "status" in data["set"]:
                problems += status_problems(data["set"]["status"], pointer(at, "set", "status"),
                                            ctx)
            for key in data["set"].get("fields", {}):
                problems += field_problems(key, pointer(at, "set", "fields", key), ctx)
        elif action == "notify":
            problems += selectors_problems(data["to"], pointer(at, "to"), ctx)
            for name in ("subject", "body"):
                problems += _placeholder_problems(data.get(name), pointer(at, name), ctx)
        else:
            problems += url_problems(data, at)
        if action == "lookup":
            for key, target in data["map"].items():
                where = pointer(at, "map", key)
                problems += field_problems(key, where, ctx)
                if not JSON_POINTER.match(target):
                    problems.append(Problem(where, "jsonPointer",
                                            "Use a JSON pointer into the response, e.g. /level."))
        return problems


def _placeholder_problems(text: Any, where: str, ctx: FlowContext) -> list[Problem]:
    """``{{key}}`` placeholders must name a field of the form (or _ticket/_requester)."""
    if ctx.fields is None or text is None:
        return []
    texts = [(where, text)] if isinstance(text, str) else [
        (pointer(where, locale), value) for locale, value in text.items()
    ]
    problems = []
    for at, value in texts:
        for name in PLACEHOLDER.findall(value):
            root = name.split(".", 1)[0]
            if root not in ctx.fields and root not in RESERVED_KEYS:
                problems.append(Problem(at, "unknownField",
                                        f"The placeholder {{{{{name}}}}} names no field."))
    return problems


@register
class Wait(NodeType):
    """Park the token: for a duration, until a date, or until an event (with a timeout)."""

    name = "wait"
    data_schema = {
        "properties": {
            "for": {"enum": ["duration", "date", "event"]},
            "duration": {"$ref": "#/$defs/duration"},
            "date": {"type": "string", "maxLength": 64},
            "field": {"$ref": "#/$defs/fieldKey"},
            "event": {"enum": ["requester.replied"]},
            "timeout": {"$ref": "#/$defs/duration"},
        },
        "required": ["for"],
        "allOf": [
            when("for", "duration", {"required": ["duration"]}),
            when("for", "event", {"required": ["event"]}),
        ],
    }

    def exits(self, data: Mapping[str, Any]) -> dict[str | None, tuple[int, int | None]]:
        """The plain exit, plus the timeout exit when an event wait has a timeout."""
        timed = data.get("for") == "event" and "timeout" in data
        return {None: (1, 1), "timeout": (1, 1) if timed else (0, 0)}

    def waits(self, data: Mapping[str, Any]) -> bool:
        """A timer or an event resumes it."""
        return True

    def meaning_problems(self, data: dict[str, Any], at: str, ctx: FlowContext) -> list[Problem]:
        """Durations parse; a date wait names exactly one of a date or a date field."""
        problems = duration_problems(data, at, "duration", "timeout")
        if data["for"] == "date":
            if ("date" in data) == ("field" in data):
                problems.append(Problem(pointer(at, "date"), "dateOrField",
                                        "Give either a date or a date field, not both."))
            elif "date" in data and not is_rfc3339(data["date"]):
                problems.append(Problem(pointer(at, "date"), "date",
                                        "Use an RFC 3339 date (2026-12-01) or date-time."))
            problems += field_problems(data.get("field"), pointer(at, "field"), ctx)
        if "timeout" in data and data["for"] != "event":
            problems.append(Problem(pointer(at, "timeout"), "unusedSetting",
                                    "timeout applies only to event waits."))
        return problems
