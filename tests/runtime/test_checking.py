"""Checking submissions: normalisation, unknown and hidden keys, every problem code, HTML forms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from builder.fields.values import json_hash
from builder.forms.definition import compile_schema, validate_definition
from runtime.checking import MESSAGES, check_submission, parse_html_form, validator_for

DEMO = Path(__file__).resolve().parents[2] / "builder" / "forms" / "demo"
SHOW_EXTRA = {"properties": {"kind": {"const": "extra"}}, "required": ["kind"]}
FIELDS: list[dict[str, Any]] = [
    {
        "id": "kind",
        "key": "kind",
        "type": "radio",
        "label": "Kind",
        "options": [{"value": "plain", "label": "Plain"}, {"value": "extra", "label": "Extra"}],
    },
    {
        "id": "code",
        "key": "code",
        "type": "text",
        "label": "Code",
        "validate": {
            "minLength": 3,
            "maxLength": 5,
            "pattern": "^[A-Z]+$",
            "patternMessage": {"en": "Capitals only.", "zh-CN": "只能是大写字母。"},
        },
    },
    {"id": "note", "key": "note", "type": "textarea", "label": "Note"},
    {
        "id": "qty",
        "key": "qty",
        "type": "number",
        "label": "Qty",
        "validate": {"min": 1, "max": 9, "integer": True},
    },
    {
        "id": "price",
        "key": "price",
        "type": "number",
        "label": "Price",
        "validate": {"exclusiveMin": 0, "exclusiveMax": 100},
    },
    {"id": "mail", "key": "mail", "type": "email", "label": "Mail"},
    {"id": "site", "key": "site", "type": "url", "label": "Site"},
    {"id": "day", "key": "day", "type": "date", "label": "Day", "validate": {"min": "2024-01-01"}},
    {"id": "at", "key": "at", "type": "datetime", "label": "At"},
    {"id": "tel", "key": "tel", "type": "phone", "label": "Tel"},
    {
        "id": "tags",
        "key": "tags",
        "type": "multiselect",
        "label": "Tags",
        "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}],
        "validate": {"minItems": 2},
    },
    {"id": "ok", "key": "ok", "type": "checkbox", "label": "OK", "required": True},
    {
        "id": "pics",
        "key": "pics",
        "type": "file",
        "label": "Pics",
        "validate": {"accept": ["image/*"]},
    },
    {
        "id": "items",
        "key": "items",
        "type": "group",
        "label": "Items",
        "fields": [
            {"id": "iname", "key": "name", "type": "text", "label": "Name", "required": True},
            {"id": "iqty", "key": "qty", "type": "number", "label": "Qty"},
        ],
    },
    {
        "id": "secret",
        "key": "secret",
        "type": "text",
        "label": "Secret",
        "visibleWhen": SHOW_EXTRA,
        "requiredWhenVisible": True,
    },
]
DEFINITION = {"formatVersion": 1, "key": "all", "title": "All", "fields": FIELDS}
SCHEMA = compile_schema(DEFINITION)
VALID = {"kind": "plain", "ok": True}
PIC = {"id": "1", "name": "a.png", "size": 3, "type": "image/png"}


def check(data: Any) -> list[tuple[str, str]]:
    """``(code, pointer)`` of every problem with ``data`` on the test form."""
    return [(p.code, p.pointer) for p in check_submission(DEFINITION, SCHEMA, data)[1]]


def test_test_form_is_valid() -> None:
    """The form these tests use is itself a valid definition."""
    assert validate_definition(DEFINITION) == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"kind": "plain"}, [("required", "/ok")]),
        ({**VALID, "note": 5}, [("type", "/note")]),
        ({**VALID, "code": "AB"}, [("minLength", "/code")]),
        ({**VALID, "code": "ABCDEF"}, [("maxLength", "/code")]),
        ({**VALID, "code": "abc"}, [("pattern", "/code")]),
        ({**VALID, "mail": "nope"}, [("format.email", "/mail")]),
        ({**VALID, "site": "ftp://example.com"}, [("format.uri", "/site")]),
        ({**VALID, "day": "2024-02-30"}, [("format.date", "/day")]),
        ({**VALID, "at": "2024-02-01 10:00"}, [("format.datetime", "/at")]),
        ({**VALID, "tel": "call me"}, [("format.phone", "/tel")]),
        ({**VALID, "kind": "other"}, [("enum", "/kind")]),
        ({**VALID, "qty": 0}, [("minimum", "/qty")]),
        ({**VALID, "qty": 10}, [("maximum", "/qty")]),
        ({**VALID, "day": "2023-12-31"}, [("minimum", "/day")]),
        ({**VALID, "price": 0}, [("exclusiveMinimum", "/price")]),
        ({**VALID, "price": 100}, [("exclusiveMaximum", "/price")]),
        ({**VALID, "qty": 2.5}, [("integer", "/qty")]),
        ({**VALID, "qty": "two"}, [("number", "/qty")]),
        ({**VALID, "tags": ["a"]}, [("minItems", "/tags")]),
        ({**VALID, "pics": [PIC, PIC]}, [("maxItems", "/pics")]),
        ({**VALID, "ok": False}, [("mustAccept", "/ok")]),
        ({**VALID, "typo": 1}, [("unknownField", "/typo")]),
        ({**VALID, "pics": [{**PIC, "type": "text/html"}]}, [("invalid", "/pics/0/type")]),
        ({**VALID, "tags": ["a", "a"]}, [("invalid", "/tags")]),
        ({**VALID, "note": [[[[[[[[["deep"]]]]]]]]]}, [("invalid", "/note/0/0/0/0/0/0/0")]),
        (
            {**VALID, "items": [{"qty": 1}, {"name": "x", "size": 2}]},
            [("required", "/items/0/name"), ("unknownField", "/items/1/size")],
        ),
        ({**VALID, "kind": "extra"}, [("required", "/secret")]),
        ([], [("type", "")]),
    ],
)
def test_check_submission_gives_each_code(data: Any, expected: list[tuple[str, str]]) -> None:
    """Each rule broken gives its documented code at the pointer of the field (or row cell)."""
    assert check(data) == expected


def test_check_submission_codes_are_the_documented_set() -> None:
    """Every problem code has an English message; the set is the one integrators rely on."""
    assert set(MESSAGES) == {
        "required",
        "type",
        "minLength",
        "maxLength",
        "pattern",
        "format.email",
        "format.uri",
        "format.date",
        "format.datetime",
        "format.phone",
        "enum",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "integer",
        "number",
        "minItems",
        "maxItems",
        "mustAccept",
        "unknownField",
        "invalid",
    }


def test_check_submission_params_carry_limits_and_custom_messages() -> None:
    """Limits travel as params.limit; a patternMessage travels as TEXT and is the message."""
    _, problems = check_submission(DEFINITION, SCHEMA, {**VALID, "code": "AB", "qty": 12})
    assert [p.params for p in problems] == [{"limit": 3}, {"limit": 9}]
    assert problems[0].message == "Must be at least 3 characters long."
    _, (problem,) = check_submission(DEFINITION, SCHEMA, {**VALID, "code": "abc"})
    assert problem.params == {"customMessage": FIELDS[1]["validate"]["patternMessage"]}
    assert problem.message == "Capitals only."


def test_check_submission_drops_empty_and_hidden_values() -> None:
    """ "" / null / [] are absent (also in rows); values of hidden fields vanish silently."""
    data = {
        **VALID,
        "code": "",
        "tags": [],
        "note": None,
        "secret": "s",
        "items": [{"name": "n", "qty": ""}],
    }
    cleaned, problems = check_submission(DEFINITION, SCHEMA, data)
    assert problems == []
    assert cleaned == {**VALID, "items": [{"name": "n"}]}


def test_check_submission_keeps_values_of_visible_fields() -> None:
    """A conditional field that is visible keeps its value (and is required)."""
    data = {**VALID, "kind": "extra", "secret": "s"}
    assert check_submission(DEFINITION, SCHEMA, data) == (data, [])


def test_check_submission_reports_one_problem_per_field() -> None:
    """A value breaking several rules gets the most important problem only (type first)."""
    assert check({**VALID, "kind": 5, "code": 5}) == [("type", "/kind"), ("type", "/code")]


def test_check_submission_refuses_non_finite_numbers() -> None:
    """NaN and Infinity (which Python's json accepts) are invalid, not silently in range."""
    assert check({**VALID, "qty": float("nan")}) == [("invalid", "/qty")]


def test_validator_for_builds_once_per_hash() -> None:
    """The validator is cached by schema hash: same hash, same object."""
    first = validator_for(json_hash(SCHEMA), SCHEMA)
    assert validator_for(json_hash(SCHEMA), SCHEMA) is first
    assert validator_for("other", {"type": "object"}) is not first


def test_parse_html_form_builds_typed_data() -> None:
    """Posted strings become typed values; empty inputs vanish; rows come from item names."""
    form = {
        "csrf_token": ["t"],
        "kind": ["plain"],
        "code": [""],
        "qty": ["3"],
        "price": ["9.5"],
        "tags": ["a", "b"],
        "ok": ["on"],
        "pics": [json.dumps(PIC)],
        "items-3-name": ["later"],
        "items-0-name": ["first"],
        "items-0-qty": ["2"],
        "items-1-name": [""],
    }
    data = parse_html_form(DEFINITION, form)
    assert data == {
        "kind": "plain",
        "qty": 3,
        "price": 9.5,
        "tags": ["a", "b"],
        "ok": True,
        "pics": [PIC],
        "items": [{"name": "first", "qty": 2}, {"name": "later"}],
    }
    assert check_submission(DEFINITION, SCHEMA, data)[1] == []


def test_parse_html_form_keeps_bad_numbers_for_validation() -> None:
    """A malformed number is kept as typed so the check reports it instead of crashing."""
    data = parse_html_form(DEFINITION, {"kind": ["plain"], "ok": ["on"], "qty": ["3,5"]})
    assert data["qty"] == "3,5"
    assert check(data) == [("number", "/qty")]


def test_check_submission_runs_the_refund_demo() -> None:
    """Refund demo: order number and amount matter only for refunds."""
    definition = json.loads((DEMO / "refund.json").read_text("utf-8"))
    schema = compile_schema(definition)
    base = {"description": "Broken", "email": "a@example.com", "confirm": True}
    question = {**base, "category": "question", "order_id": "junk", "amount": -1}
    assert check_submission(definition, schema, question) == (
        {**base, "category": "question"},
        [],
    )
    _, problems = check_submission(definition, schema, {**base, "category": "refund"})
    assert [(p.code, p.pointer) for p in problems] == [
        ("required", "/order_id"),
        ("required", "/amount"),
    ]
