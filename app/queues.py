"""The agent's queue page (/workspace): queues with live counts, filters, search, saved
views and bulk actions.

Everything is a plain GET form or link (filters, search, pages, saved views) or a plain POST
form with a CSRF token (bulk changes, saving and deleting a view), so the page works without
JavaScript; ``queue-keys.ts`` only adds keyboard shortcuts and refreshes the counts from
``/workspace/counts`` every 30 seconds.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from app.api.schemas import TicketListArgsSchema
from app.auth import require_roles
from app.db import db
from app.extensions import current_language
from app.messages import problem_message
from builder.forms.models import Form
from core.errors import DocketError, InvalidSubmission, Problem
from core.people import Role, Team, User
from runtime.tickets import saved_views
from runtime.tickets.bulk import BulkChange, bulk_update
from runtime.tickets.models import Priority, Status
from runtime.tickets.queries import (
    COUNT_CAP,
    OPEN_STATUSES,
    Queue,
    Sort,
    TicketFilters,
    TicketPage,
    list_queue,
    queue_counts,
    viewer_scope,
)
from runtime.tickets.statuses import grouped_statuses

queues = Blueprint("queues", __name__, url_prefix="/workspace")
STAFF = (Role.AGENT, Role.DESIGNER)
#: Parameters that may repeat (any of several values).
MULTI = ("status", "priority", "form")
_SCHEMA = TicketListArgsSchema()


def load_list_args(args: MultiDict[str, str]) -> dict[str, Any]:
    """The page's query parameters, validated like the API's; problems are a 422."""
    raw: dict[str, Any] = {k: (args.getlist(k) if k in MULTI else args.get(k)) for k in args
                           if k in _SCHEMA.fields or k.startswith("field.")}
    any_status = raw.get("status") == ["any"]
    if any_status:
        del raw["status"]
    for item in args.getlist("field"):  # the page's "key=value" box
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidSubmission([Problem("/field", "filter.fieldBox", (
                "Write a field filter as key=value, e.g. category=refund."))])
        raw[f"field.{key.strip()}"] = value.strip()
    try:
        return dict(_SCHEMA.load(raw)) | {"any_status": any_status}
    except ValidationError as exc:
        raise InvalidSubmission([
            Problem(f"/{name}", "filter.invalid", _flatten(message), {"name": name})
            for name, message in sorted(exc.normalized_messages().items())]) from None


def _flatten(message: Any) -> str:
    if isinstance(message, dict):
        return " ".join(_flatten(m) for m in message.values())
    if isinstance(message, list):
        return " ".join(_flatten(m) for m in message)
    return str(message)


def filters_from(args: dict[str, Any], *, default_open: bool) -> TicketFilters:
    """TicketFilters from loaded arguments; without a status the page shows open work
    (``default_open``) and the API every status."""
    statuses: tuple[str, ...] | None = tuple(args.get("status", []))
    if not statuses:
        statuses = OPEN_STATUSES if default_open and not args.get("any_status") else None
    return TicketFilters(
        queue=Queue(args.get("queue", "all")), statuses=statuses,
        priorities=tuple(Priority(p) for p in args.get("priority", [])),
        forms=tuple(args.get("form", [])), team=args.get("team"), assignee=args.get("assignee"),
        fields=tuple(sorted(args.get("fields_", {}).items())), q=args.get("q", ""),
        sort=Sort(args.get("sort", "newest")))


#: The page's own problem codes, in the page language (the API answers the English text).
_MESSAGES = {
    "filter.form": _l("There is no form “%(name)s”."),
    "filter.team": _l("There is no team “%(name)s”."),
    "filter.status": _l("There is no status “%(name)s”."),
    "status.unknown": _l("Choose a status from the list."),
    "filter.assignee": _l("There is no user “%(name)s”."),
    "filter.fieldKey": _l("A field key is letters, digits, - and _."),
    "filter.fieldBox": _l("Write a field filter as key=value, e.g. category=refund."),
    "filter.invalid": _l("The filter “%(name)s” has a value that is not offered."),
    "cursor.invalid": _l("This page link is out of date: start again from the first page."),
    "view.name": _l("Give the view a name."),
    "view.tooMany": _l("You have too many saved views; delete one first."),
    "bulk.none": _l("Select at least one ticket."),
    "bulk.tooMany": _l("Select at most %(limit)s tickets at a time."),
    "bulk.nothing": _l("Choose what to change."),
}


def _message(problem: Problem) -> str:
    template = _MESSAGES.get(problem.code)
    if template is None:
        return problem_message(problem)
    return str(template) % problem.params if "%(" in str(template) else str(template)


def _error_text(exc: DocketError) -> str:
    if isinstance(exc, InvalidSubmission) and exc.problems:
        return " ".join(_message(p) for p in exc.problems)
    return exc.detail or _(exc.title)


def _form_titles(session: Session) -> dict[str, Any]:
    return dict(session.execute(select(Form.key, Form.title).order_by(Form.key)).all())


def _choices(session: Session) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Teams (key, name) and active staff (email, name) for the filter and bulk pickers."""
    teams = [(k, n) for k, n in session.execute(select(Team.key, Team.name).order_by(Team.name))]
    staff = [(e, n) for e, n in session.execute(select(User.email, User.name).where(
        User.active.is_(True), User.role.in_([Role.AGENT.value, Role.ADMIN.value]))
        .order_by(User.name).limit(500))]
    return teams, staff


