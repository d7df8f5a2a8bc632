"""Readable explanations of condition fragments, for branch records and simulations.

``describe`` turns the builder's operator fragments (form-format.md) back into text such
as ``amount > 1000``; anything it does not recognise makes it return None, and callers
fall back to a generic sentence.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

_MISSING = object()

_COMPARISONS = {
    "const": "=",
    "exclusiveMinimum": ">",
    "exclusiveMaximum": "<",
    "minimum": ">=",
    "maximum": "<=",
}


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _describe_value(path: str, schema: Any, paths: list[str]) -> str | None:
    """Text for a property schema applied to the value at ``path``."""
    if not isinstance(schema, dict) or not schema:
        return None
    if "properties" in schema:
        return describe(schema, paths, prefix=f"{path}.")
    parts = []
    for keyword, value in schema.items():
        if keyword in _COMPARISONS:
            parts.append(f"{path} {_COMPARISONS[keyword]} {_show(value)}")
        elif keyword == "enum" and isinstance(value, list):
            parts.append(f"{path} in [{', '.join(map(_show, value))}]")
        elif keyword == "pattern":
            parts.append(f"{path} matches /{value}/")
        elif keyword == "contains" and isinstance(value, dict) and "const" in value:
            parts.append(f"{path} contains {_show(value['const'])}")
        elif keyword == "not" and isinstance(value, dict) and set(value) == {"const"}:
            parts.append(f"{path} != {_show(value['const'])}")
        else:
            return None
    if path not in paths:
        paths.append(path)
    return " and ".join(parts)


def _join(texts: list[str | None], word: str) -> str | None:
    if any(text is None for text in texts) or not texts:
        return None
    if len(texts) == 1:
        return texts[0]
    return f" {word} ".join(f"({text})" if " " in str(text) else str(text) for text in texts)


def describe(condition: Any, paths: list[str] | None = None, prefix: str = "") -> str | None:
    """A readable text for ``condition`` (collecting the data paths it names), or None."""
    paths = [] if paths is None else paths
    if not isinstance(condition, dict) or not condition:
        return None
    properties = condition.get("properties", {})
    texts: list[str | None] = [
        _describe_value(prefix + name, schema, paths) for name, schema in properties.items()
    ]
    for name in condition.get("required", []):
        if name not in properties:
            texts.append(f"{prefix}{name} is not empty")
            paths.append(prefix + name)
    for keyword, word in (("allOf", "and"), ("anyOf", "or")):
        if keyword in condition:
            texts.append(_join([describe(sub, paths, prefix) for sub in condition[keyword]], word))
    if "oneOf" in condition:
        inner = _join([describe(sub, paths, prefix) for sub in condition["oneOf"]], "or")
        texts.append(None if inner is None else f"exactly one of ({inner})")
    if "not" in condition:
        negated = condition["not"]
        if isinstance(negated, dict) and set(negated) == {"required"}:
            names = negated["required"]
            paths.extend(prefix + name for name in names)
            texts.append(" and ".join(f"{prefix}{name} is empty" for name in names))
        else:
            inner_text = describe(negated, paths, prefix)
            texts.append(None if inner_text is None else f"not ({inner_text})")
    unknown = set(condition) - {"properties", "required", "allOf", "anyOf", "oneOf", "not"}
    return None if unknown else _join(texts, "and")


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def values_text(data: Mapping[str, Any], paths: list[str]) -> str:
    """``amount = 1500, level is empty`` for the ``paths`` of ``data``."""
    shown = []
    for path in dict.fromkeys(paths):
        value = _lookup(data, path)
        shown.append(f"{path} is empty" if value is _MISSING else f"{path} = {_show(value)}")
    return ", ".join(shown)


def explain(condition: Any, data: Mapping[str, Any], matched: bool) -> str:
    """``amount > 1000 matched (amount = 1500)``, or a generic sentence."""
    verdict = "matched" if matched else "did not match"
    paths: list[str] = []
    text = describe(condition, paths)
    if text is None:
        return f"condition {verdict}"
    values = values_text(data, paths)
    return f"{text} {verdict} ({values})" if values else f"{text} {verdict}"
