"""Form definitions: validation in two passes, compilation to JSON Schema, hashing.

Pass 1 checks the structure against ``form.schema.json`` completed with one branch per
registered field type. Pass 2 checks the meaning (unique ids and keys, layout, conditions,
type-specific rules) only on the parts that passed pass 1, so it never meets a value of the
wrong shape. Anything nested deeper than ``MAX_DEPTH``, larger than ``MAX_NODES`` values or
holding NaN/Infinity is refused before either pass: validators and ``json.dumps`` recurse.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from builder.conditions import check_condition, referenced_keys
from builder.fields import FIELD_TYPES, FieldType, MeaningContext
from builder.fields.base import compile_object, required_value_schema
from builder.fields.values import UNSAFE_MESSAGES, find_unsafe_value, json_hash, pointer
from core.errors import Problem

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "form.schema.json"
MAX_DEPTH = 32
#: Far above any real form (500 fields with options); bounds the work on hostile input.
MAX_NODES = 200_000
CONDITIONS = ("visibleWhen", "requiredWhen")


def _dispatch(defs: dict[str, Any], prefix: str, types: list[FieldType], child: bool) -> None:
    """Fill ``defs[prefix]`` with an if/then branch per type, each in ``defs[prefix_type]``."""
    branches = []
    for field_type in types:
        defs[f"{prefix}_{field_type.name}"] = field_type.definition_schema(child=child)
        branches.append(
            {
                "if": {
                    "type": "object",
                    "properties": {"type": {"const": field_type.name}},
                    "required": ["type"],
                },
                "then": {"$ref": f"#/$defs/{prefix}_{field_type.name}"},
            }
        )
    defs[prefix] = {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"enum": [field_type.name for field_type in types]}},
        "allOf": branches,
    }


@cache
def form_schema() -> dict[str, Any]:
    """The structure schema: form.schema.json plus one branch per registered type."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    types = list(FIELD_TYPES.values())
    defs = schema["$defs"]
    _dispatch(defs, "field", [t for t in types if not t.layout_only], child=False)
    _dispatch(defs, "childField", [t for t in types if t.in_group and not t.layout_only], True)
    _dispatch(defs, "layoutItem", [t for t in types if t.layout_only], child=False)
    return schema


@cache
def _structure_validator() -> Draft202012Validator:
    return Draft202012Validator(form_schema())


def _structure_problems(error: ValidationError) -> Iterator[Problem]:
    """Problems for one pass-1 error, with messages of bounded size."""
    at = pointer("", *error.absolute_path)
    keyword, expected = error.validator, error.validator_value
    if keyword == "required":
        for name in expected:
            if isinstance(error.instance, dict) and name not in error.instance:
                yield Problem(pointer(at, name), "required", f"'{name}' is required.")
    elif keyword == "additionalProperties":
        known = error.schema.get("properties", {})
        for name in error.instance:
            if name not in known:
                yield Problem(pointer(at, name), "unknownProperty", "Unknown property.")
    elif keyword == "enum" and error.absolute_path and error.absolute_path[-1] == "type":
        yield Problem(at, "unknownType", "Unknown type; one of: " + ", ".join(expected) + ".")
    else:
        yield Problem(at, str(keyword), _structure_message(str(keyword), expected))


def _structure_message(keyword: str, expected: Any) -> str:
    if keyword == "type":
        return (
            f"Must be of type {' or '.join(expected) if isinstance(expected, list) else expected}."
        )
    if keyword == "const":
        return f"Must be {json.dumps(expected)}."
    if keyword == "enum":
        return "Must be one of: " + ", ".join(json.dumps(item) for item in expected[:20]) + "."
    if keyword == "pattern":
        return f"Must match {expected}."
    limits = {
        "minLength": "at least {} characters long",
        "maxLength": "at most {} characters long",
        "minimum": "at least {}",
        "maximum": "at most {}",
        "minItems": "a list of at least {} items",
        "maxItems": "a list of at most {} items",
        "minProperties": "an object with at least {} entries",
        "maxProperties": "an object with at most {} entries",
    }
    if keyword in limits:
        return "Must be " + limits[keyword].format(expected) + "."
    return "Invalid value."


class _Soundness:
    """Which parts of the definition passed pass 1 (no problem at or below a pointer)."""

    def __init__(self, problems: list[Problem]) -> None:
        self._broken: set[str] = set()
        for problem in problems:
            parts = problem.pointer.split("/")
            self._broken.update("/".join(parts[:end]) for end in range(1, len(parts) + 1))

    def ok(self, at: str) -> bool:
        """True when pass 1 found nothing at or below ``at``."""
        return at not in self._broken


def validate_definition(definition: Any, *, roles: frozenset[str] | None = None) -> list[Problem]:
    """Every problem with ``definition`` (empty when it can be published)."""
    unsafe = find_unsafe_value(definition, MAX_DEPTH, MAX_NODES)
    if unsafe:
        return [Problem(unsafe[0], unsafe[1], UNSAFE_MESSAGES[unsafe[1]])]
    problems = [
        problem
        for error in _structure_validator().iter_errors(definition)
        for problem in _structure_problems(error)
    ]
    if not isinstance(definition, dict) or not isinstance(definition.get("fields"), list):
        return problems
    sound = _Soundness(problems)
    return problems + _meaning_problems(definition, sound, MeaningContext(roles=roles))


