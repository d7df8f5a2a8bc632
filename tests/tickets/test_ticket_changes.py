"""Ticket changes as services: timeline events, revisions, watchers, links, merge, reopen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from core.errors import (
    Conflict,
    IllegalTransition,
    InvalidSubmission,
    NotFound,
    PermissionDenied,
)
from runtime.flows.models import OutboxMessage
from runtime.notifications import Kind, Notification, set_email_choices, unread_count
from runtime.tickets import changes
from runtime.tickets.comments import add_comment, mentioned_users
from runtime.tickets.models import Status, Ticket, TicketEvent
from runtime.tickets.service import get_ticket, ticket_events


def _events(session, ticket, kind):
    return list(session.scalars(select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind).order_by(TicketEvent.id)))


def _notes(session, user, kind=None):
    query = select(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(session.scalars(query))


def test_update_writes_before_and_after_for_each_change(desk):
    """Taking a new ticket assigns it, opens it, and each change is one event with who,
    before and after; the assignee is notified."""
    s, ticket = desk.session, desk.new_ticket()
    changes.update_ticket(session=s, ticket=ticket, actor=desk.agent, assignee="bob@example.com",
                          priority="high", expected_revision=ticket.revision)
    s.commit()
    assert ticket.assignee_id == desk.colleague.id and ticket.status == Status.OPEN
    [assigned] = _events(s, ticket, "assigned")
    assert assigned.actor_id == desk.agent.id and assigned.payload["from_user_id"] is None
    assert assigned.payload["user_id"] == desk.colleague.id
    [status] = _events(s, ticket, "status")
    assert status.payload == {"from": "new", "to": "open", "from_status": "new",
                              "to_status": "open"}
    [priority] = _events(s, ticket, "priority")
    assert priority.payload == {"from": "normal", "to": "high"}
    assert [n.kind for n in _notes(s, desk.colleague)] == [Kind.ASSIGNED]
    assert [n.kind for n in _notes(s, desk.requester)] == [Kind.REPLY]  # status change


def test_update_with_a_stale_revision_is_a_conflict_and_writes_nothing(desk):
    """An expected revision that is not the current one: Conflict, no event, no change."""
    s, ticket = desk.session, desk.new_ticket()
    read = ticket.revision
    changes.update_ticket(session=s, ticket=ticket, actor=desk.agent, priority="high",
                          expected_revision=read)
    s.commit()
    before = len(ticket_events(session=s, ticket=ticket, viewer=desk.agent))
    with pytest.raises(Conflict, match="changed by someone else"):
        changes.update_ticket(session=s, ticket=ticket, actor=desk.colleague, priority="low",
                              expected_revision=read)
    s.rollback()
    assert ticket.priority == "high"
    assert len(ticket_events(session=s, ticket=ticket, viewer=desk.agent)) == before


def test_two_writers_of_one_revision_the_second_fails(desk):
    """Another writer commits between our read and our write (a raw UPDATE that bumps the
    revision, as a second process would): our flush raises StaleDataError, theirs stays."""
    s, ticket = desk.session, desk.new_ticket()
    s.execute(update(Ticket).where(Ticket.id == ticket.id).values(
        status="pending", revision=Ticket.revision + 1).execution_options(
        synchronize_session=False))
    s.commit()  # expire_on_commit is off: our object still holds the old revision
    with pytest.raises(StaleDataError):
        changes.update_ticket(session=s, ticket=ticket, actor=desk.colleague, status="resolved")
    s.rollback()
    s.expire_all()
    assert s.scalar(select(Ticket.status).where(Ticket.id == ticket.id)) == "pending"
    assert _events(s, ticket, "status") == []


def test_update_refuses_bad_values_and_requesters(desk):
    """Unknown status or agent: InvalidSubmission; a requester: PermissionDenied."""
    s, ticket = desk.session, desk.new_ticket()
    with pytest.raises(InvalidSubmission):
        changes.update_ticket(session=s, ticket=ticket, actor=desk.agent, status="done")
    with pytest.raises(InvalidSubmission):
        changes.update_ticket(session=s, ticket=ticket, actor=desk.agent,
                              assignee="req@example.com")
    with pytest.raises(PermissionDenied):
        changes.update_ticket(session=s, ticket=ticket, actor=desk.requester, status="closed")


def test_transfer_to_another_team_leaves_the_assignee_who_is_not_a_member(desk):
    """Moving a ticket to billing unassigns a support agent; the event keeps both sides."""
    s, ticket = desk.session, desk.new_ticket()
    changes.update_ticket(session=s, ticket=ticket, actor=desk.agent, assignee=desk.agent.email)
    changes.update_ticket(session=s, ticket=ticket, actor=desk.agent, team="billing")
    s.commit()
    assert ticket.team_id == desk.billing.id and ticket.assignee_id is None
    last = _events(s, ticket, "assigned")[-1]
    assert last.payload["from_team_id"] == desk.support.id
    assert last.payload["from_user_id"] == desk.agent.id


def test_agent_of_another_team_cannot_see_the_ticket(desk):
    """Visibility: the billing agent gets NotFound for a support ticket; unqueued is open."""
    s, ticket = desk.session, desk.new_ticket()
    with pytest.raises(NotFound):
        get_ticket(session=s, viewer=desk.outsider, number=ticket.number)
    with pytest.raises(NotFound):
        get_ticket(session=s, viewer=desk.other_requester, number=ticket.number)
    loose = desk.new_ticket("No queue yet", team=None)
    assert get_ticket(session=s, viewer=desk.outsider, number=loose.number) is loose


def test_mentions_by_email_and_name_notify_staff_only(desk):
    """@email and @[Name] find active staff; a requester's address is no mention."""
    s, ticket = desk.session, desk.new_ticket()
    body = "Ask @bob@example.com and @[Ann Lee]; not @req@example.com."
    assert {u.email for u in mentioned_users(session=s, body=body)} == {
        "ann@example.com", "bob@example.com"}
    comment = add_comment(session=s, ticket=ticket, author=desk.outsider, body=body,
                          internal=True)
    s.commit()
    assert comment.payload["mentions"]
    assert [n.kind for n in _notes(s, desk.colleague)] == [Kind.MENTIONED]
    assert _notes(s, desk.requester) == []  # internal note: the requester hears nothing
    assert unread_count(session=s, user=desk.agent) == 1


