"""The outbox: hand side effects to RQ after commit, deliver them, retry, raise incidents.

How it works. Effects are written as pending ``OutboxMessage`` rows in the transaction that
caused them, due ``HANDOFF_GRACE`` later. Right after the commit, wherever it happens (a
request, a job, the timer sweep), ``hand_off`` enqueues them (Redis only, no database
work); the relay's poll (``relay_pending``, every second) enqueues whatever is due because
that hand-off failed or was lost, and takes back claims of workers that died. The job
``deliver_message`` claims its row (pending → enqueued) so that two jobs for one message
never both deliver it, performs the delivery outside any transaction, then records the
result under the instance and row locks: done (and the flow hears ``job.done``), pending
again with a backoff, or dead with an incident (and the flow hears ``job.failed``).
Delivery is at least once; the outbox id is the idempotency key receivers see
(``webhook-id``, ``Message-ID``), and a row already done is never delivered again by a
late duplicate job.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import CursorResult, event, select, update
from sqlalchemy.orm import Session, sessionmaker

from core.clock import utcnow
from core.errors import NotFound
from runtime import engine
from runtime.flows.models import (
    HANDOFF_GRACE,
    NEW_OUTBOX,
    STALE_AFTER,
    Incident,
    OutboxMessage,
    OutboxStatus,
    Timer,
)
from runtime.flows.runner import advance, lock_instance
from runtime.inbound import reply_address
from runtime.outbound import mail, webhooks
from runtime.queue import job_queue, redis_connection
from runtime.tickets.models import TicketEvent

log = logging.getLogger(__name__)

JOB_TIMEOUT = 60


@dataclass(frozen=True, slots=True)
class RunnerSettings:
    """What jobs and the relay need, set once per process by the app factory."""

    session_factory: sessionmaker[Session]
    redis_url: str | None
    allowed_hosts: frozenset[str] = frozenset()
    smtp_url: str | None = None
    mail_sink: Path | None = None
    mail_from: str = "docket@localhost"
    extra: dict[str, Any] = field(default_factory=dict)


_settings: RunnerSettings | None = None


def configure(settings: RunnerSettings) -> None:
    """Remember the settings jobs and the relay of this process use, and hand off the
    outbox rows of every commit of their sessions."""
    global _settings
    _settings = settings
    if not event.contains(settings.session_factory, "after_commit", hand_off):
        event.listen(settings.session_factory, "after_commit", hand_off)


def settings() -> RunnerSettings:
    """The settings given to ``configure``."""
    if _settings is None:
        raise RuntimeError("runtime.flows.outbox.configure() was not called")
    return _settings


def enqueue_messages(connection: Redis, outbox_ids: list[int]) -> None:
    """Hand messages to RQ (one pipeline); raises RedisError when Redis is unreachable."""
    queue = job_queue(connection)
    with connection.pipeline() as pipe:
        for outbox_id in outbox_ids:
            queue.enqueue(deliver_message, outbox_id, job_timeout=JOB_TIMEOUT, pipeline=pipe)
        pipe.execute()


def hand_off(session: Session) -> None:
    """After a commit: enqueue the outbox rows the transaction wrote (``NEW_OUTBOX``). If
    Redis is down, or the process dies first, the relay's poll sends them once they are
    due. Not after a savepoint's release: its rows are not committed yet."""
    if session.in_nested_transaction() or not (ids := session.info.pop(NEW_OUTBOX, None)):
        return
    try:
        enqueue_messages(redis_connection(settings().redis_url), ids)
    except RedisError as exc:  # never fail what has been committed
        log.warning("hand-off of outbox %s deferred to the relay: %s", ids, exc)


