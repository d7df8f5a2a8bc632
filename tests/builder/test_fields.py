"""Field types: registry, compiled value schemas, HTML parsing, type-specific meaning checks."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from builder.fields import FIELD_TYPES, MISSING, MeaningContext, get_field_type
from builder.fields.file import accept_pattern
from builder.fields.values import find_unsafe_value, pointer, rust_validator, value_validator

OPTIONS = [{"value": "a", "label": "A"}, {"value": "b", "label": {"en": "B", "zh-CN": "乙"}}]

#: type -> (field config, valid values, invalid values)
CASES: dict[str, tuple[dict[str, Any], list[Any], list[Any]]] = {
    "text": (
        {"validate": {"minLength": 2, "maxLength": 5, "pattern": "^[a-z]+$"}},
        ["ab", "abcde"],
        ["a", "abcdef", "AB", 12, None],
    ),
    "textarea": ({"validate": {"maxLength": 3}}, ["a\nb"], ["abcd", []]),
    "number": ({"validate": {"min": 0, "max": 10}}, [0, 10, 2.5], [-1, 10.5, "3", True]),
    "email": ({}, ["a@example.com"], ["a@", "a b@example.com", "no-at", 1]),
    "phone": ({}, ["+86 138 0000 0000", "(010) 1234-5678"], ["abc", "12", "+1" * 20]),
    "url": ({}, ["https://example.com/a?b=1", "http://x.cn"], ["ftp://x.cn", "https://", "x"]),
    "date": (
        {"validate": {"min": "2024-01-01", "max": "2024-12-31"}},
        ["2024-02-29", "2024-01-01"],
        ["2023-12-31", "2025-01-01", "2024-02-30", "2024-1-1", 20240101],
    ),
    "datetime": (
        {},
        ["2024-05-01T10:30", "2024-05-01T10:30:59"],
        ["2024-05-01", "2024-13-01T10:30"],
    ),
    "select": ({"options": OPTIONS}, ["a", "b"], ["c", ["a"]]),
    "radio": ({"options": OPTIONS}, ["b"], ["", 1]),
    "multiselect": (
        {"options": OPTIONS, "validate": {"maxItems": 1}},
        [["a"], ["b"]],
        [["a", "b"], ["c"], ["a", "a"], "a"],
    ),
    "checkbox": ({}, [True, False], ["on", 1]),
    "file": (
        {"validate": {"maxFiles": 2, "maxSize": 100, "accept": ["image/*"]}},
        [[{"id": "1", "name": "a.png", "size": 100, "type": "image/png"}]],
        [
            [{"id": "1", "name": "a.pdf", "size": 1, "type": "application/pdf"}],
            [{"id": "1", "name": "a.png", "size": 101, "type": "image/png"}],
            [{"id": "1", "name": "a.png", "size": 1, "type": "image/png", "x": 1}],
            [{"id": str(n), "name": "a.png", "size": 1, "type": "image/png"} for n in range(3)],
        ],
    ),
    "rating": ({"max": 3}, [1, 3], [0, 4, 2.5]),
    "user": ({"role": "agent"}, ["agent@example.com"], ["agent"]),
    "group": (
        {
            "fields": [
                {"id": "c1", "key": "name", "type": "text", "label": "N", "required": True},
                {"id": "c2", "key": "qty", "type": "number", "label": "Q"},
            ],
            "validate": {"maxItems": 2},
        },
        [[{"name": "x"}, {"name": "y", "qty": 2}]],
        [[{"qty": 1}], [{"name": "x", "other": 1}], [{"name": "a"}] * 3, {"name": "x"}],
    ),
}


def make_field(type_name: str, **config: Any) -> dict[str, Any]:
    """A minimal field of ``type_name`` with ``config`` merged in."""
    return {"id": "f", "key": "f", "type": type_name, "label": "F", **config}


def test_registry_has_every_documented_type() -> None:
    """Every type of the format is registered, under its name, with a field_<type> macro."""
    documented = set(CASES) | {"static", "section"}
    assert set(FIELD_TYPES) == documented
    for name, field_type in FIELD_TYPES.items():
        assert get_field_type(name) is field_type
        assert field_type.macro == f"field_{name}"
    assert get_field_type("nope") is None
    assert not FIELD_TYPES["static"].has_value and not FIELD_TYPES["section"].has_value


@pytest.mark.parametrize("type_name", sorted(CASES))
def test_compile_accepts_good_and_rejects_bad_values(type_name: str) -> None:
    """Each type's compiled schema is valid 2020-12, takes its good values, refuses bad ones."""
    config, good, bad = CASES[type_name]
    schema = FIELD_TYPES[type_name].compile(make_field(type_name, **config))
    Draft202012Validator.check_schema(schema)
    validator = value_validator(schema)
    for value in good:
        assert validator.is_valid(value), value
    for value in bad:
        assert not validator.is_valid(value), value
    fast = rust_validator(schema, docket_formats=True)
    assert fast is not None
    for value in [*good, *bad]:
        assert fast(value) == validator.is_valid(value), value