def test_public_reply_notifies_requester_and_watchers_and_emails_by_choice(desk):
    """A reply reaches the requester (email by default) and a watcher (in-app only unless
    chosen); the email is an outbox row carrying the reply token's ticket."""
    s, ticket = desk.session, desk.new_ticket()
    changes.add_watcher(session=s, ticket=ticket, actor=desk.agent, email="other@example.com")
    set_email_choices(session=s, user=desk.other_requester, email=set())
    add_comment(session=s, ticket=ticket, author=desk.agent, body="We are on it.")
    s.commit()
    assert [n.kind for n in _notes(s, desk.requester)] == [Kind.REPLY]
    assert [n.kind for n in _notes(s, desk.other_requester)] == [Kind.REPLY]
    mails = list(s.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id,
                                                       OutboxMessage.kind == "email")))
    assert [m.payload["to"] for m in mails] == [["req@example.com"]]
    assert mails[0].payload["reply_ticket"] == ticket.number
    assert "We are on it." in mails[0].payload["body"]


def test_watchers_add_remove_and_duplicates(desk):
    """Adding twice is a Conflict; removing an unknown watcher is refused."""
    s, ticket = desk.session, desk.new_ticket()
    changes.add_watcher(session=s, ticket=ticket, actor=desk.agent, email="bob@example.com")
    with pytest.raises(Conflict):
        changes.add_watcher(session=s, ticket=ticket, actor=desk.agent, email="bob@example.com")
    changes.remove_watcher(session=s, ticket=ticket, actor=desk.agent, email="bob@example.com")
    with pytest.raises(InvalidSubmission):
        changes.remove_watcher(session=s, ticket=ticket, actor=desk.agent,
                               email="bob@example.com")
    kinds = [e.kind for e in ticket_events(session=s, ticket=ticket, viewer=desk.agent)]
    assert kinds.count("watcher.added") == 1 and kinds.count("watcher.removed") == 1


def test_link_both_ways_and_not_to_itself(desk):
    """A related link shows on both tickets; linking twice or to itself is refused."""
    s = desk.session
    a, b = desk.new_ticket("VPN down"), desk.new_ticket("Mail down")
    changes.link_tickets(session=s, ticket=a, actor=desk.agent, other_number=b.number)
    assert [(k, t.number) for k, t in changes.linked_tickets(session=s, ticket=b)] == [
        ("related", a.number)]
    with pytest.raises(Conflict):
        changes.link_tickets(session=s, ticket=b, actor=desk.agent, other_number=a.number)
    with pytest.raises(InvalidSubmission):
        changes.link_tickets(session=s, ticket=a, actor=desk.agent, other_number=a.number)
    changes.unlink_tickets(session=s, ticket=b, actor=desk.agent, other_number=a.number)
    assert changes.linked_tickets(session=s, ticket=a) == []


def test_merge_suggestions_prefer_same_requester_and_similar_subject(desk):
    """Same requester or a similar subject nearby are suggested; unrelated ones are not."""
    ticket = desk.new_ticket("Printer on fire in room 3")
    twin = desk.new_ticket("Printer on fire room 3", requester=desk.other_requester)
    mine = desk.new_ticket("Something else entirely")
    desk.new_ticket("Payroll question", requester=desk.other_requester)
    found = changes.merge_suggestions(session=desk.session, ticket=ticket, viewer=desk.agent)
    assert {s.ticket.number for s in found} == {twin.number, mine.number}
    assert found[0].ticket.number == twin.number