def relay_pending(*, session: Session, connection: Redis, now: datetime | None = None,
                  limit: int = 200) -> int:
    """The relay's poll: enqueue due messages and take back stale claims; commits.

    A due message is pending with ``next_attempt_at`` passed: its hand-off after commit
    failed or was lost, or its retry is due. A stale claim is a message a worker started and
    never finished (the worker died): it becomes pending again. Each message enqueued here
    waits ``HANDOFF_GRACE`` before it counts as due again. Returns how many went to RQ; when
    Redis is down nothing changes and the rows wait for the next poll.
    """
    now = now or utcnow()
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.ENQUEUED,
               OutboxMessage.enqueued_at < now - STALE_AFTER)
        .values(status=OutboxStatus.PENDING, next_attempt_at=now)
    )
    rows = list(session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING,
               OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id).limit(limit).with_for_update(skip_locked=True)
    ))
    try:
        if rows:
            enqueue_messages(connection, [row.id for row in rows])
    except RedisError as exc:
        session.rollback()
        log.warning("relay: Redis unavailable (%s); %d messages wait", exc, len(rows))
        return 0
    for row in rows:
        row.next_attempt_at = now + HANDOFF_GRACE
    session.commit()
    return len(rows)


def _claim(session: Session, outbox_id: int, now: datetime) -> OutboxMessage | None:
    """Take a message for delivery: pending, or claimed by a worker that died. Two jobs
    for one message (a relay re-enqueue racing a slow queue) never both deliver it."""
    claimed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id,
               (OutboxMessage.status == OutboxStatus.PENDING)
               | ((OutboxMessage.status == OutboxStatus.ENQUEUED)
                  & (OutboxMessage.enqueued_at < now - STALE_AFTER)))
        .values(status=OutboxStatus.ENQUEUED, enqueued_at=now)
    )
    return session.get(OutboxMessage, outbox_id) if claimed.rowcount else None


@dataclass(frozen=True, slots=True)
class _Attempt:
    ok: bool
    retryable: bool
    error: str
    result: Any
    log: dict[str, Any]


def _perform(message_id: int, kind: str, payload: dict[str, Any],
             config: RunnerSettings) -> _Attempt:
    """Do the delivery (no database, no locks held)."""
    if kind == "webhook":
        sent = webhooks.deliver(payload["url"], payload["body"], message_id=str(message_id),
                                secret=payload.get("secret"),
                                allowed_hosts=config.allowed_hosts)
        entry = {"url": payload["url"], "status": sent.status, "ms": sent.duration_ms,
                 "outcome": str(sent.outcome), "response": sent.response_excerpt[:500]}
        return _Attempt(sent.outcome == webhooks.Outcome.DELIVERED, sent.retryable,
                        sent.error, {"status": sent.status}, entry)
    if kind == "lookup":
        found = webhooks.lookup(payload["url"], method=payload.get("method", "GET"),
                                allowed_hosts=config.allowed_hosts)
        entry = {"url": payload["url"], "status": found.status, "ms": found.duration_ms}
        return _Attempt(found.ok, found.retryable, found.error, found.data, entry)
    if kind == "email":
        headers = {"Message-ID": mail.outbox_message_id(message_id, "docket")}
        if payload.get("reply_ticket") and config.extra.get("reply_secret"):
            # answering this mail lands on the ticket (runtime.inbound)
            headers["Reply-To"] = reply_address(int(payload["reply_ticket"]),
                                                secret=config.extra["reply_secret"],
                                                mail_from=config.mail_from)
        try:
            receipt = mail.send_mail(
                mail.Mail(to=list(payload["to"]), subject=payload["subject"],
                          text=payload["body"], sender=config.mail_from, headers=headers),
                smtp_url=config.smtp_url, sink_dir=config.mail_sink)
        except mail.MailError as exc:
            return _Attempt(False, exc.retryable, exc.detail, None, {"to": payload["to"]})
        return _Attempt(True, False, "", None, {"to": payload["to"],
                                                "message_id": receipt.message_id})
    return _Attempt(False, False, f"unknown outbox kind {kind!r}", None, {})


def deliver_message(outbox_id: int) -> str:
    """RQ job: deliver one outbox message and report the result to its flow."""
    config = settings()
    with config.session_factory() as session:
        row = _claim(session, outbox_id, utcnow())
        if row is None:
            return "skipped"  # done, dead, or another worker has it
        kind, payload = row.kind, dict(row.payload)
        session.commit()
    attempt = _perform(outbox_id, kind, payload, config)
    with config.session_factory() as session:
        outcome = record_attempt(session=session, outbox_id=outbox_id, attempt=attempt)
        session.commit()
    log.info("outbox %s (%s): %s", outbox_id, kind, outcome)
    return outcome


