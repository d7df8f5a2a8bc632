"""What the flow designer needs from the API: the directory, flow usage, duplicating."""

from __future__ import annotations

from typing import Any

import pytest

from core.people import Role, TeamMember, create_team
from tests.app.test_api_flows import demo_flow
from tests.conftest import demo_definition

PROBLEM = "application/problem+json"
REFUND = {"category": "refund", "order_id": "OD12345678", "amount": 2500,
          "description": "Broken on arrival", "email": "r@example.com", "confirm": True}


@pytest.fixture
def designer(session, make_user, make_form, as_role):
    """Teams with leads, an away-less agent, a deactivated user, the published refund form."""
    team = create_team(session=session, key="after-sales", name="After-sales")
    create_team(session=session, key="billing", name="Billing")
    lead = make_user(Role.AGENT, email="lead@example.com")
    member = make_user(Role.AGENT, email="member@example.com")
    gone = make_user(Role.AGENT, email="gone@example.com")
    gone.active = False
    session.add(TeamMember(team=team, user=lead, lead=True))
    session.add(TeamMember(team=team, user=member, lead=False))
    session.commit()
    make_form(demo_definition("refund"))
    return as_role(Role.DESIGNER)


def _create(client: Any, headers: dict[str, str], key: str, definition: dict | None = None):
    response = client.post("/api/v1/flows", json={"key": key, "title": {"en": key}},
                           headers=headers)
    assert response.status_code == 201, response.json
    if definition is not None:
        saved = client.put(f"/api/v1/flows/{key}/draft", json=definition, headers=headers)
        assert saved.status_code == 200, saved.json


def test_directory_lists_active_users_teams_with_leads_and_roles(client, designer):
    """Designers see active users (email, name, role: no secrets), teams and their leads."""
    response = client.get("/api/v1/directory", headers=designer)
    assert response.status_code == 200, response.json
    body = response.json
    emails = [user["email"] for user in body["users"]]
    assert "lead@example.com" in emails and "gone@example.com" not in emails
    assert emails == sorted(emails)
    assert all(set(user) == {"email", "name", "role"} for user in body["users"])
    teams = {team["key"]: team for team in body["teams"]}
    assert teams["after-sales"] == {"key": "after-sales", "name": "After-sales",
                                    "leads": ["lead@example.com"], "size": 2}
    assert teams["billing"]["leads"] == [] and teams["billing"]["size"] == 0
    assert set(body["roles"]) == {"admin", "designer", "agent", "requester"}


def test_directory_is_for_designers_and_admins_only(client, designer, as_role):
    """Anonymous 401, requesters and agents 403 (problem documents), admins 200."""
    anonymous = client.get("/api/v1/directory")
    assert anonymous.status_code == 401 and anonymous.mimetype == PROBLEM
    for role in (Role.REQUESTER, Role.AGENT):
        refused = client.get("/api/v1/directory", headers=as_role(role))
        assert refused.status_code == 403 and refused.mimetype == PROBLEM
    assert client.get("/api/v1/directory", headers=as_role(Role.ADMIN)).status_code == 200
    bad_token = client.get("/api/v1/directory", headers={"Authorization": "Bearer dkt_nope"})
    assert bad_token.status_code == 401
    assert client.post("/api/v1/directory", headers=designer).status_code == 405


def test_flow_list_shows_the_bound_form_and_open_tickets_per_version(client, designer,
                                                                     as_role):
    """Two published versions: tickets started on v1 stay counted on v1, new ones on v2;
    the list names the form the flow serves and the version it serves it with."""
    _create(client, designer, "refund-flow", demo_flow("refund-flow"))
    _create(client, designer, "spare")
    listed = {f["key"]: f for f in client.get("/api/v1/flows", headers=designer).json}
    assert listed["refund-flow"]["form"] is None and listed["refund-flow"]["versions"] == []
    assert listed["refund-flow"]["open"] == 0 and listed["refund-flow"]["latest_version"] is None
    assert client.post("/api/v1/flows/refund-flow/publish", headers=designer).status_code == 201
    requester = as_role(Role.REQUESTER)
    for _ in range(2):
        sent = client.post("/api/v1/forms/refund/submissions", json={"data": REFUND},
                           headers=requester)
        assert sent.status_code == 201, sent.json
    changed = demo_flow("refund-flow")
    changed["nodes"][1]["data"]["label"] = {"en": "Big?"}
    client.put("/api/v1/flows/refund-flow/draft", json=changed, headers=designer)
    assert client.post("/api/v1/flows/refund-flow/publish", headers=designer).status_code == 201
    client.post("/api/v1/forms/refund/submissions", json={"data": REFUND}, headers=requester)
    listed = {f["key"]: f for f in client.get("/api/v1/flows", headers=designer).json}
    refund = listed["refund-flow"]
    assert refund["form"] == "refund" and refund["form_version"] == 2
    assert refund["versions"] == [{"number": 1, "open": 2, "form": "refund"},
                                  {"number": 2, "open": 1, "form": "refund"}]
    assert refund["open"] == 3 and refund["latest_version"] == 2
    assert listed["spare"]["form"] is None and listed["spare"]["open"] == 0


