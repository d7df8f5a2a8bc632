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