def record_attempt(*, session: Session, outbox_id: int, attempt: _Attempt,
                   now: datetime | None = None) -> str:
    """Store one attempt's result and tell the flow; the caller commits."""
    now = now or utcnow()
    row = session.get(OutboxMessage, outbox_id)
    if row is None:
        return "skipped"
    if row.instance_id is not None:
        lock_instance(session, row.instance_id)
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.id == outbox_id)
                         .with_for_update().execution_options(populate_existing=True))
    if row is None or row.status in (OutboxStatus.DONE, OutboxStatus.DEAD):
        return "skipped"  # a duplicate run finished first
    row.attempts += 1
    if row.ticket_id is not None:
        session.add(TicketEvent(ticket_id=row.ticket_id, kind=f"delivery.{row.kind}", payload={
            "outbox": row.id, "attempt": row.attempts, "ok": attempt.ok,
            "error": attempt.error[:500], **attempt.log}))
    if attempt.ok:
        row.status, row.delivered_at, row.last_error = OutboxStatus.DONE, now, None
        row.result = attempt.result if isinstance(attempt.result, dict) else {
            "value": attempt.result}
        if row.instance_id is not None and row.kind in ("webhook", "lookup"):
            advance(session=session, instance_id=row.instance_id,
                    event=engine.Event.job_done(row.effect_key, attempt.result), now=now)
        return "delivered"
    row.last_error = attempt.error[:2000]
    if attempt.retryable and row.attempts < row.max_attempts:
        row.status = OutboxStatus.PENDING
        row.next_attempt_at = now + timedelta(seconds=webhooks.backoff(row.attempts))
        return "retry"
    row.status = OutboxStatus.DEAD
    session.add(Incident(outbox_id=row.id, ticket_id=row.ticket_id, error=row.last_error))
    if row.instance_id is not None and row.kind in ("webhook", "lookup"):
        advance(session=session, instance_id=row.instance_id,
                event=engine.Event.job_failed(row.effect_key, row.last_error), now=now)
    return "dead"


def retry_incident(*, session: Session, incident_id: int, now: datetime | None = None
                   ) -> Incident:
    """An admin's retry: the message gets a fresh set of attempts; the caller commits."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"There is no incident {incident_id}.")
    now = now or utcnow()
    row = incident.message
    if row.status == OutboxStatus.DEAD:
        row.status, row.attempts, row.next_attempt_at = OutboxStatus.PENDING, 0, now
        session.info.setdefault(NEW_OUTBOX, []).append(row.id)  # hand it off after commit
    incident.resolved_at = now
    session.flush()
    return incident


def fire_due_timers(*, session_factory: sessionmaker[Session], now: datetime | None = None,
                    limit: int = 100) -> int:
    """Fire every due timer once (each in its own transaction); returns how many fired.

    Reads only due, unfired timers through a partial index: the cost follows the number of
    due timers, not the number of open tickets.
    """
    now = now or utcnow()
    with session_factory() as session:
        due = session.execute(
            select(Timer.id, Timer.instance_id, Timer.key)
            .where(Timer.fired_at.is_(None), Timer.cancelled.is_(False), Timer.due_at <= now)
            .order_by(Timer.due_at).limit(limit)
        ).all()
    fired = 0
    for timer_id, instance_id, key in due:
        with session_factory() as session:
            lock_instance(session, instance_id)
            timer = session.scalar(select(Timer).where(Timer.id == timer_id).with_for_update())
            if timer is None or timer.fired_at is not None or timer.cancelled:
                continue  # another sweeper got it, or it was cancelled meanwhile
            timer.fired_at = now
            advance(session=session, instance_id=instance_id,
                    event=engine.Event.timer_fired(key), now=now)
            session.commit()
            fired += 1
    return fired


def run_relay(config: RunnerSettings, stop: threading.Event, interval: float = 1.0) -> None:
    """The relay loop (``docket relay``; a thread under ``docket run``): outbox and timers."""
    connection = redis_connection(config.redis_url)
    while not stop.is_set():
        try:
            with config.session_factory() as session:
                while relay_pending(session=session, connection=connection) > 0:
                    pass
            fire_due_timers(session_factory=config.session_factory)
        except Exception:  # keep relaying whatever one round hit; the next may succeed
            log.exception("relay round failed")
        stop.wait(interval)
