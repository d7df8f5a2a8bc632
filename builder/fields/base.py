"""The field-type base class and the registry of field types by name.

A field type is one class, registered with ``@register``. It knows the definition keys it
accepts (``config_schema`` plus the common keys it allows), the JSON Schema of its value
(``compile``), how to read raw HTML form strings (``parse_html``), the meaning checks that
a JSON Schema cannot express (``meaning_problems``) and the problem code each failing
JSON Schema keyword of its value stands for (``error_code``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from jsonschema import ValidationError

from builder.fields.values import pointer, value_validator
from core.errors import Problem


class Missing(enum.Enum):
    """The type of ``MISSING``: an input that was left empty."""

    MISSING = "MISSING"


MISSING: Final = Missing.MISSING

#: The keys every valued field may have, besides its type's ``config_schema`` keys.
VALUE_KEYS: Final = ("key", "label", "help", "required", "default")
#: The keys that make a top-level field conditional (never allowed inside a group).
CONDITION_KEYS: Final = ("visibleWhen", "requiredWhenVisible", "requiredWhen")

#: Problem code for each JSON Schema keyword; the types override where they mean more.
KEYWORD_CODES: Final = {
    "required": "required",
    "type": "type",
    "minLength": "minLength",
    "maxLength": "maxLength",
    "pattern": "pattern",
    "enum": "enum",
    "minimum": "minimum",
    "maximum": "maximum",
    "exclusiveMinimum": "exclusiveMinimum",
    "exclusiveMaximum": "exclusiveMaximum",
    "formatMinimum": "minimum",
    "formatMaximum": "maximum",
    "minItems": "minItems",
    "maxItems": "maxItems",
    "additionalProperties": "unknownField",
}
FORMAT_CODES: Final = {"email": "format.email", "uri": "format.uri", "date": "format.date"}


@dataclass(frozen=True, slots=True)
class MeaningContext:
    """What the meaning checks may know beyond the field: the roles that exist, if known."""

    roles: frozenset[str] | None = None


class FieldType:
    """Base of every field type; the defaults fit a single-string input."""

    name: ClassVar[str]
    has_value: ClassVar[bool] = True
    #: May appear inside a repeatable group.
    in_group: ClassVar[bool] = True
    #: A layout element (``layout`` entries), not an entry of ``fields``.
    layout_only: ClassVar[bool] = False
    #: Accepts a ``placeholder`` TEXT.
    placeholder: ClassVar[bool] = False
    #: JSON Schema of the type-specific definition keys (``properties`` / ``required``).
    config_schema: ClassVar[dict[str, Any]] = {"properties": {}}
    #: Extra constraint on the value when the field is required (a checkbox must be ticked).
    accept_schema: ClassVar[dict[str, Any] | None] = None
    #: Problem codes that replace ``KEYWORD_CODES`` for this type.
    error_codes: ClassVar[dict[str, str]] = {}

    @property
    def macro(self) -> str:
        """Name of the Jinja macro that renders the field."""
        return f"field_{self.name}"

    def definition_schema(self, *, child: bool) -> dict[str, Any]:
        """JSON Schema of a whole field of this type, refs pointing into form.schema.json."""
        common = ["id", "type", "help"]
        if self.has_value:
            common += VALUE_KEYS
        if self.placeholder:
            common.append("placeholder")
        if not child:
            common += CONDITION_KEYS if self.has_value else ("visibleWhen",)
        if not self.has_value:
            common.append("label")
        properties = {key: {"$ref": f"#/$defs/fieldCommon/properties/{key}"} for key in common}
        properties["type"] = {"const": self.name}
        properties.update(self.config_schema["properties"])
        required = ["id", "type", *(("key", "label") if self.has_value else ())]
        return {
            "type": "object",
            "required": required + list(self.config_schema.get("required", [])),
            "properties": properties,
            "additionalProperties": False,
        }

    def compile(self, field: Mapping[str, Any]) -> dict[str, Any]:
        """JSON Schema of the field's value; a field without a value accepts none."""
        return {"not": {}}

    def parse_html(self, field: Mapping[str, Any], values: list[str]) -> Any:
        """The typed value of the raw strings posted for the field, or ``MISSING``."""
        return values[0] if values and values[0] != "" else MISSING

    def parse_form(self, field: Mapping[str, Any], form: Mapping[str, list[str]]) -> Any:
        """The typed value of the field read from a whole posted HTML form."""
        return self.parse_html(field, list(form.get(field["key"], [])))

    def meaning_problems(
        self, field: Mapping[str, Any], where: str, ctx: MeaningContext
    ) -> list[Problem]:
        """Problems a JSON Schema cannot see; the base checks that the default is valid."""
        if "default" not in field or not self.has_value:
            return []
        if value_validator(self.compile(field)).is_valid(field["default"]):
            return []
        return [
            Problem(
                pointer(where, "default"), "invalidDefault", "Not a valid value for this field."
            )
        ]

    def error_code(self, field: Mapping[str, Any], error: ValidationError) -> str:
        """The problem code for a JSON Schema error on this field's value."""
        keyword = str(error.validator)
        if keyword == "format":
            return FORMAT_CODES.get(str(error.validator_value), "invalid")
        return self.error_codes.get(keyword) or KEYWORD_CODES.get(keyword, "invalid")


