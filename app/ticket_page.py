"""The staff ticket page and its actions (routes on the workspace blueprint).

One GET shows everything an agent needs; each action is a plain POST form with a CSRF
token that calls one service, commits, and comes back to the page with a flash message.
Forms that change the ticket itself send the revision the page showed: when someone else
changed the ticket meanwhile, the answer is 409 with the page explaining what to do, and
nothing is overwritten.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from app.auth import require_roles
from app.db import db
from app.extensions import current_language
from app.messages import error_message
from app.workspace import STAFF, _flow_labels, _staff_emails, workspace
from core.clock import utcnow
from core.errors import Conflict, DocketError, InvalidSubmission, NotFound, Problem, TooLarge
from core.people import Role, Team, User
from runtime.attachments import store_upload
from runtime.flows import tasks as task_service
from runtime.tickets import changes, statuses
from runtime.tickets.comments import add_comment, watchers
from runtime.tickets.models import Attachment, Priority, Ticket, TicketEvent
from runtime.tickets.service import can_see_ticket, ticket_events

#: Problem codes of the ticket services, in the page language.
_CODES = {
    "team.unknown": _l("No such team."),
    "status.unknown": _l("Choose a status from the list."),
    "link.self": _l("A ticket cannot be linked to itself."),
    "link.unknown": _l("These tickets are not linked."),
    "merge.self": _l("A ticket cannot be merged into itself."),
    "watcher.unknown": _l("This person does not watch the ticket."),
    "number": _l("Give a ticket number, e.g. 1042."),
    "user.unknown": _l("No such colleague: choose an active agent or enter their email."),
}


def _message(exc: DocketError) -> str:
    """What went wrong, as a sentence a person can act on."""
    if isinstance(exc, Conflict) and "changed by someone else" in exc.detail:
        return _("Someone else changed this ticket since you opened it. Nothing was saved: "
                 "reload the page to see their change, then try again.")
    return error_message(exc, _CODES)


def _ticket(number: int) -> Ticket:
    return task_service.task_ticket(session=db(), viewer=current_user, number=number)


def _revision() -> int | None:
    value = request.form.get("revision", "")
    return int(value) if re.fullmatch(r"[0-9]{1,9}", value) else None


def _done(number: int, action: Callable[[Ticket], Any], success: str) -> Response:
    """Run one action on the ticket, commit, flash; a conflict answers 409 on the page."""
    ticket = _ticket(number)
    try:
        action(ticket)
        db().commit()
    except (Conflict, StaleDataError) as exc:
        db().rollback()
        text = _message(exc) if isinstance(exc, DocketError) else _(
            "Someone else changed this ticket since you opened it. Nothing was saved: reload "
            "the page to see their change, then try again.")
        return Response(render_template(
            "error.html", status=409, title=_("Conflict"), detail=text,
            back=url_for("workspace.ticket", number=number)), 409)
    except DocketError as exc:
        db().rollback()
        if isinstance(exc, NotFound) and exc.detail.startswith("There is no ticket"):
            raise
        flash(_message(exc), "error")
        return redirect(url_for("workspace.ticket", number=number), 303)
    flash(success, "success")
    return redirect(url_for("workspace.ticket", number=number), 303)


def _names(session: Session, events: list[TicketEvent]) -> dict[str, dict[int, str]]:
    """Names of the people and teams that assignment events refer to by id."""
    keys = ("user_id", "from_user_id")
    user_ids = {e.payload.get(k) for e in events if e.kind == "assigned" for k in keys} - {None}
    team_ids = {e.payload.get(k) for e in events if e.kind == "assigned"
                for k in ("team_id", "from_team_id")} - {None}
    users = dict(session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())
    teams = dict(session.execute(select(Team.id, Team.name).where(Team.id.in_(team_ids))).all())
    return {"users": users, "teams": teams}


def _staff(session: Session) -> list[User]:
    """Active colleagues, for the mention picker and the assignee list."""
    return list(session.scalars(select(User).where(
        User.active.is_(True), User.role != Role.REQUESTER).order_by(User.name)))


@workspace.get("/tickets/<int:number>")
@require_roles(*STAFF)
def ticket(number: int) -> Any:
    """A ticket for staff: data, files, requester, people, links, tasks and the timeline."""
    session = db()
    found = _ticket(number)
    events = ticket_events(session=session, ticket=found, viewer=current_user)
    survivor = changes.merged_into(session=session, ticket=found)
    colleagues = _staff(session)
    # a mention reaches only someone who may see the ticket: the picker offers no one else
    mentionable = [u for u in colleagues if u.id != current_user.id and can_see_ticket(
        session=session, viewer=u, ticket_id=found.id)]
    return render_template(
        "workspace/ticket.html", ticket=found, definition=found.form_version.definition,
        tasks=task_service.ticket_tasks(session=session, ticket=found), events=events,
        labels=_flow_labels(session, [found.id]).get(found.id, {"nodes": {}, "edges": {}}),
        names=_names(session, events), staff=_staff_emails(session),
        colleagues=colleagues, mentionable=mentionable,
        teams=list(session.scalars(select(Team).order_by(Team.name))),
        watchers=watchers(session=session, ticket=found),
        links=changes.linked_tickets(session=session, ticket=found, viewer=current_user),
        survivor=survivor,
        suggestions=[] if survivor else changes.merge_suggestions(
            session=session, ticket=found, viewer=current_user),
        others=changes.requester_tickets(session=session, ticket=found, viewer=current_user),
        rating=changes.rating_of(session=session, ticket=found),
        status_groups=statuses.grouped_statuses(session=session),
        known_statuses=statuses.statuses_by_key(session=session),
        priorities=list(Priority), now=utcnow(),
        can_edit=current_user.role in (Role.AGENT, Role.ADMIN), lang=current_language())


@workspace.post("/tickets/<int:number>/update")
@require_roles(Role.AGENT)
def update(number: int) -> Any:
    """Change status, priority, assignee and team in one go."""
    form = request.form
    # the picker sends the status it showed; only a different one is a change (a seeded key
    # such as "open" also names its category, whose default may be another status)
    status = form.get("status") or None
    return _done(number, lambda t: changes.update_ticket(
        session=db(), ticket=t, actor=current_user, expected_revision=_revision(),
        status=None if status == form.get("status_was") else status,
        priority=form.get("priority") or None,
        assignee=(form.get("assignee") or "").strip() if "assignee" in form else changes.UNSET,
        team=form.get("team") if "team" in form else changes.UNSET),
        _("Ticket #%(number)s was updated.", number=number))


@workspace.post("/tickets/<int:number>/take")
@require_roles(Role.AGENT)
def take(number: int) -> Any:
    """Assign the ticket to myself."""
    return _done(number, lambda t: changes.update_ticket(
        session=db(), ticket=t, actor=current_user, expected_revision=_revision(),
        assignee=current_user.email), _("You took ticket #%(number)s.", number=number))


def _uploads() -> list[Attachment]:
    """Store the files sent with a comment (refused files raise, nothing is kept)."""
    stored: list[Attachment] = []
    root = Path(current_app.config["UPLOAD_ROOT"])
    for upload in request.files.getlist("files")[:10]:
        if not upload.filename:
            continue
        try:
            stored.append(store_upload(
                session=db(), root=root, uploader=current_user, filename=upload.filename,
                stream=upload.stream, max_size=current_app.config["MAX_FILE_SIZE"]))
        except TooLarge as exc:
            raise InvalidSubmission([Problem("/files", "file.tooLarge", exc.detail, {
                "limit": current_app.config["MAX_FILE_SIZE"] // (1024 * 1024)})]) from None
    return stored


@workspace.post("/tickets/<int:number>/comments")
@require_roles(*STAFF)
def comment(number: int) -> Any:
    """A public reply or an internal note, with @mentions and files."""
    internal = request.form.get("visibility") == "internal"
    return _done(number, lambda t: add_comment(
        session=db(), ticket=t, author=current_user, body=request.form.get("body", ""),
        internal=internal, attachments=_uploads()),
        _("Your internal note was added.") if internal else _("Your reply was sent."))


@workspace.post("/tickets/<int:number>/watchers")
@require_roles(*STAFF)
def add_watcher(number: int) -> Any:
    """CC someone on the ticket."""
    email = (request.form.get("email") or "").strip()
    return _done(number, lambda t: changes.add_watcher(
        session=db(), ticket=t, actor=current_user, email=email),
        _("%(email)s now watches this ticket.", email=email))


@workspace.post("/tickets/<int:number>/watchers/remove")
@require_roles(*STAFF)
def remove_watcher(number: int) -> Any:
    """Stop CC'ing someone."""
    email = (request.form.get("email") or "").strip()
    return _done(number, lambda t: changes.remove_watcher(
        session=db(), ticket=t, actor=current_user, email=email),
        _("%(email)s no longer watches this ticket.", email=email))


