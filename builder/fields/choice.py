"""Inputs that choose among options: select, radio, multiselect; and the checkbox."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from builder.fields.base import MISSING, FieldType, MeaningContext, range_problems, register
from builder.fields.values import pointer
from core.errors import Problem

OPTIONS_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "maxItems": 1000,
    "items": {
        "type": "object",
        "required": ["value", "label"],
        "properties": {
            "value": {"type": "string", "minLength": 1, "maxLength": 200},
            "label": {"$ref": "#/$defs/text"},
        },
        "additionalProperties": False,
    },
}


class _Choice(FieldType):
    """A field whose value is one or more of its option values."""

    config_schema = {"properties": {"options": OPTIONS_SCHEMA}, "required": ["options"]}

    def compile(self, field: Mapping[str, Any]) -> dict[str, Any]:
        """One of the option values."""
        return {"type": "string", "enum": [option["value"] for option in field["options"]]}

    def meaning_problems(
        self, field: Mapping[str, Any], where: str, ctx: MeaningContext
    ) -> list[Problem]:
        """Option values are unique; the default is valid."""
        seen: set[str] = set()
        problems = []
        for index, option in enumerate(field["options"]):
            if option["value"] in seen:
                problems.append(
                    Problem(
                        pointer(where, "options", index, "value"),
                        "duplicateOption",
                        "Another option has the same value.",
                    )
                )
            seen.add(option["value"])
        return problems + super().meaning_problems(field, where, ctx)


@register
class SelectType(_Choice):
    """A drop-down list: one option."""

    name = "select"
    placeholder = True


@register
class RadioType(_Choice):
    """Radio buttons: one option."""

    name = "radio"


@register
class MultiselectType(_Choice):
    """Several distinct options."""

    name = "multiselect"
    config_schema = {
        "properties": {
            "options": OPTIONS_SCHEMA,
            "validate": {
                "type": "object",
                "properties": {
                    "minItems": {"$ref": "#/$defs/count"},
                    "maxItems": {"$ref": "#/$defs/count"},
                },
                "additionalProperties": False,
            },
        },
        "required": ["options"],
    }

    def compile(self, field: Mapping[str, Any]) -> dict[str, Any]:
        """An array of distinct option values within the item limits."""
        schema: dict[str, Any] = {
            "type": "array",
            "items": super().compile(field),
            "uniqueItems": True,
        }
        schema.update(
            (key, value)
            for key, value in field.get("validate", {}).items()
            if key in ("minItems", "maxItems")
        )
        return schema

    def parse_html(self, field: Mapping[str, Any], values: list[str]) -> Any:
        """Every non-empty posted value, in order."""
        chosen = [value for value in values if value != ""]
        return chosen or MISSING

    def meaning_problems(
        self, field: Mapping[str, Any], where: str, ctx: MeaningContext
    ) -> list[Problem]:
        """Item limits in order, plus the choice checks."""
        rules = field.get("validate", {})
        return range_problems(
            rules, pointer(where, "validate"), "minItems", "maxItems"
        ) + super().meaning_problems(field, where, ctx)


@register
class CheckboxType(FieldType):
    """A single tick box; ``required`` means it must be ticked."""

    name = "checkbox"
    accept_schema = {"const": True}
    error_codes = {"const": "mustAccept"}

    def compile(self, field: Mapping[str, Any]) -> dict[str, Any]:
        """A boolean."""
        return {"type": "boolean"}

    def parse_html(self, field: Mapping[str, Any], values: list[str]) -> Any:
        """True when ticked ("on"/"true"), False for "off"/"false"; anything else stays raw."""
        posted = [value.lower() for value in values if value != ""]
        if not posted:
            return MISSING
        if any(value in ("on", "true", "1") for value in posted):
            return True
        if all(value in ("off", "false", "0") for value in posted):
            return False
        return values[-1]
