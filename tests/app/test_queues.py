"""The queue page (/workspace) and GET /api/v1/tickets through the Flask client: filters,
search, cursors, counts, saved views, bulk changes, permissions, hostile input, N+1 guard."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import event, select

from core.people import Role
from runtime.flows import tasks as task_service
from runtime.tickets.models import Priority, Status, TicketEvent
from runtime.tickets.saved_views import SavedView
from tests.app.test_api_tasks import world_fixture  # noqa: F401  (fixture)
from tests.conftest import csrf_token
from tests.runtime.test_ticket_queries import HOSTILE, desk_fixture  # noqa: F401  (fixture)

PROBLEM = "application/problem+json"


def _flashes(html: str) -> list[str]:
    found = re.findall(r'<div class="flash[^"]*"[^>]*>.*?<p>(.*?)</p>', html, re.S)
    return [html_lib.unescape(m) for m in found]


def _rows(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr class="queue-row" data-number="(\d+)"', html)]


@pytest.fixture
def api(client, bearer, desk):
    """GET /api/v1/tickets as a user: api(user, query) -> response."""
    return lambda user, query="": client.get(f"/api/v1/tickets?{query}", headers=bearer(user))


def test_api_lists_with_filters_and_search(api, desk):
    """status, priority, form, team, assignee, field.<key> and q all narrow the list."""
    a = desk.ticket("Printer on fire", assignee=desk.agent, priority=Priority.URGENT,
                    data={"category": "refund", "amount": 30})
    b = desk.ticket("Password reset", status=Status.CLOSED, data={"category": "exchange"})
    admin = desk.admin
    cases = {"": [b, a], "status=closed": [b], "status=open&status=closed": [b, a],
             "priority=urgent": [a], "form=refund": [b, a], "team=blue": [b, a],
             "assignee=blue-agent@example.com": [a], "assignee=none": [b],
             "field.category=exchange": [b], "field.amount=30": [a], "q=printer": [a],
             "q=printer&status=closed": [], "queue=mine": [], "sort=oldest": [a, b]}
    for query, expected in cases.items():
        response = api(admin, query)
        assert response.status_code == 200, (query, response.json)
        assert [t["number"] for t in response.json["items"]] == [t.number for t in expected], query
    assert [t["number"] for t in api(desk.agent, "queue=mine").json["items"]] == [a.number]


def test_api_cursor_walks_every_ticket_once(api, desk):
    """next_cursor is opaque; following it lists each ticket once, newest first."""
    made = [desk.ticket(f"t{i}").number for i in range(5)]
    seen, query = [], "limit=2"
    while True:
        body = api(desk.admin, query).json
        seen += [t["number"] for t in body["items"]]
        if body["next_cursor"] is None:
            break
        assert isinstance(body["next_cursor"], str)
        query = f"limit=2&cursor={body['next_cursor']}"
    assert seen == made[::-1]
    # the number cursor of the first API version still works
    legacy = api(desk.admin, f"limit=2&cursor={made[2]}").json
    assert [t["number"] for t in legacy["items"]] == [made[1], made[0]]


@pytest.mark.parametrize("query,pointer", [
    ("status=maybe", "status"), ("priority=asap", "priority"), ("queue=everything", "queue"),
    ("limit=0", "limit"), ("limit=5000", "limit"), ("sort=random", "sort"),
    ("colour=red", "colour"), ("q=" + "x" * 201, "q"),
])
def test_api_bad_arguments_are_422_problems(api, desk, query, pointer):
    """Malformed filters are a 422 problem naming the parameter."""
    response = api(desk.admin, query)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert pointer in str(response.json)


@pytest.mark.parametrize("query,message", [
    ("team=green", "There is no team 'green'."),
    ("form=nope", "There is no form 'nope'."),
    ("assignee=ghost@example.com", "There is no user 'ghost@example.com'."),
    ("field.$bad=1", "A field key is letters, digits, - and _."),
    ("cursor=not-a-cursor", "This cursor is not valid here"),
    ("page=2", "Unknown parameter."),
    ("field.category=a%00b", "Control characters are not allowed."),
    ("team=%00", "Control characters are not allowed."),
])
def test_api_unknown_names_and_bad_cursors_say_what_to_fix(api, desk, query, message):
    """Names that do not exist and broken cursors are 422 with a message a person can act on."""
    response = api(desk.admin, query)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert any(e["message"].startswith(message) for e in response.json["errors"])


@pytest.mark.parametrize("q", HOSTILE)
def test_api_hostile_search_is_never_a_500(api, desk, q):
    """FTS syntax and odd characters in q answer 200 (or 422 for NUL), never 500."""
    desk.ticket("near AND printer")
    response = api(desk.admin, "q=" + q.replace("\x00", "%00").replace("%", "%25", 0))
    assert response.status_code in (200, 422), response.get_data(as_text=True)[:300]


def test_api_agents_and_requesters_see_only_their_share(api, desk):
    """Agents: their teams' and their own tickets; requesters: tickets they asked for."""
    blue, red = desk.ticket("blue one"), desk.ticket("red one", team="red")
    numbers = lambda user, q="": [t["number"] for t in api(user, q).json["items"]]  # noqa: E731
    assert numbers(desk.agent) == [blue.number]
    assert numbers(desk.agent, "team=red") == []
    assert numbers(desk.agent, "q=red") == []
    assert numbers(desk.other) == [red.number]
    assert numbers(desk.requester) == [red.number, blue.number]  # both asked by them
    assert api(desk.requester, "queue=mine").json["items"] == []


