"""Timers fire through the sweep; lookups write the answer into the ticket."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import func, select

from core.clock import utcnow
from core.people import User
from runtime.flows.models import OutboxMessage, Task, TaskStatus, Timer
from runtime.flows.outbox import fire_due_timers
from runtime.queue import job_queue, redis_connection
from runtime.tickets.models import Ticket, TicketEvent
from tests.flows.conftest import submission


def _flow(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> dict[str, Any]:
    start = {"id": "start", "type": "start", "position": {"x": 0, "y": 0},
             "data": {"trigger": "form.submitted", "form": "simple"}}
    end = {"id": "done", "type": "end", "position": {"x": 0, "y": 0},
           "data": {"outcome": "resolved"}}
    return {"formatVersion": 1, "key": "flow", "title": {"en": "T"},
            "nodes": [start, *nodes, end], "edges": edges}


def _submit(world) -> int:
    response = world.app.test_client().post(
        "/api/v1/forms/simple/submissions", data=submission(1),
        headers={**world.requester_headers, "Content-Type": "application/json"})
    assert response.status_code == 201, response.json
    return int(response.json["number"])


def test_approval_due_timer_auto_approves_once(world_factory):
    """An approval due in 1 hour with onTimeout approve: the sweep after 2 hours approves
    it, closes the open task, and a second sweep fires nothing more."""
    approval = {"id": "ok", "type": "approval", "position": {"x": 0, "y": 0},
                "data": {"approvers": [{"kind": "team", "team": "after-sales"}],
                         "mode": "all", "due": "PT1H", "onTimeout": "approve"}}
    no = {"id": "no", "type": "end", "position": {"x": 0, "y": 0},
          "data": {"outcome": "rejected"}}
    world = world_factory(_flow([approval, no], [
        {"id": "e1", "source": "start", "target": "ok"},
        {"id": "e2", "source": "ok", "sourceHandle": "approved", "target": "done"},
        {"id": "e3", "source": "ok", "sourceHandle": "rejected", "target": "no"}]),
        redis_url=None)
    number = _submit(world)
    assert fire_due_timers(session_factory=world.factory) == 0  # not due yet
    later = utcnow() + timedelta(hours=2)
    assert fire_due_timers(session_factory=world.factory, now=later) == 1
    assert fire_due_timers(session_factory=world.factory, now=later) == 0
    with world.factory() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket.status == "resolved"
        assert set(session.scalars(select(Task.status))) == {TaskStatus.CLOSED}
        assert session.scalar(select(Timer.fired_at)) is not None


def test_lookup_writes_response_fields_into_the_ticket(world_factory, redis_server):
    """A CRM lookup answers {"customer": {"level": "gold"}}; the map writes it to a field."""

    class Crm(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"customer": {"level": "gold"}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Crm)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        lookup = {"id": "crm", "type": "action", "position": {"x": 0, "y": 0},
                  "data": {"action": "lookup", "method": "GET",
                           "url": f"http://127.0.0.1:{server.server_port}/customer",
                           "map": {"summary": "/customer/level"}}}
        world = world_factory(_flow([lookup], [
            {"id": "e1", "source": "start", "target": "crm"},
            {"id": "e2", "source": "crm", "target": "done"}]), redis_url=redis_server.url)
        number = _submit(world)
        connection = redis_connection(redis_server.url)
        SimpleWorker([job_queue(connection)], connection=connection,
                     serializer=JSONSerializer).work(burst=True, logging_level="WARNING")
        with world.factory() as session:
            ticket = session.scalar(select(Ticket).where(Ticket.number == number))
            assert ticket.data["summary"] == "gold"
            assert ticket.status == "resolved"
            log = session.scalar(select(TicketEvent.payload)
                                 .where(TicketEvent.kind == "delivery.lookup"))
            assert log["ok"] is True and log["status"] == 200
    finally:
        server.shutdown()
        server.server_close()


def _single_approval(world_factory, on_timeout: str):
    approval = {"id": "ok", "type": "approval", "position": {"x": 0, "y": 0},
                "data": {"approvers": [{"kind": "user", "user": "agent0@example.com"}],
                         "mode": "single", "due": "PT1H", "onTimeout": on_timeout}}
    return world_factory(_flow([approval], [
        {"id": "e1", "source": "start", "target": "ok"},
        {"id": "e2", "source": "ok", "sourceHandle": "approved", "target": "done"},
        {"id": "e3", "source": "ok", "sourceHandle": "rejected", "target": "done"}]),
        redis_url=None)


def test_approval_due_timer_escalates_the_task_to_the_managers_desk(world_factory):
    """onTimeout escalate: the overdue task moves to the approver's manager, the timeline
    says so, and the new due timer is set."""
    world = _single_approval(world_factory, "escalate")
    with world.factory() as session:
        agent0, agent1 = (session.scalar(select(User).where(User.email == f"agent{i}@example.com"))
                          for i in range(2))
        agent0.manager_id = agent1.id
        session.commit()
    number = _submit(world)
    assert fire_due_timers(session_factory=world.factory, now=utcnow() + timedelta(hours=2)) == 1
    with world.factory() as session:
        task = session.scalars(select(Task)).one()
        assert (task.assignee_id, task.status) == (agent1.id, TaskStatus.OPEN)
        kinds = list(session.scalars(select(TicketEvent.kind).join(Ticket)
                                     .where(Ticket.number == number).order_by(TicketEvent.id)))
        assert kinds[-2:] == ["task.escalated", "flow.approval.timeout"]
        assert session.scalar(select(func.count()).select_from(Timer)
                              .where(Timer.fired_at.is_(None))) == 1


def test_approval_due_timer_reminds_the_approver_by_email(world_factory):
    """onTimeout remind: an email to the approver, in the outbox with the ticket's number."""
    world = _single_approval(world_factory, "remind")
    number = _submit(world)
    assert fire_due_timers(session_factory=world.factory, now=utcnow() + timedelta(hours=2)) == 1
    with world.factory() as session:
        reminders = [row.payload for row in session.scalars(select(OutboxMessage))
                     if row.payload["subject"].startswith("Reminder")]
    assert [(r["to"], r["subject"]) for r in reminders] == [
        (["agent0@example.com"], f"Reminder: ticket #{number} waits for your approval")]


