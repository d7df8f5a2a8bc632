"""The repeatable group: rows of child fields, posted as ``<key>-<index>-<child>``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from builder.fields.base import (
    FIELD_TYPES,
    MISSING,
    FieldType,
    MeaningContext,
    compile_object,
    range_problems,
    register,
)
from builder.fields.values import pointer
from core.errors import Problem


@register
class GroupType(FieldType):
    """A list of rows; each row holds the values of the child fields."""

    name = "group"
    in_group = False
    config_schema = {
        "properties": {
            "fields": {
                "type": "array",
                "minItems": 1,
                "maxItems": 50,
                "items": {"$ref": "#/$defs/childField"},
            },
            "validate": {
                "type": "object",
                "properties": {
                    "minItems": {"$ref": "#/$defs/count"},
                    "maxItems": {"$ref": "#/$defs/count"},
                },
                "additionalProperties": False,
            },
            "addLabel": {"$ref": "#/$defs/text"},
        },
        "required": ["fields"],
    }

    def compile(self, field: Mapping[str, Any]) -> dict[str, Any]:
        """An array of row objects within the row limits."""
        schema: dict[str, Any] = {"type": "array", "items": compile_object(field["fields"])}
        schema.update(
            (key, value)
            for key, value in field.get("validate", {}).items()
            if key in ("minItems", "maxItems")
        )
        return schema

    def parse_html(self, field: Mapping[str, Any], values: list[str]) -> Any:
        """A group has no input of its own; its rows come through ``parse_form``."""
        return MISSING

    def parse_form(self, field: Mapping[str, Any], form: Mapping[str, list[str]]) -> Any:
        """Rows ordered by their posted index (gaps allowed); rows left blank are dropped."""
        name = re.compile(re.escape(field["key"]) + r"-([0-9]{1,6})-([a-z][a-z0-9_]{0,63})")
        posted: dict[int, dict[str, list[str]]] = {}
        for form_key, values in form.items():
            match = name.fullmatch(form_key)
            if match:
                posted.setdefault(int(match[1]), {})[match[2]] = list(values)
        rows = []
        for index in sorted(posted):
            row = {}
            for child in field["fields"]:
                child_type = FIELD_TYPES[child["type"]]
                if child_type.has_value:
                    value = child_type.parse_form(child, posted[index])
                    if value is not MISSING:
                        row[child["key"]] = value
            if row:
                rows.append(row)
        return rows or MISSING

    def meaning_problems(
        self, field: Mapping[str, Any], where: str, ctx: MeaningContext
    ) -> list[Problem]:
        """Row limits in order, every child's own checks, a valid default."""
        problems = range_problems(
            field.get("validate", {}), pointer(where, "validate"), "minItems", "maxItems"
        )
        for index, child in enumerate(field["fields"]):
            problems += FIELD_TYPES[child["type"]].meaning_problems(
                child, pointer(where, "fields", index), ctx
            )
        return problems or super().meaning_problems(field, where, ctx)
