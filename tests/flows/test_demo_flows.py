"""The demo's refund and repair flows, end to end through the API (one transaction each)."""

from __future__ import annotations

from sqlalchemy import select

from app.demo import seed_demo
from core.people import User, get_user_by_email, issue_token
from runtime.flows.models import FlowInstance, InstanceStatus, OutboxMessage, Task, TaskStatus
from runtime.tickets.models import Ticket

REFUND = {"category": "refund", "order_id": "OD12345678", "description": "Broken on arrival",
          "email": "riley@example.com", "confirm": True}
REPAIR = {"product": "laptop", "region": "north", "serial_number": "SN12345678",
          "description": "The screen flickers all the time.", "preferred_contact": "email"}


def _headers(session, email: str) -> dict[str, str]:
    user = get_user_by_email(session=session, email=email)
    token = issue_token(session=session, user=user)
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def _tasks(session, number: int) -> list[Task]:
    ticket = session.scalar(select(Ticket).where(Ticket.number == number))
    session.expire_all()
    return list(session.scalars(select(Task).where(Task.ticket_id == ticket.id)
                                .order_by(Task.id)))


def _decide(client, session, task: Task, decision: str) -> None:
    holder = session.get(User, task.assignee_id)
    response = client.post(f"/api/v1/tasks/{task.id}/decision", json={
        "decision": decision, "comment": "ok"}, headers=_headers(session, holder.email))
    assert response.status_code == 200, response.json


def test_demo_large_refund_needs_both_leads_then_pays(client, session):
    """Over 1000: both after-sales leads approve (会签), then the finance webhook is due."""
    seed_demo(session=session, only_if_empty=False)
    requester = _headers(session, "requester@example.com")
    number = client.post("/api/v1/forms/refund/submissions", json={"data": {
        **REFUND, "amount": 1500}}, headers=requester).json["number"]
    tasks = _tasks(session, number)
    holders = {session.get(User, t.assignee_id).email for t in tasks}
    assert holders == {"agent1@example.com", "agent2@example.com"}
    webhooks = select(OutboxMessage).where(OutboxMessage.kind == "webhook")
    _decide(client, session, tasks[0], "approve")
    assert session.scalars(webhooks).all() == []
    _decide(client, session, tasks[1], "approve")
    session.expire_all()
    assert [m.payload["url"] for m in session.scalars(webhooks)] == [
        "https://finance.example/refunds"]
    timeline = client.get(f"/api/v1/tickets/{number}/events",
                          headers=_headers(session, "agent1@example.com")).json
    branch = next(e for e in timeline if e["kind"] == "flow.branch")
    assert "1000" in branch["payload"]["reason"]


def test_demo_small_refund_goes_round_robin_and_resolves(client, session):
    """Up to 1000: the next after-sales agent gets it; completing their task resolves it."""
    seed_demo(session=session, only_if_empty=False)
    requester = _headers(session, "requester@example.com")
    first = client.post("/api/v1/forms/refund/submissions", json={"data": {
        **REFUND, "amount": 20}}, headers=requester).json
    second = client.post("/api/v1/forms/refund/submissions", json={"data": {
        **REFUND, "amount": 30}}, headers=requester).json
    owners = [_tasks(session, t["number"])[0].assignee_id for t in (first, second)]
    assert len(set(owners)) == 2  # round robin: one each
    _decide(client, session, _tasks(session, first["number"])[0], "complete")
    ticket = client.get(f"/api/v1/tickets/{first['number']}", headers=requester).json
    assert ticket["status"] == "resolved"
    public = client.get(f"/api/v1/tickets/{first['number']}/events", headers=requester).json
    assert {e["kind"] for e in public} <= {"created", "comment", "assigned", "flow.finished"}


def test_demo_repair_routes_by_region_and_waits_for_the_requester(client, session):
    """North goes to repair-north; a laptop is diagnosed, repaired, and the ticket closes
    when the requester confirms by replying."""
    seed_demo(session=session, only_if_empty=False)
    requester = _headers(session, "requester@example.com")
    number = client.post("/api/v1/forms/repair/submissions", json={"data": REPAIR},
                         headers=requester).json["number"]
    diagnose = _tasks(session, number)[0]
    assert diagnose.node == "diagnose"
    assert session.get(User, diagnose.assignee_id).email == "agent1@example.com"
    _decide(client, session, diagnose, "complete")
    repair = _tasks(session, number)[1]
    assert repair.node == "repair" and repair.status == TaskStatus.OPEN
    _decide(client, session, repair, "complete")
    session.expire_all()
    # the flow's own notify step (in-app notifications' emails have no instance)
    mail = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "email",
                                                      OutboxMessage.instance_id.is_not(None)))
    assert mail.payload["to"] == ["requester@example.com"]
    instance = session.scalar(select(FlowInstance))
    assert instance.status == InstanceStatus.RUNNING  # waiting for the confirmation
    reply = client.post(f"/api/v1/tickets/{number}/comments", json={"body": "Works now!"},
                        headers=requester)
    assert reply.status_code == 201
    session.expire_all()
    assert session.scalar(select(FlowInstance)).status == InstanceStatus.ENDED
    assert client.get(f"/api/v1/tickets/{number}", headers=requester).json["status"] == \
        "resolved"


def test_comments_internal_notes_stay_internal(client, session):
    """Requesters cannot write internal notes and never read them."""
    seed_demo(session=session, only_if_empty=False)
    requester = _headers(session, "requester@example.com")
    number = client.post("/api/v1/forms/refund/submissions", json={"data": {
        **REFUND, "amount": 20}}, headers=requester).json["number"]
    agent = _headers(session, "agent1@example.com")
    assert client.post(f"/api/v1/tickets/{number}/comments", json={
        "body": "check fraud list", "internal": True}, headers=agent).status_code == 201
    assert client.post(f"/api/v1/tickets/{number}/comments", json={
        "body": "x", "internal": True}, headers=requester).status_code == 403
    assert client.post(f"/api/v1/tickets/{number}/comments", json={"body": ""},
                       headers=requester).status_code == 422
    seen = client.get(f"/api/v1/tickets/{number}/comments", headers=requester).json
    assert [c["payload"]["body"] for c in seen] == []
    assert len(client.get(f"/api/v1/tickets/{number}/comments", headers=agent).json) == 1
