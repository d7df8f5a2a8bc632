"""What of a draft the designer's preview can draw.

The preview renders drafts with the portal's own templates, but a draft may be incomplete
or wrong in any way JSON allows, and those templates expect a published (valid) definition.
``renderable`` keeps everything they can draw and leaves out the rest: entries that are not
objects, texts that are not texts, numbers that are not numbers, options without a value,
duplicate ids and keys, conditions that do not check. ``validate_definition`` still reports
every problem; the preview shows them next to the form. Pure: values in, values out.
"""

from __future__ import annotations

import re
from typing import Any

from builder.conditions import check_condition, referenced_keys
from builder.fields import FIELD_TYPES
from builder.fields.values import find_unsafe_value
from builder.forms.definition import MAX_DEPTH, MAX_NODES

KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
TEXTS = ("label", "help", "placeholder", "unit", "text", "addLabel")
FLAGS = ("required", "requiredWhenVisible")
#: Numbers the field templates compute with (``range``, ``max``): integers only.
VALIDATE_INTEGERS = ("minLength", "maxLength", "maxFiles", "maxSize", "minItems", "maxItems")
VALIDATE_NUMBERS = ("min", "max")
CONDITIONS = ("visibleWhen", "requiredWhen")


def _is_text(value: Any) -> bool:
    return isinstance(value, str) or (
        isinstance(value, dict) and all(isinstance(v, str) for v in value.values()))


def _is_int(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def _validate(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        return {}
    kept: dict[str, Any] = {}
    for name in VALIDATE_INTEGERS:
        if _is_int(raw.get(name), 0, 2**40):
            kept[name] = raw[name]
    for name in VALIDATE_NUMBERS:
        value = raw.get(name)
        if _is_scalar(value) and not isinstance(value, bool):
            kept[name] = value  # numbers, or dates as text for date fields
    if raw.get("integer") is True:
        kept["integer"] = True
    accept = raw.get("accept")
    if isinstance(accept, list) and all(isinstance(a, str) for a in accept):
        kept["accept"] = accept
    for name in ("pattern", "patternMessage"):
        if _is_text(raw.get(name)):
            kept[name] = raw[name]
    return kept


def _options(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        return []
    options = []
    for option in raw:
        if isinstance(option, dict) and _is_scalar(option.get("value")):
            kept = {"value": option["value"]}
            if _is_text(option.get("label")):
                kept["label"] = option["label"]
            options.append(kept)
    return options


def _default(field_type: str, value: Any) -> bool:
    if field_type in ("group", "file"):
        return False
    return _is_scalar(value) or (isinstance(value, list) and all(map(_is_scalar, value)))


def _fields(raw: Any, *, child: bool) -> list[dict[str, Any]]:
    """The drawable fields of a ``fields`` list, with unique ids and keys."""
    if not isinstance(raw, list):
        return []
    fields: list[dict[str, Any]] = []
    ids: set[str] = set()
    keys: set[str] = set()
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            continue
        field_id = item.get("id")
        if not isinstance(field_id, str) or not field_id or field_id in ids:
            field_id = f"_field{index}"
        ids.add(field_id)
        field_type = str(item["type"]) if item.get("type") in FIELD_TYPES else "text"
        if child and field_type in ("group", "static", "file"):
            continue
        field: dict[str, Any] = {"id": field_id, "type": field_type}
        key = item.get("key")
        if isinstance(key, str) and KEY.match(key) and key not in keys and field_type != "static":
            field["key"] = key
            keys.add(key)
        for name in TEXTS:
            if _is_text(item.get(name)):
                field[name] = item[name]
        for name in FLAGS:
            if item.get(name) is True:
                field[name] = True
        if "options" in item:
            field["options"] = _options(item["options"])
        if "validate" in item:
            field["validate"] = _validate(item["validate"])
        if _is_int(item.get("max"), 1, 10):
            field["max"] = item["max"]
        if _is_int(item.get("rows"), 1, 40):
            field["rows"] = item["rows"]
        if isinstance(item.get("role"), str):
            field["role"] = item["role"]
        if "default" in item and _default(field_type, item["default"]):
            field["default"] = item["default"]
        if field_type == "group":
            field["fields"] = _fields(item.get("fields"), child=True)
        for name in CONDITIONS:
            if name in item and not child:
                field[name] = item[name]
        fields.append(field)
    return fields


def _layout(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        return []
    sections = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or item.get("type") != "section":
            continue
        section_id = item.get("id")
        section: dict[str, Any] = {
            "type": "section",
            "id": section_id if isinstance(section_id, str) and section_id else f"_section{index}",
            "children": [c for c in item.get("children") or [] if isinstance(c, str)]
            if isinstance(item.get("children"), list) else [],
        }
        for name in ("title", "description"):
            if _is_text(item.get(name)):
                section[name] = item[name]
        sections.append(section)
    return sections


def renderable(definition: Any) -> dict[str, Any]:
    """The part of a (draft) definition the form templates can draw; never raises."""
    if not isinstance(definition, dict) or find_unsafe_value(definition, MAX_DEPTH, MAX_NODES):
        return {"formatVersion": 1, "fields": [], "layout": []}
    fields = _fields(definition.get("fields"), child=False)
    valued = {f["key"] for f in fields if "key" in f}
    for index, field in enumerate(fields):
        for name in CONDITIONS:
            if name in field and (
                check_condition(field[name], f"/fields/{index}/{name}", valued)
                or field.get("key") in referenced_keys(field[name])
            ):
                del field[name]  # shown (or optional) as if it had no condition
    result: dict[str, Any] = {"formatVersion": 1, "fields": fields,
                              "layout": _layout(definition.get("layout"))}
    if isinstance(definition.get("key"), str):
        result["key"] = definition["key"]
    for name in ("title", "description"):
        if _is_text(definition.get(name)):
            result[name] = definition[name]
    return result