def _count_statements(connection) -> list[str]:
    seen: list[str] = []
    event.listen(connection, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_api_and_page_statement_counts_do_not_grow_with_rows(client, bearer, login, desk,
                                                             make_user, connection):
    """N+1 guard: with 5 tickets or 50 (assigned to different people), the API list and the
    queue page each issue the same number of statements."""
    people = [make_user(Role.AGENT, teams=("blue",)) for _ in range(10)]
    headers = bearer(desk.admin)
    login(desk.admin)
    seen = _count_statements(connection)
    measured = []
    for rows in (5, 50):
        while len(desk.made) < rows:
            desk.ticket(f"row {len(desk.made)}", assignee=people[len(desk.made) % 10])
        seen.clear()
        response = client.get("/api/v1/tickets?limit=100&q=row", headers=headers)
        api_count = len(seen)
        assert len(response.json["items"]) == rows
        seen.clear()
        page = client.get("/workspace?q=row&limit=100")
        assert len(_rows(page.get_data(as_text=True))) == rows
        measured.append((api_count, len(seen)))
    assert measured[0] == measured[1], measured


def test_page_is_for_staff_only(client, login, desk):
    """Requesters never see the workspace; signed-out people are sent to sign in."""
    assert client.get("/workspace").status_code == 302
    login(desk.requester)
    assert client.get("/workspace").status_code == 403


def test_page_shows_queues_counts_and_rows(client, login, desk):
    """Queue links with counts, the at-risk placeholder, rows with checkboxes."""
    mine = desk.ticket("Mine to do", assignee=desk.agent)
    desk.ticket("Red", team="red")
    done = desk.ticket("Done", status=Status.RESOLVED)
    login(desk.agent)
    html = client.get("/workspace").get_data(as_text=True)
    for text in ("Assigned to me", "My teams", "Unassigned", "Waiting for my approval",
                 "All tickets", "At risk / overdue", "needs SLAs", 'name="tickets"',
                 "Keyboard shortcuts"):
        assert text in html, text
    assert re.search(r'data-queue="mine">1<', html) and re.search(r'data-queue="all">1<', html)
    assert _rows(html) == [mine.number]  # open work only, own team only
    assert _rows(client.get("/workspace?status=any").get_data(as_text=True)) == [
        done.number, mine.number]
    counts = client.get("/workspace/counts").json
    assert counts["mine"] == {"count": 1, "text": "1"} and counts["approvals"]["count"] == 0


def test_page_filters_search_and_field_box(client, login, desk):
    """GET filters, the key=value field box and search all work without JavaScript."""
    a = desk.ticket("Laptop fan", data={"category": "exchange"})
    desk.ticket("Other thing")
    login(desk.admin)
    get = lambda q: _rows(client.get(f"/workspace?{q}").get_data(as_text=True))  # noqa: E731
    assert get("q=fan") == [a.number]
    assert get("field=category%3Dexchange&priority=&team=&assignee=") == [a.number]
    assert get("q=nothing+matches") == []


def test_page_bad_filters_explain_themselves(client, login, desk):
    """An unknown team or a broken field box gives the page with a message and 422."""
    login(desk.admin)
    for query, text in (("team=green", "There is no team"), ("field=nokey", "key=value"),
                        ("cursor=zzz", "page link is out of date"), ("status=maybe", "status")):
        response = client.get(f"/workspace?{query}")
        assert response.status_code == 422, query
        assert text in response.get_data(as_text=True), query


def test_page_in_chinese(client, login, desk):
    """The queue page speaks Chinese when chosen."""
    desk.ticket()
    login(desk.agent)
    client.get("/lang/zh-CN")
    html = client.get("/workspace").get_data(as_text=True)
    assert "分配给我" in html and "队列" in html and "所选工单" in html


def test_bulk_assign_to_me_and_status_from_the_page(client, login, desk, session):
    """The bulk form changes every selected ticket and says how many; events are written."""
    a, b = desk.ticket("a"), desk.ticket("b")
    red = desk.ticket("red", team="red")
    login(desk.agent)
    token = csrf_token(client, "/workspace")
    response = client.post("/workspace/bulk", data={
        "csrf_token": token, "tickets": [str(a.number), str(b.number), str(red.number)],
        "assignee": "me", "status": "pending", "priority": "", "back_query": "queue=teams"})
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/workspace?queue=teams")
    flashes = _flashes(client.get("/workspace?queue=teams").get_data(as_text=True))
    assert "2 tickets changed." in flashes
    assert any(f"#{red.number}" in f for f in flashes)
    for ticket in (a, b):
        session.refresh(ticket)
        assert ticket.assignee_id == desk.agent.id and ticket.status == Status.PENDING
    assert session.scalar(select(TicketEvent).where(TicketEvent.ticket_id == red.id)) is None


def test_bulk_needs_csrf_and_sane_input(client, login, desk, session):
    """Without the CSRF token nothing changes; no selection or a bad value is a message."""
    a = desk.ticket("a")
    login(desk.agent)
    assert client.post("/workspace/bulk", data={"tickets": [str(a.number)],
                                                "status": "closed"}).status_code == 400
    session.refresh(a)
    assert a.status == Status.OPEN
    token = csrf_token(client, "/workspace")
    for data, text in (({"status": "closed"}, "Select at least one ticket."),
                       ({"tickets": [str(a.number)]}, "Choose what to change."),
                       ({"tickets": [str(a.number)], "status": "gone"}, "Choose a status"),
                       ({"tickets": [str(a.number)], "assignee": "ghost@example.com"},
                        "No such user")):
        client.post("/workspace/bulk", data={"csrf_token": token, **data})
        flashes = _flashes(client.get("/workspace").get_data(as_text=True))
        assert any(text in f for f in flashes), (data, flashes)
    session.refresh(a)
    assert a.status == Status.OPEN


def test_saved_views_save_open_delete(client, login, desk, session):
    """Save the current filters, open them again, delete; other people's views are 404."""
    login(desk.agent)
    token = csrf_token(client, "/workspace")
    client.post("/workspace/views", data={"csrf_token": token, "name": "Urgent",
                                          "back_query": "queue=teams&priority=urgent&cursor=x"})
    view = session.scalar(select(SavedView).where(SavedView.user_id == desk.agent.id))
    assert view is not None and view.params == [["queue", "teams"], ["priority", "urgent"]]
    html = client.get("/workspace").get_data(as_text=True)
    assert f'/workspace/views/{view.id}"' in html and "Urgent" in html
    opened = client.get(f"/workspace/views/{view.id}")
    assert opened.status_code == 303 and opened.headers["Location"].endswith(
        "/workspace?queue=teams&priority=urgent")
    client.post(f"/workspace/views/{view.id}/delete", data={"csrf_token": token})
    assert session.scalar(select(SavedView).where(SavedView.id == view.id)) is None
    client.post("/workspace/views", data={"csrf_token": token, "name": "", "back_query": ""})
    assert "Give the view a name." in _flashes(client.get("/workspace").get_data(as_text=True))


def test_saved_view_of_someone_else_is_not_found(client, login, desk, session):
    """A view id that is not yours answers 404 (open) and changes nothing (delete)."""
    other = SavedView(user_id=desk.other.id, name="Theirs", params=[])
    session.add(other)
    session.commit()
    login(desk.agent)
    assert client.get(f"/workspace/views/{other.id}").status_code == 404
    client.post(f"/workspace/views/{other.id}/delete",
                data={"csrf_token": csrf_token(client, "/workspace")})
    assert session.get(SavedView, other.id) is not None


def test_approvals_queue_lists_tickets_waiting_for_my_approval(client, world, login, session):
    """A ticket whose approval task I hold is in 'Waiting for my approval' with a count;
    a user task (work, not a decision) is not."""
    number = world.submit()
    login(world.approver)
    html = client.get("/workspace?queue=approvals").get_data(as_text=True)
    assert _rows(html) == [number]
    assert re.search(r'data-queue="approvals">1<', html)
    task_service.decide_task(session=session, task_id=world.open_task(number).id,
                             user=world.approver, decision="approve")
    session.commit()  # the worker's user task is open now
    login(world.worker)
    html = client.get("/workspace?queue=approvals").get_data(as_text=True)
    assert _rows(html) == [] and re.search(r'data-queue="approvals">0<', html)



def test_nul_characters_never_reach_the_database(client, login, desk, session):
    """NUL in a bulk field, a view name or the filters the form came from is refused or
    dropped with a message; PostgreSQL would otherwise fail the statement (a 500)."""
    a = desk.ticket("a")
    login(desk.agent)
    token = csrf_token(client, "/workspace")
    response = client.post("/workspace/bulk", data={
        "csrf_token": token, "tickets": [str(a.number)], "assignee": "x\x00@example.com",
        "back_query": "q=a%00b&queue=mine"})
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/workspace?queue=mine")
    response = client.post("/workspace/views", data={
        "csrf_token": token, "name": "a\x00b", "back_query": "team=%00&queue=mine"})
    assert response.status_code == 303
    view = session.scalar(select(SavedView).where(SavedView.user_id == desk.agent.id))
    assert view.name == "a b" and view.params == [["queue", "mine"]]
    assert client.get("/workspace?team=%00").status_code == 422
