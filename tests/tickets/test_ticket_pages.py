"""The ticket API and pages through the Flask client: roles, the 409 race, portal actions,
notifications."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from runtime.notifications import Notification
from runtime.tickets import changes
from runtime.tickets.comments import add_comment
from runtime.tickets.models import Attachment, TicketEvent
from tests.conftest import csrf_token
from tests.forms_fixtures import PNG


def _post(client, path, data, page):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


def _event_count(session, ticket) -> int:
    return session.scalar(select(func.count()).select_from(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id)) or 0


# --- API ----------------------------------------------------------------------------------

def test_api_patch_with_if_match_then_stale_if_match_is_409(client, desk, bearer):
    """GET answers the revision as ETag; a PATCH with it succeeds and answers the new one; a
    second client still holding the old ETag gets 409 and changes nothing."""
    ticket, headers = desk.new_ticket(), bearer(desk.agent)
    got = client.get(f"/api/v1/tickets/{ticket.number}", headers=headers)
    etag = got.headers["ETag"]
    assert got.json["revision"] == int(etag.strip('"'))
    first = client.patch(f"/api/v1/tickets/{ticket.number}", json={
        "status": "pending", "priority": "urgent", "assignee": "bob@example.com"},
        headers={**headers, "If-Match": etag})
    assert first.status_code == 200, first.json
    assert first.json["status"] == "pending" and first.json["assignee"] == "bob@example.com"
    assert first.headers["ETag"] != etag
    before = _event_count(desk.session, ticket)
    second = client.patch(f"/api/v1/tickets/{ticket.number}", json={"status": "resolved"},
                          headers={**bearer(desk.colleague), "If-Match": etag})
    assert second.status_code == 409
    assert second.headers["Content-Type"].startswith("application/problem+json")
    assert "changed by someone else" in second.json["detail"]
    desk.session.expire_all()
    assert client.get(f"/api/v1/tickets/{ticket.number}", headers=headers).json[
        "status"] == "pending"
    assert _event_count(desk.session, ticket) == before


def test_api_patch_refuses_fields_it_cannot_write(client, desk, bearer):
    """subject, number, requester, data: 422 naming the field, and nothing changes."""
    ticket, headers = desk.new_ticket(), bearer(desk.agent)
    for body in ({"subject": "Hacked"}, {"number": 1}, {"requester": "bob@example.com"},
                 {"status": "closed", "data": {"x": 1}}):
        response = client.patch(f"/api/v1/tickets/{ticket.number}", json=body,
                                headers=headers)
        assert response.status_code == 422, (body, response.json)
    desk.session.expire_all()
    fresh = client.get(f"/api/v1/tickets/{ticket.number}", headers=headers).json
    assert fresh["subject"] == "Printer on fire" and fresh["status"] == "new"
    assert fresh["revision"] == ticket.revision


def test_api_patch_roles_and_bad_input(client, desk, bearer):
    """Requester 403, agent of another team 404, bad JSON 400, bad values 422."""
    ticket = desk.new_ticket()
    path = f"/api/v1/tickets/{ticket.number}"
    assert client.patch(path, json={"status": "open"},
                        headers=bearer(desk.requester)).status_code == 403
    assert client.patch(path, json={"status": "open"},
                        headers=bearer(desk.outsider)).status_code == 404
    assert client.get(path, headers=bearer(desk.outsider)).status_code == 404
    headers = bearer(desk.agent)
    assert client.patch(path, data="{nope", headers={
        **headers, "Content-Type": "application/json"}).status_code == 400
    assert client.patch(path, json={"status": "done"}, headers=headers).status_code == 422
    assert client.patch(path, json={"assignee": "nobody@example.com"},
                        headers=headers).status_code == 422
    assert client.patch(path, json={"team": "no-such-team"},
                        headers=headers).status_code == 422
    assert client.patch(path, json={"priority": "low"}, headers={
        **headers, "If-Match": "garbage"}).status_code == 422
    assert client.patch(path, json={"priority": "low"}, headers={
        **headers, "If-Match": f'"{ticket.revision}"'}).status_code == 200


def test_api_comment_with_mention_notifies_and_requester_never_sees_notes(client, desk, bearer):
    """An internal note mentioning Bob notifies him; the requester's comments list and
    timeline never contain the note."""
    ticket = desk.new_ticket()
    made = client.post(f"/api/v1/tickets/{ticket.number}/comments", json={
        "body": "@[Bob Wu] can you check the toner?", "internal": True},
        headers=bearer(desk.agent))
    assert made.status_code == 201 and made.json["payload"]["mentions"] == ["bob@example.com"]
    notes = desk.session.scalars(select(Notification).where(
        Notification.user_id == desk.colleague.id)).all()
    assert [n.kind for n in notes] == ["mentioned"]
    requester = bearer(desk.requester)
    for path in ("comments", "events"):
        seen = client.get(f"/api/v1/tickets/{ticket.number}/{path}", headers=requester).json
        assert all("toner" not in str(e["payload"]) for e in seen)
    assert client.post(f"/api/v1/tickets/{ticket.number}/comments", json={
        "body": "sneaky", "internal": True}, headers=requester).status_code == 403


# --- staff page -------------------------------------------------------------------------

def test_ticket_page_shows_panels_and_roles(client, desk, login):
    """An agent of the team sees data, requester panel, watchers, links, merge suggestions
    and the form carrying the revision; another team's agent 404; a requester 403."""
    ticket = desk.new_ticket()
    other = desk.new_ticket("Printer on fire again")
    login(desk.agent)
    page = client.get(f"/workspace/tickets/{ticket.number}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Their other tickets" in html and f"#{other.number}" in html
    assert f'name="revision" value="{ticket.revision}"' in html
    assert f"Merge into #{other.number}" in html and "Watchers" in html
    assert 'value="@[Bob Wu]"' in html  # the mention picker
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal")})
    login(desk.outsider)
    assert client.get(f"/workspace/tickets/{ticket.number}").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal")})
    login(desk.requester)
    assert client.get(f"/workspace/tickets/{ticket.number}").status_code == 403


def test_page_update_with_stale_revision_answers_409_and_changes_nothing(client, desk, login):
    """The page sent revision N; someone changed the ticket meanwhile: 409 page, nothing
    overwritten."""
    ticket = desk.new_ticket()
    login(desk.agent)
    page = f"/workspace/tickets/{ticket.number}"
    stale = ticket.revision
    changes.update_ticket(session=desk.session, ticket=ticket, actor=desk.colleague,
                          priority="urgent")
    desk.session.commit()
    response = _post(client, f"{page}/update", {
        "revision": stale, "status": "closed", "priority": "low", "team": "support",
        "assignee": ""}, page)
    assert response.status_code == 409
    assert "Someone else changed this ticket" in response.get_data(as_text=True)
    desk.session.expire_all()
    assert (ticket.priority, ticket.status) == ("urgent", "new")


def test_take_then_internal_note_then_reply_on_the_page(client, desk, login, session):
    """Take it (assigned, open), an internal note with a mention, a public reply with a
    file; the requester's portal page shows the reply and the file but not the note."""
    ticket = desk.new_ticket()
    login(desk.agent)
    page = f"/workspace/tickets/{ticket.number}"
    assert _post(client, f"{page}/take", {"revision": ticket.revision}, page).status_code == 303
    session.expire_all()
    assert ticket.assignee_id == desk.agent.id and ticket.status == "open"
    _post(client, f"{page}/comments", {"visibility": "internal",
                                        "body": "Secret: @bob@example.com knows"}, page)
    reply = client.post(f"{page}/comments", data={
        "csrf_token": csrf_token(client, page), "visibility": "public",
        "body": "Replaced the fuser.", "files": (io.BytesIO(PNG), "fuser.png")},
        content_type="multipart/form-data")
    assert reply.status_code == 303
    html = client.get(page).get_data(as_text=True)
    assert "added an internal note" in html and "Mentioned: bob@example.com" in html
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal")})
    login(desk.requester)
    portal = client.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True)
    assert "Replaced the fuser." in portal and "fuser.png" in portal
    assert "Secret" not in portal
    attachment = session.scalar(select(Attachment).where(Attachment.name == "fuser.png"))
    assert attachment.ticket_id == ticket.id


