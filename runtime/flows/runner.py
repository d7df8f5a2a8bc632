"""Run flows durably: start an instance with its ticket, advance it on events.

How it works. ``advance`` locks the instance row, asks the pure engine for the next state
and the effects, stores the state and applies every effect in the same transaction:
assignment, tasks, timers and ticket changes directly; notifications, webhooks and
lookups as outbox rows that jobs deliver after commit. Locks are always taken instance
first, then its tasks, timers or outbox rows, so concurrent votes, timers and job results
on one instance queue instead of deadlocking.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from builder.flows.models import FlowVersion
from builder.forms.texts import localized
from builder.statuses import TicketStatus
from core.clock import utcnow
from core.people import User
from runtime import engine
from runtime.assignment import assign_ticket
from runtime.directory import DbDirectory
from runtime.flows.models import (
    HANDOFF_GRACE,
    FlowInstance,
    InstanceStatus,
    OutboxMessage,
    Task,
    TaskStatus,
    Timer,
)
from runtime.tickets.models import Priority, Status, Ticket, TicketEvent
from runtime.tickets.statuses import set_status

log = logging.getLogger(__name__)

#: What an end node's outcome makes of the ticket.
OUTCOME_STATUS = {"resolved": Status.RESOLVED, "rejected": Status.CLOSED,
                  "cancelled": Status.CLOSED}

_VERSION_HASH = select(FlowVersion.hash).where(FlowVersion.id == bindparam("id"))
#: Definitions by content hash: what a hash names never changes.
_definitions: dict[str, dict[str, Any]] = {}


def flow_definition(session: Session, version_id: int, digest: str | None = None
                    ) -> dict[str, Any]:
    """A published flow version's definition (looked up by its hash in a process cache)."""
    if digest is None:
        digest = session.execute(_VERSION_HASH, {"id": version_id}).scalar_one()
    if digest not in _definitions:
        if len(_definitions) >= 1024:
            _definitions.clear()
        _definitions[digest] = session.get_one(FlowVersion, version_id).definition
    return _definitions[digest]


def condition_data(ticket: Ticket, requester: User) -> dict[str, Any]:
    """What flow conditions match: the ticket's data plus ``_ticket`` and ``_requester``."""
    return {
        **ticket.data,
        "_ticket": {"number": ticket.number, "priority": str(ticket.priority),
                    "channel": ticket.channel, "status": str(ticket.status),
                    "form": ticket.form_key},
        "_requester": {**(requester.attributes or {}), "email": requester.email,
                       "role": str(requester.role)},
    }


def _context(session: Session, ticket: Ticket, now: datetime) -> engine.Context:
    requester = ticket.requester
    return engine.Context(now=now, data=condition_data(ticket, requester),
                          directory=DbDirectory(session, requester))


def start_flow(*, session: Session, ticket: Ticket, version_id: int, digest: str | None = None,
               now: datetime | None = None) -> FlowInstance:
    """Start flow version ``version_id`` for a new ticket, in the caller's transaction.

    The ticket need not be flushed yet: everything the first steps write refers to it and
    to the instance by relationship, so one flush inserts the ticket with its assignee,
    events, instance, tasks and outbox rows together.
    """
    now = now or utcnow()
    definition = flow_definition(session, version_id, digest)
    with session.no_autoflush:
        state, effects = engine.start(definition, _context(session, ticket, now))
        instance = FlowInstance(ticket=ticket, flow_version_id=version_id, state=state)
        session.add(instance)
        _apply(session, instance, ticket, effects, now, definition)
    return instance


def lock_instance(session: Session, instance_id: int) -> FlowInstance | None:
    """The instance, locked for this transaction (the first lock every writer takes)."""
    return session.scalar(
        select(FlowInstance).where(FlowInstance.id == instance_id).with_for_update()
    )