def test_merge_closes_duplicate_copies_comments_and_points_to_survivor(desk):
    """The duplicate is closed with a merged_into link and event; its comments appear on
    the survivor marked with their origin; its requester watches the survivor."""
    s = desk.session
    survivor = desk.new_ticket("Printer on fire")
    duplicate = desk.new_ticket("Printer burning", requester=desk.other_requester)
    add_comment(session=s, ticket=duplicate, author=desk.other_requester, body="Smoke!")
    changes.merge_ticket(session=s, ticket=duplicate, actor=desk.agent,
                         into_number=survivor.number, expected_revision=duplicate.revision)
    s.commit()
    assert duplicate.status == Status.CLOSED
    assert changes.merged_into(session=s, ticket=duplicate) is survivor
    [merged] = _events(s, duplicate, "merged")
    assert merged.payload["into"] == survivor.number
    copied = [e for e in _events(s, survivor, "comment") if e.payload.get("merged_from")]
    assert [c.payload["body"] for c in copied] == ["Smoke!"]
    assert get_ticket(session=s, viewer=desk.other_requester, number=survivor.number)
    with pytest.raises(IllegalTransition):
        changes.merge_ticket(session=s, ticket=duplicate, actor=desk.agent,
                             into_number=survivor.number)
    with pytest.raises(IllegalTransition):
        changes.update_ticket(session=s, ticket=duplicate, actor=desk.agent, status="open")


def test_reopen_within_the_window_only(desk):
    """Resolved 2 days ago: reopen works; 8 days ago: refused with the reason."""
    s, ticket = desk.session, desk.new_ticket()
    changes.update_ticket(session=s, ticket=ticket, actor=desk.agent, status="resolved")
    s.commit()
    resolved = changes.resolved_at(session=s, ticket=ticket)
    assert resolved is not None
    with pytest.raises(IllegalTransition, match="more than 7 days"):
        changes.reopen_ticket(session=s, ticket=ticket, actor=desk.requester,
                              now=resolved + timedelta(days=8))
    with pytest.raises(PermissionDenied):
        changes.reopen_ticket(session=s, ticket=ticket, actor=desk.other_requester)
    changes.reopen_ticket(session=s, ticket=ticket, actor=desk.requester, reason="Still broken",
                          now=resolved + timedelta(days=2))
    assert ticket.status == Status.OPEN
    assert _events(s, ticket, "reopened")[0].payload["reason"] == "Still broken"


def test_rating_once_after_resolution(desk):
    """CSAT: not before resolution, 1-5 only, by the requester, once."""
    s, ticket = desk.session, desk.new_ticket()
    with pytest.raises(IllegalTransition):
        changes.rate_ticket(session=s, ticket=ticket, actor=desk.requester, score=5)
    changes.update_ticket(session=s, ticket=ticket, actor=desk.agent, status="resolved")
    with pytest.raises(InvalidSubmission):
        changes.rate_ticket(session=s, ticket=ticket, actor=desk.requester, score=6)
    with pytest.raises(PermissionDenied):
        changes.rate_ticket(session=s, ticket=ticket, actor=desk.agent, score=5)
    changes.rate_ticket(session=s, ticket=ticket, actor=desk.requester, score=4, comment="Quick")
    with pytest.raises(Conflict):
        changes.rate_ticket(session=s, ticket=ticket, actor=desk.requester, score=1)
    rating = changes.rating_of(session=s, ticket=ticket)
    assert rating is not None and (rating.score, rating.comment) == (4, "Quick")


def test_update_without_a_change_writes_nothing(desk):
    """Saving the same values adds no event and keeps the revision."""
    s, ticket = desk.session, desk.new_ticket()
    revision = ticket.revision
    changes.update_ticket(session=s, ticket=ticket, actor=desk.agent, status="new",
                          priority="normal", team="support", expected_revision=revision)
    s.commit()
    assert ticket.revision == revision
    assert _events(s, ticket, "status") == [] and _events(s, ticket, "assigned") == []


def test_internal_note_files_stay_with_staff(desk, tmp_path):
    """A file on an internal note is not bound to the ticket, so the requester cannot
    download it; a reply's file is bound and theirs to see."""
    import io

    from runtime.attachments import can_see_attachment, store_upload
    from tests.forms_fixtures import PNG

    s, ticket = desk.session, desk.new_ticket()
    note_file, reply_file = (store_upload(session=s, root=tmp_path, uploader=desk.agent,
                                          filename=name, stream=io.BytesIO(PNG),
                                          max_size=1 << 20) for name in ("a.png", "b.png"))
    add_comment(session=s, ticket=ticket, author=desk.agent, body="Note", internal=True,
                attachments=[note_file])
    add_comment(session=s, ticket=ticket, author=desk.agent, body="Reply",
                attachments=[reply_file])
    s.commit()
    assert not can_see_attachment(desk.requester, note_file)
    assert can_see_attachment(desk.requester, reply_file)
    assert can_see_attachment(desk.colleague, note_file)
