"""The audit trail: ticket and definition changes recorded with before/after, append-only."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from builder.forms import service as forms
from core.errors import IllegalTransition
from core.people import Role, create_user
from runtime.audit import ACTOR, REDACTED, AuditEntry, AuditFilter, list_entries
from runtime.submissions import submit_ticket
from runtime.tickets.models import Status

DATA = {"category": "question", "description": "Where is my parcel?",
        "email": "me@example.com", "confirm": True}


def _entries(session, entity, entity_id=None):
    query = select(AuditEntry).where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == str(entity_id))
    return list(session.scalars(query.order_by(AuditEntry.id)))


def test_ticket_submission_and_change_are_recorded(session, make_form, make_user):
    """Creating a ticket records its values; a change records only what changed, old and new,
    with the acting user taken from session.info."""
    make_form()
    agent = make_user(Role.AGENT)
    requester = make_user(Role.REQUESTER)
    session.info[ACTOR] = requester.id
    ticket, _ = submit_ticket(session=session, form_key="refund", data=DATA, requester=requester)
    session.commit()
    session.info[ACTOR] = lambda: agent.id
    ticket.status = Status.OPEN
    ticket.assignee_id = agent.id
    session.commit()

    created, changed = _entries(session, "ticket", ticket.number)
    assert created.action == "create" and created.actor_id == requester.id
    assert created.before is None
    assert created.after["subject"] == ticket.subject and created.after["data"] == DATA
    assert changed.action == "update" and changed.actor_id == agent.id
    assert changed.before == {"status": "new", "assignee_id": None}
    assert changed.after == {"status": "open", "assignee_id": agent.id}


def test_form_publish_is_recorded(session, make_user):
    """Publishing a form records the new version and the draft edit before it."""
    designer = make_user(Role.DESIGNER)
    session.info[ACTOR] = designer.id
    forms.create_form(session=session, key="audited", title={"en": "Audited"}, actor=designer)
    session.commit()
    forms.update_form(session=session, key="audited", title={"en": "Audited form"})
    session.commit()

    created, renamed = _entries(session, "form", "audited")
    assert created.action == "create" and created.after["title"] == {"en": "Audited"}
    assert renamed.action == "update"
    assert renamed.before["title"] == {"en": "Audited"}
    assert renamed.after["title"] == {"en": "Audited form"}
    assert renamed.actor_id == designer.id


def test_published_version_is_recorded(session, make_form):
    """make_form publishes: a form_version entry holds the definition and hash."""
    form = make_form(key="published-one")
    version = form.versions[-1]
    (entry,) = _entries(session, "form_version", version.id)
    assert entry.action == "create" and entry.actor_id is None  # no actor: the system
    assert entry.after["hash"] == version.hash and entry.after["number"] == 1


def test_credentials_are_redacted(session):
    """Password hashes never enter the trail, on creation or on change."""
    user = create_user(session=session, email="secret@example.com", name="S",
                       role=Role.AGENT, password="long enough password")
    session.commit()
    user.set_password("another long password")
    user.name = "Sam"
    session.commit()
    created, changed = _entries(session, "user", user.id)
    assert created.after["password_hash"] == REDACTED
    assert changed.before["password_hash"] == REDACTED == changed.after["password_hash"]
    assert changed.after["name"] == "Sam"
    assert "argon2" not in str(created.after) + str(changed.before) + str(changed.after)


def test_unaudited_flush_writes_nothing(session, make_user):
    """A flush that touches no audited model adds no entry."""
    make_user(Role.AGENT)
    before = session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    session.execute(text("SELECT 1"))
    session.flush()
    after = session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    assert before == after


def test_orm_refuses_to_change_an_entry(session, make_user):
    """The app cannot update or delete an entry through the ORM."""
    user = make_user(Role.AGENT)
    (entry,) = _entries(session, "user", user.id)
    entry.action = "delete"
    with pytest.raises(IllegalTransition):
        session.flush()
    session.rollback()
    entry = _entries(session, "user", user.id)[0]
    session.delete(entry)
    with pytest.raises(IllegalTransition):
        session.flush()
    session.rollback()


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entries SET action = 'forged'",
    "DELETE FROM audit_entries",
])
def test_database_refuses_update_and_delete(connection, session, make_user, statement):
    """The database itself refuses UPDATE and DELETE on the trail (trigger)."""
    make_user(Role.AGENT)
    savepoint = connection.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        connection.execute(text(statement))
    savepoint.rollback()
    forged = "SELECT count(*) FROM audit_entries WHERE action = 'forged'"
    assert connection.scalar(text(forged)) == 0


def test_cursor_pagination_and_filters(session, make_user):
    """Pages go newest first and never repeat; filters narrow by entity, action and actor."""
    users = [make_user(Role.AGENT) for _ in range(5)]
    where = AuditFilter(entity="user", action="create")
    seen: list[int] = []
    cursor = None
    while True:
        page = list_entries(session=session, where=where, cursor=cursor, limit=2)
        seen += [e.id for e in page.entries]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) >= 5
    mine = list_entries(session=session, where=AuditFilter(entity="user",
                                                           entity_id=str(users[2].id)))
    assert [e.entity_id for e in mine.entries] == [str(users[2].id)]
    assert list_entries(session=session, where=AuditFilter(actor_id=-1)).entries == []
