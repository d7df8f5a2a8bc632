"""The flows API: design lifecycle, binding to forms, validation problems, simulation, errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from builder.flows.models import Flow, FlowBinding, FlowVersion
from core.people import Role, TeamMember, create_team
from runtime.tickets.models import Ticket, TicketEvent
from tests.conftest import demo_definition

PROBLEM = "application/problem+json"
FLOW_DEMO = Path(__file__).resolve().parents[2] / "builder" / "flows" / "demo"
REGION_TEAMS = ("repair-north", "repair-south", "repair-east", "repair-west")


def demo_flow(name: str) -> dict[str, Any]:
    """A copy of a demo flow (refund-flow, repair-flow)."""
    return copy.deepcopy(json.loads((FLOW_DEMO / f"{name}.json").read_text()))


@pytest.fixture
def world(session, make_user, make_form, as_role):
    """The demo directory: teams, two after-sales leads, the published demo forms."""
    team = create_team(session=session, key="after-sales", name="After-sales")
    for key in REGION_TEAMS:
        create_team(session=session, key=key, name=key)
    for email in ("agent1@example.com", "agent2@example.com"):
        user = make_user(Role.AGENT, email=email)
        session.add(TeamMember(team=team, user=user, lead=True))
    session.commit()
    make_form(demo_definition("refund"))
    make_form(demo_definition("repair"))
    return as_role(Role.DESIGNER)


def _create(client: Any, headers: dict[str, str], key: str = "refund-flow",
            definition: dict[str, Any] | None = None) -> Any:
    created = client.post("/api/v1/flows", json={"key": key, "title": {"en": "Refund"}},
                          headers=headers)
    if definition is not None:
        client.put(f"/api/v1/flows/{key}/draft", json=definition, headers=headers)
    return created


def _counts(session: Any) -> tuple[int, ...]:
    models = (Flow, FlowVersion, FlowBinding, Ticket, TicketEvent)
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in models)


def test_flows_create_publish_versions_and_bind_the_form(client, world):
    """Publishing the demo refund flow makes v1; the refund form then shows it as its flow."""
    assert _create(client, world, definition=demo_flow("refund-flow")).status_code == 201
    published = client.post("/api/v1/flows/refund-flow/publish", headers=world)
    assert published.status_code == 201, published.json
    assert published.json["number"] == 1 and published.json["form"] == "refund"
    assert published.json["replaced"] is None
    again = client.post("/api/v1/flows/refund-flow/publish", headers=world)
    assert again.status_code == 200 and again.json["number"] == 1
    form = client.get("/api/v1/forms/refund", headers=world).json
    assert form["flow"] == {"key": "refund-flow", "version": 1}
    assert client.get("/api/v1/forms/repair", headers=world).json["flow"] is None
    flow = client.get("/api/v1/flows/refund-flow", headers=world).json
    assert flow["form"] == "refund" and flow["latest_version"] == 1
    listed = client.get("/api/v1/flows/refund-flow/versions", headers=world).json
    assert [v["number"] for v in listed] == [1]
    v1 = client.get("/api/v1/flows/refund-flow/versions/1", headers=world).json
    assert v1["definition"]["nodes"][0]["data"]["form"] == "refund"
    assert [f["key"] for f in client.get("/api/v1/flows", headers=world).json] == ["refund-flow"]


def test_flows_second_flow_for_a_form_takes_it_over(client, world):
    """Publishing flow B for form X makes B current; A keeps its versions but is unbound."""
    _create(client, world, "flow-a", demo_flow("refund-flow"))
    client.post("/api/v1/flows/flow-a/publish", headers=world)
    _create(client, world, "flow-b", demo_flow("refund-flow"))
    took = client.post("/api/v1/flows/flow-b/publish", headers=world)
    assert took.status_code == 201 and took.json["replaced"] == "flow-a"
    assert client.get("/api/v1/forms/refund", headers=world).json["flow"]["key"] == "flow-b"
    assert client.get("/api/v1/flows/flow-a", headers=world).json["form"] is None
    assert client.get("/api/v1/flows/flow-a/versions/1", headers=world).status_code == 200
    back = client.post("/api/v1/flows/flow-a/publish", headers=world)
    assert back.status_code == 200 and back.json["replaced"] == "flow-b"
    assert client.get("/api/v1/forms/refund", headers=world).json["flow"]["key"] == "flow-a"
    archived = client.delete("/api/v1/flows/flow-a", headers=world)
    assert archived.status_code == 200 and archived.json["archived"] is True
    assert client.get("/api/v1/forms/refund", headers=world).json["flow"] is None


def test_flows_rebinding_to_another_form_moves_the_binding(client, world):
    """A flow serves one form at a time: a version bound elsewhere moves its binding."""
    _create(client, world, "mover", demo_flow("refund-flow"))
    client.post("/api/v1/flows/mover/publish", headers=world)
    client.put("/api/v1/flows/mover/draft", json=demo_flow("repair-flow"), headers=world)
    assert client.post("/api/v1/flows/mover/publish", headers=world).json["form"] == "repair"
    assert client.get("/api/v1/forms/refund", headers=world).json["flow"] is None
    assert client.get("/api/v1/forms/repair", headers=world).json["flow"] == {
        "key": "mover", "version": 2}


def test_flows_publish_lists_every_problem_with_pointers(client, world):
    """A broken draft saves; publish is 422 with located problems; nothing is published."""
    broken = demo_flow("refund-flow")
    broken["nodes"][2]["data"]["approvers"][0]["team"] = "no-such-team"
    broken["edges"][1]["data"]["when"] = {"properties": {"nope": {"const": 1}},
                                          "required": ["nope"]}
    broken["nodes"][3]["data"]["url"] = "ftp://finance.example"
    assert _create(client, world, definition=broken).status_code == 201
    checked = client.post("/api/v1/flows/refund-flow/validate", headers=world).json
    assert checked["valid"] is False
    response = client.post("/api/v1/flows/refund-flow/publish", headers=world)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    pointers = {e["pointer"] for e in response.json["errors"]}
    assert {"/nodes/2/data/approvers/0/team", "/nodes/3/data/url"} <= pointers
    assert any(p.startswith("/edges/1/data/when") for p in pointers)
    assert client.get("/api/v1/flows/refund-flow/versions", headers=world).json == []


def test_flows_hostile_drafts_are_422_never_500(client, world):
    """Garbage of every shape saves, and validates and publishes with problems."""
    _create(client, world)
    deep: Any = {"x": 1}
    for _ in range(100):
        deep = {"allOf": [deep]}
    hostile = [
        {"nodes": "x", "edges": None},
        {"formatVersion": 1, "nodes": [None, 1, {"id": {}, "type": []}], "edges": [[]]},
        {"formatVersion": 1, "nodes": [{"id": "a", "type": "start", "data": deep}], "edges": []},
        {"formatVersion": 1, "nodes": [{"id": "a", "type": "exclusive", "data": {}}],
         "edges": [{"id": "e", "source": "a", "target": "a"}]},
    ]
    for draft in hostile:
        assert client.put("/api/v1/flows/refund-flow/draft", json=draft,
                          headers=world).status_code == 200
        assert client.post("/api/v1/flows/refund-flow/validate",
                           headers=world).status_code == 200
        response = client.post("/api/v1/flows/refund-flow/publish", headers=world)
        assert response.status_code == 422, draft
        assert response.json["errors"]


def test_flows_simulate_explains_the_branch_and_writes_nothing(client, world, session):
    """The refund draft: a large amount goes to the leads' approval, a small one to the queue."""
    _create(client, world, definition=demo_flow("refund-flow"))
    before = _counts(session)
    large = client.post("/api/v1/flows/refund-flow/simulate",
                        json={"data": {"amount": 2500, "category": "refund"}}, headers=world)
    assert large.status_code == 200, large.json
    assert large.json["path"][:3] == ["start", "route", "leads"]
    assert large.json["outcome"] == "resolved" and "pay" in large.json["path"]
    route = next(s for s in large.json["steps"] if s["node"] == "route")
    assert "amount" in route["reason"]
    rejected = client.post("/api/v1/flows/refund-flow/simulate", headers=world, json={
        "data": {"amount": 2500}, "decisions": {"leads": "reject"}})
    assert rejected.json["outcome"] == "rejected" and "tell-rejected" in rejected.json["path"]
    small = client.post("/api/v1/flows/refund-flow/simulate",
                        json={"data": {"amount": 20}}, headers=world)
    assert small.json["path"] == ["start", "route", "queue", "handle", "done"]
    assert "default" in small.json["steps"][1]["reason"]
    assert _counts(session) == before


