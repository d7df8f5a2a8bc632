"""ISO 8601 durations (``PT4H``, ``P2D``, ``P1DT12H``, ``P1W``) and RFC 3339 dates."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from core.errors import IllegalTransition

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """The ``timedelta`` of an ISO 8601 duration without years or months."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise IllegalTransition(f"not a supported ISO 8601 duration: {text!r}")
    parts = {name: float(value) for name, value in match.groupdict().items() if value}
    return timedelta(**parts)


def parse_date(text: object) -> datetime | None:
    """The aware datetime of an RFC 3339 date-time or a date (midnight UTC), or None."""
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        # A bare date or a local time names no zone: UTC, like the rest of the engine.
        value = value.replace(tzinfo=UTC)
    return value
