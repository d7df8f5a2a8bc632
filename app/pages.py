"""Browser pages: the requester portal (forms, my tickets), language switch, home.

Views only parse the request, call one service and render; rules live in runtime/ and
builder/. Forms work without JavaScript: the page posts multipart data; files are stored
first and referenced, and a failed submission keeps what was typed and uploaded.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.auth import home_for, init_auth, require_roles
from app.db import db
from app.extensions import LANGUAGES, current_language
from app.messages import problem_message
from builder.forms.models import Form
from builder.forms.service import latest_version
from core.errors import (
    Conflict,
    DocketError,
    IllegalTransition,
    InvalidSubmission,
    PermissionDenied,
    Problem,
    TooLarge,
)
from runtime.attachments import store_upload
from runtime.checking import check_submission, parse_html_form
from runtime.submissions import published_version, submit_ticket
from runtime.tickets import changes
from runtime.tickets.comments import add_comment
from runtime.tickets.models import Attachment
from runtime.tickets.service import get_ticket, list_tickets, ticket_events
from runtime.tickets.statuses import statuses_by_key

portal = Blueprint("portal", __name__, url_prefix="/portal")
site = Blueprint("site", __name__)


@site.get("/")
def home() -> Any:
    """Signed-in users go to their start page, others to the login."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


@site.get("/lang/<code>")
def set_language(code: str) -> Any:
    """Remember the chosen language in a cookie and go back."""
    if code not in LANGUAGES:
        abort(404)
    target = request.referrer or url_for("site.home")
    if not target.startswith(request.host_url):
        target = url_for("site.home")
    response = redirect(target)
    response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


@portal.get("")
@require_roles()
def index() -> Any:
    """The forms a requester can fill and their latest tickets."""
    session = db()
    forms = [
        (form, version) for form in session.scalars(
            select(Form).where(Form.archived.is_(False)).order_by(Form.key))
        if (version := latest_version(session=session, form=form)) is not None
    ]
    recent = list_tickets(session=session, viewer=current_user, limit=5).tickets
    return render_template("portal/index.html", forms=forms, tickets=recent)


