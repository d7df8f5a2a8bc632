"""What the templates need besides Flask's own globals: built assets and small view helpers.

- ``vite_asset(entry)`` turns a Vite entry (``src/form-live.ts``) into its ``<script>`` (and
  ``<link>`` for CSS) tags by reading ``app/static/dist/.vite/manifest.json``, which
  ``npm run build --prefix frontend`` writes. The manifest is read once and re-read only when
  the file changes; without it (frontend not built) the tag is left out and a warning is
  logged: every page still works, forms just are not live.
- ``localized(text, lang)`` picks a definition text in the page language.
- ``visible_ids(definition, values)`` / ``visible_keys(...)``: the server's visibility rule
  (builder.conditions); templates use the ids, which static fields have too.
- ``lang`` (context) is the request's language tag (``en`` or ``zh-CN``).
- Filters: ``paragraphs`` (plain text split on blank lines), ``filesize``, ``translate``
  (a fixed English text such as an error title, in the page language).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from flask import Flask, current_app, url_for
from flask_babel import format_decimal, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.extensions import current_language
from builder.conditions import visible_ids, visible_keys
from builder.forms.definition import display_sections
from builder.forms.texts import localized

log = logging.getLogger(__name__)

#: Where ``vite build`` writes its manifest, relative to the static folder.
MANIFEST = Path("dist") / ".vite" / "manifest.json"

#: Error titles and descriptions that reach error.html in English (core.errors titles and
#: werkzeug's), listed here so that extraction puts them into the catalog.
KNOWN_TEXTS = (
    _l("Error"),
    _l("Not found"),
    _l("Forbidden"),
    _l("Conflict"),
    _l("Too large"),
    _l("Illegal transition"),
    _l("Invalid definition"),
    _l("Invalid submission"),
    _l("Bad Request"),
    _l("Unauthorized"),
    _l("Not Found"),
    _l("Method Not Allowed"),
    _l("Request Entity Too Large"),
    _l("Unprocessable Entity"),
    _l("Too Many Requests"),
    _l("Internal Server Error"),
    _l("Service Unavailable"),
    _l(
        "The requested URL was not found on the server. If you entered the URL manually "
        "please check your spelling and try again."
    ),
    _l("The method is not allowed for the requested URL."),
    _l(
        "The server encountered an internal error and was unable to complete your request. "
        "Either the server is overloaded or there is an error in the application."
    ),
    _l("The CSRF token is missing."),
    _l("The CSRF token has expired."),
    _l("The CSRF token is invalid."),
    _l("The CSRF session token is missing."),
    _l("The CSRF tokens do not match."),
)


def translate(text: str | None) -> str:
    """``text`` in the page language when the catalog has it; a plain (escaped) str."""
    return gettext(text) if text else ""


class ViteManifest:
    """The parsed Vite manifest, reloaded when the file's modification time changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mtime: float | None = None
        self._entries: dict[str, Any] = {}
        self._warned = False

    def entries(self) -> dict[str, Any]:
        """The manifest's chunks by source path; empty (with one warning) when not built."""
        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            if not self._warned:
                log.warning(
                    "no Vite manifest at %s: run `npm ci --prefix frontend && "
                    "npm run build --prefix frontend`",
                    self.path,
                )
                self._warned = True
            return {}
        if mtime != self._mtime:
            try:
                self._entries = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                log.warning("unreadable Vite manifest at %s", self.path)
                self._entries = {}
            self._mtime = mtime
        return self._entries

    def tags(self, entry: str) -> Markup:
        """The ``<link>`` and ``<script type="module">`` tags that load ``entry``."""
        chunks = self.entries()
        chunk = chunks.get(entry)
        if chunk is None:
            if chunks:
                log.warning("Vite manifest has no entry %r", entry)
            return Markup("")
        parts: list[str] = []
        for css in chunk.get("css", []):
            parts.append(f'<link rel="stylesheet" href="{escape(_dist_url(css))}">')
        for name in chunk.get("imports", []):
            imported = chunks.get(name, {})
            if "file" in imported:
                parts.append(
                    f'<link rel="modulepreload" href="{escape(_dist_url(imported["file"]))}">'
                )
        parts.append(f'<script type="module" src="{escape(_dist_url(chunk["file"]))}"></script>')
        return Markup("\n".join(parts))


def _dist_url(file: str) -> str:
    return url_for("static", filename=f"dist/{file}")


def paragraphs(text: str) -> list[str]:
    """Plain text split on blank lines, without empty paragraphs."""
    return [p.strip() for p in re.split(r"\r?\n\s*\r?\n", text or "") if p.strip()]


def filesize(size: int | None) -> str:
    """A byte count for people: 512 B, 12.5 KB, 3.2 MB."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            pattern = "#,##0" if unit == "B" else "#,##0.#"
            return f"{format_decimal(value, format=pattern)} {unit}"
        value /= 1024
    return str(size)  # pragma: no cover


def init_assets(app: Flask) -> None:
    """Register the asset tags, text helpers and the page language for every template."""
    manifest = ViteManifest(Path(app.static_folder or "static") / MANIFEST)
    app.extensions["docket_vite"] = manifest

    def vite_asset(entry: str) -> Markup:
        """Script tags for a Vite entry, e.g. ``vite_asset('src/form-live.ts')``."""
        return current_app.extensions["docket_vite"].tags(entry)

    app.jinja_env.globals.update(
        vite_asset=vite_asset,
        localized=localized,
        display_sections=display_sections,
        visible_ids=visible_ids,
        visible_keys=visible_keys,
    )
    app.jinja_env.filters.update(paragraphs=paragraphs, filesize=filesize, translate=translate)

    @app.context_processor
    def _language() -> dict[str, Any]:
        return {"lang": current_language()}
