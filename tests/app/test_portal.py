"""The requester portal through the Flask client: forms, submissions, my tickets, escaping."""

from __future__ import annotations

import io
import re

from core.people import Role
from tests.conftest import csrf_token
from tests.forms_fixtures import PNG, simple_form


def _post_form(client, path, fields, files=None):
    data = {"csrf_token": csrf_token(client, path), **fields}
    for key, (content, name) in (files or {}).items():
        data[key] = (io.BytesIO(content), name)
    return client.post(path, data=data, content_type="multipart/form-data")


def test_portal_lists_published_forms_only(client, make_user, login, make_form):
    """The portal offers published, not archived forms."""
    make_form(simple_form())
    make_form(simple_form(), key="unpublished", publish=False)
    login(make_user(Role.REQUESTER))
    html = client.get("/portal").get_data(as_text=True)
    assert "/portal/forms/simple" in html and "/portal/forms/unpublished" not in html


def test_portal_submit_creates_ticket_with_file(client, make_user, login, make_form):
    """A multipart post with a photo creates the ticket and shows it with the file."""
    make_form(simple_form())
    login(make_user(Role.REQUESTER))
    response = _post_form(client, "/portal/forms/simple", {
        "category": "refund", "order_id": "OD12345678", "amount": "9.5", "summary": "Cracked"},
        files={"photo": (PNG, "crack.png")})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    ticket_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cracked" in ticket_page and "crack.png" in ticket_page
    assert re.search(r"/api/v1/attachments/[0-9a-f-]{36}", ticket_page)


def test_portal_invalid_post_keeps_values_and_uploads(client, make_user, login, make_form):
    """A failed post answers 422 with messages, the typed values and the kept upload."""
    make_form(simple_form())
    login(make_user(Role.REQUESTER))
    response = _post_form(client, "/portal/forms/simple", {
        "category": "refund", "order_id": "bad", "amount": "", "summary": "Keep me"},
        files={"photo": (PNG, "keep.png")})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Keep me"' in html and 'value="bad"' in html
    assert "keep.png" in html and 'name="photo.keep"' in html
    assert "This field is required." in html


def test_portal_double_submit_makes_one_ticket(client, make_user, login, make_form):
    """The form's submission id makes a double click create only one ticket."""
    make_form(simple_form())
    login(make_user(Role.REQUESTER))
    fields = {"category": "question", "summary": "Once", "_submission": "fixed-id-1"}
    first = _post_form(client, "/portal/forms/simple", fields)
    second = _post_form(client, "/portal/forms/simple", fields)
    assert first.headers["Location"] == second.headers["Location"]


def test_portal_my_tickets_shows_only_mine(client, make_user, login, make_form, as_role):
    """Another requester's ticket is neither listed nor reachable on the portal."""
    make_form(simple_form())
    theirs = client.post("/api/v1/forms/simple/submissions", json={"data": {
        "category": "question", "summary": "Not yours"}},
        headers=as_role(Role.REQUESTER)).json["number"]
    login(make_user(Role.REQUESTER))
    mine = _post_form(client, "/portal/forms/simple", {"category": "question",
                                                       "summary": "Mine indeed"})
    number = mine.headers["Location"].rsplit("/", 1)[1]
    listing = client.get("/portal/tickets")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert "Mine indeed" in html and f"/portal/tickets/{number}" in html
    assert "Not yours" not in html
    assert client.get(f"/portal/tickets/{theirs}").status_code == 404


def test_portal_renders_hostile_texts_inert(client, make_user, login, make_form):
    """Designer texts and requester values with markup are escaped, never executed."""
    evil = '<img src=x onerror=alert(1)><script>alert("x")</script>'
    definition = simple_form(title={"en": evil})
    definition["fields"][3]["label"] = {"en": evil}
    definition["fields"][3]["help"] = {"en": evil}
    make_form(definition)
    login(make_user(Role.REQUESTER))
    page = client.get("/portal/forms/simple").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page
    response = _post_form(client, "/portal/forms/simple", {"category": "question",
                                                           "summary": evil})
    ticket_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert" not in ticket_page and "&lt;img src=x" in ticket_page


def test_portal_unknown_form_is_404_page(client, make_user, login):
    """A missing form is a 404 page, not a crash."""
    login(make_user(Role.REQUESTER))
    response = client.get("/portal/forms/nothing")
    assert response.status_code == 404 and "text/html" in response.content_type


def test_portal_reply_on_own_ticket_only(client, make_user, login, make_form, as_role):
    """A requester replies on their ticket; an empty reply is refused; others get 404."""
    make_form(simple_form())
    theirs = client.post("/api/v1/forms/simple/submissions", json={"data": {
        "category": "question", "summary": "Theirs"}},
        headers=as_role(Role.REQUESTER)).json["number"]
    login(make_user(Role.REQUESTER))
    number = _post_form(client, "/portal/forms/simple", {
        "category": "question", "summary": "Mine"}).headers["Location"].rsplit("/", 1)[1]
    page = f"/portal/tickets/{number}"
    token = csrf_token(client, page)
    sent = client.post(f"{page}/reply", data={"body": "Any news?", "csrf_token": token})
    assert sent.status_code == 302
    assert "Any news?" in client.get(page).get_data(as_text=True)
    empty = client.post(f"{page}/reply", data={"body": "  ", "csrf_token": token},
                        follow_redirects=True)
    assert "This field is required." in empty.get_data(as_text=True)
    assert client.post(f"/portal/tickets/{theirs}/reply", data={
        "body": "hi", "csrf_token": token}).status_code == 404
    assert client.post(f"{page}/reply", data={"body": "no token"}).status_code == 400


def test_ticket_pages_say_who_handles_the_ticket(client, make_user, login, make_form,
                                                 session):
    """The requester's and the staff's ticket page name the team, then the assignee; a new
    ticket is "not assigned yet"."""
    from core.people import create_team
    from runtime.tickets.models import Ticket
    from runtime.tickets.relations import TicketWatcher

    make_form(simple_form())
    requester = make_user(Role.REQUESTER)
    team = create_team(session=session, key="after-sales", name="After-sales crew")
    agent = make_user(Role.AGENT, email="ana@example.com", teams=("after-sales",))
    login(requester)
    number = int(_post_form(client, "/portal/forms/simple", {
        "category": "question", "summary": "Who?"}).headers["Location"].rsplit("/", 1)[1])
    ticket = session.query(Ticket).filter_by(number=number).one()

    def handled_by(path):
        html = client.get(path).get_data(as_text=True)
        return re.search(r"Handled by</dt><dd>(.*?)</dd>", html, re.S).group(1).strip()

    assert "Not assigned yet" in handled_by(f"/portal/tickets/{number}")
    ticket.team_id = team.id
    session.commit()
    assert handled_by(f"/portal/tickets/{number}") == "After-sales crew"
    ticket.assignee_id = agent.id
    session.commit()
    assert handled_by(f"/portal/tickets/{number}") == "ana"
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    # staff who may look (CC'd) but not edit see the same line on the workspace page
    designer = make_user(Role.DESIGNER)
    session.add(TicketWatcher(ticket_id=ticket.id, user_id=designer.id))
    session.commit()
    login(designer)
    assert handled_by(f"/workspace/tickets/{number}") == "ana"
