"""Calendar inputs: date and datetime (local time, no zone)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from builder.fields.base import FieldType, MeaningContext, range_problems, register
from builder.fields.values import is_date, pointer
from core.errors import Problem

DATETIME_PATTERN = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
)
_DATE_STRING = {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}


@register
class DateType(FieldType):
    """A calendar date ``YYYY-MM-DD``, optionally within limits."""

    name = "date"
    config_schema = {
        "properties": {
            "validate": {
                "type": "object",
                "properties": {"min": _DATE_STRING, "max": _DATE_STRING},
                "additionalProperties": False,
            }
        }
    }

    def compile(self, field: Mapping[str, Any]) -> dict[str, Any]:
        """A ``date`` string; limits use ajv-formats' ``formatMinimum`` / ``formatMaximum``."""
        rules = field.get("validate", {})
        schema: dict[str, Any] = {"type": "string", "format": "date"}
        if "min" in rules:
            schema["formatMinimum"] = rules["min"]
        if "max" in rules:
            schema["formatMaximum"] = rules["max"]
        return schema

    def meaning_problems(
        self, field: Mapping[str, Any], where: str, ctx: MeaningContext
    ) -> list[Problem]:
        """Limits are real dates and in order; the default is valid."""
        rules = field.get("validate", {})
        problems = [
            Problem(pointer(where, "validate", limit), "invalidDate", "Not a real date.")
            for limit in ("min", "max")
            if limit in rules and not is_date(rules[limit])
        ]
        problems = problems or range_problems(rules, pointer(where, "validate"), "min", "max")
        return problems + super().meaning_problems(field, where, ctx)


@register
class DateTimeType(FieldType):
    """A local date and time ``YYYY-MM-DDTHH:MM`` (optional ``:SS``), as datetime-local posts."""

    name = "datetime"
    error_codes = {"pattern": "format.datetime"}

    def compile(self, field: Mapping[str, Any]) -> dict[str, Any]:
        """A string matching the local date-time pattern."""
        return {"type": "string", "pattern": DATETIME_PATTERN}
