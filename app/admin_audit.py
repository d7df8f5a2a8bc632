"""The audit trail for admins: /admin/audit with filters, cursor pages and a CSV export.

Filters: who (an email), entity type, entity id, action, date range (days, UTC). The CSV
is streamed in batches and safe to open in a spreadsheet: a cell that starts with
``= + - @`` (or a tab / carriage return) gets a leading apostrophe so that it is shown as
text, never run as a formula (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, Flask, Response, render_template, request, stream_with_context
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth import require_roles
from app.db import db
from app.extensions import current_language
from core.people import Role, User, get_user_by_email
from runtime.audit import (
    Action,
    AuditEntry,
    AuditFilter,
    audited_entities,
    iter_entries,
    list_entries,
)

bp = Blueprint("admin_audit", __name__, url_prefix="/admin/audit")
PAGE_SIZE = 50
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text (formula-looking values get a quote)."""
    text = "" if value is None else value if isinstance(value, str) else json.dumps(
        value, ensure_ascii=False, sort_keys=True)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _filters() -> tuple[AuditFilter, dict[str, Any], list[str]]:
    """The filter from the query string, the values to show back, and what was ignored."""
    args = request.args
    problems: list[str] = []
    shown = {k: (args.get(k) or "").strip()[:200] for k in
             ("who", "entity", "id", "action", "from", "to")}
    actor_id: int | None = None
    if shown["who"]:
        user = get_user_by_email(session=db(), email=shown["who"])
        if user is None:
            problems.append(_("No user with the email %(email)s.", email=shown["who"]))
            actor_id = -1  # nobody: an empty result, not everything
        else:
            actor_id = user.id
    entity = shown["entity"] if shown["entity"] in audited_entities() else None
    action = shown["action"] if shown["action"] in set(Action) else None
    since, until = _day(shown["from"]), _day(shown["to"])
    for key, parsed in (("from", since), ("to", until)):
        if shown[key] and parsed is None:
            problems.append(_("Dates are written YYYY-MM-DD."))
            shown[key] = ""
    where = AuditFilter(
        actor_id=actor_id, entity=entity, entity_id=shown["id"] or None, action=action,
        since=datetime.combine(since, time(), UTC) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(), UTC) if until else None)
    return where, shown, problems


def _actors(entries: Iterable[AuditEntry]) -> dict[int, str]:
    ids = {e.actor_id for e in entries} - {None}
    if not ids:
        return {}
    return dict(db().execute(select(User.id, User.email).where(User.id.in_(ids))).all())


@bp.get("")
@require_roles(Role.ADMIN)
def index() -> Any:
    """Entries newest first, filtered, one page at a time."""
    where, shown, problems = _filters()
    cursor = request.args.get("cursor", type=int)
    page = list_entries(session=db(), where=where, cursor=cursor if cursor and cursor > 0
                        else None, limit=PAGE_SIZE)
    return render_template(
        "admin/audit.html", page=page, shown=shown, problems=problems,
        entities=audited_entities(), actions=list(Action), actors=_actors(page.entries),
        lang=current_language(), cursor=cursor)


@bp.get("/export.csv")
@require_roles(Role.ADMIN)
def export() -> Response:
    """Every matching entry as CSV, streamed."""
    where, _shown, _problems = _filters()
    session = db()

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "at", "actor", "entity", "entity_id", "action", "before",
                         "after"])
        batch: list[AuditEntry] = []
        try:
            for entry in iter_entries(session=session, where=where):
                batch.append(entry)
                if len(batch) >= 500:
                    yield _flush(writer, buffer, batch, session)
                    batch = []
            yield _flush(writer, buffer, batch, session)
        finally:
            # the request's teardown closed the session before the body was streamed; the
            # reads above began a new transaction that nothing else would end
            session.close()

    filename = f"audit-{datetime.now(UTC):%Y%m%d-%H%M%S}.csv"
    return Response(stream_with_context(rows()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _flush(writer: Any, buffer: io.StringIO, batch: list[AuditEntry], session: Any) -> str:
    ids = {e.actor_id for e in batch} - {None}
    emails = dict(session.execute(select(User.id, User.email).where(User.id.in_(ids))).all()) \
        if ids else {}
    for e in batch:
        writer.writerow([safe_cell(v) for v in (
            e.id, e.at.isoformat(), emails.get(e.actor_id, "system" if e.actor_id is None
                                               else e.actor_id),
            e.entity, e.entity_id, e.action, e.before, e.after)])
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def register(app: Flask) -> None:
    """Register the audit pages."""
    app.register_blueprint(bp)
