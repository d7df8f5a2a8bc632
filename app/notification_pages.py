"""In-app notifications: the list, marking read, email preferences, the header's count."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import require_roles
from app.db import db
from runtime.notifications import (
    Notification,
    email_choices,
    list_notifications,
    mark_read,
    set_email_choices,
    unread_count,
)

notifications = Blueprint("notifications", __name__, url_prefix="/notifications")


def ticket_url(note: Notification) -> str | None:
    """Where a notification leads: the ticket on the page the person uses."""
    if note.ticket is None:
        return None
    if current_user.role == "requester":
        return url_for("portal.ticket", number=note.ticket.number)
    return url_for("workspace.ticket", number=note.ticket.number)


@notifications.get("")
@require_roles()
def index() -> Any:
    """My notifications, newest first (unread first when asked)."""
    unread_only = request.args.get("show") == "unread"
    found = list_notifications(session=db(), user=current_user, unread_only=unread_only)
    return render_template("notifications/index.html", notes=found, unread_only=unread_only,
                           ticket_url=ticket_url)


@notifications.get("/<int:note_id>")
@require_roles()
def open_note(note_id: int) -> Any:
    """Open one notification: mark it read and go to its ticket."""
    note = db().get(Notification, note_id)
    if note is None or note.user_id != current_user.id:
        return redirect(url_for("notifications.index"))
    mark_read(session=db(), user=current_user, ids=[note.id])
    db().commit()
    return redirect(ticket_url(note) or url_for("notifications.index"))


@notifications.post("/read")
@require_roles()
def read() -> Any:
    """Mark one (``id``) or all notifications read."""
    raw = request.form.get("id", "")
    ids = None if not raw else [int(raw)] if re.fullmatch(r"[0-9]{1,9}", raw) else []
    count = mark_read(session=db(), user=current_user, ids=ids)
    db().commit()
    flash(_("%(n)s notification(s) marked as read.", n=count), "success")
    return redirect(url_for("notifications.index"), 303)


@notifications.route("/preferences", methods=["GET", "POST"])
@require_roles()
def preferences() -> Any:
    """Which kinds also come by email."""
    if request.method == "POST":
        set_email_choices(session=db(), user=current_user,
                          email=set(request.form.getlist("email")))
        db().commit()
        flash(_("Your email preferences were saved."), "success")
        return redirect(url_for("notifications.preferences"), 303)
    return render_template("notifications/preferences.html",
                           choices=email_choices(session=db(), user=current_user))


def _unread() -> dict[str, Any]:
    """``unread_notifications`` for the header (only for signed-in people)."""
    if not current_user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(session=db(), user=current_user)}


def register(app: Flask) -> None:
    """Register the notification pages and the header count."""
    app.register_blueprint(notifications)
    app.context_processor(_unread)



