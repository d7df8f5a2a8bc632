"""The tasks and incidents API: list, read, decide, delegate, transfer, retry, and errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from builder.flows import service as flows
from core.people import Role, TeamMember, User, create_team
from runtime.flows.models import Incident, OutboxMessage, OutboxStatus, Task, TaskStatus
from runtime.tickets.models import Status, Ticket, TicketEvent
from tests.forms_fixtures import simple_form

PROBLEM = "application/problem+json"


def approval_flow(approver: str, worker: str) -> dict[str, Any]:
    """The small flow under test: one approval, then a user task; rejection ends it."""
    return {
        "formatVersion": 1, "key": "simple-flow", "title": {"en": "Simple handling"},
        "nodes": [
            {"id": "start", "type": "start", "position": {"x": 0, "y": 0},
             "data": {"trigger": "form.submitted", "form": "simple"}},
            {"id": "ok", "type": "approval", "position": {"x": 100, "y": 0},
             "data": {"label": {"en": "Manager approves", "zh-CN": "经理审批"},
                      "approvers": [{"kind": "user", "user": approver}], "mode": "single",
                      "due": "P1D"}},
            {"id": "work", "type": "user_task", "position": {"x": 200, "y": 0},
             "data": {"title": {"en": "Call the customer", "zh-CN": "致电客户"},
                      "assignee": {"kind": "user", "user": worker}}},
            {"id": "done", "type": "end", "position": {"x": 300, "y": 0},
             "data": {"outcome": "resolved"}},
            {"id": "no", "type": "end", "position": {"x": 300, "y": 100},
             "data": {"outcome": "rejected"}},
        ],
        "edges": [
            {"id": "e1", "source": "start", "target": "ok"},
            {"id": "e2", "source": "ok", "sourceHandle": "approved", "target": "work"},
            {"id": "e3", "source": "ok", "sourceHandle": "rejected", "target": "no"},
            {"id": "e4", "source": "work", "target": "done"},
        ],
    }


class World:
    """People, the published form and flow, and a way to submit tickets."""

    def __init__(self, client: Any, session: Any, make_user: Callable[..., User],
                 bearer: Callable[[User], dict[str, str]]) -> None:
        self.client, self.session, self.bearer = client, session, bearer
        self.approver = make_user(Role.AGENT, email="approver@example.com")
        self.worker = make_user(Role.AGENT, email="worker@example.com")
        self.colleague = make_user(Role.AGENT, email="colleague@example.com")
        self.designer = make_user(Role.DESIGNER, email="designer@example.com")
        self.admin = make_user(Role.ADMIN, email="admin@example.com")
        self.requester = make_user(Role.REQUESTER, email="req@example.com")
        team = create_team(session=session, key="desk", name="Desk")
        session.add_all([TeamMember(team=team, user=self.approver),
                         TeamMember(team=team, user=self.colleague)])
        session.commit()

    def headers(self, user: User) -> dict[str, str]:
        """Bearer headers for ``user``."""
        return self.bearer(user)

    def submit(self, summary: str = "Printer on fire") -> int:
        """A new ticket of the simple form; its flow opens an approval for the approver."""
        response = self.client.post("/api/v1/forms/simple/submissions", json={"data": {
            "category": "question", "summary": summary}}, headers=self.headers(self.requester))
        assert response.status_code == 201, response.json
        return int(response.json["number"])

    def open_task(self, number: int, kind: str = "approval") -> Task:
        """The ticket's open task of ``kind``."""
        self.session.expire_all()
        task = self.session.scalar(select(Task).join(Ticket).where(
            Ticket.number == number, Task.kind == kind, Task.status == TaskStatus.OPEN))
        assert task is not None
        return task


@pytest.fixture(name="world")
def world_fixture(client, session, make_user, make_form, bearer) -> World:
    """A published simple form whose flow asks approver@ to approve, then worker@ to act."""
    make_form(simple_form())
    built = World(client, session, make_user, bearer)
    flows.create_flow(session=session, key="simple-flow", title={"en": "Simple handling"},
                      actor=None, definition=approval_flow("approver@example.com",
                                                           "worker@example.com"))
    flows.publish_flow(session=session, key="simple-flow", actor=None)
    session.commit()
    return built


