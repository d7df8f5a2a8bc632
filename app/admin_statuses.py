"""The admin's ticket statuses page (/admin/statuses): add, rename (English and Chinese),
reorder and (de)activate the statuses inside the five categories.

Plain forms with a CSRF token that call one service each and come back with a flash
message, so the page works without JavaScript.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from app.auth import require_roles
from app.db import db
from app.extensions import current_language
from app.messages import error_message
from builder.statuses import Status
from core.errors import DocketError
from core.people import Role
from runtime.tickets import statuses as service

bp = Blueprint("admin_statuses", __name__, url_prefix="/admin/statuses")

#: The service's problems, in the page language.
_CODES = {
    "status.key": _l("A key is 2 to 64 lowercase letters, digits and _, starting with a "
                     "letter, e.g. waiting_parts."),
    "status.category": _l("Choose a category."),
    "label.shape": _l("Give the labels as text."),
    "label.text": _l("Write a label of 1 to %(limit)s characters on one line."),
    "label.required": _l("Give an English label."),
}


def _labels() -> dict[str, str]:
    form = request.form
    return {"en": form.get("label_en", ""), "zh-CN": form.get("label_zh", "")}


def _done(action: Any, success: str) -> Response:
    try:
        action()
        db().commit()
    except DocketError as exc:
        db().rollback()
        flash(error_message(exc, _CODES), "error")
    else:
        flash(success, "success")
    return redirect(url_for("admin_statuses.index"), 303)


@bp.get("")
@require_roles(Role.ADMIN)
def index() -> Any:
    """Every status, grouped by category in order, with forms to change them."""
    groups = service.grouped_statuses(session=db(), active_only=False)
    return render_template("admin/statuses.html", groups=groups, categories=list(Status),
                           lang=current_language())


@bp.post("")
@require_roles(Role.ADMIN)
def create() -> Any:
    """Add a status at the end of its category."""
    key = (request.form.get("key") or "").strip()
    return _done(lambda: service.create_status(
        session=db(), key=key, category=request.form.get("category"), label=_labels()),
        _("Status “%(key)s” added.", key=key))


@bp.post("/<key>")
@require_roles(Role.ADMIN)
def update(key: str) -> Any:
    """Rename a status (both languages) or switch it on or off."""
    action = request.form.get("action")
    if action in ("activate", "deactivate"):
        return _done(lambda: service.update_status(session=db(), key=key,
                                                   active=action == "activate"),
                     _("Status “%(key)s” activated.", key=key) if action == "activate"
                     else _("Status “%(key)s” deactivated.", key=key))
    if action in ("up", "down"):
        return _done(lambda: service.move_status(session=db(), key=key,
                                                 offset=-1 if action == "up" else 1),
                     _("Status “%(key)s” moved.", key=key))
    return _done(lambda: service.update_status(session=db(), key=key, label=_labels()),
                 _("Status “%(key)s” renamed.", key=key))


def register(app: Flask) -> None:
    """Register the statuses page."""
    app.register_blueprint(bp)
