"""What lists show each actor, and what write endpoints do with fields nobody may write.

Lists (the API list and search, the portal's "my tickets", the queues and their counts, the
staff ticket page's requester panel, links and merge suggestions, notifications, tasks)
hold exactly the tickets the actor may see: ``SEES`` in the world module states who.

Non-writable fields, one behaviour per family:

- the JSON API (``/api/v1``: tickets PATCH, comments, forms and flows PATCH, users, teams,
  articles, task decisions, submissions) refuses any field it does not accept with a 422
  problem whose ``errors[].pointer`` names the field (marshmallow ``unknown=RAISE``), and
  changes nothing;
- pages (plain HTML forms) read only the fields they know; anything else is ignored, so an
  extra ``number`` or ``requester_id`` changes nothing either;
- a status that only a transition may reach (a closed ticket straight to resolved) is 409.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from core.people import User
from runtime.flows.models import Task
from runtime.notifications import Kind, Notification
from runtime.tickets.models import Ticket
from tests.app.test_permission_matrix_world import (  # noqa: F401  (fixtures)
    ACTORS,
    EMAILS,
    SEES,
    Matrix,
    cell_fixture,
    changed_tables,
    fingerprint,
    matrix_fixture,
    numbers_linked,
)

SIGNED_IN = ACTORS[1:]
STAFF_ACTORS = ("agent", "agent_other_team", "designer", "admin")
OPEN = ("t_support", "t_billing", "t_unassigned", "t_task")  # t_resolved is not open


def visible(m: Matrix, actor: str, among: tuple[str, ...] | None = None) -> set[int]:
    """The numbers of the world's tickets ``actor`` may see."""
    return {m.world.tickets[name] for name, who in SEES.items()
            if actor in who and (among is None or name in among)}


@pytest.mark.parametrize("actor", SIGNED_IN)
def test_api_list_and_search_hold_exactly_the_visible_tickets(cell: Matrix, actor: str) -> None:
    """GET /api/v1/tickets, with and without a search every subject matches."""
    client, headers = cell.api(), cell.headers(actor)
    for query in ("limit=200", "limit=200&q=printer", "limit=200&q=jammed&queue=all"):
        response = client.get(f"/api/v1/tickets?{query}", headers=headers)
        assert response.status_code == 200, response.json
        assert {t["number"] for t in response.json["items"]} == visible(cell, actor), query


@pytest.mark.parametrize("actor", SIGNED_IN)
def test_portal_lists_hold_exactly_the_visible_tickets(cell: Matrix, actor: str) -> None:
    """My tickets (and the portal home's recent ones) link only to tickets one may see."""
    browser = cell.browsers[actor]
    html = browser.get("/portal/tickets").get_data(as_text=True)
    assert numbers_linked(html, "/portal/tickets") == visible(cell, actor)
    home = browser.get("/portal").get_data(as_text=True)
    assert numbers_linked(home, "/portal/tickets") <= visible(cell, actor)


@pytest.mark.parametrize("actor", STAFF_ACTORS)
def test_queues_and_counts_hold_exactly_the_visible_tickets(cell: Matrix, actor: str) -> None:
    """The queue page (any status) and the live counts count what one may see, no more."""
    browser = cell.browsers[actor]
    html = browser.get("/workspace?queue=all&status=any&limit=200").get_data(as_text=True)
    assert numbers_linked(html, "/workspace/tickets") == visible(cell, actor)
    found = browser.get("/workspace?queue=all&q=printer&limit=200").get_data(as_text=True)
    assert numbers_linked(found, "/workspace/tickets") == visible(cell, actor, OPEN)
    counts = browser.get("/workspace/counts").json
    assert counts["all"]["count"] == len(visible(cell, actor, OPEN))
    assert counts["unassigned"]["count"] <= counts["all"]["count"]


@pytest.mark.parametrize(("actor", "ticket"), [("agent", "t_unassigned"),
                                               ("agent_other_team", "t_unassigned"),
                                               ("agent", "t_support"), ("admin", "t_support")])
def test_staff_ticket_page_panels_link_only_visible_tickets(cell: Matrix, actor: str,
                                                            ticket: str) -> None:
    """The requester panel (their other tickets), links and merge suggestions: t_unassigned's
    requester also has support tickets, which an agent of billing must not learn of."""
    number = cell.world.tickets[ticket]
    response = cell.browsers[actor].get(f"/workspace/tickets/{number}")
    assert response.status_code == 200
    shown = numbers_linked(response.get_data(as_text=True), "/workspace/tickets") - {number}
    assert shown <= visible(cell, actor), shown - visible(cell, actor)
    if actor == "agent" and ticket == "t_unassigned":
        assert cell.world.tickets["t_support"] in shown  # the panels do list what may be seen