def _number(name: str) -> int:
    value = (request.form.get(name) or "").strip().lstrip("#")
    if not re.fullmatch(r"[0-9]{1,9}", value):  # tickets.number is a 32-bit integer
        raise InvalidSubmission([Problem(f"/{name}", "number",
                                         "Give a ticket number, e.g. 1042.")])
    return int(value)


@workspace.post("/tickets/<int:number>/links")
@require_roles(*STAFF)
def link(number: int) -> Any:
    """Link a related ticket."""
    return _done(number, lambda t: changes.link_tickets(
        session=db(), ticket=t, actor=current_user, other_number=_number("other")),
        _("The tickets are linked."))


@workspace.post("/tickets/<int:number>/links/remove")
@require_roles(*STAFF)
def unlink(number: int) -> Any:
    """Remove a related link."""
    return _done(number, lambda t: changes.unlink_tickets(
        session=db(), ticket=t, actor=current_user, other_number=_number("other")),
        _("The link was removed."))


@workspace.post("/tickets/<int:number>/merge")
@require_roles(Role.AGENT)
def merge(number: int) -> Any:
    """Merge this ticket (a duplicate) into another; go on to the survivor."""
    ticket = _ticket(number)
    try:
        survivor = changes.merge_ticket(session=db(), ticket=ticket, actor=current_user,
                                        into_number=_number("into"),
                                        expected_revision=_revision())
        db().commit()
    except (Conflict, StaleDataError) as exc:
        db().rollback()
        text = _message(exc) if isinstance(exc, DocketError) else _(
            "Someone else changed this ticket since you opened it. Nothing was saved: reload "
            "the page to see their change, then try again.")
        return Response(render_template("error.html", status=409, title=_("Conflict"),
                                        detail=text), 409)
    except DocketError as exc:
        db().rollback()
        flash(_message(exc), "error")
        return redirect(url_for("workspace.ticket", number=number), 303)
    flash(_("Ticket #%(dup)s was merged into this ticket.", dup=number), "success")
    return redirect(url_for("workspace.ticket", number=survivor.number), 303)


def register(app: Flask) -> None:
    """Nothing to add: importing this module put its routes on the workspace blueprint,
    which ``app.workspace.register`` registers (the import must come first)."""