def test_flow_list_hides_archived_flows_unless_asked(client, designer):
    """An archived flow leaves the list (and its form); ?archived=true shows it again."""
    _create(client, designer, "refund-flow", demo_flow("refund-flow"))
    client.post("/api/v1/flows/refund-flow/publish", headers=designer)
    assert client.delete("/api/v1/flows/refund-flow", headers=designer).status_code == 200
    assert client.get("/api/v1/flows", headers=designer).json == []
    everything = client.get("/api/v1/flows?archived=true", headers=designer).json
    assert [(f["key"], f["archived"], f["form"]) for f in everything] == [
        ("refund-flow", True, None)]
    bad = client.get("/api/v1/flows?archived=perhaps", headers=designer)
    assert bad.status_code == 422 and bad.mimetype == PROBLEM


def test_duplicate_copies_the_draft_under_a_new_key(client, designer):
    """The copy has the source's graph, its own key and title, and no versions."""
    _create(client, designer, "refund-flow", demo_flow("refund-flow"))
    client.post("/api/v1/flows/refund-flow/publish", headers=designer)
    copied = client.post("/api/v1/flows/refund-flow/duplicate", headers=designer,
                         json={"key": "refund-copy", "title": {"en": "Refund copy"}})
    assert copied.status_code == 201, copied.json
    assert copied.json["key"] == "refund-copy" and copied.json["latest_version"] is None
    draft = client.get("/api/v1/flows/refund-copy/draft", headers=designer).json
    source = demo_flow("refund-flow")
    assert draft["key"] == "refund-copy" and draft["title"] == {"en": "Refund copy"}
    assert draft["nodes"] == source["nodes"] and draft["edges"] == source["edges"]
    listed = {f["key"]: f for f in client.get("/api/v1/flows", headers=designer).json}
    assert listed["refund-copy"]["form"] is None  # bound only once published
    assert listed["refund-flow"]["form"] == "refund"


@pytest.mark.parametrize("body, status, pointer", [
    ({"key": "refund-flow", "title": "Same key"}, 409, None),
    ({"key": "Bad Key!", "title": "T"}, 422, "/key"),
    ({"key": "ok-key", "title": ""}, 422, "/title"),
    ({"key": "ok-key"}, 422, "/title"),
    ({"key": ["x"], "title": "T"}, 422, "/key"),
    ({"key": "x" * 5000, "title": "T"}, 422, "/key"),
    ({"key": "ok-key", "title": {"en": 5}}, 422, "/title"),
])
def test_duplicate_refuses_bad_input_with_a_problem(client, designer, body, status, pointer):
    """Taken keys 409; bad keys and titles 422 with a pointer; never a 500."""
    _create(client, designer, "refund-flow", demo_flow("refund-flow"))
    response = client.post("/api/v1/flows/refund-flow/duplicate", json=body, headers=designer)
    assert response.status_code == status, response.json
    assert response.mimetype == PROBLEM
    if pointer:
        assert response.json["errors"][0]["pointer"] == pointer


