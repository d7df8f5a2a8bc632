"""The node-type base class, the registry, and the checks node types share.

A node type is one class registered with ``@register``: the JSON Schema of its ``data``
(``data_schema``, referring to ``$defs`` of flow.schema.json), the outgoing edges it takes
(``exits``: per source handle the least and most edges), whether a token parks there
(``waits``), and the meaning checks a JSON Schema cannot express (``meaning_problems``),
which run only on data that passed the structure pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from builder.fields.values import pointer
from builder.flows.durations import parse_duration
from core.errors import Problem

#: Keys every node's ``data`` may carry besides its type's own: what the canvas shows.
COMMON_DATA = {"label": {"$ref": "#/$defs/text"}, "description": {"$ref": "#/$defs/text"}}
#: The ticket status categories (builder.statuses.Status); a flow may also name a status key.
CATEGORIES = frozenset({"new", "open", "pending", "resolved", "closed"})
#: Condition data keys a flow sees besides the form's fields (docs/flows.md).
RESERVED_KEYS = frozenset({"_ticket", "_requester"})


@dataclass(frozen=True)
class FlowReferences:
    """What exists outside the flow: forms with their field keys, users, teams, roles and
    ticket statuses (active key -> category; None: not known, so not checked)."""

    forms: dict[str, set[str]] = field(default_factory=dict)
    users: set[str] = field(default_factory=set)
    teams: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)
    statuses: dict[str, str] | None = None


@dataclass(frozen=True)
class FlowContext:
    """What a node's meaning checks may know: the references and the flow around it."""

    refs: FlowReferences
    #: Field keys of the bound form; None when the flow is not bound to a known form.
    fields: frozenset[str] | None
    node_ids: frozenset[str]
    #: Node ids from which each node can be reached (its earlier steps).
    ancestors: Mapping[str, frozenset[str]] = field(default_factory=dict)
    start_id: str | None = None
    #: The id of the node being checked (set per node by the definition pass).
    node_id: str | None = None


class NodeType:
    """Base of every node type: one exit, no wait, no meaning checks."""

    name: ClassVar[str]
    #: JSON Schema of ``data``: ``properties`` (besides COMMON_DATA), ``required``, ``allOf``.
    data_schema: ClassVar[dict[str, Any]] = {"properties": {}}
    #: For a required TEXT of ``data`` left out or empty (no language written): the problem
    #: code and a message that says what to do, instead of the schema's wording.
    missing_text: ClassVar[dict[str, tuple[str, str]]] = {}

    def exits(self, data: Mapping[str, Any]) -> dict[str | None, tuple[int, int | None]]:
        """Per source handle (None: the plain exit) the least and most outgoing edges."""
        return {None: (1, 1)}

    def waits(self, data: Mapping[str, Any]) -> bool:
        """True when a token parks here (a task, a timer, an event), ending a sync step."""
        return False

    def meaning_problems(self, data: dict[str, Any], at: str, ctx: FlowContext) -> list[Problem]:
        """Problems a JSON Schema cannot find in ``data`` (located under ``at``)."""
        return []

    def schema(self) -> dict[str, Any]:
        """The complete JSON Schema of this type's ``data``."""
        own = self.data_schema
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {**COMMON_DATA, **own.get("properties", {})},
            "additionalProperties": False,
        }
        for keyword in ("required", "allOf"):
            if keyword in own:
                schema[keyword] = own[keyword]
        return schema


NODE_TYPES: dict[str, NodeType] = {}
T = TypeVar("T", bound=type[NodeType])


def register(cls: T) -> T:
    """Class decorator: add a node type to the registry under its ``name``."""
    NODE_TYPES[cls.name] = cls()
    return cls


def when(key: str, value: str, then: dict[str, Any]) -> dict[str, Any]:
    """An if/then clause: when ``data[key] == value``, ``then`` applies."""
    return {"if": {"properties": {key: {"const": value}}, "required": [key]}, "then": then}


# --- checks node types share --------------------------------------------------------------