def _fields_at(fields: Any, base: str) -> list[tuple[str, dict[str, Any]]]:
    """``(pointer, field)`` for the objects in a ``fields`` list."""
    if not isinstance(fields, list):
        return []
    return [
        (pointer(base, index), field)
        for index, field in enumerate(fields)
        if isinstance(field, dict)
    ]


def _meaning_problems(
    definition: dict[str, Any], sound: _Soundness, ctx: MeaningContext
) -> list[Problem]:
    top = _fields_at(definition["fields"], "/fields")
    rows = {
        at: _fields_at(field.get("fields"), pointer(at, "fields"))
        for at, field in top
        if field.get("type") == "group"
    }
    children = [pair for pairs in rows.values() for pair in pairs]
    sections = _fields_at(definition.get("layout"), "/layout")
    problems = _duplicates(top + children + sections, "id", sound, "duplicateId")
    problems += _duplicates(top, "key", sound, "duplicateKey")
    for pairs in rows.values():
        problems += _duplicates(pairs, "key", sound, "duplicateKey")
    valued = {
        field["key"]
        for at, field in top
        if sound.ok(pointer(at, "key")) and isinstance(field.get("key"), str)
    }
    for at, field in top:
        problems += _condition_problems(field, at, sound, valued)
        field_type = FIELD_TYPES.get(field["type"]) if isinstance(field.get("type"), str) else None
        if field_type and sound.ok(at):
            problems += field_type.meaning_problems(field, at, ctx)
    subject = definition.get("subjectField")
    if sound.ok("/subjectField") and subject is not None and subject not in valued:
        problems.append(Problem("/subjectField", "unknownReference", "No field has this key."))
    if isinstance(definition.get("layout"), list):
        problems += _layout_problems(top, sections, sound)
    return problems


def _duplicates(
    items: list[tuple[str, dict[str, Any]]], name: str, sound: _Soundness, code: str
) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for at, item in items:
        value = item.get(name)
        if not (isinstance(value, str) and sound.ok(pointer(at, name))):
            continue
        if value in seen:
            problems.append(Problem(pointer(at, name), code, f"Another element has this {name}."))
        seen.add(value)
    return problems


def _condition_problems(
    field: dict[str, Any], at: str, sound: _Soundness, valued: set[str]
) -> list[Problem]:
    problems = []
    for name in CONDITIONS:
        where = pointer(at, name)
        if name not in field or not sound.ok(where):
            continue
        found = check_condition(field[name], where, valued)
        own_key = field.get("key")
        if not found and isinstance(own_key, str) and own_key in referenced_keys(field[name]):
            found = [Problem(where, "selfReference", "A condition cannot depend on its own field.")]
        problems += found
    return problems


def _layout_problems(
    top: list[tuple[str, dict[str, Any]]],
    sections: list[tuple[str, dict[str, Any]]],
    sound: _Soundness,
) -> list[Problem]:
    ids = {field["id"] for _, field in top if isinstance(field.get("id"), str)}
    placed: set[str] = set()
    problems = []
    for at, section in sections:
        if not sound.ok(pointer(at, "children")) or not isinstance(section.get("children"), list):
            continue
        for index, child in enumerate(section["children"]):
            where = pointer(at, "children", index)
            if child not in ids:
                problems.append(
                    Problem(where, "unknownLayoutRef", "No top-level field has this id.")
                )
            elif child in placed:
                problems.append(
                    Problem(where, "duplicateLayoutRef", "Already placed in the layout.")
                )
            placed.add(child)
    if not sound.ok("/layout"):
        # A broken section may be what should have placed the field; say nothing yet.
        return problems
    return problems + [
        Problem(at, "notInLayout", "The layout does not place this field in any section.")
        for at, field in top
        if isinstance(field.get("id"), str) and field["id"] not in placed
    ]


def compile_schema(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Schema 2020-12 of the stored data of a valid ``definition``."""
    schema = compile_object(definition["fields"])
    rules: list[dict[str, Any]] = []
    for field in definition["fields"]:
        field_type = FIELD_TYPES[field["type"]]
        if not field_type.has_value:
            continue
        key, visible = field["key"], field.get("visibleWhen")
        must = required_value_schema(field_type, key)
        if visible is not None:
            if field.get("required") or field.get("requiredWhenVisible"):
                rules.append({"if": visible, "then": must})
            rules.append({"if": {"not": visible}, "then": {"properties": {key: {"not": {}}}}})
        if "requiredWhen" in field:
            when = field["requiredWhen"]
            rules.append({"if": {"allOf": [when, visible]} if visible else when, "then": must})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        **({"allOf": rules} if rules else {}),
    }


def definition_hash(definition: Mapping[str, Any]) -> str:
    """SHA-256 hex digest of the canonical JSON of ``definition``."""
    return json_hash(definition)


def display_sections(definition: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The fields in display order, as ``[{"section": section or None, "fields": [...]}]``:
    the layout's sections with the fields they name (each field once), then a section-less
    part with the fields no section placed. The portal form and the designer's preview both
    draw from this."""
    fields = definition.get("fields") or []
    by_id = {f.get("id"): f for f in fields}
    placed: set[Any] = set()
    parts: list[dict[str, Any]] = []
    for section in definition.get("layout") or []:
        if section.get("type") != "section":
            continue
        members = []
        for fid in section.get("children") or []:
            if fid in by_id and fid not in placed:
                members.append(by_id[fid])
                placed.add(fid)
        parts.append({"section": section, "fields": members})
    rest = [f for f in fields if f.get("id") not in placed]
    if rest:
        parts.append({"section": None, "fields": rest})
    return parts
