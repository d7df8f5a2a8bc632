"""ISO 8601 durations (``PT4H``, ``P2D``, ``P1DT12H``, ``P1W``) and RFC 3339 dates.

The grammar is the engine's (runtime/engine/durations.py): weeks, days, hours, minutes and
seconds; no years or months, whose length depends on the calendar.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d{1,6})W)?(?:(?P<days>\d{1,6})D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d{1,6})H)?(?:(?P<minutes>\d{1,6})M)?"
    r"(?:(?P<seconds>\d{1,9}(?:\.\d{1,6})?)S)?)?$"
)


def parse_duration(text: object) -> timedelta | None:
    """The ``timedelta`` of an ISO 8601 duration, or None when ``text`` is not one."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    parts = {name: float(value) for name, value in match.groupdict().items() if value}
    try:
        return timedelta(**parts)
    except OverflowError:
        return None


def is_rfc3339(text: object) -> bool:
    """True for an RFC 3339 date (``2026-12-01``) or date-time with a zone."""
    if not isinstance(text, str) or len(text) > 64:
        return False
    try:
        if len(text) == 10:
            date.fromisoformat(text)
            return True
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return value.tzinfo is not None
