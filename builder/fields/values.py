"""JSON values as Docket handles them: pointers, canonical text, safety scan, the validator.

Compiled form schemas use JSON Schema 2020-12 plus two keywords from ajv-formats,
``formatMinimum`` and ``formatMaximum``, for date limits (standard JSON Schema cannot compare
dates). ``value_validator`` builds a validator that knows them and checks the formats the
field types emit (``email``, ``uri``, ``date``) with our own rules, so the result does not
depend on which optional format packages are installed.

``rust_validator`` gives the same verdicts with jsonschema-rs, about 50× faster on a typical
form: it checks ``pattern`` with Python's ``re`` and formats and date limits with the
functions here, and is not offered for schemas with keywords the two libraries read
differently. (jsonschema still explains what is wrong: rs has its own messages.)
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from jsonschema.protocols import Validator

DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")

FORMAT_CHECKER = FormatChecker(formats=())


@FORMAT_CHECKER.checks("email")
def _is_email(value: object) -> bool:
    return not isinstance(value, str) or (len(value) <= 254 and bool(EMAIL_RE.match(value)))


@FORMAT_CHECKER.checks("uri")
def _is_http_url(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


@FORMAT_CHECKER.checks("date")
def is_date(value: object) -> bool:
    """True unless ``value`` is a string that is not a real ``YYYY-MM-DD`` date."""
    if not isinstance(value, str):
        return True
    if not DATE_RE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _beyond(instance: Any, limit: Any, below: bool) -> bool:
    """Whether a date string is before (``below``) or after ``limit``; ISO dates order like
    strings, and malformed dates are left to ``format``."""
    if not (isinstance(instance, str) and isinstance(limit, str) and is_date(instance)):
        return False
    return (instance < limit) if below else (instance > limit)


def _format_limit(keyword: str, below: bool) -> Any:
    def check(
        validator: Validator, limit: Any, instance: Any, schema: dict[str, Any]
    ) -> Iterator[ValidationError]:
        if _beyond(instance, limit, below):
            yield ValidationError(f"{keyword} {limit}", validator=keyword, validator_value=limit)

    return check


DocketValidator = validators.extend(
    Draft202012Validator,
    {
        "formatMinimum": _format_limit("formatMinimum", below=True),
        "formatMaximum": _format_limit("formatMaximum", below=False),
    },
)


def value_validator(schema: dict[str, Any]) -> Validator:
    """A validator for field values: 2020-12 plus date limits, formats asserted."""
    return DocketValidator(schema, format_checker=FORMAT_CHECKER)


class _Pattern:
    """``pattern`` as jsonschema checks it: Python's ``re.search`` (Rust's regexes differ)."""

    def __init__(self, _parent: dict[str, Any], value: str, _path: list[Any]) -> None:
        self.search = re.compile(value).search

    def validate(self, instance: Any) -> None:
        if isinstance(instance, str) and not self.search(instance):
            raise ValueError("pattern")


def _rs_format_limit(keyword: str, below: bool) -> type:
    class Limit:
        def __init__(self, _parent: dict[str, Any], value: Any, _path: list[Any]) -> None:
            self.limit = value

        def validate(self, instance: Any) -> None:
            if _beyond(instance, self.limit, below):
                raise ValueError(keyword)

    return Limit


_RS_KEYWORDS = {
    "pattern": _Pattern,
    "formatMinimum": _rs_format_limit("formatMinimum", below=True),
    "formatMaximum": _rs_format_limit("formatMaximum", below=False),
}
#: Keywords jsonschema-rs reads differently (Rust regexes; ``multipleOf`` of decimals rounds
#: the other way, 0.3 is a multiple of 0.1 there) or that Docket's schemas never use.
_NOT_SHARED = frozenset({"patternProperties", "multipleOf", "$dynamicRef", "$dynamicAnchor",
                         "$recursiveRef", "$recursiveAnchor"})


def _keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        yield from node
        for child in node.values():
            yield from _keys(child)
    elif isinstance(node, list):
        for child in node:
            yield from _keys(child)


def rust_validator(
    schema: dict[str, Any], *, docket_formats: bool,
) -> Callable[[Any], bool | None] | None:
    """jsonschema-rs reading ``schema`` the way jsonschema does: ``value_validator``'s formats
    and date limits with ``docket_formats``, else a plain 2020-12 validator's (formats are
    annotations). Its answer is the verdict, or None for a value Rust cannot hold (a lone
    surrogate); it is None itself for a schema with a keyword the two read differently. With
    ``docket_formats`` rs also checks formats Docket leaves alone (``ipv4``, ...), so there
    only its True is final: a False means "ask jsonschema"."""
    if not _NOT_SHARED.isdisjoint(_keys(schema)):
        return None
    try:
        if docket_formats:
            formats = {name: check for name, (check, _raises) in FORMAT_CHECKER.checkers.items()}
            rs = jsonschema_rs.Draft202012Validator(
                schema, formats=formats, validate_formats=True, keywords=_RS_KEYWORDS)
        else:
            rs = jsonschema_rs.Draft202012Validator(
                schema, validate_formats=False, keywords={"pattern": _Pattern})
    except (ValueError, re.error):  # e.g. a pattern Rust's regex syntax does not take
        return None

    def is_valid(value: Any) -> bool | None:
        try:
            return bool(rs.is_valid(value))
        except ValueError:
            return None

    return is_valid


def canonical_json(value: Any) -> str:
    """The canonical JSON text of ``value``: sorted keys, no spaces, UTF-8 characters."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def json_hash(value: Any) -> str:
    """The SHA-256 hex digest of the canonical JSON text of ``value``."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def pointer(base: str, *parts: str | int) -> str:
    """``base`` extended by ``parts`` as a JSON pointer (RFC 6901 escaping)."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "".join([base, *("/" + p for p in escaped)])


#: Messages for the reasons ``find_unsafe_value`` gives.
UNSAFE_MESSAGES = {
    "tooDeep": "Nested too deeply.",
    "notFinite": "Numbers must be finite (no NaN or Infinity).",
    "tooLarge": "Too many values.",
}


def find_unsafe_value(value: Any, max_depth: int, max_nodes: int) -> tuple[str, str] | None:
    """The pointer and reason (``tooDeep``, ``notFinite``, ``tooLarge``) of the first unsafe
    spot, if any.

    Runs without recursion, so it is safe on hostile input; everything that recurses
    (jsonschema, ``json.dumps``) or walks every value runs only on values that pass.
    """
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    counted = 1
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return where, "notFinite"
        if isinstance(item, dict | list):
            if depth > max_depth:
                return where, "tooDeep"
            counted += len(item)
            if counted > max_nodes:
                return where, "tooLarge"
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            stack.extend((child, pointer(where, key), depth + 1) for key, child in pairs)
    return None