@pytest.mark.parametrize(("schema", "value"), [
    # Python's regexes, not Rust's: Python's "$" also matches before a final newline
    ({"pattern": "^a$"}, "a\n"),
    ({"not": {"pattern": "^a$"}}, "a\n"),
    ({"if": {"properties": {"a": {"pattern": "^x$"}}}, "then": {"required": ["b"]}},
     {"a": "x\n"}),
    ({"format": "email"}, "no-at-sign"),
    ({"format": "email"}, "a@localhost"),  # ours wants a dot in the domain
    ({"format": "uri"}, "ftp://example.com/x"),  # ours takes http and https only
    ({"format": "date"}, "2025-02-30"),
    ({"format": "date", "formatMinimum": "2025-01-01"}, "2024-12-31"),
    ({"format": "date", "formatMaximum": "2025-01-01"}, "2025-01-02"),
    ({"format": "date", "formatMaximum": "2025-01-01"}, "2025-01-01"),
])
def test_rust_validator_agrees_where_the_libraries_differ(
    schema: dict[str, Any], value: Any,
) -> None:
    """Where jsonschema-rs alone would answer otherwise (regexes, formats, date limits),
    the fast check gives jsonschema's verdict."""
    fast = rust_validator(schema, docket_formats=True)
    assert fast is not None
    assert fast(value) == value_validator(schema).is_valid(value)


def test_rust_validator_is_not_offered_for_keywords_read_differently() -> None:
    """jsonschema-rs takes 0.3 as a multiple of 0.1 and has its own regexes for
    patternProperties: such schemas go to jsonschema only. A string Rust cannot hold (a
    lone surrogate) gets no verdict."""
    assert not value_validator({"multipleOf": 0.1}).is_valid(0.3)
    for docket_formats in (True, False):
        assert rust_validator({"multipleOf": 0.1}, docket_formats=docket_formats) is None
        assert rust_validator({"patternProperties": {"^a": {}}},
                              docket_formats=docket_formats) is None
    fast = rust_validator({"type": "string", "maxLength": 5}, docket_formats=True)
    assert fast is not None and fast("abc") is True and fast("\ud800") is None


def test_compile_uses_documented_defaults() -> None:
    """text caps at 200, textarea at 10000 characters, a file field at 1 file, rating at 5."""
    assert FIELD_TYPES["text"].compile(make_field("text"))["maxLength"] == 200
    assert FIELD_TYPES["textarea"].compile(make_field("textarea"))["maxLength"] == 10000
    assert FIELD_TYPES["file"].compile(make_field("file"))["maxItems"] == 1
    assert FIELD_TYPES["rating"].compile(make_field("rating"))["maximum"] == 5


def test_compile_integer_number_refuses_fractions() -> None:
    """A number with validate.integer accepts whole numbers only."""
    schema = FIELD_TYPES["number"].compile(make_field("number", validate={"integer": True}))
    assert value_validator(schema).is_valid(3)
    assert not value_validator(schema).is_valid(3.5)


@pytest.mark.parametrize(
    ("type_name", "values", "expected"),
    [
        ("text", [""], MISSING),
        ("text", [], MISSING),
        ("text", ["hi", "ignored"], "hi"),
        ("number", ["42"], 42),
        ("number", [" -1.5 "], -1.5),
        ("number", ["1e3"], 1000.0),
        ("number", ["abc"], "abc"),
        ("number", ["nan"], "nan"),
        ("number", ["1e999"], "1e999"),
        ("number", ["9" * 400], "9" * 400),
        ("number", [""], MISSING),
        ("rating", ["4"], 4),
        ("checkbox", ["on"], True),
        ("checkbox", ["true"], True),
        ("checkbox", ["false", "on"], True),
        ("checkbox", ["false"], False),
        ("checkbox", ["maybe"], "maybe"),
        ("checkbox", [], MISSING),
        ("multiselect", ["a", "", "b"], ["a", "b"]),
        ("multiselect", [""], MISSING),
        (
            "file",
            ['{"id": "1", "name": "a", "size": 1, "type": "image/png"}'],
            [{"id": "1", "name": "a", "size": 1, "type": "image/png"}],
        ),
        ("file", ["{broken"], ["{broken"]),
        ("file", ["[" * 5000], ["[" * 5000]),
        ("group", ["anything"], MISSING),
    ],
)
def test_parse_html_coerces_raw_strings(type_name: str, values: list[str], expected: Any) -> None:
    """Empty input is MISSING; numbers and ticks become typed; malformed input stays raw."""
    assert FIELD_TYPES[type_name].parse_html(make_field(type_name), values) == expected


def test_parse_form_reads_group_rows_by_index() -> None:
    """Group rows come from <group>-<index>-<child> names, ordered by index, blank rows dropped."""
    field = make_field("group", key="items", **CASES["group"][0])
    form = {
        "items-10-name": ["ten"],
        "items-2-name": ["two"],
        "items-2-qty": ["3"],
        "items-5-name": [""],
        "items-x-name": ["bad index"],
        "items-1-unknown": ["x"],
        "other-0-name": ["other group"],
    }
    assert FIELD_TYPES["group"].parse_form(field, form) == [
        {"name": "two", "qty": 3},
        {"name": "ten"},
    ]
    assert FIELD_TYPES["group"].parse_form(field, {}) is MISSING