def test_merge_on_the_page_goes_to_the_survivor(client, desk, login, session):
    """Merging from the suggestions closes the duplicate and lands on the survivor."""
    survivor, duplicate = desk.new_ticket("VPN broken"), desk.new_ticket("VPN is broken")
    login(desk.agent)
    page = f"/workspace/tickets/{duplicate.number}"
    response = _post(client, f"{page}/merge", {"into": survivor.number,
                                                "revision": duplicate.revision}, page)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/workspace/tickets/{survivor.number}")
    html = client.get(page).get_data(as_text=True)
    assert "This ticket was merged into" in html
    bad = _post(client, f"/workspace/tickets/{survivor.number}/merge", {"into": "abc"},
                f"/workspace/tickets/{survivor.number}")
    assert bad.status_code == 303  # back with a flash, nothing merged


# --- portal ---------------------------------------------------------------------------------

def test_portal_reply_with_a_file_reaches_the_staff_page(client, desk, login, session):
    """The requester answers with a photo: the comment and the file are on the ticket for
    staff too; a file of a refused type is explained and nothing is kept."""
    ticket = desk.new_ticket()
    login(desk.requester)
    page = f"/portal/tickets/{ticket.number}"
    before = _event_count(session, ticket)
    refused = client.post(f"{page}/reply", data={
        "csrf_token": csrf_token(client, page), "body": "Here is the log.",
        "files": (io.BytesIO(b"MZ\x90\x00binary"), "tool.exe")},
        content_type="multipart/form-data")
    assert refused.status_code == 302
    assert "flash-error" in client.get(page).get_data(as_text=True)
    assert _event_count(session, ticket) == before
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0
    sent = client.post(f"{page}/reply", data={
        "csrf_token": csrf_token(client, page), "body": "Photo of the jam attached.",
        "files": (io.BytesIO(PNG), "jam.png")}, content_type="multipart/form-data")
    assert sent.status_code == 302
    assert "Your reply was added." in client.get(page).get_data(as_text=True)
    attachment = session.scalar(select(Attachment).where(Attachment.name == "jam.png"))
    assert attachment is not None and attachment.ticket_id == ticket.id
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal")})
    login(desk.agent)
    staff = client.get(f"/workspace/tickets/{ticket.number}").get_data(as_text=True)
    assert "Photo of the jam attached." in staff and "jam.png" in staff
    with client.get(f"/api/v1/attachments/{attachment.id}") as download:
        assert download.status_code == 200 and download.data == PNG


