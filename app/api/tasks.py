"""Tasks: the approvals and user tasks people answer, and a ticket's tasks."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint

from app.api.schemas import DecisionSchema, HandOverSchema, TaskListArgsSchema, TaskSchema
from app.auth import require_roles
from app.db import db
from core.people import Role
from runtime.flows import tasks
from runtime.flows.models import TaskStatus

blp = Blueprint("tasks", __name__, url_prefix="/api/v1",
                description="Approvals and user tasks: list, decide, delegate, transfer.")
#: Who may hold tasks; requesters never do.
HOLDERS = (Role.AGENT, Role.DESIGNER)


@blp.get("/tasks")
@blp.arguments(TaskListArgsSchema, location="query")
@blp.response(200, TaskSchema(many=True))
@require_roles(*HOLDERS)
def list_(args: dict[str, Any]) -> Any:
    """My tasks (scope=mine) or my teams' (scope=team), newest first, at most 200."""
    return tasks.list_tasks(session=db(), user=current_user, scope=args["scope"],
                            status=TaskStatus(args["status"]))


@blp.get("/tasks/<int:task_id>")
@blp.response(200, TaskSchema)
@require_roles(*HOLDERS)
def get(task_id: int) -> Any:
    """One task (the holder's, or any for agents and admins)."""
    return tasks.get_task(session=db(), task_id=task_id, user=current_user)


@blp.post("/tasks/<int:task_id>/decision")
@blp.arguments(DecisionSchema)
@blp.response(200, TaskSchema)
@blp.alt_response(409, description="The task was already decided or closed")
@blp.alt_response(422, description="A decision that does not fit the task")
@require_roles(*HOLDERS)
def decide(body: dict[str, Any], task_id: int) -> Any:
    """Approve or reject an approval, complete a user task; the flow moves on."""
    task = tasks.decide_task(session=db(), task_id=task_id, user=current_user,
                             decision=body["decision"], comment=body["comment"])
    db().commit()
    return task


@blp.post("/tasks/<int:task_id>/delegate")
@blp.arguments(HandOverSchema)
@blp.response(200, TaskSchema)
@blp.alt_response(422, description="No such colleague")
@require_roles(*HOLDERS)
def delegate(body: dict[str, Any], task_id: int) -> Any:
    """Ask a colleague to answer; their answer brings the task back to you."""
    task = tasks.delegate_task(session=db(), task_id=task_id, user=current_user,
                               to=body["to"], comment=body["comment"])
    db().commit()
    return task


@blp.post("/tasks/<int:task_id>/transfer")
@blp.arguments(HandOverSchema)
@blp.response(200, TaskSchema)
@blp.alt_response(422, description="No such colleague")
@require_roles(*HOLDERS)
def transfer(body: dict[str, Any], task_id: int) -> Any:
    """Hand the task to a colleague for good."""
    task = tasks.transfer_task(session=db(), task_id=task_id, user=current_user,
                               to=body["to"], comment=body["comment"])
    db().commit()
    return task


@blp.get("/tickets/<int:number>/tasks")
@blp.response(200, TaskSchema(many=True))
@require_roles()
def ticket_tasks(number: int) -> Any:
    """Every task of a ticket, oldest first (for whoever may see the ticket)."""
    ticket = tasks.task_ticket(session=db(), viewer=current_user, number=number)
    return tasks.ticket_tasks(session=db(), ticket=ticket)
