"""Checking submitted data against a published form version (pure: no Flask, no database).

How it works: the data must be a JSON object; empty values (``""``, ``null``, ``[]``, also
inside group rows) are dropped; the values of hidden fields are dropped silently (the
visibility fixed point of ``builder.conditions``); what is left is validated with the
version's compiled schema, by validators built once per schema and cached (jsonschema-rs
says "valid" fast; jsonschema explains what is not). Keys that name no field are reported
(``unknownField``), never dropped: an integrator's typo must not vanish. Each JSON Schema
error becomes one ``Problem`` pointing at the field (or the row cell, or the missing
property) with a stable code; one problem per pointer, the most important first
(``required`` before type, type before format, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.protocols import Validator

from builder.conditions import strip_hidden
from builder.fields import FIELD_TYPES, MISSING, FieldType
from builder.fields.values import (
    find_unsafe_value,
    json_hash,
    pointer,
    rust_validator,
    value_validator,
)
from builder.forms.texts import FALLBACK, localized
from core.errors import Problem

#: Values nest at most: object > group rows > row > multiselect list (files: list > ref).
MAX_DATA_DEPTH = 8
MAX_DATA_NODES = 100_000

MESSAGES = {
    "required": "This field is required.",
    "unknownField": "This form has no such field.",
    "type": "Wrong kind of value.",
    "number": "Must be a number.",
    "integer": "Must be a whole number.",
    "mustAccept": "Must be ticked.",
    "format.email": "Must be an email address.",
    "format.uri": "Must be an http:// or https:// address.",
    "format.date": "Must be a date (YYYY-MM-DD).",
    "format.datetime": "Must be a date and time (YYYY-MM-DDTHH:MM).",
    "format.phone": "Must be a phone number.",
    "enum": "Must be one of the options.",
    "pattern": "Does not have the expected format.",
    "minLength": "Must be at least {limit} characters long.",
    "maxLength": "Must be at most {limit} characters long.",
    "minimum": "Must be at least {limit}.",
    "maximum": "Must be at most {limit}.",
    "exclusiveMinimum": "Must be more than {limit}.",
    "exclusiveMaximum": "Must be less than {limit}.",
    "minItems": "Must have at least {limit} items.",
    "maxItems": "Must have at most {limit} items.",
    "invalid": "Not a valid value.",
}
#: Keywords whose value is the limit the data broke.
LIMIT_KEYWORDS = frozenset(
    {
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "formatMinimum",
        "formatMaximum",
        "minItems",
        "maxItems",
    }
)
#: Lower ranks win when one pointer has several problems; formats come next, then the rest.
_RANKS = {"required": 0, "unknownField": 1, "type": 2, "number": 2, "integer": 2, "mustAccept": 3}
_GENERIC = FieldType()


class _Keyed:
    """A schema carried through ``lru_cache`` under its hash."""

    __slots__ = ("key", "schema")

    def __init__(self, key: str, schema: dict[str, Any]) -> None:
        self.key, self.schema = key, schema

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Keyed) and other.key == self.key


@lru_cache(maxsize=256)
def _build_validators(keyed: _Keyed) -> tuple[Validator, Callable[[Any], bool | None] | None]:
    return value_validator(keyed.schema), rust_validator(keyed.schema, docket_formats=True)


def validator_for(schema_hash: str, schema: dict[str, Any]) -> Validator:
    """The validator of a compiled form schema, built once per ``schema_hash`` (LRU)."""
    return _build_validators(_Keyed(schema_hash, schema))[0]


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list) and not value)


def _drop_empty(definition: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    groups = {field["key"] for field in definition["fields"] if field["type"] == "group"}
    result = {}
    for key, value in data.items():
        if _is_empty(value):
            continue
        if key in groups and isinstance(value, list):
            value = [
                {k: v for k, v in row.items() if not _is_empty(v)} if isinstance(row, dict) else row
                for row in value
            ]
        result[key] = value
    return result


def _field_at(definition: Mapping[str, Any], path: list[Any]) -> Mapping[str, Any] | None:
    """The field (or group child) whose value holds ``path``."""
    fields = {field.get("key"): field for field in definition["fields"]}
    field = fields.get(path[0]) if path and isinstance(path[0], str) else None
    if field and field["type"] == "group" and len(path) >= 3 and isinstance(path[2], str):
        children = {child.get("key"): child for child in field["fields"]}
        return children.get(path[2], field)
    return field


def _problem(at: str, code: str, params: dict[str, Any] | None = None) -> Problem:
    params = params or {}
    custom = params.get("customMessage")
    message = localized(custom, FALLBACK) if custom else MESSAGES[code].format(**params)
    return Problem(at, code, message, params)


def _error_problems(definition: Mapping[str, Any], error: ValidationError) -> Iterator[Problem]:
    path = list(error.absolute_path)
    if error.validator == "required":
        for name in error.validator_value:
            if name not in error.instance:
                yield _problem(pointer("", *path, name), "required")
        return
    if error.validator == "additionalProperties":
        known = error.schema.get("properties", {})
        for name in error.instance:
            if name not in known:
                yield _problem(pointer("", *path, name), "unknownField")
        return
    field = _field_at(definition, path)
    field_type = FIELD_TYPES[field["type"]] if field else _GENERIC
    code = field_type.error_code(field or {}, error)
    params: dict[str, Any] = {}
    if error.validator in LIMIT_KEYWORDS:
        params["limit"] = error.validator_value
    if code == "pattern" and field and "patternMessage" in field.get("validate", {}):
        params["customMessage"] = field["validate"]["patternMessage"]
    yield _problem(pointer("", *path), code, params)


def check_submission(
    definition: Mapping[str, Any], schema: dict[str, Any], data: Any,
    schema_key: str | None = None,
) -> tuple[dict[str, Any], list[Problem]]:
    """The data to store (empty and hidden values dropped) and every problem with it.

    ``schema_key`` names the schema in the validator cache (a published version's hash);
    without it the schema is hashed on every call.
    """
    if not isinstance(data, dict):
        return {}, [Problem("", "type", "The data must be a JSON object.")]
    unsafe = find_unsafe_value(data, MAX_DATA_DEPTH, MAX_DATA_NODES)
    if unsafe:
        return {}, [_problem(unsafe[0], "invalid")]
    cleaned = strip_hidden(definition, _drop_empty(definition, data))
    validator, fast = _build_validators(_Keyed(schema_key or json_hash(schema), schema))
    if fast is not None and fast(cleaned):
        return cleaned, []  # valid; jsonschema is there to explain what is not
    best: dict[str, Problem] = {}
    for error in validator.iter_errors(cleaned):
        for problem in _error_problems(definition, error):
            kept = best.get(problem.pointer)
            if kept is None or _RANKS.get(problem.code, 5) < _RANKS.get(kept.code, 5):
                best[problem.pointer] = problem
    order = {field.get("key"): index for index, field in enumerate(definition["fields"])}
    first_key = lambda problem: problem.pointer.split("/")[1]  # noqa: E731
    problems = sorted(best.values(), key=lambda p: (order.get(first_key(p), len(order)), p.pointer))
    return cleaned, problems


def parse_html_form(definition: Mapping[str, Any], form: Mapping[str, list[str]]) -> dict[str, Any]:
    """Typed form data from a posted HTML form (``request.form.to_dict(flat=False)``)."""
    data = {}
    for field in definition["fields"]:
        field_type = FIELD_TYPES[field["type"]]
        if field_type.has_value:
            value = field_type.parse_form(field, form)
            if value is not MISSING:
                data[field["key"]] = value
    return data
