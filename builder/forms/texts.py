"""Translatable texts: a plain string, or {locale: string} with English as the fallback."""

from __future__ import annotations

from typing import Any

FALLBACK = "en"


def localized(text: Any, locale: str) -> str:
    """The text in ``locale``, else English, else the first present; '' when absent."""
    if isinstance(text, str):
        return text
    if not isinstance(text, dict) or not text:
        return ""
    for candidate in (locale, FALLBACK):
        value = text.get(candidate)
        if isinstance(value, str) and value:
            return value
    return next((v for v in text.values() if isinstance(v, str)), "")
