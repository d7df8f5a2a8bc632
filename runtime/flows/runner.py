"""Run flows durably: start an instance with its ticket, advance it on events.

How it works. ``advance`` locks the instance row, asks the pure engine for the next state
and the effects, stores the state and applies every effect in the same transaction:
assignment, tasks, timers and ticket changes directly; notifications, webhooks and
lookups as outbox rows that jobs deliver after commit. Locks are always taken instance
first, then its tasks, timers or outbox rows, so concurrent votes, timers and job results
on one instance queue instead of deadlocking.

New rows (the instance at a start, tasks, timers, timeline events, outbox rows, the
notices of new tasks and assignments) are collected and written by ``insert_together``,
on PostgreSQL as one statement, not by the unit of work: for a flow's first steps inside a
submission, the flush's bookkeeping cost more than everything else the request did
(bench/profile_submission.py --routed).
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
from core.db import FIRST_ID, Base, insert_together
from core.people import User
from runtime import engine
from runtime.assignment import assign_ticket
from runtime.audit import AuditEntry
from runtime.directory import DbDirectory
from runtime.flows.models import (
    HANDOFF_GRACE,
    NEW_OUTBOX,
    FlowInstance,
    InstanceStatus,
    OutboxMessage,
    Task,
    TaskStatus,
    Timer,
    outbox_row,
)
from runtime.notifications import flow_notice_rows
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
               now: datetime | None = None) -> None:
    """Start flow version ``version_id`` for a new ticket (written, with an id), in the
    caller's transaction: the instance and what its first steps make are new rows written
    together (``_Writes``), with no unit of work."""
    now = now or utcnow()
    definition = flow_definition(session, version_id, digest)
    state, effects = engine.start(definition, _context(session, ticket, now))
    writes = _Writes(session, ticket, None, {
        "ticket_id": ticket.id, "flow_version_id": version_id, "state": state,
        "status": InstanceStatus.RUNNING, "created_at": now, "updated_at": now})
    _apply(writes, None, effects, now, definition)


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
    _apply(_Writes(session, ticket, instance.id), instance, effects, now, definition)
    return effects


def _user_id(session: Session, email: str | None) -> int | None:
    if not email:
        return None
    return session.scalar(select(User.id).where(User.email == email, User.active.is_(True)))


def _render(text: Any, data: dict[str, Any], locale: str) -> str:
    """A TEXT with ``{{field}}`` placeholders filled from the ticket's data."""
    return re.sub(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}",
                  lambda m: str(data.get(m.group(1), "")), localized(text, locale))


class _Writes:
    """The rows a start or an advance adds, written together by ``insert_together`` (no
    unit of work): at the end, or before a statement that must see them. Instance first
    when it is new (``instance_id`` None): the other rows refer to it as ``FIRST_ID``.
    The notices of new tasks and assignments and the ticket's audit entries go with the
    last write."""

    def __init__(self, session: Session, ticket: Ticket, instance_id: int | None,
                 instance: dict[str, Any] | None = None) -> None:
        self.session, self.ticket, self.instance_id = session, ticket, instance_id
        self.rows: list[tuple[type[Base], dict[str, Any]]] = (
            [] if instance is None else [(FlowInstance, instance)])
        self.tasks: list[tuple[int, str]] = []  # (assignee, task key) to tell
        self.assigned: list[int] = []  # users an assignment gave the ticket to
        self.audit: list[dict[str, Any]] = []

    @property
    def instance(self) -> Any:
        """The instance's id, or ``FIRST_ID`` while it is a row to write."""
        return FIRST_ID if self.instance_id is None else self.instance_id

    def event(self, kind: str, payload: dict[str, Any], now: datetime) -> None:
        self.rows.append((TicketEvent, {"ticket_id": self.ticket.id, "kind": kind,
                                        "actor_id": None, "payload": payload,
                                        "created_at": now}))

    def outbox(self, effect_key: str, kind: str, payload: dict[str, Any], now: datetime,
               max_attempts: int = 8) -> None:
        self.rows.append((OutboxMessage, outbox_row(
            instance_id=self.instance, ticket_id=self.ticket.id, effect_key=effect_key,
            kind=kind, payload=payload, now=now, due=now + HANDOFF_GRACE,
            max_attempts=max_attempts)))

    def write(self, last: bool = True) -> int:
        """Write the rows collected so far (the last time: with notices and audit entries);
        returns the instance's id."""
        rows = self.rows
        if last:
            rows += flow_notice_rows(self.session, self.ticket, self.tasks, self.assigned)
            rows += [(AuditEntry, entry) for entry in self.audit]
        ids = insert_together(self.session, rows, ids_of=(FlowInstance, OutboxMessage))
        self.rows = []
        if self.instance_id is None:
            self.instance_id = ids[FlowInstance][0]
        self.session.info.setdefault(NEW_OUTBOX, []).extend(ids[OutboxMessage])
        return self.instance_id


def _notify(writes: _Writes, ticket: Ticket, key: str, recipients: list[str], subject: Any,
            body: Any, now: datetime) -> None:
    if not recipients:
        return
    values = {**ticket.data, "_number": ticket.number}
    writes.outbox(key, "email", {"to": recipients,
                                 "subject": _render(subject, values, ticket.locale),
                                 "body": _render(body, values, ticket.locale)}, now)


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


