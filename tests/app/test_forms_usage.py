"""The forms list for designers: where each form is used, and duplicating a form."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, select

from core.people import Role, TeamMember, create_team
from runtime.forms_usage import forms_with_usage
from runtime.tickets.models import Status, Ticket
from tests.app.test_api_flows import demo_flow
from tests.conftest import demo_definition

PROBLEM = "application/problem+json"
FLOW_TITLE = {"en": "Refund handling", "zh-CN": "退款处理"}  # the saved draft's title
REFUND = {"category": "refund", "order_id": "OD12345678", "amount": 200,
          "description": "Broken on arrival", "email": "r@example.com", "confirm": True}


@pytest.fixture
def designer(session, make_user, make_form, as_role):
    """The after-sales team with a lead, the published refund and repair forms."""
    team = create_team(session=session, key="after-sales", name="After-sales")
    session.add(TeamMember(team=team, user=make_user(Role.AGENT, email="lead@example.com"),
                           lead=True))
    session.commit()
    make_form(demo_definition("refund"))
    make_form(demo_definition("repair"))
    return as_role(Role.DESIGNER)


def _publish_refund_flow(client: Any, headers: dict[str, str]) -> None:
    created = client.post("/api/v1/flows", json={"key": "refund-flow", "title": "Refunds"},
                          headers=headers)
    assert created.status_code == 201, created.json
    client.put("/api/v1/flows/refund-flow/draft", json=demo_flow("refund-flow"), headers=headers)
    published = client.post("/api/v1/flows/refund-flow/publish", headers=headers)
    assert published.status_code == 201, published.json


def _submit(client: Any, headers: dict[str, str], times: int = 1) -> list[int]:
    numbers = []
    for _ in range(times):
        sent = client.post("/api/v1/forms/refund/submissions", json={"data": REFUND},
                           headers=headers)
        assert sent.status_code == 201, sent.json
        numbers.append(sent.json["number"])
    return numbers


def _publish_changed_refund(client: Any, headers: dict[str, str]) -> None:
    changed = demo_definition("refund")
    changed["title"] = {"en": "Refund request v2", "zh-CN": "退款申请（二）"}
    assert client.put("/api/v1/forms/refund/draft", json=changed,
                      headers=headers).status_code == 200
    assert client.post("/api/v1/forms/refund/publish", headers=headers).status_code == 201


def test_usage_counts_open_tickets_per_version_and_names_the_bound_flow(
        client, session, designer, as_role):
    """Tickets stay counted on the version they were made under; resolved and closed ones
    are not open; the flow is the one whose published start node names the form."""
    _publish_refund_flow(client, designer)
    requester = as_role(Role.REQUESTER)
    first = _submit(client, requester, 3)
    _publish_changed_refund(client, designer)
    _submit(client, requester, 1)
    for number, status in zip(first[:2], (Status.RESOLVED, Status.CLOSED), strict=True):
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        ticket.status = status
    session.commit()

    usage = {row.key: row for row in forms_with_usage(session=session)}
    refund, repair = usage["refund"], usage["repair"]
    assert [(v.number, v.open) for v in refund.versions] == [(1, 1), (2, 1)]
    assert refund.open == 2 and refund.latest_version == 2 and refund.draft_changed is False
    assert refund.flow is not None
    assert (refund.flow.key, refund.flow.title, refund.flow.version) == (
        "refund-flow", FLOW_TITLE, 1)
    assert repair.flow is None and [(v.number, v.open) for v in repair.versions] == [(1, 0)]

    listed = client.get("/api/v1/forms?usage=true", headers=designer)
    assert listed.status_code == 200, listed.json
    rows = {row["key"]: row for row in listed.json}
    assert rows["refund"]["versions"] == [{"number": 1, "open": 1}, {"number": 2, "open": 1}]
    assert rows["refund"]["open"] == 2 and rows["refund"]["latest_version"] == 2
    assert rows["refund"]["flow"] == {"key": "refund-flow", "title": FLOW_TITLE, "version": 1}
    assert rows["refund"]["title"] == {"en": "Refund request v2", "zh-CN": "退款申请（二）"}
    assert rows["refund"]["draft_changed"] is False
    assert rows["repair"]["flow"] is None and rows["repair"]["open"] == 0


def test_usage_of_an_unpublished_form_and_a_changed_draft(client, session, designer):
    """A draft-only form has no versions and no flow; an edited draft shows as changed."""
    assert client.post("/api/v1/forms", json={"key": "fresh", "title": "Fresh"},
                       headers=designer).status_code == 201
    draft = demo_definition("repair")
    draft["title"] = "Repair, reworded"
    client.put("/api/v1/forms/repair/draft", json=draft, headers=designer)
    rows = {row["key"]: row for row in client.get("/api/v1/forms?usage=true",
                                                  headers=designer).json}
    assert rows["fresh"]["versions"] == [] and rows["fresh"]["open"] == 0
    assert rows["fresh"]["latest_version"] is None and rows["fresh"]["flow"] is None
    assert rows["fresh"]["draft_changed"] is False
    assert rows["repair"]["draft_changed"] is True


def test_plain_list_is_unchanged_and_usage_is_for_designers(client, designer, as_role):
    """Without usage=true everyone signed in gets the list as before (no counts);
    usage=true is for designers and admins: 401 anonymous, 403 requester and agent."""
    for role in (Role.REQUESTER, Role.AGENT):
        plain = client.get("/api/v1/forms", headers=as_role(role))
        assert plain.status_code == 200
        assert all("open" not in row and "versions" not in row for row in plain.json)
        refused = client.get("/api/v1/forms?usage=true", headers=as_role(role))
        assert refused.status_code == 403 and refused.mimetype == PROBLEM
    anonymous = client.get("/api/v1/forms?usage=true")
    assert anonymous.status_code == 401 and anonymous.mimetype == PROBLEM
    assert client.get("/api/v1/forms?usage=true",
                      headers=as_role(Role.ADMIN)).status_code == 200
    bad = client.get("/api/v1/forms?usage=perhaps", headers=designer)
    assert bad.status_code == 422 and bad.mimetype == PROBLEM


def test_usage_list_costs_a_fixed_number_of_statements(client, designer, connection,
                                                       as_role):
    """2 or 8 published forms with tickets cost the same number of SQL statements: no
    query per form, per version or per ticket."""
    requester = as_role(Role.REQUESTER)

    def statements_for_list() -> int:
        seen: list[str] = []

        def count(*args: Any) -> None:
            seen.append(args[2])

        event.listen(connection, "before_cursor_execute", count)
        try:
            assert client.get("/api/v1/forms?usage=true", headers=designer).status_code == 200
        finally:
            event.remove(connection, "before_cursor_execute", count)
        return len(seen)

    _publish_refund_flow(client, designer)
    _submit(client, requester, 2)
    few = statements_for_list()
    for n in range(6):
        definition = demo_definition("repair")
        definition["key"] = f"form-{n}"
        assert client.post("/api/v1/forms", json={"key": f"form-{n}", "title": f"Form {n}"},
                           headers=designer).status_code == 201
        client.put(f"/api/v1/forms/form-{n}/draft", json=definition, headers=designer)
        assert client.post(f"/api/v1/forms/form-{n}/publish",
                           headers=designer).status_code == 201
    _publish_changed_refund(client, designer)
    _submit(client, requester, 3)
    many = statements_for_list()
    assert len(client.get("/api/v1/forms?usage=true", headers=designer).json) == 8
    assert many == few, (few, many)


def test_duplicate_copies_the_draft_under_a_new_key_and_title(client, designer):
    """The copy has the source's draft (fields, layout), its own key and title, no version
    and no flow; the source is unchanged."""
    _publish_refund_flow(client, designer)
    title = {"en": "Refund (copy)", "zh-CN": "退款申请（副本）"}
    copied = client.post("/api/v1/forms/refund/duplicate", json={"key": "refund-2",
                                                                 "title": title},
                         headers=designer)
    assert copied.status_code == 201, copied.json
    assert copied.json["key"] == "refund-2" and copied.json["title"] == title
    assert copied.json["latest_version"] is None and copied.json["flow"] is None
    draft = client.get("/api/v1/forms/refund-2/draft", headers=designer).json
    source = demo_definition("refund")
    assert draft["key"] == "refund-2" and draft["title"] == title
    assert draft["fields"] == source["fields"] and draft["layout"] == source["layout"]
    assert client.get("/api/v1/forms/refund/draft", headers=designer).json["key"] == "refund"
    rows = {row["key"]: row for row in client.get("/api/v1/forms?usage=true",
                                                  headers=designer).json}
    assert rows["refund-2"]["flow"] is None and rows["refund"]["flow"]["key"] == "refund-flow"
    assert client.post("/api/v1/forms/refund-2/publish", headers=designer).status_code == 201


@pytest.mark.parametrize("body, status, pointer", [
    ({"key": "repair", "title": "Same key as another form"}, 409, None),
    ({"key": "refund", "title": "Its own key"}, 409, None),
    ({"key": "Bad Key!", "title": "T"}, 422, "/key"),
    ({"key": "x" * 5000, "title": "T"}, 422, "/key"),
    ({"key": ["x"], "title": "T"}, 422, "/key"),
    ({"title": "T"}, 422, "/key"),
    ({"key": "ok-key", "title": ""}, 422, "/title"),
    ({"key": "ok-key"}, 422, "/title"),
    ({"key": "ok-key", "title": {"en": 5}}, 422, "/title"),
])
def test_duplicate_refuses_bad_input_with_a_problem(client, designer, body, status, pointer):
    """A taken key is 409 with a message naming it; bad keys and titles 422 with a pointer."""
    response = client.post("/api/v1/forms/refund/duplicate", json=body, headers=designer)
    assert response.status_code == status, response.json
    assert response.mimetype == PROBLEM
    if status == 409:
        assert f"'{body['key']}' already exists" in response.json["detail"]
    if pointer:
        assert response.json["errors"][0]["pointer"] == pointer


def test_duplicate_errors_and_roles(client, designer, as_role):
    """Unknown source 404, malformed JSON 400, anonymous 401, requester and agent 403."""
    body = {"key": "copy", "title": "Copy"}
    missing = client.post("/api/v1/forms/nope/duplicate", json=body, headers=designer)
    assert missing.status_code == 404 and missing.mimetype == PROBLEM
    malformed = client.post("/api/v1/forms/refund/duplicate", data="{oops",
                            headers={**designer, "Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.mimetype == PROBLEM
    anonymous = client.post("/api/v1/forms/refund/duplicate", json=body)
    assert anonymous.status_code == 401 and anonymous.mimetype == PROBLEM
    for role in (Role.REQUESTER, Role.AGENT):
        refused = client.post("/api/v1/forms/refund/duplicate", json=body,
                              headers=as_role(role))
        assert refused.status_code == 403 and refused.mimetype == PROBLEM
    assert client.get("/api/v1/forms/copy", headers=designer).status_code == 404