def test_flows_simulate_a_version_or_refuse_an_invalid_draft(client, world):
    """?version=n runs that version; an invalid draft is 422 with its problems."""
    _create(client, world, definition=demo_flow("refund-flow"))
    client.post("/api/v1/flows/refund-flow/publish", headers=world)
    client.put("/api/v1/flows/refund-flow/draft", json={"nodes": []}, headers=world)
    invalid = client.post("/api/v1/flows/refund-flow/simulate", json={"data": {}},
                          headers=world)
    assert invalid.status_code == 422 and invalid.json["errors"]
    v1 = client.post("/api/v1/flows/refund-flow/simulate?version=1",
                     json={"data": {"amount": 5}}, headers=world)
    assert v1.status_code == 200 and v1.json["outcome"] == "resolved"
    missing = client.post("/api/v1/flows/refund-flow/simulate?version=7",
                          json={"data": {}}, headers=world)
    assert missing.status_code == 404
    bad = client.post("/api/v1/flows/refund-flow/simulate", json={"data": 5}, headers=world)
    assert bad.status_code == 422 and bad.json["errors"][0]["pointer"] == "/data"
    vote = client.post("/api/v1/flows/refund-flow/simulate?version=1", headers=world,
                       json={"data": {}, "decisions": {"leads": "maybe"}})
    assert vote.status_code == 422