def _stored_files(definition: dict[str, Any], data: dict[str, Any]) -> list[Problem]:
    """Store each file input's uploads and put references to them into ``data``."""
    problems: list[Problem] = []
    root = Path(current_app.config["UPLOAD_ROOT"])
    for field in definition.get("fields", []):
        if field.get("type") != "file":
            continue
        key = field["key"]
        refs: list[dict[str, Any]] = []
        for kept in request.form.getlist(f"{key}.keep"):
            attachment = db().get(Attachment, kept)
            if attachment is not None and attachment.uploader_id == current_user.id:
                refs.append({"id": attachment.id})
        for upload in request.files.getlist(key):
            if not upload.filename:
                continue
            try:
                attachment = store_upload(
                    session=db(), root=root, uploader=current_user, filename=upload.filename,
                    stream=upload.stream, max_size=current_app.config["MAX_FILE_SIZE"])
            except DocketError as exc:
                code = "file.tooLarge" if isinstance(exc, TooLarge) else "file.type"
                problems.append(Problem(f"/{key}", code, exc.detail, {
                    "limit": current_app.config["MAX_FILE_SIZE"] // (1024 * 1024)}))
                continue
            refs.append({"id": attachment.id})
        if refs:
            data[key] = refs
    return problems


def _files_by_key(definition: dict[str, Any], data: dict[str, Any]) -> dict[str, list[Attachment]]:
    """The attachments already uploaded for each file field, to show them again."""
    found: dict[str, list[Attachment]] = {}
    for field in definition.get("fields", []):
        if field.get("type") == "file" and field["key"] in data:
            ids = [ref["id"] for ref in data[field["key"]]]
            found[field["key"]] = [a for a in (db().get(Attachment, i) for i in ids) if a]
    return found


@portal.route("/forms/<key>", methods=["GET", "POST"])
@require_roles()
def fill_form(key: str) -> Any:
    """Show a published form; on POST validate it and create the ticket."""
    published = published_version(session=db(), key=key)
    definition = published.definition
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = parse_html_form(definition, request.form.to_dict(flat=False))
        problems = _stored_files(definition, values)
        db().commit()  # uploads are kept even if the rest needs fixing
        try:
            if problems:
                _clean, others = check_submission(definition, published.schema, values,
                                                  published.hash)
                raise InvalidSubmission(others + problems)  # upload problems win per field
            ticket, _created = submit_ticket(
                session=db(), form_key=key, data=values, requester=current_user,
                idempotency_key=request.form.get("_submission") or None, channel="web",
                locale=current_language(),
            )
            db().commit()
            flash(_("Thank you. Your request was received as ticket #%(number)s.",
                    number=ticket.number), "success")
            return redirect(url_for("portal.ticket", number=ticket.number))
        except InvalidSubmission as exc:
            db().rollback()
            errors = {p.pointer: problem_message(p) for p in exc.problems}
            status = 422
    return render_template(
        "portal/form.html", published=published, definition=definition,
        values=values or _defaults(definition), errors=errors,
        files=_files_by_key(definition, values), submission_id=request.form.get("_submission")
        or str(uuid.uuid4()), lang=current_language(),
    ), status


def _defaults(definition: dict[str, Any]) -> dict[str, Any]:
    return {f["key"]: f["default"] for f in definition.get("fields", [])
            if "key" in f and "default" in f}


@portal.get("/tickets")
@require_roles()
def tickets() -> Any:
    """The signed-in requester's tickets, newest first."""
    cursor = request.args.get("cursor", type=int)
    page = list_tickets(session=db(), viewer=current_user, cursor=cursor, limit=25)
    titles = {key: title for key, title in db().execute(select(Form.key, Form.title))}
    return render_template("portal/tickets.html", page=page, titles=titles)


@portal.get("/tickets/<int:number>")
@require_roles()
def ticket(number: int) -> Any:
    """One of the requester's tickets with its submitted data, timeline, reply, reopen and
    rating."""
    session = db()
    found = get_ticket(session=session, viewer=current_user, number=number)
    days = current_app.config["REOPEN_DAYS"]
    return render_template(
        "portal/ticket.html", ticket=found, definition=found.form_version.definition,
        events=ticket_events(session=session, ticket=found, viewer=current_user),
        rating=changes.rating_of(session=session, ticket=found),
        survivor=changes.merged_into(session=session, ticket=found),
        can_reopen=changes.can_reopen(session=session, ticket=found, days=days),
        reopen_days=days, known_statuses=statuses_by_key(session=session),
        lang=current_language(),
    )


def _back_to(number: int, message: str, category: str = "success") -> Any:
    flash(message, category)
    return redirect(url_for("portal.ticket", number=number))


def _reply_files() -> list[Attachment]:
    """Store the files sent with a reply; a refused file raises InvalidSubmission."""
    stored: list[Attachment] = []
    for upload in request.files.getlist("files")[:10]:
        if not upload.filename:
            continue
        try:
            stored.append(store_upload(
                session=db(), root=Path(current_app.config["UPLOAD_ROOT"]),
                uploader=current_user, filename=upload.filename, stream=upload.stream,
                max_size=current_app.config["MAX_FILE_SIZE"]))
        except DocketError as exc:
            code = "file.tooLarge" if isinstance(exc, TooLarge) else "file.type"
            raise InvalidSubmission([Problem("/files", code, exc.detail, {
                "limit": current_app.config["MAX_FILE_SIZE"] // (1024 * 1024)})]) from None
    return stored


@portal.post("/tickets/<int:number>/reply")
@require_roles()
def reply(number: int) -> Any:
    """The requester answers on their ticket, with files (a flow may be waiting for it)."""
    found = get_ticket(session=db(), viewer=current_user, number=number)
    try:
        add_comment(session=db(), ticket=found, author=current_user,
                    body=request.form.get("body", ""), attachments=_reply_files())
    except InvalidSubmission as exc:
        db().rollback()
        return _back_to(number, problem_message(exc.problems[0]), "error")
    db().commit()
    return _back_to(number, _("Your reply was added."))


@portal.post("/tickets/<int:number>/reopen")
@require_roles()
def reopen(number: int) -> Any:
    """Reopen a resolved ticket within the window."""
    found = get_ticket(session=db(), viewer=current_user, number=number)
    try:
        changes.reopen_ticket(session=db(), ticket=found, actor=current_user,
                              reason=(request.form.get("reason") or "").strip(),
                              days=current_app.config["REOPEN_DAYS"])
    except (IllegalTransition, PermissionDenied) as exc:
        db().rollback()
        return _back_to(number, _("This ticket can no longer be reopened. Please submit a new "
                                  "request.") if isinstance(exc, IllegalTransition)
                        else _("Only the requester can reopen this ticket."), "error")
    db().commit()
    return _back_to(number, _("The ticket was reopened."))


@portal.post("/tickets/<int:number>/rating")
@require_roles()
def rate(number: int) -> Any:
    """Rate the service (1-5 and a comment), once, after resolution."""
    found = get_ticket(session=db(), viewer=current_user, number=number)
    raw = request.form.get("score", "")
    try:
        changes.rate_ticket(session=db(), ticket=found, actor=current_user,
                            score=int(raw) if re.fullmatch(r"[0-9]{1,2}", raw) else 0,
                            comment=request.form.get("comment", ""))
    except InvalidSubmission:
        db().rollback()
        return _back_to(number, _("Choose from 1 to 5 stars."), "error")
    except Conflict:
        db().rollback()
        return _back_to(number, _("You already rated this ticket."), "error")
    except (IllegalTransition, PermissionDenied):
        db().rollback()
        return _back_to(number, _("This ticket cannot be rated now."), "error")
    db().commit()
    return _back_to(number, _("Thank you for your feedback."))


def register(app: Flask) -> None:
    """Register the login and portal pages."""
    init_auth(app)
    app.register_blueprint(site)
    app.register_blueprint(portal)
