"""Submissions use the form version this process last saw without reading it again; the
ticket INSERT checks in the database that it is still current. Each change a designer can
make between two submissions reaches the next one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from builder.flows import service as flows
from builder.forms import service as forms
from core.people import Role
from runtime.flows.models import FlowInstance
from runtime.tickets.models import Ticket
from tests.forms_fixtures import simple_form

GOOD = {"category": "question", "summary": "Broken"}


def _submit(client, headers, data=GOOD):
    return client.post("/api/v1/forms/simple/submissions", json={"data": data}, headers=headers)


def _republish(session, definition: dict[str, Any]) -> None:
    forms.save_draft(session=session, key="simple", definition=definition)
    forms.publish_form(session=session, key="simple", actor=None)
    session.commit()


def _tickets(session) -> int:
    return session.scalar(select(func.count()).select_from(Ticket))


def test_a_new_version_applies_to_the_next_submission(client, as_role, make_form, session):
    """Data the old version refused and the new one accepts makes a ticket of the new one."""
    strict = simple_form()
    for field in strict["fields"]:
        if field["key"] == "summary":
            field["validate"] = {"maxLength": 10}
    make_form(strict)
    requester = as_role(Role.REQUESTER)
    assert _submit(client, requester).json["form_version"] == 1
    long_summary = {**GOOD, "summary": "x" * 30}
    assert _submit(client, requester, long_summary).status_code == 422
    _republish(session, simple_form())
    response = _submit(client, requester, long_summary)
    assert response.status_code == 201, response.json
    assert response.json["form_version"] == 2


def test_an_archived_form_takes_no_more_tickets(client, as_role, make_form, session):
    make_form(simple_form())
    requester = as_role(Role.REQUESTER)
    assert _submit(client, requester).status_code == 201
    forms.archive_form(session=session, key="simple")
    session.commit()
    response = _submit(client, requester)
    assert response.status_code == 404 and "not open" in response.json["detail"]
    assert _tickets(session) == 1


def test_a_flow_bound_later_starts_for_the_next_ticket(client, as_role, make_form, session):
    make_form(simple_form())
    requester = as_role(Role.REQUESTER)
    assert _submit(client, requester).status_code == 201
    node = lambda id_, kind, **data: {  # noqa: E731
        "id": id_, "type": kind, "position": {"x": 0, "y": 0}, "data": data}
    flow = {"formatVersion": 1, "key": "later", "title": {"en": "Later"},
            "nodes": [node("start", "start", trigger="form.submitted", form="simple"),
                      node("done", "end", outcome="resolved")],
            "edges": [{"id": "e1", "source": "start", "target": "done"}]}
    flows.create_flow(session=session, key="later", title=flow["title"], actor=None,
                      definition=flow)
    flows.publish_flow(session=session, key="later", actor=None)
    session.commit()
    response = _submit(client, requester)
    assert response.status_code == 201 and response.json["status"] == "resolved"
    started = session.scalars(select(FlowInstance.ticket_id)).all()
    assert started == [session.scalar(select(Ticket.id).where(
        Ticket.number == response.json["number"]))]
