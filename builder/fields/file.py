"""Attachments: references to files uploaded beforehand through the attachments API."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jsonschema import ValidationError

from builder.fields.base import MISSING, FieldType, register

MIME_PATTERN = r"^[a-z0-9.+-]+/([a-z0-9.+-]+|\*)$"


def accept_pattern(accept: list[str]) -> str:
    """A regex (valid in Python and in ECMAScript ``u`` mode) matching the accepted types."""

    def one(mime: str) -> str:
        escaped = mime.replace(".", r"\.").replace("+", r"\+")
        return escaped[:-1] + "[^/]+" if escaped.endswith("/*") else escaped

    return "^(" + "|".join(one(mime) for mime in accept) + ")$"


@register
class FileType(FieldType):
    """Up to ``maxFiles`` uploaded files, each ``{"id", "name", "size", "type"}``."""

    name = "file"
    in_group = False
    config_schema = {
        "properties": {
            "validate": {
                "type": "object",
                "properties": {
                    "maxFiles": {"type": "integer", "minimum": 1, "maximum": 20},
                    "maxSize": {"type": "integer", "minimum": 1},
                    "accept": {
                        "type": "array",
                        "maxItems": 50,
                        "minItems": 1,
                        "items": {"type": "string", "pattern": MIME_PATTERN},
                    },
                },
                "additionalProperties": False,
            }
        }
    }

    def compile(self, field: Mapping[str, Any]) -> dict[str, Any]:
        """An array of attachment references within the count, size and type limits.

        Only ``id`` is required: the runtime fills name, size and type from the stored
        upload (never trusting the client's), and checks them again there.
        """
        rules = field.get("validate", {})
        size: dict[str, Any] = {"type": "integer", "minimum": 0}
        if "maxSize" in rules:
            size["maximum"] = rules["maxSize"]
        mime: dict[str, Any] = {"type": "string", "maxLength": 255}
        if "accept" in rules:
            mime["pattern"] = accept_pattern(rules["accept"])
        reference = {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string", "minLength": 1, "maxLength": 64},
                "name": {"type": "string", "minLength": 1, "maxLength": 255},
                "size": size,
                "type": mime,
            },
            "additionalProperties": False,
        }
        return {"type": "array", "items": reference, "maxItems": rules.get("maxFiles", 1)}

    def parse_html(self, field: Mapping[str, Any], values: list[str]) -> Any:
        """Each posted value is one JSON reference; a malformed one stays a string."""
        references = [_json_or_raw(value) for value in values if value != ""]
        return references or MISSING

    def error_code(self, field: Mapping[str, Any], error: ValidationError) -> str:
        """A disallowed file type is ``invalid`` rather than a text ``pattern`` mismatch."""
        code = super().error_code(field, error)
        return "invalid" if code == "pattern" else code


def _json_or_raw(value: str) -> Any:
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return value