def duration_problems(data: Mapping[str, Any], at: str, *names: str) -> list[Problem]:
    """A problem per named key of ``data`` that is present but not an ISO 8601 duration."""
    return [
        Problem(
            pointer(at, name),
            "duration",
            "Use an ISO 8601 duration such as PT4H, P2D or P1DT12H (no years or months).",
        )
        for name in names
        if name in data and parse_duration(data[name]) is None
    ]


def url_problems(data: Mapping[str, Any], at: str, name: str = "url") -> list[Problem]:
    """A problem when ``data[name]`` is present but not an absolute http(s) URL."""
    value = data.get(name)
    if value is None:
        return []
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
        ok = (
            parts is not None
            and not any(c.isspace() for c in value)
            and parts.scheme in ("http", "https")
            and bool(parts.hostname)
        )
    except ValueError:
        ok = False
    if ok:
        return []
    return [Problem(pointer(at, name), "url", "Use an absolute http:// or https:// URL.")]


def status_problems(key: str, where: str, ctx: FlowContext,
                    category: str | None = None) -> list[Problem]:
    """A problem when ``key`` names no active ticket status (a category name always does),
    or one outside ``category`` when given."""
    known = ctx.refs.statuses
    if known is None or key in CATEGORIES:
        return []
    if key not in known:
        return [Problem(where, "unknownStatus", f"There is no active ticket status '{key}'.")]
    if category is not None and known[key] != category:
        return [Problem(where, "statusCategory", (
            f"The status '{key}' is in the category {known[key]}; this end needs one in "
            f"{category}."))]
    return []


def field_problems(key: Any, where: str, ctx: FlowContext) -> list[Problem]:
    """A problem when ``key`` names no field of the bound form (unknowable: no problem)."""
    if ctx.fields is None or not isinstance(key, str) or key in ctx.fields:
        return []
    return [Problem(where, "unknownField", f"The form has no field '{key}'.")]


def team_problems(key: Any, where: str, ctx: FlowContext) -> list[Problem]:
    """A problem when ``key`` is no team's key."""
    if not isinstance(key, str) or key in ctx.refs.teams:
        return []
    return [Problem(where, "unknownTeam", f"There is no team with key '{key}'.")]


def user_problems(email: Any, where: str, ctx: FlowContext) -> list[Problem]:
    """A problem when ``email`` is no active user's email."""
    if not isinstance(email, str) or email.strip().lower() in ctx.refs.users:
        return []
    return [Problem(where, "unknownUser", f"There is no active user with email '{email}'.")]


def form_problems(key: Any, where: str, ctx: FlowContext) -> list[Problem]:
    """A problem when ``key`` is no form's key."""
    if not isinstance(key, str) or key in ctx.refs.forms:
        return []
    return [Problem(where, "unknownForm", f"There is no form with key '{key}'.")]


def selector_problems(selector: Mapping[str, Any], where: str, ctx: FlowContext) -> list[Problem]:
    """Problems with the references of one approver/assignee/recipient selector."""
    kind = selector.get("kind")
    checks: dict[str, tuple[str, Callable[[Any, str, FlowContext], list[Problem]]]] = {
        "user": ("user", user_problems),
        "team": ("team", team_problems),
        "field": ("field", field_problems),
    }
    if kind in checks:
        name, check = checks[kind]
        return check(selector.get(name), pointer(where, name), ctx)
    if kind == "role" and selector.get("role") not in ctx.refs.roles:
        return [
            Problem(
                pointer(where, "role"),
                "unknownRole",
                "There is no such role; one of: " + ", ".join(sorted(ctx.refs.roles)) + ".",
            )
        ]
    return []


def selectors_problems(selectors: Iterable[Any], where: str, ctx: FlowContext) -> list[Problem]:
    """Problems of every selector in a list."""
    return [
        problem
        for index, selector in enumerate(selectors)
        if isinstance(selector, dict)
        for problem in selector_problems(selector, pointer(where, index), ctx)
    ]
