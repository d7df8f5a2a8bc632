"""Staff pages: my tasks (decide, delegate, transfer), a staff view of a ticket, incidents.

Views only parse the request, call one service and render; every action is a plain POST
form with a CSRF token, so the pages work without JavaScript. An action's outcome is a
flash message on the page the person came from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from app.api.admin import list_incidents
from app.auth import _safe_next, require_roles
from app.db import db
from app.extensions import current_language
from app.messages import problem_message
from core.clock import utcnow
from core.errors import DocketError, InvalidSubmission
from core.people import Role, User
from runtime.flows import tasks as service
from runtime.flows.models import FlowInstance, Task
from runtime.flows.outbox import retry_incident
from runtime.flows.runner import flow_definition
from runtime.tickets.models import Ticket

workspace = Blueprint("workspace", __name__, url_prefix="/workspace")
admin = Blueprint("admin", __name__, url_prefix="/admin")
#: Who may hold tasks (admins always may); requesters never do.
STAFF = (Role.AGENT, Role.DESIGNER)

#: The services' conflict and permission details, in the page language.
_DETAILS = {
    "This task was already decided or closed.": _l("This task was already decided or closed."),
    "The task is already held by this person.": _l("The task is already held by this person."),
    "Only the person holding this task may act on it.":
        _l("Only the person holding this task may act on it."),
}


def _error_text(exc: DocketError) -> str:
    """What went wrong, as a sentence in the page language."""
    if isinstance(exc, InvalidSubmission) and exc.problems:
        return " ".join(problem_message(p) for p in exc.problems)
    if exc.detail in _DETAILS:
        return str(_DETAILS[exc.detail])
    if exc.title == "Not found":
        return _("There is no such task, or you may not see it.")
    return _(exc.title)


def _back() -> Response:
    """Back to the page the form was on (a local path), else my tasks."""
    return redirect(_safe_next(request.form.get("next")) or url_for("workspace.tasks"), 303)


def _act(action: Callable[[], Task], success: Callable[[Task], str]) -> Response:
    """Run one task action, commit, hand new side effects to the queue and flash the result."""
    try:
        task = action()
        db().commit()
    except DocketError as exc:
        db().rollback()
        flash(_error_text(exc), "error")
    except StaleDataError:
        db().rollback()
        flash(_("Someone else changed this in the meantime. Reload and try again."), "error")
    else:
        flash(success(task), "success")
    return _back()


def _comment() -> str:
    return (request.form.get("comment") or "").strip()[:5000]


def _staff_emails(session: Session) -> list[str]:
    """Active colleagues a task may be handed to, for the pickers' suggestions."""
    return list(session.scalars(select(User.email).where(
        User.active.is_(True), User.role != Role.REQUESTER).order_by(User.email)))


def _flow_labels(session: Session, ticket_ids: Iterable[int]) -> dict[int, dict[str, dict]]:
    """Per ticket, the readable labels of its flow's nodes and edges (from its version)."""
    labels: dict[int, dict[str, dict]] = {}
    rows = session.execute(select(FlowInstance.ticket_id, FlowInstance.flow_version_id)
                           .where(FlowInstance.ticket_id.in_(set(ticket_ids))))
    for ticket_id, version_id in rows:
        definition = flow_definition(session, version_id)
        labels[ticket_id] = {
            "nodes": {n.get("id"): (n.get("data") or {}).get("label") or (
                n.get("data") or {}).get("title") for n in definition.get("nodes", [])},
            "edges": {e.get("id"): (e.get("data") or {}).get("label")
                      for e in definition.get("edges", [])},
        }
    return labels


@workspace.get("/tasks")
@require_roles(*STAFF)
def tasks() -> Any:
    """Open approvals and user tasks: mine, or my teams'."""
    scope = "team" if request.args.get("scope") == "team" else "mine"
    found = service.list_tasks(session=db(), user=current_user, scope=scope)
    labels = _flow_labels(db(), {t.ticket_id for t in found})
    return render_template(
        "workspace/tasks.html", tasks=found, scope=scope, now=utcnow(), labels=labels,
        staff=_staff_emails(db()), lang=current_language())


@workspace.post("/tasks/<int:task_id>/decision")
@require_roles(*STAFF)
def decide(task_id: int) -> Any:
    """Approve, reject or complete a task from the list or the ticket page."""
    decision = request.form.get("decision", "")
    done = {"approve": _l("Approved."), "reject": _l("Rejected."),
            "complete": _l("Marked as done.")}
    return _act(
        lambda: service.decide_task(session=db(), task_id=task_id, user=current_user,
                                    decision=decision, comment=_comment()),
        lambda task: _("Ticket #%(number)s: %(result)s", number=task.ticket.number,
                       result=done.get(decision, "")) if task.status == "done" else
        _("Ticket #%(number)s: your answer went back to %(name)s.",
          number=task.ticket.number, name=task.assignee.name if task.assignee else ""))


@workspace.post("/tasks/<int:task_id>/delegate")
@require_roles(*STAFF)
def delegate(task_id: int) -> Any:
    """Ask a colleague for their answer; the task comes back afterwards."""
    to = (request.form.get("to") or "").strip()
    return _act(
        lambda: service.delegate_task(session=db(), task_id=task_id, user=current_user,
                                      to=to, comment=_comment()),
        lambda task: _("Ticket #%(number)s: delegated to %(email)s.",
                       number=task.ticket.number, email=to))


@workspace.post("/tasks/<int:task_id>/transfer")
@require_roles(*STAFF)
def transfer(task_id: int) -> Any:
    """Hand a task to a colleague for good."""
    to = (request.form.get("to") or "").strip()
    return _act(
        lambda: service.transfer_task(session=db(), task_id=task_id, user=current_user,
                                      to=to, comment=_comment()),
        lambda task: _("Ticket #%(number)s: transferred to %(email)s.",
                       number=task.ticket.number, email=to))


@admin.get("/incidents")
@require_roles(Role.ADMIN)
def incidents() -> Any:
    """Open incidents: deliveries that failed every retry."""
    found = list_incidents(session=db())
    numbers = dict(db().execute(select(Ticket.id, Ticket.number).where(
        Ticket.id.in_({i.ticket_id for i in found} - {None}))).all())
    return render_template("workspace/incidents.html", incidents=found, numbers=numbers)


@admin.post("/incidents/<int:incident_id>/retry")
@require_roles(Role.ADMIN)
def retry(incident_id: int) -> Any:
    """Retry an incident's delivery now."""
    retry_incident(session=db(), incident_id=incident_id)
    db().commit()
    flash(_("Incident %(id)s: the delivery will be tried again.", id=incident_id), "success")
    return redirect(url_for("admin.incidents"), 303)


def register(app: Flask) -> None:
    """Register the workspace and admin pages."""
    app.register_blueprint(workspace)
    app.register_blueprint(admin)
