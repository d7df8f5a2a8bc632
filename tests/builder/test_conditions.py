"""Conditions: matching (shared vectors), checking, referenced keys, visibility fixed point."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from builder.conditions import (
    check_condition,
    condition_matches,
    referenced_keys,
    strip_hidden,
    visible_ids,
    visible_keys,
)

VECTORS = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "conditions.json").read_text("utf-8")
)
KEYS = {"category", "amount", "tags", "phone"}


def row(key: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The builder's row fragment for ``key``."""
    return {"properties": {key: schema}, "required": [key]}


@pytest.mark.parametrize("vector", VECTORS, ids=[vector["name"] for vector in VECTORS])
def test_condition_matches_shared_vectors(vector: dict[str, Any]) -> None:
    """Every operator of the builder's table matches exactly as the shared vectors say."""
    assert condition_matches(vector["condition"], vector["data"]) is vector["matches"]


def test_vectors_cover_every_operator() -> None:
    """The shared vectors name every operator of docs/form-format.md's table."""
    names = " ".join(vector["name"] for vector in VECTORS)
    operators = [
        "equals",
        "not equals",
        "in",
        "contains (multiselect)",
        "contains (text)",
        "greater than",
        "less than",
        "is empty",
        "is not empty",
        "all of",
        "any of",
    ]
    assert all(f"{operator}:" in names for operator in operators)


def test_vectors_are_valid_conditions() -> None:
    """Every shared vector's condition passes check_condition on its keys."""
    for vector in VECTORS:
        assert check_condition(vector["condition"], "", referenced_keys(vector["condition"])) == []


def test_referenced_keys_follows_combinators_only() -> None:
    """Keys named under properties/required at condition level, through allOf/anyOf/oneOf/not."""
    condition = {
        "allOf": [row("a", {"properties": {"inner": {}}}), {"not": {"required": ["b"]}}],
        "anyOf": [{"oneOf": [row("c", {})]}],
    }
    assert referenced_keys(condition) == {"a", "b", "c"}
    assert referenced_keys("garbage") == set()
    assert referenced_keys({"required": "x", "properties": []}) == set()


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ([], [("conditionType", "/c")]),
        (
            {"properties": {"category": {"const": 1}}},
            [("conditionNotRequired", "/c/properties/category")],
        ),
        (row("nope", {"const": 1}), [("unknownConditionField", "/c/properties/nope")]),
        ({"required": ["category", "nope"]}, [("unknownConditionField", "/c/required/1")]),
        ({"type": "object"}, [("conditionKeyword", "/c/type")]),
        ({"allOf": [{"if": {}}]}, [("conditionKeyword", "/c/allOf/0/if")]),
        (
            {"anyOf": [{"properties": {"amount": {"minimum": 1}}}]},
            [("conditionNotRequired", "/c/anyOf/0/properties/amount")],
        ),
        ({"required": "category"}, [("conditionSchema", "/c/required")]),
        (
            row("category", {"pattern": "("}),
            [("conditionSchema", "/c/properties/category/pattern")],
        ),
        (
            row("category", {"$ref": "http://example.com/x"}),
            [("conditionRef", "/c/properties/category/$ref")],
        ),
        ({"not": {"not": {"not": {"allOf": [{"not": {"required": ["tags"]}}]}}}}, []),
    ],
)
def test_check_condition_reports_each_rule(condition: Any, expected: list[tuple[str, str]]) -> None:
    """Conditions are 2020-12 objects restricted to the combinators, on known keys, with
    every property also required, and without references."""
    problems = check_condition(condition, "/c", KEYS)
    assert [(p.code, p.pointer) for p in problems] == expected


def test_check_condition_refuses_deep_nesting() -> None:
    """A condition nested thousands deep gives a problem, not a RecursionError."""
    condition: dict[str, Any] = {"required": ["category"]}
    for _ in range(10_000):
        condition = {"not": condition}
    assert [p.code for p in check_condition(condition, "/c", KEYS)] == ["tooDeep"]


def chain_definition() -> dict[str, Any]:
    """a -> b visible when a == "x"; c visible when b == "y"; d visible when a is empty."""
    return {
        "formatVersion": 1,
        "fields": [
            {
                "id": "fa",
                "key": "a",
                "type": "text",
                "label": "A",
                "visibleWhen": row("z", {"const": "show"}),
            },
            {
                "id": "fb",
                "key": "b",
                "type": "text",
                "label": "B",
                "visibleWhen": row("a", {"const": "x"}),
            },
            {
                "id": "fc",
                "key": "c",
                "type": "text",
                "label": "C",
                "visibleWhen": row("b", {"const": "y"}),
            },
            {
                "id": "fd",
                "key": "d",
                "type": "text",
                "label": "D",
                "visibleWhen": {"not": {"required": ["a"]}},
            },
            {"id": "fs", "type": "static", "text": "T", "visibleWhen": {"required": ["a"]}},
            {"id": "fz", "key": "z", "type": "text", "label": "Z"},
        ],
    }


def test_strip_hidden_cascades_until_nothing_changes() -> None:
    """Hiding a removes its value, which hides b, which hides c (the fixed point)."""
    data = {"z": "no", "a": "x", "b": "y", "c": "kept?", "d": "dd", "other": 1}
    assert strip_hidden(chain_definition(), data) == {"z": "no", "other": 1}
    assert visible_keys(chain_definition(), data) == {"z", "d"}
    assert visible_ids(chain_definition(), data) == {"fz", "fd"}


def test_strip_hidden_keeps_values_of_visible_fields() -> None:
    """When every condition holds, nothing is removed and every field shows."""
    data = {"z": "show", "a": "x", "b": "y", "c": "c"}
    assert strip_hidden(chain_definition(), data) == data
    assert visible_ids(chain_definition(), data) == {"fa", "fb", "fc", "fs", "fz"}