def test_tasks_list_mine_and_team(client, world):
    """The approver sees the approval (mine); a teammate sees it under scope=team only."""
    number = world.submit()
    mine = client.get("/api/v1/tasks", headers=world.headers(world.approver))
    assert mine.status_code == 200
    (task,) = mine.json
    assert task["kind"] == "approval" and task["node"] == "ok" and task["status"] == "open"
    assert task["ticket"] == {"number": number, "subject": "Printer on fire"}
    assert task["assignee"] == "approver@example.com" and task["delegated_by"] is None
    assert task["title_text"] == "Approval" and task["due_at"] and task["created_at"]
    colleague = world.headers(world.colleague)
    assert client.get("/api/v1/tasks", headers=colleague).json == []
    team = client.get("/api/v1/tasks?scope=team", headers=colleague).json
    assert [t["id"] for t in team] == [task["id"]]
    assert client.get("/api/v1/tasks?status=done", headers=world.headers(world.approver)
                      ).json == []


def test_tasks_list_bad_arguments_are_422(client, world):
    """An unknown scope or status is refused with a pointer."""
    headers = world.headers(world.approver)
    for query in ("scope=everyone", "status=maybe"):
        response = client.get(f"/api/v1/tasks?{query}", headers=headers)
        assert response.status_code == 422 and response.mimetype == PROBLEM


def test_tasks_approve_moves_the_flow_on(client, world, session):
    """Approving answers 200 with the done task; the user task opens with its title."""
    number = world.submit()
    task = world.open_task(number)
    response = client.post(f"/api/v1/tasks/{task.id}/decision", json={
        "decision": "approve", "comment": "Fine by me"}, headers=world.headers(world.approver))
    assert response.status_code == 200, response.json
    assert response.json["status"] == "done" and response.json["decision"] == "approve"
    assert response.json["comment"] == "Fine by me"
    work = client.get("/api/v1/tasks", headers={**world.headers(world.worker),
                                                "Accept-Language": "zh-CN"}).json
    assert [(t["kind"], t["title"]["en"], t["title_text"]) for t in work] == [
        ("user_task", "Call the customer", "致电客户")]
    done = client.post(f"/api/v1/tasks/{work[0]['id']}/decision", json={
        "decision": "complete"}, headers=world.headers(world.worker))
    assert done.status_code == 200
    session.expire_all()
    assert session.scalar(select(Ticket.status).where(Ticket.number == number)) \
        == Status.RESOLVED


def test_tasks_reject_ends_the_flow_rejected(client, world, session):
    """Rejecting closes the ticket through the rejected end."""
    number = world.submit()
    task = world.open_task(number)
    response = client.post(f"/api/v1/tasks/{task.id}/decision", json={"decision": "reject"},
                           headers=world.headers(world.approver))
    assert response.status_code == 200 and response.json["decision"] == "reject"
    session.expire_all()
    assert session.scalar(select(Ticket.status).where(Ticket.number == number)) \
        == Status.CLOSED


def test_tasks_decision_errors(client, world):
    """409 decided twice, 403 not the holder, 404 unknown, 422 bad or unfit decision."""
    task = world.open_task(world.submit())
    approver = world.headers(world.approver)
    url = f"/api/v1/tasks/{task.id}/decision"
    unfit = client.post(url, json={"decision": "complete"}, headers=approver)
    assert unfit.status_code == 422 and unfit.json["errors"][0]["pointer"] == "/decision"
    bad = client.post(url, json={"decision": "maybe"}, headers=approver)
    assert bad.status_code == 422 and bad.mimetype == PROBLEM
    assert bad.json["errors"][0]["pointer"] == "/decision"
    missing = client.post(url, json={}, headers=approver)
    assert missing.status_code == 422
    other = client.post(url, json={"decision": "approve"}, headers=world.headers(world.worker))
    assert other.status_code == 403 and other.mimetype == PROBLEM
    assert client.post("/api/v1/tasks/999999/decision", json={"decision": "approve"},
                       headers=approver).status_code == 404
    assert client.post(url, json={"decision": "approve"}, headers=approver).status_code == 200
    again = client.post(url, json={"decision": "reject"}, headers=approver)
    assert again.status_code == 409 and again.mimetype == PROBLEM


def test_tasks_malformed_json_is_400(client, world):
    """A body that is not JSON is 400, never 500."""
    task = world.open_task(world.submit())
    response = client.post(f"/api/v1/tasks/{task.id}/decision", data="{not json",
                           headers={**world.headers(world.approver),
                                    "Content-Type": "application/json"})
    assert response.status_code == 400 and response.mimetype == PROBLEM


