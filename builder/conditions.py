"""Conditions: JSON Schema 2020-12 fragments matched against form data; visibility.

A condition is restricted to ``properties``, ``required``, ``allOf``, ``anyOf``, ``oneOf``
and ``not`` at its own level (inside a property's schema any 2020-12 keyword may appear,
but no ``$ref``), and every key it puts under ``properties`` must also be ``required``.

Visibility is a fixed point: start with the submitted values; every field whose
``visibleWhen`` does not match the current data is hidden and its value removed; repeat
until no value is removed. Each round removes at least one value, so it ends after at most
one round per field. At the end every remaining value belongs to a field whose condition
matches the remaining data, which is what the compiled schema's "hidden fields have no
value" clauses state.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator

from builder.fields.values import (
    UNSAFE_MESSAGES,
    canonical_json,
    find_unsafe_value,
    pointer,
    rust_validator,
)
from core.errors import Problem

LEVEL_KEYWORDS = frozenset({"properties", "required", "allOf", "anyOf", "oneOf", "not"})
COMBINATORS = ("allOf", "anyOf", "oneOf")
#: References could point anywhere (and remote ones would be fetched): never allowed.
REFERENCE_KEYWORDS = frozenset({"$ref", "$dynamicRef"})
MAX_CONDITION_DEPTH = 24
MAX_CONDITION_NODES = 10_000

_META = Draft202012Validator(
    Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
)


@lru_cache(maxsize=2048)
def _compiled(condition_json: str) -> tuple[Validator, Callable[[Any], bool | None] | None]:
    condition = json.loads(condition_json)
    return Draft202012Validator(condition), rust_validator(condition, docket_formats=False)


def condition_matches(condition: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    """Whether ``data`` matches ``condition`` (validators cached by canonical JSON; the
    jsonschema-rs one answers when it can)."""
    python, rust = _compiled(canonical_json(condition))
    verdict = rust(data) if rust is not None else None
    return python.is_valid(data) if verdict is None else verdict


def _levels(condition: Any) -> Iterable[tuple[dict[str, Any], tuple[str | int, ...]]]:
    """Every condition-level object in ``condition`` with its path, outermost first."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(condition, ())]
    while stack:
        node, path = stack.pop()
        if not isinstance(node, dict):
            continue
        yield node, path
        for combinator in COMBINATORS:
            if isinstance(node.get(combinator), list):
                stack.extend(
                    (sub, (*path, combinator, index)) for index, sub in enumerate(node[combinator])
                )
        if "not" in node:
            stack.append((node["not"], (*path, "not")))


def referenced_keys(condition: Any) -> set[str]:
    """The data keys that ``condition`` names under ``properties`` or ``required``."""
    keys: set[str] = set()
    for node, _ in _levels(condition):
        if isinstance(node.get("properties"), dict):
            keys.update(node["properties"])
        if isinstance(node.get("required"), list):
            keys.update(name for name in node["required"] if isinstance(name, str))
    return keys


def _reference_problems(condition: Any, where: str) -> list[Problem]:
    problems = []
    stack: list[tuple[Any, str]] = [(condition, where)]
    while stack:
        node, at = stack.pop()
        if isinstance(node, dict):
            problems += [
                Problem(pointer(at, key), "conditionRef", "References are not allowed.")
                for key in REFERENCE_KEYWORDS.intersection(node)
            ]
            stack.extend((child, pointer(at, key)) for key, child in node.items())
        elif isinstance(node, list):
            stack.extend((child, pointer(at, index)) for index, child in enumerate(node))
    return problems


def _level_problems(node: dict[str, Any], at: str, valued_keys: frozenset[str]) -> list[Problem]:
    problems = [
        Problem(
            pointer(at, keyword),
            "conditionKeyword",
            "Only properties, required, allOf, anyOf, oneOf and not may combine conditions.",
        )
        for keyword in node
        if keyword not in LEVEL_KEYWORDS
    ]
    required = node.get("required", [])
    properties = node.get("properties", {})
    for name in properties:
        if name not in valued_keys:
            problems.append(
                Problem(
                    pointer(at, "properties", name),
                    "unknownConditionField",
                    "No top-level field with a value has this key.",
                )
            )
        elif name not in required:
            problems.append(
                Problem(
                    pointer(at, "properties", name),
                    "conditionNotRequired",
                    "List this key under 'required' too: an absent value matches otherwise.",
                )
            )
    problems += [
        Problem(
            pointer(at, "required", index),
            "unknownConditionField",
            "No top-level field with a value has this key.",
        )
        for index, name in enumerate(required)
        if name not in valued_keys and name not in properties
    ]
    return problems


def check_condition(condition: Any, where: str, valued_keys: Iterable[str]) -> list[Problem]:
    """Every problem with ``condition`` (located under ``where``) given the usable keys."""
    if not isinstance(condition, dict):
        return [Problem(where, "conditionType", "A condition must be a JSON object.")]
    unsafe = find_unsafe_value(condition, MAX_CONDITION_DEPTH, MAX_CONDITION_NODES)
    if unsafe:
        return [Problem(where + unsafe[0], unsafe[1], UNSAFE_MESSAGES[unsafe[1]])]
    problems = [
        Problem(
            pointer(where, *error.absolute_path),
            "conditionSchema",
            f"Not a valid JSON Schema 2020-12 fragment (keyword '{error.validator}').",
        )
        for error in _META.iter_errors(condition)
    ]
    problems = problems or _reference_problems(condition, where)
    if problems:
        return problems
    keys = frozenset(valued_keys)
    for node, path in _levels(condition):
        problems += _level_problems(node, pointer(where, *path), keys)
    return problems


def _settle(
    definition: Mapping[str, Any], data: Mapping[str, Any]
) -> tuple[dict[str, Any], set[str]]:
    """The data left once hidden values are removed, and the ids of the hidden fields."""
    conditional = [field for field in definition["fields"] if "visibleWhen" in field]
    current = dict(data)
    while True:
        hidden = [
            field for field in conditional if not condition_matches(field["visibleWhen"], current)
        ]
        gone = {field["key"] for field in hidden if field.get("key") in current}
        if not gone:
            return current, {field["id"] for field in hidden}
        current = {key: value for key, value in current.items() if key not in gone}


def visible_ids(definition: Mapping[str, Any], data: Mapping[str, Any]) -> set[str]:
    """Ids of the top-level fields shown for ``data`` (a published definition)."""
    _, hidden = _settle(definition, data)
    return {field["id"] for field in definition["fields"]} - hidden


def visible_keys(definition: Mapping[str, Any], data: Mapping[str, Any]) -> set[str]:
    """Keys of the valued top-level fields shown for ``data``."""
    shown = visible_ids(definition, data)
    return {
        field["key"] for field in definition["fields"] if "key" in field and field["id"] in shown
    }


def strip_hidden(definition: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` without the values of hidden fields (other keys are kept as they are)."""
    remaining, _ = _settle(definition, data)
    return remaining
