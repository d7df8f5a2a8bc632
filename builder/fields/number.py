"""Numeric inputs: number and rating."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from jsonschema import ValidationError

from builder.fields.base import MISSING, FieldType, MeaningContext, range_problems, register
from builder.fields.values import pointer
from core.errors import Problem

_NUMBER_RE = re.compile(r"^[+-]?([0-9]{1,30}\.?[0-9]{0,30}|\.[0-9]{1,30})([eE][+-]?[0-9]{1,3})?$")

#: ``validate`` keys of a number and the JSON Schema keywords they compile to.
_LIMITS = {
    "min": "minimum",
    "max": "maximum",
    "exclusiveMin": "exclusiveMinimum",
    "exclusiveMax": "exclusiveMaximum",
}


def parse_number(values: list[str]) -> Any:
    """An int or float from the first posted string; a malformed one stays a string."""
    if not values or values[0].strip() == "":
        return MISSING
    text = values[0].strip()
    if not _NUMBER_RE.match(text):
        return values[0]
    if not any(c in text for c in ".eE"):
        return int(text)
    number = float(text)
    return number if math.isfinite(number) else values[0]


class _Numeric(FieldType):
    """A numeric input: posted strings become numbers; type errors say which kind."""

    def parse_html(self, field: Mapping[str, Any], values: list[str]) -> Any:
        """The posted number, or the raw string when it is not one."""
        return parse_number(values)

    def error_code(self, field: Mapping[str, Any], error: ValidationError) -> str:
        """``integer`` for a fraction where a whole number is due, ``number`` for a non-number."""
        if error.validator == "type":
            is_number = isinstance(error.instance, int | float) and not isinstance(
                error.instance, bool
            )
            return "integer" if is_number else "number"
        return super().error_code(field, error)


@register
class NumberType(_Numeric):
    """A number, optionally whole, within limits."""

    name = "number"
    placeholder = True
    config_schema = {
        "properties": {
            "validate": {
                "type": "object",
                "properties": {
                    "min": {"type": "number"},
                    "max": {"type": "number"},
                    "exclusiveMin": {"type": "number"},
                    "exclusiveMax": {"type": "number"},
                    "integer": {"type": "boolean"},
                },
                "additionalProperties": False,
            },
            "unit": {"$ref": "#/$defs/text"},
        }
    }

    def compile(self, field: Mapping[str, Any]) -> dict[str, Any]:
        """A number (or integer) within the inclusive and exclusive limits."""
        rules = field.get("validate", {})
        schema: dict[str, Any] = {"type": "integer" if rules.get("integer") else "number"}
        schema.update((_LIMITS[name], value) for name, value in rules.items() if name in _LIMITS)
        return schema

    def meaning_problems(
        self, field: Mapping[str, Any], where: str, ctx: MeaningContext
    ) -> list[Problem]:
        """Limits in order and a valid default."""
        at = pointer(where, "validate")
        rules = field.get("validate", {})
        return (
            range_problems(rules, at, "min", "max")
            + range_problems(rules, at, "exclusiveMin", "exclusiveMax")
            + super().meaning_problems(field, where, ctx)
        )


@register
class RatingType(_Numeric):
    """A whole number of stars from 1 to ``max``."""

    name = "rating"
    config_schema = {"properties": {"max": {"type": "integer", "minimum": 3, "maximum": 10}}}

    def compile(self, field: Mapping[str, Any]) -> dict[str, Any]:
        """An integer from 1 to ``max`` (default 5)."""
        return {"type": "integer", "minimum": 1, "maximum": field.get("max", 5)}