def test_tasks_need_a_staff_role(client, world):
    """Strangers get 401; requesters may not hold tasks (403), but see their ticket's tasks."""
    number = world.submit()
    task = world.open_task(number)
    assert client.get("/api/v1/tasks").status_code == 401
    assert client.post(f"/api/v1/tasks/{task.id}/decision",
                       json={"decision": "approve"}).status_code == 401
    requester = world.headers(world.requester)
    assert client.get("/api/v1/tasks", headers=requester).status_code == 403
    assert client.get(f"/api/v1/tasks/{task.id}", headers=requester).status_code == 403
    assert client.post(f"/api/v1/tasks/{task.id}/decision", json={"decision": "approve"},
                       headers=requester).status_code == 403
    assert client.post(f"/api/v1/tasks/{task.id}/transfer", json={
        "to": "worker@example.com"}, headers=requester).status_code == 403
    theirs = client.get(f"/api/v1/tickets/{number}/tasks", headers=requester)
    assert theirs.status_code == 200 and [t["id"] for t in theirs.json] == [task.id]


def test_tasks_get_one(client, world):
    """The holder and agents read a task; a designer who does not hold it gets 404."""
    task = world.open_task(world.submit())
    assert client.get(f"/api/v1/tasks/{task.id}",
                      headers=world.headers(world.approver)).json["id"] == task.id
    assert client.get(f"/api/v1/tasks/{task.id}",
                      headers=world.headers(world.worker)).status_code == 200
    assert client.get(f"/api/v1/tasks/{task.id}",
                      headers=world.headers(world.designer)).status_code == 404
    assert client.get("/api/v1/tasks/424242",
                      headers=world.headers(world.approver)).status_code == 404


def test_tasks_delegate_then_answer_returns_to_delegator(client, world, session):
    """A delegate's answer sends the task back to the delegator, who then decides."""
    number = world.submit()
    task = world.open_task(number)
    delegated = client.post(f"/api/v1/tasks/{task.id}/delegate", json={
        "to": "designer@example.com", "comment": "Your view?"},
        headers=world.headers(world.approver))
    assert delegated.status_code == 200, delegated.json
    assert delegated.json["assignee"] == "designer@example.com"
    assert delegated.json["delegated_by"] == "approver@example.com"
    designer = world.headers(world.designer)
    assert [t["id"] for t in client.get("/api/v1/tasks", headers=designer).json] == [task.id]
    # while a designer holds a task on the ticket, they may see the ticket's tasks
    assert client.get(f"/api/v1/tickets/{number}/tasks", headers=designer).status_code == 200
    answered = client.post(f"/api/v1/tasks/{task.id}/decision", json={
        "decision": "approve", "comment": "Looks right"}, headers=designer)
    assert answered.status_code == 200
    assert answered.json["status"] == "open"
    assert answered.json["assignee"] == "approver@example.com"
    assert client.get(f"/api/v1/tickets/{number}/tasks", headers=designer).status_code == 404
    kinds = set(session.scalars(select(TicketEvent.kind).join(Ticket).where(
        Ticket.number == number)))
    assert {"task.delegated", "task.delegate_answered"} <= kinds


def test_tasks_transfer_hands_over_for_good(client, world):
    """After a transfer the new holder decides and the old one may not."""
    task = world.open_task(world.submit())
    moved = client.post(f"/api/v1/tasks/{task.id}/transfer", json={
        "to": "colleague@example.com"}, headers=world.headers(world.approver))
    assert moved.status_code == 200 and moved.json["assignee"] == "colleague@example.com"
    assert client.post(f"/api/v1/tasks/{task.id}/decision", json={"decision": "approve"},
                       headers=world.headers(world.approver)).status_code == 403
    assert client.post(f"/api/v1/tasks/{task.id}/decision", json={"decision": "approve"},
                       headers=world.headers(world.colleague)).status_code == 200


