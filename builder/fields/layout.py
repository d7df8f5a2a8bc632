"""Elements without a value: static text and layout sections."""

from __future__ import annotations

from typing import Any

from builder.fields.base import FieldType, register


@register
class StaticType(FieldType):
    """Text shown on the form (paragraphs split on blank lines)."""

    name = "static"
    has_value = False
    config_schema = {"properties": {"text": {"$ref": "#/$defs/text"}}, "required": ["text"]}


@register
class SectionType(FieldType):
    """A layout section: a titled box holding top-level fields by id, in display order."""

    name = "section"
    has_value = False
    in_group = False
    layout_only = True
    config_schema = {
        "properties": {
            "title": {"$ref": "#/$defs/text"},
            "description": {"$ref": "#/$defs/text"},
            "children": {"type": "array", "maxItems": 500, "items": {"$ref": "#/$defs/id"}},
        },
        "required": ["children"],
    }

    def definition_schema(self, *, child: bool) -> dict[str, Any]:
        """JSON Schema of a ``layout`` entry."""
        return {
            "type": "object",
            "required": ["id", "type", *self.config_schema["required"]],
            "properties": {
                "id": {"$ref": "#/$defs/id"},
                "type": {"const": self.name},
                **self.config_schema["properties"],
            },
            "additionalProperties": False,
        }
