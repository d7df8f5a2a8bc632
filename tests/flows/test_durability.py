"""Nothing is lost: Redis outages, killed workers and concurrent votes, on real parts."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import func, select

from core.clock import utcnow
from core.people import User
from runtime.flows.models import OutboxMessage, OutboxStatus, Task, TaskStatus
from runtime.flows.outbox import STALE_AFTER, relay_pending
from runtime.flows.tasks import decide_task
from runtime.queue import job_queue, redis_connection
from runtime.tickets.models import Ticket, TicketEvent
from tests.flows.conftest import submission, webhook_flow

pytestmark = pytest.mark.redis


def _drain(world, redis_url: str, *, later: timedelta = timedelta(0)) -> None:
    """Relay everything due (as if ``later`` had passed) and run a burst worker."""
    connection = redis_connection(redis_url)
    with world.factory() as session:
        while relay_pending(session=session, connection=connection,
                            now=utcnow() + later) > 0:
            pass
    SimpleWorker([job_queue(connection)], connection=connection,
                 serializer=JSONSerializer).work(burst=True, logging_level="WARNING")


def _statuses(world) -> dict[str, int]:
    with world.factory() as session:
        return dict(session.execute(select(OutboxMessage.status, func.count())
                                    .group_by(OutboxMessage.status)).all())


def test_redis_down_during_200_submissions_loses_nothing(world_factory, redis_server, receiver):
    """Redis dies after 50 of 200 submissions: every ticket is saved, and once Redis is
    back every webhook is delivered, each idempotency key applied once."""
    world = world_factory(webhook_flow(receiver.url), redis_url=redis_server.url)
    client = world.app.test_client()
    headers = {**world.requester_headers, "Content-Type": "application/json"}
    codes = []
    for index in range(200):
        if index == 50:
            redis_server.stop()  # with it go the jobs enqueued so far
        codes.append(client.post("/api/v1/forms/simple/submissions", data=submission(index),
                                 headers=headers).status_code)
    assert codes == [201] * 200
    with world.factory() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 200
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 200

    redis_server.start()
    _drain(world, redis_server.url, later=STALE_AFTER + timedelta(seconds=1))
    assert _statuses(world) == {OutboxStatus.DONE: 200}
    assert len(receiver.applied) == 200 and set(receiver.applied.values()) == {1}
    with world.factory() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)
                              .where(Ticket.status == "resolved")) == 200


def _worker(world, redis_url: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": world.url, "REDIS_URL": redis_url,
           "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "SECRET_KEY": "test-only"}
    with open(os.environ.get("WORKER_LOG", os.devnull), "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "app.cli", "worker", *args], env=env,
                                stdout=log, stderr=log)


def _kill_tree(pid: int) -> None:
    """SIGKILL a process and its descendants (RQ's work horse starts its own session)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry))
    todo, tree = [pid], []
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    for member in tree:
        with contextlib.suppress(ProcessLookupError):
            os.kill(member, signal.SIGKILL)


def test_worker_killed_mid_webhook_applies_each_effect_once(world_factory, redis_server,
                                                            receiver):
    """A worker killed while the receiver handles its request: the message is delivered
    again with the same webhook-id, and the receiver applies every effect exactly once."""
    receiver.delay = 2.0
    world = world_factory(webhook_flow(receiver.url), redis_url=redis_server.url)
    client = world.app.test_client()
    headers = {**world.requester_headers, "Content-Type": "application/json"}
    for index in range(5):
        assert client.post("/api/v1/forms/simple/submissions", data=submission(index),
                           headers=headers).status_code == 201
    worker = _worker(world, redis_server.url)
    try:
        assert receiver.started.wait(30), "the worker never called the receiver"
        _kill_tree(worker.pid)  # mid-request: no result recorded
        worker.wait(10)
    finally:
        if worker.poll() is None:
            _kill_tree(worker.pid)
            worker.wait(10)
    receiver.delay = 0.0
    assert _statuses(world).get(OutboxStatus.DONE, 0) < 5
    deadline = time.monotonic() + 60
    while _statuses(world).get(OutboxStatus.DONE, 0) < 5 and time.monotonic() < deadline:
        _drain(world, redis_server.url, later=STALE_AFTER + timedelta(seconds=1))
    assert _statuses(world) == {OutboxStatus.DONE: 5}
    assert len(receiver.applied) == 5 and set(receiver.applied.values()) == {1}
    assert len(receiver.deliveries) > 5  # the interrupted one was delivered twice


def all_approval_flow(url: str) -> dict:
    """start -> approval by every member of after-sales (all) -> webhook -> end."""
    return {"formatVersion": 1, "key": "flow", "title": {"en": "Approve"},
            "nodes": [
                {"id": "start", "type": "start", "position": {"x": 0, "y": 0},
                 "data": {"trigger": "form.submitted", "form": "simple"}},
                {"id": "vote", "type": "approval", "position": {"x": 200, "y": 0},
                 "data": {"approvers": [{"kind": "team", "team": "after-sales"}],
                          "mode": "all"}},
                {"id": "hook", "type": "action", "position": {"x": 400, "y": 0},
                 "data": {"action": "webhook", "url": url}},
                {"id": "ok", "type": "end", "position": {"x": 600, "y": 0},
                 "data": {"outcome": "resolved"}},
                {"id": "no", "type": "end", "position": {"x": 600, "y": 100},
                 "data": {"outcome": "rejected"}}],
            "edges": [{"id": "e1", "source": "start", "target": "vote"},
                      {"id": "e2", "source": "vote", "sourceHandle": "approved",
                       "target": "hook"},
                      {"id": "e3", "source": "vote", "sourceHandle": "rejected",
                       "target": "no"},
                      {"id": "e4", "source": "hook", "target": "ok"}]}


def test_twenty_concurrent_votes_advance_once(world_factory, receiver):
    """Twenty approvers approve at the same moment: every vote counts, the approval
    decides once, and exactly one webhook is written."""
    world = world_factory(all_approval_flow(receiver.url), redis_url=None, agents=20)
    if world.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite has one writer at a time)")
    client = world.app.test_client()
    response = client.post("/api/v1/forms/simple/submissions", data=submission(1),
                           headers={**world.requester_headers,
                                    "Content-Type": "application/json"})
    assert response.status_code == 201
    with world.factory() as session:
        tasks = session.execute(select(Task.id, User.id).join(User, Task.assignee_id == User.id)
                                ).all()
    assert len(tasks) == 20
    barrier = threading.Barrier(20, timeout=30)
    errors: list[BaseException] = []

    def vote(task_id: int, user_id: int) -> None:
        with world.factory() as session:
            try:
                user = session.get_one(User, user_id)
                barrier.wait()
                decide_task(session=session, task_id=task_id, user=user, decision="approve")
                session.commit()
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=vote, args=row) for row in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with world.factory() as session:
        assert session.scalar(select(func.count()).select_from(Task)
                              .where(Task.status == TaskStatus.DONE)) == 20
        outcomes = session.scalars(select(TicketEvent.payload)
                                   .where(TicketEvent.kind == "flow.approval.outcome")).all()
        assert [o["outcome"] for o in outcomes] == ["approved"]
        # the flow's own effects (the voters' notification mails have no instance)
        assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.instance_id.is_not(None))) == 1
