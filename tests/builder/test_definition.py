"""Form definitions: two-pass validation, hostile input, compilation, hashing, texts."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from builder.fields.values import value_validator
from builder.forms.definition import (
    compile_schema,
    definition_hash,
    form_schema,
    validate_definition,
)
from builder.forms.texts import localized

DEMO = Path(__file__).resolve().parents[2] / "builder" / "forms" / "demo"


def refund() -> dict[str, Any]:
    """The demo refund form (a fresh copy)."""
    return json.loads((DEMO / "refund.json").read_text("utf-8"))


def codes(definition: Any) -> list[tuple[str, str]]:
    """``(code, pointer)`` of every problem with ``definition``."""
    return [(p.code, p.pointer) for p in validate_definition(definition)]


@pytest.mark.parametrize("name", ["repair", "refund"])
def test_validate_definition_accepts_demo_forms(name: str) -> None:
    """The demo forms the lead seeds are valid and translated into English and Chinese."""
    definition = json.loads((DEMO / f"{name}.json").read_text("utf-8"))
    assert validate_definition(definition) == []
    for field in definition["fields"]:
        for text in (field.get("label"), field.get("text")):
            assert text is None or set(text) == {"en", "zh-CN"}
        for option in field.get("options", []):
            assert set(option["label"]) == {"en", "zh-CN"}


def test_form_schema_is_a_valid_schema_with_a_branch_per_type() -> None:
    """The composed structure schema is 2020-12 and dispatches on every registered type."""
    schema = form_schema()
    Draft202012Validator.check_schema(schema)
    assert "field_text" in schema["$defs"] and "childField_text" in schema["$defs"]
    assert "childField_file" not in schema["$defs"] and "childField_group" not in schema["$defs"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(formatVersion=2), [("const", "/formatVersion")]),
        (lambda d: d.pop("fields"), [("required", "/fields")]),
        (lambda d: d.update(extra=1), [("unknownProperty", "/extra")]),
        (lambda d: d["fields"][1].update(key="Order"), [("pattern", "/fields/1/key")]),
        (lambda d: d["fields"][1].update(type="slider"), [("unknownType", "/fields/1/type")]),
        (lambda d: d["fields"][1].pop("label"), [("required", "/fields/1/label")]),
        (lambda d: d["fields"][1].update(rows=3), [("unknownProperty", "/fields/1/rows")]),
        (
            lambda d: d["fields"][1]["validate"].update(maxLength="9"),
            [("type", "/fields/1/validate/maxLength")],
        ),
        (lambda d: d["fields"][0].update(options=[]), [("minItems", "/fields/0/options")]),
        (lambda d: d["fields"][0].update(label={"en": 1}), [("type", "/fields/0/label/en")]),
        (
            lambda d: d["fields"][1].update(key="category"),
            [("duplicateKey", "/fields/1/key"), ("selfReference", "/fields/1/visibleWhen")],
        ),
        (
            lambda d: d["fields"][1].update(id="category"),
            [("duplicateId", "/fields/1/id"), ("unknownLayoutRef", "/layout/0/children/1")],
        ),
        (lambda d: d["layout"][1].update(id="category"), [("duplicateId", "/layout/1/id")]),
        (
            lambda d: d["fields"][1]["validate"].update(pattern="(OD"),
            [("invalidPattern", "/fields/1/validate/pattern")],
        ),
        (
            lambda d: d["fields"][0].update(default="gift"),
            [("invalidDefault", "/fields/0/default")],
        ),
        (
            lambda d: d["layout"][0]["children"].append("nope"),
            [("unknownLayoutRef", "/layout/0/children/4")],
        ),
        (
            lambda d: d["layout"][1]["children"].append("category"),
            [("duplicateLayoutRef", "/layout/1/children/2")],
        ),
        (lambda d: d["layout"][1]["children"].pop(), [("notInLayout", "/fields/5")]),
        (lambda d: d.update(subjectField="nope"), [("unknownReference", "/subjectField")]),
        (
            lambda d: d["fields"][1]["visibleWhen"].pop("required"),
            [("conditionNotRequired", "/fields/1/visibleWhen/properties/category")],
        ),
        (
            lambda d: d["fields"][1].update(visibleWhen={"required": ["missing"]}),
            [("unknownConditionField", "/fields/1/visibleWhen/required/0")],
        ),
        (
            lambda d: d["fields"][1].update(requiredWhen={"required": ["order_id"]}),
            [("selfReference", "/fields/1/requiredWhen")],
        ),
        (lambda d: d["fields"][1].update(visibleWhen="yes"), [("type", "/fields/1/visibleWhen")]),
        (
            lambda d: d["fields"][5].update(visibleWhen={"required": ["_ticket"]}),
            [("unknownConditionField", "/fields/5/visibleWhen/required/0")],
        ),
    ],
)
def test_validate_definition_locates_each_problem(
    change: Any, expected: list[tuple[str, str]]
) -> None:
    """Each broken rule gives exactly its problem, located by a JSON pointer."""
    definition = refund()
    change(definition)
    assert codes(definition) == expected


def test_validate_definition_reports_every_problem_at_once() -> None:
    """Problems in several places are all reported in one answer, each with a message."""
    definition = refund()
    definition["fields"][0]["options"].append(definition["fields"][0]["options"][0])
    definition["fields"][1]["validate"]["pattern"] = "["
    definition["fields"][3].update(key="category")
    definition["fields"][4]["label"] = 5
    problems = validate_definition(definition)
    assert [(p.code, p.pointer) for p in problems] == [
        ("type", "/fields/4/label"),
        ("duplicateKey", "/fields/3/key"),
        ("duplicateOption", "/fields/0/options/3/value"),
        ("invalidPattern", "/fields/1/validate/pattern"),
    ]
    assert all(p.message for p in problems)


def test_validate_definition_checks_keys_and_ids_inside_groups() -> None:
    """Child keys are unique within their group, ids unique in the whole form; groups take no
    file, group or conditions inside."""
    child = {"id": "c1", "key": "name", "type": "text", "label": "Name"}
    group = {
        "id": "g",
        "key": "items",
        "type": "group",
        "label": "Items",
        "fields": [
            child,
            {**child, "id": "category"},
            {**child, "id": "c3", "key": "x", "type": "file"},
            {**child, "id": "c4", "key": "y", "visibleWhen": {}},
        ],
    }
    definition = refund()
    definition["fields"].append(group)
    definition["layout"][0]["children"].append("g")
    assert codes(definition) == [
        ("unknownType", "/fields/6/fields/2/type"),
        ("unknownProperty", "/fields/6/fields/3/visibleWhen"),
        ("duplicateId", "/fields/6/fields/1/id"),
        ("duplicateKey", "/fields/6/fields/1/key"),
    ]


def test_validate_definition_allows_missing_layout() -> None:
    """Without a layout the fields show in their order: nothing to place."""
    definition = refund()
    del definition["layout"]
    assert validate_definition(definition) == []


def deep(levels: int) -> Any:
    """A value nested ``levels`` deep, built without recursion (json.loads cannot)."""
    value: Any = "bottom"
    for _ in range(levels):
        value = {"not": value}
    return value


HOSTILE: list[Any] = [
    None,
    "x" * 1_000_000,
    [1, 2],
    12,
    {"formatVersion": "1", "fields": "all"},
    {
        "formatVersion": 1,
        "fields": [None, 1, "s", [], {}, {"type": None}, {"type": []}, {"type": {}}],
    },
    {
        "formatVersion": 1,
        "fields": [
            {
                "id": [],
                "key": {},
                "type": "text",
                "label": [],
                "visibleWhen": [],
                "requiredWhen": 1,
                "validate": {"pattern": []},
            }
        ],
    },
    {
        "formatVersion": 1,
        "fields": [
            {
                "id": "a" * 1_000_000,
                "key": "b" * 1_000_000,
                "type": "t" * 1_000_000,
                "label": "l" * 1_000_000,
            }
        ],
    },
    {
        "formatVersion": 1,
        "fields": [
            {
                "id": "a",
                "key": "a",
                "type": "text",
                "label": "A",
                "validate": {"pattern": "(a" * 100_000},
            }
        ],
    },
    {
        "formatVersion": 1,
        "fields": [
            {"id": "a", "key": "a", "type": "text", "label": "A", "visibleWhen": deep(10_000)}
        ],
    },
    {
        "formatVersion": 1,
        "fields": [],
        "layout": [{"type": "section", "id": "s", "children": [[], {}, None]}],
    },
    {"formatVersion": 1, "fields": [], "x" * 1000: deep(10_000)},
    {"formatVersion": 1, "fields": [{}] * 1_000_000},
    {
        "formatVersion": 1,
        "fields": [
            {
                "id": "a",
                "key": "a",
                "type": "number",
                "label": "A",
                "validate": {"min": float("nan")},
            }
        ],
    },
    {
        "formatVersion": 1,
        "fields": [
            {
                "id": "a",
                "key": "a",
                "type": "select",
                "label": "A",
                "options": [{"value": "v", "label": "V"}],
                "visibleWhen": {"properties": {"a": {"const": 1}}, "required": ["a"]},
            },
            {
                "id": "b",
                "key": "b",
                "type": "select",
                "label": "B",
                "options": [{"value": "v", "label": "V"}] * 3,
                "visibleWhen": {"$ref": "#"},
            },
        ],
        "subjectField": [],
    },
]


@pytest.mark.parametrize("definition", HOSTILE, ids=range(len(HOSTILE)))
def test_validate_definition_never_raises_on_hostile_input(definition: Any) -> None:
    """Wrong types everywhere, 10k-deep nesting, 1 MB strings, bad regexes: problems, never
    exceptions, and every problem has a pointer, a code and a short message."""
    problems = validate_definition(definition)
    assert problems
    for problem in problems:
        assert isinstance(problem.pointer, str) and problem.code
        assert 0 < len(problem.message) < 500


def test_compile_schema_matches_the_doc() -> None:
    """Properties per valued field, additionalProperties false, unconditional required, and
    if/then for requiredWhenVisible and hidden-fields-have-no-value."""
    schema = compile_schema(refund())
    Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {
        "category",
        "order_id",
        "amount",
        "description",
        "email",
        "confirm",
    }
    assert schema["required"] == ["category", "description", "email", "confirm"]
    assert schema["properties"]["confirm"] == {"type": "boolean", "const": True}
    shown = refund()["fields"][1]["visibleWhen"]
    assert {"if": shown, "then": {"required": ["order_id"]}} in schema["allOf"]
    assert {"if": {"not": shown}, "then": {"properties": {"amount": {"not": {}}}}} in schema[
        "allOf"
    ]


def test_compile_schema_combines_required_when_with_visibility() -> None:
    """requiredWhen applies only while the field is visible; a checkbox must then be ticked."""
    definition = refund()
    definition["fields"][5].update(required=False, requiredWhen={"required": ["amount"]})
    definition["fields"][2]["requiredWhen"] = {"required": ["description"]}
    validator = value_validator(compile_schema(definition))
    base = {"category": "question", "description": "d", "email": "a@b.co"}
    assert validator.is_valid(base)
    assert not validator.is_valid({**base, "category": "refund", "order_id": "OD12345678"})
    assert not validator.is_valid({**base, "amount": 5, "confirm": False})


def test_definition_hash_is_canonical() -> None:
    """The hash ignores key order and whitespace and changes with any content."""
    definition = refund()
    reordered = json.loads(json.dumps(definition, sort_keys=True, indent=4))
    assert definition_hash(definition) == definition_hash(reordered)
    changed = copy.deepcopy(definition)
    changed["fields"][0]["label"]["zh-CN"] = "类型"
    assert definition_hash(changed) != definition_hash(definition)
    assert len(definition_hash(definition)) == 64


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("Same", "zh-CN", "Same"),
        ({"en": "Category", "zh-CN": "类别"}, "zh-CN", "类别"),
        ({"en": "Category", "zh-CN": "类别"}, "fr", "Category"),
        ({"zh-CN": "类别"}, "en", "类别"),
        ({}, "en", ""),
        (None, "en", ""),
    ],
)
def test_localized_falls_back_to_english_then_first(text: Any, locale: str, expected: str) -> None:
    """A TEXT shows the page's locale, else English, else the first one present."""
    assert localized(text, locale) == expected