def advance(*, session: Session, instance_id: int, event: engine.Event,
            now: datetime | None = None) -> list[engine.Effect]:
    """Deliver ``event`` to an instance and apply what follows; returns the effects."""
    instance = lock_instance(session, instance_id)
    if instance is None or instance.status == InstanceStatus.ENDED:
        return []
    now = now or utcnow()
    ticket = instance.ticket
    definition = flow_definition(session, instance.flow_version_id)
    state, effects = engine.step(definition, instance.state, event,
                                 _context(session, ticket, now))
    if state is instance.state:
        return []  # the event answered nothing (a duplicate or a stale one)
    instance.state = state
    _apply(session, instance, ticket, effects, now, definition)
    return effects


def _user_id(session: Session, email: str | None) -> int | None:
    if not email:
        return None
    return session.scalar(select(User.id).where(User.email == email, User.active.is_(True)))


def _render(text: Any, data: dict[str, Any], locale: str) -> str:
    """A TEXT with ``{{field}}`` placeholders filled from the ticket's data."""
    return re.sub(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}",
                  lambda m: str(data.get(m.group(1), "")), localized(text, locale))


def _event(session: Session, ticket: Ticket, kind: str, payload: dict[str, Any]) -> None:
    session.add(TicketEvent(ticket=ticket, kind=kind, payload=payload))


#: ``session.info`` key under which new outbox rows wait for the hand-off after commit.
NEW_OUTBOX = "docket.new_outbox"


def _outbox(session: Session, instance: FlowInstance, ticket: Ticket, effect_key: str,
            kind: str, payload: dict[str, Any], max_attempts: int = 8) -> None:
    row = OutboxMessage(instance=instance, ticket=ticket, effect_key=effect_key,
                        kind=kind, payload=payload, max_attempts=max(1, max_attempts),
                        next_attempt_at=utcnow() + HANDOFF_GRACE)
    session.add(row)
    session.info.setdefault(NEW_OUTBOX, []).append(row)


def _notify(session: Session, instance: FlowInstance, ticket: Ticket, key: str,
            recipients: list[str], subject: Any, body: Any) -> None:
    if not recipients:
        return
    _outbox(session, instance, ticket, key, "email", {
        "to": recipients,
        "subject": _render(subject, {**ticket.data, "_number": ticket.number}, ticket.locale),
        "body": _render(body, {**ticket.data, "_number": ticket.number}, ticket.locale)})


def _persist(session: Session, instance: FlowInstance) -> None:
    """Flush a new instance before a statement that finds its rows by its id."""
    if instance.id is None:
        session.flush()


def _end_status(definition: dict[str, Any], node_id: str) -> str | None:
    """The custom status an end node names (``data.status``), if any."""
    for node in definition.get("nodes", []):
        if node.get("id") == node_id:
            return (node.get("data") or {}).get("status")
    return None


def _flow_status(session: Session, ticket: Ticket, value: str,
                 fallback: Status | None) -> bool:
    """Set the status a flow names; a status deactivated since the flow was published lands
    on its category's default, an unknown one on ``fallback`` (or changes nothing)."""
    known = session.get(TicketStatus, value)
    if known is not None and not known.active:
        value = known.category
    elif known is None and value not in set(Status):
        if fallback is None:
            log.warning("ticket %s: the flow names no known status %r", ticket.number, value)
            return False
        value = fallback
    return set_status(session=session, ticket=ticket, value=value) is not None


