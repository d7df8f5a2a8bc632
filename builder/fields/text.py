"""Single-string inputs: text, textarea, email, phone, url."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from builder.fields.base import (
    FieldType,
    MeaningContext,
    pattern_problems,
    range_problems,
    register,
)
from builder.fields.values import pointer
from core.errors import Problem

PHONE_PATTERN = r"^\+?[0-9 ()./-]{5,30}$"
URL_PATTERN = r"^https?://"

_LENGTHS = {"minLength": {"$ref": "#/$defs/count"}, "maxLength": {"$ref": "#/$defs/count"}}


class _LengthLimited(FieldType):
    """A free-text input with a default and optional explicit length limits."""

    placeholder = True
    default_max_length: ClassVar[int]

    def compile(self, field: Mapping[str, Any]) -> dict[str, Any]:
        """A string within ``validate.minLength`` / ``maxLength`` (and ``pattern``)."""
        rules = field.get("validate", {})
        schema: dict[str, Any] = {
            "type": "string",
            "maxLength": rules.get("maxLength", self.default_max_length),
        }
        if "minLength" in rules:
            schema["minLength"] = rules["minLength"]
        if "pattern" in rules:
            schema["pattern"] = rules["pattern"]
        return schema

    def meaning_problems(
        self, field: Mapping[str, Any], where: str, ctx: MeaningContext
    ) -> list[Problem]:
        """Length limits in order, a pattern that compiles, a valid default."""
        rules = field.get("validate", {})
        problems = range_problems(rules, pointer(where, "validate"), "minLength", "maxLength")
        if "pattern" in rules:
            problems += pattern_problems(rules["pattern"], pointer(where, "validate", "pattern"))
        # A default is checked against the pattern only once the pattern compiles.
        return problems or super().meaning_problems(field, where, ctx)


@register
class TextType(_LengthLimited):
    """One line of text, optionally matching a pattern."""

    name = "text"
    default_max_length = 200
    config_schema = {
        "properties": {
            "validate": {
                "type": "object",
                "properties": {
                    **_LENGTHS,
                    "pattern": {"type": "string", "minLength": 1, "maxLength": 1000},
                    "patternMessage": {"$ref": "#/$defs/text"},
                },
                "additionalProperties": False,
            }
        }
    }


@register
class TextareaType(_LengthLimited):
    """Several lines of text."""

    name = "textarea"
    default_max_length = 10000
    config_schema = {
        "properties": {
            "validate": {"type": "object", "properties": _LENGTHS, "additionalProperties": False},
            "rows": {"type": "integer", "minimum": 1, "maximum": 50},
        }
    }


@register
class EmailType(FieldType):
    """An email address."""

    name = "email"
    placeholder = True

    def compile(self, field: Mapping[str, Any]) -> dict[str, Any]:
        """A string in the ``email`` format."""
        return {"type": "string", "format": "email", "maxLength": 254}


@register
class PhoneType(FieldType):
    """A phone number: digits with the usual punctuation."""

    name = "phone"
    placeholder = True
    error_codes = {"pattern": "format.phone"}

    def compile(self, field: Mapping[str, Any]) -> dict[str, Any]:
        """A string matching the phone pattern."""
        return {"type": "string", "pattern": PHONE_PATTERN}


@register
class UrlType(FieldType):
    """An http(s) URL."""

    name = "url"
    placeholder = True
    error_codes = {"pattern": "format.uri"}

    def compile(self, field: Mapping[str, Any]) -> dict[str, Any]:
        """A string in the ``uri`` format that starts with http:// or https://."""
        return {"type": "string", "format": "uri", "pattern": URL_PATTERN, "maxLength": 2000}