def test_portal_rate_once_and_reopen(client, desk, login, session):
    """After resolution the requester rates once (a second try is refused) and reopens."""
    ticket = desk.new_ticket()
    changes.update_ticket(session=session, ticket=ticket, actor=desk.agent, status="resolved")
    session.commit()
    login(desk.requester)
    page = f"/portal/tickets/{ticket.number}"
    html = client.get(page).get_data(as_text=True)
    assert "How did we do?" in html and "Reopen the ticket" in html
    assert _post(client, f"{page}/rating", {"score": "9"}, page).status_code == 302
    assert changes.rating_of(session=session, ticket=ticket) is None
    _post(client, f"{page}/rating", {"score": "5", "comment": "Fast!"}, page)
    again = _post(client, f"{page}/rating", {"score": "1"}, page)
    assert "already rated" in client.get(again.headers["Location"]).get_data(as_text=True)
    session.expire_all()
    assert changes.rating_of(session=session, ticket=ticket).score == 5
    _post(client, f"{page}/reopen", {"reason": "Back again"}, page)
    session.expire_all()
    assert ticket.status == "open"


def test_portal_other_requester_gets_404(client, desk, login):
    """Another requester cannot open, reply to, rate or reopen the ticket."""
    ticket = desk.new_ticket()
    login(desk.other_requester)
    page = f"/portal/tickets/{ticket.number}"
    assert client.get(page).status_code == 404
    token = csrf_token(client, "/portal")
    for action in ("reply", "rating", "reopen"):
        assert client.post(f"{page}/{action}", data={
            "csrf_token": token, "body": "x", "score": "5"}).status_code == 404


# --- notifications -----------------------------------------------------------------------

def test_notifications_bell_list_mark_read_and_preferences(client, desk, login, session):
    """A mention shows as a count in the header and in the list; marking read clears it;
    preferences are saved per kind."""
    ticket = desk.new_ticket()
    add_comment(session=session, ticket=ticket, author=desk.agent, internal=True,
                body="@bob@example.com have a look")
    session.commit()
    login(desk.colleague)
    html = client.get("/notifications").get_data(as_text=True)
    assert re.search(r'class="count"[^>]*>1<', html)
    assert "You were mentioned" in html and "have a look" in html
    _post(client, "/notifications/read", {}, "/notifications")
    html = client.get("/notifications").get_data(as_text=True)
    assert 'class="count"' not in html
    assert _post(client, "/notifications/preferences", {"email": ["mentioned", "bogus"]},
                 "/notifications/preferences").status_code == 303
    html = client.get("/notifications/preferences").get_data(as_text=True)
    assert re.search(r'value="mentioned"\s+checked', html)
    assert not re.search(r'value="assigned"\s+checked', html)


def test_hostile_numbers_are_refused_not_crashing(client, desk, login, bearer):
    """Unicode digits and numbers beyond a 32-bit column: a 4xx or a flash, never a 500."""
    ticket = desk.new_ticket()
    path = f"/api/v1/tickets/{ticket.number}"
    for etag in ("²", '"99999999999"', "W/\"-1\""):
        response = client.patch(path, json={"priority": "low"},
                                headers={**bearer(desk.agent), "If-Match": etag})
        assert response.status_code in (409, 422), (etag, response.status_code)
    login(desk.agent)
    page = f"/workspace/tickets/{ticket.number}"
    for field, action in (("into", "merge"), ("other", "links")):
        for value in ("99999999999", "²", "-3", "#"):
            response = _post(client, f"{page}/{action}", {field: value}, page)
            assert response.status_code == 303, (action, value, response.status_code)
    assert _post(client, f"{page}/update", {"revision": "²", "priority": "high"},
                 page).status_code == 303
    assert _post(client, "/notifications/read", {"id": "99999999999"},
                 "/notifications").status_code == 303