def test_rows_a_job_or_the_timer_sweep_writes_are_handed_off_at_their_commit(
        world_factory, redis_server):
    """start -> webhook -> mail A -> wait 1 hour -> mail B, with no relay running: mail A,
    written when the webhook's job advances the flow, is enqueued at that job's commit (the
    same burst delivers it); mail B, written by the timer sweep, at the sweep's commit."""
    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def mail(node: str) -> dict[str, Any]:
        return {"id": node, "type": "action", "position": {"x": 0, "y": 0},
                "data": {"action": "notify", "channel": "email", "to": [{"kind": "requester"}],
                         "subject": {"en": node}, "body": {"en": node}}}

    try:
        hook = {"id": "hook", "type": "action", "position": {"x": 0, "y": 0},
                "data": {"action": "webhook", "secret": "s3cret",
                         "url": f"http://127.0.0.1:{server.server_port}/hook"}}
        wait = {"id": "later", "type": "wait", "position": {"x": 0, "y": 0},
                "data": {"for": "duration", "duration": "PT1H"}}
        world = world_factory(_flow([hook, mail("mail-a"), wait, mail("mail-b")], [
            {"id": "e1", "source": "start", "target": "hook"},
            {"id": "e2", "source": "hook", "target": "mail-a"},
            {"id": "e3", "source": "mail-a", "target": "later"},
            {"id": "e4", "source": "later", "target": "mail-b"},
            {"id": "e5", "source": "mail-b", "target": "done"}]), redis_url=redis_server.url)
        _submit(world)
        connection = redis_connection(redis_server.url)
        queue = job_queue(connection)

        def work() -> None:
            SimpleWorker([queue], connection=connection,
                         serializer=JSONSerializer).work(burst=True, logging_level="WARNING")

        def sent() -> dict[str, str]:
            with world.factory() as session:
                return dict(session.execute(
                    select(OutboxMessage.payload["subject"].as_string(), OutboxMessage.status)
                    .where(OutboxMessage.kind == "email")).all())

        work()
        assert sent() == {"mail-a": "done"}
        assert fire_due_timers(session_factory=world.factory,
                               now=utcnow() + timedelta(hours=2)) == 1
        assert queue.count == 1  # mail B, handed off when the sweep committed
        work()
        assert sent() == {"mail-a": "done", "mail-b": "done"}
    finally:
        server.shutdown()
        server.server_close()