def _apply(writes: _Writes, instance: FlowInstance | None, effects: list[engine.Effect],
           now: datetime, definition: dict[str, Any]) -> None:
    """Carry out the engine's effects inside the current transaction: new rows through
    ``writes``, changes of existing rows as statements (``instance``: the one being
    advanced, None for a start)."""
    session, ticket = writes.session, writes.ticket
    directory = DbDirectory(session, ticket.requester)
    for effect in effects:
        match effect:
            case engine.Assign():
                result = assign_ticket(session=session, ticket=ticket,
                                       strategy=effect.strategy, params=effect.params,
                                       data=condition_data(ticket, ticket.requester),
                                       audit=writes.audit)
                writes.event("assigned", {
                    "node": effect.node, "user_id": result.user_id, "team_id": result.team_id,
                    "reason": result.reason}, now)
                if result.user_id is not None:
                    writes.assigned.append(result.user_id)
            case engine.CreateTask():
                # a user task naming nobody goes to whoever holds the ticket
                assignee = (_user_id(session, effect.assignee) if effect.assignee
                            else ticket.assignee_id)
                writes.rows.append((Task, {
                    "instance_id": writes.instance, "ticket_id": ticket.id, "key": effect.task,
                    "node": effect.node, "kind": effect.kind,
                    "title": effect.title if isinstance(effect.title, dict) else (
                        {"en": effect.title} if effect.title else None),
                    "assignee_id": assignee, "status": TaskStatus.OPEN, "due_at": effect.due_at,
                    "created_at": now, "revision": 1}))
                if assignee is not None:
                    writes.tasks.append((assignee, effect.task))
                writes.event("task.created", {
                    "node": effect.node, "task": effect.task, "kind": effect.kind,
                    "assignee": effect.assignee}, now)
            case engine.CloseTasks():
                session.execute(update(Task).where(
                    Task.instance_id == writes.write(last=False), Task.key.in_(effect.tasks),
                    Task.status == TaskStatus.OPEN).values(status=TaskStatus.CLOSED)
                    .execution_options(synchronize_session=False))
            case engine.SetTimer():
                writes.rows.append((Timer, {"instance_id": writes.instance, "key": effect.timer,
                                            "due_at": effect.due_at, "cancelled": False}))
            case engine.CancelTimer():
                session.execute(update(Timer).where(
                    Timer.instance_id == writes.write(last=False), Timer.key == effect.timer)
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
                writes.event("updated", {"node": effect.node, **changes}, now)
            case engine.Notify():
                recipients = [e for selector in effect.to
                              for e in directory.approvers([selector], ticket.data)]
                _notify(writes, ticket, effect.key, recipients, effect.subject, effect.body, now)
            case engine.CallWebhook():
                writes.outbox(effect.key, "webhook", {
                    "url": effect.url, "secret": effect.secret, "node": effect.node,
                    "body": {"type": "ticket.flow", "node": effect.node,
                             "ticket": {"number": ticket.number, "form": ticket.form_key,
                                        "status": str(ticket.status), "data": ticket.data}}},
                    now, max_attempts=effect.retry_max)
            case engine.Lookup():
                writes.outbox(effect.key, "lookup", {
                    "url": effect.url, "method": effect.method, "node": effect.node}, now)
            case engine.Escalate():
                session.execute(update(Task).where(
                    Task.instance_id == writes.write(last=False), Task.key == effect.task,
                    Task.status == TaskStatus.OPEN).values(
                    assignee_id=_user_id(session, effect.to), delegated_by_id=None)
                    .execution_options(synchronize_session=False))
                writes.event("task.escalated", {
                    "node": effect.node, "task": effect.task, "from": effect.assignee,
                    "to": effect.to}, now)
            case engine.Record():
                writes.event(f"flow.{effect.kind}", {"node": effect.node, **effect.detail}, now)
                if effect.kind == "approval.timeout" and effect.detail.get("action") == "remind":
                    _notify(writes, ticket, effect.key, list(effect.detail.get("to") or []),
                            {"en": "Reminder: ticket #{{_number}} waits for your approval",
                             "zh-CN": "提醒：工单 #{{_number}} 等待您的审批"},
                            {"en": "Please decide on the approval task.",
                             "zh-CN": "请处理该审批任务。"}, now)
            case engine.Finish():
                category = OUTCOME_STATUS.get(effect.outcome, Status.RESOLVED)
                _flow_status(session, ticket, _end_status(definition, effect.node) or category,
                             category)
                writes.event("flow.finished", {"node": effect.node, "outcome": effect.outcome,
                                               "status_key": ticket.status_key}, now)
                if effect.final and instance is not None:
                    instance.status = InstanceStatus.ENDED
                elif effect.final:
                    session.execute(update(FlowInstance).where(
                        FlowInstance.id == writes.write(last=False))
                        .values(status=InstanceStatus.ENDED))
    writes.write()
    session.flush()  # what changed on loaded rows: the ticket's status, the instance's state