@pytest.mark.parametrize(
    ("type_name", "config", "code", "at"),
    [
        ("text", {"validate": {"pattern": "(unclosed"}}, "invalidPattern", "/validate/pattern"),
        (
            "text",
            {"validate": {"minLength": 5, "maxLength": 2}},
            "invalidRange",
            "/validate/maxLength",
        ),
        ("text", {"validate": {"pattern": "^a$"}, "default": "b"}, "invalidDefault", "/default"),
        (
            "textarea",
            {"validate": {"minLength": 5, "maxLength": 2}},
            "invalidRange",
            "/validate/maxLength",
        ),
        ("number", {"validate": {"min": 5, "max": 1}}, "invalidRange", "/validate/max"),
        ("number", {"validate": {"integer": True}, "default": 1.5}, "invalidDefault", "/default"),
        ("date", {"validate": {"min": "2024-02-30"}}, "invalidDate", "/validate/min"),
        (
            "date",
            {"validate": {"min": "2024-05-01", "max": "2024-01-01"}},
            "invalidRange",
            "/validate/max",
        ),
        ("select", {"options": [*OPTIONS, OPTIONS[0]]}, "duplicateOption", "/options/2/value"),
        ("select", {"options": OPTIONS, "default": "zz"}, "invalidDefault", "/default"),
        (
            "multiselect",
            {"options": OPTIONS, "validate": {"minItems": 2, "maxItems": 1}},
            "invalidRange",
            "/validate/maxItems",
        ),
        (
            "group",
            {"fields": [make_field("text", validate={"pattern": "["})]},
            "invalidPattern",
            "/fields/0/validate/pattern",
        ),
        (
            "group",
            {"fields": [make_field("text")], "validate": {"minItems": 3, "maxItems": 1}},
            "invalidRange",
            "/validate/maxItems",
        ),
        ("user", {"role": "wizard"}, "unknownRole", "/role"),
    ],
)
def test_meaning_problems_reports_type_rules(
    type_name: str, config: dict[str, Any], code: str, at: str
) -> None:
    """Type-specific meaning checks: regexes compile, limits in order, options unique,
    defaults valid, roles known."""
    field = make_field(type_name, **config)
    problems = FIELD_TYPES[type_name].meaning_problems(
        field, "/fields/3", MeaningContext(roles=frozenset({"agent"}))
    )
    assert [(p.code, p.pointer) for p in problems] == [(code, "/fields/3" + at)]


def test_meaning_problems_accepts_sound_fields() -> None:
    """Every valid CASES configuration with a valid default has no meaning problem."""
    for type_name, (config, good, _) in CASES.items():
        field = make_field(type_name, default=good[0], **config)
        assert FIELD_TYPES[type_name].meaning_problems(field, "", MeaningContext()) == []


def test_accept_pattern_matches_wildcards_and_exact_types() -> None:
    """accept lists become one anchored regex: image/* any image, others exactly."""
    pattern = accept_pattern(["image/*", "application/vnd.ms-excel"])
    validator = value_validator({"pattern": pattern})
    assert validator.is_valid("image/png") and validator.is_valid("application/vnd.ms-excel")
    assert not validator.is_valid("application/vnd-ms-excel") and not validator.is_valid("image/")


def test_pointer_escapes_reference_tokens() -> None:
    """JSON pointers escape ~ and / (RFC 6901)."""
    assert pointer("/a", "b/c", "d~e", 0) == "/a/b~1c/d~0e/0"


def test_find_unsafe_value_spots_depth_and_non_finite_numbers() -> None:
    """Deep nesting, NaN/Infinity and too many values are found without recursion."""
    deep: Any = []
    for _ in range(10_000):
        deep = [deep]
    assert find_unsafe_value({"a": deep}, 5, 100) == ("/a/0/0/0/0", "tooDeep")
    assert find_unsafe_value({"a": [1, float("nan")]}, 5, 100) == ("/a/1", "notFinite")
    assert find_unsafe_value({"a": [1, {"b": "c"}]}, 5, 100) is None
    assert find_unsafe_value({"a": list(range(100))}, 5, 100) == ("/a", "tooLarge")


def test_fields_pattern_with_nested_repeats_is_refused():
    """A pattern like (a+)+ could take exponential time on requester input: refused."""
    from builder.fields.base import pattern_problems

    for slow in ["(a+)+$", r"^(\w+\s?)*$", "(a{1,3}){2,}"]:
        assert [p.code for p in pattern_problems(slow, "/p")] == ["slowPattern"], slow
    for fine in ["^OD[0-9]{8}$", r"^(\d{3})-(\d{4})$", "^(ab)+$", r"^[A-Z0-9]{8,20}$"]:
        assert pattern_problems(fine, "/p") == [], fine