@pytest.mark.parametrize("actor", SIGNED_IN)
def test_api_forms_list_holds_drafts_only_for_designers(cell: Matrix, actor: str) -> None:
    """GET /api/v1/forms: designers and admins see every form that is not archived, the
    never-published ``sketch`` included; everyone else only forms open for submission."""
    response = cell.api().get("/api/v1/forms", headers=cell.headers(actor))
    assert response.status_code == 200, response.json
    keys = {form["key"] for form in response.json}
    assert keys == ({"simple", "approve", "sketch"} if actor in ("designer", "admin")
                    else {"simple", "approve"})
    if "sketch" not in keys:
        assert "Form sketch" not in response.get_data(as_text=True)


def _notified(m: Matrix, actor: str) -> list[tuple[str, int | None]]:
    rows = m.conn.execute(select(Notification.kind, Ticket.number).outerjoin(
        Ticket, Ticket.id == Notification.ticket_id).where(
        Notification.user_id == m.world.users[actor])).all()
    return [(str(kind), number) for kind, number in rows]


@pytest.mark.parametrize("actor", SIGNED_IN)
def test_notifications_are_about_visible_tickets(cell: Matrix, actor: str) -> None:
    """Every notification's ticket is one the person may see; the page links no other."""
    notes = _notified(cell, actor)
    assert {n for _kind, n in notes if n is not None} <= visible(cell, actor)
    html = cell.browsers[actor].get("/notifications").get_data(as_text=True)
    for prefix in ("/portal/tickets", "/workspace/tickets"):
        assert numbers_linked(html, prefix) <= visible(cell, actor)


def test_a_mention_reaches_only_colleagues_who_may_see_the_ticket(cell: Matrix) -> None:
    """The internal note on t_support mentions bob (support) and out@ (billing): only bob is
    told; a mention grants no access."""
    support = cell.world.tickets["t_support"]
    assert (str(Kind.MENTIONED), support) in _notified(cell, "colleague")
    assert all(kind != Kind.MENTIONED for kind, _n in _notified(cell, "agent_other_team"))
    response = cell.api().post(f"/api/v1/tickets/{support}/comments", json={
        "body": f"Again @{EMAILS['agent_other_team']}", "internal": True},
        headers=cell.headers("agent"))
    assert response.status_code == 201
    assert all(kind != Kind.MENTIONED for kind, _n in _notified(cell, "agent_other_team"))


def test_task_lists_name_only_visible_tickets(cell: Matrix) -> None:
    """Billing's agent sees no task of support's ticket in any task list."""
    client, headers = cell.api(), cell.headers("agent_other_team")
    for query in ("scope=mine", "scope=team"):
        assert client.get(f"/api/v1/tasks?{query}", headers=headers).json == []
    task_ticket = cell.conn.scalar(select(Ticket.number).join(Task).where(
        Task.id == cell.world.task))
    assert task_ticket == cell.world.tickets["t_task"]
    mine = client.get("/api/v1/tasks", headers=cell.headers("agent")).json
    assert [t["ticket"]["number"] for t in mine] == [task_ticket]


# --- non-writable fields -----------------------------------------------------------------

READ_ONLY: list[tuple[str, str, str, dict[str, Any], list[tuple[str, Any]]]] = [
    ("admin", "PATCH", "/api/v1/tickets/{t_support}", {"priority": "high"},
     [("number", 1), ("id", 1), ("requester", EMAILS["agent"]), ("requester_id", 1),
      ("created_at", "2000-01-01T00:00:00Z"), ("updated_at", "2000-01-01T00:00:00Z"),
      ("form", "old"), ("form_version", 9), ("subject", "Hacked"), ("data", {"a": 1}),
      ("channel", "email"), ("attachments", []), ("watchers", [])]),
    ("agent", "POST", "/api/v1/tickets/{t_support}/comments", {"body": "Hi"},
     [("id", 1), ("actor", EMAILS["admin"]), ("kind", "status"), ("payload", {}),
      ("created_at", "2000-01-01T00:00:00Z"), ("ticket", 1)]),
    ("designer", "PATCH", "/api/v1/forms/simple", {"title": {"en": "T"}},
     [("key", "other"), ("archived", True), ("revision", 9), ("created_at", "2000-01-01"),
      ("latest_version", 9), ("draft", {})]),
    ("designer", "PATCH", "/api/v1/flows/approve-flow", {"title": {"en": "T"}},
     [("key", "other"), ("archived", True), ("created_at", "2000-01-01"),
      ("latest_version", 9)]),
    ("admin", "POST", "/api/v1/users", {"email": "x@example.com", "name": "X",
                                        "role": "requester"},
     [("id", 1), ("active", False), ("created_at", "2000-01-01"), ("password_hash", "x"),
      ("attributes", {})]),
    ("admin", "POST", "/api/v1/teams", {"key": "x-team", "name": "X"},
     [("id", 1), ("members", [])]),
    ("agent", "PATCH", "/api/v1/kb/{article}", {"title": {"en": "T"}},
     [("id", 1), ("status", "draft"), ("source_ticket", 1), ("created_at", "2000-01-01"),
      ("published_at", None), ("html", {})]),
    ("agent", "POST", "/api/v1/tasks/{task}/decision", {"decision": "approve"},
     [("status", "done"), ("assignee", EMAILS["admin"]), ("ticket", 1)]),
    ("requester", "POST", "/api/v1/forms/simple/submissions",
     {"data": {"category": "question", "summary": "S"}},
     [("requester", EMAILS["admin"]), ("number", 5), ("status", "closed")]),
]