def _apply(session: Session, instance: FlowInstance, ticket: Ticket,
           effects: list[engine.Effect], now: datetime, definition: dict[str, Any]) -> None:
    """Carry out the engine's effects inside the current transaction."""
    directory = DbDirectory(session, ticket.requester)
    for effect in effects:
        match effect:
            case engine.Assign():
                result = assign_ticket(session=session, ticket=ticket,
                                       strategy=effect.strategy, params=effect.params,
                                       data=condition_data(ticket, ticket.requester))
                _event(session, ticket, "assigned", {
                    "node": effect.node, "user_id": result.user_id, "team_id": result.team_id,
                    "reason": result.reason})
            case engine.CreateTask():
                session.add(Task(
                    instance=instance, ticket=ticket, key=effect.task,
                    node=effect.node, kind=effect.kind, title=effect.title if isinstance(
                        effect.title, dict) else ({"en": effect.title} if effect.title else None),
                    # a user task naming nobody goes to whoever holds the ticket
                    assignee_id=_user_id(session, effect.assignee) if effect.assignee
                    else ticket.assignee_id, due_at=effect.due_at))
                _event(session, ticket, "task.created", {
                    "node": effect.node, "task": effect.task, "kind": effect.kind,
                    "assignee": effect.assignee})
            case engine.CloseTasks():
                _persist(session, instance)
                session.execute(update(Task).where(
                    Task.instance_id == instance.id, Task.key.in_(effect.tasks),
                    Task.status == TaskStatus.OPEN).values(status=TaskStatus.CLOSED)
                    .execution_options(synchronize_session=False))
            case engine.SetTimer():
                session.add(Timer(instance=instance, key=effect.timer,
                                  due_at=effect.due_at))
            case engine.CancelTimer():
                _persist(session, instance)
                session.execute(update(Timer).where(
                    Timer.instance_id == instance.id, Timer.key == effect.timer)
                    .values(cancelled=True).execution_options(synchronize_session=False))
            case engine.SetTicket():
                changes: dict[str, Any] = {}
                if effect.status and _flow_status(session, ticket, effect.status, None):
                    changes.update(status=str(ticket.status), status_key=ticket.status_key)
                if effect.priority:
                    ticket.priority = Priority(effect.priority)
                    changes["priority"] = effect.priority
                if effect.fields:
                    ticket.data = {**ticket.data, **effect.fields}
                    changes["fields"] = effect.fields
                _event(session, ticket, "updated", {"node": effect.node, **changes})
            case engine.Notify():
                recipients = [e for selector in effect.to
                              for e in directory.approvers([selector], ticket.data)]
                _notify(session, instance, ticket, effect.key, recipients, effect.subject,
                        effect.body)
            case engine.CallWebhook():
                _outbox(session, instance, ticket, effect.key, "webhook", {
                    "url": effect.url, "secret": effect.secret, "node": effect.node,
                    "body": {"type": "ticket.flow", "node": effect.node,
                             "ticket": {"number": ticket.number, "form": ticket.form_key,
                                        "status": str(ticket.status), "data": ticket.data}}},
                        max_attempts=effect.retry_max)
            case engine.Lookup():
                _outbox(session, instance, ticket, effect.key, "lookup", {
                    "url": effect.url, "method": effect.method, "node": effect.node})
            case engine.Escalate():
                _persist(session, instance)
                session.execute(update(Task).where(
                    Task.instance_id == instance.id, Task.key == effect.task,
                    Task.status == TaskStatus.OPEN).values(
                    assignee_id=_user_id(session, effect.to), delegated_by_id=None)
                    .execution_options(synchronize_session=False))
                _event(session, ticket, "task.escalated", {
                    "node": effect.node, "task": effect.task, "from": effect.assignee,
                    "to": effect.to})
            case engine.Record():
                _event(session, ticket, f"flow.{effect.kind}",
                       {"node": effect.node, **effect.detail})
                if effect.kind == "approval.timeout" and effect.detail.get("action") == "remind":
                    _notify(session, instance, ticket, effect.key,
                            list(effect.detail.get("to") or []),
                            {"en": "Reminder: ticket #{{_number}} waits for your approval",
                             "zh-CN": "提醒：工单 #{{_number}} 等待您的审批"},
                            {"en": "Please decide on the approval task.",
                             "zh-CN": "请处理该审批任务。"})
            case engine.Finish():
                category = OUTCOME_STATUS.get(effect.outcome, Status.RESOLVED)
                _flow_status(session, ticket, _end_status(definition, effect.node) or category,
                             category)
                _event(session, ticket, "flow.finished",
                       {"node": effect.node, "outcome": effect.outcome,
                        "status_key": ticket.status_key})
                if effect.final:
                    instance.status = InstanceStatus.ENDED
    session.flush()