def test_tasks_handover_errors(client, world):
    """Unknown or requester delegates and bad emails are 422; to the holder is 409."""
    task = world.open_task(world.submit())
    approver = world.headers(world.approver)
    for action in ("delegate", "transfer"):
        url = f"/api/v1/tasks/{task.id}/{action}"
        unknown = client.post(url, json={"to": "nobody@example.com"}, headers=approver)
        assert unknown.status_code == 422 and unknown.json["errors"][0]["pointer"] == "/to"
        assert client.post(url, json={"to": "req@example.com"},
                           headers=approver).status_code == 422
        assert client.post(url, json={"to": "not an email"},
                           headers=approver).status_code == 422
        assert client.post(url, json={}, headers=approver).status_code == 422
        assert client.post(url, json={"to": "approver@example.com"},
                           headers=approver).status_code == 409
        assert client.post(url, json={"to": "colleague@example.com"},
                           headers=world.headers(world.worker)).status_code == 403
    assert client.post("/api/v1/tasks/999999/transfer", json={"to": "colleague@example.com"},
                       headers=approver).status_code == 404


def test_tasks_cookie_session_writes_need_csrf(client, world, login):
    """A signed-in browser must send the CSRF token with a decision."""
    task = world.open_task(world.submit())
    login(world.approver)
    response = client.post(f"/api/v1/tasks/{task.id}/decision", json={"decision": "approve"})
    assert response.status_code == 400


def test_ticket_tasks_lists_every_task_oldest_first(client, world):
    """Staff see a ticket's tasks, decided ones included; unknown tickets are 404."""
    number = world.submit()
    task = world.open_task(number)
    client.post(f"/api/v1/tasks/{task.id}/decision", json={"decision": "approve"},
                headers=world.headers(world.approver))
    listed = client.get(f"/api/v1/tickets/{number}/tasks",
                        headers=world.headers(world.colleague)).json
    assert [(t["kind"], t["status"]) for t in listed] == [("approval", "done"),
                                                          ("user_task", "open")]
    assert client.get("/api/v1/tickets/999999/tasks",
                      headers=world.headers(world.colleague)).status_code == 404
    other = world.submit("Someone else's")
    outsider = world.bearer(world.session.scalar(select(User).where(
        User.email == "designer@example.com")))
    assert client.get(f"/api/v1/tickets/{other}/tasks", headers=outsider).status_code == 404


def _incident(session: Any, number: int, error: str = "HTTP 500 from finance") -> Incident:
    """A dead webhook message of the ticket and its incident."""
    ticket_id = session.scalar(select(Ticket.id).where(Ticket.number == number))
    message = OutboxMessage(ticket_id=ticket_id, effect_key="webhook:pay:r1", kind="webhook",
                            payload={"url": "https://finance.example/x", "body": {}},
                            status=OutboxStatus.DEAD, attempts=5, max_attempts=5,
                            last_error=error)
    session.add(message)
    session.flush()
    incident = Incident(outbox_id=message.id, ticket_id=ticket_id, error=error)
    session.add(incident)
    session.commit()
    return incident


def test_incidents_list_and_retry(client, world, session):
    """Admins list open incidents and retry one: the message is pending (or queued) again."""
    number = world.submit()
    incident = _incident(session, number)
    admin = world.headers(world.admin)
    listed = client.get("/api/v1/incidents", headers=admin)
    assert listed.status_code == 200
    (item,) = listed.json
    assert item["id"] == incident.id and item["ticket"] == number
    assert item["kind"] == "webhook" and item["error"] == "HTTP 500 from finance"
    retried = client.post(f"/api/v1/incidents/{incident.id}/retry", headers=admin)
    assert retried.status_code == 200 and retried.json["resolved_at"]
    session.expire_all()
    message = session.get(OutboxMessage, incident.outbox_id)
    assert message.attempts == 0
    assert message.status in (OutboxStatus.PENDING, OutboxStatus.ENQUEUED)
    assert client.get("/api/v1/incidents", headers=admin).json == []
    every = client.get("/api/v1/incidents?open=false", headers=admin).json
    assert [i["id"] for i in every] == [incident.id]


def test_incidents_are_for_admins_only(client, world, session):
    """Agents get 403, strangers 401, unknown incidents 404, a bad filter 422."""
    incident = _incident(session, world.submit())
    agent = world.headers(world.approver)
    assert client.get("/api/v1/incidents").status_code == 401
    assert client.get("/api/v1/incidents", headers=agent).status_code == 403
    assert client.post(f"/api/v1/incidents/{incident.id}/retry",
                       headers=agent).status_code == 403
    admin = world.headers(world.admin)
    assert client.post("/api/v1/incidents/999999/retry", headers=admin).status_code == 404
    assert client.get("/api/v1/incidents?open=perhaps", headers=admin).status_code == 422