def test_duplicate_errors_and_roles(client, designer, as_role):
    """Unknown source 404, malformed JSON 400, anonymous 401, requester and agent 403."""
    _create(client, designer, "refund-flow")
    body = {"key": "copy", "title": "Copy"}
    assert client.post("/api/v1/flows/nope/duplicate", json=body,
                       headers=designer).status_code == 404
    malformed = client.post("/api/v1/flows/refund-flow/duplicate", data="{oops",
                            headers={**designer, "Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.mimetype == PROBLEM
    assert client.post("/api/v1/flows/refund-flow/duplicate", json=body).status_code == 401
    for role in (Role.REQUESTER, Role.AGENT):
        assert client.post("/api/v1/flows/refund-flow/duplicate", json=body,
                           headers=as_role(role)).status_code == 403
    not_object = client.post("/api/v1/flows/refund-flow/duplicate", json=[1, 2],
                             headers=designer)
    assert not_object.status_code == 422


def test_publishing_a_structurally_incomplete_flow_is_422_not_500(client, designer):
    """An approval with an empty approver list (minItems) or a too-short text: the problem
    message has no numbers to fill in, and the answer is still a 422 with a pointer."""
    _create(client, designer, "refund-flow")
    draft = demo_flow("refund-flow")
    draft["nodes"][2]["data"]["approvers"] = []
    client.put("/api/v1/flows/refund-flow/draft", json=draft, headers=designer)
    for path in ("publish", "validate"):
        response = client.post(f"/api/v1/flows/refund-flow/{path}", headers=designer)
        assert response.status_code == (422 if path == "publish" else 200), response.json
        problems = response.json["errors" if path == "publish" else "problems"]
        assert any(p["pointer"] == "/nodes/2/data/approvers" and p["message"] for p in problems)


def test_flow_list_reads_usage_in_a_fixed_number_of_queries(client, designer, connection):
    """Listing 2 or 8 published flows costs the same number of SQL statements (no query
    per flow or per version): the usage is read with grouped queries."""
    from sqlalchemy import event

    def statements_for_list() -> int:
        seen: list[str] = []

        def count(*args: Any) -> None:
            seen.append(args[2])

        event.listen(connection, "before_cursor_execute", count)
        try:
            assert client.get("/api/v1/flows", headers=designer).status_code == 200
        finally:
            event.remove(connection, "before_cursor_execute", count)
        return len(seen)

    def add_flows(start: int, stop: int) -> None:
        for n in range(start, stop):
            _create(client, designer, f"flow-{n}")
            client.post(f"/api/v1/flows/flow-{n}/publish", headers=designer)

    add_flows(0, 2)
    few = statements_for_list()
    add_flows(2, 8)
    many = statements_for_list()
    assert len(client.get("/api/v1/flows", headers=designer).json) == 8
    assert many == few, (few, many)


def test_validate_speaks_the_request_language_like_publish(client, designer):
    """Problems with a translated message (a missing required key) come back in Chinese
    from validate, exactly as publish words them."""
    _create(client, designer, "refund-flow")
    draft = demo_flow("refund-flow")
    del draft["nodes"][7]["data"]["outcome"]
    client.put("/api/v1/flows/refund-flow/draft", json=draft, headers=designer)
    chinese = {**designer, "Accept-Language": "zh-CN"}
    checked = client.post("/api/v1/flows/refund-flow/validate", headers=chinese).json
    published = client.post("/api/v1/flows/refund-flow/publish", headers=chinese).json
    assert checked["valid"] is False
    assert [(p["pointer"], p["message"]) for p in checked["problems"]] == [
        (p["pointer"], p["message"]) for p in published["errors"]]
    english = client.post("/api/v1/flows/refund-flow/validate", headers=designer).json
    in_english = [p["message"] for p in english["problems"]]
    assert [p["message"] for p in checked["problems"]] != in_english


def test_validate_says_what_to_write_for_a_task_without_a_title(client, designer):
    """A task whose title boxes were cleared: one problem at the title, in either language,
    that says what to do."""
    _create(client, designer, "refund-flow")
    draft = demo_flow("refund-flow")
    index = next(i for i, n in enumerate(draft["nodes"]) if n["id"] == "handle")
    draft["nodes"][index]["data"]["title"] = {}
    client.put("/api/v1/flows/refund-flow/draft", json=draft, headers=designer)
    for language, message in (("en", "Give this step a title."), ("zh-CN", "请为此步骤填写标题。")):
        checked = client.post("/api/v1/flows/refund-flow/validate",
                              headers={**designer, "Accept-Language": language}).json
        assert [(p["pointer"], p["code"], p["message"]) for p in checked["problems"]] == [
            (f"/nodes/{index}/data/title", "titleMissing", message)]