def test_flows_errors_400_401_403_404_409_413(client, world, as_role):
    """Malformed JSON 400, no credentials 401, requester 403, unknown 404, conflicts 409,
    oversized 413: all problem documents."""
    malformed = client.post("/api/v1/flows", data="{nope",
                            headers={**world, "Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.mimetype == PROBLEM
    assert client.get("/api/v1/flows").status_code == 401
    requester = as_role(Role.REQUESTER)
    assert client.get("/api/v1/flows", headers=requester).status_code == 403
    assert client.post("/api/v1/flows", json={"key": "x", "title": "X"},
                       headers=as_role(Role.AGENT)).status_code == 403
    assert client.get("/api/v1/flows/nope", headers=world).status_code == 404
    assert _create(client, world).status_code == 201
    assert _create(client, world).status_code == 409
    bad_key = client.post("/api/v1/flows", json={"key": "Bad Key", "title": "T"}, headers=world)
    assert bad_key.status_code == 422 and bad_key.json["errors"][0]["pointer"] == "/key"
    etag = client.get("/api/v1/flows/refund-flow/draft", headers=world).headers["ETag"]
    first = client.put("/api/v1/flows/refund-flow/draft", json=demo_flow("refund-flow"),
                       headers={**world, "If-Match": etag})
    assert first.status_code == 200
    stale = client.put("/api/v1/flows/refund-flow/draft", json={"nodes": []},
                       headers={**world, "If-Match": etag})
    assert stale.status_code == 409 and stale.mimetype == PROBLEM
    stale_patch = client.patch("/api/v1/flows/refund-flow", json={"title": "New"},
                               headers={**world, "If-Match": etag})
    assert stale_patch.status_code == 409
    renamed = client.patch("/api/v1/flows/refund-flow", json={"title": {"en": "Refunds"}},
                           headers=world)
    assert renamed.status_code == 200 and renamed.json["title"] == {"en": "Refunds"}
    huge = {"nodes": [], "padding": "x" * (3 * 1024 * 1024)}
    too_large = client.put("/api/v1/flows/refund-flow/draft", json=huge, headers=world)
    assert too_large.status_code == 413 and too_large.mimetype == PROBLEM


def test_flows_export_then_import(client, world):
    """An export imports as a new flow; an existing key needs replace=true; kind is checked."""
    _create(client, world, definition=demo_flow("refund-flow"))
    exported = client.get("/api/v1/flows/refund-flow/export", headers=world)
    assert exported.status_code == 200 and exported.json["kind"] == "docket.flow"
    document = exported.json
    assert client.post("/api/v1/flows/import", json=document, headers=world).status_code == 409
    assert client.post("/api/v1/flows/import?replace=true", json=document,
                       headers=world).status_code == 201
    copied = client.post("/api/v1/flows/import", json={**document, "key": "refund-copy"},
                         headers=world)
    assert copied.status_code == 201 and copied.json["key"] == "refund-copy"
    assert client.post("/api/v1/flows/refund-copy/publish", headers=world).status_code == 201
    form_export = {**document, "kind": "docket.form"}
    wrong = client.post("/api/v1/flows/import", json=form_export, headers=world)
    assert wrong.status_code == 422 and wrong.json["errors"][0]["pointer"] == "/kind"


def test_flows_new_flow_starts_valid(client, world):
    """A new flow's draft (manual start -> end) validates and publishes unbound."""
    _create(client, world, "blank")
    assert client.post("/api/v1/flows/blank/validate", headers=world).json["valid"] is True
    published = client.post("/api/v1/flows/blank/publish", headers=world)
    assert published.status_code == 201 and published.json["form"] is None