def _count_text(value: int) -> str:
    return f"{COUNT_CAP:,}+" if value > COUNT_CAP else f"{value:,}"


@queues.get("")
@require_roles(*STAFF)
def index() -> Any:
    """A queue page: the queues with counts, the filters, one page of tickets."""
    session = db()
    scope = viewer_scope(session=session, viewer=current_user)
    error, status = None, 200
    args: dict[str, Any] = {}
    try:
        args = load_list_args(request.args)
        filters = filters_from(args, default_open=True)
        page = list_queue(session=session, scope=scope, filters=filters,
                          cursor=args.get("cursor"), limit=args["limit"])
    except DocketError as exc:
        error, status = _error_text(exc), 422
        filters, page = TicketFilters(queue=Queue(args.get("queue", "all"))), TicketPage([], None)
    counts = queue_counts(session=session, scope=scope)
    teams, staff = _choices(session)
    params = [(k, v) for k in request.args for v in request.args.getlist(k)
              if k not in ("cursor", "view") and v]
    return render_template(
        "workspace/queue.html", page=page, filters=filters, counts=counts, error=error,
        count_text=_count_text, queues=list(Queue), statuses=list(Status),
        status_groups=grouped_statuses(session=session),
        priorities=list(Priority), titles=_form_titles(session), teams=teams, staff=staff,
        views=saved_views.list_views(session=session, user=current_user),
        params=params, query_string=urlencode(params), lang=current_language(),
        field_filters=list(filters.fields), any_status=request.args.get("status") == "any",
    ), status


@queues.get("/counts")
@require_roles(*STAFF)
def counts() -> Any:
    """Open tickets per queue (capped), for the page's refresh every 30 seconds."""
    scope = viewer_scope(session=db(), viewer=current_user)
    found = queue_counts(session=db(), scope=scope)
    return jsonify({q.value: {"count": n, "text": _count_text(n)} for q, n in found.items()})


def _back_query() -> str:
    """The filters the form came from, re-encoded (never raw text in a Location header)."""
    return urlencode(_parse_query(request.form.get("back_query", "")))


def _back() -> Response:
    """Back to the queue with the filters the form came from."""
    query = _back_query()
    return redirect(url_for("queues.index") + (f"?{query}" if query else ""), 303)


@queues.post("/bulk")
@require_roles(*STAFF)
def bulk() -> Any:
    """Assign, set status or set priority on the selected tickets."""
    form = request.form
    if any("\x00" in v for v in form.values()):
        flash(_("Choose a status and priority from the lists."), "error")
        return _back()
    numbers = [int(n) for n in form.getlist("tickets") if n.isdigit() and len(n) < 12]
    try:
        change = BulkChange(
            assignee=(form.get("assignee") or None), team=(form.get("team") or None),
            status=form.get("status") or None,
            priority=Priority(form["priority"]) if form.get("priority") else None)
    except ValueError:
        flash(_("Choose a status and priority from the lists."), "error")
        return _back()
    try:
        result = bulk_update(session=db(), scope=viewer_scope(session=db(), viewer=current_user),
                             numbers=numbers, change=change)
        db().commit()
    except DocketError as exc:
        db().rollback()
        flash(_error_text(exc), "error")
        return _back()
    if result.changed:
        flash(ngettext("%(num)d ticket changed.", "%(num)d tickets changed.",
                       len(result.changed)), "success")
    elif not result.refused:
        flash(_("Nothing to change: the selected tickets are already so."), "info")
    for number, reason in sorted(result.refused.items())[:10]:
        flash(_("Ticket #%(number)s was not changed: %(reason)s", number=number,
                reason=reason), "error")
    return _back()


@queues.post("/views")
@require_roles(*STAFF)
def save_view() -> Any:
    """Save the current filters under a name (the same name replaces them)."""
    query = request.form.get("back_query", "")
    pairs = list(MultiDict(_parse_query(query)).items(multi=True))
    try:
        view = saved_views.save_view(session=db(), user=current_user,
                                     name=request.form.get("name", ""), params=pairs)
        db().commit()
    except DocketError as exc:
        db().rollback()
        flash(_error_text(exc), "error")
        return _back()
    flash(_("View “%(name)s” saved.", name=view.name), "success")
    return _back()


def _parse_query(query: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return [(k, v) for k, v in parse_qsl(query[:4000], keep_blank_values=False)
            if "\x00" not in k + v]


@queues.get("/views/<int:view_id>")
@require_roles(*STAFF)
def open_view(view_id: int) -> Any:
    """Open a saved view: the queue page with its filters."""
    view = saved_views.get_view(session=db(), user=current_user, view_id=view_id)
    return redirect(url_for("queues.index") + "?" + urlencode(
        [(k, v) for k, v in view.params]), 303)


@queues.post("/views/<int:view_id>/delete")
@require_roles(*STAFF)
def delete_view(view_id: int) -> Any:
    """Delete one of my saved views."""
    try:
        saved_views.delete_view(session=db(), user=current_user, view_id=view_id)
        db().commit()
    except DocketError as exc:
        db().rollback()
        flash(_error_text(exc), "error")
    else:
        flash(_("View deleted."), "success")
    return _back()


def register(app: Flask) -> None:
    """Register the queue pages."""
    app.register_blueprint(queues)
