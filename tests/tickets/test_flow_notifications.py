"""Notifications for what a flow does: an approval waiting for someone, a task handed on."""

from __future__ import annotations

from sqlalchemy import select

from runtime.flows import tasks as task_service
from runtime.flows.models import OutboxMessage
from runtime.notifications import Kind, Notification, unread_count
from tests.app.test_api_tasks import world_fixture  # noqa: F401  (fixture)


def _kinds(session, user) -> list[str]:
    return list(session.scalars(select(Notification.kind).where(
        Notification.user_id == user.id).order_by(Notification.id)))


def test_approval_waiting_notifies_the_approver_in_app_and_by_email(world, session):
    """The flow's approval task reaches its approver as an in-app notification and (agents'
    default) an email in the outbox of the same transaction."""
    number = world.submit()
    task = world.open_task(number)
    assert _kinds(session, world.approver) == [Kind.APPROVAL]
    assert unread_count(session=session, user=world.approver) == 1
    mails = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "email", OutboxMessage.ticket_id == task.ticket_id)).all()
    assert [m.payload["to"] for m in mails] == [["approver@example.com"]]
    assert f"#{number}" in mails[0].payload["subject"]


def test_deciding_hands_the_next_task_on_with_a_notification(world, session):
    """Approving opens the user task for the worker, who is told."""
    number = world.submit()
    task = world.open_task(number)
    task_service.decide_task(session=session, task_id=task.id, user=world.approver,
                             decision="approve")
    session.commit()
    assert Kind.APPROVAL in _kinds(session, world.worker)


def test_a_ticket_and_its_task_for_the_same_agent_make_one_notice(client, session):
    """The demo's small refund: round robin gives the ticket to an agent and the flow's task
    waits for the same agent. They hear about it once (one notification, one email), not
    once for the assignment and again for the task."""
    from app.demo import seed_demo
    from core.people import get_user_by_email, issue_token
    from runtime.tickets.models import Ticket

    seed_demo(session=session, only_if_empty=False)
    requester = get_user_by_email(session=session, email="requester@example.com")
    token = issue_token(session=session, user=requester)
    session.commit()
    number = client.post("/api/v1/forms/refund/submissions", headers={
        "Authorization": f"Bearer {token}"}, json={"data": {
            "category": "refund", "order_id": "OD12345678", "amount": 20,
            "description": "Broken on arrival", "email": "riley@example.com",
            "confirm": True}}).json["number"]
    ticket = session.scalar(select(Ticket).where(Ticket.number == number))
    notes = session.scalars(select(Notification).where(
        Notification.ticket_id == ticket.id)).all()
    assert [(n.user_id, n.kind) for n in notes] == [(ticket.assignee_id, Kind.APPROVAL)]
    assert notes[0].payload["task"].startswith("task:handle:")
    mails = session.scalars(select(OutboxMessage).where(
        OutboxMessage.ticket_id == ticket.id,
        OutboxMessage.effect_key.startswith("notification:"))).all()
    assert len(mails) == 1 and "waits for you" in mails[0].payload["subject"]
