"""People's side of a flow: list tasks, decide, delegate, transfer.

A decision locks the instance first (like every writer), then the task, so that twenty
simultaneous votes on one approval queue up and only the last one moves the flow on.
Delegation hands a task to someone for their opinion; their answer sends it back to the
delegator, who decides. A transfer hands the task over for good.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from core.clock import utcnow
from core.errors import Conflict, InvalidSubmission, NotFound, PermissionDenied, Problem
from core.people import Role, TeamMember, User, get_user_by_email
from runtime import engine
from runtime.flows.models import Task, TaskStatus
from runtime.flows.runner import advance, lock_instance
from runtime.tickets.models import Ticket, TicketEvent
from runtime.tickets.service import can_see_ticket, get_ticket

DECISIONS = {"approval": {"approve", "reject"}, "user_task": {"complete"}}


def list_tasks(*, session: Session, user: User, scope: str = "mine",
               status: TaskStatus | None = TaskStatus.OPEN) -> list[Task]:
    """Tasks held by ``user`` (scope mine) or by anyone in their teams (scope team)."""
    query: Select[Task] = select(Task).options(
        selectinload(Task.ticket), selectinload(Task.assignee)).order_by(Task.id.desc())
    if scope == "team":
        teams = select(TeamMember.team_id).where(TeamMember.user_id == user.id)
        members = select(TeamMember.user_id).where(TeamMember.team_id.in_(teams))
        query = query.where(Task.assignee_id.in_(members))
    else:
        query = query.where(Task.assignee_id == user.id)
    if status is not None:
        query = query.where(Task.status == status)
    return list(session.scalars(query.limit(200)))


def get_task(*, session: Session, task_id: int, user: User) -> Task:
    """A task the user holds or handed on, or (agents, admins) one on a ticket they may see;
    else NotFound (never reveal that it exists)."""
    task = session.get(Task, task_id)
    if task is None or not (user.id in (task.assignee_id, task.delegated_by_id) or (
            user.role in (Role.ADMIN, Role.AGENT)
            and can_see_ticket(session=session, viewer=user, ticket_id=task.ticket_id))):
        raise NotFound(f"There is no task {task_id}, or you may not see it.")
    return task


def _locked_open_task(session: Session, task_id: int, user: User) -> Task:
    task = get_task(session=session, task_id=task_id, user=user)
    lock_instance(session, task.instance_id)
    locked = session.scalar(select(Task).where(Task.id == task_id).with_for_update()
                            .execution_options(populate_existing=True))
    if locked is None or locked.status != TaskStatus.OPEN:
        raise Conflict("This task was already decided or closed.")
    if locked.assignee_id != user.id and user.role != Role.ADMIN:
        raise PermissionDenied("Only the person holding this task may act on it.")
    return locked


def _record(session: Session, task: Task, kind: str, actor: User, **payload: object) -> None:
    session.add(TicketEvent(ticket_id=task.ticket_id, kind=kind, actor_id=actor.id,
                            payload={"task": task.key, "node": task.node, **payload}))


def decide_task(*, session: Session, task_id: int, user: User, decision: str,
                comment: str = "", now: datetime | None = None) -> Task:
    """Approve, reject or complete a task; the flow moves on in the same transaction."""
    task = _locked_open_task(session, task_id, user)
    if decision not in DECISIONS.get(task.kind, set()):
        allowed = " or ".join(sorted(DECISIONS.get(task.kind, set())))
        raise InvalidSubmission([Problem("/decision", "enum", f"Choose {allowed}.")])
    now = now or utcnow()
    if task.delegated_by_id is not None:
        # a delegate gives an opinion; the delegator still decides
        _record(session, task, "task.delegate_answered", user, decision=decision,
                comment=comment)
        task.assignee_id, task.delegated_by_id = task.delegated_by_id, None
        session.flush()
        return task
    task.status, task.decision, task.comment = TaskStatus.DONE, decision, comment or None
    task.decided_at, task.decided_by_id = now, user.id
    _record(session, task, "task.decided", user, decision=decision, comment=comment)
    session.flush()
    advance(session=session, instance_id=task.instance_id,
            event=engine.Event.decided(task.key, decision, user.email, comment), now=now)
    return task


def _hand_over(session: Session, task_id: int, user: User, to: str, comment: str,
               *, delegate: bool) -> Task:
    task = _locked_open_task(session, task_id, user)
    person = get_user_by_email(session=session, email=to)
    if person is None or not person.active or person.role == Role.REQUESTER:
        raise InvalidSubmission([Problem("/to", "user.unknown", "No such colleague.")])
    if person.id == task.assignee_id:
        raise Conflict("The task is already held by this person.")
    task.delegated_by_id = task.assignee_id if delegate else None
    task.assignee_id = person.id
    _record(session, task, "task.delegated" if delegate else "task.transferred", user,
            to=person.email, comment=comment)
    session.flush()
    return task


def delegate_task(*, session: Session, task_id: int, user: User, to: str,
                  comment: str = "") -> Task:
    """Ask someone else to answer; their answer brings the task back to ``user``."""
    return _hand_over(session, task_id, user, to, comment, delegate=True)


def transfer_task(*, session: Session, task_id: int, user: User, to: str,
                  comment: str = "") -> Task:
    """Hand the task over for good."""
    return _hand_over(session, task_id, user, to, comment, delegate=False)


def ticket_tasks(*, session: Session, ticket: Ticket) -> list[Task]:
    """Every task of a ticket, oldest first."""
    return list(session.scalars(select(Task).where(Task.ticket_id == ticket.id)
                                .order_by(Task.id)))


def task_ticket(*, session: Session, viewer: User, number: int) -> Ticket:
    """A ticket the viewer may see, or one on which they hold, delegated or decided a task."""
    try:
        return get_ticket(session=session, viewer=viewer, number=number)
    except NotFound:
        mine = select(Task.ticket_id).where(or_(
            Task.assignee_id == viewer.id, Task.delegated_by_id == viewer.id,
            Task.decided_by_id == viewer.id))
        ticket = session.scalar(select(Ticket).where(Ticket.number == number,
                                                     Ticket.id.in_(mine)))
        if ticket is None:
            raise
        return ticket