FIELD_TYPES: dict[str, FieldType] = {}


def register(cls: type[FieldType]) -> type[FieldType]:
    """Class decorator: make the field type available under its ``name``."""
    FIELD_TYPES[cls.name] = cls()
    return cls


def get_field_type(name: str) -> FieldType | None:
    """The registered field type called ``name``, or ``None``."""
    return FIELD_TYPES.get(name)


def required_value_schema(field_type: FieldType, key: str) -> dict[str, Any]:
    """The schema that makes ``key`` required (and, for a checkbox, ticked)."""
    schema: dict[str, Any] = {"required": [key]}
    if field_type.accept_schema:
        schema["properties"] = {key: field_type.accept_schema}
    return schema


def compile_object(fields: list[Mapping[str, Any]]) -> dict[str, Any]:
    """JSON Schema of an object holding the values of ``fields`` (no conditions)."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in fields:
        field_type = FIELD_TYPES[field["type"]]
        if not field_type.has_value:
            continue
        schema = field_type.compile(field)
        always = field.get("required") or field.get("requiredWhenVisible")
        if always and "visibleWhen" not in field:
            required.append(field["key"])
            schema = {**schema, **(field_type.accept_schema or {})}
        properties[field["key"]] = schema
    result: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        result["required"] = required
    return result


def range_problems(rules: Mapping[str, Any], where: str, low: str, high: str) -> list[Problem]:
    """A problem when ``rules[low] > rules[high]`` (both present)."""
    if low in rules and high in rules and rules[low] > rules[high]:
        return [
            Problem(
                pointer(where, high),
                "invalidRange",
                f"'{high}' must not be less than '{low}'.",
            )
        ]
    return []


#: A repeated group that itself repeats something, e.g. ``(a+)+`` or ``(\w+\s?)*``: the
#: shape behind catastrophic backtracking, which would let one requester stall a worker.
NESTED_REPEAT = re.compile(
    r"\((?:[^()\\]|\\.)*(?:[+*]|\{\d*,\d*\})(?:[^()\\]|\\.)*\)(?:[+*]|\{\d*,\d*\})"
)


def pattern_problems(pattern: str, where: str) -> list[Problem]:
    """A problem when ``pattern`` does not compile, or repeats a repeated group."""
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError, ValueError) as exc:
        return [Problem(where, "invalidPattern", f"Not a valid regular expression: {exc}.")]
    if NESTED_REPEAT.search(pattern):
        return [Problem(where, "slowPattern", "A repeated group that repeats again inside, "
                        "such as (a+)+, can take exponential time to check; simplify it.")]
    return []