def _read_only_cases() -> list[Any]:
    return [pytest.param(actor, method, path, body, name, value,
                         id=f"{actor}-{method}-{path}-{name}")
            for actor, method, path, body, fields in READ_ONLY for name, value in fields]


@pytest.mark.parametrize(("actor", "method", "path", "body", "name", "value"),
                         _read_only_cases())
def test_api_refuses_fields_it_does_not_write(cell: Matrix, actor: str, method: str,
                                              path: str, body: dict[str, Any], name: str,
                                              value: Any) -> None:
    """422 naming the field; nothing changed. (The same body without it is accepted: see the
    allowed cells of the matrix.)"""
    url = path.format(**cell.world.values())
    response = cell.api().open(url, method=method, json={**body, name: value},
                               headers=cell.headers(actor))
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert f"/{name}" in [e["pointer"] for e in response.json["errors"]], response.json
    assert changed_tables(cell.baseline, fingerprint(cell.conn)) == []


def test_submission_data_cannot_set_ticket_properties(cell: Matrix) -> None:
    """Keys in ``data`` that are no field of the form never reach the ticket's own columns."""
    response = cell.api().post("/api/v1/forms/simple/submissions", json={"data": {
        "category": "question", "summary": "S", "number": 5, "requester_id": 1,
        "status": "closed", "_ticket": {"number": 5}}}, headers=cell.headers("requester"))
    if response.status_code == 422:
        assert changed_tables(cell.baseline, fingerprint(cell.conn)) == []
        return
    assert response.status_code == 201, response.json
    made = cell.conn.execute(select(Ticket.number, Ticket.status, User.email).join(
        User, User.id == Ticket.requester_id).where(
        Ticket.number == response.json["number"])).one()
    assert made.number != 5 and made.status == "new" and made.email == EMAILS["requester"]
    assert response.json["requester"] == EMAILS["requester"]


def test_pages_ignore_fields_they_do_not_write(cell: Matrix) -> None:
    """The staff update form with extra number/requester/created_at: only priority moves."""
    number = cell.world.tickets["t_support"]
    before = cell.conn.execute(select(Ticket.id, Ticket.requester_id, Ticket.created_at,
                                      Ticket.form_key).where(Ticket.number == number)).one()
    response = cell.browsers["agent"].post(f"/workspace/tickets/{number}/update", data={
        "priority": "urgent", "number": "5", "requester_id": "3", "id": "9",
        "created_at": "2000-01-01", "form_key": "old", "csrf_token": cell.csrf["agent"]})
    assert response.status_code == 303
    after = cell.conn.execute(select(Ticket.id, Ticket.requester_id, Ticket.created_at,
                                     Ticket.form_key, Ticket.priority).where(
        Ticket.number == number)).one()
    assert tuple(after[:4]) == tuple(before) and after.priority == "urgent"


def test_status_only_by_transition(cell: Matrix) -> None:
    """A closed ticket cannot be PATCHed straight to resolved (409); nothing changes."""
    number = cell.world.tickets["t_support"]
    client, headers = cell.api(), cell.headers("admin")
    assert client.patch(f"/api/v1/tickets/{number}", json={"status": "closed"},
                        headers=headers).status_code == 200
    closed = fingerprint(cell.conn)
    response = client.patch(f"/api/v1/tickets/{number}", json={"status": "resolved"},
                            headers=headers)
    assert response.status_code == 409 and response.mimetype == "application/problem+json"
    assert changed_tables(closed, fingerprint(cell.conn)) == []


def test_ticket_number_is_never_a_filter_bypass(cell: Matrix) -> None:
    """Searching by another team's ticket number finds nothing for an agent who may not see
    it (the number search stays inside what one may see)."""
    other = cell.world.tickets["t_billing"]
    response = cell.api().get(f"/api/v1/tickets?q=%23{other}", headers=cell.headers("agent"))
    assert response.status_code == 200 and response.json["items"] == []
    html = cell.browsers["agent"].get(f"/workspace?q={other}&status=any").get_data(
        as_text=True)
    assert not re.search(rf'href="/workspace/tickets/{other}"', html)
